"""Rule filters are literal domains from this version on.

Before, a rule's filters were evaluated as Python expressions (with the
user, the time and dates in scope). A filter that does not parse as a
literal domain now is not rewritten: its rule is switched off, with a
note on the rule saying which filter to write again, and it is logged.
"""

import logging

from odoo import SUPERUSER_ID, api

from odoo.addons.customer_visit.models.visit_domain import literal_domain

_logger = logging.getLogger(__name__)

FILTERS = ("domain", "exclude_domain", "sample_cap_domain")


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    rules = env["visit.rule"].with_context(active_test=False).search([])
    for rule in rules:
        broken = []
        for fname in FILTERS:
            try:
                literal_domain(env, rule[fname])
            except ValueError:
                broken.append(rule._fields[fname].string)
        if not broken:
            continue
        _logger.warning(
            "Rule %s (id %s) switched off: its filters %s are not literal domains",
            rule.name,
            rule.id,
            ", ".join(broken),
        )
        if rule.active:
            # The rule's own write (constraints) would refuse the filter that
            # does not parse: the flag is written alone, in SQL.
            cr.execute("UPDATE visit_rule SET active = FALSE WHERE id = %s", [rule.id])
        rule.message_post(
            body=env._(
                "Switched off by the upgrade: these filters are not plain "
                "conditions (literal domains) and are no longer evaluated as "
                "code: %s. Write them again with the filter editor, then "
                "switch the rule on.",
                ", ".join(broken),
            )
        )
    rules.invalidate_recordset(["active"])
