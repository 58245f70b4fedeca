from odoo import api, fields, models
from odoo.exceptions import ValidationError

INDICATORS = [
    ("callback_rate", "Callback rate (done / owed)"),
    ("success_rate", "Success rate (reached / attempted)"),
    ("signature_share", "Signed share of on-site visits"),
    ("phone_letter_share", "Phone and letter share of visits"),
    ("agent_callback_rate", "Callback rate per agent"),
]
# Indicators whose target is a ceiling; the others are floors.
CAPS = ("phone_letter_share",)


class VisitTarget(models.Model):
    """A company's target for one indicator, optionally per visit type."""

    _name = "visit.target"
    _description = "Follow-up Target"
    _order = "company_id, indicator, type_id"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    type_id = fields.Many2one(
        "visit.type", string="Visit Type", help="Leave empty for all types."
    )
    indicator = fields.Selection(INDICATORS, required=True)
    value = fields.Float(string="Target (%)", required=True)
    is_cap = fields.Boolean(
        string="Ceiling", compute="_compute_is_cap",
        help="Missed when the figure is above the target (else when below).",
    )

    _sql_constraints = [
        ("value_range", "CHECK(value >= 0 AND value <= 100)", "A target is a percentage from 0 to 100."),
        (
            "target_uniq",
            "unique(company_id, type_id, indicator)",
            "One target per indicator, visit type and company.",
        ),
    ]

    @api.depends("indicator")
    def _compute_is_cap(self):
        for target in self:
            target.is_cap = target.indicator in CAPS

    @api.constrains("value")
    def _check_value(self):
        for target in self:
            if not 0 <= target.value <= 100:
                raise ValidationError(
                    self.env._("A target is a percentage from 0 to 100, not %s.", target.value)
                )

    def _is_missed(self, figure):
        self.ensure_one()
        return figure > self.value if self.is_cap else figure < self.value
