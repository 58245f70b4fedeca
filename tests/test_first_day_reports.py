from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestFirstDayReports(VisitCommon):
    """Follow-ups ▸ Monthly Reports: every cycle's report, prepared,
    previewed, printed and re-sent by the company's visit managers only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager.email = "mia@example.com"
        cls._create_visit(user_id=cls.agent.id, opinion="Too slow")
        cls.Run = cls.env["visit.report.run"]

    def _mail_count(self):
        return self.env["mail.mail"].search_count(
            [("subject", "ilike", "follow-up report")]
        )

    def _prepare(self, user=None):
        action = self.Run.with_user(user or self.manager).action_prepare_cycle()
        return self.Run.browse(action["res_id"])

    def test_manager_prepares_the_next_cycle_without_sending_it(self):
        company = self.company_a
        cycle = company._visit_report_next_cycle(company._visit_today())
        mails = self._mail_count()
        run = self._prepare()
        self.assertEqual((run.date_from, run.date_to), (cycle.date_from, cycle.date_to))
        self.assertEqual(run.company_id, company)
        self.assertEqual(run.state, "prepared")
        self.assertFalse(run.sent_date)
        self.assertEqual(len(run.attachment_ids), 2)
        self.assertEqual(self._mail_count(), mails)
        self.assertFalse(company.visit_report_last_end)
        # Prepared again: the same run, its files made anew.
        self.assertEqual(self._prepare(), run)
        self.assertEqual(len(run.attachment_ids), 2)
        # The report job sends the cycle through the same run.
        company._send_visit_monthly_report(run.date_from, run.date_to)
        self.assertEqual(self.Run.search_count([("company_id", "=", company.id)]), 1)
        self.assertEqual(run.state, "sent")
        self.assertTrue(run.sent_date)

    def test_preview_and_print_give_the_pdf_of_the_run_period(self):
        run = self._prepare()
        preview = run.with_user(self.manager).action_preview()
        self.assertEqual(preview["type"], "ir.actions.act_url")
        self.assertTrue(
            preview["url"].startswith(
                "/report/pdf/customer_visit.report_visit_monthly/%s?"
                % self.company_a.id
            )
        )
        self.assertIn("run_id", preview["url"])
        printed = run.with_user(self.manager).action_print()
        self.assertEqual(printed["type"], "ir.actions.report")
        self.assertEqual(printed["report_name"], "customer_visit.report_visit_monthly")
        self.assertEqual(printed["data"], {"run_id": run.id})
        # What the browser gets: the report of the run's period (HTML in
        # tests, PDF with wkhtmltopdf).
        html, _kind = (
            self.env["ir.actions.report"]
            .with_user(self.manager)
            ._render_qweb_pdf(
                "customer_visit.visit_monthly_report",
                self.company_a.ids,
                data=printed["data"],
            )
        )
        self.assertIn(run.date_from.isoformat(), html.decode())
        self.assertIn(run.date_to.isoformat(), html.decode())

    def test_resend_mails_the_managers_once_and_logs_it_on_the_run(self):
        run = self._prepare()
        for label in ("Sent", "Sent again"):
            mails = self._mail_count()
            run.with_user(self.manager).action_resend()
            self.assertEqual(self._mail_count(), mails + 1)
            mail = self.env["mail.mail"].search(
                [("subject", "ilike", "follow-up report")], order="id desc", limit=1
            )
            self.assertIn("mia@example.com", mail.email_to)
            self.assertEqual(mail.attachment_ids, run.attachment_ids)
            self.assertEqual(run.state, "sent")
            self.assertIn(
                "%s to" % label, run.message_ids[:1].body, run.message_ids[:1].body
            )
            self.assertIn("Manager Mia", run.message_ids[:1].body)

    def test_agent_employee_and_other_company_are_refused_each_action(self):
        run = self._prepare()
        mails = self._mail_count()
        for user in (self.agent, self.internal, self.manager_b):
            with self.subTest(user=user.login):
                if user != self.manager_b:
                    with self.assertRaises(AccessError):
                        self.Run.with_user(user).action_prepare_cycle()
                for action in ("action_preview", "action_print", "action_resend"):
                    with self.assertRaises(AccessError):
                        getattr(run.with_user(user), action)()
                with self.assertRaises(AccessError):
                    self.env["ir.actions.report"].with_user(user)._render_qweb_pdf(
                        "customer_visit.visit_monthly_report",
                        self.company_a.ids,
                        data={"run_id": run.id},
                    )
        self.assertEqual(self._mail_count(), mails)
        self.assertEqual(run.state, "prepared")

    def test_settings_read_and_write_the_company_report_cycle(self):
        admin = new_test_user(
            self.env,
            login="cv_settings_admin",
            name="Settings Admin",
            groups="base.group_system,customer_visit.group_visit_manager",
        )
        self.company_a.write(
            {
                "visit_report_cycle": "month",
                "visit_report_day": 5,
                "visit_report_cutoff_day": 25,
            }
        )
        form = Form(self.env["res.config.settings"].with_user(admin))
        self.assertEqual(form.visit_report_cycle, "month")
        self.assertEqual(form.visit_report_day, 5)
        self.assertTrue(form.visit_report_next.startswith("Next report: "))
        form.visit_report_cycle = "cutoff"
        form.visit_report_cutoff_day = 22
        form.save().execute()
        self.assertEqual(self.company_a.visit_report_cycle, "cutoff")
        self.assertEqual(self.company_a.visit_report_cutoff_day, 22)
        self.assertEqual(
            self.env["res.config.settings"]
            .with_user(admin)
            .create({})
            .visit_report_cutoff_day,
            22,
        )
        # The managers without settings rights do not reach them.
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(self.manager).create({})


@tagged("post_install", "-at_install")
class TestFirstDayReportsPreview(VisitCommon, HttpCase):
    """Preview opens the report in the browser: the manager's session gets
    it, an agent's does not."""

    def test_preview_url_serves_the_report_to_the_manager_only(self):
        self.manager.email = "mia@example.com"
        Run = self.env["visit.report.run"]
        run = Run.browse(Run.with_user(self.manager).action_prepare_cycle()["res_id"])
        url = run.with_user(self.manager).action_preview()["url"]
        self.authenticate("cv_manager", "cv_manager")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        # HTML in tests (no wkhtmltopdf run), the PDF otherwise.
        self.assertIn(run.date_from.isoformat(), response.text)
        self.authenticate("cv_agent", "cv_agent")
        response = self.url_open(url)
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn(run.date_from.isoformat(), response.text)
