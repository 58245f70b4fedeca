"""Sample counters gain a stratum and a part: the old per-period rows
become the counters of part 0 of 1 with no stratum, before the new unique
constraint is created. What they drew counts against the period's cap
when the new counters of the workers start."""

from odoo.tools.sql import column_exists, create_column


def migrate(cr, version):
    if not version or not column_exists(cr, "visit_rule_draw", "period"):
        return
    for column, kind in (
        ("stratum", "varchar"),
        ("stratum_name", "varchar"),
        ("part", "integer"),
        ("parts", "integer"),
        ("period_cap", "integer"),
        ("level", "double precision"),
        ("start", "double precision"),
        ("drawn_count", "integer"),
    ):
        if not column_exists(cr, "visit_rule_draw", column):
            create_column(cr, "visit_rule_draw", column, kind)
    # The old quota becomes the expected size: it was the period's
    # ceil(population x percent), already drawn.
    cr.execute(
        """
        UPDATE visit_rule_draw d
           SET stratum = '', stratum_name = '', part = 0, parts = 1, start = 0,
               level = COALESCE(d.quota, 0),
               drawn_count = (SELECT COUNT(*) FROM visit_plan p
                               WHERE p.draw_id = d.id),
               quota = COALESCE((SELECT r.sample_cap FROM visit_rule r
                                  WHERE r.id = d.rule_id), 0),
               period_cap = COALESCE((SELECT r.sample_cap FROM visit_rule r
                                       WHERE r.id = d.rule_id), 0)
        """
    )
