from odoo import fields, models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "visit.document.mixin"]
    _visit_link_field = "sale_order_id"

    visit_record_ids = fields.One2many(
        "visit.record",
        "sale_order_id",
        string="Follow-up Visits",
        groups="customer_visit.group_visit_user",
    )
