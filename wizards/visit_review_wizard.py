from odoo import fields, models


class VisitReviewWizard(models.TransientModel):
    """A supervisor approves done visits or sends them back (审核)."""

    _name = "visit.review.wizard"
    _description = "Review Visits"

    record_ids = fields.Many2many("visit.record", required=True)
    comment = fields.Text()

    def action_approve(self):
        self.ensure_one()
        self.record_ids._review(True, self.comment)
        return {"type": "ir.actions.act_window_close"}

    def action_send_back(self):
        self.ensure_one()
        self.record_ids._review(False, self.comment)
        return {"type": "ir.actions.act_window_close"}
