import io
from datetime import datetime, timedelta

import openpyxl

from odoo import Command, fields
from odoo.tests import tagged

from .common import VisitCommon

OCTOBER = (fields.Date.to_date("2026-10-01"), fields.Date.to_date("2026-10-31"))
NOVEMBER = (fields.Date.to_date("2026-11-01"), fields.Date.to_date("2026-11-30"))
SEPTEMBER = (fields.Date.to_date("2026-09-01"), fields.Date.to_date("2026-09-30"))
ALL = "All digital channels"


@tagged("post_install", "-at_install")
class TestDispatchIndicators(VisitCommon):
    """The digital channels' figures of a company of its own (Shanghai,
    UTC+8), worked out by hand: October 2026 in its local days."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_d = cls.env["res.company"].create(
            {
                "name": "Dispatch Co",
                "resource_calendar_id": cls.env["resource.calendar"]
                .create({"name": "Shanghai", "tz": "Asia/Shanghai"})
                .id,
            }
        )
        (cls.agent | cls.manager).write(
            {"company_ids": [Command.link(cls.company_d.id)]}
        )
        # E-mails sent in October (UTC times, all in October in Shanghai):
        # 1 answered exactly 24 h after (within 24 h), 2 answered 25 h after
        # (not within 24 h, within 7 days), 3 answered 7 days and 1 hour
        # after (within neither), 4 not answered, given to a call.
        cls.answered_24h = cls._message("email", "2026-10-05 02:00:00", hours=24)
        cls.answered_25h = cls._message("email", "2026-10-06 02:00:00", hours=25)
        cls._message("email", "2026-10-08 02:00:00", hours=7 * 24 + 1)
        cls._message("email", "2026-10-10 02:00:00", state="fell_back")
        # Sent and answered in September: not October's.
        cls._message("email", "2026-09-28 02:00:00", hours=2)
        # An SMS visit given to a call at planning time (no valid mobile):
        # never sent, counted on its due day.
        cls.sms_to_call = cls._message(
            "sms", None, state="fell_back", scheduled="2026-10-15 02:00:00"
        )
        # A phone visit of October: no message, in no digital figure.
        cls._create_visit(
            company_id=cls.company_d.id,
            user_id=cls.agent.id,
            scheduled_date="2026-10-12 02:00:00",
            deadline="2026-10-13 02:00:00",
        )

    @classmethod
    def _message(cls, channel, sent, hours=None, state=None, scheduled=None):
        """A visit planned for ``channel``, its message sent at ``sent``
        (UTC), answered on the portal ``hours`` later (then done), else in
        ``state``."""
        scheduled = fields.Datetime.to_datetime(scheduled or sent)
        sent = fields.Datetime.to_datetime(sent)
        answered = sent + timedelta(hours=hours) if hours is not None else False
        visit = cls._create_visit(
            company_id=cls.company_d.id,
            user_id=cls.agent.id,
            scheduled_date=scheduled,
            deadline=scheduled + timedelta(days=10),
            channel="portal" if answered else "phone",
            dispatch_channel=channel,
            dispatch_state="answered" if answered else state,
            dispatch_date=sent or False,
            answer_date=answered,
        )
        if answered:
            visit.outcome = "reached"
            visit.action_done()
        return visit

    def _figures(self, period=OCTOBER, company=None):
        lines = self.env["visit.indicator"]._compute(*period, company or self.company_d)
        return {
            (line["indicator"], line["label"]): line
            for line in lines
            if line["section"] == "digital"
        }

    def test_rates_of_the_messages_sent_in_the_period(self):
        lines = self._figures()
        expected = {
            # e-mail: 4 sent (1-4), 3 answered (1-3) of which 1 within 24 h
            # (the 25 h one is not) and 2 within 7 days; September's is out
            ("response_rate", "Email"): (75.0, 3, 4),
            ("answered_24h", "Email"): (25.0, 1, 4),
            ("answered_7d", "Email"): (50.0, 2, 4),
            # e-mail: 1 of 4 given to a call (4, after no answer)
            ("fallback_share", "Email"): (25.0, 1, 4),
            # SMS: planned for 1, sent none: no rate, not 0 %
            ("response_rate", "SMS"): (None, 0, 0),
            ("answered_24h", "SMS"): (None, 0, 0),
            ("answered_7d", "SMS"): (None, 0, 0),
            ("fallback_share", "SMS"): (100.0, 1, 1),
            # all: the e-mails' sent figures; 2 of 5 planned given to a call
            ("response_rate", ALL): (75.0, 3, 4),
            ("answered_24h", ALL): (25.0, 1, 4),
            ("answered_7d", ALL): (50.0, 2, 4),
            ("fallback_share", ALL): (40.0, 2, 5),
        }
        for key, (value, numerator, denominator) in expected.items():
            with self.subTest(indicator=key):
                line = lines[key]
                self.assertEqual(line["unit"], "percent")
                if value is None:
                    self.assertIsNone(line["value"])
                else:
                    self.assertAlmostEqual(line["value"], value, places=2)
                self.assertEqual(
                    (line["numerator"], line["denominator"]), (numerator, denominator)
                )
        # each answer a call nobody had to make: 3 e-mails, no SMS
        self.assertEqual(lines[("calls_avoided", "Email")]["value"], 3)
        self.assertEqual(lines[("calls_avoided", "SMS")]["value"], 0)
        self.assertEqual(lines[("calls_avoided", ALL)]["value"], 3)
        self.assertEqual(lines[("calls_avoided", ALL)]["unit"], "count")
        # no questionnaire planned: no line for it
        self.assertFalse([key for key in lines if key[1] == "Questionnaire"])
        # September: its one e-mail, answered within 2 hours
        september = self._figures(SEPTEMBER)
        self.assertEqual(september[("answered_24h", ALL)]["value"], 100.0)
        self.assertEqual(september[("calls_avoided", ALL)]["value"], 1)

    def test_every_figure_opens_the_cases_behind_it(self):
        Case = self.env["visit.case"].with_user(self.manager)
        lines = self._figures()
        for key, line in lines.items():
            with self.subTest(indicator=key):
                cases = Case.search(line["domain"])
                expected = (
                    line["value"] if line["unit"] == "count" else line["denominator"]
                )
                self.assertEqual(len(cases), expected)
        self.assertEqual(
            Case.search(lines[("fallback_share", "SMS")]["domain"]).record_id,
            self.sms_to_call,
        )

    def test_an_empty_period_gives_no_figure(self):
        lines = self._figures(
            (OCTOBER[0].replace(year=2001), OCTOBER[1].replace(year=2001))
        )
        self.assertEqual(
            sorted(lines),
            sorted(
                (indicator, ALL)
                for indicator in (
                    "response_rate",
                    "answered_24h",
                    "answered_7d",
                    "fallback_share",
                    "calls_avoided",
                )
            ),
        )
        self.assertIsNone(lines[("response_rate", ALL)]["value"])
        self.assertIsNone(lines[("fallback_share", ALL)]["value"])
        self.assertEqual(lines[("calls_avoided", ALL)]["value"], 0)

    def test_the_message_day_is_the_companys_local_day(self):
        """20:00 UTC on 31 October is 04:00 on 1 November in Shanghai, and
        16:00 on 31 October in New York (still summer time there)."""
        late = self._message("questionnaire", "2026-10-31 20:00:00", hours=3)
        # given to a call at planning time, due at the same time
        planned = self._message(
            "sms", None, state="fell_back", scheduled="2026-10-31 20:00:00"
        )
        november = self._figures(NOVEMBER)
        self.assertEqual(november[("response_rate", "Questionnaire")]["value"], 100.0)
        self.assertEqual(november[("fallback_share", "SMS")]["denominator"], 1)
        october = self._figures()
        self.assertNotIn(("response_rate", "Questionnaire"), october)
        self.assertEqual(october[("fallback_share", "SMS")]["denominator"], 1)
        self.company_d.resource_calendar_id = self.env["resource.calendar"].create(
            {"name": "New York", "tz": "America/New_York"}
        )
        october = self._figures()
        self.assertEqual(october[("response_rate", "Questionnaire")]["value"], 100.0)
        self.assertEqual(october[("fallback_share", "SMS")]["denominator"], 2)
        self.assertNotIn(("response_rate", "Questionnaire"), self._figures(NOVEMBER))
        days = {
            case.record_id: case.dispatch_day
            for case in self.env["visit.case"].search(
                [("record_id", "in", (late | planned).ids)]
            )
        }
        self.assertEqual(
            days, {late: OCTOBER[1], planned: OCTOBER[1]}, "31 October in New York"
        )

    def test_the_page_and_the_monthly_report_show_the_digital_section(self):
        page = (
            self.env["visit.indicator"]
            .with_user(self.manager)
            .with_company(self.company_d)
            .get_indicator_page(
                date_from="2026-10-01",
                date_to="2026-10-31",
                company_id=self.company_d.id,
            )
        )
        section = next(s for s in page["sections"] if s["key"] == "digital")
        self.assertEqual(section["label"], "Digital channels")
        groups = {group["indicator"]: group for group in section["groups"]}
        self.assertEqual(
            list(groups),
            [
                "response_rate",
                "answered_24h",
                "answered_7d",
                "fallback_share",
                "calls_avoided",
            ],
        )
        self.assertEqual(
            groups["response_rate"]["label"], "Response rate (answered / sent)"
        )
        self.assertTrue(all(group["help"] for group in groups.values()))
        # Email, SMS, then all channels
        self.assertEqual(
            [line["label"] for line in groups["response_rate"]["lines"]],
            ["Email", "SMS", ALL],
        )
        data = self.env["report.customer_visit.report_visit_monthly"]._report_data(
            *OCTOBER, self.company_d
        )
        rates = {
            line["label"]: line
            for line in data["lines"]
            if line["indicator"] == "response_rate"
        }
        self.assertEqual(rates[ALL]["value"], 75.0)
        self.assertEqual(
            rates[ALL]["indicator_label"], "Response rate (answered / sent)"
        )

    def test_ledger_shows_the_message_channel_and_its_times(self):
        visits = self.answered_25h | self.sms_to_call
        data = (
            self.env["visit.ledger"]
            .with_context(tz="Asia/Shanghai")
            ._xlsx([("id", "in", visits.ids)])
        )
        book = openpyxl.load_workbook(io.BytesIO(data))
        ledger = book.worksheets[1]
        header = [cell.value for cell in ledger[2]]
        rows = {
            row[0]: dict(zip(header, row, strict=True))
            for row in ledger.iter_rows(min_row=3, values_only=True)
        }
        answered = rows[self.answered_25h.name]
        # the channel used, the one planned, and the times in Shanghai (UTC+8)
        self.assertEqual(answered["Channel"], "Customer portal")
        self.assertEqual(answered["Message channel"], "Email")
        self.assertEqual(answered["Sent on"], datetime(2026, 10, 6, 10, 0))
        self.assertEqual(answered["Answered on"], datetime(2026, 10, 7, 11, 0))
        to_call = rows[self.sms_to_call.name]
        self.assertEqual(to_call["Channel"], "Phone call")
        self.assertEqual(to_call["Message channel"], "SMS")
        self.assertIsNone(to_call["Sent on"])
        self.assertIsNone(to_call["Answered on"])
        self.assertEqual(header.index("Message channel"), header.index("Channel") + 1)
        # the summary's figures are those of the exported visits: the
        # e-mail sent and answered, the SMS given to a call
        indicators = {
            (r[0], r[1]): r[2]
            for r in book.worksheets[0].iter_rows(min_row=11, values_only=True)
        }
        # rates as fractions (shown with a % format)
        self.assertEqual(indicators[("Response rate (answered / sent)", ALL)], 1.0)
        self.assertEqual(
            indicators[("Given to a call (share of digital visits)", ALL)], 0.5
        )
        self.assertEqual(indicators[("Calls avoided", ALL)], 1)
