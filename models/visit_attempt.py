from odoo import fields, models

from .const import CHANNELS
from .visit_unreached_reason import attempt_result_selection


class VisitAttempt(models.Model):
    """One try at reaching the customer; every attempt is kept."""

    _name = "visit.attempt"
    _description = "Visit Attempt"
    _order = "date desc, id desc"

    record_id = fields.Many2one(
        "visit.record", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="record_id.company_id", store=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    user_id = fields.Many2one(
        "res.users", string="Agent", default=lambda self: self.env.user
    )
    channel = fields.Selection(CHANNELS)
    result = fields.Selection(attempt_result_selection, required=True)
    note = fields.Char()
