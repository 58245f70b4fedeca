import io
from datetime import date, datetime, timedelta
from unittest.mock import patch

import openpyxl
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.base.models.ir_actions_report import IrActionsReport

from ..models.res_company import report_cycle
from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestMonthlyReport(VisitCommon, HttpCase):
    """An HttpCase: wkhtmltopdf fetches the PDF's assets from this server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("report.url", cls.base_url())
        cls.manager.email = "mia@example.com"
        cls.company = cls.env["res.company"].create(
            {"name": "Report Co", "email": "co@example.com"}
        )
        cls.manager.write({"company_ids": [(4, cls.company.id)]})
        cls.env["res.users"].browse(cls.agent.id).write(
            {"company_ids": [(4, cls.company.id)]}
        )
        visit = cls._create_visit(
            company_id=cls.company.id,
            user_id=cls.agent.id,
            outcome="reached",
            satisfaction_service="unsatisfied",
            opinion="Too slow",
            opinion_category="service",
        )
        visit.action_done()

    def _mails(self):
        return self.env["mail.mail"].search(
            [("subject", "ilike", "Report Co: follow-up report")]
        )

    def test_cron_queues_the_report_and_the_ledger_of_the_previous_month(self):
        today = self.company._visit_today()
        # Sent on the 1st: last month's report is due whatever today is.
        self.company.write({"visit_report_cycle": "month", "visit_report_day": 1})
        last_month = self.company._visit_report_cycle(
            day=today.replace(day=1) - timedelta(days=1)
        )
        self.company.visit_report_last_end = last_month.date_from - timedelta(days=1)
        # The visit of setUpClass is this month's; this one is last month's.
        self._create_visit(
            company_id=self.company.id,
            user_id=self.agent.id,
            scheduled_date=datetime.combine(last_month.date_to, datetime.min.time())
            + timedelta(hours=12),
            deadline=datetime.combine(last_month.date_to, datetime.min.time())
            + timedelta(days=2),
        )
        self.env["res.company"]._cron_send_visit_monthly_report()
        mail = self._mails()
        self.assertEqual(len(mail), 1)
        self.assertIn(last_month.date_from.strftime("%Y-%m"), mail.subject)
        self.assertIn("mia@example.com", mail.email_to)
        self.assertEqual(
            sorted(mail.attachment_ids.mapped("mimetype")),
            [
                "application/pdf",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ],
        )
        ledger = openpyxl.load_workbook(
            io.BytesIO(
                mail.attachment_ids.filtered(lambda a: a.mimetype.endswith("sheet")).raw
            )
        )
        numbers = [
            row[0]
            for row in ledger.worksheets[1].iter_rows(min_row=3, values_only=True)
        ]
        self.assertEqual(len(numbers), 1)
        self.assertEqual(self.company.visit_report_last_end, last_month.date_to)
        self.env["res.company"]._cron_send_visit_monthly_report()
        self.assertEqual(len(self._mails()), 1, "a cycle is sent once")

    def test_pdf_renders_with_its_svg_charts_in_english_and_chinese(self):
        today = fields.Date.context_today(self.env["res.company"])
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        # The company and the period: the report builds its values.
        data = {"date_from": str(today.replace(day=1)), "date_to": str(today)}
        pdf, kind = Report._render_qweb_pdf(
            "customer_visit.visit_monthly_report", self.company.ids, data=data
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["customer_visit"], ["zh_CN"], overwrite=True
        )
        html = (
            Report.with_context(lang="zh_CN")
            ._render_qweb_html(
                "customer_visit.visit_monthly_report", self.company.ids, data=data
            )[0]
            .decode()
        )
        self.assertIn("<svg", html)
        self.assertIn("月度回访报告", html)
        self.assertIn("近 6 个周期的回访率和成功率", html)
        self.assertIn("统计期间", html)
        pdf, kind = Report.with_context(lang="zh_CN")._render_qweb_pdf(
            "customer_visit.visit_monthly_report", self.company.ids, data=data
        )
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_without_wkhtmltopdf_the_ledger_is_still_sent_with_the_reason(self):
        today = fields.Date.context_today(self.env["res.company"])
        with patch.object(
            IrActionsReport, "get_wkhtmltopdf_state", return_value="install"
        ):
            mail = self.company.with_context(
                force_report_rendering=True
            )._send_visit_monthly_report(today.replace(day=1), today)
        self.assertEqual(
            mail.attachment_ids.mapped("mimetype"),
            ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
        )
        self.assertIn("The PDF report could not be made", mail.body_html)
        self.assertIn("Wkhtmltopdf", mail.body_html)
        self.assertIn(
            "<p>The follow-up report", mail.body_html, "the HTML is not escaped"
        )

    def test_report_data_lists_unsatisfied_customers_and_classified_opinions(self):
        today = fields.Date.context_today(self.env["res.company"])
        data = self.env["report.customer_visit.report_visit_monthly"]._report_data(
            today.replace(day=1), today, self.company
        )
        self.assertEqual(data["visit_count"], 1)
        self.assertEqual(data["classified"], [("Service quality", 1)])
        self.assertEqual(
            [item["customer"] for item in data["unsatisfied"]], [self.customer.name]
        )
        # What was done: the dissatisfaction ticket opened by the visit.
        ticket = self.env["helpdesk.ticket"].search(
            [
                ("partner_id", "=", self.customer.id),
                ("visit_confirmation_required", "=", True),
            ]
        )
        self.assertEqual(len(ticket), 1)
        self.assertIn(ticket.display_name, data["unsatisfied"][0]["done"])

    def test_report_day_outside_1_to_28_is_refused(self):
        for day in (0, 29, 31):
            with self.assertRefused(ValidationError, "from 1 to 28"):
                self.company.visit_report_day = day


class TestReportCycles(VisitCommon):
    """Report cycles: every local day in exactly one report, each report
    sent once, on its day or at the first run after it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A negative offset with a DST change: local days are not UTC days.
        calendar = cls.env["resource.calendar"].create(
            {"name": "New York", "tz": "America/New_York"}
        )
        cls.company = cls.env["res.company"].create(
            {
                "name": "Cycle Co",
                "email": "cycle@example.com",
                "resource_calendar_id": calendar.id,
            }
        )
        cls.manager.write(
            {"email": "mia@example.com", "company_ids": [(4, cls.company.id)]}
        )
        cls.agent.write({"company_ids": [(4, cls.company.id)]})

    def _mails(self, company=None):
        return self.env["mail.mail"].search(
            [
                (
                    "subject",
                    "ilike",
                    "%s: follow-up report" % (company or self.company).name,
                )
            ],
            order="id",
        )

    def _cron_at(self, utc_now):
        with freeze_time(utc_now):
            self.env["res.company"]._cron_send_visit_monthly_report()
        return self._mails().mapped("subject")

    def _visit_at(self, utc_datetime):
        visit = self._create_visit(
            company_id=self.company.id,
            user_id=self.agent.id,
            outcome="reached",
            scheduled_date=utc_datetime,
            deadline=utc_datetime + timedelta(days=1),
        )
        visit.action_done()
        return visit

    def _consecutive_cycles(self, kind, day, count=24):
        """``count`` cycles of ``kind`` (send day 7, cut-off 22), each the
        one after the last, from the cycle containing ``day``."""
        cycles = [report_cycle(kind, 7, 22, day=day)]
        while len(cycles) < count:
            cycles.append(report_cycle(kind, 7, 22, after=cycles[-1].date_to))
        return cycles

    def _assert_each_day_once(self, cycles, first, last):
        days = [
            cycle.date_from + timedelta(days=n)
            for cycle in cycles
            for n in range((cycle.date_to - cycle.date_from).days + 1)
        ]
        self.assertEqual(len(days), len(set(days)), "no day in two reports")
        self.assertEqual(
            days, [first + timedelta(days=n) for n in range((last - first).days + 1)]
        )

    def test_24_calendar_months_cover_every_day_once_and_go_out_on_the_7th(self):
        cycles = self._consecutive_cycles("month", date(2027, 1, 15))
        self._assert_each_day_once(cycles, date(2027, 1, 1), date(2028, 12, 31))
        for cycle in cycles:
            self.assertEqual(cycle.date_from.day, 1)
            self.assertEqual(
                (cycle.date_to + timedelta(days=1)).day,
                1,
                "a month ends on its last day",
            )
            self.assertEqual(cycle.send_date, cycle.date_to + timedelta(days=7))
        self.assertEqual(cycles[13].date_to, date(2028, 2, 29))
        self.assertEqual(
            cycles[13], report_cycle("month", 7, 22, day=date(2028, 2, 29))
        )

    def test_24_cut_off_cycles_run_from_the_23rd_to_the_22nd_every_day_once(self):
        cycles = self._consecutive_cycles("cutoff", date(2027, 1, 10))
        self._assert_each_day_once(cycles, date(2026, 12, 23), date(2028, 12, 22))
        for cycle in cycles:
            self.assertEqual((cycle.date_from.day, cycle.date_to.day), (23, 22))
            self.assertEqual(cycle.send_date, cycle.date_to + timedelta(days=1))
        # 29 February is in the cycle 23 February - 22 March, found from any of
        # its days.
        leap = report_cycle("cutoff", 7, 22, day=date(2028, 2, 29))
        self.assertEqual(leap[:2], (date(2028, 2, 23), date(2028, 3, 22)))
        self.assertEqual(leap, report_cycle("cutoff", 7, 22, day=date(2028, 2, 23)))
        self.assertEqual(leap, report_cycle("cutoff", 7, 22, day=date(2028, 3, 22)))

    def test_cron_sends_each_month_once_on_the_local_send_day_and_a_missed_one_late(
        self,
    ):
        self.company.write({"visit_report_cycle": "month", "visit_report_day": 7})
        # Never sent: only the latest due cycle (February's is due on 7 March).
        self.assertEqual(
            self._cron_at("2027-03-05 12:00:00"), ["Cycle Co: follow-up report 2027-01"]
        )
        self.assertEqual(self.company.visit_report_last_end, date(2027, 1, 31))
        self.assertEqual(len(self._cron_at("2027-03-06 12:00:00")), 1)
        # 7 March in UTC, still 6 March in New York.
        self.assertEqual(len(self._cron_at("2027-03-07 02:00:00")), 1)
        self.assertEqual(
            self._cron_at("2027-03-07 15:00:00")[1:],
            ["Cycle Co: follow-up report 2027-02"],
        )
        self.assertEqual(len(self._cron_at("2027-03-07 20:00:00")), 2, "sent once")
        # The server was down from 7 April to 11 May: March and April go out
        # at the next run, once each.
        self.assertEqual(
            self._cron_at("2027-05-12 12:00:00")[2:],
            [
                "Cycle Co: follow-up report 2027-03",
                "Cycle Co: follow-up report 2027-04",
            ],
        )
        self.assertEqual(len(self._cron_at("2027-05-13 12:00:00")), 4)
        self.assertEqual(self.company.visit_report_last_end, date(2027, 4, 30))

    def test_cron_sends_a_cut_off_cycle_the_day_after_the_cut_off(self):
        self.company.write(
            {
                "visit_report_cycle": "cutoff",
                "visit_report_cutoff_day": 22,
                "visit_report_last_end": date(2027, 2, 22),
            }
        )
        self.assertEqual(
            len(self._cron_at("2027-03-22 23:00:00")), 0, "still 22 March in New York"
        )
        self.assertEqual(
            self._cron_at("2027-03-23 12:00:00"),
            ["Cycle Co: follow-up report 2027-02-23 – 2027-03-22"],
        )
        self.assertEqual(len(self._cron_at("2027-03-24 12:00:00")), 1)

    def test_a_failed_send_marks_nothing_sent_and_is_tried_again(self):
        self.company.write(
            {"visit_report_cycle": "month", "visit_report_last_end": date(2027, 1, 31)}
        )
        Company = type(self.company)
        original = Company._send_visit_monthly_report

        def fail_after_the_mail(company, date_from, date_to):
            mail = original(company, date_from, date_to)
            if company == self.company:
                raise OSError("disk full")
            return mail

        with (
            patch.object(Company, "_send_visit_monthly_report", fail_after_the_mail),
            mute_logger("odoo.addons.customer_visit.models.res_company"),
        ):
            self.assertEqual(self._cron_at("2027-03-08 12:00:00"), [])
        self.assertEqual(self.company.visit_report_last_end, date(2027, 1, 31))
        self.assertFalse(
            self.env["visit.report.run"].search([("company_id", "=", self.company.id)])
        )
        self.assertTrue(
            self._mails(self.company_b), "the other companies still get theirs"
        )
        self.assertEqual(
            self._cron_at("2027-03-09 12:00:00"), ["Cycle Co: follow-up report 2027-02"]
        )

    def test_changing_the_cycle_mid_cycle_starts_the_next_report_the_day_after_the_last(
        self,
    ):
        self.company.write(
            {"visit_report_cycle": "month", "visit_report_last_end": date(2027, 3, 31)}
        )
        with freeze_time("2027-04-10 12:00:00"):
            # Settings ▸ Follow-ups shows the next report as it is edited.
            form = Form(self.env["res.config.settings"].with_company(self.company))
            form.visit_report_cycle = "cutoff"
            form.visit_report_cutoff_day = 22
            self.assertEqual(
                form.visit_report_next,
                "Next report: 04/01/2027 – 04/22/2027, sent on 04/23/2027",
            )
            self.company.write(
                {"visit_report_cycle": "cutoff", "visit_report_cutoff_day": 22}
            )
            self.assertEqual(
                self.company._visit_report_next_cycle(date(2027, 4, 10)),
                (date(2027, 4, 1), date(2027, 4, 22), date(2027, 4, 23)),
            )
            self.assertEqual(
                self.company.visit_report_next,
                "Next report: 04/01/2027 – 04/22/2027, sent on 04/23/2027",
            )
        # 31 March 22:00 in New York is 1 April in UTC: in March's report.
        self._visit_at(datetime(2027, 4, 1, 2, 0))
        april = self._visit_at(datetime(2027, 4, 22, 20, 0))
        self._visit_at(datetime(2027, 4, 23, 5, 0))  # 23 April 01:00 local: next cycle
        self.assertEqual(
            self._cron_at("2027-04-23 12:00:00"),
            ["Cycle Co: follow-up report 2027-04-01 – 2027-04-22"],
        )
        ledger = openpyxl.load_workbook(
            io.BytesIO(
                self._mails()
                .attachment_ids.filtered(lambda a: a.mimetype.endswith("sheet"))
                .raw
            )
        )
        numbers = [
            row[0]
            for row in ledger.worksheets[1].iter_rows(min_row=3, values_only=True)
        ]
        self.assertEqual(numbers, [april.name])
        # Back to calendar months on 25 April: 23-30 April, sent on 7 May.
        self.company.visit_report_cycle = "month"
        self.assertEqual(
            self.company._visit_report_next_cycle(date(2027, 4, 25)),
            (date(2027, 4, 23), date(2027, 4, 30), date(2027, 5, 7)),
        )

    def test_report_data_counts_local_days_of_the_cycle(self):
        self._visit_at(datetime(2027, 4, 1, 2, 0))  # 31 March, local
        self._visit_at(datetime(2027, 4, 30, 23, 0))  # 30 April, local
        data = self.env["report.customer_visit.report_visit_monthly"]._report_data(
            date(2027, 4, 1), date(2027, 4, 30), self.company
        )
        self.assertEqual(data["visit_count"], 1)
        self.assertEqual(data["label"], "2027-04")
        overall = [
            line
            for line in data["lines"]
            if line["indicator"] == "callback_rate" and not line["type_id"]
        ]
        self.assertEqual([line["value"] for line in overall], [100.0])
        self.assertEqual(len(data["trend_chart"]["columns"]), 6)
        self.assertEqual(data["trend_chart"]["columns"][0]["label"], "2026-11")
        callback = data["trend_chart"]["series"][0]
        self.assertNotIn(
            data["trend_chart"]["columns"][0]["x"],
            [point["x"] for point in callback["points"]],
            "no visits in November, no point: a gap, not a zero",
        )
        self.assertEqual(
            [bar["value"] for bar in data["channel_chart"]["bars"]], ["1 (100.0 %)"]
        )
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "customer_visit.visit_monthly_report",
                self.company.ids,
                data={"date_from": "2027-04-01", "date_to": "2027-04-30"},
            )[0]
            .decode()
        )
        self.assertIn("<svg", html)
        self.assertIn("<polyline", html)
        self.assertIn("2027-04-01", html)
        self.assertIn("100.0", html)
        self.assertIn("1 (100.0 %)", html)

    def test_out_of_range_days_and_backward_periods_are_refused(self):
        for day in (0, 29, 31):
            with self.assertRefused(
                ValidationError, "cut-off day is a day from 1 to 28"
            ):
                self.company.visit_report_cutoff_day = day
            with self.assertRefused(
                ValidationError, "report day is a day from 1 to 28"
            ):
                self.company.visit_report_day = day
        with self.assertRefused(
            UserError, "ends on 2027-03-31, before it starts on 2027-04-01"
        ):
            self.company._send_visit_monthly_report(date(2027, 4, 1), date(2027, 3, 31))
        self.assertFalse(self._mails())
