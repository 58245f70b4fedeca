from odoo import api, fields, models, tools
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

    Visits, attempts and indicators store the reason's ``code`` (a stable
    key, as a selection), so that the reasons are configuration while the
    ledger and the figures keep reading the same values.
    """

    _name = "visit.unreached.reason"
    _description = "Reason Not Reached"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Stable key stored on visits and attempts; cannot change once used.",
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
            if (
                reason.code == "reached"
                or not (reason.code or "").replace("_", "").isalnum()
            ):
                raise ValidationError(
                    self.env._(
                        "The code of the reason “%s” must be a word of letters, "
                        "digits and underscores, other than “reached”.",
                        reason.name,
                    )
                )

    @api.model
    def _selection(self):
        """[(code, name)] of every reason, archived ones included: old visits
        keep theirs."""
        return list(self._selection_cached(self.env.lang or "en_US"))

    @tools.ormcache("lang")
    def _selection_cached(self, lang):
        # sudo: the list of reasons is the same for every user (ormcache).
        # Every reason, archived ones too (a few dozen at most), cached.
        reasons = (
            self.sudo().with_context(lang=lang, active_test=False).search([])  # pylint: disable=no-search-all
        )
        return tuple((reason.code, reason.name) for reason in reasons)

    @api.model
    def _behaviour_of(self, code):
        return self._behaviours().get(code, "retry")

    @tools.ormcache()
    def _behaviours(self):
        # sudo: as in _selection_cached.
        # Every reason, archived ones too (a few dozen at most), cached.
        reasons = self.sudo().with_context(active_test=False).search([])  # pylint: disable=no-search-all
        return {reason.code: reason.behaviour for reason in reasons}

    @api.model_create_multi
    def create(self, vals_list):
        reasons = super().create(vals_list)
        self.env.registry.clear_cache()
        return reasons

    def write(self, vals):
        if "code" in vals and self._used_codes():
            raise ValidationError(
                self.env._(
                    "The code of a reason already given to visits cannot change: "
                    "archive the reason and create another one."
                )
            )
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def _used_codes(self):
        codes = self.mapped("code")
        # sudo: any visit or attempt that used the reason, whoever may read it.
        return self.env["visit.attempt"].sudo().search_count(
            [("result", "in", codes)], limit=1
        ) or (
            self.env["visit.record"]
            .sudo()
            .search_count([("unreached_reason", "in", codes)], limit=1)
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        # The shipped reasons are used by the addon itself (a mandatory
        # callback opted out of closes as "refused"): archive them instead.
        if self.filtered(
            lambda reason: (
                reason.get_external_id()
                .get(reason.id, "")
                .startswith("customer_visit.")
            )
        ) or (self._used_codes()):
            raise ValidationError(
                self.env._(
                    "These reasons are shipped with the addon or were given to visits: "
                    "archive them instead of deleting them."
                )
            )

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()


def unreached_reason_selection(model):
    """Selection of the reasons, for the fields that store a reason's code."""
    return model.env["visit.unreached.reason"]._selection()


def attempt_result_selection(model):
    """Reached, or one of the reasons."""
    return [
        ("reached", model.env._("Reached")),
        *model.env["visit.unreached.reason"]._selection(),
    ]
