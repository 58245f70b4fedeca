"""The visits with counted items answered get their items' part of the
satisfaction (see pre-10-item-satisfaction), by the visit's own compute."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    Visit = env["visit.record"].with_context(active_test=False)
    visits = Visit.search(
        [
            ("answer_ids.question_id.counts_in_satisfaction", "=", True),
            ("answer_ids.is_skipped", "=", False),
        ]
    )
    for fname in ("satisfaction_item_total", "satisfaction_item_count"):
        env.add_to_compute(Visit._fields[fname], visits)
    env.flush_all()
