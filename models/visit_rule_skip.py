from odoo import api, fields, models

from .const import CHANNELS
from .visit_planner import SKIP_REASONS


class VisitRuleSkip(models.Model):
    """A record a rule could not plan, and why.  The generation leaves it
    alone until a manager deletes the line (after fixing the record)."""

    _name = "visit.rule.skip"
    _description = "Follow-up Rule: Skipped Record"
    _order = "id desc"
    _rec_name = "res_name"

    rule_id = fields.Many2one(
        "visit.rule", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="rule_id.company_id", store=True)
    res_id = fields.Integer(string="Record ID", required=True, readonly=True)
    res_name = fields.Char(string="Record", compute="_compute_res_name")
    reason = fields.Selection(SKIP_REASONS, required=True, readonly=True)
    message = fields.Text(readonly=True)
    # What the case owed: it counts as owed and missed in the indicators
    # from its due date on, while its record still qualifies.
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    type_id = fields.Many2one("visit.type", string="Visit Type", readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    due_date = fields.Datetime(
        string="Due",
        readonly=True,
        help="When the rule's first step was due: the case is owed from then on.",
    )
    is_qualifying = fields.Boolean(
        string="Still qualifies",
        default=True,
        readonly=True,
        help="Refreshed at each generation: a record that no longer "
        "qualifies for the rule is no longer owed.",
    )

    _sql_constraints = [
        (
            "rule_res_uniq",
            "unique(rule_id, res_id)",
            "A record is skipped once per rule.",
        ),
    ]

    @api.depends("rule_id", "res_id")
    def _compute_res_name(self):
        for skip in self:
            # sudo: the manager reviewing skips may not read the source model.
            record = (
                self.env[skip.rule_id.model_name].sudo().browse(skip.res_id).exists()
            )
            skip.res_name = record.display_name if record else f"#{skip.res_id}"
