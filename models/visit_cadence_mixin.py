from odoo import api, fields, models

from .const import CHANNELS

# Units of a step's delay and deadline.
UNITS = [
    ("hours", "Hours"),
    ("days", "Days"),
    ("working_days", "Working days"),
    ("weeks", "Weeks"),
    ("months", "Months"),
    ("years", "Years"),
]


class VisitCadenceMixin(models.AbstractModel):
    """What a step of a cadence says, whether in a rule or in a template
    a rule starts from: the channel (its type's by default), the unit of its
    delay, its deadline and its repetition."""

    _name = "visit.cadence.mixin"
    _description = "Follow-up Cadence Step"

    type_id = fields.Many2one("visit.type", string="Visit Type", required=True)
    channel = fields.Selection(
        CHANNELS,
        compute="_compute_channel",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
    )
    delay_unit = fields.Selection(UNITS, string="Unit", required=True, default="days")
    deadline_delay = fields.Integer(
        string="Deadline",
        help="Time after the reference date by which the visit must be done; "
        "0 for no deadline.",
    )
    deadline_unit = fields.Selection(
        UNITS, string="Deadline unit", required=True, default="days"
    )
    repeat_every = fields.Integer(
        help="Repeat the step every so many units (0: once).",
    )

    @api.depends("type_id")
    def _compute_channel(self):
        for step in self:
            step.channel = step.type_id.default_channel or step.channel or "phone"
