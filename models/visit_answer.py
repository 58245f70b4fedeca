from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .visit_protect import is_addon_write

# The scale of a rating question; stored as 1-5 in ``value_rating``, where 0
# means not answered yet.
RATINGS = [(str(score), str(score)) for score in range(1, 6)]


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
    answer_kind = fields.Selection(related="question_id.answer_kind")
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

    @api.model_create_multi
    def create(self, vals_list):
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

    def _has_value(self):
        self.ensure_one()
        kind = self.answer_kind
        if kind == "yes_no":
            return bool(self.value_yes_no)
        if kind == "rating":
            return bool(self.value_rating)
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
        if self.answer_kind == "choice":
            # The choice in the reader's language (the text of a choice
            # signed before choices were records, if it has no option).
            return self.option_id.name or self.value_text or ""
        return self.value_text or ""
