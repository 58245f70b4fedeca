from odoo import api, fields, models
from odoo.exceptions import UserError


class VisitQuestionOption(models.Model):
    """One choice of a choice question, as core's survey.question.answer:
    answers point to it, so a choice reads in the reader's language and a
    reworded choice keeps the answers given to it."""

    _name = "visit.question.option"
    _description = "Visit Question Choice"
    _order = "sequence, id"

    question_id = fields.Many2one(
        "visit.type.question", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Choice", required=True, translate=True)
    is_problem = fields.Boolean(
        string="Raises a problem",
        help="This choice opens a problem and a helpdesk ticket, as "
        "dissatisfaction does.",
    )
    # A choice answered once stays readable in past answers: it is
    # archived, not deleted (see unlink).
    active = fields.Boolean(default=True)

    def write(self, vals):
        if "question_id" in vals and any(
            option.question_id.id != vals["question_id"] for option in self
        ):
            raise UserError(
                self.env._(
                    "A choice stays with the question it was made for: "
                    "add a choice to the other question instead."
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_answered(self):
        # sudo: whether any visit (of any agent or company) gave this
        # choice; only a count is read, no answer is shown.
        answered = (
            self.env["visit.answer"]
            .sudo()
            ._read_group([("option_id", "in", self.ids)], ["option_id"])
        )
        if answered:
            raise UserError(
                self.env._(
                    "%s was given as an answer already: archive it instead "
                    "of deleting it, past answers keep it.",
                    ", ".join(f"“{option.name}”" for (option,) in answered),
                )
            )
