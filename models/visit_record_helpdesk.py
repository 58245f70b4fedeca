"""The complaint loop of a visit: tickets for what the customer raised.

A reached visit whose customer is less than satisfied, or whose script
answers are problems, opens a helpdesk ticket (OCA ``helpdesk_mgmt``) for
the type's complaint team, with the aspects, answers and opinion; the
visit's problem stays open until the ticket is closed and, where the type
asks, a confirmation visit checks the answer with the customer.
"""

from markupsafe import Markup

from odoo import fields, models
from odoo.tools import plaintext2html

from .visit_calendar import WorkCalendar, labelled_time


class VisitRecord(models.Model):
    _inherit = "visit.record"

    complaint_ticket_ids = fields.One2many(
        "helpdesk.ticket", "origin_visit_id", string="Complaints Raised"
    )

    complaint_ticket_count = fields.Integer(
        string="Tickets", compute="_compute_complaint_ticket_count"
    )

    def _after_done(self):
        res = super()._after_done()
        self._open_problem_tickets()
        return res

    def _compute_complaint_ticket_count(self):
        # sudo: the agent sees at once that a ticket was opened, even without
        # helpdesk rights (the smart button then opens what they may read).
        counts = (
            dict(
                self.env["helpdesk.ticket"]
                .sudo()
                ._read_group(
                    [("origin_visit_id", "in", self.ids)],
                    ["origin_visit_id"],
                    ["__count"],
                )
            )
            if self.ids
            else {}
        )
        for rec in self:
            rec.complaint_ticket_count = counts.get(rec, 0)

    def _problems_raised(self):
        """What this reached visit raised: dissatisfaction, and the answers
        of its script that are problems."""
        self.ensure_one()
        problems = (
            [self.env._("The customer is not satisfied.")]
            if self.is_unsatisfied
            else []
        )
        problems += [
            self.env._(
                "“%(question)s”: %(answer)s",
                question=answer.question_id.name,
                answer=answer._display_value(),
            )
            for answer in self.answer_ids
            # An unsatisfied aspect is the dissatisfaction above.
            if not answer.question_id.aspect
            and answer.question_id._raises_problem(answer)
        ]
        return problems

    def _open_problem_tickets(self):
        """An unsatisfied customer, or an answer that is a problem, gets a
        ticket for the responsible team; the visit's problem stays open
        until a confirmation visit closes it."""
        new_tickets = []
        for rec in self:
            problems = rec._problems_raised()
            if not problems:
                continue
            if not rec.problem_description:
                rec.problem_description = "\n".join(problems)
                rec.is_problem_solved = False
            # sudo: an agent without helpdesk rights cannot see the complaint
            # they filed in the outcome wizard a moment ago.
            if filed := rec.sudo().complaint_ticket_ids:
                filed.write({"visit_confirmation_required": True})
                continue
            title = (
                self.env._(
                    "Unsatisfied customer: %(customer)s (%(visit)s)",
                    customer=rec.partner_id.name,
                    visit=rec.name,
                )
                if rec.is_unsatisfied
                else self.env._(
                    "Problem raised: %(customer)s (%(visit)s)",
                    customer=rec.partner_id.name,
                    visit=rec.name,
                )
            )
            new_tickets.append(
                rec._ticket_values(title, rec.opinion or rec.problem_description)
            )
        self._create_tickets(new_tickets)

    def _ticket_values(self, title, description, team=None):
        """A ticket raised by this visit: what the customer rated below
        satisfied, the answers and ``description`` (the customer's words);
        the team of its subject and one of its members (never the agent
        who called, unless a member), the type's reply deadline in working
        days, and a visit to confirm once closed."""
        self.ensure_one()
        visit_type = self.type_id
        team = (
            team
            # A shared reason's team of another company is not this visit's.
            or self.score_reason_ids.team_id.filtered(
                lambda reason_team: (
                    reason_team.company_id in (self.company_id, self.env["res.company"])
                )
            )[:1]
            or visit_type._team_for(self.opinion_category)
        )
        values = {
            "name": title,
            # The customer's words are text, never markup, in the ticket.
            "description": plaintext2html(self._ticket_description(description)),
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "team_id": team.id,
            # Explicit, else helpdesk's auto-assignment gives it to whoever
            # files it: the agent who called.
            "user_id": self.env["helpdesk.ticket"]
            ._visit_complaint_assignee(team, self.company_id)
            .id,
            "origin_visit_id": self.id,
            "visit_confirmation_required": True,
        }
        if visit_type.reply_days:
            calendar = self._visit_calendar()
            now = fields.Datetime.now().replace(microsecond=0)
            values["visit_reply_deadline"] = WorkCalendar(
                calendar, now, now
            ).add_working_days(now, visit_type.reply_days, at_end=True)
        return values

    def _ticket_description(self, description):
        """The text of a ticket raised by this visit: the aspects rated
        below satisfied, the answers of its script, then ``description``."""
        self.ensure_one()
        aspects = [
            "- %s: %s" % (answer.question_id.name, answer._display_value())
            for answer in self.answer_ids
            if answer.question_id.aspect
            and not answer.is_skipped
            and answer.value_level
            and answer.value_level != "satisfied"
        ]
        answers = [
            "- %s: %s" % (answer.question_id.name, answer._display_value())
            for answer in self.answer_ids
            if not answer.question_id.aspect and answer._display_value()
        ]
        parts = []
        if aspects:
            parts.append("\n".join([self.env._("Rated below satisfied:"), *aspects]))
        if self.score_reason_ids:
            parts.append(
                "\n".join(
                    [
                        self.env._("Reasons:"),
                        *(
                            "- %s" % name
                            for name in self.score_reason_ids.mapped("name")
                        ),
                    ]
                )
            )
        if answers:
            parts.append("\n".join([self.env._("Answers:"), *answers]))
        if description:
            # The customer's opinion says so; a complaint's own text or the
            # problems raised stand as they are.
            parts.append(
                "\n".join([self.env._("Opinion:"), description])
                if parts and description == self.opinion
                else description
            )
        return "\n\n".join(parts)

    def _create_tickets(self, vals_list):
        """Create the tickets and tell the agent at once, in the visit's chatter."""
        # sudo: agents file the tickets for the customers without being
        # helpdesk users; a ticket belongs to the responsible team.
        tickets = self.env["helpdesk.ticket"].sudo().create(vals_list)
        for ticket in tickets:
            visit = ticket.origin_visit_id.with_env(self.env)
            values = {
                "ticket": ticket._get_html_link(),
                "team": ticket.team_id.name or "-",
            }
            if ticket.visit_reply_deadline:
                body = self.env._(
                    "Ticket %(ticket)s opened for %(team)s, to answer by %(deadline)s."
                )
                # In the visit's zone, labelled: whoever closed it (the
                # customer, a job) may read another one.
                values["deadline"] = labelled_time(
                    self.env,
                    ticket.visit_reply_deadline,
                    visit._calling_hours_zone() or self.env.user.tz or "UTC",
                )
            else:
                body = self.env._("Ticket %(ticket)s opened for %(team)s.")
            # The agent gets the link in their inbox (when someone else
            # closed the visit: the customer on the portal, a job).
            visit.message_post(
                body=Markup(body) % values,
                partner_ids=visit.user_id.partner_id.ids,
                subtype_xmlid="mail.mt_note",
            )
        return tickets

    def _schedule_confirmation(self, ticket):
        """The complaint ``ticket`` raised by this visit is closed: ask the
        customer whether they are satisfied now (a new round of the plan)."""
        self.ensure_one()
        if self.next_record_ids.filtered(
            lambda rec: rec.is_confirmation and rec.ticket_id == ticket
        ):
            return self.browse()
        if self.partner_id._visit_opted_out():
            ticket.message_post(
                body=self.env._(
                    "No confirmation visit: %s asked not to be contacted.",
                    self.partner_id.name,
                )
            )
            return self.browse()
        values = self.env["visit.planner"]._round_values(
            self,
            fields.Datetime.now(),
            is_confirmation=True,
        )
        values["ticket_id"] = ticket.id
        # sudo: the helpdesk user closing the ticket schedules the visit for
        # the agent of the original visit.
        confirmation = self.sudo().create(values)
        confirmation.message_post(
            body=self.env._(
                "Ticket %s is closed: confirm with the customer that they are "
                "satisfied.",
                ticket.display_name,
            )
        )
        return confirmation

    def action_view_tickets(self):
        """The tickets this visit opened."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "helpdesk_mgmt.helpdesk_ticket_action"
        )
        action["domain"] = [("origin_visit_id", "=", self.id)]
        action["context"] = {"create": False}
        return action
