from odoo import api, fields, models
from odoo.exceptions import ValidationError

# What an unreached attempt means for its visit.
REASON_BEHAVIOURS = [
    ("retry", "Retry later"),
    ("fallback", "Try the next channel now"),
    ("end", "End the visit at once"),
    ("callback", "Call back at the time the customer gave"),
    ("wrong_person", "Not the right person: retry"),
]


class VisitUnreachedReason(models.Model):
    """Why a customer was not reached (未回访原因), and what follows.

    Visits, attempts and the analysis link to their reason (as core's
    ``crm.lost.reason``): a reason a manager adds is a record, offered at
    once. The addon refers to the shipped reasons by their xml id. The
    ``code`` is the reason's stable key in signed sheets (their snapshot
    keeps it, not the wording), hence fixed once the reason is used.
    """

    _name = "visit.unreached.reason"
    _description = "Reason Not Reached"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Stable key kept in the signed sheets; cannot change once used.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    behaviour = fields.Selection(
        REASON_BEHAVIOURS,
        help="Retry later: the next attempt after the policy's delay. Next "
        "channel: this channel is pointless (no number), fall back at once. "
        "End: the visit fails now (void number, deceased). Call back: the "
        "next attempt is placed at the time the customer gave, and does not "
        "use up an attempt. Not the right person: counts as not reached and "
        "is retried.",
    )
    description = fields.Text(translate=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "The code of a reason must be unique."),
    ]

    @api.constrains("behaviour", "code")
    def _check_behaviour(self):
        for reason in self:
            if not reason.behaviour:
                raise ValidationError(
                    self.env._(
                        "The reason “%s” needs a behaviour: say what follows "
                        "when a customer is not reached for it.",
                        reason.name,
                    )
                )
            if not (reason.code or "").replace("_", "").isalnum():
                raise ValidationError(
                    self.env._(
                        "The code of the reason “%s” must be a word of letters, "
                        "digits and underscores.",
                        reason.name,
                    )
                )

    def write(self, vals):
        if "code" in vals and self._is_used():
            raise ValidationError(
                self.env._(
                    "The code of a reason already given to visits cannot change: "
                    "archive the reason and create another one."
                )
            )
        return super().write(vals)

    def _is_used(self):
        # sudo: any visit or attempt that used the reason, whoever may read it.
        return bool(
            self.env["visit.attempt"]
            .sudo()
            .search_count([("reason_id", "in", self.ids)], limit=1)
            or self.env["visit.record"]
            .sudo()
            .search_count([("unreached_reason_id", "in", self.ids)], limit=1)
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        # The shipped reasons are used by the addon itself (a mandatory
        # callback opted out of closes as "refused"): archive them instead.
        # The foreign keys restrict too; this says so in words.
        if self.filtered(
            lambda reason: (
                reason.get_external_id()
                .get(reason.id, "")
                .startswith("customer_visit.")
            )
        ) or (self._is_used()):
            raise ValidationError(
                self.env._(
                    "These reasons are shipped with the addon or were given to visits: "
                    "archive them instead of deleting them."
                )
            )
