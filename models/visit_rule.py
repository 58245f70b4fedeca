import logging
import random
from datetime import timedelta

import pytz
from psycopg2.errors import LockNotAvailable, TransactionRollbackError, UniqueViolation

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL

from .visit_calendar import WorkCalendar, local_midnight
from .visit_domain import literal_domain
from .visit_protect import addon_action

_logger = logging.getLogger(__name__)

# Sources handled per cron call; the cron runner commits after each call.
GENERATE_BATCH = 5000
# First key of the advisory locks taken on rules (the second is the id);
# the part of a rule a worker plans is added to it.
ADVISORY_LOCK_CLASS = 0x5649  # "VI"
# The "part" of the advisory lock taken to report a generation.
REPORT_LOCK = 0x7FFF
# Errors of a concurrent transaction: the call is retried, never skipped.
CONCURRENCY_ERRORS = (TransactionRollbackError, LockNotAvailable)
# The filters of a rule; whoever changes one becomes its filter_user_id.
FILTER_FIELDS = {
    "model_id",
    "domain",
    "exclude_domain",
    "sample_cap_model_id",
    "sample_cap_domain",
}
SAMPLE_PERIODS = [
    ("month", "Month"),
    ("quarter", "Quarter"),
    ("half_year", "Half-year"),
    ("year", "Year"),
]


class VisitRule(models.Model):
    """A follow-up policy (回访规则): which records owe visits, when, by whom.

    The *Generate* cron turns every active rule into plans, visits and
    activities; the rule keeps the audit of its samples and of the records
    it had to skip.
    """

    _name = "visit.rule"
    _description = "Follow-up Rule"
    _inherit = ["mail.thread", "visit.assignment.mixin"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    model_id = fields.Many2one(
        "ir.model",
        string="Applies to",
        required=True,
        ondelete="cascade",
        domain="[('transient', '=', False), ('model', 'not like', 'visit.%')]",
        default=lambda self: self.env["ir.model"]._get("helpdesk.ticket"),
        tracking=True,
    )
    model_name = fields.Char(related="model_id.model", store=True, string="Model")
    domain = fields.Char(
        string="Qualifying records",
        default="[]",
        help="Which records owe a visit: a closed ticket, a confirmed order...",
        groups="customer_visit.group_visit_manager",
    )
    exclude_domain = fields.Char(
        string="Exclusions",
        default="[]",
        help="Records matching this filter are never visited "
        "(anonymous complaints, written reply only...).",
        groups="customer_visit.group_visit_manager",
    )
    date_field_id = fields.Many2one(
        "ir.model.fields",
        string="Reference date",
        # Removing the field (uninstalling its module) archives the rule
        # (see ir.model.fields' unlink), it never deletes it and its audit.
        ondelete="set null",
        domain="[('model_id', '=', model_id), ('ttype', 'in', ('date', 'datetime'))]",
        help="The steps count from this date; records where it is not set "
        "are left out. Empty: from the moment the record first qualifies.",
    )
    start_date = fields.Date(
        string="Records from",
        default=fields.Date.context_today,
        help="Records whose reference date is earlier are left alone.",
    )
    served_by_path = fields.Char(
        string="Served by",
        tracking=True,
        help="The field of the source naming whose work the customer judges "
        "(the ticket's assignee, the order's salesperson, a technician), "
        "possibly through other records (the order's team leader): stored "
        "on each visit, so that every figure can be read per person served.",
    )
    served_department_path = fields.Char(
        string="Department served",
        tracking=True,
        help="The field of the source naming the department whose work the "
        "customer judges. Empty: the department of the person served, as "
        "an employee of the rule's company.",
    )
    served_product_path = fields.Char(
        string="Product served",
        tracking=True,
        help="The field of the source naming the product the service was "
        "about: stored on each visit, for the figures per product and the "
        "repeated repairs.",
    )
    calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working hours",
        help="Working days, public holidays and calling hours; the "
        "company's calendar when empty.",
    )
    step_ids = fields.One2many(
        "visit.rule.step", "rule_id", string="Cadence", copy=True
    )
    horizon_days = fields.Integer(
        string="Plan ahead (days)",
        default=30,
        help="Open repetitions are planned this many days ahead.",
    )
    coverage = fields.Selection(
        [("all", "All records"), ("sample", "A sample")],
        required=True,
        default="all",
        tracking=True,
    )
    sample_percent = fields.Float(string="Sample (%)", default=100.0)
    sample_cap = fields.Integer(
        string="At most per period",
        help="Maximum visits drawn per period; 0 for no cap.",
    )
    sample_period = fields.Selection(SAMPLE_PERIODS, default="month", required=True)
    sample_seed = fields.Integer(
        string="Seed",
        default=lambda self: random.SystemRandom().randint(1, 999999),
        help="The same seed on the same records draws the same sample.",
        groups="customer_visit.group_visit_manager",
    )
    stratum_field_id = fields.Many2one(
        "ir.model.fields",
        string="Sample by",
        ondelete="set null",
        domain="[('model_id', '=', model_id), ('store', '=', True), "
        "('ttype', 'in', ('selection', 'many2one', 'char', 'boolean', 'integer'))]",
        help="Draw each value of this field apart, with its own percentage "
        "(10 % of business customers, 1 % of residential ones).",
        groups="customer_visit.group_visit_manager",
    )
    stratum_ids = fields.One2many(
        "visit.rule.stratum",
        "rule_id",
        string="Percent per value",
        copy=True,
        help="Values not listed are drawn at the rule's percentage.",
        groups="customer_visit.group_visit_manager",
    )
    sample_cap_percent = fields.Float(
        string="At most (% of a population)",
        help="Cap per period as a share of the records of a population "
        "(at most 5 % of the households); 0 for none.",
        groups="customer_visit.group_visit_manager",
    )
    sample_cap_model_id = fields.Many2one(
        "ir.model",
        string="Population of",
        ondelete="set null",
        domain="[('transient', '=', False)]",
        default=lambda self: self.env["ir.model"]._get("res.partner"),
        groups="customer_visit.group_visit_manager",
    )
    sample_cap_model = fields.Char(
        related="sample_cap_model_id.model",
        string="Population model",
        groups="customer_visit.group_visit_manager",
    )
    sample_cap_domain = fields.Char(
        string="Population",
        default="[]",
        help="The records the cap is a share of (the households: customers "
        "of a tag); counted when the period's sample starts.",
        groups="customer_visit.group_visit_manager",
    )
    past_steps = fields.Selection(
        [("now", "Plan it now"), ("skip", "Skip it, with the reason")],
        string="Step already past",
        required=True,
        default="now",
        help="A step already past when the record qualifies (after an old "
        "date, or before a date, an anniversary or an occasion): planned for "
        "now, inside calling hours, with all the time its step gives to do "
        "it, or skipped with the reason. Of a repeated step, only the last "
        "past repetition is planned. Once the date itself is past, a step "
        "before it is skipped.",
    )
    override_unreached_policy = fields.Boolean(
        string="Own unreached policy",
        help="Its visits follow the attempts and fallback channels below "
        "instead of their visit type's.",
    )
    max_attempts = fields.Integer(
        default=3,
        help="Attempts on the step's channel before falling back or giving up.",
    )
    retry_delay_hours = fields.Integer(
        string="Delay between attempts (hours)", default=4
    )
    fallback_ids = fields.One2many(
        "visit.fallback.step",
        "rule_id",
        string="Then try",
        copy=True,
        help="Channels tried one attempt each, in order, once the attempts on "
        "the step's channel are used up (phone → on-site → letter). Empty: "
        "the visit fails with its reason.",
    )
    filter_user_id = fields.Many2one(
        "res.users",
        string="Filters set by",
        readonly=True,
        copy=False,
        tracking=True,
        help="The user who last changed the rule's filters: the Generate job "
        "counts the population of the cap with that user's rights.",
        groups="customer_visit.group_visit_manager",
    )
    generate_request_uid = fields.Many2one(
        "res.users",
        string="Generation asked by",
        readonly=True,
        copy=False,
        help="Technical: who pressed Generate Now, told when the job is done.",
    )
    generate_request_plans = fields.Integer(
        readonly=True,
        copy=False,
        help="Technical: the rule's plans when Generate Now was pressed.",
    )
    escalation_user_id = fields.Many2one(
        "res.users",
        string="Escalate to",
        domain="[('share', '=', False)]",
        help="Who hears of overdue visits; the team leader when empty.",
    )
    summary = fields.Text(
        compute="_compute_summary",
        help="The whole rule in plain words, as a policy would write it.",
    )
    has_exclusions = fields.Boolean(
        string="Some records are excluded",
        compute="_compute_has_exclusions",
        inverse="_inverse_has_exclusions",
        groups="customer_visit.group_visit_manager",
    )
    template_id = fields.Many2one(
        "visit.rule.template",
        string="Start from",
        ondelete="set null",
        copy=False,
        check_company=True,
        domain="[('company_id', 'in', [company_id, False])]",
        help="Fill the rule from a common policy, then adjust it.",
    )
    plan_ids = fields.One2many("visit.plan", "rule_id", string="Plans")
    plan_count = fields.Integer(compute="_compute_plan_count")
    draw_ids = fields.One2many("visit.rule.draw", "rule_id", string="Sample counters")
    sample_ids = fields.One2many("visit.rule.sample", "rule_id", string="Samples")
    skip_ids = fields.One2many("visit.rule.skip", "rule_id", string="Skipped records")
    skip_count = fields.Integer(
        compute="_compute_skip_count", groups="customer_visit.group_visit_manager"
    )
    last_planned = fields.Datetime(
        compute="_compute_plan_count",
        help="When this rule last created a plan. Not stored: generation "
        "never writes the rule, so that two runs never conflict on it.",
    )

    _sql_constraints = [
        (
            "sample_percent_range",
            "CHECK(sample_percent > 0 AND sample_percent <= 100)",
            "The sample is a percentage above 0 and at most 100.",
        ),
        (
            "sample_cap_positive",
            "CHECK(sample_cap >= 0)",
            "The sample cap cannot be negative.",
        ),
        (
            "sample_cap_percent_range",
            "CHECK(sample_cap_percent >= 0 AND sample_cap_percent <= 100)",
            "The population cap is a percentage from 0 to 100.",
        ),
        (
            "max_attempts_positive",
            "CHECK(max_attempts >= 1)",
            "A visit has at least one attempt.",
        ),
        (
            "retry_delay_positive",
            "CHECK(retry_delay_hours >= 0)",
            "The retry delay cannot be negative.",
        ),
        (
            "horizon_positive",
            "CHECK(horizon_days >= 1)",
            "Plan at least one day ahead.",
        ),
    ]

    def _compute_plan_count(self):
        stats = {
            rule: (count, last)
            for rule, count, last in self.env["visit.plan"]._read_group(
                [("rule_id", "in", self.ids)],
                ["rule_id"],
                ["__count", "create_date:max"],
            )
        }
        for rule in self:
            rule.plan_count, rule.last_planned = stats.get(rule, (0, False))

    @api.depends_context("lang", "uid")
    @api.depends(
        "step_ids.summary",
        "coverage",
        "sample_percent",
        "sample_period",
        "sample_cap",
        "exclude_salesperson",
        "assignment",
        "has_exclusions",
    )
    def _compute_summary(self):
        periods = dict(self._fields["sample_period"]._description_selection(self.env))
        for rule in self:
            steps = rule.step_ids.mapped("summary")
            # The steps name the reference date by its field's label, which
            # a module without this language leaves in English: say it in
            # the addon's words instead.
            # sudo: the field's label, for agents too (as the steps read it).
            field = rule.date_field_id.sudo()
            label = rule._field_label(field.model, field.name) if field else ""
            if label and label != field.field_description:
                steps = [text.replace(field.field_description, label) for text in steps]
            parts = [self.env._("; then ").join(steps)]
            if rule.coverage == "sample":
                percent = f"{rule.sample_percent:g}"
                sample = self.env._(
                    "%(percent)s %% of each %(period)s's records",
                    percent=percent,
                    period=periods.get(rule.sample_period, "").lower(),
                )
                if rule.sample_cap:
                    sample += self.env._(", at most %s", rule.sample_cap)
                parts.append(sample)
            else:
                parts.append(self.env._("every record that qualifies"))
            if rule.has_exclusions:
                parts.append(rule._exclusion_words())
            if rule.exclude_salesperson:
                parts.append(self.env._("never the salesperson"))
            # Chinese punctuation for Chinese readers (punctuation alone is not
            # a translatable term).
            chinese = (self.env.lang or "").startswith("zh")
            separator, stop = ("；", "。") if chinese else ("; ", ".")
            rule.summary = separator.join(part for part in parts if part) + stop

    def _date_field_labels(self):
        """{field name: label} of the reference dates a rule offers on
        tickets and orders, in the addon's own words: for the modules that
        ship no translation of their fields (OCA helpdesk_mgmt has no
        Chinese)."""
        return {
            "closed_date": self.env._("Closed Date"),
            "last_stage_update": self.env._("Last Stage Update"),
            "assigned_date": self.env._("Assigned Date"),
            "create_date": self.env._("Created on"),
            "write_date": self.env._("Last Updated on"),
            "activity_date_deadline": self.env._("Next Activity Deadline"),
            "my_activity_date_deadline": self.env._("My Activity Deadline"),
        }

    @api.model
    def _field_label(self, model_name, field_name):
        """The label of ``model_name``'s field as the summary says it: its
        own when translated into the user's language (or when that language
        is English), else the addon's label for that field, if it has one."""
        # sudo: field definitions, for agents too (they read the summary).
        fields_ = self.env["ir.model.fields"].sudo()
        field = fields_._get(model_name, field_name)
        if not field:
            return ""
        label = field.with_context(lang=self.env.lang).field_description
        lang = self.env.lang or "en_US"
        if (
            lang == "en_US"
            or label != field.with_context(lang="en_US").field_description
        ):
            return label
        return self._date_field_labels().get(field_name, label)

    def _exclusion_words(self):
        """The exclusions as the summary says them: in plain words when they
        are a few simple conditions ("except records where Contact is not
        set"), else in general.  Only managers read the exclusions."""
        self.ensure_one()
        general = self.env._("except records matching the exclusions")
        if not self.env.user.has_group("customer_visit.group_visit_manager"):
            return general
        try:
            domain = self._eval_domain(self.exclude_domain)
        except ValueError:
            return general
        model = self.env[self.model_name] if self.model_name in self.env else None
        # Conditions all joined by "and" (explicitly or not), at most three.
        leaves = [item for item in domain if item != "&"]
        if model is None or not leaves or len(leaves) > 3:
            return general
        conditions = []
        for leaf in leaves:
            words = self._condition_words(model, leaf)
            if not words:
                return general
            conditions.append(words)
        text = self.env._(" and ").join(conditions)
        if len(text) > 80:
            return general
        return self.env._("except records where %s", text)

    def _condition_words(self, model, leaf):
        """A condition (field, operator, value) of ``model`` in plain words
        ("Contact is not set", "Stage is Cancelled"); None when it is not
        simple enough to say."""
        if not isinstance(leaf, (list, tuple)) or len(leaf) != 3:
            return None
        path, operator, value = leaf
        field = model._fields.get(path) if isinstance(path, str) else None
        if field is None or operator not in ("=", "!=", "in", "not in"):
            return None
        label = self._field_label(model._name, path) or field._description_string(
            self.env
        )
        if value is False or value is None:
            if operator == "=":
                return self.env._("%s is not set", label)
            if operator == "!=":
                return self.env._("%s is set", label)
            return None
        if field.type == "boolean" and isinstance(value, bool):
            value = value if operator == "=" else not value
            return (
                self.env._("%s is set", label)
                if value
                else self.env._("%s is not set", label)
            )
        values = value if isinstance(value, (list, tuple)) else [value]
        if not values or field.type not in ("selection", "char", "integer", "float"):
            return None  # record ids say nothing to a reader
        labels = (
            dict(field._description_selection(self.env))
            if field.type == "selection"
            else {}
        )
        shown = [str(labels.get(item, item)) for item in values]
        if operator in ("=", "in"):
            return self.env._(
                "%(field)s is %(value)s",
                field=label,
                value=self.env._(" or ").join(shown),
            )
        if len(shown) > 1:
            return self.env._(
                "%(field)s is none of %(values)s", field=label, values=", ".join(shown)
            )
        return self.env._("%(field)s is not %(value)s", field=label, value=shown[0])

    @api.depends("exclude_domain")
    def _compute_has_exclusions(self):
        for rule in self:
            rule.has_exclusions = (rule.exclude_domain or "[]").replace(" ", "") != "[]"

    def _inverse_has_exclusions(self):
        for rule in self.filtered(lambda rule: not rule.has_exclusions):
            rule.exclude_domain = "[]"

    @api.onchange("template_id")
    def _onchange_template_id(self):
        """Fill the rule from the chosen template; the manager adjusts it."""
        template = self.template_id
        if template:
            values = template._rule_values()
            # A name the manager typed is kept; a template's is not.
            Templates = self.env["visit.rule.template"].with_context(active_test=False)
            if self.name and not Templates.search_count(
                [("name", "=", self.name)], limit=1
            ):
                values.pop("name")
            if template.exclude_salesperson:
                values.update(self._template_team_assignment())
            self.update(values)
            # Its records and visit types changed: their served paths too.
            self.env["visit.planner"]._fit_served_paths(
                self, self.model_name, self.step_ids.type_id, clear=True
            )

    @api.model
    def _template_team_assignment(self):
        """The least loaded agent of a team with agents (the manager's own
        sales team first), else the manager: a template saves as shown,
        and the manager picks another team or user under *Assignment*."""

        def has_agents(team):
            members = team.member_ids | team.user_id
            return any(user.active and not user.share for user in members)

        team = self.env.user.sale_team_id
        if not has_agents(team):
            team = (
                self.env["crm.team"]
                .search([("company_id", "in", [self.env.company.id, False])])
                .filtered(has_agents)[:1]
            )
        if team:
            return {"assignment": "least_loaded", "team_id": team.id, "user_id": False}
        return {"assignment": "user", "user_id": self.env.user.id, "team_id": False}

    def _compute_skip_count(self):
        counts = dict(
            self.env["visit.rule.skip"]._read_group(
                [("rule_id", "in", self.ids)], ["rule_id"], ["__count"]
            )
        )
        for rule in self:
            rule.skip_count = counts.get(rule, 0)

    # ------------------------------------------------------------------
    # CRUD: who set the filters; rules are archived, never deleted once used
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                vals["filter_user_id"] = self.env.uid
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            # Who set the filters is recorded, never given.
            vals = dict(vals)
            vals.pop("filter_user_id", None)
            if FILTER_FIELDS.intersection(vals):
                vals["filter_user_id"] = self.env.uid
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        """A rule that planned, skipped or sampled anything is the audit of
        what was owed: archive it instead."""
        used = self.filtered(
            lambda rule: rule.plan_ids or rule.skip_ids or rule.draw_ids
        )
        if used:
            raise UserError(
                self.env._(
                    "Rules %s have planned, skipped or sampled records: their "
                    "counters and decisions are the audit of what was owed. "
                    "Archive them instead of deleting them.",
                    ", ".join(used.mapped("name")),
                )
            )

    # ------------------------------------------------------------------
    # Checks: everything that could break the cron is refused when saved
    # ------------------------------------------------------------------
    def _eval_domain(self, text):
        """The literal domain of ``text`` (see visit_domain): data, never code."""
        return literal_domain(self.env, text)

    def _partner_field(self):
        """The field of the source holding the customer, '' for partners."""
        if self.model_name == "res.partner":
            return ""
        field = self.env[self.model_name]._fields.get("partner_id")
        return "partner_id" if field and field.comodel_name == "res.partner" else None

    @api.constrains("model_id", "domain", "exclude_domain", "date_field_id")
    def _check_source(self):
        for rule in self:
            if rule.model_name not in self.env:
                raise ValidationError(
                    self.env._("Rule %s: choose the records it applies to.", rule.name)
                )
            if rule.model_name not in self.env["visit.planner"]._other_source_models():
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: a rule applies to documents follow-ups "
                        "are made for (sale orders, tickets, contacts, documents "
                        "with a customer), not to %(model)s.",
                        rule=rule.name,
                        model=rule.env[rule.model_name]._description,
                    )
                )
            if not rule.env[rule.model_name].has_access("read"):
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: you may not read the records of "
                        "%(model)s, so a rule of yours cannot apply to them.",
                        rule=rule.name,
                        model=rule.env[rule.model_name]._description,
                    )
                )
            if rule._partner_field() is None:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: %(model)s has no customer field "
                        "(partner_id), so nobody could be visited.",
                        rule=rule.name,
                        model=rule.env[rule.model_name]._description,
                    )
                )
            field = rule.date_field_id
            if field and (
                field.model != rule.model_name
                or field.ttype not in ("date", "datetime")
            ):
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: the reference date must be a date field of "
                        "%(model)s; %(field)s is not.",
                        rule=rule.name,
                        model=rule.env[rule.model_name]._description,
                        field=field.field_description,
                    )
                )
            if field and not rule.env[rule.model_name]._fields[field.name].store:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: the reference date %(field)s is not stored.",
                        rule=rule.name,
                        field=field.field_description,
                    )
                )
            for label, text in (
                (self.env._("qualifying records"), rule.domain),
                (self.env._("exclusions"), rule.exclude_domain),
            ):
                rule._check_domain(label, text)

    def _check_domain(self, label, text):
        # With the rights of the user who saves it: a filter may only name
        # fields and follow paths that user may search themselves.
        Model = self.env[self.model_name]
        try:
            domain = self._eval_domain(text)
            with self.env.cr.savepoint():
                Model.search_count(domain, limit=1)
        except Exception as error:  # noqa: BLE001 -- any failure is the user's filter
            raise ValidationError(
                self.env._(
                    "Rule %(rule)s: the filter of the %(what)s does not work "
                    "(%(error)s). Fix it before saving.",
                    rule=self.name,
                    what=label,
                    error=error,
                )
            ) from error

    @api.constrains(
        "model_id", "served_by_path", "served_product_path", "served_department_path"
    )
    def _check_served_paths(self):
        Planner = self.env["visit.planner"]
        for rule in self:
            Planner._check_served_paths(
                rule.model_name,
                Planner._served_paths(rule),
                self.env._("Rule %s", rule.name),
            )

    @api.onchange("model_id")
    def _onchange_model_id_served(self):
        # A path of the records the rule no longer applies to names nothing;
        # the cadence's visit types propose theirs.
        self.env["visit.planner"]._fit_served_paths(
            self, self.model_name, self.step_ids.type_id, clear=True
        )

    @api.onchange("step_ids")
    def _onchange_step_ids_served(self):
        # An empty served path takes the first default of the cadence's
        # visit types that fits the records the rule applies to.
        self.env["visit.planner"]._fit_served_paths(
            self, self.model_name, self.step_ids.type_id
        )

    def _served_values(self, sources):
        """{source id: served person, department and product} of a batch
        of sources, for visits of the rule's company."""
        Planner = self.env["visit.planner"]
        # In the rule's company: a hop such as res.users.employee_id reads
        # the employee of the current company (a cron runs in another).
        return Planner._served_values(
            sources.with_company(self.company_id),
            Planner._served_paths(self),
            self.company_id.id,
        )

    @api.constrains(
        "coverage",
        "sample_percent",
        "sample_cap",
        "sample_cap_percent",
        "sample_cap_model_id",
        "sample_cap_domain",
        "stratum_field_id",
        "stratum_ids",
    )
    def _check_sample(self):
        for rule in self:
            rule._check_strata()
            rule._check_population_cap()
            if not 0 < rule.sample_percent <= 100:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: the sample must be above 0%% and at most 100%% "
                        "(found %(percent)s).",
                        rule=rule.name,
                        percent=rule.sample_percent,
                    )
                )
            if rule.sample_cap < 0:
                raise ValidationError(
                    self.env._("Rule %s: the sample cap cannot be negative.", rule.name)
                )

    def _check_strata(self):
        field = self.stratum_field_id
        if field:
            if field.model != self.model_name:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: sample by a field of %(model)s; "
                        "%(field)s is not one.",
                        rule=self.name,
                        model=self.env[self.model_name]._description,
                        field=field.field_description,
                    )
                )
            if not self.env[self.model_name]._fields[field.name].store:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: the sample cannot go by %(field)s, "
                        "which is computed and not stored: choose a stored field.",
                        rule=self.name,
                        field=field.field_description,
                    )
                )
        for stratum in self.stratum_ids:
            if not 0 <= stratum.percent <= 100:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: the percentage of %(value)s must be from "
                        "0 to 100 (found %(percent)s).",
                        rule=self.name,
                        value=stratum.value,
                        percent=stratum.percent,
                    )
                )
        if self.stratum_ids and not field:
            raise ValidationError(
                self.env._(
                    "Rule %s: say which field the percentages per value are of "
                    "(Sample by).",
                    self.name,
                )
            )

    def _check_population_cap(self):
        if not 0 <= self.sample_cap_percent <= 100:
            raise ValidationError(
                self.env._(
                    "Rule %(rule)s: the population cap must be from 0 to 100 %% "
                    "(found %(percent)s).",
                    rule=self.name,
                    percent=self.sample_cap_percent,
                )
            )
        if not self.sample_cap_percent:
            return
        if not self.sample_cap_model_id:
            raise ValidationError(
                self.env._(
                    "Rule %s: say which records the cap is a share of.", self.name
                )
            )
        if not self.env[self.sample_cap_model].has_access("read"):
            raise ValidationError(
                self.env._(
                    "Rule %(rule)s: you may not read the records of %(model)s, "
                    "so the cap cannot be a share of them.",
                    rule=self.name,
                    model=self.env[self.sample_cap_model]._description,
                )
            )
        try:
            self._population_count()
        except Exception as error:  # noqa: BLE001 -- any failure is the user's filter
            raise ValidationError(
                self.env._(
                    "Rule %(rule)s: the population of the cap does not work "
                    "(%(error)s). Fix its filter before saving.",
                    rule=self.name,
                    error=error,
                )
            ) from error

    def _population_count(self):
        """Records of the cap's population now (the households), counted
        with the rights of the user who set the rule's filters: the Generate
        job runs as superuser, and a count it made with its own rights
        would show a manager figures of records they may not read."""
        domain = self._eval_domain(self.sample_cap_domain)
        Model = self._filter_env()[self.sample_cap_model]
        with self.env.cr.savepoint(flush=False):
            return Model.search_count(domain)

    def _filter_env(self):
        """The environment filters are applied in: the current user's, or,
        in a job run as superuser, that of the user who last set the rule's
        filters, restricted to the rule's company."""
        self.ensure_one()
        if not self.env.su or not self.filter_user_id:
            return self.env
        user = self.filter_user_id
        companies = (self.company_id & user.company_ids) or user.company_id
        return self.env(
            user=user,
            su=False,
            context=dict(self.env.context, allowed_company_ids=companies.ids),
        )

    @api.constrains("step_ids", "fallback_ids")
    def _check_fallback_chain(self):
        self.fallback_ids._check_chain()

    @api.constrains("step_ids", "active")
    def _check_steps(self):
        for rule in self:
            if rule.active and not rule.step_ids:
                raise ValidationError(
                    self.env._(
                        "Rule %s: add at least one step to its cadence.", rule.name
                    )
                )

    @api.constrains("assignment", "user_id", "team_id", "exclude_salesperson")
    def _check_assignment_policy(self):
        try:
            self._check_assignment()
        except UserError as error:
            raise ValidationError(error.args[0]) from error

    @api.constrains("max_attempts", "retry_delay_hours", "horizon_days")
    def _check_retries(self):
        for rule in self:
            if (
                rule.max_attempts < 1
                or rule.retry_delay_hours < 0
                or rule.horizon_days < 1
            ):
                raise ValidationError(
                    self.env._(
                        "Rule %s: at least one attempt, a delay that is not "
                        "negative and a planning horizon of at least one day.",
                        rule.name,
                    )
                )

    # ------------------------------------------------------------------
    # What is owed
    # ------------------------------------------------------------------
    def _calendar(self):
        return self.calendar_id or self.company_id.resource_calendar_id

    def _tz(self):
        """The time zone of the rule's days (steps, samples): its working
        hours', else the company's (its calendar's, else its address's,
        else UTC)."""
        if self.calendar_id.tz:
            return pytz.timezone(self.calendar_id.tz)
        return self.company_id._visit_tz()

    def _is_recurring(self):
        """Plans kept open while the record qualifies (open repetitions,
        anniversaries without end, occasions): a record may qualify again
        once its plan is closed."""
        return any(step._is_open_ended() for step in self.step_ids)

    def _extended_steps(self):
        """Steps whose visits are planned as time goes (repetitions without
        end, anniversaries, occasions), not all at once."""
        return self.step_ids.filtered(
            lambda step: step._is_open_ended() or step.anchor != "date"
        )

    def _qualifying_domain(self):
        Model = self.env[self.model_name]
        domain = expression.normalize_domain(self._eval_domain(self.domain))
        if self.date_field_id:
            domain = expression.AND([domain, [(self.date_field_id.name, "!=", False)]])
            if self.start_date:
                start = self.start_date
                if self.date_field_id.ttype == "datetime":
                    # The start day's local midnight, not UTC's.
                    start = local_midnight(self._tz(), start)
                domain = expression.AND(
                    [domain, [(self.date_field_id.name, ">=", start)]]
                )
        if "company_id" in Model._fields:
            domain = expression.AND(
                [domain, [("company_id", "in", [self.company_id.id, False])]]
            )
        exclude = self._eval_domain(self.exclude_domain)
        if exclude:
            domain = expression.AND(
                [domain, ["!", *expression.normalize_domain(exclude)]]
            )
        return domain

    def _qualifying_query(self):
        """The qualifying records as a query, never read into Python: with
        the rights of the user who set the rule's filters (a filter must not
        find, through a path, what that user may not read), else of the
        job."""
        env = self._filter_env() if self.env.su else self.env
        try:
            return env[self.model_name]._search(self._qualifying_domain())
        except AccessError:
            _logger.warning(
                "Follow-up rule %s: %s may no longer read its records; "
                "nothing is planned until a manager saves its filters again",
                self.id,
                self.filter_user_id.login,
            )
            return env[self.model_name].browse()._as_query()

    def _part_clause(self, column, part, parts):
        """``column`` (a customer, else a record id) in ``part`` of ``parts``.

        Parts go by customer: the sources of one customer are planned by
        one worker, which sees its own visits of the customer (the contact
        interval, a merge) and never waits on another worker's."""
        if parts <= 1:
            return SQL("TRUE")
        return SQL("MOD(%s, %s) = %s", column, parts, part)

    def _source_part_key(self, alias):
        """The column of a source that decides its part: its customer, or
        the record itself (no customer, or a rule on customers)."""
        partner_field = self._partner_field()
        source = SQL.identifier(alias, "id")
        if not partner_field:
            return source
        return SQL("COALESCE(%s, %s)", SQL.identifier(alias, partner_field), source)

    def _todo_query(self, part=0, parts=1):
        """The sources of ``part`` (of ``parts``) still owed a plan: neither
        planned (an open plan, for recurring rules), skipped nor, for a
        sample, decided."""
        self.env.flush_all()
        query = self._qualifying_query()
        source = SQL.identifier(query.table, "id")
        query.add_where(
            self._part_clause(self._source_part_key(query.table), part, parts)
        )
        query.add_where(
            SQL(
                """NOT EXISTS (SELECT 1 FROM visit_plan p
                    WHERE p.rule_id = %s AND p.rule_source_id = %s %s)""",
                self.id,
                source,
                SQL("AND p.state = 'open'") if self._is_recurring() else SQL(),
            )
        )
        query.add_where(
            SQL(
                """NOT EXISTS (SELECT 1 FROM visit_rule_skip s
                    WHERE s.rule_id = %s AND s.res_id = %s)""",
                self.id,
                source,
            )
        )
        if self.coverage == "sample":
            query.add_where(
                SQL(
                    """NOT EXISTS (SELECT 1 FROM visit_rule_draw_line l
                        WHERE l.rule_id = %s AND l.res_id = %s)""",
                    self.id,
                    source,
                )
            )
        return query

    def _todo(self, limit, part=0, parts=1):
        """Up to ``limit`` ids of sources still owed (in id order: the order
        they arrived in) and how many more there are."""
        self.ensure_one()
        query = self._todo_query(part, parts)
        source = SQL.identifier(query.table, "id")
        query.order = source
        query.limit = limit
        self.env.cr.execute(query.select(source))
        take = [source_id for (source_id,) in self.env.cr.fetchall()]
        remaining = 0
        if len(take) >= limit:
            query.limit = None
            query.order = None
            self.env.cr.execute(query.select(SQL("COUNT(*)")))
            remaining = self.env.cr.fetchone()[0] - len(take)
        return take, remaining

    def _refresh_skips(self, part=0, parts=1):
        """A skipped case is owed only while its record qualifies."""
        self.env.flush_all()
        qualifying = self._qualifying_query().subselect()
        self.env.cr.execute(
            SQL(
                """UPDATE visit_rule_skip SET is_qualifying = NOT is_qualifying
                    WHERE rule_id = %s AND %s
                      AND is_qualifying != (res_id IN %s)""",
                self.id,
                self._part_clause(SQL("COALESCE(partner_id, res_id)"), part, parts),
                qualifying,
            )
        )
        if self.env.cr.rowcount:
            self.env["visit.rule.skip"].invalidate_model(["is_qualifying"])

    # ------------------------------------------------------------------
    # Planning one batch
    # ------------------------------------------------------------------
    def _reference_dates(self, sources):
        """{source id: reference datetime (naive UTC)}.

        A datetime field is stored in naive UTC already; a date field is a
        local day of the rule's time zone, so it counts from its midnight.
        """
        now = fields.Datetime.now().replace(microsecond=0)
        field = self.date_field_id
        if not field:
            return dict.fromkeys(sources.ids, now)
        tz = self._tz()
        result = {}
        for source in sources:
            value = source[field.name]
            if field.ttype == "date":
                value = local_midnight(tz, value)
            result[source.id] = value
        return result

    def _prepare_plans(self, sources, references, calendar, draws):
        """Plan values with their visits for ``sources``, and the skipped ones.

        ``references``: {source id: reference date}, from _reference_dates().
        Returns ``([(source, plan_vals, [visit_vals])],
        {source id: (reason, message)})``.
        """
        Planner = self.env["visit.planner"]
        partner_field = self._partner_field()
        step_types = self.step_ids.type_id
        assign = self._visit_assigner(step_types)
        horizon = fields.Datetime.now() + timedelta(days=self.horizon_days)
        context = {"calendars": {calendar.calendar.id: calendar}, "policies": {}}
        served = self._served_values(sources)
        prepared, skipped = [], {}
        for source in sources:
            partner = source[partner_field] if partner_field else source
            reason = Planner._skip_reason(partner)
            if reason:
                skipped[source.id] = (reason, "")
                continue
            # Allowed to make every step of the cadence, or not assigned at all.
            user, owner = assign(source), self._source_owner(source)
            for step_type in step_types:
                user = Planner._assignee(
                    step_type, user, owner, self.exclude_salesperson
                )
            if user is None:
                skipped[source.id] = ("no_assignee", "")
                continue
            reference = references[source.id]
            company = self.company_id
            links = Planner._links(self.model_name, source.id)
            plan_vals = {
                "partner_id": partner.id,
                "company_id": company.id,
                "user_id": user.id or False,
                "type_id": self.step_ids[:1].type_id.id,
                "channel": self.step_ids[:1].channel,
                "rule_id": self.id,
                "rule_source_id": source.id,
                # Open from the INSERT on, so that the unique index on open
                # plans refuses a concurrent duplicate at once.
                "state": "open",
                "reference_date": reference,
                "draw_id": draws[source.id].id if source.id in draws else False,
                **links,
            }
            visits, passed = self._prepare_visits(
                reference,
                partner,
                user,
                calendar,
                horizon,
                links,
                context=context,
                served=served.get(source.id),
            )
            if passed and not visits:
                # Every step was before a date already past: owed and missed.
                skipped[source.id] = ("past_step", "\n".join(passed))
                continue
            if passed:
                plan_vals["skipped_steps"] = "\n".join(passed)
            if not visits and not self._extended_steps():
                # Nothing falls due (a step out of season): not owed, and
                # the record is not looked at again.
                plan_vals.update(
                    state="cancelled",
                    date_cancelled=fields.Datetime.now(),
                    cancel_reason=self.env._("No step of the rule falls due."),
                )
            # A hint: the plan's next step, stored at INSERT (see visit.plan).
            plan_vals["next_date"] = min(
                (vals["scheduled_date"] for vals in visits), default=False
            )
            prepared.append((source, plan_vals, visits))
        return prepared, skipped

    def _prepare_visits(
        self,
        reference,
        partner,
        user,
        calendar,
        horizon,
        links,
        existing=(),
        context=None,
        since=None,
        served=None,
    ):
        """Visit values of every occurrence due by ``horizon`` not in
        ``existing``, and the steps left out because they were past.

        ``calendar`` (the rule's WorkCalendar) counts the steps; each visit
        is then placed in its calling hours by the planner.  ``since``:
        when the record qualified (anniversaries and occasions count from
        then); now by default.  A step already due is planned now (with the
        time its step gives to do it, so never born overdue), or left out
        when the rule says so, or once the date itself is past for a step
        before it.  After a date, "already due" means due before the record
        qualified, and of a repeated step only the last such repetition is
        planned.  ``context`` caches calendars and policies over a batch.
        ``served``: the served person and product of the source (see
        _served_values()).
        """
        Planner = self.env["visit.planner"]
        context = context or {
            "calendars": {calendar.calendar.id: calendar},
            "policies": {},
        }
        now = fields.Datetime.now().replace(second=0, microsecond=0)
        since = since or now
        whole_day = self.date_field_id.ttype == "date"
        visits, passed = [], []
        for step in self.step_ids:
            occurrences = step._occurrences(
                reference, horizon, calendar, since, whole_day=whole_day
            )
            after_date = step.anchor == "date" and step.direction == "after"
            # After a date, the steps already past when the record qualified
            # (an old reference): the last one is owed now, the earlier ones
            # are superseded by it (a monthly call missed a year ago is not
            # made twelve times today).
            last_late = max(
                (item[0] for item in occurrences if item[1] < since),
                default=None,
            )
            for occurrence, due, deadline in occurrences:
                if (step.id, occurrence) in existing:
                    continue
                if after_date:
                    late = due < since
                else:
                    late = due < now
                window, step_due = None, due
                if late:
                    if (
                        (deadline and deadline <= now and not after_date)
                        or self.past_steps == "skip"
                        or (after_date and occurrence != last_late)
                    ):
                        passed.append(self._past_step_note(step, due, calendar))
                        continue
                    if deadline and step.direction == "after":
                        # Planned late, it keeps the time its step gives to
                        # do it: never born overdue.
                        window = deadline - due
                    due = now
                vals = Planner._visit_values(
                    step.type_id,
                    partner,
                    due,
                    user=user,
                    channel=step.channel,
                    deadline=deadline,
                    window=window,
                    rule=self,
                    company=self.company_id,
                    links=links,
                    independent=self.exclude_salesperson,
                    rule_step_id=step.id,
                    occurrence=occurrence,
                    **(served or {}),
                    **context,
                )
                if (
                    late
                    and not after_date
                    and deadline
                    and vals["scheduled_date"] >= deadline
                ):
                    # Before a date, calling hours open only once it is past:
                    # owed and missed, with the reason.
                    passed.append(self._past_step_note(step, step_due, calendar))
                    continue
                visits.append(vals)
        return visits, passed

    def _past_step_note(self, step, due, calendar):
        """Why ``step``, due at ``due`` (naive UTC), was left out."""
        return self.env._(
            "%(step)s: due %(due)s, already past when the record qualified.",
            step=step.summary,
            due=fields.Datetime.to_string(calendar.to_local(due))[:16],
        )

    def _create_prepared(self, prepared):
        """Create the plans, then their visits (merged under contact pressure)."""
        if not prepared:
            return self.env["visit.record"]
        # sudo: generation runs as the cron user or a manager and creates
        # visits for other agents.
        Plan = (
            self.env["visit.plan"]
            .sudo()
            .with_context(
                mail_create_nolog=True,
                mail_create_nosubscribe=True,
                tracking_disable=True,
            )
        )
        plans = Plan.create([plan_vals for _source, plan_vals, _visits in prepared])
        vals_list = []
        for plan, (_source, _plan_vals, visits) in zip(plans, prepared, strict=True):
            for vals in visits:
                vals["plan_id"] = plan.id
                vals_list.append(vals)
        vals_list = self.env["visit.planner"]._merge_under_contact_pressure(
            vals_list, self
        )
        # sudo: as for the plans above.
        Visit = (
            self.env["visit.record"]
            .sudo()
            .with_context(
                mail_create_nolog=True,
                mail_create_nosubscribe=True,
                tracking_disable=True,
            )
        )
        return Visit.create(vals_list)

    def _extend_recurring_plans(self, part=0, parts=1):
        """Plan the next repetitions of open recurring plans of ``part``;
        close the plans of records that no longer qualify (their future
        visits are cancelled).  Only plans with nothing planned beyond the
        horizon are read: the others have their next visits already."""
        self.env.flush_all()
        horizon = fields.Datetime.now() + timedelta(days=self.horizon_days)
        qualifying = self._qualifying_query().subselect()
        # A plan is read when one of its extended steps has nothing planned
        # beyond the horizon (or its record no longer qualifies).
        self.env.cr.execute(
            SQL(
                """SELECT p.id, p.rule_source_id IN %s
                     FROM visit_plan p
                    WHERE p.rule_id = %s AND p.state = 'open' AND %s
                      AND (p.rule_source_id NOT IN %s OR EXISTS (
                          SELECT 1 FROM unnest(%s) AS step(id)
                           WHERE NOT EXISTS (
                               SELECT 1 FROM visit_record r
                                WHERE r.plan_id = p.id AND r.rule_step_id = step.id
                                  AND r.scheduled_date > %s)))""",
                qualifying,
                self.id,
                self._part_clause(
                    SQL("COALESCE(p.partner_id, p.rule_source_id)"), part, parts
                ),
                qualifying,
                self._extended_steps().ids,
                horizon,
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return self.env["visit.record"]
        # sudo: every open plan of the rule, whoever may read it.
        Plan = self.env["visit.plan"].sudo()
        gone = Plan.browse([plan_id for plan_id, still in rows if not still])
        plans = Plan.browse([plan_id for plan_id, still in rows if still])
        if gone:
            future = gone.record_ids.filtered(
                lambda rec: (
                    rec.state == "planned"
                    and rec.scheduled_date > fields.Datetime.now()
                )
            )
            future._do_cancel()
        calendar = WorkCalendar(
            self._calendar(), fields.Datetime.now(), fields.Datetime.now()
        )
        vals_list = []
        Planner = self.env["visit.planner"]
        context = {"calendars": {calendar.calendar.id: calendar}, "policies": {}}
        # sudo: sources are read whatever the running user may read of them.
        served = self._served_values(
            self.env[self.model_name].sudo().browse(plans.mapped("rule_source_id"))
        )
        for plan in plans:
            existing = {
                (rec.rule_step_id.id, rec.occurrence) for rec in plan.record_ids
            }
            links = Planner._links(self.model_name, plan.rule_source_id)
            visits, _passed = self._prepare_visits(
                plan.reference_date,
                plan.partner_id,
                plan.user_id,
                calendar,
                horizon,
                links,
                existing,
                context=context,
                since=plan.create_date,
                served=served.get(plan.rule_source_id),
            )
            for vals in visits:
                vals["plan_id"] = plan.id
                vals_list.append(vals)
        if not vals_list:
            return self.env["visit.record"]
        vals_list = Planner._merge_under_contact_pressure(vals_list, self)
        # sudo: the visits belong to the plans' agents.
        return (
            self.env["visit.record"]
            .sudo()
            .with_context(
                mail_create_nolog=True,
                mail_create_nosubscribe=True,
                tracking_disable=True,
            )
            .create(vals_list)
        )

    def _lock(self, part=0):
        """Take this rule's ``part`` for the current transaction; False if
        another generation holds it (two runs never plan the same part at
        once; the workers of the other parts go on beside).

        An advisory lock, not a row lock: under REPEATABLE READ a row lock
        fails when another run committed since this transaction began.
        """
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)",
            [ADVISORY_LOCK_CLASS + part, self.id],
        )
        return self.env.cr.fetchone()[0]

    def _generate_batch(self, limit=GENERATE_BATCH, part=0, parts=1):
        """Plan up to ``limit`` sources of ``part`` (of ``parts``) of the
        first of these rules with something to plan; return (done, remaining).

        The sources of a rule are split by id into ``parts``, one per
        generation worker: every worker plans the same rule at once, on
        sources no other worker touches.  Idempotent: what is owed is read
        from the database each time, so a second run, or a run after an
        interrupted one, only adds what is missing.  A source that cannot
        be planned is logged, recorded in the rule's skipped records and
        left alone; the others go on.
        """
        done = remaining = 0
        for index, rule in enumerate(self):
            if not rule._lock(part):
                _logger.info(
                    "Follow-up rule %s (part %s) is being generated by another run",
                    rule.id,
                    part,
                )
                continue
            rule._refresh_skips(part, parts)
            if rule._extended_steps():
                rule._extend_recurring_plans(part, parts)
            take, more = rule._todo(limit, part, parts)
            remaining += more
            draws = {}
            if take and rule.coverage == "sample":
                # sudo: the rule, not the user who runs it, decides what is owed.
                sources = self.env[rule.model_name].sudo().browse(take)
                draws = self.env["visit.rule.draw"]._decide(
                    rule, sources, rule._reference_dates(sources), part, parts
                )
                # Decided and not drawn: done with (progress counts them).
                done += len(take) - len(draws)
                take = sorted(draws)
            planned = rule._generate_sources(take, draws) if take else 0
            done += planned
            if planned:
                # One rule that planned per call: the next rule is taken in
                # a new transaction. Its snapshot then includes what another
                # run committed for that rule; taken later in this one, it
                # would not, and every source would meet the unique index.
                if index < len(self) - 1:
                    remaining += 1  # at least one more call, for the next rules
                break
            if more:
                # Decided but none drawn: the rest of the rule next call.
                break
        return done, remaining

    def _generate_sources(self, source_ids, draws):
        # sudo: sources are read whatever the running user may read of them.
        sources = self.env[self.model_name].sudo().browse(source_ids)
        references = self._reference_dates(sources)
        # Intervals from the batch's earliest reference when a step counts
        # from the date itself (+7 working days from a date two years back
        # needs the days after it; references are bounded by *Records
        # from*); anniversaries and occasions count from a year back at
        # most (a birth date as reference): an earlier moment asked for is
        # read then.
        start = min(references.values())
        if not any(step.anchor == "date" for step in self.step_ids):
            start = max(start, fields.Datetime.now() - timedelta(days=366))
        calendar = WorkCalendar(
            self._calendar(), start, max(max(references.values()), start)
        )
        prepared, skipped = self._prepare_plans(sources, references, calendar, draws)
        not_done = 0
        try:
            with self.env.cr.savepoint():
                self._create_prepared(prepared)
        except CONCURRENCY_ERRORS:
            # Another worker changed a row this batch writes (a visit both
            # merge into): the whole call is retried, nothing is skipped.
            raise
        except Exception:  # noqa: BLE001 -- isolate the broken source(s) below
            _logger.info(
                "Rule %s: a batch failed, planning its sources one by one", self.id
            )
            for item in prepared:
                try:
                    with self.env.cr.savepoint():
                        self._create_prepared([item])
                except CONCURRENCY_ERRORS:
                    raise
                except UniqueViolation:
                    # Planned meanwhile by another run (the unique indexes):
                    # nothing is missing, nothing to log.
                    _logger.info(
                        "Rule %s: %s,%s was planned by another run",
                        self.id,
                        self.model_name,
                        item[0].id,
                    )
                    not_done += 1
                except Exception as error:  # noqa: BLE001 -- logged and skipped
                    _logger.warning(
                        "Rule %s: cannot plan %s,%s: %s",
                        self.id,
                        self.model_name,
                        item[0].id,
                        error,
                    )
                    skipped[item[0].id] = ("error", str(error)[:500])
                    not_done += 1
        if skipped:
            self._create_skips(sources, references, calendar, skipped)
        return len(prepared) - not_done

    def _create_skips(self, sources, references, calendar, skipped):
        """Record the sources that could not be planned with what they owed
        (first step, customer, due date): they count as owed and missed.

        Due when the first step's visit would have been due (the step's own
        occurrences: the anniversary or occasion to come), placed in its
        calling hours; when none falls due, from the day it was skipped."""
        step = self.step_ids[:1]
        partner_field = self._partner_field()
        Planner = self.env["visit.planner"]
        # Placed in the step's calling hours, as its visit would have been.
        hours = Planner._calendar(step.type_id, self, self.company_id)
        calendars = {calendar.calendar.id: calendar}
        now = fields.Datetime.now().replace(second=0, microsecond=0)
        horizon = fields.Datetime.now() + timedelta(days=self.horizon_days)
        vals_list = []
        for source in sources.filtered(lambda source: source.id in skipped):
            reason, message = skipped[source.id]
            partner = source[partner_field] if partner_field else source
            due = step._first_due(references[source.id], horizon, calendar, now)
            vals_list.append(
                {
                    "rule_id": self.id,
                    "res_id": source.id,
                    "reason": reason,
                    "message": message,
                    "partner_id": partner.id or False,
                    "type_id": step.type_id.id,
                    "channel": step.channel,
                    "due_date": due and Planner._place(hours, due, calendars),
                }
            )
        # sudo: skipped lines are read-only for managers (no create right).
        self.env["visit.rule.skip"].sudo().create(vals_list)

    @api.model
    @addon_action
    def _cron_generate(self, part=0):
        """Scheduled action *Generate* (one job per generation worker, the
        job of ``part``): plan what every active rule owes.

        One batch per call; the cron runner commits and calls again while
        sources remain (Odoo's batched cron protocol).  Once nothing
        remains, whoever pressed *Generate Now* is told what was planned.
        """
        parts = self.env["ir.cron"]._visit_workers()
        if part >= parts:
            return 0  # a job left from a larger setting: nothing is its part
        # Every active rule; each call plans one batch of one of them.
        rules = self.search([])  # pylint: disable=no-search-all
        done, remaining = rules._generate_batch(GENERATE_BATCH, part, parts)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if done and remaining and (cron_id := self.env.context.get("cron_id")):
            # The cron runner calls a job ten times per turn; a trigger wakes
            # the cron workers for the next turn at once (else the next
            # turn waits for their next wake-up, up to a minute later).
            # Not after a call that planned nothing: no busy loop on a
            # source that can never be planned.
            # sudo: the cron user may not be allowed to write scheduled actions.
            self.env["ir.cron"].sudo().browse(cron_id)._trigger()
        if not remaining:
            # Reported once every part of a rule is done (a part still at
            # work leaves it to its own last call, or to the next run).
            # One worker reports: the others finishing at the same moment
            # find the rule's report lock taken.
            self.search([("generate_request_uid", "!=", False)]).filtered(
                lambda rule: not rule._todo(1)[0] and rule._lock(REPORT_LOCK)
            )._report_generation()
        return done

    def _report_generation(self):
        """Tell who asked for a generation what it planned (a notification
        in their browser and a line in the rule's chatter)."""
        for rule in self:
            # sudo: plans of every agent count.
            count = (
                self.env["visit.plan"].sudo().search_count([("rule_id", "=", rule.id)])
            )
            count -= rule.generate_request_plans
            # In the language of who asked, not the cron user's.
            requester = rule.generate_request_uid
            env = rule.with_context(lang=requester.lang).env
            name = rule.with_context(lang=requester.lang).name
            # One term for 1 and one for other numbers (Chinese alike).
            message = (
                env._("Generation done: rule %(rule)s planned 1 new plan.", rule=name)
                if count == 1
                else env._(
                    "Generation done: rule %(rule)s planned %(count)s new plans.",
                    count=count,
                    rule=name,
                )
            )
            rule.message_post(body=message)
            requester._bus_send(
                "simple_notification",
                {"type": "success", "message": message},
            )
        self.write({"generate_request_uid": False, "generate_request_plans": 0})

    @addon_action
    def action_generate(self):
        """Button: queue the generation of the selected rules in the
        Generate job, which plans them in batches (a large rule cannot time
        out the browser); the user is told once it is done."""
        self.check_access("write")
        for rule in self:
            # sudo: the baseline counts every plan of the rule, as the report will.
            planned = (
                self.env["visit.plan"].sudo().search_count([("rule_id", "=", rule.id)])
            )
            rule.write(
                {
                    "generate_request_uid": self.env.uid,
                    "generate_request_plans": planned,
                }
            )
        # Every worker's job, each plans its part (sudo inside).
        for job in self.env["ir.cron"]._visit_generate_jobs().filtered("active"):
            job._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "Generation queued: the Generate job plans %s in the background "
                    "and tells you what it planned once done.",
                    ", ".join(self.mapped("name")),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_view_plans(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_visit.visit_plan_action"
        )
        action["domain"] = [("rule_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_view_skips(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_visit.visit_rule_skip_action"
        )
        action["domain"] = [("rule_id", "=", self.id)]
        return action
