from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .const import SATISFACTION_LEVELS
from .visit_protect import is_addon_write, refused_fields

# The scale of a rating question; stored as 1-5 in ``value_rating``, where 0
# means not answered yet.
RATINGS = [(str(score), str(score)) for score in range(1, 6)]
# A recommendation from 0 to 10, stored as its key: 0 is an answer, empty
# is none.
NPS_VALUES = [(str(score), str(score)) for score in range(11)]
# The value fields of an answer, emptied when its item is not asked.
VALUE_FIELDS = (
    "value_yes_no",
    "value_rating",
    "value_level",
    "value_nps",
    "value_text",
    "option_id",
)


class VisitAnswer(models.Model):
    """The customer's answer to one question of the visit's script."""

    _name = "visit.answer"
    _description = "Visit Answer"
    _order = "sequence, id"

    record_id = fields.Many2one(
        "visit.record", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="record_id.company_id", store=True)
    question_id = fields.Many2one(
        "visit.type.question",
        string="Script Question",
        required=True,
        ondelete="restrict",
    )
    sequence = fields.Integer(related="question_id.sequence", store=True)
    question = fields.Char(related="question_id.name")
    # Stored for the statistics read in SQL; a question answered once keeps
    # its kind (a new kind is its next version).
    answer_kind = fields.Selection(related="question_id.answer_kind", store=True)
    value_yes_no = fields.Selection([("yes", "Yes"), ("no", "No")], string="Yes/No")
    value_rating = fields.Integer(string="Rating (number)")
    # What the forms show and edit: empty, not 0, while the rating is not
    # given; the number stays the stored value everything else reads.
    value_rating_choice = fields.Selection(
        RATINGS,
        string="Rating",
        compute="_compute_value_rating_choice",
        inverse="_inverse_value_rating_choice",
        readonly=False,
    )
    value_level = fields.Selection(SATISFACTION_LEVELS, string="Satisfaction")
    value_nps = fields.Selection(NPS_VALUES, string="Recommendation")
    # False, never NULL (filled on upgrade): read by the statistics in SQL.
    is_skipped = fields.Boolean(
        string="Not asked",
        default=False,
        help="The item was not asked: the answer its condition names was not "
        "given. It counts nowhere.",
    )
    # The answer of a text question. An answer of a choice question is its
    # option; a choice answered before 18.0.1.7.0 on a signed visit keeps the
    # text it was signed with here too (see the migration).
    value_text = fields.Text(string="Answer")
    option_id = fields.Many2one(
        "visit.question.option",
        string="Choice",
        domain="[('question_id', '=', question_id)]",
        # A choice once given is archived, never deleted (see the option).
        ondelete="restrict",
        index="btree_not_null",
    )

    _sql_constraints = [
        (
            "rating_range",
            "CHECK(value_rating IS NULL OR value_rating BETWEEN 0 AND 5)",
            "A rating goes from 1 to 5.",
        ),
        (
            "nps_range",
            "CHECK(value_nps IS NULL OR value_nps IN "
            "('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10'))",
            "A recommendation goes from 0 to 10.",
        ),
        (
            "question_uniq",
            "unique(record_id, question_id)",
            "A question is answered once per visit.",
        ),
    ]

    @api.depends("value_rating")
    def _compute_value_rating_choice(self):
        for answer in self:
            answer.value_rating_choice = (
                str(answer.value_rating) if answer.value_rating else False
            )

    def _inverse_value_rating_choice(self):
        for rating in {int(answer.value_rating_choice or 0) for answer in self}:
            self.filtered(
                lambda answer, rating=rating: (
                    int(answer.value_rating_choice or 0) == rating
                    and answer.value_rating != rating
                )
            ).value_rating = rating

    @api.constrains("value_rating", "question_id")
    def _check_value(self):
        for answer in self:
            kind = answer.question_id.answer_kind
            if kind == "rating" and not 0 <= answer.value_rating <= 5:
                raise ValidationError(
                    self.env._(
                        "“%(question)s”: a rating goes from 1 to 5, not %(value)s.",
                        question=answer.question,
                        value=answer.value_rating,
                    )
                )

    @api.constrains("option_id", "question_id", "value_text")
    def _check_option(self):
        for answer in self.filtered(
            lambda answer: (
                answer.option_id
                # Only visits signed before choices were records keep the
                # text of their choice (the upgrade left it as signed).
                or answer.value_text
                and answer.answer_kind == "choice"
            )
        ):
            if answer.option_id.question_id != answer.question_id:
                raise ValidationError(
                    self.env._(
                        "“%(question)s”: pick one of %(choices)s.",
                        question=answer.question,
                        choices=" / ".join(
                            answer.question_id.option_ids.mapped("name")
                        ),
                    )
                )

    @api.model
    def _check_nps_input(self, vals):
        """A recommendation outside 0-10 is refused with words, before the
        ORM's bare "wrong value"."""
        value = vals.get("value_nps")
        if value not in (None, False) and str(value) not in dict(NPS_VALUES):
            raise ValidationError(
                self.env._(
                    "A recommendation goes from 0 (not at all likely) to 10 "
                    "(extremely likely), not %s.",
                    value,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_nps_input(vals)
        records = super().create(vals_list)
        records._check_not_signed()
        return records

    def write(self, vals):
        if not self.env.su and {"record_id", "question_id"}.intersection(vals):
            raise AccessError(
                self.env._(
                    "An answer stays with the visit and the question it was given for."
                )
            )
        # Whether an item was asked follows its condition, decided when the
        # outcome is logged (Log Outcome, the portal), never by hand: a
        # skipped item counts nowhere.
        if refused_fields(self, vals, ("is_skipped",)):
            raise AccessError(
                self.env._(
                    "Whether an item was asked follows its condition, when the "
                    "outcome is logged: answer the earlier question instead."
                )
            )
        self._check_nps_input(vals)
        self._check_not_signed()
        self._check_open()
        return super().write(vals)

    def unlink(self):
        self._check_not_signed()
        return super().unlink()

    def _check_open(self):
        """What the customer answered is changed by the agent while the
        visit is open; once closed, only by a manager (a correction) or by
        the addon's own actions (the portal, Log Outcome, a review)."""
        if is_addon_write(self.env) or self.env.user.has_group(
            "customer_visit.group_visit_manager"
        ):
            return
        if closed := self.record_id.filtered(lambda rec: not rec.is_open):
            raise UserError(
                self.env._(
                    "%s is closed: ask a manager to correct its answers.",
                    ", ".join(closed.mapped("name")),
                )
            )

    def _check_not_signed(self):
        if signed := self.record_id.filtered("signature_hash"):
            raise UserError(
                self.env._(
                    "%s is signed: its answers can no longer be changed.",
                    ", ".join(signed.mapped("name")),
                )
            )

    def _is_low_score(self):
        """Whether this asked item is rated below satisfied (see the
        question's threshold)."""
        self.ensure_one()
        return not self.is_skipped and self.question_id._scores_low(
            self.value_level, self.value_rating, self.value_nps
        )

    def _has_value(self):
        self.ensure_one()
        kind = self.answer_kind
        if kind == "yes_no":
            return bool(self.value_yes_no)
        if kind == "rating":
            return bool(self.value_rating)
        if kind == "scale4":
            return bool(self.value_level)
        if kind == "nps":
            return bool(self.value_nps)
        if kind == "choice":
            return bool(self.option_id)
        return bool(self.value_text)

    def _display_value(self):
        """The answer as the agent gave it, in words."""
        self.ensure_one()
        if self.answer_kind == "yes_no":
            return dict(
                self._fields["value_yes_no"]._description_selection(self.env)
            ).get(self.value_yes_no, "")
        if self.answer_kind == "rating":
            return str(self.value_rating or "")
        if self.answer_kind == "scale4":
            return dict(
                self._fields["value_level"]._description_selection(self.env)
            ).get(self.value_level, "")
        if self.answer_kind == "nps":
            return self.value_nps or ""
        if self.answer_kind == "choice":
            # The choice in the reader's language (the text of a choice
            # signed before choices were records, if it has no option).
            return self.option_id.name or self.value_text or ""
        return self.value_text or ""
