from datetime import datetime, time

import pytz

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..models.const import (
    ASPECT_FIELDS,
    CHANNELS,
    SATISFACTION_FIELDS,
    SATISFACTION_LEVELS,
)
from ..models.visit_answer import NPS_VALUES, VALUE_FIELDS
from ..models.visit_protect import addon_action

# Agreed reply dates are turned into a call at this local hour.
REPLY_HOUR = time(9, 0)
# The ratings of a script's rating question, stored as an integer on the visit.
RATINGS = [(str(score), str(score)) for score in range(1, 6)]


def _aspect_line(string):
    """An aspect as callers name it: reads and writes its line."""
    return fields.Selection(
        SATISFACTION_LEVELS,
        string=string,
        compute="_compute_aspects",
        inverse="_inverse_aspects",
    )


class VisitOutcomeWizard(models.TransientModel):
    """Log the outcome of one visit in one step and close it."""

    _name = "visit.outcome.wizard"
    _description = "Log Visit Outcome"

    record_id = fields.Many2one("visit.record", required=True, ondelete="cascade")
    partner_id = fields.Many2one(related="record_id.partner_id")
    phone = fields.Char(related="record_id.phone")
    channel = fields.Selection(related="record_id.channel")
    outcome = fields.Selection(
        [("reached", "Reached"), ("not_reached", "Not reached")],
        required=True,
        help="Left empty on opening: the agent says whether the customer was reached.",
    )
    unreached_reason_id = fields.Many2one(
        "visit.unreached.reason", string="Reason not reached"
    )
    reason_behaviour = fields.Selection(related="unreached_reason_id.behaviour")
    callback_date = fields.Datetime(
        string="Call back at", help="The time the customer asked to be called back."
    )
    identity_confirmed = fields.Boolean()
    answered_by_id = fields.Many2one(
        "res.partner",
        string="Answered by",
        domain="['|', ('id', '=', partner_id), ('parent_id', '=', partner_id)]",
    )
    identity_required = fields.Boolean(related="record_id.type_id.identity_required")
    recording_required = fields.Boolean(related="record_id.type_id.recording_required")
    customer_only = fields.Boolean(related="record_id.type_id.customer_only")
    reason_required = fields.Boolean(related="record_id.type_id.reason_required")
    answer_ids = fields.One2many(
        "visit.outcome.wizard.answer", "wizard_id", string="Script"
    )
    # The kinds the script asks: the dialog shows their columns only.
    script_kinds = fields.Char(compute="_compute_script_kinds")
    # The aspects are lines of the script (items of the type): these read
    # and write those lines, for callers that name an aspect.
    satisfaction_product = _aspect_line("Product quality")
    satisfaction_service = _aspect_line("Service attitude")
    satisfaction_timeliness = _aspect_line("Timeliness")
    satisfaction_result = _aspect_line("Result")
    opinion = fields.Text()
    has_low_score = fields.Boolean(
        string="Low score",
        compute="_compute_has_low_score",
        help="An aspect or an item is rated below satisfied.",
    )
    score_reason_ids = fields.Many2many(
        "visit.score.reason",
        string="Reasons for the low score",
        help="Why the customer rated below satisfied, from the type's list.",
    )
    allowed_score_reason_ids = fields.Many2many(
        related="record_id.type_id.score_reason_ids", string="Reasons offered"
    )
    opinion_category = fields.Selection(
        related="record_id.opinion_category", readonly=False, string="Opinion about"
    )
    recording_ref = fields.Char(string="Recording reference")
    is_signing_channel = fields.Boolean(
        string="Signed on this channel",
        compute="_compute_signature_required",
        help="The customer signs the record of a visit on this channel.",
    )
    signature_required = fields.Boolean(compute="_compute_signature_required")
    signature = fields.Image(max_width=1024, max_height=1024)
    signed_by = fields.Char(string="Signed by")
    new_complaint = fields.Boolean(string="New complaint")
    complaint_title = fields.Char()
    complaint_description = fields.Text()
    complaint_team_id = fields.Many2one("helpdesk.ticket.team", string="Helpdesk team")
    referral_name = fields.Char(string="Referral name")
    referral_phone = fields.Char(string="Referral phone")
    needs_another_round = fields.Boolean(string="Needs another round")
    problem_description = fields.Text(string="Problem to answer")
    reply_date = fields.Date(string="Agreed reply date")
    next_channel = fields.Selection(CHANNELS, string="Next round channel")

    @api.depends("record_id", "outcome")
    def _compute_signature_required(self):
        Type = self.env["visit.type"]
        for wizard in self:
            record = wizard.record_id
            wizard.is_signing_channel = Type._channel_needs_signature(record.channel)
            wizard.signature_required = bool(
                wizard.outcome == "reached"
                and wizard.is_signing_channel
                and record.type_id.signature_required
                and not record.signature
            )

    @api.depends("answer_ids.question_id")
    def _compute_script_kinds(self):
        for wizard in self:
            wizard.script_kinds = " ".join(
                sorted(set(wizard.answer_ids.question_id.mapped("answer_kind")))
            )

    @api.depends("answer_ids.value_level", "answer_ids.is_shown")
    def _compute_aspects(self):
        for wizard in self:
            levels = dict.fromkeys(SATISFACTION_FIELDS, False)
            for line in wizard.answer_ids:
                if line.question_id.aspect and line.is_shown:
                    levels[ASPECT_FIELDS[line.question_id.aspect]] = line.value_level
            wizard.update(levels)

    def _inverse_aspects(self):
        for wizard in self:
            for line in wizard.answer_ids.filtered("question_id.aspect"):
                fname = ASPECT_FIELDS[line.question_id.aspect]
                if (wizard[fname] or False) != (line.value_level or False):
                    line.value_level = wizard[fname]
            rated = {
                ASPECT_FIELDS[aspect]
                for aspect in wizard.answer_ids.question_id.mapped("aspect")
                if aspect
            }
            if missing := [
                fname
                for fname in SATISFACTION_FIELDS
                if wizard[fname] and fname not in rated
            ]:
                raise UserError(
                    self.env._(
                        "%(type)s does not rate %(aspects)s: rate the items of "
                        "its script.",
                        type=wizard.record_id.type_id.name,
                        aspects=", ".join(
                            wizard._fields[fname]._description_string(self.env)
                            for fname in missing
                        ),
                    )
                )

    @api.depends(
        "answer_ids.is_shown",
        "answer_ids.value_level",
        "answer_ids.value_rating",
        "answer_ids.value_nps",
    )
    def _compute_has_low_score(self):
        for wizard in self:
            # The aspects are lines too.
            wizard.has_low_score = any(
                line._is_low_score() for line in wizard.answer_ids
            )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        record = self.env["visit.record"].browse(
            values.get("record_id") or self.env.context.get("active_id")
        )
        if not record:
            return values
        record._check_open()
        values["record_id"] = record.id
        values["answer_ids"] = [
            Command.create(
                {
                    "question_id": answer.question_id.id,
                    "value_yes_no": answer.value_yes_no,
                    "value_rating": str(answer.value_rating or "") or False,
                    "value_level": answer.value_level,
                    "value_nps": answer.value_nps,
                    "value_text": answer.value_text,
                    "option_id": answer.option_id.id,
                }
            )
            for answer in record.answer_ids
        ]
        for fname in (
            "identity_confirmed",
            "opinion",
            "recording_ref",
        ):
            values[fname] = record[fname]
        # From round two on, a phone call may replace a site visit.
        values["next_channel"] = (
            "phone" if record.channel == "onsite" else record.channel
        )
        values["score_reason_ids"] = [Command.set(record.score_reason_ids.ids)]
        values["signed_by"] = (record.contact_id or record.partner_id).name
        values["answered_by_id"] = (record.answered_by_id or record.partner_id).id
        return values

    def _check_input(self):
        record = self.record_id
        record._check_open()
        if not self.outcome:
            raise UserError(self.env._("Say whether the customer was reached or not."))
        if self.outcome == "not_reached":
            if not self.unreached_reason_id:
                raise UserError(self.env._("Say why the customer was not reached."))
            if any(
                answer.value_rating or answer.value_level or answer.value_nps
                for answer in self.answer_ids
            ):
                raise UserError(
                    self.env._(
                        "The customer was not reached: remove the ratings, "
                        "there is no satisfaction to record."
                    )
                )
            # A callback without its time is refused by the visit itself.
            if (
                self.reason_behaviour == "callback"
                and self.callback_date
                and self.callback_date <= fields.Datetime.now()
            ):
                raise UserError(self.env._("The callback time must be in the future."))
            if self.new_complaint or self.referral_name or self.needs_another_round:
                raise UserError(
                    self.env._(
                        "Complaints, referrals and further rounds come from a "
                        "customer who was reached."
                    )
                )
        if self.new_complaint and not (self.complaint_title or "").strip():
            raise UserError(self.env._("Give the new complaint a title."))
        if self.referral_phone and not self.referral_name:
            raise UserError(self.env._("Give the name of the person referred."))
        if self.referral_phone and not self.record_id.partner_id._visit_format_phone(
            self.referral_phone
        ):
            raise UserError(
                self.env._(
                    "“%(number)s” is not a valid phone number for %(country)s: "
                    "check the digits, or type it with its country code (+86 …).",
                    number=self.referral_phone,
                    country=self.record_id.partner_id.country_id.name
                    or self.env.company.country_id.name
                    or self.env._("the customer's country"),
                )
            )
        if self.needs_another_round:
            if not self.reply_date or not (self.problem_description or "").strip():
                raise UserError(
                    self.env._(
                        "Another round needs the problem to answer and the "
                        "agreed reply date."
                    )
                )
            if self.reply_date < fields.Date.context_today(self):
                raise UserError(
                    self.env._(
                        "The agreed reply date %s is in the past: agree on a "
                        "date from today on.",
                        self.reply_date,
                    )
                )

    @addon_action
    def action_confirm(self):
        """Write the outcome, close the visit, and open what it raised."""
        self.ensure_one()
        self._check_input()
        record = self.record_id
        reached = self.outcome == "reached"
        values = {
            "outcome": self.outcome,
            "unreached_reason_id": False if reached else self.unreached_reason_id.id,
            "identity_confirmed": reached and self.identity_confirmed,
            "answered_by_id": self.answered_by_id.id if reached else False,
            "callback_date": self.callback_date
            if self.reason_behaviour == "callback" and not reached
            else False,
            "opinion": self.opinion,
            "recording_ref": self.recording_ref,
            # Refused by the visit when no rating is below satisfied.
            "score_reason_ids": [
                Command.set(self.score_reason_ids.ids if reached else [])
            ],
        }
        if self.needs_another_round:
            values.update(
                problem_description=self.problem_description,
                reply_date=self.reply_date,
                is_problem_solved=False,
            )
        values["answer_ids"] = self._answer_commands(record)
        record.write(values)
        if reached:
            self._create_complaint()
            self._create_referral()
            if self.signature:
                record._sign(self.signed_by, self.signature)
        record.action_done()
        if self.needs_another_round:
            next_round = self._create_next_round()
            return next_round._get_form_action()
        return {"type": "ir.actions.act_window_close"}

    def _answer_commands(self, record):
        """The updates of the visit's answers from the lines. A question
        reworded while the dialog was open moved the visit's unanswered
        answer to its next version: the line of the earlier version fills
        it, a choice by its wording in the next version."""
        lines = {line.question_id: line for line in self.answer_ids}
        commands = []
        for answer in record.answer_ids:
            question = answer.question_id
            while question and question not in lines:
                question = question.previous_id
            if not question:
                continue
            values = lines[question]._answer_values()
            if (
                question != answer.question_id
                and question.answer_kind != answer.question_id.answer_kind
                and any(value for key, value in values.items() if key != "is_skipped")
            ):
                raise UserError(
                    self.env._(
                        "“%s” was changed while you were logging the outcome: "
                        "it is now asked differently, answer it again.",
                        answer.question_id.name,
                    )
                )
            if values.get("option_id") and question != answer.question_id:
                values["option_id"] = self._next_option(
                    lines[question].option_id, answer.question_id
                ).id
            commands.append(Command.update(answer.id, values))
        return commands

    def _next_option(self, option, question):
        """The choice of ``question`` (a later version) worded as
        ``option``; refused when the new version no longer offers it."""
        same = question.option_ids.filtered(lambda o: o.name == option.name)
        if not same:
            raise UserError(
                self.env._(
                    "“%(question)s” was changed while you were logging the "
                    "outcome and no longer offers “%(choice)s”: choose again.",
                    question=question.name,
                    choice=option.name,
                )
            )
        return same[:1]

    def _create_complaint(self):
        if not self.new_complaint:
            return self.env["helpdesk.ticket"]
        record = self.record_id
        # A complaint raised by a satisfied customer is confirmed too, once
        # closed: the ticket has the type's team and reply deadline.
        return record._create_tickets(
            [
                record._ticket_values(
                    self.complaint_title,
                    self.complaint_description or self.complaint_title,
                    team=self.complaint_team_id or None,
                )
            ]
        )

    def _create_referral(self):
        if not self.referral_name:
            return self.env["res.partner"]
        record = self.record_id
        # sudo: agents may not create contacts; a referral is a new contact
        # with a name and a phone only, linked to the visit.
        return (
            self.env["res.partner"]
            .sudo()
            .create(
                {
                    "name": self.referral_name,
                    "phone": self.referral_phone,
                    "referred_by_visit_id": record.id,
                    "company_id": record.partner_id.company_id.id,
                    "comment": self.env._(
                        "Referred by %(partner)s during visit %(visit)s",
                        partner=record.partner_id.name,
                        visit=record.name,
                    ),
                }
            )
        )

    def _create_next_round(self):
        record = self.record_id
        # The agreed day is the customer's day in the visit's calling hours:
        # 09:00 in the calendar's zone (the company's when it has none), not
        # in the agent's.
        calendar = record._visit_calendar()
        tz = (
            pytz.timezone(calendar.tz) if calendar.tz else record.company_id._visit_tz()
        )
        local = tz.localize(datetime.combine(self.reply_date, REPLY_HOUR))
        scheduled = local.astimezone(pytz.utc).replace(tzinfo=None)
        return self.env["visit.record"].create(
            self.env["visit.planner"]._round_values(
                record, scheduled, channel=self.next_channel
            )
        )


class VisitOutcomeWizardAnswer(models.TransientModel):
    _name = "visit.outcome.wizard.answer"
    _description = "Log Visit Outcome: Answer"
    _order = "sequence, id"

    wizard_id = fields.Many2one(
        "visit.outcome.wizard", required=True, ondelete="cascade"
    )
    question_id = fields.Many2one(
        "visit.type.question",
        string="Script Question",
        required=True,
        ondelete="cascade",
    )
    sequence = fields.Integer(related="question_id.sequence")
    question = fields.Char(related="question_id.name")
    answer_kind = fields.Selection(related="question_id.answer_kind")
    value_yes_no = fields.Selection([("yes", "Yes"), ("no", "No")], string="Yes/No")
    # A selection, not an integer: an unanswered rating reads empty, not 0.
    value_rating = fields.Selection(RATINGS, string="Rating")
    value_level = fields.Selection(SATISFACTION_LEVELS, string="Satisfaction")
    value_nps = fields.Selection(NPS_VALUES, string="Recommendation")
    # Asked only when the earlier answer its condition names is given: read
    # from the other lines, as the agent fills them in.
    is_shown = fields.Boolean(compute="_compute_is_shown")
    value_text = fields.Text(string="Answer")
    # Offered in the agent's language, as any translated name.
    option_id = fields.Many2one(
        "visit.question.option",
        string="Choice",
        domain="[('question_id', '=', question_id)]",
    )

    @api.depends(
        "question_id",
        "wizard_id.answer_ids.value_yes_no",
        "wizard_id.answer_ids.option_id",
    )
    def _compute_is_shown(self):
        Question = self.env["visit.type.question"]
        for wizard in self.wizard_id:
            lines = wizard.answer_ids
            shown = Question._shown_of(
                [
                    (line.question_id, line.value_yes_no, line.option_id)
                    for line in lines
                ]
            )
            for line in lines & self:
                line.is_shown = line.question_id.id in shown
        (self - self.wizard_id.answer_ids).is_shown = True

    def _answer_values(self):
        """The visit.answer values of this line: cleared and marked not
        asked when its condition does not hold."""
        self.ensure_one()
        if not self.is_shown:
            return dict.fromkeys(VALUE_FIELDS, False) | {
                "value_rating": 0,
                "is_skipped": True,
            }
        return {
            "value_yes_no": self.value_yes_no,
            "value_rating": int(self.value_rating or 0),
            "value_level": self.value_level,
            "value_nps": self.value_nps,
            "value_text": self._text_value(),
            "option_id": self.option_id.id,
            "is_skipped": False,
        }

    def _is_low_score(self):
        """Whether the agent rated this asked item below satisfied (the
        question's threshold, as for a stored answer)."""
        self.ensure_one()
        return self.is_shown and self.question_id._scores_low(
            self.value_level, self.value_rating, self.value_nps
        )

    def _text_value(self):
        """The text stored: a text question's (a choice is its option)."""
        self.ensure_one()
        if self.answer_kind == "choice":
            return False
        return self.value_text
