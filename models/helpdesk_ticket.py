from odoo import fields, models


class HelpdeskTicket(models.Model):
    _name = "helpdesk.ticket"
    _inherit = ["helpdesk.ticket", "visit.document.mixin"]
    _visit_link_field = "ticket_id"

    visit_record_ids = fields.One2many(
        "visit.record", "ticket_id", string="Follow-up Visits",
        groups="customer_visit.group_visit_user",
    )
    origin_visit_id = fields.Many2one(
        "visit.record",
        string="Raised during visit",
        ondelete="set null",
        index="btree_not_null",
        copy=False,
        help="The follow-up visit in which the customer raised this complaint.",
    )
