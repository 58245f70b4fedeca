from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError


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

    @api.model
    def _visit_complaint_assignee(self, team, company):
        """Who handles a ticket a visit files for ``team``: the first member
        who is free (no open ticket, and allowed in ``company``), else the
        team's leader, who hands it on; nobody without a team."""
        # sudo: the agent filing the complaint may read neither the team's
        # members nor their tickets; only users are returned.
        team = team.sudo()
        members = team.user_ids.filtered(
            lambda user: user.active and not user.share and company in user.company_ids
        )
        # sudo: as above, the members' open tickets are only counted.
        busy = {
            user
            for [user] in self.sudo()._read_group(
                [("user_id", "in", members.ids), ("stage_id.closed", "=", False)],
                ["user_id"],
            )
        }
        free = members.filtered(lambda user: user not in busy)
        return (free[:1] or team.user_id).with_env(self.env)

    def write(self, vals):
        res = super().write(vals)
        if vals.get("origin_visit_id"):
            self._check_origin_visit()
        if vals.get("stage_id"):
            self._schedule_visit_confirmations()
        return res

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets.filtered("origin_visit_id")._check_origin_visit()
        tickets.filtered("closed")._schedule_visit_confirmations()
        return tickets

    def _check_origin_visit(self):
        """A user links a ticket only to a visit they may open, of the
        ticket's customer: closing the ticket plans a visit to that
        customer (the addon's own tickets are filed as superuser)."""
        if self.env.su:
            return
        for ticket in self:
            if not ticket.origin_visit_id.has_access("read"):
                raise AccessError(
                    self.env._(
                        "A ticket can be linked only to a follow-up visit you may open."
                    )
                )
            if not ticket._origin_visit_matches():
                raise ValidationError(
                    self.env._(
                        "A ticket can be linked only to a follow-up visit of "
                        "its own customer and company."
                    )
                )

    def _origin_visit_matches(self):
        """Whether the visit the ticket was raised in is of the ticket's
        customer (commercial entity) and company."""
        self.ensure_one()
        # sudo: only the customer and company are compared (a helpdesk user
        # closing the ticket may not read the visit).
        visit = self.origin_visit_id.sudo()
        return (
            bool(visit)
            and bool(self.partner_id)
            and visit.partner_id.commercial_partner_id
            == self.partner_id.commercial_partner_id
            and (not self.company_id or visit.company_id == self.company_id)
        )

    def _schedule_visit_confirmations(self):
        """Closed tickets raised by an unsatisfied customer: visit again,
        only when the ticket and its visit are of the same customer."""
        for ticket in self.filtered(
            lambda t: (
                t.closed
                and t.visit_confirmation_required
                and t.origin_visit_id
                and t._origin_visit_matches()
            )
        ):
            # sudo: whoever closes the ticket (a helpdesk user) schedules the
            # visit for the agent of the original visit.
            ticket.origin_visit_id.sudo()._schedule_confirmation(ticket)
