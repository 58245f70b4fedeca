from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import Form, tagged

from ..models.visit_calendar import WorkCalendar
from .common import VisitCommon, calling_hours
from .test_rule_templates import TEMPLATES

# Monday 4 January 2027, 10:00 in Shanghai (UTC+8), 21:00 on Sunday in New
# York (UTC-5): the dates below are worked out by hand from it.
NOW = "2027-01-04 02:00:00"


@tagged("post_install", "-at_install")
class TestFirstDayRules(VisitCommon):
    """The shipped rule templates save as shown and match their policies;
    steps read in plain words; working days from old dates and steps
    already past are planned right."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shanghai = calling_hours(cls.env, "Shanghai calls")
        cls.new_york = calling_hours(cls.env, "New York calls", "America/New_York")

    # ------------------------------------------------------------------
    # Templates, through the form, as the manager
    # ------------------------------------------------------------------
    def _from_template(self, key):
        form = Form(self.env["visit.rule"].with_user(self.manager))
        form.template_id = self.env.ref(f"customer_visit.visit_rule_template_{key}")
        return form.save()

    def test_every_template_saves_as_shown_by_the_manager(self):
        for key in TEMPLATES:
            with self.subTest(key):
                rule = self._from_template(key)
                self.assertTrue(rule.step_ids)
                self.assertTrue(rule.summary.endswith("."))

    def test_after_a_sale_calls_with_a_deadline_for_each_step(self):
        rule = self._from_template("sale")
        self.assertEqual(len(rule.step_ids), 5)
        self.assertEqual(set(rule.step_ids.mapped("channel")), {"phone"})
        self.assertTrue(all(rule.step_ids.mapped("deadline_delay")))
        self.assertIn("Phone call 1 month after", rule.summary)
        self.assertIn("done within 5 weeks", rule.summary)

    def test_after_a_new_policy_saves_and_never_goes_to_the_salesperson(self):
        # Without a team of the manager's: the manager makes the calls.
        teams = self.env["crm.team"].search([])
        teams.write({"member_ids": [Command.clear()], "user_id": False})
        rule = self._from_template("new_policy")
        self.assertTrue(rule.exclude_salesperson)
        self.assertEqual((rule.assignment, rule.user_id), ("user", self.manager))
        # With one: the least loaded of its agents, never the salesperson.
        callers = self.env["crm.team"].create(
            {
                "name": "Callers",
                "member_ids": [Command.set((self.agent | self.manager).ids)],
            }
        )
        rule = self._from_template("new_policy")
        self.assertEqual((rule.assignment, rule.team_id), ("least_loaded", callers))
        self.assertTrue(rule.exclude_salesperson)
        self.assertEqual(rule.step_ids.deadline_delay, 15)
        rule.write(
            {"domain": f"[('id', '=', {self.order.id})]", "start_date": "2020-01-01"}
        )
        rule._generate_batch()
        self.assertEqual(self.order.user_id, self.agent)
        self.assertEqual(rule.plan_ids.record_ids.user_id, self.manager)

    # ------------------------------------------------------------------
    # Plain words
    # ------------------------------------------------------------------
    def test_summary_says_1_day_and_2_days_in_english_and_reads_in_chinese(self):
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                [
                    {
                        "delay": 1,
                        "delay_unit": "days",
                        "deadline_delay": 2,
                        "deadline_unit": "days",
                    },
                    {
                        "delay": 1,
                        "delay_unit": "months",
                        "deadline_delay": 1,
                        "deadline_unit": "months",
                        "sequence": 20,
                    },
                ]
            )
        )
        day, month = rule.step_ids.sorted("sequence")
        self.assertEqual(
            day.summary, "Phone call 1 day after Closed Date, done within 2 days"
        )
        self.assertEqual(
            month.summary, "Phone call 1 month after Closed Date, done within 1 month"
        )
        self.env["res.lang"]._activate_lang("zh_CN")
        chinese = day.with_context(lang="zh_CN").summary
        self.assertIn("2天", chinese)
        self.assertNotIn("days", chinese)
        self.assertNotIn("Phone call", chinese)

    # ------------------------------------------------------------------
    # Working days from a reference date two years back
    # ------------------------------------------------------------------
    @freeze_time(NOW)
    def test_working_days_from_two_years_back_land_on_the_right_day(self):
        cases = [
            # Friday 3 January 2025, 10:00 Shanghai: +7 working days is
            # Tuesday the 14th at 10:00; +9, the end of Thursday the 16th.
            (
                self.shanghai,
                datetime(2025, 1, 3, 2, 0),
                datetime(2025, 1, 14, 2, 0),
                datetime(2025, 1, 16, 8, 0),
            ),
            # Friday 28 February 2025, 10:00 EST: +7 working days is Tuesday
            # 11 March, 10:00 EDT (the clocks went forward on the 9th); +9,
            # the end of Thursday the 13th, 16:00 EDT.
            (
                self.new_york,
                datetime(2025, 2, 28, 15, 0),
                datetime(2025, 3, 11, 14, 0),
                datetime(2025, 3, 13, 20, 0),
            ),
        ]
        for calendar, reference, due, deadline in cases:
            with self.subTest(calendar.tz):
                ticket = self._closed_ticket(reference)
                rule = self.env["visit.rule"].create(
                    self._rule_vals(
                        [
                            {
                                "delay": 7,
                                "delay_unit": "working_days",
                                "deadline_delay": 9,
                                "deadline_unit": "working_days",
                            }
                        ],
                        calendar_id=calendar.id,
                        domain=f"[('id', '=', {ticket.id})]",
                        # Long past, the step would be planned now: the
                        # reason left says the day it was due.
                        past_steps="skip",
                    )
                )
                rule._generate_batch()
                local_due = WorkCalendar(calendar, due, due).to_local(due)
                self.assertIn(
                    f"due {local_due:%Y-%m-%d %H:%M}, already past",
                    rule.skip_ids.message,
                )
                # A calendar read from today on reads back to the date too
                # (a recurring plan extended later).
                work = WorkCalendar(
                    calendar, datetime(2027, 1, 4), datetime(2027, 1, 4)
                )
                self.assertEqual(work.add_working_days(reference, 7), due)
                self.assertEqual(
                    work.add_working_days(reference, 9, at_end=True), deadline
                )

    # ------------------------------------------------------------------
    # A step already past: never born overdue
    # ------------------------------------------------------------------
    @freeze_time(NOW)
    def test_a_step_already_past_is_planned_now_with_its_whole_window(self):
        # Valid from 31 December 2025: its first anniversary, 31 December
        # 2026, +1 day was due on 1 January, done within 5 days of the
        # anniversary: a window of 4 days, counted from now.
        order = self.env["sale.order"].create(
            {"partner_id": self.customer.id, "validity_date": date(2025, 12, 31)}
        )
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                [
                    {
                        "anchor": "anniversary",
                        "delay": 1,
                        "delay_unit": "days",
                        "deadline_delay": 5,
                        "deadline_unit": "days",
                    }
                ],
                model_id=self.env["ir.model"]._get_id("sale.order"),
                domain=f"[('id', '=', {order.id})]",
                date_field_id=self.env["ir.model.fields"]
                ._get("sale.order", "validity_date")
                .id,
                calendar_id=self.shanghai.id,
                start_date=False,
            )
        )
        rule._generate_batch()
        visit = rule.plan_ids.record_ids.filtered(lambda rec: rec.occurrence == 1)
        now = fields.Datetime.now()
        self.assertEqual(visit.scheduled_date, now)
        self.assertGreater(visit.deadline, now)
        self.assertGreaterEqual(
            visit.deadline, visit.scheduled_date + timedelta(days=4)
        )
        self.assertFalse(visit.is_overdue)
