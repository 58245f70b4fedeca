import math
import random
from collections import Counter, defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from ..models.const import CHANNELS
from ..models.visit_domain import literal_domain
from ..models.visit_planner import SKIP_REASONS
from ..models.visit_protect import addon_action

CREATE_BATCH = 1000


class VisitBatchWizard(models.TransientModel):
    """Schedule follow-up visits for many sources at once (批量回访)."""

    _name = "visit.batch.wizard"
    _inherit = ["visit.assignment.mixin"]
    _description = "Batch Callbacks"

    state = fields.Selection(
        [("options", "Options"), ("preview", "Preview")], default="options"
    )
    source_model = fields.Selection(
        "_selection_source_model", required=True, default="sale.order"
    )
    source_domain = fields.Char(
        string="Records",
        compute="_compute_source_domain",
        store=True,
        readonly=False,
        precompute=True,
        help="Which records get a visit, when none were selected in a list. "
        "By default: confirmed orders; customers counted once per company, "
        "without your own companies and your users.",
    )
    source_ids_text = fields.Text(
        help="Technical: the ids selected in a list, comma separated."
    )
    selected_count = fields.Integer(compute="_compute_selected_count")
    type_id = fields.Many2one("visit.type", string="Visit Type", required=True)
    channel = fields.Selection(
        CHANNELS,
        compute="_compute_channel",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
    )
    scheduled_date = fields.Datetime(required=True, default=fields.Datetime.now)
    deadline_days = fields.Integer(
        string="Deadline (days)",
        default=7,
        help="Days after the scheduled time by which the visit must be done; "
        "0 for none.",
    )
    sample_percent = fields.Float(string="Sample (%)", default=100.0)
    sample_cap = fields.Integer(
        string="At most (0: no limit)", help="Maximum number of visits; 0 for no cap."
    )
    sample_seed = fields.Integer(
        string="Seed",
        default=lambda self: random.SystemRandom().randint(1, 999999),
        help="The same seed on the same records draws the same sample.",
    )
    skip_bad_phone = fields.Boolean(
        string="Skip missing or invalid phones", default=True
    )
    skip_open_visits = fields.Boolean(
        string="Skip records with an open visit of this type", default=True
    )
    served_by_path = fields.Char(
        string="Served by",
        help="The field of the records naming whose work the customer "
        "judges (the order's salesperson...), possibly through other "
        "records: stored on each visit.",
    )
    served_department_path = fields.Char(
        string="Department served",
        help="The field of the records naming the department whose work the "
        "customer judges. Empty: the department of the person served, as "
        "an employee of the visit's company.",
    )
    served_product_path = fields.Char(
        string="Product served",
        help="The field of the records naming the product the service was "
        "about: stored on each visit.",
    )
    to_create_count = fields.Integer(readonly=True)
    skipped_count = fields.Integer(readonly=True)
    line_ids = fields.One2many("visit.batch.wizard.line", "wizard_id", readonly=True)

    @api.model
    def _selection_source_model(self):
        """Every document with follow-up visits (visit.document.mixin)."""
        # sudo: the names of the models, whatever the user may read of ir.model.
        IrModel = self.env["ir.model"].sudo()
        return [
            (model, IrModel._get(model).name)
            for model in self.env["visit.planner"]._source_link_fields()
        ]

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        model = context.get("active_model")
        if model in self.env["visit.planner"]._source_link_fields() and context.get(
            "active_ids"
        ):
            values["source_model"] = model
            if context.get("active_domain") is not None and context.get(
                "batch_use_domain"
            ):
                # The list's filter, within what a batch may call at all.
                values["source_domain"] = repr(
                    expression.AND(
                        [
                            list(context["active_domain"]),
                            self._default_source_domain(model),
                        ]
                    )
                )
            else:
                values["source_ids_text"] = ",".join(map(str, context["active_ids"]))
        if "type_id" in fields_list and not values.get("type_id"):
            # One obvious choice: the only visit type there is.
            types = self.env["visit.type"].search([], limit=2)
            if len(types) == 1:
                values["type_id"] = types.id
        return values

    @api.depends("source_model")
    def _compute_source_domain(self):
        for wizard in self:
            wizard.source_domain = repr(
                wizard._default_source_domain(wizard.source_model)
            )

    @api.model
    def _default_source_domain(self, model):
        """The records a batch calls when no filter says otherwise: confirmed
        orders (not quotations nor cancelled ones); customers once per
        company (its contacts through it), never the user's own companies
        nor the partners of internal users (the staff)."""
        if model == "sale.order":
            return [("state", "=", "sale")]
        if model == "res.partner":
            # sudo: every internal user's partner is excluded, archived
            # users' too, whether or not the user may read them.
            Users = self.env["res.users"].sudo().with_context(active_test=False)
            staff = Users.search([("share", "=", False)]).partner_id
            # sudo: the partners of the user's companies, as ids only.
            companies = self.env.user.company_ids.sudo()
            own = companies.partner_id | staff
            return [("parent_id", "=", False), ("id", "not in", sorted(own.ids))]
        return []

    @api.onchange("source_model")
    def _onchange_source_model(self):
        # The served paths of another kind of record name nothing here; the
        # visit type proposes its own.
        self.env["visit.planner"]._fit_served_paths(
            self, self.source_model, self.type_id, clear=True
        )

    @api.onchange("type_id")
    def _onchange_type_id_served(self):
        # An empty served path takes the visit type's default when it fits
        # the records of the batch.
        self.env["visit.planner"]._fit_served_paths(
            self, self.source_model, self.type_id
        )

    @api.depends("type_id")
    def _compute_channel(self):
        for wizard in self:
            wizard.channel = wizard.type_id.default_channel or wizard.channel or "phone"

    @api.depends("source_model", "source_ids_text", "source_domain")
    def _compute_selected_count(self):
        for wizard in self:
            wizard.selected_count = len(wizard._get_sources())

    # ------------------------------------------------------------------
    # Reading the sources
    # ------------------------------------------------------------------
    def _get_sources(self):
        self.ensure_one()
        model = self.env[self.source_model]
        if self.source_ids_text:
            ids = [int(i) for i in self.source_ids_text.split(",") if i.strip()]
            return self._one_per_customer(model.browse(ids).exists())
        try:
            # A literal domain, searched with the user's rights (data, never code).
            domain = literal_domain(self.env, self.source_domain or "[]")
            sources = model.search(domain, order="id")
        except Exception as error:
            raise UserError(
                self.env._("The records filter does not work: %s", error)
            ) from error
        return self._one_per_customer(sources)

    @api.model
    def _one_per_customer(self, sources):
        """Contacts count once per customer (their commercial entity): the
        company itself when it is among them, else its first contact."""
        if sources._name != "res.partner":
            return sources
        kept = {}
        for partner in sources:
            entity = partner.commercial_partner_id
            if entity.id not in kept or partner == entity:
                kept[entity.id] = partner.id
        return sources.browse(list(kept.values()))

    @staticmethod
    def _source_partner(source):
        return source if source._name == "res.partner" else source.partner_id

    # ------------------------------------------------------------------
    # Planning: who gets a visit, who is skipped and why, who calls
    # ------------------------------------------------------------------
    def _check_options(self):
        if not 0 < self.sample_percent <= 100:
            raise UserError(
                self.env._("The sample is a percentage above 0 and at most 100.")
            )
        if self.sample_cap < 0 or self.deadline_days < 0:
            raise UserError(self.env._("The cap and the deadline cannot be negative."))
        self._check_assignment()
        Planner = self.env["visit.planner"]
        Planner._check_served_paths(
            self.source_model,
            Planner._served_paths(self),
            self.env._("Batch Callbacks"),
        )

    def _plan(self):
        """Return ([(source, partner, user)], {reason: sources}) without writing."""
        self.ensure_one()
        self._check_options()
        sources = self._get_sources()
        if not sources:
            raise UserError(
                self.env._("No records selected: select the records to call first.")
            )
        Planner = self.env["visit.planner"]
        skipped = defaultdict(list)
        eligible = []
        open_sources = (
            self._sources_with_open_visit(sources) if self.skip_open_visits else set()
        )
        for source in sources:
            partner = self._source_partner(source)
            reason = Planner._skip_reason(
                partner, self.channel, check_phone=self.skip_bad_phone
            )
            if not reason and source.id in open_sources:
                reason = "open_visit"
            if not reason:
                eligible.append(source)
                continue
            skipped[reason].append(source.id)
        drawn = self._draw_sample(
            self.env[self.source_model].browse(source.id for source in eligible)
        )
        if len(drawn) < len(eligible):
            drawn_ids = {source.id for source in drawn}
            skipped["not_sampled"] = [s.id for s in eligible if s.id not in drawn_ids]
        planned = []
        assign = self._visit_assigner(self.type_id)
        for source in drawn:
            user = Planner._assignee(
                self.type_id,
                assign(source),
                self._source_owner(source),
                self.exclude_salesperson,
            )
            if user is None:
                skipped["no_assignee"].append(source.id)
                continue
            planned.append((source, self._source_partner(source), user))
        Source = self.env[self.source_model]
        return planned, {reason: Source.browse(ids) for reason, ids in skipped.items()}

    def _sources_with_open_visit(self, sources):
        link = self.env["visit.planner"]._source_link_fields()[self.source_model]
        # sudo: a visit of another agent still counts as an open visit.
        groups = (
            self.env["visit.record"]
            .sudo()
            ._read_group(
                [
                    (link, "in", sources.ids),
                    ("type_id", "=", self.type_id.id),
                    ("is_open", "=", True),
                ],
                [link],
            )
        )
        return {source.id for (source,) in groups}

    def _draw_sample(self, eligible):
        """The sources drawn: the planner's draw, the rules' algorithm."""
        count = math.ceil(len(eligible) * self.sample_percent / 100.0)
        if self.sample_cap:
            count = min(count, self.sample_cap)
        drawn = self.env["visit.planner"]._draw(
            self.sample_seed, self.source_model, eligible.ids, count
        )
        return eligible.browse(drawn)

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def action_preview(self):
        """Count what would be created, per assignee, and what is skipped."""
        self.ensure_one()
        planned, skipped = self._plan()
        per_user = Counter(user.id for _source, _partner, user in planned)
        lines = [Command.clear()]
        lines += [
            Command.create(
                {"kind": "assignee", "user_id": user_id or False, "count": count}
            )
            for user_id, count in sorted(per_user.items(), key=lambda item: -item[1])
        ]
        lines += [
            Command.create(
                {
                    "kind": "skip",
                    "reason": reason,
                    "count": len(records),
                    "record_names": ", ".join(records[:50].mapped("display_name"))
                    + (" …" if len(records) > 50 else ""),
                }
            )
            for reason, _label in SKIP_REASONS
            if (records := skipped.get(reason))
        ]
        self.write(
            {
                "state": "preview",
                "to_create_count": len(planned),
                "skipped_count": sum(len(records) for records in skipped.values()),
                "line_ids": lines,
            }
        )
        return self._reopen()

    def action_back(self):
        self.write({"state": "options", "line_ids": [Command.clear()]})
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Batch Callbacks"),
        }

    @addon_action
    def action_confirm(self):
        """Create the visits, in batches, all or nothing."""
        self.ensure_one()
        planned, skipped = self._plan()
        if not planned:
            skipped_count = sum(len(records) for records in skipped.values())
            raise UserError(
                self.env._(
                    "Nothing to schedule: the selected record is skipped. "
                    "Check the preview for the reason."
                )
                if skipped_count == 1
                else self.env._(
                    "Nothing to schedule: all %s selected records are skipped. "
                    "Check the preview for the reasons.",
                    skipped_count,
                )
            )
        Planner = self.env["visit.planner"]
        deadline = timedelta(days=self.deadline_days) if self.deadline_days else None
        Visit = self.env["visit.record"].with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True, tracking_disable=True
        )
        visits = self.env["visit.record"]
        context = {"calendars": {}, "policies": {}}
        paths = Planner._served_paths(self)
        for start in range(0, len(planned), CREATE_BATCH):
            chunk = planned[start : start + CREATE_BATCH]
            companies = {
                source.id: source.company_id or self.env.company for source, *_ in chunk
            }
            served = Planner._served_values(
                self.env[self.source_model].browse(source.id for source, *_ in chunk),
                paths,
                {source_id: company.id for source_id, company in companies.items()},
            )
            vals_list = [
                Planner._visit_values(
                    self.type_id,
                    partner,
                    self.scheduled_date,
                    user=user,
                    channel=self.channel,
                    deadline_delta=deadline,
                    company=companies[source.id],
                    links=Planner._links(self.source_model, source.id),
                    independent=self.exclude_salesperson,
                    **served.get(source.id, {}),
                    **context,
                )
                for source, partner, user in chunk
            ]
            visits |= Visit.create(vals_list)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_visit.visit_record_action"
        )
        action["domain"] = [("id", "in", visits.ids)]
        action["context"] = {}
        action["name"] = self.env._("Visits of the batch")
        skipped_count = sum(len(records) for records in skipped.values())
        self.env.user._bus_send(
            "simple_notification",
            {"type": "success", "message": self._batch_summary(visits, skipped_count)},
        )
        return action

    def _batch_summary(self, visits, skipped_count):
        """What the batch created, in words: singular and plural forms are
        separate terms, so that each language says "1 visit", "1 agent"."""
        count, users = len(visits), len(visits.user_id)
        visits_text = (
            self.env._("%(count)s %(type)s visit", count=count, type=self.type_id.name)
            if count == 1
            else self.env._(
                "%(count)s %(type)s visits", count=count, type=self.type_id.name
            )
        )
        agents_text = (
            self.env._("%(users)s agent", users=users)
            if users == 1
            else self.env._("%(users)s agents", users=users)
        )
        skipped_text = (
            self.env._("%(skipped)s record skipped", skipped=skipped_count)
            if skipped_count == 1
            else self.env._("%(skipped)s records skipped", skipped=skipped_count)
        )
        return self.env._(
            "%(visits)s created for %(agents)s; %(skipped)s.",
            visits=visits_text,
            agents=agents_text,
            skipped=skipped_text,
        )


class VisitBatchWizardLine(models.TransientModel):
    _name = "visit.batch.wizard.line"
    _description = "Batch Callbacks: Preview Line"
    _order = "kind, count desc, id"

    wizard_id = fields.Many2one("visit.batch.wizard", required=True, ondelete="cascade")
    kind = fields.Selection(
        [("assignee", "Visits"), ("skip", "Skipped")], required=True
    )
    user_id = fields.Many2one("res.users", string="Assignee")
    reason = fields.Selection(SKIP_REASONS)
    count = fields.Integer()
    record_names = fields.Text(string="Records")
