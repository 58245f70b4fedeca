from datetime import datetime

import pytz
from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import VisitCommon

# Friday 25 September 2026, 10:00 in Shanghai.
REFERENCE = datetime(2026, 9, 25, 2, 0)
# The rule runs as the repair closes: its steps are counted as they come,
# not planned now as steps already past (see test_first_day_steps).
CLOSING = "2026-09-25 02:00:00"


@tagged("post_install", "-at_install")
class TestRuleCadence(VisitCommon):
    """Every cadence unit, working days over a weekend and a public holiday,
    calling-hour placement, and the rule's refusals of bad input."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls._calling_calendar()

    def _generate(self, steps, **values):
        ticket = self._closed_ticket(REFERENCE)
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                steps,
                calendar_id=self.calendar.id,
                domain=f"[('id', '=', {ticket.id})]",
                **values,
            )
        )
        rule._generate_batch()
        return rule, rule.plan_ids.record_ids.sorted(
            lambda rec: (rec.rule_step_id.sequence, rec.rule_step_id.id, rec.occurrence)
        )

    @freeze_time(CLOSING)
    def test_each_unit_lands_inside_calling_hours(self):
        units = [
            # (delay, unit, expected UTC; Shanghai is UTC+8)
            (2, "hours", datetime(2026, 9, 25, 6, 0)),  # 12:00 is lunch: 14:00
            (
                6,
                "hours",
                datetime(2026, 9, 29, 0, 30),
            ),  # 16:00 is closing; Monday is a holiday
            (1, "days", datetime(2026, 9, 29, 0, 30)),  # Saturday -> Tuesday 08:30
            (2, "working_days", datetime(2026, 9, 30, 2, 0)),  # Tue, Wed; at 10:00
            (1, "weeks", datetime(2026, 10, 2, 2, 0)),  # Friday 10:00, open
            (1, "months", datetime(2026, 10, 26, 0, 30)),  # Sunday -> Monday 08:30
            (1, "years", datetime(2027, 9, 27, 0, 30)),  # Saturday -> Monday 08:30
        ]
        _rule, visits = self._generate(
            [
                {"delay": delay, "delay_unit": unit, "sequence": index}
                for index, (delay, unit, _expected) in enumerate(units)
            ]
        )
        self.assertEqual(
            visits.mapped("scheduled_date"), [expected for *_x, expected in units]
        )
        tz = pytz.timezone("Asia/Shanghai")
        for visit in visits:
            local = pytz.utc.localize(visit.scheduled_date).astimezone(tz)
            self.assertLess(local.weekday(), 5)
            self.assertTrue(
                (8.5 <= local.hour + local.minute / 60 < 11)
                or (14 <= local.hour + local.minute / 60 < 16),
                f"{local} is outside the calling hours",
            )

    @freeze_time(CLOSING)
    def test_working_days_skip_weekend_and_public_holiday_like_the_calendar(self):
        _rule, visits = self._generate(
            [
                {
                    "delay": 3,
                    "delay_unit": "working_days",
                    "deadline_delay": 5,
                    "deadline_unit": "working_days",
                }
            ]
        )
        # Sat, Sun and the Monday holiday are skipped: Tue, Wed, Thu.
        self.assertEqual(visits.scheduled_date, datetime(2026, 10, 1, 2, 0))
        # The deadline is the end of the 5th working day: Mon 5 October, 16:00.
        self.assertEqual(visits.deadline, datetime(2026, 10, 5, 8, 0))
        # Odoo's plan_days agrees on the day; it counts the reference day
        # itself (work remains that Friday), hence 6 for our 5.
        expected = self.calendar.plan_days(
            6, pytz.utc.localize(REFERENCE), compute_leaves=True
        )
        self.assertEqual(visits.deadline.date(), expected.date())

    @freeze_time(CLOSING)
    def test_deadline_counts_from_reference_and_never_precedes_the_visit(self):
        _rule, visits = self._generate(
            [
                {
                    "delay": 2,
                    "delay_unit": "hours",
                    "deadline_delay": 24,
                    "deadline_unit": "hours",
                }
            ]
        )
        self.assertEqual(visits.deadline, datetime(2026, 9, 26, 2, 0))
        self.assertGreaterEqual(visits.deadline, visits.scheduled_date)

    def test_bounded_repetition_every_year_until_month_36(self):
        _rule, visits = self._generate(
            [
                {
                    "delay": 12,
                    "delay_unit": "months",
                    "repeat_every": 12,
                    "repeat_until": 36,
                }
            ]
        )
        self.assertEqual(visits.mapped("occurrence"), [0, 1, 2])
        self.assertEqual(
            [visit.scheduled_date.date().isoformat() for visit in visits],
            # 25 Sep 2027 is a Saturday, 2028 a Monday, 2029 a Tuesday.
            ["2027-09-27", "2028-09-25", "2029-09-25"],
        )
        self.assertEqual(visits.plan_id.state, "open")

    def test_steps_of_a_cadence_share_one_plan(self):
        rule, visits = self._generate(
            [
                {"delay": 2, "delay_unit": "hours", "sequence": 1},
                {"delay": 7, "delay_unit": "days", "sequence": 2},
                {"delay": 3, "delay_unit": "months", "sequence": 3},
            ]
        )
        self.assertEqual(len(rule.plan_ids), 1)
        self.assertEqual(len(visits), 3)
        self.assertEqual(visits.plan_id, rule.plan_ids)
        self.assertEqual(visits.activity_ids.user_id, self.agent)
        self.assertEqual(len(visits.activity_ids), 3)

    def test_rule_is_configured_through_its_form(self):
        with Form(self.env["visit.rule"].with_user(self.manager)) as form:
            form.name = "Orders: call after delivery"
            form.model_id = self.env["ir.model"]._get("sale.order")
            form.domain = "[('state', '=', 'sale')]"
            form.date_field_id = self.env["ir.model.fields"]._get(
                "sale.order", "date_order"
            )
            form.assignment = "owner"
            with form.step_ids.new() as step:
                step.delay = 7
                step.delay_unit = "working_days"
                step.type_id = self.type_plain
        rule = form.record
        self.assertEqual(rule.step_ids.channel, "phone")
        self.assertEqual(
            rule.step_ids.summary, "Phone call 7 working days after Order Date"
        )
        self.assertEqual(
            rule.summary,
            "Phone call 7 working days after Order Date; every record that qualifies.",
        )

    # ------------------------------------------------------------------
    # Bad input, refused when saved
    # ------------------------------------------------------------------
    def test_domain_that_does_not_parse_is_refused(self):
        with self.assertRefused(ValidationError, "does not work"):
            self.env["visit.rule"].create(self._rule_vals(domain="[('stage_id', '=',"))
        with self.assertRefused(ValidationError, "does not work"):
            self.env["visit.rule"].create(
                self._rule_vals(exclude_domain="[('no_such_field', '=', 1)]")
            )
        with self.assertRefused(ValidationError, "does not work"):
            self.env["visit.rule"].create(self._rule_vals(domain="'closed'"))

    def test_zero_or_negative_offset_is_refused(self):
        # A step on the reference date itself comes after nothing.
        with self.assertRefused(ValidationError, "at least 1"):
            self.env["visit.rule"].create(
                self._rule_vals([{"delay": 0, "delay_unit": "days"}])
            )
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.env["visit.rule"].create(
                self._rule_vals([{"delay": -3, "delay_unit": "days"}])
            )

    def test_deadline_before_its_step_is_refused(self):
        with self.assertRefused(ValidationError, "comes before its step"):
            self.env["visit.rule"].create(
                self._rule_vals(
                    [
                        {
                            "delay": 3,
                            "delay_unit": "days",
                            "deadline_delay": 48,
                            "deadline_unit": "hours",
                        }
                    ]
                )
            )

    def test_sample_percentage_outside_range_is_refused(self):
        for percent in (0, 120, -5):
            with (
                self.subTest(percent=percent),
                mute_logger("odoo.sql_db"),
                self.assertRaises(IntegrityError),
                self.env.cr.savepoint(),
            ):
                self.env["visit.rule"].create(
                    self._rule_vals(coverage="sample", sample_percent=percent)
                )

    def test_reference_field_that_is_not_a_date_is_refused(self):
        with self.assertRefused(ValidationError, "must be a date field"):
            self.env["visit.rule"].create(
                self._rule_vals(
                    date_field_id=self.env["ir.model.fields"]
                    ._get("helpdesk.ticket", "name")
                    .id
                )
            )

    def test_model_without_customer_and_rule_without_steps_are_refused(self):
        with self.assertRefused(ValidationError, "a rule applies to documents"):
            self.env["visit.rule"].create(
                self._rule_vals(
                    model_id=self.env["ir.model"]._get_id("product.product"),
                    domain="[]",
                    date_field_id=False,
                )
            )
        with self.assertRefused(ValidationError, "at least one step"):
            rule = self.env["visit.rule"].create(self._rule_vals())
            rule.step_ids = [Command.clear()]
