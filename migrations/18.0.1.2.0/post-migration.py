"""One Generate job per worker, and the samples of upgraded rules kept.

The second Generate job of the previous version (a copy in XML) is
removed: the jobs now follow the *Generation workers* setting.  Sources
the previous version saw and did not draw are recorded as decided and
not drawn, so that the new per-source draw does not decide them again.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    second = env.ref("customer_visit.ir_cron_visit_generate_second", False)
    if second:
        second.unlink()
    # Its server action (the cron's parent record) goes with it.
    action = env.ref(
        "customer_visit.ir_cron_visit_generate_second_ir_actions_server", False
    )
    if action:
        action.unlink()
    env["ir.cron"]._visit_sync_worker_jobs()
    Draw = env["visit.rule.draw"]
    rules = (
        env["visit.rule"]
        .with_context(active_test=False)
        .search([("coverage", "=", "sample")])
    )
    for rule in rules:
        counter = Draw.search([("rule_id", "=", rule.id)], limit=1, order="period desc")
        if not counter:
            continue
        query = rule._qualifying_query()
        source = SQL.identifier(query.table, "id")
        query.add_where(
            SQL(
                """NOT EXISTS (SELECT 1 FROM visit_plan p
                    WHERE p.rule_id = %s AND p.rule_source_id = %s)""",
                rule.id,
                source,
            )
        )
        cr.execute(
            SQL(
                """INSERT INTO visit_rule_draw_line (rule_id, draw_id, res_id, drawn)
                   SELECT %s, %s, ids.id, FALSE FROM %s ids
                   ON CONFLICT DO NOTHING""",
                rule.id,
                counter.id,
                query.subselect(source),
            )
        )
