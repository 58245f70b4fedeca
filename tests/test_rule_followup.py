from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestRuleFollowUp(VisitCommon):
    """Retries and fallback, escalation, and the closed loop through a real
    helpdesk ticket."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.leader = new_test_user(
            cls.env,
            login="cv_leader2",
            name="Leader Liu",
            groups="customer_visit.group_visit_manager",
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Hotline",
                "user_id": cls.leader.id,
                "member_ids": [Command.set(cls.agent.ids)],
            }
        )
        cls.ticket_closed = cls._closed_ticket(
            fields.Datetime.now() - timedelta(days=1)
        )

    def _rule_visit(self, fallback_channel=None, **values):
        if "max_attempts" in values or fallback_channel:
            # The rule's own unreached policy, instead of its visit type's.
            values["override_unreached_policy"] = True
        if fallback_channel:
            values["fallback_ids"] = [Command.create({"channel": fallback_channel})]
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                [
                    {
                        "delay": 1,
                        "delay_unit": "hours",
                        "deadline_delay": 2,
                        "deadline_unit": "days",
                    }
                ],
                domain=f"[('id', '=', {self.ticket_closed.id})]",
                team_id=self.team.id,
                **values,
            )
        )
        rule._generate_batch()
        return rule.plan_ids.record_ids

    def _not_reached(self, visit, reason="no_answer"):
        visit.write(
            {"outcome": "not_reached", "unreached_reason_id": self.reason(reason).id}
        )
        visit.action_done()

    def _later(self, hours):
        return patch.object(
            fields.Datetime,
            "now",
            return_value=fields.Datetime.now() + timedelta(hours=hours),
        )

    # ------------------------------------------------------------------
    # Retries
    # ------------------------------------------------------------------
    def test_unreached_visit_is_retried_then_falls_back_to_letter(self):
        visit = self._rule_visit(
            max_attempts=2, retry_delay_hours=4, fallback_channel="letter"
        )
        self.assertEqual(
            (visit.max_attempts, visit.retry_delay_hours, visit.fallback_channel),
            (2, 4, "letter"),
        )
        self._not_reached(visit)
        self.assertEqual(visit.state, "in_progress", "waiting for the next attempt")
        self.assertTrue(visit.retry_date)
        self.assertFalse(visit._visit_activities(), "no to-do while waiting")
        # Not before the delay is over.
        self.env["visit.record"]._cron_retry()
        self.assertEqual(visit.state, "in_progress")
        with self._later(5):
            self.env["visit.record"]._cron_retry()
        self.assertEqual(
            (visit.state, visit.channel, visit.outcome), ("planned", "phone", False)
        )
        self.assertEqual(len(visit._visit_activities()), 1)
        # Second and last phone attempt: then one letter.
        self._not_reached(visit, "switched_off")
        with self._later(5):
            self.env["visit.record"]._cron_retry()
        self.assertEqual(
            (visit.state, visit.channel, visit.is_fallback_done),
            ("planned", "letter", True),
        )
        # The letter comes back: the visit fails with its reason.
        self._not_reached(visit, "void_number")
        self.assertEqual(
            (visit.state, visit.unreached_reason_id.code), ("failed", "void_number")
        )
        self.assertEqual(
            visit.attempt_ids.sorted("id").mapped("channel"),
            ["phone", "phone", "letter"],
        )
        self.assertEqual(
            [attempt.reason_id.code for attempt in visit.attempt_ids.sorted("id")],
            ["no_answer", "switched_off", "void_number"],
        )

    def test_without_fallback_the_visit_fails_after_its_last_attempt(self):
        visit = self._rule_visit(max_attempts=1)
        self._not_reached(visit, "refused")
        self.assertEqual(
            (visit.state, visit.unreached_reason_id.code), ("failed", "refused")
        )
        self.assertFalse(visit.retry_date)

    def test_retry_is_placed_inside_calling_hours(self):
        # The rule's calendar, not the company's, gives the calling hours.
        visit = self._rule_visit(
            max_attempts=2, retry_delay_hours=0, calendar_id=self._calling_calendar().id
        )
        self._not_reached(visit)
        visit.retry_date = "2026-09-25 18:00:00"
        # Saturday 26 September 2026, 03:00 in Shanghai.
        with patch.object(
            fields.Datetime,
            "now",
            return_value=fields.Datetime.to_datetime("2026-09-25 19:00:00"),
        ):
            self.env["visit.record"]._cron_retry()
        # The holiday Monday is skipped: Tuesday 08:30 in Shanghai.
        self.assertEqual(
            visit.scheduled_date, fields.Datetime.to_datetime("2026-09-29 00:30:00")
        )

    # ------------------------------------------------------------------
    # Escalation
    # ------------------------------------------------------------------
    def test_overdue_visit_is_escalated_once_to_the_team_leader(self):
        visit = self._rule_visit()
        self.assertEqual(visit.team_id, self.team)
        self.env["visit.record"]._cron_escalate()
        self.assertFalse(visit.date_escalated, "not overdue yet")
        with self._later(24 * 4):
            self.env["visit.record"]._cron_escalate()
            self.env["visit.record"]._cron_escalate()
        overdue = visit._escalation_activities()
        self.assertEqual(len(overdue), 1, "repeated runs do not pile up activities")
        self.assertEqual(overdue.user_id, self.leader)
        self.assertTrue(visit.date_escalated)
        # A new deadline may be escalated again; closing the visit closes it.
        visit.deadline = visit.deadline + timedelta(days=1)
        self.assertFalse(visit.date_escalated)
        visit.write({"outcome": "reached"})
        visit.action_done()
        self.assertFalse(visit._escalation_activities())

    def test_escalation_goes_to_the_rule_escalation_user(self):
        visit = self._rule_visit(escalation_user_id=self.manager.id)
        with self._later(24 * 4):
            self.env["visit.record"]._cron_escalate()
        self.assertEqual(visit._escalation_activities().user_id, self.manager)

    # ------------------------------------------------------------------
    # Closed loop
    # ------------------------------------------------------------------
    def test_dissatisfaction_opens_a_ticket_and_closing_it_schedules_a_confirmation(
        self,
    ):
        helpdesk_team = self.env["helpdesk.ticket.team"].create({"name": "Quality"})
        self.type_plain.complaint_team_id = helpdesk_team
        visit = self._rule_visit()
        visit.write(
            {
                "outcome": "reached",
                "satisfaction_result": "unsatisfied",
                "opinion": "The leak is back.",
            }
        )
        visit.action_done()
        plan = visit.plan_id
        ticket = self.env["helpdesk.ticket"].search(
            [("origin_visit_id", "=", visit.id)]
        )
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.team_id, helpdesk_team)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertTrue(ticket.visit_confirmation_required)
        self.assertEqual(plan.state, "open", "open until the customer confirms")
        # The helpdesk resolves the ticket.
        closed = self.env["helpdesk.ticket.stage"].search(
            [("closed", "=", True)], limit=1
        )
        ticket.stage_id = closed
        confirmation = visit.next_record_ids
        self.assertEqual(len(confirmation), 1)
        self.assertTrue(confirmation.is_confirmation)
        self.assertEqual(
            (confirmation.plan_id, confirmation.round, confirmation.ticket_id),
            (plan, 2, ticket),
        )
        self.assertEqual(confirmation.user_id, visit.user_id)
        self.assertEqual(len(confirmation._visit_activities()), 1)
        # Closing the ticket again schedules nothing more.
        ticket.stage_id = closed
        self.assertEqual(len(visit.next_record_ids), 1)
        # The customer confirms: the plan closes.
        confirmation.write({"outcome": "reached", "satisfaction_result": "satisfied"})
        confirmation.action_done()
        self.assertFalse(visit.is_problem_open)
        self.assertEqual(plan.state, "done")

    def test_still_unsatisfied_at_confirmation_keeps_the_loop_going(self):
        visit = self._rule_visit()
        visit.write({"outcome": "reached", "satisfaction_result": "unsatisfied"})
        visit.action_done()
        ticket = visit.sudo().complaint_ticket_ids
        closed = self.env["helpdesk.ticket.stage"].search(
            [("closed", "=", True)], limit=1
        )
        ticket.stage_id = closed
        confirmation = visit.next_record_ids
        confirmation.write({"outcome": "reached", "satisfaction_result": "unsatisfied"})
        confirmation.action_done()
        self.assertEqual(
            len(confirmation.sudo().complaint_ticket_ids), 1, "a new ticket"
        )
        self.assertEqual(visit.plan_id.state, "open")
