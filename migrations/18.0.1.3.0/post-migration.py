"""The shipped SMS template speaks the customer's language.

It is noupdate data: an upgrade would keep the version without a language,
and Odoo's SMS composer would render it in the sender's language.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    template = env.ref("customer_visit.sms_template_visit_dispatch", False)
    if template and not template.lang:
        template.lang = "{{ (object.contact_id or object.partner_id).lang }}"
