"""Refresh shipped ``noupdate`` message templates left as shipped.

The mail and SMS templates are ``noupdate`` data: an update leaves them
alone, so a database upgraded from an earlier version keeps the earlier
wording. A migration names the fields that changed and their values (in
English and in each language) as the earlier version shipped them; each
template whose fields are still as shipped is loaded again from the
module's file, with its translations from the module's translation files.
A template a company edited is kept as it is. Not a migration step of its
own (Odoo runs only ``pre-``/``post-``/``end-`` files of a version folder):
the versions' scripts import it.
"""

import logging
import re

from lxml import etree

from odoo.tools import convert, file_open, file_path
from odoo.tools.translate import TranslationImporter

_logger = logging.getLogger(__name__)

TRANSLATED = ("body_html", "body")


def _normal(value):
    """The text without its layout: white space and ``<br/>``'s spelling
    are what storing it changes."""
    return re.sub(r"\s+", "", re.sub(r"<br\s*/?>", "<br>", value or ""))


def _record(cr, name):
    cr.execute(
        "SELECT res_id FROM ir_model_data"
        " WHERE module = 'customer_visit' AND name = %s",
        [name],
    )
    row = cr.fetchone()
    return row and row[0]


def _as_shipped(cr, res_id, table, old):
    """True when the template's changed fields are as the previous version
    shipped them (in English)."""
    columns = ", ".join(
        f"{field}->>'en_US'" if field in TRANSLATED else field for field in old
    )
    cr.execute(f"SELECT {columns} FROM {table} WHERE id = %s", [res_id])  # noqa: S608
    current = cr.fetchone()
    return current is not None and all(
        _normal(value) == _normal(old_value)
        for value, old_value in zip(current, old.values(), strict=True)
    )


def _shipped_translations(cr, res_id, table, old, old_translations):
    """The languages whose translation of the body is as shipped, or a
    copy of the English (untranslated)."""
    field = next(field for field in old if field in TRANSLATED)
    cr.execute(f"SELECT {field} FROM {table} WHERE id = %s", [res_id])  # noqa: S608
    values = cr.fetchone()[0] or {}
    english = _normal(old[field])
    return [
        lang
        for lang, value in values.items()
        if lang != "en_US"
        and _normal(value) in (english, _normal(old_translations.get(lang)))
    ]


def _reload(env, name, fields_):
    """Load the fields ``fields_`` of the record ``name`` of the templates'
    file again, as a first install does (its other fields are left as they
    are)."""
    path = "customer_visit/data/mail_template_data.xml"
    with file_open(path, "rb") as data:
        root = etree.parse(data).getroot()
    for record in list(root):
        if record.get("id") != name:
            root.remove(record)
            continue
        for field in list(record):
            if field.get("name") not in (*fields_, "model_id"):
                record.remove(field)
    root.attrib.pop("noupdate", None)
    # Released for this load, noupdate again after it.
    cr = env.cr
    cr.execute(
        "UPDATE ir_model_data SET noupdate = FALSE"
        " WHERE module = 'customer_visit' AND name = %s",
        [name],
    )
    convert.xml_import(
        env, "customer_visit", {}, "update", noupdate=False, xml_filename=path
    ).parse(root)
    cr.execute(
        "UPDATE ir_model_data SET noupdate = TRUE"
        " WHERE module = 'customer_visit' AND name = %s",
        [name],
    )


def _reload_translations(env, name, langs):
    """The record's translations in ``langs`` from the module's files."""
    xmlids = [f"customer_visit.{name}"]
    importer = TranslationImporter(env.cr, verbose=False)
    for code in langs:
        # The base language's file first, then the variant's, as Odoo does.
        for base in dict.fromkeys((code.split("_")[0], code)):
            try:
                po = file_path(f"customer_visit/i18n/{base}.po")
            except FileNotFoundError:
                continue
            importer.load_file(po, code, xmlids=xmlids)
    importer.save(overwrite=True, force_overwrite=True)


def refresh(env, old, old_translations):
    """Load again the templates of ``old`` ({xml id: (table, {field: value
    as shipped})}) still as shipped, and their translations still as
    shipped in ``old_translations`` ({xml id: {lang: body}}). Returns the
    xml ids refreshed."""
    cr = env.cr
    installed = {code for code, _name in env["res.lang"].get_installed()}
    refreshed = []
    for name, (table, fields_) in old.items():
        res_id = _record(cr, name)
        if not res_id:
            _logger.info("customer_visit: %s was deleted, not replaced", name)
        elif not _as_shipped(cr, res_id, table, fields_):
            _logger.info(
                "customer_visit: %s is not as the earlier version shipped it "
                "(edited, or already current): kept as it is",
                name,
            )
        else:
            langs = [
                lang
                for lang in _shipped_translations(
                    cr, res_id, table, fields_, old_translations.get(name, {})
                )
                if lang in installed
            ]
            _reload(env, name, fields_)
            _reload_translations(env, name, langs)
            refreshed.append(name)
    return refreshed
