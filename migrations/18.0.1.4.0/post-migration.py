"""The shipped Dispatch templates print plain field paths; one Dispatch
job per worker.

Odoo renders a template made only of the model's allowed expressions
(``mail_allowed_qweb_expressions``) without QWeb or safe_eval, which is
most of the cost of a batch of thousands of messages. The templates are
noupdate data, which an update leaves alone: the fields that changed
(the body, the sender, the addressee, the language) are loaded again
here from the module's file when they are still as shipped, and each
translation of the body that is still as shipped (or untranslated) from
the module's translation files; a template a company edited is kept as it
is, and still renders, through QWeb.
"""

import logging
import re

from lxml import etree

from odoo import SUPERUSER_ID, api
from odoo.tools import convert, file_open, file_path
from odoo.tools.translate import TranslationImporter

_logger = logging.getLogger(__name__)

# The fields as 18.0.1.3.0 shipped them, in English (the body's lines as
# they were, hence longer than the house's lines).
# ruff: noqa: E501
OLD = {
    "mail_template_visit_dispatch": (
        "mail_template",
        {
            "email_from": "{{ (object.user_id.email_formatted or "
            "object.company_id.email_formatted or user.email_formatted) }}",
            "partner_to": "{{ (object.contact_id or object.partner_id).id }}",
            "lang": "{{ (object.contact_id or object.partner_id).lang }}",
            "body_html": """
<div style="margin: 0px; padding: 0px;">
    <p style="margin: 0px; padding: 0px; font-size: 13px;">
        Dear <t t-out="(object.contact_id or object.partner_id).name or ''">Customer</t>,
        <br /><br />
        We would like to know how our <t t-out="object.type_id.name or ''">repair</t> went for you.
        A few questions take two minutes:
        <br /><br />
        <a t-att-href="object.get_portal_url()" style="background-color: #875A7B; padding: 8px 16px; color: #fff; border-radius: 5px; text-decoration: none;">Answer now</a>
        <br /><br />
        On the same page you can choose a time for us to call you instead, or ask us not to contact you again.
        <br /><br />
        Best regards,<br />
        <t t-out="object.user_id.name or object.company_id.name or ''">The after-sales team</t>
    </p>
</div>
""",
        },
    ),
    "sms_template_visit_dispatch": (
        "sms_template",
        {
            "lang": "{{ (object.contact_id or object.partner_id).lang }}",
            "body": "{{ object.company_id.name }}: how did our "
            "{{ object.type_id.name }} go? Answer in 2 minutes: "
            "{{ object.get_base_url() + object.get_portal_url() }}",
        },
    ),
}
TRANSLATED = ("body_html", "body")
# Their translations as 18.0.1.3.0 shipped them.
OLD_TRANSLATIONS = {
    "mail_template_visit_dispatch": {
        "zh_CN": """
<div style="margin: 0px; padding: 0px;">
    <p style="margin: 0px; padding: 0px; font-size: 13px;">
        尊敬的<t t-out="(object.contact_id or object.partner_id).name or ''">客户</t>，您好：
        <br/><br/>
        我们想了解本次<t t-out="object.type_id.name or ''">维修</t>您是否满意。
        回答几个问题只需两分钟：
        <br/><br/>
        <a t-att-href="object.get_portal_url()" style="background-color: #875A7B; padding: 8px 16px; color: #fff; border-radius: 5px; text-decoration: none;">立即作答</a>
        <br/><br/>
        您也可以在同一页面选择方便我们致电的时间，或要求我们不再联系您。
        <br/><br/>
        此致敬礼！<br/>
        <t t-out="object.user_id.name or object.company_id.name or ''">售后服务团队</t>
    </p>
</div>
""",
    },
    "sms_template_visit_dispatch": {
        "zh_CN": "【{{ object.company_id.name }}】您对本次{{ object.type_id.name }}"
        "满意吗？2分钟在线作答：{{ object.get_base_url() + object.get_portal_url() }}",
    },
}


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


def _shipped_translations(cr, name, res_id, table, old):
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
        and _normal(value)
        in (english, _normal(OLD_TRANSLATIONS.get(name, {}).get(lang)))
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


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    installed = {code for code, _name in env["res.lang"].get_installed()}
    for name, (table, old) in OLD.items():
        res_id = _record(cr, name)
        if not res_id:
            _logger.info("customer_visit: %s was deleted, not replaced", name)
        elif not _as_shipped(cr, res_id, table, old):
            _logger.info(
                "customer_visit: %s was edited, kept as it is (rendered by QWeb)", name
            )
        else:
            langs = [
                lang
                for lang in _shipped_translations(cr, name, res_id, table, old)
                if lang in installed
            ]
            _reload(env, name, old)
            _reload_translations(env, name, langs)
    env["visit.rule"]._sync_worker_jobs()
