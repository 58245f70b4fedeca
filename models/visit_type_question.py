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
    problem_yes_no = fields.Selection(
        [("yes", "Yes"), ("no", "No")],
        string="Problem if answered",
        help="This answer opens a problem and a helpdesk ticket, as "
        "dissatisfaction does: “Did the agent explain the 15-day cooling-off "
        "period?” answered No.",
    )
    problem_choice = fields.Char(
        string="Problem if chosen",
        translate=True,
        help="This choice opens a problem and a helpdesk ticket, as "
        "dissatisfaction does.",
    )

    def _get_choices(self):
        self.ensure_one()
        return [
            line.strip()
            for line in (self.choice_options or "").splitlines()
            if line.strip()
        ]

    def _raises_problem(self, answer):
        """Whether ``answer`` (a visit.answer or wizard answer) is the one
        that raises a problem."""
        self.ensure_one()
        if self.answer_kind == "yes_no":
            return (
                bool(self.problem_yes_no) and answer.value_yes_no == self.problem_yes_no
            )
        if self.answer_kind == "choice" and self.problem_choice:
            # The choice as typed in the answerer's language or in English.
            given = (answer.value_text or "").strip()
            return given in {
                (self.with_context(lang=lang).problem_choice or "").strip()
                for lang in {self.env.lang or "en_US", "en_US"}
            }
        return False

    @api.constrains("answer_kind", "choice_options", "problem_yes_no", "problem_choice")
    def _check_choice_options(self):
        for question in self:
            if (
                question.problem_yes_no
                and question.answer_kind != "yes_no"
                or (
                    question.problem_choice
                    and question.problem_choice.strip() not in question._get_choices()
                )
            ):
                raise ValidationError(
                    self.env._(
                        "The question “%(question)s” can never be answered "
                        "“%(answer)s”: "
                        "a problem is raised by Yes or No on a yes/no question, or by "
                        "one of the choices of a choice question.",
                        question=question.name,
                        answer=question.problem_choice or question.problem_yes_no,
                    )
                )
            if question.answer_kind == "choice" and not question._get_choices():
                raise ValidationError(
                    self.env._(
                        "The question “%s” is a choice: give at least one "
                        "choice, one per line.",
                        question.name,
                    )
                )
