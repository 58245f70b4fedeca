"""Whose service a visit judged: the person, department and product served.

The planner reads them from the source (a rule's or a batch's *Served by*,
*Department served* and *Product served* paths) when it builds the visit;
every figure of the cases can then be read per served person, department
and product, beside the agent who called. Only managers correct them by
hand.
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError

from .const import SERVED_FIELDS
from .visit_protect import field_labels, is_addon_write, refused_fields


class VisitRecord(models.Model):
    _inherit = "visit.record"

    served_by_id = fields.Many2one(
        "res.partner",
        string="Served by",
        # Read from the source at planning, not duplicated by hand.
        copy=False,
        index=True,
        tracking=True,
        ondelete="restrict",
        help="Whose work the customer judged (the technician, doctor, "
        "salesperson...): read from the source when the visit was planned.",
    )
    served_department_id = fields.Many2one(
        "hr.department",
        string="Department served",
        # Read from the source at planning, not duplicated by hand.
        copy=False,
        index="btree_not_null",
        tracking=True,
        ondelete="restrict",
        help="The department whose work the customer judged (the ward, the "
        "repair team...): read from the source when the visit was planned, "
        "else the served person's department as an employee of the visit's "
        "company.",
    )
    served_product_id = fields.Many2one(
        "product.product",
        string="Product served",
        # Read from the source at planning, not duplicated by hand.
        copy=False,
        index="btree_not_null",
        tracking=True,
        ondelete="restrict",
        help="The product the service was about, read from the source when "
        "the visit was planned.",
    )
    is_served_editable = fields.Boolean(compute="_compute_is_served_editable")

    def _compute_is_served_editable(self):
        editable = self.env.user.has_group("customer_visit.group_visit_manager")
        for rec in self:
            rec.is_served_editable = editable

    @api.model_create_multi
    def create(self, vals_list):
        if not is_addon_write(self.env):
            if not self.env.user.has_group("customer_visit.group_visit_manager"):
                # Made by hand (an RPC create, "Add a round"), a visit names
                # nobody served, not even by the context's defaults: the
                # planner, the batch and the rounds set them.
                self = self.with_context(
                    **{
                        key: False
                        for key in self.env.context
                        if key.startswith("default_")
                        and key.removeprefix("default_") in SERVED_FIELDS
                    }
                )
                for vals in vals_list:
                    self._check_served_write(vals)
            self._add_served_of_plans(vals_list)
        return super().create(vals_list)

    def _served_of(self):
        """{served field: id} of this visit: what its next rounds keep."""
        self.ensure_one()
        return {fname: self[fname].id for fname in SERVED_FIELDS}

    def _add_served_of_plans(self, vals_list):
        """A round added by hand to a plan is for whom and what its last
        round was, as the rounds the addon makes (see
        visit.planner._round_values)."""

        def plan_of(vals):
            # A form names the plan by the context's default, not its values.
            if any(map(vals.get, SERVED_FIELDS)):
                return False
            return vals.get("plan_id") or self.env.context.get("default_plan_id")

        # Only a plan the user may read: its rounds' served are copied.
        plans = (
            self.env["visit.plan"]
            .browse({plan_of(vals) for vals in vals_list} - {False, None})
            ._filtered_access("read")
        )
        last_rounds = {
            # sudo: the plan's last round may be another agent's; only whom
            # and what it served are copied to the new round.
            plan.id: plan.sudo().record_ids.sorted(lambda rec: (rec.round, rec.id))[-1:]
            for plan in plans
        }
        for vals in vals_list:
            # A form sends every field: empty served values name nobody.
            if last := last_rounds.get(plan_of(vals)):
                vals.update(last._served_of())

    def write(self, vals):
        self._check_served_write(vals)
        return super().write(vals)

    def _check_served_write(self, vals):
        """Who and what was served are set at planning; only a manager
        corrects them by hand (tracked). On an empty recordset: a create."""
        if not set(SERVED_FIELDS).intersection(vals) or self.env.user.has_group(
            "customer_visit.group_visit_manager"
        ):
            return
        refused = refused_fields(self, vals, SERVED_FIELDS)
        if refused:
            raise AccessError(
                self.env._(
                    "%(fields)s of a visit are set when it is planned; only a "
                    "follow-up manager may correct them.",
                    fields=field_labels(self, refused),
                )
            )
