from odoo import api, fields, models


class HelpdeskTicket(models.Model):
    _name = "helpdesk.ticket"
    _inherit = ["helpdesk.ticket", "visit.document.mixin"]
    _visit_link_field = "ticket_id"

    visit_record_ids = fields.One2many(
        "visit.record",
        "ticket_id",
        string="Follow-up Visits",
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
    visit_reply_deadline = fields.Datetime(
        string="Reply by",
        copy=False,
        help="Raised during a follow-up visit: the visit type's reply deadline, "
        "in working days of its calling hours.",
    )
    visit_confirmation_required = fields.Boolean(
        string="Confirm with a visit",
        copy=False,
        help="When this ticket is closed, the customer is visited again to "
        "confirm they are satisfied.",
    )

    def write(self, vals):
        res = super().write(vals)
        if vals.get("stage_id"):
            self._schedule_visit_confirmations()
        return res

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets.filtered("closed")._schedule_visit_confirmations()
        return tickets

    def _schedule_visit_confirmations(self):
        """Closed tickets raised by an unsatisfied customer: visit again."""
        for ticket in self.filtered(
            lambda t: t.closed and t.visit_confirmation_required and t.origin_visit_id
        ):
            # sudo: whoever closes the ticket (a helpdesk user) schedules the
            # visit for the agent of the original visit.
            ticket.origin_visit_id.sudo()._schedule_confirmation(ticket)
