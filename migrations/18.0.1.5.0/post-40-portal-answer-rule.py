"""Portal users read the answers of their own visits that are not
cancelled, as they read the visits themselves. The record rule is
``noupdate`` data, which an update leaves alone: its domain is written
here, when it is still the one shipped before.
"""

from odoo import SUPERUSER_ID, api

OLD = "[('record_id.partner_id', 'child_of', [user.commercial_partner_id.id])]"
NEW = (
    "[('record_id.partner_id', 'child_of', [user.commercial_partner_id.id]), "
    "('record_id.state', '!=', 'cancelled')]"
)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    rule = env.ref("customer_visit.visit_answer_rule_portal", raise_if_not_found=False)
    if rule and rule.domain_force == OLD:
        rule.domain_force = NEW
