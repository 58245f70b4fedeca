from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from .common import VisitCommon, calling_hours

# Monday 4 January 2027, 13:00 in Shanghai: calling hours are closed for
# lunch (08:30-11:00, 14:00-16:00), they open again at 14:00 (06:00 UTC).
NOW = "2027-01-04 05:00:00"
PLACED = datetime(2027, 1, 4, 6, 0)


@tagged("post_install", "-at_install")
class TestFirstDaySteps(VisitCommon):
    """A generated visit is never born overdue: a step after an old date is
    planned now, inside calling hours, with its whole window; the rule form
    says which records are excluded; its notices count in words."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shanghai = calling_hours(cls.env, "Shanghai calls")

    def _rule(self, ticket, steps, **values):
        return self.env["visit.rule"].create(
            self._rule_vals(
                steps,
                domain=f"[('id', '=', {ticket.id})]",
                calendar_id=self.shanghai.id,
                **values,
            )
        )

    # ------------------------------------------------------------------
    # A step after an old date
    # ------------------------------------------------------------------
    @freeze_time(NOW)
    def test_a_step_after_an_old_date_is_placed_now_with_its_whole_window(self):
        # Closed 10 days ago; called 2 days after, done within 3 days of
        # the closing: a window of 24 hours, counted from the time placed.
        ticket = self._closed_ticket(fields.Datetime.now() - timedelta(days=10))
        rule = self._rule(
            ticket,
            [
                {
                    "delay": 2,
                    "delay_unit": "days",
                    "deadline_delay": 3,
                    "deadline_unit": "days",
                }
            ],
        )
        rule._generate_batch()
        visit = rule.plan_ids.record_ids
        self.assertEqual(len(visit), 1)
        self.assertEqual(visit.scheduled_date, PLACED, "inside calling hours")
        self.assertGreaterEqual(
            visit.deadline, visit.scheduled_date + timedelta(hours=24)
        )
        self.assertFalse(visit.is_overdue)
        self.assertFalse(rule.skip_ids)

    @freeze_time(NOW)
    def test_a_step_after_an_old_date_is_skipped_with_its_reason_when_asked(self):
        ticket = self._closed_ticket(fields.Datetime.now() - timedelta(days=10))
        rule = self._rule(
            ticket,
            [
                {
                    "delay": 2,
                    "delay_unit": "days",
                    "deadline_delay": 3,
                    "deadline_unit": "days",
                }
            ],
            past_steps="skip",
        )
        rule._generate_batch()
        self.assertFalse(rule.plan_ids)
        self.assertEqual(rule.skip_ids.reason, "past_step")
        self.assertIn("already past when the record qualified", rule.skip_ids.message)

    @freeze_time(NOW)
    def test_of_a_repeated_step_only_the_last_past_repetition_is_planned_now(self):
        # Closed 10 September 2026, called every month until the 6th: those
        # of October and November are superseded by December's, planned now;
        # January to March come at their time.
        ticket = self._closed_ticket(datetime(2026, 9, 10, 2, 0))
        rule = self._rule(
            ticket,
            [
                {
                    "delay": 1,
                    "delay_unit": "months",
                    "repeat_every": 1,
                    "repeat_until": 6,
                }
            ],
        )
        rule._generate_batch()
        plan = rule.plan_ids
        visits = plan.record_ids
        self.assertEqual(sorted(visits.mapped("occurrence")), [2, 3, 4, 5])
        late = visits.filtered(lambda rec: rec.occurrence == 2)
        self.assertEqual(late.scheduled_date, PLACED)
        self.assertTrue(
            all(rec.scheduled_date > PLACED for rec in visits - late),
            "the others at their time, to come",
        )
        self.assertEqual(len(plan.skipped_steps.splitlines()), 2)
        self.assertFalse(visits.filtered("is_overdue"))
        # Run again: the superseded ones stay left out.
        rule._generate_batch()
        self.assertEqual(len(rule.plan_ids.record_ids), 4)

    # ------------------------------------------------------------------
    # The rule form in plain words
    # ------------------------------------------------------------------
    def test_the_summary_says_which_records_are_excluded(self):
        ticket = self._closed_ticket(fields.Datetime.now())
        rule = self._rule(ticket, None, exclude_domain="[('partner_id', '=', False)]")
        label = self.env["helpdesk.ticket"]._fields["partner_id"].string
        self.assertIn(f"except records where {label} is not set", rule.summary)
        self.assertNotIn("[blank]", rule.summary)
        rule.exclude_domain = (
            "['|', ('partner_id', '=', False), ('priority', '=', '3')]"
        )
        self.assertIn("except records matching the exclusions", rule.summary)
        rule.exclude_domain = "[('user_id', 'in', [1, 2])]"
        self.assertIn(
            "except records matching the exclusions",
            rule.summary,
            "record ids say nothing to a reader",
        )

    def test_a_generation_of_one_plan_says_1_new_plan(self):
        ticket = self._closed_ticket(fields.Datetime.now())
        rule = self._rule(ticket, None)
        rule.generate_request_uid = self.manager
        rule._generate_batch()
        rule._report_generation()
        self.assertIn("planned 1 new plan.", rule.message_ids[:1].body)
