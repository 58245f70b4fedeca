"""The Dispatch templates the pre-migration released are replaced: their
translations are read again from the module's files (Odoo's update keeps
the translations a record already has), then they are noupdate again."""

from odoo import SUPERUSER_ID, api
from odoo.modules.module import get_module_path
from odoo.tools.translate import TranslationImporter

NAMES = ("mail_template_visit_dispatch", "sms_template_visit_dispatch")


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        "SELECT name FROM ir_model_data"
        " WHERE module = 'customer_visit' AND name IN %s AND NOT noupdate",
        [NAMES],
    )
    released = [f"customer_visit.{name}" for (name,) in cr.fetchall()]
    if not released:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    importer = TranslationImporter(cr, verbose=False)
    path = get_module_path("customer_visit")
    for lang in env["res.lang"].get_installed():
        code = lang[0]
        if code == "en_US":
            continue
        # The base language's file first, then the variant's, as Odoo does.
        for name in dict.fromkeys((code.split("_")[0], code)):
            importer.load_file(f"{path}/i18n/{name}.po", code, xmlids=released)
    importer.save(overwrite=True)
    cr.execute(
        "UPDATE ir_model_data SET noupdate = TRUE"
        " WHERE module = 'customer_visit' AND name IN %s",
        [NAMES],
    )
