"""Sample counters gain a stratum and a part: the old per-period rows
become the counters of part 0 with no stratum, before the new unique
constraint (rule, period, stratum, part) is created."""

from odoo.tools.sql import column_exists, create_column


def migrate(cr, version):
    if not version or not column_exists(cr, "visit_rule_draw", "period"):
        return
    for column, kind in (
        ("stratum", "varchar"),
        ("stratum_name", "varchar"),
        ("part", "integer"),
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
           SET stratum = '', stratum_name = '', part = 0, start = 0,
               level = COALESCE(d.quota, 0),
               drawn_count = (SELECT COUNT(*) FROM visit_plan p
                               WHERE p.draw_id = d.id),
               quota = 0
        """
    )
