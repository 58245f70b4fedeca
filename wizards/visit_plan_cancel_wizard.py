from odoo import fields, models

from ..models.visit_protect import addon_action


class VisitPlanCancelWizard(models.TransientModel):
    """Ask for the reason before cancelling visit plans."""

    _name = "visit.plan.cancel.wizard"
    _description = "Cancel Visit Plan"

    plan_ids = fields.Many2many("visit.plan", required=True)
    reason = fields.Text(required=True)

    @addon_action
    def action_confirm(self):
        self.ensure_one()
        self.plan_ids.action_cancel(self.reason)
        return {"type": "ir.actions.act_window_close"}
