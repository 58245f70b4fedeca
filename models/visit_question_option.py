from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class VisitQuestionOption(models.Model):
    """One choice of a choice question, as core's survey.question.answer:
    answers point to it, so a choice reads in the reader's language. A
    choice of a question answered already is frozen with it: rewording,
    adding, archiving or removing one makes the question's next version
    (see visit.type.question.write)."""

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

    @api.model_create_multi
    def create(self, vals_list):
        """A choice added to an answered question makes its next version
        (see visit.type.question.write): the choice is the new version's."""
        if self.env["visit.type.question"]._edits_in_place():
            return super().create(vals_list)
        Question = self.env["visit.type.question"]
        frozen = Question.browse(
            {vals["question_id"] for vals in vals_list if vals.get("question_id")}
        )._answered()
        if not frozen:
            return super().create(vals_list)
        # The choices added to one question at once make one version; the
        # choices are returned in the order of ``vals_list``.
        made = [None] * len(vals_list)
        added = {}
        free = []
        for index, vals in enumerate(vals_list):
            question = Question.browse(vals.get("question_id"))
            if question in frozen:
                added.setdefault(question, []).append(index)
            else:
                free.append(index)
        # The choices of questions never answered: one create.
        created = super().create([vals_list[index] for index in free])
        for index, choice in zip(free, created, strict=True):
            made[index] = choice
        for question, indexes in added.items():
            question.write(
                {
                    "option_ids": [
                        Command.create(
                            {
                                k: v
                                for k, v in vals_list[index].items()
                                if k != "question_id"
                            }
                        )
                        for index in indexes
                    ]
                }
            )
            new = question.with_context(active_test=False).search(
                [("previous_id", "=", question.id)], order="id desc", limit=1
            )
            choices = new.with_context(active_test=False).option_ids.sorted("id")
            for index, choice in zip(indexes, choices[-len(indexes) :], strict=True):
                made[index] = choice
        return self.browse([option.id for option in made])

    def write(self, vals):
        if {"name", "active"}.intersection(vals) and not self.env[
            "visit.type.question"
        ]._edits_in_place():
            # Reworded or archived, a choice of an answered question makes
            # the question's next version, with the choice changed there.
            if frozen := self.question_id._answered():
                for question in frozen:
                    question.write(
                        {
                            "option_ids": [
                                Command.update(option.id, vals)
                                for option in self
                                if option.question_id == question
                            ]
                        }
                    )
                self -= self.filtered(lambda option: option.question_id in frozen)
                if not self:
                    return True
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

    def unlink(self):
        # Removed from an answered question, a choice is removed from the
        # question's next version: the visits asked keep it.
        if not self.env["visit.type.question"]._edits_in_place() and (
            frozen := self.question_id._answered()
        ):
            for question in frozen:
                question.write(
                    {
                        "option_ids": [
                            Command.delete(option.id)
                            for option in self
                            if option.question_id == question
                        ]
                    }
                )
            self -= self.filtered(lambda option: option.question_id in frozen)
        return super().unlink()

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
