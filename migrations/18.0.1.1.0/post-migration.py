"""Fallback chains and the shipped types' policies on upgraded databases.

A rule's single fallback channel becomes the first of its chain (unless it
was the channel of its first step, which the old code ignored). The
shipped complaint and new-contract types get the policies fresh databases
get: their data is ``noupdate``, so the update does not load it.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version:
        return
    if column_exists(cr, "visit_rule", "fallback_channel"):
        cr.execute(
            """
            INSERT INTO visit_fallback_step (rule_id, sequence, channel,
                                             create_uid, create_date,
                                             write_uid, write_date)
            SELECT rule.id, 10, rule.fallback_channel, 1, now() AT TIME ZONE 'UTC',
                   1, now() AT TIME ZONE 'UTC'
              FROM visit_rule rule
             WHERE rule.fallback_channel IS NOT NULL
               AND rule.fallback_channel IS DISTINCT FROM (
                   SELECT step.channel FROM visit_rule_step step
                    WHERE step.rule_id = rule.id
                    ORDER BY step.sequence, step.id LIMIT 1)
            """
        )
    env = api.Environment(cr, SUPERUSER_ID, {})
    policies = {
        "customer_visit.visit_type_complaint": {
            "merge_other_types": False,
            "reply_days": 5,
            "max_attempts": 3,
        },
        "customer_visit.visit_type_new_contract": {
            "merge_other_types": False,
            "reply_days": 5,
            "max_attempts": 2,
            "retry_delay_hours": 24,
            "identity_required": True,
            "recording_required": True,
            "customer_only": True,
            "reason_required": True,
            "is_mandatory": True,
            "exclude_salesperson": True,
        },
    }
    for xmlid, values in policies.items():
        if visit_type := env.ref(xmlid, raise_if_not_found=False):
            visit_type.write(values)
    team = env.ref(
        "customer_visit.helpdesk_ticket_team_customer_care", raise_if_not_found=False
    )
    if team:
        env["visit.type"].with_context(active_test=False).search(
            [("complaint_team_id", "=", False)]
        ).write({"complaint_team_id": team.id})
