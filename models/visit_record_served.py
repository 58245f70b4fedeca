"""Whose service a visit judged: the person, department and product served.

The planner reads them from the source (a rule's or a batch's *Served by*,
*Department served* and *Product served* paths) when it builds the visit;
every figure of the cases can then be read per served person, department
and product, beside the agent who called. Only managers correct them by
hand.
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError

from .visit_protect import field_labels, refused_fields

SERVED_FIELDS = ("served_by_id", "served_department_id", "served_product_id")


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
        # A visit made by hand (an agent's "Add a round", an RPC create)
        # names no served person: the planner, the batch and the next
        # rounds set them as the addon's own action.
        for vals in vals_list:
            self._check_served_write(vals)
        return super().create(vals_list)

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
