from datetime import date, datetime, time

import pytz
from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from lxml import etree

from odoo import Command
from odoo.tests import tagged
from odoo.tools import safe_eval

from .common import VisitCommon

# Before every reference date below: the cadences are counted as they come,
# not planned now as steps already past (see test_first_day_steps).
BEFORE_THE_DATES = "2026-01-01 00:00:00"


def _all_week(env, name, tz, hours=(0, 24), days=range(7)):
    """A calendar in ``tz``; by default open all day every day, so that
    placing a visit inside working hours never moves it."""
    return env["resource.calendar"].create(
        {
            "name": name,
            "tz": tz,
            "attendance_ids": [
                Command.create(
                    {
                        "name": f"{day}",
                        "dayofweek": str(day),
                        "hour_from": hours[0],
                        "hour_to": hours[1],
                        "day_period": "morning",
                    }
                )
                for day in days
            ],
        }
    )


@tagged("post_install", "-at_install")
class TestLocalTime(VisitCommon):
    """Cadences, samples and "due today" count in the local days of the
    governing calendar: the rule's working hours, else the company's
    calendar, else UTC.  Every expected value is worked out by hand:
    Shanghai is UTC+8 all year; New York is UTC-5 (EST) and UTC-4 (EDT)
    from 8 March to 1 November 2026."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shanghai = _all_week(cls.env, "Shanghai, all week", "Asia/Shanghai")
        cls.new_york = _all_week(cls.env, "New York, all week", "America/New_York")

    def _plan(self, calendar, references, steps, **values):
        """Generate a ticket rule on ``calendar`` for tickets closed at
        ``references`` (naive UTC); {reference: visits, in step order}."""
        tickets = {ref: self._closed_ticket(ref) for ref in references}
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                [dict(step, sequence=index) for index, step in enumerate(steps)],
                calendar_id=calendar.id if calendar else False,
                domain=f"[('id', 'in', {[t.id for t in tickets.values()]})]",
                **values,
            )
        )
        rule._generate_batch()
        plans = {plan.rule_source_id: plan for plan in rule.plan_ids}
        return rule, {
            ref: plans[ticket.id].record_ids.sorted(
                lambda rec: (rec.rule_step_id.sequence, rec.occurrence)
            )
            for ref, ticket in tickets.items()
        }

    # ------------------------------------------------------------------
    # Months and years on the local calendar
    # ------------------------------------------------------------------
    @freeze_time(BEFORE_THE_DATES)
    def test_one_month_after_the_31st_is_the_local_month_end_in_shanghai(self):
        # 31 Jan 2026 07:30 Shanghai = 30 Jan 23:30 UTC; 31 Mar 07:30 = 30 Mar
        # 23:30 UTC; 31 May 07:30 = 30 May 23:30 UTC.
        jan, mar, may = (
            datetime(2026, 1, 30, 23, 30),
            datetime(2026, 3, 30, 23, 30),
            datetime(2026, 5, 30, 23, 30),
        )
        _rule, visits = self._plan(
            self.shanghai, [jan, mar, may], [{"delay": 1, "delay_unit": "months"}]
        )
        # 28 Feb 07:30 local (2026 is not a leap year) = 27 Feb 23:30 UTC;
        # in UTC it would have been 28 Feb 23:30 UTC, i.e. 1 March local.
        self.assertEqual(visits[jan].scheduled_date, datetime(2026, 2, 27, 23, 30))
        # 30 April 07:30 local = 29 April 23:30 UTC (not 1 May).
        self.assertEqual(visits[mar].scheduled_date, datetime(2026, 4, 29, 23, 30))
        # 30 June 07:30 local = 29 June 23:30 UTC (not 1 July).
        self.assertEqual(visits[may].scheduled_date, datetime(2026, 6, 29, 23, 30))

    @freeze_time(BEFORE_THE_DATES)
    def test_monthly_repetition_counts_each_month_from_the_reference(self):
        # 31 Jan 2026 07:30 Shanghai = 30 Jan 23:30 UTC; +1, +2, +3 months
        # each from the reference: the February clamp does not stick.
        jan = datetime(2026, 1, 30, 23, 30)
        _rule, visits = self._plan(
            self.shanghai,
            [jan],
            [
                {
                    "delay": 1,
                    "delay_unit": "months",
                    "repeat_every": 1,
                    "repeat_until": 3,
                }
            ],
        )
        self.assertEqual(
            visits[jan].mapped("scheduled_date"),
            [
                datetime(2026, 2, 27, 23, 30),  # 28 Feb 07:30 local
                datetime(2026, 3, 30, 23, 30),  # 31 Mar 07:30 local
                datetime(2026, 4, 29, 23, 30),  # 30 Apr 07:30 local
            ],
        )

    def test_one_year_after_29_february_is_28_february_local(self):
        # 29 Feb 2028 07:30 Shanghai = 28 Feb 23:30 UTC. +1 year: 28 Feb 2029
        # 07:30 local = 27 Feb 2029 23:30 UTC (in UTC: 28 Feb 23:30 UTC,
        # i.e. 1 March local). +4 years: 29 Feb 2032 exists again.
        leap = datetime(2028, 2, 28, 23, 30)
        _rule, visits = self._plan(
            self.shanghai,
            [leap],
            [{"delay": 1, "delay_unit": "years"}, {"delay": 4, "delay_unit": "years"}],
        )
        self.assertEqual(
            visits[leap].mapped("scheduled_date"),
            [datetime(2029, 2, 27, 23, 30), datetime(2032, 2, 28, 23, 30)],
        )

    # ------------------------------------------------------------------
    # A negative offset with DST changes
    # ------------------------------------------------------------------
    @freeze_time(BEFORE_THE_DATES)
    def test_weeks_keep_the_local_time_across_the_spring_dst_change(self):
        # Sunday 1 March 2026 09:00 EST = 14:00 UTC; clocks go forward on
        # Sunday 8 March. +2 weeks: 15 March 09:00 EDT = 13:00 UTC.
        # +336 hours stays absolute: 15 March 14:00 UTC = 10:00 EDT.
        # +7 days: 8 March 09:00 EDT = 13:00 UTC.
        march = datetime(2026, 3, 1, 14, 0)
        _rule, visits = self._plan(
            self.new_york,
            [march],
            [
                {"delay": 2, "delay_unit": "weeks"},
                {"delay": 336, "delay_unit": "hours"},
                {"delay": 7, "delay_unit": "days"},
            ],
        )
        self.assertEqual(
            visits[march].mapped("scheduled_date"),
            [
                datetime(2026, 3, 15, 13, 0),
                datetime(2026, 3, 15, 14, 0),
                datetime(2026, 3, 8, 13, 0),
            ],
        )

    @freeze_time(BEFORE_THE_DATES)
    def test_days_keep_the_local_time_across_the_autumn_dst_change(self):
        # Saturday 31 October 2026 09:00 EDT = 13:00 UTC; clocks go back on
        # Sunday 1 November. +1 day: 1 November 09:00 EST = 14:00 UTC.
        # +1 month from 1 October 09:00 EDT (13:00 UTC): 1 November 09:00
        # EST = 14:00 UTC.
        october_31, october_1 = (
            datetime(2026, 10, 31, 13, 0),
            datetime(2026, 10, 1, 13, 0),
        )
        _rule, visits = self._plan(
            self.new_york,
            [october_31, october_1],
            [{"delay": 1, "delay_unit": "days"}],
        )
        self.assertEqual(
            visits[october_31].scheduled_date, datetime(2026, 11, 1, 14, 0)
        )
        self.assertEqual(visits[october_1].scheduled_date, datetime(2026, 10, 2, 13, 0))
        _rule, visits = self._plan(
            self.new_york, [october_1], [{"delay": 1, "delay_unit": "months"}]
        )
        self.assertEqual(visits[october_1].scheduled_date, datetime(2026, 11, 1, 14, 0))

    @freeze_time(BEFORE_THE_DATES)
    def test_a_wall_time_the_clocks_skip_or_repeat(self):
        # 7 March 2026 02:30 EST = 07:30 UTC. +1 day is 8 March 02:30, which
        # does not exist (02:00 -> 03:00): it moves on by the gap, to
        # 03:30 EDT = 07:30 UTC.
        # 31 October 2026 01:30 EDT = 05:30 UTC. +1 day is 1 November 01:30,
        # shown twice: the first, 01:30 EDT = 05:30 UTC.
        spring, autumn = datetime(2026, 3, 7, 7, 30), datetime(2026, 10, 31, 5, 30)
        _rule, visits = self._plan(
            self.new_york, [spring, autumn], [{"delay": 1, "delay_unit": "days"}]
        )
        self.assertEqual(visits[spring].scheduled_date, datetime(2026, 3, 8, 7, 30))
        self.assertEqual(visits[autumn].scheduled_date, datetime(2026, 11, 1, 5, 30))

    @freeze_time(BEFORE_THE_DATES)
    def test_working_days_keep_the_local_time_across_the_dst_change(self):
        # Working hours Monday to Friday 08:00-18:00, New York.
        office = _all_week(
            self.env,
            "New York office",
            "America/New_York",
            hours=(8, 18),
            days=range(5),
        )
        # Friday 6 March 2026 10:00 EST = 15:00 UTC. +1 working day: Monday
        # 9 March 10:00 EDT = 14:00 UTC. Deadline +2 working days: end of
        # Tuesday 10 March, 18:00 EDT = 22:00 UTC.
        friday = datetime(2026, 3, 6, 15, 0)
        _rule, visits = self._plan(
            office,
            [friday],
            [
                {
                    "delay": 1,
                    "delay_unit": "working_days",
                    "deadline_delay": 2,
                    "deadline_unit": "working_days",
                }
            ],
        )
        self.assertEqual(visits[friday].scheduled_date, datetime(2026, 3, 9, 14, 0))
        self.assertEqual(visits[friday].deadline, datetime(2026, 3, 10, 22, 0))

    # ------------------------------------------------------------------
    # Date-only reference fields: the local day, from its midnight
    # ------------------------------------------------------------------
    def _plan_orders(self, calendar, days, steps):
        """Generate an order rule counting from the date-only validity date."""
        orders = {
            day: self.env["sale.order"].create(
                {"partner_id": self.customer.id, "validity_date": day}
            )
            for day in days
        }
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                steps,
                model_id=self.env["ir.model"]._get_id("sale.order"),
                domain=f"[('id', 'in', {[o.id for o in orders.values()]})]",
                date_field_id=self.env["ir.model.fields"]
                ._get("sale.order", "validity_date")
                .id,
                calendar_id=calendar.id,
            )
        )
        rule._generate_batch()
        plans = {plan.rule_source_id: plan for plan in rule.plan_ids}
        return {day: plans[order.id] for day, order in orders.items()}

    @freeze_time(BEFORE_THE_DATES)
    def test_date_reference_counts_from_local_midnight(self):
        july, jan = date(2026, 7, 1), date(2026, 1, 31)
        plans = self._plan_orders(
            self.shanghai, [july, jan], [{"delay": 1, "delay_unit": "months"}]
        )
        # 1 July 00:00 Shanghai = 30 June 16:00 UTC.
        self.assertEqual(plans[july].reference_date, datetime(2026, 6, 30, 16, 0))
        # +1 month: 1 August 00:00 local = 31 July 16:00 UTC (in UTC it
        # would have been 30 July 16:00 UTC, i.e. 31 July local).
        self.assertEqual(
            plans[july].record_ids.scheduled_date, datetime(2026, 7, 31, 16, 0)
        )
        # 31 January + 1 month: 28 February 00:00 local = 27 Feb 16:00 UTC.
        self.assertEqual(
            plans[jan].record_ids.scheduled_date, datetime(2026, 2, 27, 16, 0)
        )

    @freeze_time(BEFORE_THE_DATES)
    def test_date_reference_across_the_dst_change(self):
        # 1 March 2026 00:00 EST = 05:00 UTC; +2 weeks: 15 March 00:00 EDT
        # = 04:00 UTC.
        march = date(2026, 3, 1)
        plans = self._plan_orders(
            self.new_york, [march], [{"delay": 2, "delay_unit": "weeks"}]
        )
        self.assertEqual(plans[march].reference_date, datetime(2026, 3, 1, 5, 0))
        self.assertEqual(
            plans[march].record_ids.scheduled_date, datetime(2026, 3, 15, 4, 0)
        )

    # ------------------------------------------------------------------
    # Samples: the local day decides the period
    # ------------------------------------------------------------------
    def test_sample_period_is_the_local_month(self):
        # 1 July 2026 07:30 Shanghai = 30 June 23:30 UTC: July's sample.
        # 30 June 23:30 Shanghai = 30 June 15:30 UTC: June's sample.
        july, june = datetime(2026, 6, 30, 23, 30), datetime(2026, 6, 30, 15, 30)
        rule, visits = self._plan(
            self.shanghai,
            [july, june],
            [{"delay": 2, "delay_unit": "days"}],
            coverage="sample",
            sample_percent=100.0,
        )
        self.assertEqual(visits[july].plan_id.draw_id.period, "2026-07")
        self.assertEqual(visits[june].plan_id.draw_id.period, "2026-06")
        self.assertEqual(sorted(rule.draw_ids.mapped("population_count")), [1, 1])
        rule.sample_period = "quarter"
        self.assertEqual(self.env["visit.rule.draw"]._period_of(rule, july), "2026-Q3")
        self.assertEqual(self.env["visit.rule.draw"]._period_of(rule, june), "2026-Q2")
        # Half-years (a twice-yearly campaign): the same local day decides.
        rule.sample_period = "half_year"
        self.assertEqual(self.env["visit.rule.draw"]._period_of(rule, july), "2026-H2")
        self.assertEqual(self.env["visit.rule.draw"]._period_of(rule, june), "2026-H1")

    @freeze_time(BEFORE_THE_DATES)
    def test_time_zone_falls_back_to_the_company_calendar_then_utc(self):
        july = datetime(2026, 6, 30, 23, 30)  # 1 July 07:30 in Shanghai
        self.env.company.resource_calendar_id.tz = "Asia/Shanghai"
        rule, visits = self._plan(
            None,
            [july],
            [{"delay": 1, "delay_unit": "months"}],
            coverage="sample",
            sample_percent=100.0,
        )
        self.assertFalse(rule.calendar_id)
        self.assertEqual(rule._tz().zone, "Asia/Shanghai")
        self.assertEqual(visits[july].plan_id.draw_id.period, "2026-07")
        # The company calendar opens at 08:00 on weekdays: 1 August 07:30
        # local is a Saturday, so Monday 3 August 08:00 local = 00:00 UTC.
        self.assertEqual(visits[july].scheduled_date, datetime(2026, 8, 3, 0, 0))
        # The rule's working hours govern when set.
        rule.calendar_id = self.new_york
        self.assertEqual(rule._tz().zone, "America/New_York")
        # 30 June 23:30 UTC is 30 June 19:30 in New York.
        self.assertEqual(self.env["visit.rule.draw"]._period_of(rule, july), "2026-06")
        # No calendar at all: the company's address, else UTC.
        rule.calendar_id = False
        rule.company_id.resource_calendar_id = False
        rule.company_id.partner_id.tz = "America/New_York"
        self.assertEqual(rule._tz().zone, "America/New_York")
        rule.company_id.partner_id.tz = False
        self.assertEqual(rule._tz().zone, "UTC")
        self.assertEqual(self.env["visit.rule.draw"]._period_of(rule, july), "2026-06")

    # ------------------------------------------------------------------
    # Due today: the user's local day
    # ------------------------------------------------------------------
    def _filter_domain(self, name, tz, today):
        """The domain of the search filter ``name`` as the web client
        evaluates it for a user in ``tz`` on ``today``: its ``to_utc()``
        converts from the browser's zone (py.js), stood in for here."""
        arch = self.env.ref("customer_visit.visit_record_view_search").arch
        text = (
            etree.fromstring(arch).xpath(f"//filter[@name='{name}']")[0].get("domain")
        )

        class BrowserDatetime(datetime):
            def to_utc(self):
                return (
                    pytz.timezone(tz)
                    .localize(self)
                    .astimezone(pytz.utc)
                    .replace(tzinfo=None)
                )

        class DatetimeModule:
            datetime = BrowserDatetime

        DatetimeModule.time = time
        return safe_eval.safe_eval(
            text,
            {
                "context_today": lambda: today,
                "relativedelta": relativedelta,
                "datetime": DatetimeModule,
            },
        )

    def test_due_today_ends_at_the_users_local_midnight(self):
        # On 1 July 2026 in Shanghai the day ends at 2 July 00:00 local =
        # 1 July 16:00 UTC.
        late = self._create_visit(
            scheduled_date=datetime(2026, 7, 1, 15, 30)
        )  # 1 July 23:30 local
        tomorrow = self._create_visit(
            scheduled_date=datetime(2026, 7, 1, 16, 30)
        )  # 2 July 00:30 local
        early = self._create_visit(
            scheduled_date=datetime(2026, 7, 1, 23, 30)
        )  # 2 July 07:30 local
        visits = late | tomorrow | early
        # Due Now is owed at this moment, whatever the day (see
        # test_first_day_retries); Due Today is the local day.
        domain = self._filter_domain("due_today", "Asia/Shanghai", date(2026, 7, 1))
        self.assertEqual(
            self.env["visit.record"].search(domain + [("id", "in", visits.ids)]), late
        )
        # In New York (EDT, UTC-4) 1 July ends at 2 July 04:00 UTC: all three.
        domain = self._filter_domain("due_today", "America/New_York", date(2026, 7, 1))
        self.assertEqual(
            self.env["visit.record"].search(domain + [("id", "in", visits.ids)]), visits
        )

    def test_visit_to_do_is_due_on_the_assignees_local_day(self):
        self.agent.tz = "Asia/Shanghai"
        # 1 July 2026 23:30 UTC is 2 July 07:30 for the agent, whatever the
        # time zone of whoever plans the visit.
        visit = self._create_visit(
            env=self.env(context=dict(self.env.context, tz="UTC")),
            user_id=self.agent.id,
            scheduled_date=datetime(2026, 7, 1, 23, 30),
        )
        self.assertEqual(visit.activity_ids.date_deadline, date(2026, 7, 2))

    def test_records_from_is_the_local_start_day(self):
        """Records from 1 July in Shanghai: a ticket closed at 07:30 local on
        1 July (23:30 UTC on 30 June) qualifies; one closed at 07:30 local
        on 30 June (23:30 UTC on 29 June) does not."""
        early = self._closed_ticket(datetime(2026, 6, 30, 23, 30))
        before = self._closed_ticket(datetime(2026, 6, 29, 23, 30))
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                calendar_id=self.shanghai.id,
                start_date="2026-07-01",
                domain=f"[('id', 'in', {[early.id, before.id]})]",
            )
        )
        self.assertEqual(
            self.env[rule.model_name].search(rule._qualifying_domain()).ids, early.ids
        )

    def test_visit_numbers_take_the_local_month(self):
        """07:30 on 1 July in Shanghai is 23:30 UTC on 30 June: a July number."""
        self.env.company.resource_calendar_id.tz = "Asia/Shanghai"
        visit = self._create_visit(
            scheduled_date=datetime(2026, 6, 30, 23, 30),
            deadline=datetime(2026, 7, 1, 23, 30),
        )
        self.assertTrue(visit.name.startswith("HF202607"), visit.name)
        self.env.company.resource_calendar_id.tz = "America/New_York"
        # 20:00 on 31 July in New York is 00:00 UTC on 1 August: a July number.
        visit = self._create_visit(
            scheduled_date=datetime(2026, 8, 1, 0, 0),
            deadline=datetime(2026, 8, 2, 0, 0),
        )
        self.assertTrue(visit.name.startswith("HF202607"), visit.name)
