import contextvars
import re

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .const import ASPECTS, CHANNELS, CHANNELS_NEEDING_SIGNATURE
from .visit_planner import SERVED_PATH_FIELDS
from .visit_portal_fields import employee_only_fields
from .visit_type_question import ASPECT_ITEM_NAMES, ASPECT_ITEM_SEQUENCE

OPINION_CATEGORIES = [
    ("product", "Product quality"),
    ("service", "Service quality"),
    ("suggestion", "Suggestion"),
    ("other", "Other"),
]
# Set while a type is duplicated: its copy has the script it is copied
# with, aspects or not (a flag of the running code, no RPC call passes it).
_COPYING = contextvars.ContextVar("customer_visit_type_copy", default=False)
# A served path of a type: field names joined by dots.
SERVED_PATH_SYNTAX = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
# Scripts longer than this tire the customer (domain: "about five questions").
SCRIPT_ADVISED_LENGTH = 5
# What a portal user may read of a type (the rest is configuration).
PORTAL_READABLE_FIELDS = {
    "id",
    "display_name",
    "name",
    "description",
    # Flags the back office's form tests in its modifiers.
    "active",
    "is_script_long",
}


class VisitType(models.Model):
    """A kind of follow-up (回访类型): complaint, repair, after-sale...

    Besides its script, a type carries the policy its visits follow
    wherever they come from (a rule may override the unreached policy):
    attempts and fallback channels, calling hours, compliance checks, who
    may do them, and the complaint loop.
    """

    _name = "visit.type"
    _description = "Visit Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        help="Short technical code, used by rules and integrations.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    description = fields.Text(translate=True)
    default_channel = fields.Selection(CHANNELS, required=True, default="phone")
    signature_required = fields.Boolean(
        help="Visits of this type met in person or answered on a form "
        "(on-site, meeting, questionnaire) are valid only with the "
        "customer's signature.",
    )
    review_required = fields.Boolean(
        help="Done visits of this type wait for a supervisor's review.",
    )
    question_ids = fields.One2many(
        "visit.type.question", "type_id", string="Script", copy=True
    )
    question_count = fields.Integer(compute="_compute_question_count")
    is_script_long = fields.Boolean(compute="_compute_question_count")
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty to share this type between companies.",
    )
    # Unreached policy
    max_attempts = fields.Integer(
        default=1,
        help="Attempts on the visit's channel before falling back or giving up.",
    )
    retry_delay_hours = fields.Integer(
        string="Delay between attempts (hours)", default=4
    )
    fallback_ids = fields.One2many(
        "visit.fallback.step",
        "type_id",
        string="Then try",
        copy=True,
        help="Channels tried one attempt each, in order, once the attempts on "
        "the visit's channel are used up (phone → on-site → letter).",
    )
    calendar_id = fields.Many2one(
        "resource.calendar",
        string="Calling hours",
        help="Working days and calling hours of its visits, unless their rule "
        "names its own; the company's calendar when empty.",
    )
    # Compliance
    identity_required = fields.Boolean(
        string="Identity confirmed required",
        help="A reached visit closes only once the customer's identity is confirmed.",
    )
    link_confirms_identity = fields.Boolean(
        string="The link confirms identity",
        help="A customer who answers on the portal with the visit's link, "
        "without signing in, counts as identified. Off, a visit that needs "
        "the identity confirmed is answered online only by the customer "
        "signed in to the portal, else by a call.",
    )
    recording_required = fields.Boolean(
        string="Recording required",
        help="A reached phone visit closes only with the call recording's reference.",
    )
    customer_only = fields.Boolean(
        string="Only the customer may answer",
        help="Reached means the customer themself answered, not another "
        "contact of their company (insurance: only the policyholder).",
    )
    reason_required = fields.Boolean(
        string="Reason for less than satisfied",
        help="A visit where any aspect is rated below “satisfied” closes only "
        "with the customer's reason in the opinion.",
    )
    is_mandatory = fields.Boolean(
        string="Mandatory callback",
        help="Required by a regulator: when the customer opts out, open visits "
        "are not cancelled but close as not reached (refused), so that the "
        "callback rate shows them.",
    )
    # Who
    exclude_salesperson = fields.Boolean(
        string="Never the salesperson",
        help="Its visits are never made by the salesperson of their source, "
        "whoever plans or reassigns them.",
    )
    qualified_group_id = fields.Many2one(
        "res.groups",
        string="Only members of",
        help="Only members of this group may be assigned its visits and close "
        "them (licensed callers, nurses).",
    )
    # Served: defaults a rule or a batch of this type proposes (the type is
    # not bound to one kind of source, so each rule checks them on its own).
    served_by_path = fields.Char(
        string="Served by",
        help="Proposed to a new rule or batch of this type when it names no "
        "served person and the records it applies to have this field (for "
        "instance user_id, or team_id.user_id): the rule keeps its own copy.",
    )
    served_department_path = fields.Char(
        string="Department served",
        help="Proposed to a new rule or batch of this type when it names no "
        "department and the records it applies to have this field (for "
        "instance department_id).",
    )
    served_product_path = fields.Char(
        string="Product served",
        help="Proposed to a new rule or batch of this type when it names no "
        "product and the records it applies to have this field (for "
        "instance product_id).",
    )
    merge_other_types = fields.Boolean(
        string="May be merged into other visits",
        default=True,
        help="Under the company's contact interval, a visit of this type may be "
        "answered by an open visit of another type. Never for complaint callbacks.",
    )
    # Complaint loop
    complaint_team_id = fields.Many2one(
        "helpdesk.ticket.team",
        string="Team for dissatisfaction",
        help="An unsatisfied customer gets a helpdesk ticket for this team; "
        "when it is closed, the customer is visited again to confirm.",
    )
    complaint_team_ids = fields.One2many(
        "visit.type.team",
        "type_id",
        string="Team by subject",
        copy=True,
        help="The team by the subject of the customer's opinion; the team "
        "for dissatisfaction otherwise.",
    )
    score_reason_ids = fields.Many2many(
        "visit.score.reason",
        string="Reasons for low scores",
        check_company=True,
        help="Offered to the agent and the customer when an aspect or an "
        "item is rated below satisfied; none when empty.",
    )
    reply_days = fields.Integer(
        string="Reply within (working days)",
        help="A ticket opened by one of its visits must be answered within so "
        "many working days of the calling hours' calendar; 0 for no deadline.",
    )

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "The code of a visit type must be unique per company.",
        ),
        (
            "policy_positive",
            "CHECK(max_attempts >= 1 AND retry_delay_hours >= 0 AND reply_days >= 0)",
            "A visit type allows at least one attempt, and no negative delay.",
        ),
    ]

    @api.model
    def _setup_fields(self):
        res = super()._setup_fields()
        employee_only_fields(self, PORTAL_READABLE_FIELDS)
        return res

    @api.model_create_multi
    def create(self, vals_list):
        # A new type rates the four aspects, items of its script to reword
        # or drop, unless its script already names them (or it is a copy).
        if not _COPYING.get():
            for vals in vals_list:
                commands = vals.get("question_ids") or []
                if not any(
                    command[0] == Command.CREATE and command[2].get("aspect")
                    for command in commands
                ):
                    vals["question_ids"] = list(commands) + self._aspect_item_commands()
        types = super().create(vals_list)
        types.question_ids.filtered("aspect")._name_aspect_items()
        return types

    def copy(self, default=None):
        token = _COPYING.set(True)
        try:
            return super().copy(default)
        finally:
            _COPYING.reset(token)

    @api.model
    def _aspect_item_commands(self):
        """The four aspect items a type starts with, after its script."""
        return [
            Command.create(
                {
                    "sequence": ASPECT_ITEM_SEQUENCE + index,
                    "name": self.with_context(lang="en_US").env._(
                        ASPECT_ITEM_NAMES[aspect]
                    ),
                    "answer_kind": "scale4",
                    "counts_in_satisfaction": True,
                    "aspect": aspect,
                }
            )
            for index, (aspect, _label) in enumerate(ASPECTS)
        ]

    @api.depends("question_ids")
    def _compute_question_count(self):
        for visit_type in self:
            visit_type.question_count = len(visit_type.question_ids)
            # The items asked besides the four aspects.
            visit_type.is_script_long = (
                len(visit_type.question_ids.filtered(lambda item: not item.aspect))
                > SCRIPT_ADVISED_LENGTH
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        """A type that visits or rules use is the record of how they were
        made: archive it instead."""
        # sudo: counted over every company and agent (a refusal, no data).
        used = {
            type_
            for type_, _count in self.env["visit.record"]
            .sudo()
            ._read_group([("type_id", "in", self.ids)], ["type_id"], ["__count"])
        } | set(
            # sudo: as above, every company's rules.
            self.env["visit.rule.step"]
            .sudo()
            .search([("type_id", "in", self.ids)])
            .type_id
        )
        if used:
            raise UserError(
                self.env._(
                    "Visit types %s are used by visits or rules: archive them "
                    "instead of deleting them.",
                    ", ".join(type_.name for type_ in self if type_ in used),
                )
            )

    @api.constrains("max_attempts", "retry_delay_hours", "reply_days")
    def _check_policy(self):
        for visit_type in self:
            if (
                visit_type.max_attempts < 1
                or visit_type.retry_delay_hours < 0
                or visit_type.reply_days < 0
            ):
                raise ValidationError(
                    self.env._(
                        "%s: at least one attempt, and no negative delay or reply "
                        "deadline.",
                        visit_type.name,
                    )
                )

    @api.constrains("default_channel", "fallback_ids")
    def _check_fallback_chain(self):
        self.fallback_ids._check_chain()

    @api.constrains("served_by_path", "served_department_path", "served_product_path")
    def _check_served_paths(self):
        # Field names joined by dots: which model has them is checked on
        # each rule or batch that takes them.
        for visit_type in self:
            for fname in SERVED_PATH_FIELDS:
                path = visit_type[fname]
                if path and not SERVED_PATH_SYNTAX.fullmatch(path):
                    raise ValidationError(
                        self.env._(
                            "%(type)s: %(path)s is not a path of fields. Write "
                            "field names joined by dots, such as user_id or "
                            "team_id.user_id.",
                            type=visit_type.name,
                            path=path,
                        )
                    )

    @api.constrains("qualified_group_id")
    def _check_qualified_group(self):
        for visit_type in self.filtered("qualified_group_id"):
            if visit_type.qualified_group_id.share:
                raise ValidationError(
                    self.env._(
                        "%s: visits are made by employees, not by portal users.",
                        visit_type.name,
                    )
                )

    def _may_be_assigned(self, user):
        """Whether ``user`` may be assigned this type's visits and close
        them: only members of its qualification group, when it has one."""
        self.ensure_one()
        group = self.qualified_group_id
        return not (group and user and group not in user.groups_id)

    @api.model
    def _channel_needs_signature(self, channel):
        """Whether a visit on ``channel`` is signed by the customer when its
        type requires a signature (CHANNELS_NEEDING_SIGNATURE)."""
        return channel in CHANNELS_NEEDING_SIGNATURE

    def _team_for(self, category):
        """The helpdesk team of a complaint about ``category``."""
        self.ensure_one()
        line = self.complaint_team_ids.filtered(
            lambda line: line.opinion_category == category
        )[:1]
        return line.team_id or self.complaint_team_id

    # ------------------------------------------------------------------
    # Messages (the Dispatch job, Send to Customer)
    # ------------------------------------------------------------------
    mail_template_id = fields.Many2one(
        "mail.template",
        string="E-mail template",
        domain="[('model', '=', 'visit.record')]",
        help="Sent by the Dispatch job for e-mail and questionnaire visits; "
        "the shipped template when empty.",
    )
    reminder_hours = fields.Integer(
        string="Remind after (hours)",
        default=48,
        help="One reminder when the customer has not answered the message "
        "so many hours after it was sent; 0: no reminder.",
    )
    answer_hours = fields.Integer(
        string="Call after (hours)",
        default=120,
        help="With no answer so many hours after the message was sent, the "
        "visit becomes a phone call for its agent (an attempt 'no answer' "
        "is logged); 0: never.",
    )

    @api.constrains("reminder_hours", "answer_hours")
    def _check_dispatch_delays(self):
        for visit_type in self:
            if visit_type.reminder_hours < 0 or visit_type.answer_hours < 0:
                raise ValidationError(
                    self.env._(
                        "%s: the reminder and the call come after the message, "
                        "not before it.",
                        visit_type.name,
                    )
                )
            if (
                visit_type.answer_hours
                and visit_type.reminder_hours >= visit_type.answer_hours
            ):
                raise ValidationError(
                    self.env._(
                        "%(type)s: the reminder (after %(reminder)s hours) must "
                        "come before the call (after %(call)s hours).",
                        type=visit_type.name,
                        reminder=visit_type.reminder_hours,
                        call=visit_type.answer_hours,
                    )
                )

    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS template",
        domain="[('model', '=', 'visit.record')]",
        help="Sent by the Dispatch job for SMS visits; the shipped template "
        "when empty.",
    )


class VisitFallbackStep(models.Model):
    """One channel of an unreached policy's fallback chain."""

    _name = "visit.fallback.step"
    _description = "Fallback Channel"
    _order = "sequence, id"

    type_id = fields.Many2one("visit.type", ondelete="cascade", index="btree_not_null")
    rule_id = fields.Many2one("visit.rule", ondelete="cascade", index="btree_not_null")
    sequence = fields.Integer(default=10)
    channel = fields.Selection(CHANNELS, required=True)

    _sql_constraints = [
        (
            "one_owner",
            "CHECK((type_id IS NULL) != (rule_id IS NULL))",
            "A fallback channel belongs to a visit type or to a rule.",
        ),
    ]

    @api.constrains("channel", "sequence")
    def _check_chain(self):
        for owner in [*self.type_id, *self.rule_id]:
            chain = owner.fallback_ids.sorted(
                lambda step: (step.sequence, step.id)
            ).mapped("channel")
            first = (
                owner.default_channel
                if owner._name == "visit.type"
                else owner.step_ids[:1].channel
            )
            previous = [first, *chain]
            for before, after in zip(previous, chain, strict=False):
                if before == after:
                    labels = dict(
                        self._fields["channel"]._description_selection(self.env)
                    )
                    raise ValidationError(
                        self.env._(
                            "%(owner)s: the fallback chain falls back from "
                            "%(channel)s to "
                            "%(channel)s. Raise the number of attempts instead, or "
                            "choose another channel.",
                            owner=owner.display_name,
                            channel=labels[after],
                        )
                    )


class VisitTypeTeam(models.Model):
    """The helpdesk team of complaints about one subject."""

    _name = "visit.type.team"
    _description = "Visit Type: Team by Subject"

    type_id = fields.Many2one(
        "visit.type", required=True, ondelete="cascade", index=True
    )
    opinion_category = fields.Selection(
        OPINION_CATEGORIES, string="Subject", required=True
    )
    team_id = fields.Many2one("helpdesk.ticket.team", required=True)

    _sql_constraints = [
        (
            "type_category_uniq",
            "unique(type_id, opinion_category)",
            "One team per subject.",
        ),
    ]
