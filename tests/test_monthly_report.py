import io
from unittest.mock import patch

import openpyxl

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from odoo.addons.base.models.ir_actions_report import IrActionsReport

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestMonthlyReport(VisitCommon, HttpCase):
    """An HttpCase: wkhtmltopdf fetches the PDF's assets from this server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("report.url", cls.base_url())
        cls.manager.email = "mia@example.com"
        cls.company = cls.env["res.company"].create({"name": "Report Co", "email": "co@example.com"})
        cls.manager.write({"company_ids": [(4, cls.company.id)]})
        cls.env["res.users"].browse(cls.agent.id).write({"company_ids": [(4, cls.company.id)]})
        visit = cls._create_visit(
            company_id=cls.company.id, user_id=cls.agent.id, outcome="reached",
            satisfaction_service="unsatisfied", opinion="Too slow", opinion_category="service",
        )
        visit.action_done()

    def _mails(self):
        return self.env["mail.mail"].search([("subject", "ilike", "Report Co: follow-up report")])

    def test_cron_queues_the_report_and_the_ledger_once_a_month(self):
        today = fields.Date.context_today(self.env["res.company"])
        if today.day > 28:
            # No company can have a report day of 29-31: nothing is sent.
            self.env["res.company"]._cron_send_visit_monthly_report()
            self.assertFalse(self._mails())
            return
        self.company.visit_report_day = today.day
        self.env["res.company"]._cron_send_visit_monthly_report()
        mail = self._mails()
        self.assertEqual(len(mail), 1)
        self.assertIn("mia@example.com", mail.email_to)
        self.assertEqual(
            sorted(mail.attachment_ids.mapped("mimetype")),
            ["application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
        )
        ledger = openpyxl.load_workbook(io.BytesIO(mail.attachment_ids.filtered(
            lambda a: a.mimetype.endswith("sheet")).raw))
        numbers = [row[0] for row in ledger.worksheets[1].iter_rows(min_row=2, values_only=True)]
        self.assertEqual(len(numbers), 1)
        self.assertEqual(self.company.visit_report_last_month, today.strftime("%Y-%m"))
        self.env["res.company"]._cron_send_visit_monthly_report()
        self.assertEqual(len(self._mails()), 1, "a month is sent once")

    def test_without_wkhtmltopdf_the_ledger_is_still_sent_with_the_reason(self):
        today = fields.Date.context_today(self.env["res.company"])
        with patch.object(IrActionsReport, "get_wkhtmltopdf_state", return_value="install"):
            mail = self.company.with_context(force_report_rendering=True)._send_visit_monthly_report(
                today.replace(day=1), today
            )
        self.assertEqual(mail.attachment_ids.mapped("mimetype"),
                         ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"])
        self.assertIn("The PDF report could not be made", mail.body_html)
        self.assertIn("Wkhtmltopdf", mail.body_html)
        self.assertIn("<p>The follow-up report", mail.body_html, "the HTML is not escaped")

    def test_report_data_lists_unsatisfied_customers_and_classified_opinions(self):
        today = fields.Date.context_today(self.env["res.company"])
        data = self.env["visit.indicator"]._monthly_report_data(today.replace(day=1), today, self.company)
        self.assertEqual(data["visit_count"], 1)
        self.assertEqual(data["classified"], [("Service quality", 1)])
        self.assertEqual([item["customer"] for item in data["unsatisfied"]], [self.customer.name])
        # What was done: the dissatisfaction ticket opened by the visit.
        ticket = self.env["helpdesk.ticket"].search([("partner_id", "=", self.customer.id),
                                                     ("visit_confirmation_required", "=", True)])
        self.assertEqual(len(ticket), 1)
        self.assertIn(ticket.display_name, data["unsatisfied"][0]["done"])

    def test_report_day_outside_1_to_28_is_refused(self):
        for day in (0, 29, 31):
            with self.assertRefused(ValidationError, "from 1 to 28"):
                self.company.visit_report_day = day
