from datetime import datetime

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .const import CHANNELS, SERVED_FIELDS
from .visit_protect import (
    addon_action,
    field_labels,
    is_addon_write,
    refused_fields,
)

# What ties a plan to its rule and source: written by the rule's job and the
# addon's actions only (a plan pointed at a ticket by hand would mark the
# ticket as followed up, and the rule would never plan it).
PROTECTED_FIELDS = {
    "state",
    "rule_id",
    "rule_source_id",
    "reference_date",
    "draw_id",
    "skipped_steps",
    "merged_record_ids",
    "date_cancelled",
    "cancel_reason",
}
# A rule's plan keeps its source document too.
RULE_PLAN_FIELDS = {"partner_id", "sale_order_id", "ticket_id", "source_ref"}


class VisitPlan(models.Model):
    """The follow-up owed to one partner about one source (回访计划).

    Its visits are its steps.  A plan stays open until every step is closed
    and no problem raised during a visit is left unanswered.
    """

    _name = "visit.plan"
    _description = "Visit Plan"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "visit.source.mixin",
        "visit.batch.defaults.mixin",
    ]
    _order = "create_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True, readonly=False)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        ondelete="restrict",
        index=True,
        tracking=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        tracking=True,
        check_company=True,
    )
    type_id = fields.Many2one("visit.type", string="Visit Type", tracking=True)
    channel = fields.Selection(CHANNELS)
    record_ids = fields.One2many("visit.record", "plan_id", string="Steps")
    record_count = fields.Integer(compute="_compute_record_count")
    state = fields.Selection(
        [("open", "Open"), ("done", "Done"), ("cancelled", "Cancelled")],
        compute="_compute_state",
        store=True,
        tracking=True,
        index=True,
    )
    date_cancelled = fields.Datetime(readonly=True, copy=False)
    cancel_reason = fields.Text(readonly=True, copy=False)
    rule_id = fields.Many2one(
        "visit.rule",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
        copy=False,
    )
    rule_source_id = fields.Integer(
        string="Rule Source ID",
        readonly=True,
        copy=False,
        help="Technical: id of the record of the rule's model this plan follows up.",
    )
    reference_date = fields.Datetime(
        readonly=True, copy=False, help="The date the rule's steps count from."
    )
    draw_id = fields.Many2one(
        "visit.rule.draw",
        string="Sample",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
        copy=False,
    )
    skipped_steps = fields.Text(
        string="Steps left out",
        readonly=True,
        copy=False,
        help="Steps of the rule already past when the record qualified "
        "(before a date that had come), with when they were due.",
    )
    merged_record_ids = fields.Many2many(
        "visit.record",
        "visit_record_merged_plan_rel",
        "plan_id",
        "record_id",
        string="Merged into",
        readonly=True,
        copy=False,
        help="Visits of other plans that also answer this one: the customer "
        "is not called twice within the company's contact interval.",
    )
    next_date = fields.Datetime(
        string="Next Step",
        compute="_compute_next_date",
        store=True,
        help="Scheduled time of the next open step.",
    )

    @api.depends("partner_id", "source_name", "type_id")
    def _compute_name(self):
        for plan in self:
            plan.name = plan._name_of(plan.partner_id, plan.type_id, plan.source_name)

    @api.depends_context("lang")
    @api.depends("partner_id.name", "source_name", "type_id.name")
    def _compute_display_name(self):
        """Shown in the reader's language (the type's name is translated),
        whoever created the plan; the stored name, in its creator's, serves
        search."""
        for plan in self:
            plan.display_name = plan._name_of(
                plan.partner_id, plan.type_id, plan.source_name
            )

    @api.model
    def _name_of(self, partner, visit_type, source_name):
        return " / ".join(
            part for part in (partner.name, visit_type.name, source_name) if part
        )

    @api.model
    def _add_creation_hints(self, vals_list):
        """Also the name and, with no steps yet, the state."""
        # The source name first: used below.
        vals_list = super()._add_creation_hints(vals_list)
        partners = self.env["res.partner"].browse(
            {vals["partner_id"] for vals in vals_list if vals.get("partner_id")}
        )
        types = self.env["visit.type"].browse(
            {vals["type_id"] for vals in vals_list if vals.get("type_id")}
        )
        # Read once for the batch (prefetch), then per plan from the cache.
        partners.mapped("name")
        types.mapped("name")
        for vals in vals_list:
            if "name" not in vals:
                vals["name"] = self._name_of(
                    partners.browse(vals.get("partner_id")),
                    types.browse(vals.get("type_id")),
                    vals.get("source_name"),
                )
            if not vals.get("record_ids") and not vals.get("merged_record_ids"):
                vals.setdefault(
                    "state", "cancelled" if vals.get("date_cancelled") else "open"
                )
        return vals_list

    def _compute_record_count(self):
        counts = dict(
            self.env["visit.record"]._read_group(
                [("plan_id", "in", self.ids)], ["plan_id"], ["__count"]
            )
        )
        for plan in self:
            plan.record_count = counts.get(plan, 0)

    def init(self):
        # Never two open plans of the same rule for the same source, even
        # when two generations run at once (a database guarantee).
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS visit_plan_rule_source_open_uniq
                ON visit_plan (rule_id, rule_source_id)
             WHERE state = 'open' AND rule_id IS NOT NULL
            """
        )
        # What a rule planned of a source, whatever the state (the
        # generation's "still owed" query).
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS visit_plan_rule_source_idx
                ON visit_plan (rule_id, rule_source_id)
             WHERE rule_id IS NOT NULL
            """
        )

    @api.depends(
        "date_cancelled",
        "record_ids.state",
        "record_ids.is_problem_open",
        "merged_record_ids.state",
        "merged_record_ids.is_problem_open",
    )
    def _compute_state(self):
        for plan in self:
            steps = plan.record_ids | plan.merged_record_ids
            if plan.date_cancelled or (
                steps and all(step.state == "cancelled" for step in steps)
            ):
                plan.state = "cancelled"
            elif (
                steps
                and all(step.state in ("done", "failed", "cancelled") for step in steps)
                and not any(steps.mapped("is_problem_open"))
            ):
                plan.state = "done"
            else:
                plan.state = "open"

    @api.depends("record_ids.scheduled_date", "record_ids.state")
    def _compute_next_date(self):
        for plan in self:
            dates = plan.record_ids.filtered(
                lambda step: step.state in ("planned", "in_progress")
            ).mapped("scheduled_date")
            plan.next_date = min(dates) if dates else False

    @api.model
    def default_get(self, fields_list):
        """Defaults never fill protected fields for a user (``default_*``
        context keys are the caller's to choose)."""
        values = super().default_get(fields_list)
        if not is_addon_write(self.env):
            for fname in PROTECTED_FIELDS.intersection(values):
                del values[fname]
        return values

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self.browse()._check_protected(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_protected(vals)
        self.filtered("rule_id")._check_protected(vals, RULE_PLAN_FIELDS)
        return super().write(vals)

    def _check_protected(self, vals, protected=None):
        if refused := refused_fields(self, vals, protected or PROTECTED_FIELDS):
            raise AccessError(
                self.env._(
                    "%s of a plan change only through the rule's job and the "
                    "plan's buttons, not by a direct write.",
                    field_labels(self, refused),
                )
            )

    @addon_action
    def action_cancel(self, reason):
        """Cancel the plans and their open steps, keeping the reason."""
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give a reason to cancel a visit plan."))
        if closed := self.filtered(lambda plan: plan.state != "open"):
            raise UserError(
                self.env._(
                    "Only open plans can be cancelled: %s",
                    ", ".join(closed.mapped("display_name")),
                )
            )
        self.record_ids.filtered(
            lambda step: step.state in ("planned", "in_progress")
        )._do_cancel()
        self.write({"date_cancelled": fields.Datetime.now(), "cancel_reason": reason})
        for plan in self:
            plan.message_post(
                body=self.env._("Plan cancelled: %s", reason),
            )
        return True

    def _cancel_emptied(self):
        """Cancel the open plans left without any visit (their visits were
        deleted): nothing is owed by them any more, and a plan of a rule
        stays, so that the rule does not plan its source again."""
        # sudo: the deletion of the visits was allowed; the plan follows,
        # whoever may edit it (only its cancellation, with the reason).
        emptied = (
            self.exists()
            .sudo()
            .filtered(
                lambda plan: (
                    plan.state == "open"
                    and not plan.record_ids
                    and not plan.merged_record_ids
                )
            )
        )
        if emptied:
            emptied.action_cancel(self.env._("Its visits were deleted."))
        return emptied

    def action_open_cancel_wizard(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Cancel Visit Plan"),
            "res_model": "visit.plan.cancel.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_plan_ids": self.ids},
        }

    def action_view_records(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_visit.visit_record_action"
        )
        action["domain"] = [("plan_id", "=", self.id)]
        action["context"] = {
            "default_plan_id": self.id,
            "default_partner_id": self.partner_id.id,
        }
        return action

    @addon_action
    def action_add_step(self):
        """Open a new visit of this plan (a further round), prefilled by the
        planner as any other round: same customer, source, assignee and
        policy, placed inside calling hours."""
        self.ensure_one()
        Planner = self.env["visit.planner"]
        last = self.record_ids.sorted(lambda rec: (rec.round, rec.id))[-1:]
        now = fields.Datetime.now().replace(microsecond=0)
        if last:
            values = Planner._round_values(last, now, channel=last.channel)
            values.pop("previous_record_id")
            # Who and what was served: filled when the round is saved
            # (visit.record._add_served_of_plans), not by the client.
            for fname in SERVED_FIELDS:
                values.pop(fname, None)
        else:
            values = Planner._visit_values(
                self.type_id,
                self.partner_id,
                now,
                user=self.user_id,
                channel=self.channel,
                rule=self.rule_id,
                company=self.company_id,
                links=Planner._links_of_record(self),
                plan_id=self.id,
                round=1,
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": "visit.record",
            "view_mode": "form",
            "target": "current",
            "context": {
                f"default_{key}": fields.Datetime.to_string(value)
                if isinstance(value, datetime)
                else value
                for key, value in values.items()
                if value
            },
        }
