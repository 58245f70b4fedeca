"""Keep the unreached policies of existing rules and visits.

From 18.0.1.1.0 a visit's policy (attempts, delay, fallback chain,
independence) is computed from its type unless given. The new columns are
created here, filled from what each visit and rule had, before the ORM
creates them: Odoo computes a new stored column for every existing row, and
that would give every visit its type's default policy.
"""

from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version:
        return
    # Every rule kept its own policy until now: it overrides its types'.
    if not column_exists(cr, "visit_rule", "override_unreached_policy"):
        cr.execute(
            "ALTER TABLE visit_rule ADD COLUMN override_unreached_policy boolean"
        )
        cr.execute("UPDATE visit_rule SET override_unreached_policy = TRUE")
    if not column_exists(cr, "visit_record", "fallback_channels"):
        cr.execute("ALTER TABLE visit_record ADD COLUMN fallback_channels varchar")
        cr.execute(
            "ALTER TABLE visit_record ADD COLUMN fallback_step integer NOT NULL "
            "DEFAULT 0"
        )
        cr.execute("ALTER TABLE visit_record ALTER COLUMN fallback_step DROP DEFAULT")
        if column_exists(cr, "visit_record", "fallback_channel"):
            cr.execute(
                """
                UPDATE visit_record
                   SET fallback_channels = fallback_channel,
                       fallback_step = CASE WHEN is_fallback_done THEN 1 ELSE 0 END
                 WHERE fallback_channel IS NOT NULL AND fallback_channel != channel
                """
            )
    if not column_exists(cr, "visit_record", "is_independent"):
        # Visits planned by a rule "never the salesperson" stay independent.
        cr.execute("ALTER TABLE visit_record ADD COLUMN is_independent boolean")
        cr.execute(
            """
            UPDATE visit_record rec
               SET is_independent = COALESCE(rule.exclude_salesperson, FALSE)
              FROM visit_plan plan
              LEFT JOIN visit_rule rule ON rule.id = plan.rule_id
             WHERE plan.id = rec.plan_id
            """
        )
        cr.execute(
            "UPDATE visit_record SET is_independent = FALSE WHERE is_independent IS "
            "NULL"
        )
