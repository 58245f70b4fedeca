from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import VisitCommon
from .test_local_time import _all_week

# Monday 4 January 2027, 10:00 in Shanghai (UTC+8), 21:00 on Sunday in New
# York (UTC-5): every expected date below is worked out by hand from it.
NOW = "2027-01-04 02:00:00"


@tagged("post_install", "-at_install")
class TestRuleTriggers(VisitCommon):
    """What policies say beyond "N days after": steps before a date,
    anniversaries, occasions and seasons."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shanghai = _all_week(cls.env, "Shanghai, all week", "Asia/Shanghai")
        cls.new_york = _all_week(cls.env, "New York, all week", "America/New_York")
        cls.festivals = cls.env["visit.occasion"].create(
            {
                "name": "Festivals",
                "date_ids": [
                    Command.create({"date": "2026-09-25", "name": "Mid-Autumn"}),
                    Command.create({"date": "2027-02-06", "name": "Spring Festival"}),
                    Command.create({"date": "2027-09-15", "name": "Mid-Autumn"}),
                ],
            }
        )

    def _orders(self, **values_list):
        return {
            key: self.env["sale.order"].create(
                dict({"partner_id": self.customer.id}, **values)
            )
            for key, values in values_list.items()
        }

    def _order_rule(self, orders, field, steps, **values):
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                steps,
                model_id=self.env["ir.model"]._get_id("sale.order"),
                domain=f"[('id', 'in', {[o.id for o in orders.values()]})]",
                date_field_id=self.env["ir.model.fields"]._get("sale.order", field).id,
                **values,
            )
        )
        rule._generate_batch()
        plans = {plan.rule_source_id: plan for plan in rule.plan_ids}
        return rule, {
            key: plans[order.id].record_ids.sorted("scheduled_date")
            if order.id in plans
            else self.env["visit.record"]
            for key, order in orders.items()
        }

    # ------------------------------------------------------------------
    # Steps before a date
    # ------------------------------------------------------------------
    @freeze_time(NOW)
    def test_before_a_datetime_and_a_date(self):
        # Delivery on 20 January 2027 at 14:00 Shanghai (06:00 UTC): 3 days
        # before is 17 January 14:00 local, done by the delivery itself.
        orders = self._orders(
            delivery={"commitment_date": datetime(2027, 1, 20, 6, 0)},
        )
        _rule, visits = self._order_rule(
            orders,
            "commitment_date",
            [{"delay": 3, "delay_unit": "days", "direction": "before"}],
            calendar_id=self.shanghai.id,
        )
        visit = visits["delivery"]
        self.assertEqual(visit.scheduled_date, datetime(2027, 1, 17, 6, 0))
        self.assertEqual(visit.deadline, datetime(2027, 1, 20, 6, 0))
        # A quotation expiring on 20 January (a day): 3 days before is the
        # 17th from local midnight (16 Jan 16:00 UTC), done by the end of
        # the 20th (20 Jan 16:00 UTC); in New York, from 17 Jan 05:00 UTC.
        for calendar, due, deadline in (
            (self.shanghai, datetime(2027, 1, 16, 16), datetime(2027, 1, 20, 16)),
            (self.new_york, datetime(2027, 1, 17, 5), datetime(2027, 1, 21, 5)),
        ):
            with self.subTest(tz=calendar.tz):
                orders = self._orders(quote={"validity_date": date(2027, 1, 20)})
                _rule, visits = self._order_rule(
                    orders,
                    "validity_date",
                    [{"delay": 3, "delay_unit": "days", "direction": "before"}],
                    calendar_id=calendar.id,
                )
                self.assertEqual(visits["quote"].scheduled_date, due)
                self.assertEqual(visits["quote"].deadline, deadline)

    @freeze_time(NOW)
    def test_before_a_date_in_calling_hours_and_working_days(self):
        # Calling hours 08:30-11:00, 14:00-16:00 Monday to Friday (Shanghai).
        # 3 days before Wednesday 20 January is Sunday the 17th: first
        # called on Monday the 18th at 08:30 (00:30 UTC). 2 working days
        # before the 20th is Monday the 18th, from its start of work.
        orders = self._orders(quote={"validity_date": date(2027, 1, 20)})
        calling = self._calling_calendar()
        _rule, visits = self._order_rule(
            orders,
            "validity_date",
            [
                {"delay": 3, "delay_unit": "days", "direction": "before"},
                {
                    "delay": 2,
                    "delay_unit": "working_days",
                    "direction": "before",
                    "deadline_delay": 1,
                    "deadline_unit": "working_days",
                },
            ],
            calendar_id=calling.id,
        )
        first, second = visits["quote"].sorted(lambda v: v.rule_step_id.sequence)
        self.assertEqual(first.scheduled_date, datetime(2027, 1, 18, 0, 30))
        self.assertEqual(second.scheduled_date, datetime(2027, 1, 18, 0, 30))
        # 1 working day before the 20th: Tuesday the 19th, at the end of
        # its work (16:00 Shanghai).
        self.assertEqual(second.deadline, datetime(2027, 1, 19, 8, 0))

    @freeze_time(NOW)
    def test_a_step_already_past_is_planned_now_or_skipped_with_its_reason(self):
        # Expiring on Wednesday 6 January: 3 days before (the 3rd) is past.
        orders = self._orders(
            soon={"validity_date": date(2027, 1, 6)},
            gone={"validity_date": date(2027, 1, 3)},
        )
        steps = [{"delay": 3, "delay_unit": "days", "direction": "before"}]
        rule, visits = self._order_rule(
            orders, "validity_date", steps, calendar_id=self.shanghai.id
        )
        # Planned now, the customer is still called before the date.
        self.assertEqual(visits["soon"].scheduled_date, datetime(2027, 1, 4, 2, 0))
        self.assertEqual(visits["soon"].deadline, datetime(2027, 1, 6, 16, 0))
        # The date itself is past: nothing to call before; owed and missed.
        self.assertFalse(visits["gone"])
        skip = rule.skip_ids
        self.assertEqual((skip.res_id, skip.reason), (orders["gone"].id, "past_step"))
        self.assertIn("2026-12-31", skip.message)
        # Owed from when the step was due: 31 December, local midnight.
        self.assertEqual(skip.due_date, datetime(2026, 12, 30, 16, 0))
        # The rule may say to skip a past step instead.
        orders = self._orders(soon={"validity_date": date(2027, 1, 6)})
        rule, visits = self._order_rule(
            orders,
            "validity_date",
            steps
            + [
                {
                    "delay": 1,
                    "delay_unit": "days",
                    "direction": "before",
                    "sequence": 20,
                }
            ],
            calendar_id=self.shanghai.id,
            past_steps="skip",
        )
        # The step 3 days before is left out, the one the day before is kept.
        self.assertEqual(visits["soon"].scheduled_date, datetime(2027, 1, 4, 16, 0))
        plan = rule.plan_ids
        self.assertIn("already past", plan.skipped_steps)
        self.assertFalse(rule.skip_ids)

    def test_bad_steps_before_a_date_are_refused(self):
        with self.assertRefused(ValidationError, "closer to it"):
            self.env["visit.rule"].create(
                self._rule_vals(
                    [
                        {
                            "delay": 3,
                            "delay_unit": "days",
                            "direction": "before",
                            "deadline_delay": 5,
                            "deadline_unit": "days",
                        }
                    ]
                )
            )
        with self.assertRefused(ValidationError, "only a step after"):
            self.env["visit.rule"].create(
                self._rule_vals(
                    [
                        {
                            "delay": 3,
                            "delay_unit": "days",
                            "direction": "before",
                            "repeat_every": 1,
                        }
                    ]
                )
            )

    # ------------------------------------------------------------------
    # Anniversaries
    # ------------------------------------------------------------------
    @freeze_time(NOW)
    def test_anniversaries_across_29_february_and_the_year_end(self):
        orders = self._orders(
            leap={"validity_date": date(2024, 2, 29)},
            new_year={"validity_date": date(2000, 1, 2)},
        )
        steps = [
            {
                "anchor": "anniversary",
                "direction": "before",
                "delay": 3,
                "delay_unit": "days",
            }
        ]
        rule, visits = self._order_rule(
            orders,
            "validity_date",
            steps,
            calendar_id=self.shanghai.id,
            start_date=False,
        )
        # 29 February 2024: its third anniversary falls on 28 February 2027
        # (no 29th), 3 days before is the 25th from local midnight.
        leap = visits["leap"]
        self.assertEqual(leap.mapped("occurrence"), [3])
        self.assertEqual(leap.scheduled_date, datetime(2027, 2, 24, 16, 0))
        self.assertEqual(leap.deadline, datetime(2027, 2, 28, 16, 0))
        # 2 January: this year's is past (it counts from when the record
        # qualified); 3 days before 2 January 2028 is 30 December 2027.
        new_year = visits["new_year"]
        self.assertEqual(new_year.mapped("occurrence"), [28])
        self.assertEqual(new_year.scheduled_date, datetime(2027, 12, 29, 16, 0))
        # A year on, the next anniversaries are planned: 29 February 2028
        # exists, and the one after the horizon (28 February 2029) is ahead.
        with freeze_time("2028-02-01 02:00:00"):
            rule._generate_batch()
        leap.plan_id.invalidate_recordset()
        self.assertEqual(
            leap.plan_id.record_ids.sorted("occurrence").mapped("scheduled_date"),
            [
                datetime(2027, 2, 24, 16, 0),
                datetime(2028, 2, 25, 16, 0),
                datetime(2029, 2, 24, 16, 0),
            ],
        )
        self.assertEqual(len(rule.plan_ids), 2)

    @freeze_time(NOW)
    def test_anniversaries_for_a_number_of_years_of_a_datetime(self):
        # A policy started on 1 March 2026 at 09:00 Shanghai (01:00 UTC):
        # a call on each of its first 2 anniversaries, then no more.
        ticket = self._closed_ticket(datetime(2026, 3, 1, 1, 0))
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                [{"anchor": "anniversary", "delay": 0, "anniversary_years": 2}],
                domain=f"[('id', '=', {ticket.id})]",
                calendar_id=self.shanghai.id,
            )
        )
        rule._generate_batch()
        for moment in ("2028-02-20 02:00:00", "2029-02-20 02:00:00"):
            with freeze_time(moment):
                rule._generate_batch()
        visits = rule.plan_ids.record_ids.sorted("occurrence")
        self.assertEqual(visits.mapped("occurrence"), [1, 2])
        self.assertEqual(
            visits.mapped("scheduled_date"),
            [datetime(2027, 3, 1, 1, 0), datetime(2028, 3, 1, 1, 0)],
        )
        self.assertEqual(len(rule.plan_ids), 1)

    def test_an_anniversary_needs_a_date_field(self):
        with self.assertRefused(ValidationError, "counted on a date field"):
            self.env["visit.rule"].create(
                self._rule_vals(
                    [{"anchor": "anniversary", "delay": 0}], date_field_id=False
                )
            )

    # ------------------------------------------------------------------
    # Occasions
    # ------------------------------------------------------------------
    @freeze_time(NOW)
    def test_a_segment_is_visited_before_each_occasion(self):
        key = self.env["res.partner.category"].create({"name": "Key client"})
        clients = self.env["res.partner"].create(
            [
                {"name": f"Key client {i}", "category_id": [Command.set(key.ids)]}
                for i in range(3)
            ]
        )
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                [
                    {
                        "anchor": "occasion",
                        "occasion_id": self.festivals.id,
                        "direction": "before",
                        "delay": 7,
                        "delay_unit": "days",
                    }
                ],
                model_id=self.env["ir.model"]._get_id("res.partner"),
                domain=f"[('category_id', 'in', {key.ids})]",
                date_field_id=False,
                calendar_id=self.shanghai.id,
            )
        )
        rule._generate_batch()
        self.assertEqual(
            sorted(rule.plan_ids.mapped("rule_source_id")), sorted(clients.ids)
        )
        spring = self.festivals.date_ids.filtered(lambda d: d.name == "Spring Festival")
        autumn = (
            self.festivals.date_ids.filtered(lambda d: d.date.year == 2027) - spring
        )
        for plan in rule.plan_ids:
            # Mid-Autumn 2026 is past; the Spring Festival on 6 February
            # 2027: a week before, from local midnight (29 January 16:00
            # UTC), done by the end of the day; Mid-Autumn 2027 (15
            # September) is the next visit ahead, beyond the horizon.
            visits = plan.record_ids.sorted("scheduled_date")
            self.assertEqual(visits.mapped("occurrence"), [spring.id, autumn.id])
            self.assertEqual(
                visits.mapped("scheduled_date"),
                [datetime(2027, 1, 29, 16, 0), datetime(2027, 9, 7, 16, 0)],
            )
            self.assertEqual(visits[0].deadline, datetime(2027, 2, 6, 16, 0))
        # Later runs plan nothing twice.
        with freeze_time("2027-08-20 02:00:00"):
            rule._generate_batch()
            rule._generate_batch()
        self.assertEqual(len(rule.plan_ids.record_ids), 6)
        # A date added to the list is planned for every client.
        self.festivals.date_ids = [Command.create({"date": "2027-10-01"})]
        with freeze_time("2027-09-10 02:00:00"):
            rule._generate_batch()
        self.assertEqual(len(rule.plan_ids.record_ids), 9)

    @freeze_time(NOW)
    def test_an_occasion_list_with_no_date_ahead_is_refused(self):
        past = self.env["visit.occasion"].create(
            {"name": "Old", "date_ids": [Command.create({"date": "2026-02-17"})]}
        )
        with self.assertRefused(ValidationError, "no date from today on"):
            self.env["visit.rule"].create(
                self._rule_vals(
                    [{"anchor": "occasion", "occasion_id": past.id, "delay": 0}]
                )
            )

    # ------------------------------------------------------------------
    # Seasons
    # ------------------------------------------------------------------
    @freeze_time("2027-06-28 02:00:00")
    def test_peak_and_off_season_steps_of_one_rule(self):
        # Closed on Monday 28 June 2027 at 09:00 Shanghai. Peak season
        # (July, August): a call every week; off season: every two weeks.
        ticket = self._closed_ticket(datetime(2027, 6, 28, 1, 0))
        months = self.env["visit.month"].search([])
        peak = months.filtered(lambda m: m.number in (7, 8))
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                [
                    {
                        "delay": 1,
                        "delay_unit": "weeks",
                        "repeat_every": 1,
                        "month_ids": [Command.set(peak.ids)],
                    },
                    {
                        "delay": 2,
                        "delay_unit": "weeks",
                        "repeat_every": 2,
                        "month_ids": [Command.set((months - peak).ids)],
                        "sequence": 20,
                    },
                ],
                domain=f"[('id', '=', {ticket.id})]",
                calendar_id=self.shanghai.id,
                start_date="2027-01-01",
            )
        )
        rule._generate_batch()
        visits = rule.plan_ids.record_ids
        weekly = visits.filtered(lambda v: v.rule_step_id.sequence != 20).sorted(
            "scheduled_date"
        )
        # 5, 12, 19, 26 July up to the horizon (28 July), and 2 August ahead.
        self.assertEqual(
            [v.scheduled_date.date() for v in weekly],
            [date(2027, 7, d) for d in (5, 12, 19, 26)] + [date(2027, 8, 2)],
        )
        # Every two weeks: 12 and 26 July, 9 and 23 August are in peak
        # season; 6 September is the first one ahead off season.
        fortnightly = visits - weekly
        self.assertEqual(
            [(v.occurrence, v.scheduled_date.date()) for v in fortnightly],
            [(4, date(2027, 9, 6))],
        )
        self.assertIn("only in July, August", rule.step_ids[0].summary)

    @freeze_time(NOW)
    def test_review_cases_of_extension_and_anchors(self):
        # An open weekly repetition beside a step 90 days ahead: the far
        # step does not keep the weekly calls from being planned on time.
        ticket = self._closed_ticket(datetime(2027, 1, 4, 1, 0))
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                [
                    {"delay": 1, "delay_unit": "weeks", "repeat_every": 1},
                    {"delay": 90, "delay_unit": "days", "sequence": 20},
                ],
                domain=f"[('id', '=', {ticket.id})]",
                calendar_id=self.shanghai.id,
            )
        )
        rule._generate_batch()
        with freeze_time("2027-01-25 02:00:00"):
            rule._generate_batch()
        weekly = rule.plan_ids.record_ids.filtered(
            lambda v: v.rule_step_id.sequence != 20
        )
        # Weeks 1 to 7 up to the new horizon (22 February), week 8 ahead.
        self.assertEqual(sorted(weekly.mapped("occurrence")), list(range(8)))
        # 2 days after each anniversary, on a record that qualifies the day
        # after its anniversary (3 January): due tomorrow, planned.
        order = self._orders(day={"validity_date": date(2020, 1, 3)})
        _rule, visits = self._order_rule(
            order,
            "validity_date",
            [{"anchor": "anniversary", "delay": 2, "delay_unit": "days"}],
            calendar_id=self.shanghai.id,
        )
        self.assertEqual(visits["day"][:1].scheduled_date, datetime(2027, 1, 4, 16, 0))
        # 30 days before each occasion, with a 7-day horizon: the date 40
        # days ahead is planned before its step is due.
        occasion = self.env["visit.occasion"].create(
            {"name": "Ahead", "date_ids": [Command.create({"date": "2027-02-13"})]}
        )
        partner_rule = self.env["visit.rule"].create(
            self._rule_vals(
                [
                    {
                        "anchor": "occasion",
                        "occasion_id": occasion.id,
                        "direction": "before",
                        "delay": 30,
                        "delay_unit": "days",
                    }
                ],
                model_id=self.env["ir.model"]._get_id("res.partner"),
                domain=f"[('id', '=', {self.customer.id})]",
                date_field_id=False,
                calendar_id=self.shanghai.id,
                horizon_days=7,
            )
        )
        partner_rule._generate_batch()
        self.assertEqual(
            partner_rule.plan_ids.record_ids.scheduled_date,
            datetime(2027, 1, 13, 16, 0),
        )

    @freeze_time("2027-06-01 02:00:00")
    def test_a_single_step_out_of_season_is_not_owed(self):
        ticket = self._closed_ticket(datetime(2027, 6, 1, 1, 0))
        december = self.env["visit.month"].search([("number", "=", 12)])
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                [
                    {
                        "delay": 2,
                        "delay_unit": "days",
                        "month_ids": [Command.set(december.ids)],
                    }
                ],
                domain=f"[('id', '=', {ticket.id})]",
                calendar_id=self.shanghai.id,
                start_date="2027-01-01",
            )
        )
        rule._generate_batch()
        self.assertEqual(rule.plan_ids.state, "cancelled")
        self.assertFalse(rule.plan_ids.record_ids)
        self.assertEqual(rule._generate_batch(), (0, 0))
