from odoo import fields, models


class VisitRuleDraw(models.Model):
    """The audit of one period's sample of a rule: from how many records,
    with which seed, how many were owed and which were drawn (the plans)."""

    _name = "visit.rule.draw"
    _description = "Follow-up Rule Sample"
    _order = "rule_id, period desc"

    rule_id = fields.Many2one(
        "visit.rule", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="rule_id.company_id", store=True)
    period = fields.Char(required=True, readonly=True)
    seed = fields.Integer(readonly=True)
    population_count = fields.Integer(
        string="Population", readonly=True, help="Qualifying records of the period."
    )
    quota = fields.Integer(
        readonly=True,
        help="Records to draw: the percentage of the population, at most the cap.",
    )
    plan_ids = fields.One2many("visit.plan", "draw_id", string="Drawn", readonly=True)
    drawn_count = fields.Integer(compute="_compute_drawn_count")

    _sql_constraints = [
        (
            "rule_period_uniq",
            "unique(rule_id, period)",
            "One sample per rule and period.",
        ),
    ]

    def _compute_drawn_count(self):
        counts = dict(
            self.env["visit.plan"]._read_group(
                [("draw_id", "in", self.ids)], ["draw_id"], ["__count"]
            )
        )
        for draw in self:
            draw.drawn_count = counts.get(draw, 0)
