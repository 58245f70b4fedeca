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
    option_ids = fields.One2many(
        "visit.question.option",
        "question_id",
        string="Choices",
        copy=True,
        help="The possible answers of a question of kind Choice, in order.",
    )
    is_required = fields.Boolean(string="Required")
    problem_yes_no = fields.Selection(
        [("yes", "Yes"), ("no", "No")],
        string="Problem if answered",
        help="This answer opens a problem and a helpdesk ticket, as "
        "dissatisfaction does: “Did the agent explain the 15-day cooling-off "
        "period?” answered No.",
    )

    def _raises_problem(self, answer):
        """Whether ``answer`` (a visit.answer or wizard answer) is the one
        that raises a problem."""
        self.ensure_one()
        if self.answer_kind == "yes_no":
            return (
                bool(self.problem_yes_no) and answer.value_yes_no == self.problem_yes_no
            )
        if self.answer_kind == "choice":
            return answer.option_id.is_problem
        return False

    @api.constrains("answer_kind", "option_ids", "problem_yes_no")
    def _check_choice_options(self):
        for question in self:
            if question.problem_yes_no and question.answer_kind != "yes_no":
                raise ValidationError(
                    self.env._(
                        "The question “%(question)s” can never be answered "
                        "“%(answer)s”: "
                        "a problem is raised by Yes or No on a yes/no question, or by "
                        "one of the choices of a choice question.",
                        question=question.name,
                        answer=question.problem_yes_no,
                    )
                )
            # A data file creates a question first, then its choices (records
            # nested in the question's): checked where people edit scripts.
            if (
                question.answer_kind == "choice"
                and not question.option_ids
                and not self.env.context.get("install_mode")
            ):
                raise ValidationError(
                    self.env._(
                        "The question “%s” is a choice: give it at least one choice.",
                        question.name,
                    )
                )
