import contextvars
from contextlib import contextmanager

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, LazyTranslate

from .const import ASPECTS, LOW_LEVELS, OPEN_STATES, SATISFACTION_SCORES

_lt = LazyTranslate(__name__)
# The wording of the aspect items a new type starts with (translated into
# every language installed, see _name_aspect_items).
ASPECT_ITEM_NAMES = {
    "product": _lt("Product quality"),
    "service": _lt("Service attitude"),
    "timeliness": _lt("Timeliness"),
    "result": _lt("Result"),
}
# After the items a script is written with.
ASPECT_ITEM_SEQUENCE = 100

# Set while the versioning itself writes the questions: its changes apply
# in place (see _edits_in_place).
_VERSIONING = contextvars.ContextVar("customer_visit_versioning", default=False)


@contextmanager
def _versioning():
    token = _VERSIONING.set(True)
    try:
        yield
    finally:
        _VERSIONING.reset(token)


ANSWER_KINDS = [
    ("yes_no", "Yes / No"),
    ("rating", "Stars (1–5)"),
    ("scale4", "Satisfaction (4 levels)"),
    ("nps", "Recommendation (0–10)"),
    ("text", "Text"),
    ("choice", "Choice"),
]
# The kinds whose answer is a score that may count in the visit's
# satisfaction (normalised to the 1-4 scale of the aspects).
RATED_KINDS = ("rating", "scale4", "nps")
# A question answered once is frozen: a change of these makes the next
# version of it (see write), old visits keep the one they were asked.
VERSIONED_FIELDS = (
    "name",
    "answer_kind",
    "aspect",
    "counts_in_satisfaction",
    "condition_question_id",
    "condition_yes_no",
    "condition_option_ids",
    "option_ids",
)


class VisitTypeQuestion(models.Model):
    """One item of a visit type's script, asked in order.

    Once answered, an item is a frozen version: rewording it, changing its
    kind, its condition or its choices archives it and makes the next
    version, which the visits still to be asked get (see ``write``)."""

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
    counts_in_satisfaction = fields.Boolean(
        string="Counts in satisfaction",
        help="The answer counts in the visit's satisfaction score, beside the "
        "aspects, on their 1-4 scale: stars s count 1 + (s - 1) × 3/4, a "
        "recommendation n counts 1 + n × 3/10.",
    )
    aspect = fields.Selection(
        ASPECTS,
        help="One of the four aspects every type starts with: its level is "
        "also the visit's figure of that aspect (indicators, ledger, partner "
        "and served results). Reword the item freely; any other item rated "
        "on the 4-level scale counts in the satisfaction as well.",
    )
    # An archived question is an earlier version: the visits asked it keep it.
    active = fields.Boolean(default=True)
    previous_id = fields.Many2one(
        "visit.type.question",
        string="Previous version",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )
    condition_question_id = fields.Many2one(
        "visit.type.question",
        string="Only if",
        domain="[('type_id', '=', type_id), ('id', '!=', id), "
        "('answer_kind', 'in', ('yes_no', 'choice'))]",
        ondelete="restrict",
        index="btree_not_null",
        help="Asked only when the answer to this earlier question is the one "
        "given below (a crown question only if the patient had a crown).",
    )
    condition_kind = fields.Selection(
        related="condition_question_id.answer_kind", string="Condition kind"
    )
    condition_yes_no = fields.Selection(
        [("yes", "Yes"), ("no", "No")], string="Answered"
    )
    condition_option_ids = fields.Many2many(
        "visit.question.option",
        "visit_question_condition_option_rel",
        "question_id",
        "option_id",
        string="Answered one of",
        domain="[('question_id', '=', condition_question_id)]",
    )

    @api.model_create_multi
    def create(self, vals_list):
        # A type duplicated copies its script: a copied condition names the
        # original type's question, it is set on its copy once created.
        moved = {}
        for index, vals in enumerate(vals_list):
            condition = self.browse(vals.get("condition_question_id"))
            if condition and vals.get("type_id") not in (None, condition.type_id.id):
                moved[index] = (
                    condition,
                    vals.pop("condition_question_id"),
                    vals.pop("condition_yes_no", False),
                    vals.pop("condition_option_ids", False),
                )
        questions = super().create(vals_list)
        for index, (condition, _id, yes_no, option_commands) in moved.items():
            questions[index]._follow_copied_condition(
                condition, yes_no, option_commands
            )
        return questions

    def _follow_copied_condition(self, condition, yes_no, option_commands):
        """Depend on the twin of ``condition`` in this question's script
        (same place, wording and kind), with the twins of its choices."""
        self.ensure_one()
        twin = self.type_id.question_ids.filtered(
            lambda question: (
                question.sequence == condition.sequence
                and question.name == condition.name
                and question.answer_kind == condition.answer_kind
            )
        )[:1]
        if not twin:
            return
        option_ids = set()
        for command in option_commands or ():
            if command[0] == Command.SET:
                option_ids = set(command[2])
            elif command[0] == Command.LINK:
                option_ids.add(command[1])
        names = set(self.env["visit.question.option"].browse(option_ids).mapped("name"))
        # The versioning's own change, in place.
        with _versioning():
            self.write(
                {
                    "condition_question_id": twin.id,
                    "condition_yes_no": yes_no,
                    "condition_option_ids": [
                        Command.set(
                            twin.option_ids.filtered(
                                lambda option: option.name in names
                            ).ids
                        )
                    ],
                }
            )

    def _name_aspect_items(self, langs=None):
        """Word these aspect items in every language installed (or the
        codes ``langs``) as shipped, where they are still worded as shipped
        in English and not translated yet: an item has no XML id for the PO
        files to translate it."""
        if langs is None:
            langs = [code for code, _name in self.env["res.lang"].get_installed()]
        langs = [code for code in langs if code != "en_US"]
        if not langs:
            return
        for question in self.filtered("aspect"):
            term = ASPECT_ITEM_NAMES[question.aspect]
            english = self.with_context(lang="en_US").env._(term)
            if question.with_context(lang="en_US").name != english:
                continue
            current = {
                line["lang"]: line["value"]
                for line in question.get_field_translations("name", langs)[0]
            }
            missing = {
                lang: self.with_context(lang=lang).env._(term)
                for lang in langs
                if current.get(lang) in (None, False, "", english)
            }
            if missing:
                question.update_field_translations("name", missing)

    # ------------------------------------------------------------------
    # Answers: problems, scores, conditions
    # ------------------------------------------------------------------
    def _scores_low(self, level=False, stars=0, nps=False):
        """Whether an answer to this item is a score below satisfied: out of
        the satisfied share (the 4-level scale's two lower levels, 1 to 3
        stars) or, for a recommendation, a detractor's 0 to 6. The one
        threshold the visit, Log Outcome and the portal read."""
        self.ensure_one()
        if self.answer_kind == "scale4":
            return level in LOW_LEVELS
        if self.answer_kind == "rating":
            return 0 < int(stars or 0) < 4
        if self.answer_kind == "nps":
            return bool(nps) and int(nps) <= 6
        return False

    def _raises_problem(self, answer):
        """Whether ``answer`` (a visit.answer or wizard answer) is the one
        that raises a problem. Of the rated kinds, only the 4-level scale
        answered Unsatisfied does, as an unsatisfied aspect does (stars and
        recommendations count in the score, a low one raises nothing)."""
        self.ensure_one()
        if self.answer_kind == "yes_no":
            return (
                bool(self.problem_yes_no) and answer.value_yes_no == self.problem_yes_no
            )
        if self.answer_kind == "choice":
            return answer.option_id.is_problem
        if self.answer_kind == "scale4":
            return answer.value_level == "unsatisfied"
        return False

    def _score_of(self, answer):
        """The answer's score on the 1-4 scale of the aspects, or None when
        it does not count (not counted, not rated, not asked, not answered)."""
        self.ensure_one()
        if not self.counts_in_satisfaction or answer.is_skipped:
            return None
        if self.answer_kind == "scale4" and answer.value_level:
            return SATISFACTION_SCORES[answer.value_level]
        if self.answer_kind == "rating" and answer.value_rating:
            return 1 + (int(answer.value_rating) - 1) * 3 / 4
        if self.answer_kind == "nps" and answer.value_nps:
            return 1 + int(answer.value_nps) * 3 / 10
        return None

    @api.model
    def _shown_of(self, items):
        """The questions asked among ``items`` [(question, yes/no, option)],
        one visit's answers: an item with a condition is asked when the
        earlier item it names was asked and answered as it says."""
        by_question = {}
        for question, yes_no, option in items:
            # An answer stands for its question's earlier versions too: a
            # condition names the question as it was when set.
            version = question
            while version:
                by_question.setdefault(version.id, (question, yes_no, option))
                version = version.previous_id
        shown = set()
        for question, _yes_no, _option in sorted(
            items, key=lambda item: (item[0].sequence, item[0].id)
        ):
            condition = question.condition_question_id
            if not condition:
                shown.add(question.id)
                continue
            version = condition
            while version and version.id not in by_question:
                version = version.previous_id
            if not version:
                continue
            asked, yes_no, option = by_question[version.id]
            if asked.id not in shown:
                continue
            if question.condition_yes_no:
                met = yes_no == question.condition_yes_no
            else:
                # A choice of the condition's version, or the same wording
                # in another version of it.
                met = bool(option) and (
                    option in question.condition_option_ids
                    or option.name in question.condition_option_ids.mapped("name")
                )
            if met:
                shown.add(question.id)
        return shown

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
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

    @api.constrains(
        "aspect", "answer_kind", "counts_in_satisfaction", "type_id", "active"
    )
    def _check_aspect(self):
        labels = dict(self._fields["aspect"]._description_selection(self.env))
        for question in self.filtered("aspect"):
            if question.answer_kind != "scale4" or not question.counts_in_satisfaction:
                raise ValidationError(
                    self.env._(
                        "“%(question)s” is the aspect %(aspect)s: it is rated "
                        "on the 4-level satisfaction scale and counts in the "
                        "satisfaction. Keep that kind, or clear its aspect to "
                        "make it another kind of item.",
                        question=question.name,
                        aspect=labels[question.aspect],
                    )
                )
            # The versioning makes the next version before archiving this
            # one: its earlier version is no twin.
            twins = question.type_id.question_ids.filtered(
                lambda other, question=question: (
                    other.aspect == question.aspect
                    and other not in (question, question.previous_id)
                )
            )
            if question.active and twins:
                raise ValidationError(
                    self.env._(
                        "%(type)s already rates the aspect %(aspect)s with "
                        "“%(other)s”: one item per aspect.",
                        type=question.type_id.name,
                        aspect=labels[question.aspect],
                        other=twins[0].name,
                    )
                )

    @api.constrains("answer_kind", "counts_in_satisfaction")
    def _check_counts_in_satisfaction(self):
        for question in self:
            if (
                question.counts_in_satisfaction
                and question.answer_kind not in RATED_KINDS
            ):
                raise ValidationError(
                    self.env._(
                        "“%s” cannot count in the satisfaction: only a "
                        "satisfaction (4 levels), stars or recommendation "
                        "question gives a score. Change its kind or untick "
                        "Counts in satisfaction.",
                        question.name,
                    )
                )

    @api.constrains(
        "condition_question_id",
        "condition_yes_no",
        "condition_option_ids",
        "sequence",
        "type_id",
    )
    def _check_condition(self):
        for question in self:
            condition = question.condition_question_id
            if not condition:
                if question.condition_yes_no or question.condition_option_ids:
                    raise ValidationError(
                        self.env._(
                            "“%s”: choose the earlier question the answer "
                            "below is about.",
                            question.name,
                        )
                    )
                continue
            if condition == question:
                raise ValidationError(
                    self.env._(
                        "“%s” cannot depend on its own answer: choose an "
                        "earlier question of the script.",
                        question.name,
                    )
                )
            if condition.type_id != question.type_id or (
                condition.sequence,
                condition.id,
            ) > (question.sequence, question.id):
                raise ValidationError(
                    self.env._(
                        "“%(question)s” can depend only on a question asked "
                        "before it in the script of %(type)s, not on "
                        "“%(condition)s”: move it below that question or "
                        "choose an earlier one.",
                        question=question.name,
                        type=question.type_id.name,
                        condition=condition.name,
                    )
                )
            if condition.answer_kind == "yes_no":
                if not question.condition_yes_no or question.condition_option_ids:
                    raise ValidationError(
                        self.env._(
                            "“%(question)s”: say which answer to “%(condition)s” "
                            "(Yes or No) asks it.",
                            question=question.name,
                            condition=condition.name,
                        )
                    )
            elif condition.answer_kind == "choice":
                if question.condition_yes_no or not question.condition_option_ids:
                    raise ValidationError(
                        self.env._(
                            "“%(question)s”: say which choices of “%(condition)s” "
                            "ask it.",
                            question=question.name,
                            condition=condition.name,
                        )
                    )
                if foreign := question.condition_option_ids.filtered(
                    lambda option, condition=condition: option.question_id != condition
                ):
                    raise ValidationError(
                        self.env._(
                            "“%(question)s”: %(options)s are not choices of "
                            "“%(condition)s”; pick among its own.",
                            question=question.name,
                            options=", ".join(f"“{option.name}”" for option in foreign),
                            condition=condition.name,
                        )
                    )
            else:
                raise ValidationError(
                    self.env._(
                        "“%(question)s” can depend only on a yes/no or choice "
                        "question, not on “%(condition)s”.",
                        question=question.name,
                        condition=condition.name,
                    )
                )

    # ------------------------------------------------------------------
    # Versions
    # ------------------------------------------------------------------
    @api.model
    def _edits_in_place(self):
        """Whether script changes apply in place, without versions: those of
        the versioning itself, and those of the addon's upgrades and jobs
        (superuser); people editing a script get versions."""
        return bool(self.env.su or _VERSIONING.get())

    def _answered(self):
        """The questions of ``self`` some visit has answered or signed."""
        if not self:
            return self
        self.env["visit.answer"].flush_model()
        self.env["visit.record"].flush_model(["signature_hash"])
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT answer.question_id
                  FROM visit_answer answer
                  JOIN visit_record rec ON rec.id = answer.record_id
                 WHERE answer.question_id = ANY(%(ids)s)
                   AND (answer.value_yes_no IS NOT NULL
                        OR answer.value_rating > 0
                        OR answer.value_level IS NOT NULL
                        OR answer.value_nps IS NOT NULL
                        OR answer.option_id IS NOT NULL
                        OR COALESCE(answer.value_text, '') != ''
                        -- A signed visit froze its questions, even unanswered.
                        OR rec.signature_hash IS NOT NULL)
                """,
                ids=self.ids,
            )
        )
        return self.browse(row[0] for row in self.env.cr.fetchall())

    def _changes_version(self, vals):
        """Whether ``vals`` changes what these answered questions ask."""
        for fname in set(VERSIONED_FIELDS).intersection(vals):
            value = vals[fname]
            if fname == "option_ids":
                # Choices added, reworded, archived or removed (reordered
                # or marked as a problem, they ask the same).
                if any(
                    command[0] in (Command.CREATE, Command.DELETE, Command.UNLINK)
                    or command[0] == Command.UPDATE
                    and {"name", "active"}.intersection(command[2] or {})
                    or command[0] in (Command.SET, Command.CLEAR)
                    for command in value or ()
                ):
                    return True
            elif fname == "condition_option_ids":
                for question in self:
                    ids = set(question[fname].ids)
                    new_ids = set(ids)
                    for command in value or ():
                        if command[0] == Command.SET:
                            new_ids = set(command[2])
                        elif command[0] == Command.LINK:
                            new_ids.add(command[1])
                        elif command[0] in (Command.UNLINK, Command.DELETE):
                            new_ids.discard(command[1])
                        elif command[0] == Command.CLEAR:
                            new_ids = set()
                        else:
                            return True
                    if new_ids != ids:
                        return True
            elif fname == "condition_question_id":
                if any(question[fname].id != (value or False) for question in self):
                    return True
            elif any(
                (question[fname] or False) != (value or False) for question in self
            ):
                return True
        return False

    def write(self, vals):
        if self._edits_in_place() or not (set(VERSIONED_FIELDS).intersection(vals)):
            return super().write(vals)
        frozen = self._answered()
        if not frozen or not frozen._changes_version(vals):
            return super().write(vals)
        super(VisitTypeQuestion, self - frozen).write(vals)
        frozen._new_versions(vals)
        return True

    def _new_versions(self, vals):
        """Archive these answered questions and give their change to a copy
        each: the visits not asked yet move to the copy, the others keep
        the wording, kind and choices they were asked with."""
        # The versioning's own changes, in place (a flag of the running
        # code, not a context key: no RPC call can pass it).
        with _versioning():
            for old in self.with_context(active_test=False):
                new = old.copy({"previous_id": old.id, "active": True})
                old_options = old.option_ids.sorted("id")
                new_options = new.option_ids.sorted("id")
                option_map = dict(zip(old_options.ids, new_options.ids, strict=True))
                new.write(self._map_option_commands(vals, option_map))
                old.write({"active": False})
                old._move_unasked_answers(new, option_map)
                # The item's targets aim at the item, whatever its version.
                self.env["visit.target"].search(
                    [("question_id", "=", old.id)]
                ).question_id = new

    @api.model
    def _map_option_commands(self, vals, option_map):
        """``vals`` for the copy: the commands on the old choices address
        their copies."""
        vals = dict(vals)
        if vals.get("option_ids"):
            commands = []
            for command in vals["option_ids"]:
                if command[0] in (
                    Command.UPDATE,
                    Command.DELETE,
                    Command.UNLINK,
                    Command.LINK,
                ):
                    command = (
                        command[0],
                        option_map.get(command[1], command[1]),
                        *command[2:],
                    )
                elif command[0] == Command.SET:
                    command = (
                        command[0],
                        0,
                        [option_map.get(i, i) for i in command[2]],
                    )
                commands.append(command)
            vals["option_ids"] = commands
        return vals

    def _move_unasked_answers(self, new, option_map):
        """The open visits that have not answered this question yet ask its
        next version; the questions that depended on it depend on the new
        one (and its copied choices). One UPDATE each."""
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE visit_answer answer
                   SET question_id = %(new)s, answer_kind = %(kind)s,
                       sequence = %(sequence)s
                  FROM visit_record rec
                 WHERE answer.record_id = rec.id
                   AND answer.question_id = %(old)s
                   AND rec.state IN %(open)s
                   AND rec.signature_hash IS NULL
                   AND answer.value_yes_no IS NULL
                   AND COALESCE(answer.value_rating, 0) = 0
                   AND answer.value_level IS NULL
                   AND answer.value_nps IS NULL
                   AND answer.option_id IS NULL
                   AND COALESCE(answer.value_text, '') = ''
                """,
                new=new.id,
                kind=new.answer_kind,
                sequence=new.sequence,
                old=self.id,
                open=OPEN_STATES,
            )
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE visit_type_question
                   SET condition_question_id = %(new)s
                 WHERE condition_question_id = %(old)s AND active
                """,
                new=new.id,
                old=self.id,
            )
        )
        if option_map:
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE visit_question_condition_option_rel rel
                       SET option_id = map.new_id
                      FROM (VALUES %(map)s) AS map(old_id, new_id),
                           visit_type_question question
                     WHERE rel.option_id = map.old_id
                       AND question.id = rel.question_id
                       AND question.active
                       AND question.condition_question_id = %(new)s
                    """,
                    map=SQL(", ").join(
                        SQL("(%s, %s)", old_id, new_id)
                        for old_id, new_id in option_map.items()
                    ),
                    new=new.id,
                )
            )
        self.env["visit.answer"].invalidate_model(
            ["question_id", "answer_kind", "sequence"]
        )
        self.env["visit.record"].invalidate_model(["answer_ids"])
        self.invalidate_model(["condition_question_id", "condition_option_ids"])
