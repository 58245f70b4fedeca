from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..models.visit_target import INDICATORS

LINE_INDICATORS = INDICATORS + [
    ("failure_reason", "Failure reasons (share of failed)"),
    ("overdue", "Overdue visits"),
    ("open_problems", "Open problems"),
    ("satisfaction", "Average satisfaction (1-4)"),
    ("problem_age", "Age of the oldest open problem (days)"),
    ("recovery_rate", "Recovery rate"),
    ("coverage", "Coverage per source kind (done / owed)"),
]


class VisitIndicatorWizard(models.TransientModel):
    """The indicators of a period against the company's targets."""

    _name = "visit.indicator.wizard"
    _description = "Follow-up Indicators"

    date_from = fields.Date(
        required=True, default=lambda self: fields.Date.context_today(self).replace(day=1)
    )
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    team_id = fields.Many2one("crm.team", string="Team", help="Only the visits of the team's members.")
    line_ids = fields.One2many("visit.indicator.line", "wizard_id", readonly=True)
    missed_count = fields.Integer(readonly=True)

    @api.depends("date_from", "date_to")
    def _compute_display_name(self):
        for wizard in self:
            wizard.display_name = self.env._(
                "Indicators %(start)s – %(end)s", start=wizard.date_from, end=wizard.date_to
            )

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        wizards._refresh()
        return wizards

    def action_refresh(self):
        self._refresh()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    def _refresh(self):
        for wizard in self:
            if wizard.date_to < wizard.date_from:
                raise UserError(self.env._("The period ends before it starts."))
            lines = self.env["visit.indicator"]._compute(
                wizard.date_from, wizard.date_to, wizard.company_id, wizard.team_id
            )
            wizard.write(
                {
                    "line_ids": [Command.clear()] + [
                        Command.create(
                            {
                                "indicator": line["indicator"],
                                "label": line["label"],
                                "type_id": line["type_id"],
                                "user_id": line["user_id"],
                                "has_value": line["value"] is not None,
                                "value": line["value"] or 0.0,
                                "is_percent": line["is_percent"],
                                "has_target": line["target"] is not None,
                                "target": line["target"] or 0.0,
                                "is_missed": line["is_missed"],
                            }
                        )
                        for line in lines
                    ],
                    "missed_count": sum(line["is_missed"] for line in lines),
                }
            )


class VisitIndicatorLine(models.TransientModel):
    _name = "visit.indicator.line"
    _description = "Follow-up Indicator"
    _order = "id"

    wizard_id = fields.Many2one("visit.indicator.wizard", required=True, ondelete="cascade")
    indicator = fields.Selection(LINE_INDICATORS, required=True)
    label = fields.Char(string="For")
    type_id = fields.Many2one("visit.type", string="Visit Type")
    user_id = fields.Many2one("res.users", string="Agent")
    has_value = fields.Boolean()
    value = fields.Float(digits=(16, 2))
    is_percent = fields.Boolean(string="%")
    has_target = fields.Boolean()
    target = fields.Float(digits=(16, 2))
    is_missed = fields.Boolean(string="Missed")
