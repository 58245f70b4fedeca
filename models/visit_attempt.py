from odoo import api, fields, models
from odoo.exceptions import AccessError

from .const import CHANNELS
from .visit_protect import is_addon_write


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
    result = fields.Selection(
        [("reached", "Reached"), ("not_reached", "Not reached")], required=True
    )
    reason_id = fields.Many2one(
        "visit.unreached.reason",
        string="Reason not reached",
        ondelete="restrict",
        index="btree_not_null",
    )
    note = fields.Char()

    _sql_constraints = [
        (
            "reason_if_not_reached",
            "CHECK((result = 'reached') = (reason_id IS NULL))",
            "An attempt not reached has its reason; a reached one has none.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        # Attempts are the record of who tried what and when, and a reason
        # decides retries: only Log Outcome and the jobs write them.
        if not is_addon_write(self.env):
            raise AccessError(
                self.env._(
                    "Attempts are recorded by Log Outcome and the follow-up "
                    "jobs, not written directly."
                )
            )
        return super().create(vals_list)
