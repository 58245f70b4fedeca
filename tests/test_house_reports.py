import io
import json
import re
from urllib.parse import quote

import openpyxl

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import date_utils, mute_logger

from .common import VisitCommon

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@tagged("post_install", "-at_install")
class TestHouseReports(VisitCommon, HttpCase):
    """The monthly report and the ledger are reports (Odoo's report model,
    OCA report_xlsx): given the company and the period (or the selected
    visits) only, they build their own figures, for whoever may read them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.report_company = cls.env["res.company"].create({"name": "Ledger Co"})
        cls.manager.write({"company_ids": [(4, cls.report_company.id)]})
        for user in (cls.agent, cls.agent_2):
            user.write({"company_ids": [(4, cls.report_company.id)]})
        cls.unsatisfied = cls._create_visit(
            company_id=cls.report_company.id,
            user_id=cls.agent.id,
            outcome="reached",
            satisfaction_service="unsatisfied",
            opinion="Too slow",
        )
        cls.unsatisfied.action_done()
        cls.planned = cls._create_visit(
            company_id=cls.report_company.id, user_id=cls.agent_2.id
        )
        cls.visits = cls.unsatisfied | cls.planned
        date_from, date_to = date_utils.get_month(cls.report_company._visit_today())
        cls.period = {"date_from": str(date_from), "date_to": str(date_to)}

    def _render_monthly(self, user, data):
        return (
            self.env["ir.actions.report"]
            .with_user(user)
            ._render_qweb_html(
                "customer_visit.visit_monthly_report",
                self.report_company.ids,
                data=data,
            )[0]
            .decode()
        )

    def _cycle_ledger(self, user):
        data, kind = (
            self.env["ir.actions.report"]
            .with_user(user)
            ._render_xlsx(
                "customer_visit.visit_record_report_ledger",
                None,
                data=dict(self.period, company_id=self.report_company.id),
            )
        )
        self.assertEqual(kind, "xlsx")
        return openpyxl.load_workbook(io.BytesIO(data))

    @staticmethod
    def _numbers(book):
        return sorted(
            row[0] for row in book.worksheets[1].iter_rows(min_row=3, values_only=True)
        )

    def test_manager_gets_the_monthly_report_from_the_company_and_the_period(self):
        html = self._render_monthly(self.manager, self.period)
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
        self.assertIn(
            "Period: %s – %s" % (self.period["date_from"], self.period["date_to"]),
            text,
        )
        # 2 visits owed this month, worked out by hand: 1 done, 1 planned.
        self.assertIn(" 2 visits, ", text)
        self.assertIn(self.unsatisfied.name, text)
        self.assertIn("Too slow", text)
        self.assertIn("Ledger Co", text)
        # 1 done of 2 owed.
        self.assertRegex(text, r"Callback rate \(visited / owed\) All types 50\.0 ")
        # The PDF goes through the same values (HTML in tests).
        pdf, _kind = (
            self.env["ir.actions.report"]
            .with_user(self.manager)
            ._render_qweb_pdf(
                "customer_visit.visit_monthly_report",
                self.report_company.ids,
                data=self.period,
            )
        )
        self.assertIn(self.unsatisfied.name, pdf.decode())

    def test_agent_employee_and_other_company_are_refused_the_monthly_report(self):
        for user in (self.agent, self.internal, self.manager_b):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._render_monthly(user, self.period)
        with self.assertRefused(UserError, "Follow-ups ▸ Monthly Reports"):
            self._render_monthly(self.manager, {})

    def test_manager_downloads_the_ledger_of_the_selection_and_of_the_cycle(self):
        self.authenticate("cv_manager", "cv_manager")
        response = self.url_open(
            "/report/xlsx/customer_visit.report_visit_ledger/%s"
            % ",".join(map(str, self.visits.ids))
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], XLSX_MIMETYPE)
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        self.assertEqual(self._numbers(book), sorted(self.visits.mapped("name")))
        self.assertEqual(
            book.worksheets[1]["A1"].value,
            "Visit ledger — period: %s — filter: 2 selected visits"
            % self.unsatisfied.scheduled_date.date(),
        )
        # The list's Export opens the same report.
        action = self.visits.with_user(self.manager).action_export_ledger()
        self.assertEqual(
            (action["type"], action["report_type"], action["report_name"]),
            ("ir.actions.report", "xlsx", "customer_visit.report_visit_ledger"),
        )
        # The ledger mailed with the monthly report: the cycle's visits.
        book = self._cycle_ledger(self.manager)
        self.assertEqual(self._numbers(book), sorted(self.visits.mapped("name")))
        self.assertIn("filter: Ledger Co", book.worksheets[1]["A1"].value)
        summary = {
            row[0]: row[1]
            for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)
        }
        self.assertEqual(summary["Visits"], 2)

    def test_agent_is_refused_the_cycle_ledger_and_gets_only_own_visits(self):
        for user in (self.agent, self.internal, self.manager_b):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._cycle_ledger(user)
        # Over HTTP, as the agent's session: refused, no file.
        self.authenticate("cv_agent", "cv_agent")
        options = quote(
            json.dumps(dict(self.period, company_id=self.report_company.id))
        )
        with mute_logger("odoo.http"):
            response = self.url_open(
                "/report/xlsx/customer_visit.report_visit_ledger?options=%s" % options
            )
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn(b"Too slow", response.content)
        # The selection: the agent's own visits only, as the list shows.
        response = self.url_open(
            "/report/xlsx/customer_visit.report_visit_ledger/%s"
            % ",".join(map(str, self.visits.ids))
        )
        self.assertEqual(response.status_code, 200)
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        self.assertEqual(self._numbers(book), [self.unsatisfied.name])
        # An employee without visit rights gets no ledger at all.
        self.authenticate("cv_internal", "cv_internal")
        with mute_logger("odoo.http"):
            response = self.url_open(
                "/report/xlsx/customer_visit.report_visit_ledger/%s"
                % ",".join(map(str, self.visits.ids))
            )
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn(self.unsatisfied.name.encode(), response.content)
