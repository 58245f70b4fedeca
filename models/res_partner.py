from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.phone_validation.tools import phone_validation

try:
    import phonenumbers
except ImportError:  # phone_validation works without it (no number types)
    phonenumbers = None


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "visit.document.mixin"]
    _visit_link_field = "partner_id"

    do_not_visit = fields.Boolean(
        string="Do not visit",
        tracking=True,
        help="The customer asked not to be contacted for follow-ups: no visit "
        "is planned for them and their open visits are cancelled.",
    )
    visit_record_ids = fields.One2many(
        "visit.record",
        "partner_id",
        string="Follow-up Visits",
        groups="customer_visit.group_visit_user",
    )
    visit_phone_state = fields.Selection(
        [("valid", "Valid"), ("invalid", "Invalid"), ("missing", "Missing")],
        string="Phone check",
        compute="_compute_visit_phone_state",
        store=True,
        help="Whether the mobile or phone number is a real number of the "
        "contact's country (checked with phonenumbers).",
    )
    visit_phone = fields.Char(
        string="Number to call",
        compute="_compute_visit_phone_state",
        store=True,
        help="The first valid mobile or phone number, formatted; stored so "
        "that planning thousands of visits parses no number.",
    )
    visit_hidden_count = fields.Integer(
        string="Visits not shown",
        compute="_compute_visit_hidden_count",
        groups="customer_visit.group_visit_user",
        help="Visits of this customer in the user's companies that the user "
        "may not open (another agent's, for a sales rep).",
    )
    referred_by_visit_id = fields.Many2one(
        "visit.record",
        string="Referred during visit",
        ondelete="set null",
        index="btree_not_null",
        copy=False,
        groups="customer_visit.group_visit_user",
    )

    def _visit_partner(self):
        return self

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_visit_hidden_count(self):
        domain = [
            ("partner_id", "in", self.ids),
            ("company_id", "in", self.env.companies.ids + [False]),
        ]
        Visit = self.env["visit.record"]
        visible = dict(Visit._read_group(domain, ["partner_id"], ["__count"]))
        # sudo: a count only, so that the Visits tab says that visits the
        # user's record rules hide exist; none of them is read.
        total = dict(Visit.sudo()._read_group(domain, ["partner_id"], ["__count"]))
        for partner in self:
            partner.visit_hidden_count = total.get(partner, 0) - visible.get(partner, 0)

    @api.depends("phone", "mobile", "country_id")
    def _compute_visit_phone_state(self):
        for partner in self:
            numbers = [n for n in (partner.mobile, partner.phone) if n]
            formatted = next(
                (
                    valid
                    for number in numbers
                    if (valid := partner._visit_format_phone(number))
                ),
                False,
            )
            partner.visit_phone = formatted or (numbers[0] if numbers else False)
            if not numbers:
                partner.visit_phone_state = "missing"
            else:
                partner.visit_phone_state = "valid" if formatted else "invalid"

    def _visit_format_phone(self, number, force_format="INTERNATIONAL"):
        """The number formatted for the partner's country, False if invalid."""
        self.ensure_one()
        return self._phone_format(number=number, force_format=force_format)

    def _visit_sms_number(self):
        """The partner's first number that receives text messages (a mobile,
        or one its numbering plan cannot tell from a mobile), in E.164, else
        False: an SMS to a landline reaches no one."""
        self.ensure_one()
        for number in (self.mobile, self.phone):
            formatted = number and self._phone_format(number=number)
            if formatted and self._visit_is_mobile(formatted):
                return formatted
        return False

    @api.model
    def _visit_is_mobile(self, number):
        """Whether ``number`` (E.164) is a mobile by phonenumbers' number
        type; without the library, every valid number counts as one."""
        if phonenumbers is None:
            return True
        try:
            parsed = phone_validation.phone_parse(number, None)
        except UserError:
            return False
        return phonenumbers.number_type(parsed) in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )

    def write(self, vals):
        if (
            "do_not_visit" in vals
            and not self.env.su
            and not self.env.user.has_group("customer_visit.group_visit_user")
            and self.filtered(lambda p: p.do_not_visit != bool(vals["do_not_visit"]))
        ):
            # It cancels the customer's visits: a follow-up decision.
            raise AccessError(
                self.env._(
                    "Only follow-up users may record that a customer does not "
                    "want to be visited."
                )
            )
        res = super().write(vals)
        if vals.get("do_not_visit"):
            self._cancel_open_visits()
        return res

    def _visit_opted_out(self):
        """Whether this customer, or the company they belong to, asked not
        to be contacted (no customer did not)."""
        return bool(self.do_not_visit or self.commercial_partner_id.do_not_visit)

    def _cancel_open_visits(self):
        """Respect a do-not-visit wish: cancel every open visit, except
        mandatory callbacks, which close as not reached (refused) with the
        customer's wish recorded, so that the callback rate shows them."""
        domain = [
            ("partner_id", "child_of", self.ids),
            ("is_open", "=", True),
        ]
        if not self.env.su:
            domain.append(("company_id", "in", self.env.companies.ids))
        # sudo: the wish applies to all visits, including those of agents
        # the user flagging the partner cannot see, in the user's companies
        # (the customer's own wish, on the portal, runs as superuser: all).
        visits = self.env["visit.record"].sudo().search(domain)
        mandatory = visits.filtered("type_id.is_mandatory")
        cancelled = visits - mandatory
        if cancelled:
            cancelled._do_cancel()
            body = self.env._("Cancelled: the customer asked not to be contacted.")
            cancelled._message_log_batch(bodies=dict.fromkeys(cancelled.ids, body))
        if mandatory:
            mandatory._close_refused()
        return visits

    def _visit_erase_personal_data(self, include_signed=False):
        """Erase what the follow-ups hold about these customers and their
        contacts (on a request under PIPL / GDPR), in the visits the current
        visit manager can read: see visit.record's _erase_personal_data.
        Logged on each customer: who, when, how much. Returns the counts."""
        if not self.env.user.has_group("customer_visit.group_visit_manager"):
            raise AccessError(
                self.env._("Only follow-up managers can erase personal data.")
            )
        # With the manager's rights: the visits of their companies.
        visits = (
            self.env["visit.record"]
            .with_context(active_test=False)
            .search(
                [
                    "|",
                    ("partner_id", "child_of", self.ids),
                    ("contact_id", "child_of", self.ids),
                ]
            )
        )
        visits.check_access("write")
        kept = len(visits.filtered("signature_hash")) if not include_signed else 0
        counts = visits._erase_personal_data(include_signed=include_signed)
        body = Markup("<p>%s</p>") % self.env._(
            "Follow-up personal data erased by %(user)s: %(visits)s visits, "
            "%(answers)s answers, %(attempts)s attempts, %(messages)s messages, "
            "%(files)s files; %(signed)s signed sheets erased, %(kept)s kept.",
            user=self.env.user.name,
            kept=kept,
            **counts,
        )
        # sudo: the log of the erasure stays on the customer even when the
        # manager may not edit contacts; its author is still the manager.
        for partner in self.sudo():
            partner.message_post(
                body=body, subtype_xmlid="mail.mt_note", message_type="comment"
            )
        return dict(counts, kept=kept)
