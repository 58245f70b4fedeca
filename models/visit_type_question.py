from odoo import api, fields, models
from odoo.exceptions import ValidationError

ANSWER_KINDS = [
    ("yes_no", "Yes / No"),
    ("rating", "Rating (1-5)"),
    ("text", "Text"),
    ("choice", "Choice"),
]


class VisitTypeQuestion(models.Model):
    """One question of a visit type's script, asked in order."""

    _name = "visit.type.question"
    _description = "Visit Script Question"
    _order = "sequence, id"

    type_id = fields.Many2one(
        "visit.type", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Question", required=True, translate=True)
    answer_kind = fields.Selection(ANSWER_KINDS, required=True, default="text")
    choice_options = fields.Text(
        string="Choices",
        translate=True,
        help="One possible answer per line, for questions of kind Choice.",
    )
    is_required = fields.Boolean(string="Required")

    def _get_choices(self):
        self.ensure_one()
        return [
            line.strip()
            for line in (self.choice_options or "").splitlines()
            if line.strip()
        ]

    @api.constrains("answer_kind", "choice_options")
    def _check_choice_options(self):
        for question in self:
            if question.answer_kind == "choice" and not question._get_choices():
                raise ValidationError(
                    self.env._(
                        "The question “%s” is a choice: give at least one "
                        "choice, one per line.",
                        question.name,
                    )
                )
