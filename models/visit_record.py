import contextvars
import logging
from collections import defaultdict
from datetime import timedelta

import pytz

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from .const import (
    ASPECT_FIELDS,
    CHANNELS,
    LOW_LEVELS,
    OPEN_STATES,
    SATISFACTION_FIELDS,
    SATISFACTION_LEVELS,
    SATISFACTION_SCORES,
)
from .visit_calendar import labelled_time
from .visit_protect import (
    addon_action,
    field_labels,
    is_addon_write,
    refused_fields,
)
from .visit_type import OPINION_CATEGORIES

_logger = logging.getLogger(__name__)
# Set while visits are created: the aspects written then are those of new
# visits (a flag of the running code, no RPC call passes it).
_CREATING = contextvars.ContextVar("customer_visit_creating", default=False)
# The new visits whose script is all empty answers (just inserted): their
# satisfaction is their aspects', no answer to read (see create).
_EMPTY_SCRIPTS = contextvars.ContextVar(
    "customer_visit_empty_scripts", default=frozenset()
)
# What a visit's answers decide, computed for new visits within create.
ANSWER_SUMMARIES = (
    "satisfaction_score",
    "is_rated",
    "is_unsatisfied",
    "satisfaction_item_total",
    "satisfaction_item_count",
    "has_low_score",
)


def _aspect_level(string):
    """The visit's level of one aspect: a stored mirror of the answer to
    its type's item of that aspect, written back to it."""
    return fields.Selection(
        SATISFACTION_LEVELS,
        string=string,
        copy=False,
        tracking=True,
        compute="_compute_aspects",
        inverse="_inverse_aspects",
        store=True,
        readonly=False,
    )


# What the customer signs: once a signature hash is stored, nobody may change
# these any more; a correction is a new round.
SIGNED_FIELDS = {
    "partner_id",
    "contact_id",
    "type_id",
    "channel",
    "scheduled_date",
    "problem_description",
    "outcome",
    "unreached_reason_id",
    "identity_confirmed",
    "opinion",
    "answer_ids",
    "signature",
    "signed_by",
    "signed_on",
    "signature_hash",
    "signed_content",
    "score_reason_ids",
    *SATISFACTION_FIELDS,
}
# Written only by the addon's own actions (buttons, wizards, jobs): read-only
# on screen, refused to a direct write (see visit_protect).
PROTECTED_FIELDS = {
    "state",
    "date_done",
    "due_date",
    "review_state",
    "reviewer_id",
    "review_date",
    "review_comment",
    "signature_hash",
    "signed_content",
    "signed_on",
    "plan_id",
    "rule_step_id",
    "occurrence",
    "merged_plan_ids",
    # The customer's link: whoever writes it holds the customer's actions.
    "access_token",
    # What decides when a visit is overdue, retried or escalated, and who
    # may call (never the salesperson).
    "date_escalated",
    "retry_date",
    "fallback_step",
    "is_confirmation",
    "is_independent",
    # Stored computes the screens, jobs and figures trust as the state and
    # the signature: Odoo's write would keep a value sent for them.
    "is_open",
    "is_locked",
    "signature_status",
}
# What a visit manager may still correct by hand (tracked).
MANAGER_CORRECTABLE_FIELDS = {"due_date"}
# A visit created by hand starts open, unreviewed and unsigned (a signature
# is given through signing, with its checks and its hash).
CREATE_PROTECTED_FIELDS = (PROTECTED_FIELDS - {"state", "due_date", "plan_id"}) | {
    "signature",
    "signed_by",
}
# The largest side of a signature image, in pixels.
SIGNATURE_MAX_SIDE = 3000
CALLBACK_SLOT = timedelta(minutes=15)
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Visits retried per call of the Retry job (the cron runner commits between).
RETRY_BATCH = 500


class VisitRecord(models.Model):
    """One follow-up visit (回访记录): one step of a plan."""

    _name = "visit.record"
    _description = "Visit Record"
    _inherit = [
        "portal.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "visit.source.mixin",
        "visit.batch.defaults.mixin",
    ]
    _order = "scheduled_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Number", required=True, readonly=True, copy=False, default="/"
    )
    plan_id = fields.Many2one(
        "visit.plan",
        ondelete="restrict",
        index=True,
        check_company=True,
        copy=False,
    )
    round = fields.Integer(
        default=1, help="1 for the first visit of a problem, 2 for the second..."
    )
    type_id = fields.Many2one(
        "visit.type",
        string="Visit Type",
        required=True,
        tracking=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        ondelete="restrict",
        index=True,
        tracking=True,
        check_company=True,
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Contact Person",
        ondelete="restrict",
        domain="['|', ('id', '=', partner_id), ('parent_id', '=', partner_id)]",
        check_company=True,
    )
    phone = fields.Char(compute="_compute_phone", store=True, readonly=False)
    phone_state = fields.Selection(
        related="partner_id.visit_phone_state", string="Phone check"
    )
    channel = fields.Selection(
        CHANNELS,
        required=True,
        compute="_compute_channel",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Assigned to",
        default=lambda self: self.env.user,
        index=True,
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
    )
    scheduled_date = fields.Datetime(
        string="Scheduled",
        required=True,
        default=fields.Datetime.now,
        index=True,
        tracking=True,
    )
    deadline = fields.Datetime(tracking=True)
    due_date = fields.Datetime(
        string="Due",
        readonly=True,
        copy=False,
        tracking=True,
        help="When the visit became owed: its scheduled time until a first "
        "attempt; retries and callbacks asked for later do not move it.",
    )
    date_done = fields.Datetime(string="Closed on", readonly=True, copy=False)
    state = fields.Selection(
        [
            ("planned", "Planned"),
            ("in_progress", "In Progress"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="planned",
        required=True,
        index=True,
        tracking=True,
        copy=False,
        group_expand="_group_expand_states",
    )
    # The two questions every screen, job and report asks of a visit, stored
    # once (views, Python and SQL read them, never the states again).
    is_open = fields.Boolean(
        string="Not Closed",
        compute="_compute_is_open",
        store=True,
        index=True,
        help="Planned or in progress: still owed.",
    )
    is_locked = fields.Boolean(
        string="Locked",
        compute="_compute_is_locked",
        store=True,
        help="Closed, cancelled or signed: its record no longer changes.",
    )
    is_overdue = fields.Boolean(
        string="Overdue", compute="_compute_is_overdue", search="_search_is_overdue"
    )
    outcome = fields.Selection(
        [("reached", "Reached"), ("not_reached", "Not reached")],
        tracking=True,
        copy=False,
    )
    unreached_reason_id = fields.Many2one(
        "visit.unreached.reason",
        string="Reason not reached",
        ondelete="restrict",
        copy=False,
        index="btree_not_null",
    )
    identity_confirmed = fields.Boolean(copy=False)
    answered_by_id = fields.Many2one(
        "res.partner",
        string="Answered by",
        ondelete="set null",
        copy=False,
        domain="['|', ('id', '=', partner_id), ('parent_id', '=', partner_id)]",
        help="Who answered: the customer, or another contact of their company.",
    )
    callback_date = fields.Datetime(
        string="Call back at",
        copy=False,
        help="The time the customer asked to be called back (busy — call me at 15:00).",
    )
    attempt_ids = fields.One2many(
        "visit.attempt", "record_id", string="Attempts", copy=False
    )
    attempt_count = fields.Integer(compute="_compute_attempt_count", store=True)
    answer_ids = fields.One2many(
        "visit.answer", "record_id", string="Answers", copy=False
    )
    # The level of each aspect: the answer to the type's aspect item, kept
    # here for the figures (cases, ledger, partner and served results);
    # written here, it is written to that answer (see _add_creation_hints).
    satisfaction_product = _aspect_level("Product quality")
    satisfaction_service = _aspect_level("Service attitude")
    satisfaction_timeliness = _aspect_level("Timeliness")
    satisfaction_result = _aspect_level("Result")
    satisfaction_score = fields.Float(
        compute="_compute_satisfaction",
        store=True,
        # Never aggregated here: an unrated visit stores 0. Averages of
        # rated visits only come from visit.case (NULL when unrated).
        aggregator=None,
        digits=(3, 2),
        help="Average of the aspects and the counted items answered: 4 "
        "satisfied, 3 fairly, 2 basically satisfied, 1 unsatisfied (an item's "
        "stars or 0-10 brought to this scale).",
    )
    is_rated = fields.Boolean(
        string="Rated",
        compute="_compute_satisfaction",
        store=True,
        help="At least one aspect of satisfaction was recorded.",
    )
    is_unsatisfied = fields.Boolean(
        string="Unsatisfied",
        compute="_compute_satisfaction",
        store=True,
        help="At least one aspect was rated unsatisfied.",
    )
    # The counted items' part of the satisfaction (their scores on the
    # aspects' 1-4 scale, and how many): stored so that the cases average
    # them with the aspects in SQL, unrounded, as the visit does.
    satisfaction_item_total = fields.Float(
        compute="_compute_satisfaction", store=True, aggregator=None
    )
    satisfaction_item_count = fields.Integer(
        compute="_compute_satisfaction", store=True, aggregator=None
    )
    opinion = fields.Text(
        tracking=True,
        help="Opinions, suggestions, new needs, in the customer's words.",
    )
    has_low_score = fields.Boolean(
        string="Low score",
        compute="_compute_has_low_score",
        store=True,
        help="An aspect or an item was rated below satisfied: basically "
        "satisfied or unsatisfied, 1 to 3 stars, or 0 to 6 out of 10.",
    )
    score_reason_ids = fields.Many2many(
        "visit.score.reason",
        string="Reasons for the low score",
        copy=False,
        # An archived reason stays on the visits it tagged.
        context={"active_test": False},
        help="Why the customer rated below satisfied, from the type's list.",
    )
    allowed_score_reason_ids = fields.Many2many(
        related="type_id.score_reason_ids", string="Reasons offered"
    )

    opinion_category = fields.Selection(
        OPINION_CATEGORIES,
        string="Opinion about",
        help="How the opinion is classified in the monthly satisfaction report.",
    )
    problem_description = fields.Text(
        string="Open problem",
        help="A problem that could not be answered during the visit.",
        copy=False,
    )
    reply_date = fields.Date(string="Agreed reply date", copy=False)
    is_problem_solved = fields.Boolean(
        string="Problem answered", copy=False, tracking=True
    )
    is_problem_open = fields.Boolean(
        compute="_compute_is_problem_open", store=True, string="Problem open"
    )
    recording_ref = fields.Char(
        string="Recording reference", copy=False, groups="base.group_user"
    )
    signature = fields.Image(
        copy=False,
        attachment=True,
        max_width=1024,
        max_height=1024,
        help="The customer's signature, on site or on the portal.",
    )
    signed_by = fields.Char(copy=False, tracking=True)
    signed_on = fields.Datetime(copy=False, tracking=True)
    signed_content = fields.Text(
        copy=False,
        readonly=True,
        help="What the customer saw and signed, frozen at signing (JSON): the "
        "questions as worded then, the answers, ratings, opinion, type, "
        "channel, agent, contact, dates and company. A signed sheet is "
        "printed from it.",
    )
    signature_hash = fields.Char(
        copy=False,
        readonly=True,
        help="SHA-256 of the signed content.",
    )
    signature_status = fields.Selection(
        [
            ("signed", "Signed"),
            ("phone_visit", "Phone visit"),
            ("missing", "Signature missing"),
            ("not_required", "Not required"),
        ],
        compute="_compute_signature_status",
        store=True,
    )
    previous_record_id = fields.Many2one(
        "visit.record",
        string="Previous Round",
        ondelete="set null",
        index="btree_not_null",
        copy=False,
        help="The visit whose open problem this round answers.",
    )
    next_record_ids = fields.One2many(
        "visit.record", "previous_record_id", string="Next Rounds"
    )
    referral_partner_ids = fields.One2many(
        "res.partner", "referred_by_visit_id", string="Referrals"
    )
    review_state = fields.Selection(
        [
            ("to_review", "To Review"),
            ("approved", "Approved"),
            ("sent_back", "Sent Back"),
        ],
        copy=False,
        tracking=True,
        index="btree_not_null",
    )
    reviewer_id = fields.Many2one(
        "res.users", string="Reviewed by", readonly=True, copy=False
    )
    review_date = fields.Datetime(string="Reviewed on", readonly=True, copy=False)
    review_comment = fields.Text(copy=False, tracking=True)

    notes = fields.Html(string="Internal notes", groups="base.group_user")

    # Scheduling: rule, retries, escalation, closed loop
    merged_plan_ids = fields.Many2many(
        "visit.plan",
        "visit_record_merged_plan_rel",
        "record_id",
        "plan_id",
        string="Also answers",
        readonly=True,
        copy=False,
        help="Plans of other sources merged into this visit: the customer is "
        "called once within the company's contact interval.",
    )
    rule_step_id = fields.Many2one(
        "visit.rule.step",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
        copy=False,
    )
    occurrence = fields.Integer(
        readonly=True,
        copy=False,
        help="0 for a step's first visit, 1 for its first repetition...",
    )
    rule_id = fields.Many2one(related="plan_id.rule_id", string="Rule")
    team_id = fields.Many2one(
        "crm.team",
        compute="_compute_team_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        help="Its leader hears of the visit when it is overdue.",
    )
    # The unreached policy: its type's (or its rule's), copied when planned.
    max_attempts = fields.Integer(
        compute="_compute_unreached_policy",
        store=True,
        readonly=False,
        precompute=True,
        help="Attempts on the visit's channel before falling back or giving up.",
    )
    retry_delay_hours = fields.Integer(
        string="Delay between attempts (hours)",
        compute="_compute_unreached_policy",
        store=True,
        readonly=False,
        precompute=True,
    )
    fallback_channels = fields.Char(
        compute="_compute_unreached_policy",
        store=True,
        readonly=False,
        precompute=True,
        help="Technical: the fallback chain, channel keys separated by commas.",
    )
    fallback_step = fields.Integer(
        readonly=True,
        copy=False,
        help="How many channels of the fallback chain were taken so far.",
    )
    fallback_channel = fields.Selection(
        CHANNELS,
        string="Next fallback",
        compute="_compute_fallback_channel",
        inverse="_inverse_fallback_channel",
        help="Channel of the next attempt once the attempts on this channel are used "
        "up.",
    )
    fallback_summary = fields.Char(
        string="Fallback chain", compute="_compute_fallback_channel"
    )
    is_fallback_done = fields.Boolean(
        string="Fallback channel used",
        compute="_compute_is_fallback_done",
        store=True,
        copy=False,
    )
    is_independent = fields.Boolean(
        string="Never the salesperson",
        compute="_compute_is_independent",
        store=True,
        readonly=False,
        precompute=True,
        help="Its source's salesperson may never make this visit, whoever assigns it.",
    )
    retry_date = fields.Datetime(
        string="Next attempt",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The customer was not reached: the next attempt is planned then.",
    )
    date_escalated = fields.Datetime(
        string="Escalated on",
        readonly=True,
        copy=False,
        help="When the team manager was told the visit is overdue.",
    )
    is_confirmation = fields.Boolean(
        string="Confirmation visit",
        readonly=True,
        copy=False,
        help="Asks the customer whether the complaint raised by an unsatisfied "
        "visit was resolved to their satisfaction.",
    )

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "The visit number must be unique per company.",
        ),
        (
            "deadline_after_scheduled",
            "CHECK(deadline IS NULL OR deadline >= scheduled_date)",
            "The deadline cannot be before the scheduled time.",
        ),
        (
            "round_positive",
            "CHECK(round >= 1)",
            "A visit round starts at 1.",
        ),
        (
            "max_attempts_positive",
            "CHECK(max_attempts >= 1 AND retry_delay_hours >= 0 AND fallback_step >= "
            "0)",
            "A visit has at least one attempt and a delay that is not negative.",
        ),
    ]

    def init(self):
        # Each occurrence of a rule step exists once per plan: a generation
        # run twice, or resumed after a crash, cannot duplicate a visit.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS visit_record_rule_occurrence_uniq
                ON visit_record (plan_id, rule_step_id, occurrence)
             WHERE rule_step_id IS NOT NULL
            """
        )

    def _compute_access_url(self):
        # The portal page of each visit (portal.mixin's default is "#").
        for rec in self:
            rec.access_url = f"/my/visits/{rec.id}"

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Visit Sheet %s", self.name)

    # ------------------------------------------------------------------
    # Whether a signature is needed (signing: visit_record_signature.py)
    # ------------------------------------------------------------------
    @api.depends("signature", "channel", "type_id.signature_required")
    def _compute_signature_status(self):
        for rec in self:
            rec.signature_status = rec._signature_status_of(
                bool(rec.signature), rec.channel, rec.type_id
            )

    @api.model
    def _signature_status_of(self, signed, channel, visit_type):
        if signed:
            return "signed"
        if not self.env["visit.type"]._channel_needs_signature(channel):
            return "phone_visit" if channel == "phone" else "not_required"
        return "missing" if visit_type.signature_required else "not_required"

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("partner_id", "contact_id")
    def _compute_phone(self):
        for rec in self:
            rec.phone = rec._phone_of(rec.contact_id, rec.partner_id)

    @api.model
    def _phone_of(self, contact, partner):
        return contact.visit_phone or partner.visit_phone

    @api.depends("type_id", "plan_id")
    def _compute_unreached_policy(self):
        Planner = self.env["visit.planner"]
        for rec in self:
            if rec.type_id:
                rec.update(Planner._policy(rec.type_id, rec.plan_id.rule_id))
            else:
                rec.update(
                    {
                        "max_attempts": 1,
                        "retry_delay_hours": 0,
                        "fallback_channels": False,
                    }
                )

    @api.depends("fallback_channels", "fallback_step")
    def _compute_fallback_channel(self):
        labels = dict(self._fields["channel"]._description_selection(self.env))
        for rec in self:
            chain = rec._fallback_chain()
            rec.fallback_channel = (
                chain[rec.fallback_step] if rec.fallback_step < len(chain) else False
            )
            rec.fallback_summary = " → ".join(
                labels.get(channel, channel) for channel in chain
            )

    def _inverse_fallback_channel(self):
        """The next fallback replaced; cleared, no fallback is left."""
        for rec in self:
            chain = rec._fallback_chain()
            step = rec.fallback_step
            kept = chain[:step] + (
                [rec.fallback_channel] + chain[step + 1 :]
                if rec.fallback_channel
                else []
            )
            rec.fallback_channels = ",".join(kept) or False

    @api.depends("fallback_step")
    def _compute_is_fallback_done(self):
        for rec in self:
            rec.is_fallback_done = rec.fallback_step > 0

    def _fallback_chain(self):
        self.ensure_one()
        return [
            channel for channel in (self.fallback_channels or "").split(",") if channel
        ]

    @api.depends("type_id")
    def _compute_is_independent(self):
        for rec in self:
            rec.is_independent = rec.type_id.exclude_salesperson or rec.is_independent

    @api.depends("user_id")
    def _compute_team_id(self):
        for rec in self:
            rec.team_id = rec._team_of(rec.plan_id, rec.user_id) or rec.team_id

    @api.model
    def _team_of(self, plan, user):
        return plan.rule_id.team_id or user.sale_team_id

    @api.depends("type_id")
    def _compute_channel(self):
        for rec in self:
            rec.channel = rec.type_id.default_channel or rec.channel or "phone"

    @api.model
    def _open_and_locked_of(self, state, signature_hash):
        """Whether a visit in ``state`` is open, and whether it is locked."""
        is_open = state in OPEN_STATES
        return {"is_open": is_open, "is_locked": not is_open or bool(signature_hash)}

    @api.depends("state")
    def _compute_is_open(self):
        for rec in self:
            rec.is_open = self._open_and_locked_of(rec.state, False)["is_open"]

    @api.depends("state", "signature_hash")
    def _compute_is_locked(self):
        for rec in self:
            rec.is_locked = self._open_and_locked_of(rec.state, rec.signature_hash)[
                "is_locked"
            ]

    @api.depends("deadline", "is_open")
    def _compute_is_overdue(self):
        now = fields.Datetime.now()
        for rec in self:
            rec.is_overdue = bool(rec.deadline and rec.deadline < now and rec.is_open)

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on Overdue."))
        domain = [
            ("deadline", "<", fields.Datetime.now()),
            ("state", "in", OPEN_STATES),
        ]
        if (operator == "=") == value:
            return domain
        return ["!", "&", *domain]

    @api.depends("attempt_ids")
    def _compute_attempt_count(self):
        for rec in self:
            rec.attempt_count = len(rec.attempt_ids)

    @api.depends(
        "answer_ids.value_level",
        "answer_ids.is_skipped",
        "answer_ids.question_id.aspect",
    )
    def _compute_aspects(self):
        for rec in self:
            levels = dict.fromkeys(SATISFACTION_FIELDS, False)
            for answer in rec.answer_ids:
                if answer.question_id.aspect and not answer.is_skipped:
                    levels[ASPECT_FIELDS[answer.question_id.aspect]] = (
                        answer.value_level
                    )
            rec.update(levels)

    def _inverse_aspects(self):
        """An aspect written on the visit is its item's answer: the answer
        of the type's item for it, given now if the visit has none yet."""
        labels = dict(
            self.env["visit.type.question"]
            ._fields["aspect"]
            ._description_selection(self.env)
        )
        fields_of = {fname: aspect for aspect, fname in ASPECT_FIELDS.items()}
        records = self
        if _CREATING.get():
            # New visits have no answer yet: only the aspects given count.
            records = self.filtered(
                lambda rec: any(rec[fname] for fname in SATISFACTION_FIELDS)
            )
        missing = []
        for rec in records:
            answers = {
                answer.question_id.aspect: answer
                for answer in rec.answer_ids
                if answer.question_id.aspect
            }
            for fname, aspect in fields_of.items():
                level = rec[fname] or False
                answer = answers.get(aspect)
                if answer:
                    if answer.value_level != level:
                        answer.value_level = level
                    continue
                if not level:
                    continue
                question = rec.type_id.question_ids.filtered(
                    lambda question, aspect=aspect: question.aspect == aspect
                )[:1]
                if not question:
                    raise ValidationError(
                        self.env._(
                            "%(visit)s: %(type)s does not rate the aspect "
                            "%(aspect)s; rate the items of its script, or add "
                            "that aspect to it.",
                            visit=rec.display_name,
                            type=rec.type_id.name,
                            aspect=labels[aspect],
                        )
                    )
                missing.append(
                    {
                        "record_id": rec.id,
                        "question_id": question.id,
                        "value_level": level,
                    }
                )
        # One create for the batch; as any change of an answer: on a closed
        # visit, by a manager only.
        self.env["visit.answer"].create(missing)._check_open()

    @api.depends(
        *SATISFACTION_FIELDS,
        "answer_ids.value_level",
        "answer_ids.value_rating",
        "answer_ids.value_nps",
        "answer_ids.is_skipped",
        "answer_ids.answer_kind",
        "answer_ids.question_id.counts_in_satisfaction",
        "answer_ids.question_id.aspect",
    )
    def _compute_satisfaction(self):
        empty = _EMPTY_SCRIPTS.get()
        for rec in self:
            # The script's items that count, answered and asked, on the
            # aspects' 1-4 scale (see visit.type.question._score_of); the
            # aspect items count through the visit's aspects.
            items = [
                (answer.question_id._score_of(answer), answer.value_level)
                for answer in (rec.answer_ids if rec.id not in empty else ())
                if answer.question_id.counts_in_satisfaction
                and not answer.question_id.aspect
            ]
            rec.update(
                rec._satisfaction_of(
                    (rec[fname] for fname in SATISFACTION_FIELDS),
                    [item for item in items if item[0] is not None],
                )
            )

    @api.model
    def _satisfaction_of(self, levels, items=()):
        """The satisfaction of the aspects' ``levels`` and the counted
        script ``items`` [(score on 1-4, level of a 4-level item)]."""
        levels = [level for level in levels if level]
        item_scores = [score for score, _level in items]
        scores = [SATISFACTION_SCORES[level] for level in levels] + item_scores
        return {
            "satisfaction_score": sum(scores) / len(scores) if scores else 0.0,
            "satisfaction_item_total": sum(item_scores),
            "satisfaction_item_count": len(item_scores),
            "is_rated": bool(scores),
            "is_unsatisfied": "unsatisfied" in levels
            or any(level == "unsatisfied" for _score, level in items),
        }

    @api.depends("problem_description", "is_problem_solved")
    def _compute_is_problem_open(self):
        for rec in self:
            rec.is_problem_open = bool(
                rec.problem_description and not rec.is_problem_solved
            )

    @api.model
    def _add_creation_hints(self, vals_list):
        """Also the visit's summaries.  Phone and team are editable, so not
        recomputed after the INSERT: they are computed here by the very
        functions of their computes."""
        vals_list = super()._add_creation_hints(vals_list)
        types = self.env["visit.type"].browse(
            {vals["type_id"] for vals in vals_list if vals.get("type_id")}
        )
        plans = self.env["visit.plan"].browse(
            {vals["plan_id"] for vals in vals_list if vals.get("plan_id")}
        )
        partners = self.env["res.partner"].browse(
            {
                vals[key]
                for vals in vals_list
                for key in ("partner_id", "contact_id")
                if vals.get(key)
            }
        )
        users = self.env["res.users"].browse(
            {vals["user_id"] for vals in vals_list if vals.get("user_id")}
        )
        # Read once for the batch (prefetch), then per visit from the cache.
        types.mapped("default_channel")
        plans.mapped("rule_id.team_id")
        partners.mapped("visit_phone")
        users.mapped("sale_team_id")
        for vals in vals_list:
            visit_type = types.browse(vals.get("type_id"))
            hints = {
                **self._open_and_locked_of(
                    vals.get("state") or "planned", vals.get("signature_hash")
                ),
                "is_problem_open": bool(
                    vals.get("problem_description")
                    and not vals.get("is_problem_solved")
                ),
                "phone": self._phone_of(
                    partners.browse(vals.get("contact_id")),
                    partners.browse(vals.get("partner_id")),
                ),
                "team_id": self._team_of(
                    plans.browse(vals.get("plan_id")), users.browse(vals.get("user_id"))
                ).id,
            }
            if not vals.get("attempt_ids"):
                hints["attempt_count"] = 0
            if not vals.get("answer_ids"):
                # Its answers are the script's, empty (given answers may
                # count: then computed after the INSERT).
                levels = [vals.get(fname) for fname in SATISFACTION_FIELDS]
                # The aspects not given are empty: given with the INSERT,
                # not computed after it (nothing to write to the answers of
                # a new visit, see _inverse_aspects).
                for fname in SATISFACTION_FIELDS:
                    vals.setdefault(fname, False)
                hints.update(
                    self._satisfaction_of(levels),
                    has_low_score=any(level in LOW_LEVELS for level in levels),
                )
            hints["is_fallback_done"] = bool(vals.get("fallback_step"))
            if not vals.get("signature"):
                channel = vals.get("channel") or visit_type.default_channel or "phone"
                hints["signature_status"] = self._signature_status_of(
                    False, channel, visit_type
                )
            for fname, value in hints.items():
                vals.setdefault(fname, value)
        return vals_list

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.depends(
        *SATISFACTION_FIELDS,
        "answer_ids.value_level",
        "answer_ids.value_rating",
        "answer_ids.value_nps",
        "answer_ids.is_skipped",
    )
    def _compute_has_low_score(self):
        empty = _EMPTY_SCRIPTS.get()
        for rec in self:
            rec.has_low_score = any(
                rec[fname] in LOW_LEVELS for fname in SATISFACTION_FIELDS
            ) or any(
                answer._is_low_score()
                for answer in (rec.answer_ids if rec.id not in empty else ())
            )

    @api.constrains("score_reason_ids", "type_id", "has_low_score")
    def _check_score_reasons(self):
        for rec in self.filtered("score_reason_ids"):
            if not rec.has_low_score:
                raise ValidationError(
                    self.env._(
                        "%s: a reason for a low score needs an aspect or an "
                        "item rated below satisfied; remove the reasons or "
                        "correct the rating.",
                        rec.display_name,
                    )
                )
            # A reason archived since it was given stays valid on the visit.
            offered = rec.type_id.with_context(active_test=False).score_reason_ids
            if foreign := rec.score_reason_ids - offered:
                raise ValidationError(
                    self.env._(
                        "%(visit)s: %(reasons)s is not a reason %(type)s "
                        "offers; pick one of its list.",
                        visit=rec.display_name,
                        reasons=", ".join(foreign.mapped("name")),
                        type=rec.type_id.name,
                    )
                )

    @api.constrains("deadline", "scheduled_date")
    def _check_deadline(self):
        for rec in self:
            if rec.deadline and rec.deadline < rec.scheduled_date:
                raise ValidationError(
                    self.env._(
                        "%s: the deadline cannot be before the scheduled time.",
                        rec.display_name,
                    )
                )

    @api.constrains("state", "outcome", "unreached_reason_id")
    def _check_outcome(self):
        for rec in self:
            if rec.state == "done" and rec.outcome != "reached":
                raise ValidationError(
                    self.env._(
                        "%s: a visit is done only when the customer was "
                        "reached. Record the outcome first.",
                        rec.display_name,
                    )
                )
            if rec.outcome == "not_reached" and not rec.unreached_reason_id:
                raise ValidationError(
                    self.env._(
                        "%s: say why the customer was not reached.",
                        rec.display_name,
                    )
                )
            if rec.state == "failed" and rec.outcome != "not_reached":
                raise ValidationError(
                    self.env._(
                        "%s: a failed visit needs a “not reached” outcome "
                        "with its reason.",
                        rec.display_name,
                    )
                )

    @api.constrains("outcome", *SATISFACTION_FIELDS)
    def _check_satisfaction_needs_contact(self):
        for rec in self:
            if rec.outcome == "not_reached" and any(
                rec[fname] for fname in SATISFACTION_FIELDS
            ):
                raise ValidationError(
                    self.env._(
                        "%s: the customer was not reached, so there is no "
                        "satisfaction to record.",
                        rec.display_name,
                    )
                )

    @api.constrains("partner_id", "state")
    def _check_partner_do_not_visit(self):
        for rec in self:
            partner = rec.partner_id
            if rec.state in OPEN_STATES and partner._visit_opted_out():
                raise ValidationError(
                    self.env._(
                        "%s asked not to be contacted: no visit can be "
                        "planned for this customer.",
                        partner.display_name,
                    )
                )

    @api.constrains("user_id", "is_independent", "type_id")
    def _check_assignee(self):
        """Independence and qualification hold whoever assigns the visit
        (checked when the assignee or the type changes, not when the
        scheduler moves the visit on)."""
        for rec in self.filtered(lambda rec: rec.user_id and rec.state in OPEN_STATES):
            if (
                rec.is_independent or rec.type_id.exclude_salesperson
            ) and rec.user_id == rec._salesperson():
                raise ValidationError(
                    self.env._(
                        "%(visit)s must not be made by %(user)s, the salesperson of "
                        "its "
                        "source: assign another agent.",
                        visit=rec.display_name,
                        user=rec.user_id.name,
                    )
                )
            if not rec.type_id._may_be_assigned(rec.user_id):
                raise ValidationError(
                    self.env._(
                        "%(user)s may not make %(type)s visits: only members of "
                        "“%(group)s” may.",
                        user=rec.user_id.name,
                        type=rec.type_id.name,
                        group=rec.type_id.qualified_group_id.full_name,
                    )
                )

    def _salesperson(self):
        """The salesperson (or ticket user) of the visit's source."""
        self.ensure_one()
        # sudo: the agent may not read the source (a call centre and orders).
        source = self.sudo()._get_source()
        owner = (
            self.env["visit.assignment.mixin"]._source_owner(source) if source else None
        )
        return owner.with_env(self.env) if owner else self.env["res.users"]

    @api.constrains("answer_ids", "type_id")
    def _check_answer_questions(self):
        for rec in self:
            # An earlier version of the script is the visit's as well.
            foreign = (
                rec.answer_ids.question_id
                - rec.type_id.with_context(active_test=False).question_ids
            )
            if foreign:
                raise ValidationError(
                    self.env._(
                        "%(visit)s: the questions %(questions)s do not belong "
                        "to the script of %(type)s.",
                        visit=rec.display_name,
                        questions=", ".join(foreign.mapped("name")),
                        type=rec.type_id.name,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.onchange("type_id")
    def _onchange_type_id(self):
        """Load the type's script as empty answers."""
        if self.state not in OPEN_STATES:
            return
        self.answer_ids = [Command.clear()] + [
            Command.create({"question_id": question.id})
            for question in self.type_id.question_ids
        ]

    @api.model
    def _group_expand_states(self, states, domain):
        """The kanban by state shows every column of work, empty ones too;
        the cancelled column only when the search finds cancelled visits
        (as CRM's folded lost stage stays out of the way)."""
        return [
            state
            for state, _label in self._fields["state"].selection
            if state != "cancelled"
        ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_protected_create(vals)
        # Defaults first: plans and numbers are derived from complete values
        # (asked once for the batch, see visit.batch.defaults.mixin).
        merged, vals_list = self._with_batch_defaults(vals_list)
        for vals in vals_list:
            vals.setdefault(
                "due_date", vals.get("scheduled_date") or fields.Datetime.now()
            )
        types = self.env["visit.type"].browse(
            {vals["type_id"] for vals in vals_list if vals.get("type_id")}
        )
        types_by_id = {visit_type.id: visit_type for visit_type in types}
        self._assign_numbers(vals_list)
        scripted = [bool(vals.get("answer_ids")) for vals in vals_list]
        self._create_plans(vals_list, types_by_id)
        token = _CREATING.set(True)
        try:
            records = super(VisitRecord, merged).create(vals_list).with_env(self.env)
        finally:
            _CREATING.reset(token)
        # Answers given with the visit are its script (an import of past
        # visits); the others get the script's items, empty.
        empty = records.browse(
            rec.id for rec, given in zip(records, scripted, strict=True) if not given
        )
        empty._create_script_answers()
        # Their summaries are their aspects' (given at the INSERT, see
        # _add_creation_hints): computed now without reading the empty
        # answers back (a generated batch has 35,000).
        token = _EMPTY_SCRIPTS.set(frozenset(empty.ids))
        try:
            empty._recompute_recordset(ANSWER_SUMMARIES)
        finally:
            _EMPTY_SCRIPTS.reset(token)
        if not self.env.context.get("visit_skip_activities"):
            # Imports of past visits pass visit_skip_activities: no to-do.
            records._schedule_visit_activities()
        return records

    def _create_script_answers(self):
        """Load the script of the visits' types as empty answers.

        One INSERT for the whole batch: the Generate cron creates seven
        answers per visit (three items and the four aspects), 35,000 per
        batch, and an empty answer has nothing for the ORM to compute or
        check (its company and sequence are copied here, the visits are new,
        so not signed).
        """
        if not self:
            return
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO visit_answer (record_id, question_id, company_id, sequence,
                                          answer_kind, is_skipped,
                                          create_uid, create_date,
                                          write_uid, write_date)
                SELECT rec.id, question.id, rec.company_id, question.sequence,
                       question.answer_kind, FALSE,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM visit_record rec
                  JOIN visit_type_question question ON question.type_id = rec.type_id
                 WHERE rec.id = ANY(%(ids)s)
                   AND question.active
              ORDER BY rec.id, question.sequence, question.id
                -- An aspect given on creation is answered already.
           ON CONFLICT (record_id, question_id) DO NOTHING
                """,
                uid=self.env.uid,
                now=self.env.cr.now(),
                ids=self.ids,
            )
        )
        self.invalidate_recordset(["answer_ids"])

    def _assign_numbers(self, vals_list):
        """Number new visits: one query per company for a whole batch."""
        todo = defaultdict(list)
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                todo[vals.get("company_id") or self.env.company.id].append(vals)
        for company_id, group in todo.items():
            # The number's year and month are those of the company's day.
            tz = self.env["res.company"].browse(company_id)._visit_tz()

            def local_day(vals, tz=tz):
                moment = fields.Datetime.to_datetime(
                    vals.get("scheduled_date") or fields.Datetime.now()
                )
                return pytz.utc.localize(moment).astimezone(tz).date()

            Sequence = self.env["ir.sequence"].with_company(company_id)
            sequence = Sequence.search(
                [
                    ("code", "=", "visit.record"),
                    ("company_id", "in", [company_id, False]),
                ],
                order="company_id",
                limit=1,
            )
            if not sequence:
                continue  # no numbering for this company: the visits keep "/"
            names = sequence._visit_next_batch([local_day(vals) for vals in group])
            for vals, name in zip(group, names, strict=True):
                vals["name"] = name or "/"

    def _create_plans(self, vals_list, types_by_id):
        """Give every planless visit its own plan (one partner, one source)."""
        planless = [vals for vals in vals_list if not vals.get("plan_id")]
        if not planless:
            return
        plans = self.env["visit.plan"].create(
            [
                {
                    "partner_id": vals.get("partner_id"),
                    "company_id": vals.get("company_id"),
                    "user_id": vals.get("user_id"),
                    "type_id": vals.get("type_id"),
                    "channel": vals.get("channel")
                    or types_by_id.get(
                        vals.get("type_id"), self.env["visit.type"]
                    ).default_channel,
                    "sale_order_id": vals.get("sale_order_id"),
                    "ticket_id": vals.get("ticket_id"),
                    "source_ref": vals.get("source_ref"),
                    # Hint (see visit.plan's _add_creation_hints).
                    "next_date": vals.get("scheduled_date")
                    if vals.get("state", "planned") in OPEN_STATES
                    else False,
                }
                for vals in planless
            ]
        )
        for vals, plan in zip(planless, plans, strict=True):
            vals["plan_id"] = plan.id

    @api.model
    def default_get(self, fields_list):
        """Defaults never fill protected fields for a user (``default_*``
        context keys are the caller's to choose)."""
        values = super().default_get(fields_list)
        if not is_addon_write(self.env):
            for fname in CREATE_PROTECTED_FIELDS.intersection(values):
                del values[fname]
            if values.get("state") not in (None, *OPEN_STATES):
                values["state"] = "planned"
        return values

    @api.model
    def _check_protected_create(self, vals):
        """A visit created by hand starts open, unreviewed and unsigned, in a
        plan its creator may read."""
        if vals.get("plan_id") and not is_addon_write(self.env):
            self.env["visit.plan"].browse(vals["plan_id"]).check_access("read")
        refused = refused_fields(self.browse(), vals, CREATE_PROTECTED_FIELDS)
        if vals.get("state") and vals["state"] not in OPEN_STATES:
            refused = refused_fields(self.browse(), vals, {"state"}) | refused
        if refused:
            raise AccessError(
                self.env._(
                    "A new visit starts open, unreviewed and unsigned: "
                    "%(fields)s cannot be given when it is created.",
                    fields=field_labels(self, refused),
                )
            )

    def _check_protected_write(self, vals):
        """Refuse a direct write of fields only the addon's actions write
        (a signature drawn in the back office stores its date when signed,
        see visit_record_signature)."""
        protected = PROTECTED_FIELDS
        if vals.get("signature"):
            protected = protected - {"signed_on"}
        refused = refused_fields(
            self,
            vals,
            protected,
            MANAGER_CORRECTABLE_FIELDS,
            "customer_visit.group_visit_manager",
        )
        if refused:
            raise AccessError(
                self.env._(
                    "%(fields)s of a visit change only through its buttons, "
                    "wizards and jobs, not by a direct write.",
                    fields=field_labels(self, refused),
                )
            )

    def _check_signed_content_kept(self, vals):
        """What the customer signed never changes, whoever writes."""
        signed = (
            self.filtered("signature_hash") if SIGNED_FIELDS.intersection(vals) else ()
        )
        if signed:
            raise UserError(
                self.env._(
                    "%s is signed: its signed content can no longer be changed, "
                    "by anyone. Record a correction in a new round.",
                    ", ".join(signed.mapped("name")),
                )
            )

    def write(self, vals):
        self._check_protected_write(vals)
        # A manager's correction by hand (outside the addon's actions) is
        # noted on each visit, whatever the tracking context.
        corrected = (
            {rec: rec.due_date for rec in self if rec.due_date != vals["due_date"]}
            if "due_date" in vals and not is_addon_write(self.env)
            else {}
        )
        self._check_signed_content_kept(vals)
        if "deadline" in vals and "date_escalated" not in vals:
            vals = dict(vals, date_escalated=False)
        if "scheduled_date" in vals and "due_date" not in vals:
            # Rescheduled before anyone tried: owed from the new time. After
            # an attempt (a retry, a callback time) it stays owed from the
            # first due time, in the report that counted it.
            untried = self.filtered(lambda rec: not rec.attempt_count)
            if not is_addon_write(self.env) and not self.env.user.has_group(
                "customer_visit.group_visit_manager"
            ):
                # An agent's reschedule keeps the visit owed from when it
                # was due (it cannot leave the period's figures that way).
                untried = self.browse()
            if untried and untried != self:
                super(VisitRecord, untried).write({"due_date": vals["scheduled_date"]})
            elif untried:
                vals = dict(vals, due_date=vals["scheduled_date"])
        if "user_id" in vals:
            activities = self._visit_activities()
            if vals["user_id"]:
                activities.write({"user_id": vals["user_id"]})
        res = super().write(vals)
        for rec, old_due in corrected.items():
            rec._message_log(
                body=self.env._(
                    "Due date corrected by %(user)s: %(old)s → %(new)s (UTC).",
                    user=self.env.user.name,
                    old=fields.Datetime.to_string(old_due) or "—",
                    new=fields.Datetime.to_string(rec.due_date) or "—",
                )
            )
        if "user_id" in vals:
            self.filtered(
                lambda rec: (
                    rec.state in OPEN_STATES
                    and rec.user_id
                    and not rec._visit_activities()
                )
            )._schedule_visit_activities()
        return res

    def _message_update_content(self, message, body, *args, **kwargs):
        """A visit's chatter is its history: its messages are not edited."""
        if not self.env.su:
            raise UserError(
                self.env._(
                    "The messages of a follow-up visit are its history: they "
                    "cannot be edited."
                )
            )
        return super()._message_update_content(message, body, *args, **kwargs)

    def unlink(self):
        # A plan whose last visit is deleted would stay open forever, owing
        # nothing: it is closed as cancelled (see visit.plan).
        plans = self.plan_id
        res = super().unlink()
        plans._cancel_emptied()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_closed(self):
        self._check_not_signed("delete")
        if closed := self.filtered(lambda rec: rec.state in ("done", "failed")):
            raise UserError(
                self.env._(
                    "Closed visits are part of the ledger and cannot be "
                    "deleted: %s. Cancel open visits instead.",
                    ", ".join(closed.mapped("name")),
                )
            )

    # ------------------------------------------------------------------
    # Activities
    # ------------------------------------------------------------------
    def _activity_type(self, xmlid):
        """A shipped to-do type, by Odoo's cached xml id lookup (``env.ref``
        checks that the record exists: a query per visit of a batch)."""
        return self.env["mail.activity.type"].browse(
            self.env["ir.model.data"]._xmlid_to_res_id(xmlid, raise_if_not_found=False)
        )

    def _visit_activity_type(self):
        return self._activity_type("customer_visit.mail_activity_type_visit")

    def _visit_activities(self):
        activity_type = self._visit_activity_type()
        return self.activity_ids.filtered(
            lambda act: act.activity_type_id == activity_type
        )

    def _escalation_activities(self):
        activity_type = self._activity_type(
            "customer_visit.mail_activity_type_visit_overdue"
        )
        return self.activity_ids.filtered(
            lambda act: act.activity_type_id == activity_type
        )

    def _assignee_tz(self, user=None):
        """The zone of a to-do's assignee (``user``, else the visit's agent):
        the one mail.activity reads to say "today" to them."""
        self.ensure_one()
        user = user or self.user_id
        return user.tz or self.env.context.get("tz") or self.env.user.tz or "UTC"

    def _assignee_day(self, when, user=None):
        """The assignee's local day of ``when`` (naive UTC): the day of
        their to-do, whoever schedules it (the agent, a job, the customer on
        the portal, an escalation to a manager)."""
        tz = pytz.timezone(self._assignee_tz(user))
        return pytz.utc.localize(when).astimezone(tz).date()

    def _schedule_visit_activities(self):
        """Put one to-do per open visit in its assignee's activities."""
        activity_type = self._visit_activity_type()
        todo = self.filtered(lambda rec: rec.state in OPEN_STATES and rec.user_id)
        if not activity_type or not todo:
            return self.env["mail.activity"]
        model_id = self.env["ir.model"]._get_id(self._name)
        # mail.activity computes its res_name visit by visit (one browse per
        # activity): compute the names of the batch at once beforehand.
        todo.mapped("display_name")
        # mail_activity_quick_update: no "you have been assigned" e-mail per
        # visit (a batch of 10,000 would send 10,000); the assignee sees the
        # visits in My Visits and in the activity menu.
        return (
            self.env["mail.activity"]
            # sudo: an agent may schedule a visit for a colleague; the activity
            # belongs to that colleague, whom the agent cannot write for.
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(
                [
                    {
                        "res_model_id": model_id,
                        # Given rather than computed per activity: batches are big.
                        "res_model": self._name,
                        "res_name": rec.name,
                        "res_id": rec.id,
                        "activity_type_id": activity_type.id,
                        "user_id": rec.user_id.id,
                        # Due on the assignee's local day of the visit.
                        "date_deadline": rec._assignee_day(rec.scheduled_date),
                        # The customer's name only: a summary is stored, and
                        # read in every agent's language (the type says the rest).
                        "summary": rec.partner_id.name,
                        # Hints of the stored computes (see _add_creation_hints).
                        "date_done": False,
                        "user_tz": rec.user_id.tz,
                    }
                    for rec in todo
                ]
            )
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _check_open(self):
        if closed := self.filtered(lambda rec: rec.state not in OPEN_STATES):
            raise UserError(
                self.env._(
                    "These visits are already closed: %s.",
                    ", ".join(closed.mapped("name")),
                )
            )

    @addon_action
    def action_start(self):
        self._check_open()
        self.write({"state": "in_progress"})
        return True

    @addon_action
    def action_done(self):
        """Close the visits with their recorded outcome.

        Reached visits become done; unreached ones follow their reason and
        their policy: another attempt, the next fallback channel, a callback
        at the time the customer gave, or failed.  Each close is logged as
        an attempt and closes the assignee's activity.
        """
        self._check_open()
        if missing := self.filtered(lambda rec: not rec.outcome):
            raise UserError(
                self.env._(
                    "Record the outcome (reached or not) of %s before closing.",
                    ", ".join(missing.mapped("name")),
                )
            )
        self._check_can_close()
        for rec in self:
            missing_answers = rec.answer_ids.filtered(
                lambda ans: (
                    ans.question_id.is_required
                    and not ans.is_skipped
                    and not ans._has_value()
                )
            )
            if rec.outcome == "reached" and missing_answers:
                raise UserError(
                    self.env._(
                        "%(visit)s: answer the required questions first: %(q)s",
                        visit=rec.name,
                        q=", ".join(missing_answers.mapped("question")),
                    )
                )
        self.filtered(lambda rec: rec.outcome == "reached")._check_compliance()
        if unsigned := self.filtered(
            lambda rec: rec.outcome == "reached" and rec.signature_status == "missing"
        ):
            raise UserError(
                self.env._(
                    "%s: an on-site visit of this type is valid only with the "
                    "customer's signature. Let the customer sign first.",
                    ", ".join(unsigned.mapped("name")),
                )
            )
        unreached = self.filtered(lambda rec: rec.outcome == "not_reached")
        if undated := unreached.filtered(
            lambda rec: (
                not rec.callback_date
                and rec.unreached_reason_id.behaviour == "callback"
            )
        ):
            raise UserError(
                self.env._(
                    "%s: say when the customer asked to be called back.",
                    ", ".join(undated.mapped("name")),
                )
            )
        self._log_attempts()
        now = fields.Datetime.now()
        callbacks = unreached.filtered(
            lambda rec: (
                rec.callback_date and rec.unreached_reason_id.behaviour == "callback"
            )
        )
        callbacks._call_back_later()
        waiting = (unreached - callbacks).filtered(lambda rec: rec._next_try())
        for rec in waiting:
            # Falling back at once (no number for this channel) or after the delay.
            delay = (
                0
                if rec.unreached_reason_id.behaviour == "fallback"
                else rec.retry_delay_hours
            )
            rec.write(
                {"state": "in_progress", "retry_date": now + timedelta(hours=delay)}
            )
        # Not "<type> done" either: the to-do comes back with the attempt.
        waiting._visit_activities().unlink()
        waiting._message_log_batch(
            bodies={
                rec.id: self.env._(
                    "Not reached (%(reason)s): another attempt is planned.",
                    reason=rec.unreached_reason_id.name,
                )
                for rec in waiting
            }
        )
        closing = self - waiting - callbacks
        for outcome, state in (("reached", "done"), ("not_reached", "failed")):
            closing.filtered(lambda rec, o=outcome: rec.outcome == o).write(
                {"state": state, "date_done": now}
            )
        failed = closing.filtered(lambda rec: rec.state == "failed")
        failed._close_failed_activities()
        closing -= failed
        (
            closing._visit_activities() | closing._escalation_activities()
        ).action_feedback(
            # The note of who closed it (the portal's answer), else this.
            # The note of who closed it (the portal's answer), else none:
            # core's message prints a "Feedback:" title for any text.
            feedback=self.env.context.get("visit_close_feedback") or False
        )
        done = closing.filtered(lambda rec: rec.state == "done")
        done._after_done()
        done.filtered("type_id.review_required").write(
            {"review_state": "to_review", "reviewer_id": False, "review_date": False}
        )
        # A reached round that raises nothing new answers the previous round.
        done.filtered(lambda rec: not rec.is_problem_open).previous_record_id.filtered(
            "is_problem_open"
        ).write({"is_problem_solved": True})
        return True

    def _after_done(self):
        """Hook: these visits were just closed as reached (the complaint
        loop opens its tickets here, see visit_record_helpdesk)."""

    def _check_can_close(self):
        """Only members of a type's qualification group close its visits
        (the customer on the portal and the scheduler run as superuser)."""
        if self.env.su:
            return
        if refused := self.filtered(
            lambda rec: not rec.type_id._may_be_assigned(self.env.user)
        ):
            raise UserError(
                self.env._(
                    "Only members of “%(group)s” may close %(visits)s.",
                    group=refused[:1].type_id.qualified_group_id.full_name,
                    visits=", ".join(refused.mapped("name")),
                )
            )

    def _check_compliance(self):
        """What a compliance callback needs before it counts as reached."""
        for rec in self:
            visit_type = rec.type_id
            if visit_type.identity_required and not rec.identity_confirmed:
                raise UserError(
                    self.env._(
                        "%s: confirm the customer's identity before closing the visit.",
                        rec.name,
                    )
                )
            if (
                visit_type.recording_required
                and rec.channel == "phone"
                and not rec.recording_ref
            ):
                raise UserError(
                    self.env._(
                        "%s: give the reference of the call recording before closing.",
                        rec.name,
                    )
                )
            if (
                visit_type.customer_only
                and rec.answered_by_id
                and rec.answered_by_id != rec.partner_id
            ):
                raise UserError(
                    self.env._(
                        "%(visit)s: only %(customer)s may answer this visit, not "
                        "%(other)s. "
                        "Log it as not reached, reason “not the right person”.",
                        visit=rec.name,
                        customer=rec.partner_id.name,
                        other=rec.answered_by_id.name,
                    )
                )
            if (
                visit_type.reason_required
                and not (rec.opinion or "").strip()
                and any(
                    rec[fname] and rec[fname] != "satisfied"
                    for fname in SATISFACTION_FIELDS
                )
            ):
                raise UserError(
                    self.env._(
                        "%s: the customer is less than satisfied: write their reason "
                        "in the opinion.",
                        rec.name,
                    )
                )

    def _close_failed_activities(self):
        """The to-dos of failed visits go, and the chatter says the visit
        failed: marked done, an activity would log "<type> done" for a
        visit nobody reached."""
        (self._visit_activities() | self._escalation_activities()).unlink()
        bodies = {}
        for rec in self:
            reason = rec.unreached_reason_id.name or self.env._("no reason given")
            bodies[rec.id] = (
                self.env._(
                    "Visit failed: not reached (%(reason)s) after 1 attempt.",
                    reason=reason,
                )
                if rec.attempt_count == 1
                else self.env._(
                    "Visit failed: not reached (%(reason)s) after %(count)s attempts.",
                    reason=reason,
                    count=rec.attempt_count,
                )
            )
        self._message_log_batch(bodies=bodies)

    def _call_back_later(self):
        """The customer asked to be called at a given time: the next
        attempt is placed then, and uses up no attempt."""
        for rec in self:
            when = rec.callback_date
            rec.write(
                {
                    "state": "planned",
                    "outcome": False,
                    "unreached_reason_id": False,
                    "scheduled_date": when,
                    "deadline": max(rec.deadline, when) if rec.deadline else False,
                    "callback_date": False,
                }
            )
            rec._visit_activities().write({"date_deadline": rec._assignee_day(when)})
            rec.message_post(
                body=self.env._(
                    "The customer asked to be called back on %s.",
                    labelled_time(self.env, when, rec._assignee_tz()),
                )
            )

    def action_open_outcome_wizard(self):
        """Open the outcome wizard on this visit."""
        self.ensure_one()
        self._check_open()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Outcome"),
            "res_model": "visit.outcome.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_record_id": self.id},
        }

    def action_open_review_wizard(self):
        if self.filtered(lambda rec: rec.review_state != "to_review"):
            raise UserError(
                self.env._("Only visits waiting for review can be reviewed.")
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Review Visits"),
            "res_model": "visit.review.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_record_ids": self.ids},
        }

    @addon_action
    def _review(self, approve, comment):
        """Approve the visits, or send them back to their agent."""
        if not self.env.user.has_group("customer_visit.group_visit_manager"):
            raise UserError(self.env._("Only visit managers can review visits."))
        if self.filtered(lambda rec: rec.review_state != "to_review"):
            raise UserError(
                self.env._("Only visits waiting for review can be reviewed.")
            )
        comment = (comment or "").strip()
        values = {
            "reviewer_id": self.env.uid,
            "review_date": fields.Datetime.now(),
            "review_comment": comment or False,
        }
        if approve:
            self.write(dict(values, review_state="approved"))
            return True
        if not comment:
            raise UserError(
                self.env._("Say what the agent must redo before sending a visit back.")
            )
        self._check_not_signed("reopen")
        self.write(
            dict(values, review_state="sent_back", state="in_progress", date_done=False)
        )
        self._schedule_visit_activities()
        return True

    def _log_attempts(self):
        self.env["visit.attempt"].create(
            [
                {
                    "record_id": rec.id,
                    "channel": rec.channel,
                    "result": "reached" if rec.outcome == "reached" else "not_reached",
                    # A reached visit's leftover reason is not its attempt's.
                    "reason_id": (
                        rec.outcome != "reached" and rec.unreached_reason_id.id
                    ),
                }
                for rec in self
            ]
        )

    def _check_not_signed(self, action):
        """A signed sheet is the legal record: it is never cancelled,
        reopened or deleted (``action``: cancel, reopen or delete)."""
        if signed := self.filtered("signature_hash"):
            names = ", ".join(signed.mapped("name"))
            messages = {
                "cancel": self.env._(
                    "%s is signed by the customer: it cannot be cancelled.", names
                ),
                "reopen": self.env._(
                    "%s is signed by the customer: it cannot be reopened.", names
                ),
                "delete": self.env._(
                    "%s is signed by the customer: it cannot be deleted.", names
                ),
            }
            raise UserError(messages[action])

    def _do_cancel(self):
        self._check_not_signed("cancel")
        self._visit_activities().unlink()
        self.write({"state": "cancelled", "date_done": fields.Datetime.now()})

    def _log_not_reached(self, reason_xmlid, note, **values):
        """One attempt not reached per visit, for a shipped reason; return
        the reason's id."""
        reason = self.env["ir.model.data"]._xmlid_to_res_id(
            f"customer_visit.{reason_xmlid}", raise_if_not_found=True
        )
        self.env["visit.attempt"].create(
            [
                {
                    "record_id": rec.id,
                    "channel": rec.channel,
                    "result": "not_reached",
                    "reason_id": reason,
                    "note": note,
                    **values,
                }
                for rec in self
            ]
        )
        return reason

    def _close_refused(self):
        """A mandatory callback the customer opted out of: not reached,
        refused, the wish recorded; it still counts as owed."""
        now = fields.Datetime.now()
        refused = self._log_not_reached(
            "visit_unreached_reason_refused", self.env._("Asked not to be contacted")
        )
        self.write(
            {
                "outcome": "not_reached",
                "unreached_reason_id": refused,
                "state": "failed",
                "retry_date": False,
                "date_done": now,
            }
        )
        # Not "<type> done": the body below says how the visit closed.
        (self._visit_activities() | self._escalation_activities()).unlink()
        body = self.env._(
            "Mandatory callback: the customer asked not to be contacted. Closed as "
            "not reached (refused), the customer's wish recorded."
        )
        self._message_log_batch(bodies=dict.fromkeys(self.ids, body))

    @addon_action
    def action_cancel(self):
        self._check_open()
        self._do_cancel()
        return True

    @addon_action
    def action_reset(self):
        """Reopen a failed or cancelled visit (managers only)."""
        if not self.env.user.has_group("customer_visit.group_visit_manager"):
            raise UserError(self.env._("Only visit managers can reopen visits."))
        if self.filtered(lambda rec: rec.state not in ("failed", "cancelled")):
            raise UserError(
                self.env._("Only failed or cancelled visits can be reopened.")
            )
        self._check_not_signed("reopen")
        self.write(
            {
                "state": "planned",
                "outcome": False,
                "unreached_reason_id": False,
                "date_done": False,
            }
        )
        self._schedule_visit_activities()
        return True

    # ------------------------------------------------------------------
    # Scheduling: retries, escalation, contact pressure, closed loop
    # ------------------------------------------------------------------
    def _next_try(self):
        """What follows an unreached attempt: 'retry', 'fallback' or False.

        The reason decides first (a void number ends the visit, no number
        falls back at once); then the attempts left on the visit's channel,
        then the fallback chain, one attempt per channel.
        """
        self.ensure_one()
        behaviour = (
            self.unreached_reason_id.behaviour or "retry"
            if self.outcome == "not_reached"
            else "retry"
        )
        if behaviour == "end":
            return False
        if behaviour != "fallback" and not self.fallback_step:
            tries = len(
                self.attempt_ids.filtered(
                    lambda attempt: (
                        attempt.channel == self.channel
                        and attempt.reason_id.behaviour != "callback"
                    )
                )
            )
            if tries < self.max_attempts:
                return "retry"
        if self.fallback_step < len(self._fallback_chain()):
            return "fallback"
        return False

    def _placed_now(self, calendars=None):
        """Now, or when calling hours start next: nothing is due at night.

        ``calendars`` ({calendar id: WorkCalendar}) is filled and reused
        when many visits are placed at once.
        """
        self.ensure_one()
        now = fields.Datetime.now().replace(microsecond=0)
        return self.env["visit.planner"]._place(self._visit_calendar(), now, calendars)

    @api.model
    @addon_action
    def _cron_retry(self, batch_size=RETRY_BATCH):
        """Scheduled action *Retry*: unreached visits whose delay is over get
        their next attempt, or the next channel of their fallback chain.

        Odoo's batched cron protocol: one batch per call, its progress
        notified; the cron runner commits and calls again while some remain.
        """
        domain = [
            ("state", "=", "in_progress"),
            ("retry_date", "<=", fields.Datetime.now()),
        ]
        due = self.search(domain, limit=batch_size, order="retry_date, id")
        calendars = {}
        groups = defaultdict(lambda: self.browse())  # values -> visits
        bodies = {}
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for rec in due:
            follow_up = rec._next_try()
            if not follow_up:
                # The policy changed since: nothing left to try.
                groups[
                    (
                        ("state", "failed"),
                        ("retry_date", False),
                        ("date_done", fields.Datetime.now()),
                    )
                ] |= rec
                continue
            scheduled = rec._placed_now(calendars)
            values = {
                "state": "planned",
                "outcome": False,
                "unreached_reason_id": False,
                "retry_date": False,
                "scheduled_date": scheduled,
            }
            if follow_up == "fallback":
                values.update(
                    channel=rec._fallback_chain()[rec.fallback_step],
                    fallback_step=rec.fallback_step + 1,
                )
                bodies[rec.id] = (
                    self.env._(
                        "Not reached after %(count)s attempts: next attempt by "
                        "%(channel)s.",
                        count=rec.attempt_count,
                        channel=channels.get(values["channel"]),
                    )
                    if rec.attempt_count != 1
                    else self.env._(
                        "Not reached after 1 attempt: next attempt by %(channel)s.",
                        channel=channels.get(values["channel"]),
                    )
                )
            else:
                bodies[rec.id] = self.env._(
                    "Attempt %(number)s, by %(channel)s.",
                    number=rec.attempt_count + 1,
                    channel=channels.get(rec.channel),
                )
            if rec.deadline and rec.deadline < scheduled:
                values["deadline"] = scheduled
            groups[tuple(sorted(values.items()))] |= rec
        for values, visits in groups.items():
            visits.write(dict(values))
        due.filtered(lambda rec: rec.state == "failed")._close_failed_activities()
        if bodies:
            due.browse(list(bodies))._message_log_batch(bodies=bodies)
        due.filtered(lambda rec: rec.state == "planned")._schedule_visit_activities()
        remaining = self.search_count(domain) if len(due) == batch_size else 0
        self.env["ir.cron"]._notify_progress(done=len(due), remaining=remaining)
        return due

    @api.model
    @addon_action
    def _cron_escalate(self):
        """Scheduled action *Escalate*: tell the team manager (or the rule's
        escalation user) of every visit past its deadline, once."""
        overdue = self.search(
            [
                ("state", "in", OPEN_STATES),
                ("deadline", "<", fields.Datetime.now()),
                ("date_escalated", "=", False),
            ]
        )
        if not overdue:
            return overdue
        activity_type = self.env.ref("customer_visit.mail_activity_type_visit_overdue")
        model_id = self.env["ir.model"]._get_id(self._name)
        values = []
        for rec in overdue:
            manager = rec.plan_id.rule_id.escalation_user_id or rec.team_id.user_id
            if manager and manager.active:
                values.append(
                    {
                        "res_model_id": model_id,
                        "res_id": rec.id,
                        "activity_type_id": activity_type.id,
                        "user_id": manager.id,
                        # Today for the manager (the day their to-do list reads).
                        "date_deadline": rec._assignee_day(
                            fields.Datetime.now(), user=manager
                        ),
                        # Stored: in the manager's language, who reads it.
                        "summary": self.with_context(lang=manager.lang).env._(
                            "Overdue: %(visit)s (%(agent)s)",
                            visit=rec.name,
                            agent=rec.user_id.name or "-",
                        ),
                    }
                )
            else:
                _logger.info(
                    "Overdue visit %s has no team manager to escalate to", rec.name
                )
        # sudo: the activity belongs to the manager, whom the cron user or
        # the agent cannot write for.
        self.env["mail.activity"].sudo().with_context(
            mail_activity_quick_update=True
        ).create(values)
        overdue.write({"date_escalated": fields.Datetime.now()})
        return overdue

    def _visit_calendar(self):
        """Calling hours: the rule's calendar, else the type's, else the company's."""
        self.ensure_one()
        return self.env["visit.planner"]._calendar(
            self.type_id, self.plan_id.rule_id, self.company_id
        )

    def _calling_hours_zone(self):
        """The zone the calling hours are written in (their calendar's)."""
        self.ensure_one()
        calendar = self._visit_calendar()
        return (calendar.tz or "UTC") if calendar else ""

    def action_export_ledger(self):
        """Download the ledger (回访台帐) of the selected visits as xlsx."""
        if not self:
            raise UserError(self.env._("Select the visits to export first."))
        # The ledger's xlsx report (OCA report_xlsx), as mailed monthly; an
        # xlsx has no document layout for an admin to configure first.
        report = self.env.ref("customer_visit.visit_record_report_ledger")
        return report.report_action(self, config=False)

    def action_open_plan(self):
        self.ensure_one()
        return self.plan_id._get_form_action()

    def action_open_source(self):
        self.ensure_one()
        source = self._get_source()
        if not source:
            raise UserError(
                self.env._("The source document %s no longer exists.", self.source_name)
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": source._name,
            "res_id": source.id,
            "view_mode": "form",
        }
