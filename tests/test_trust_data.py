"""Trust, the data: who reads the reports, company isolation of the
configuration, Other Source, the helpdesk link, the job workers and the
erasure of a customer's personal data. Written as the attacker: each
refusal is met as the user who tries, never as superuser."""

import importlib.util
from datetime import date
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import file_path

from odoo.addons.base.models.ir_actions_report import IrActionsReport

from ..models.visit_record import XLSX_MIMETYPE
from .common import VisitCommon
from .test_signature import png_signature


def refusal_of(call):
    """The message of the refusal ``call()`` meets (None if it passes)."""
    try:
        call()
    except (AccessError, UserError, ValidationError) as error:
        return str(error)
    return None


@tagged("post_install", "-at_install")
class TestReportFilesAccess(VisitCommon, HttpCase):
    """The report and the ledger mailed each cycle name customers: only the
    company's visit managers find and download them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager.email = "mia@example.com"
        cls._create_visit(user_id=cls.agent.id, opinion="Too slow")
        # No wkhtmltopdf needed: the PDF's content is not what is checked.
        with patch.object(
            IrActionsReport,
            "_render_qweb_pdf",
            return_value=(b"%PDF-1.4 report of customers", "pdf"),
        ):
            cls.mail = cls.company_a._send_visit_monthly_report(
                date(2026, 3, 1), date(2026, 3, 31)
            )
        cls.files = cls.mail.attachment_ids

    def test_the_files_belong_to_a_report_sent_not_to_the_company(self):
        self.assertEqual(len(self.files), 2)
        run = self.env["visit.report.run"].search(
            [("company_id", "=", self.company_a.id)]
        )
        self.assertEqual(len(run), 1)
        self.assertEqual(set(self.files.mapped("res_model")), {"visit.report.run"})
        self.assertEqual(run.attachment_ids, self.files)
        self.assertEqual(run.name, "Follow-up report 2026-03")
        self.assertEqual(
            (run.date_from, run.date_to), (date(2026, 3, 1), date(2026, 3, 31))
        )

    def test_employee_and_agent_neither_find_nor_download_the_files(self):
        for login, user in (("cv_internal", self.internal), ("cv_agent", self.agent)):
            Attachment = self.env["ir.attachment"].with_user(user)
            self.assertFalse(Attachment.search([("id", "in", self.files.ids)]))
            self.assertFalse(
                Attachment.search(
                    [("mimetype", "=", "application/pdf"), ("name", "ilike", "report")]
                )
                & self.files
            )
            self.assertFalse(
                self.env["visit.report.run"].with_user(user).has_access("read")
            )
            # The mail's message is not theirs either.
            self.assertFalse(
                self.mail.mail_message_id.with_user(user).has_access("read")
            )
            self.authenticate(login, login)
            for attachment in self.files:
                response = self.url_open(f"/web/content/{attachment.id}?download=1")
                self.assertIn(response.status_code, (403, 404), login)
                self.assertNotIn(b"report of customers", response.content)

    def test_manager_downloads_them_the_other_company_does_not(self):
        pdf = self.files.filtered(lambda a: a.mimetype == "application/pdf")
        self.authenticate("cv_manager", "cv_manager")
        response = self.url_open(f"/web/content/{pdf.id}?download=1")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"%PDF-1.4 report of customers")
        self.assertFalse(
            self.env["ir.attachment"]
            .with_user(self.manager_b)
            .search([("id", "in", self.files.ids)])
        )
        self.authenticate("cv_manager_b", "cv_manager_b")
        response = self.url_open(f"/web/content/{pdf.id}?download=1")
        self.assertIn(response.status_code, (403, 404))


@tagged("post_install", "-at_install")
class TestReportFilesMigration(VisitCommon):
    def test_old_report_files_leave_the_company(self):
        path = file_path(
            "customer_visit/migrations/18.0.1.5.0/post-20-report-attachments.py"
        )
        spec = importlib.util.spec_from_file_location("cv_post_20", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        Attachment = self.env["ir.attachment"]

        def on_company(name, mimetype="application/pdf"):
            return Attachment.create(
                {
                    "name": name,
                    "raw": b"customers",
                    "mimetype": mimetype,
                    "res_model": "res.company",
                    "res_id": self.company_a.id,
                }
            )

        pdf = on_company("Follow-up report 2026-03.pdf")
        ledger = on_company("Visit ledger 2026-03.xlsx", XLSX_MIMETYPE)
        cutoff = on_company("Follow-up report 2026-02-23_2026-03-22.pdf")
        unreadable = on_company("Follow-up report someday.pdf")
        other = on_company("Company brochure.pdf")
        migration.migrate(self.env.cr, "18.0.1.4.0")
        runs = self.env["visit.report.run"].search(
            [("company_id", "=", self.company_a.id)]
        )
        march = runs.filtered(lambda run: run.date_from == date(2026, 3, 1))
        self.assertEqual(march.attachment_ids, pdf | ledger)
        self.assertEqual(march.date_to, date(2026, 3, 31))
        cycle = runs - march
        self.assertEqual(cycle.attachment_ids, cutoff)
        self.assertEqual(
            (cycle.date_from, cycle.date_to), (date(2026, 2, 23), date(2026, 3, 22))
        )
        self.assertFalse(unreadable.exists())
        self.assertEqual(other.res_model, "res.company")


@tagged("post_install", "-at_install")
class TestCompanyIsolation(VisitCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = new_test_user(
            cls.env, login="cv_portal_trust", groups="base.group_portal"
        )
        cls.type_b = cls.env["visit.type"].create(
            {
                "name": "B's script",
                "company_id": cls.company_b.id,
                "question_ids": [
                    Command.create(
                        {"name": "B's secret question", "answer_kind": "text"}
                    )
                ],
                "complaint_team_ids": [
                    Command.create(
                        {
                            "opinion_category": "service",
                            "team_id": cls.env["helpdesk.ticket.team"]
                            .create({"name": "B team", "company_id": cls.company_b.id})
                            .id,
                        }
                    )
                ],
                "fallback_ids": [Command.create({"channel": "letter"})],
            }
        )
        cls.rule_b = (
            cls.env["visit.rule"]
            .with_company(cls.company_b)
            .create(
                cls._rule_vals(
                    company_id=cls.company_b.id,
                    user_id=cls.manager_b.id,
                    coverage="sample",
                    sample_percent=100,
                    stratum_field_id=cls.env["ir.model.fields"]
                    ._get("helpdesk.ticket", "priority")
                    .id,
                    stratum_ids=[Command.create({"value": "High", "percent": 50})],
                    fallback_ids=[Command.create({"channel": "letter"})],
                )
            )
        )

    def test_agent_of_company_a_reads_nothing_of_company_b(self):
        for model in (
            "visit.type.question",
            "visit.type.team",
            "visit.fallback.step",
            "visit.rule.stratum",
        ):
            records = self.env[model].with_user(self.agent)
            self.assertFalse(
                records.search([("id", "in", self._b_records(model).ids)]), model
            )
            with self.assertRaises(AccessError, msg=model):
                records.browse(self._b_records(model).ids).read(["id"])

    def _b_records(self, model):
        return {
            "visit.type.question": self.type_b.question_ids,
            "visit.type.team": self.type_b.complaint_team_ids,
            "visit.fallback.step": self.type_b.fallback_ids | self.rule_b.fallback_ids,
            "visit.rule.stratum": self.rule_b.stratum_ids,
        }[model]

    def test_company_b_reads_its_own(self):
        Question = self.env["visit.type.question"].with_user(self.manager_b)
        self.assertEqual(
            Question.search([("type_id", "=", self.type_b.id)]),
            self.type_b.question_ids,
        )

    def test_portal_user_reads_no_script_question(self):
        Question = self.env["visit.type.question"].with_user(self.portal)
        with self.assertRaises(AccessError):
            Question.search([])
        with self.assertRaises(AccessError):
            Question.browse(self.type_b.question_ids.ids).read(["name"])

    def test_agent_reads_no_stratum_value_nor_percentage(self):
        rule_a = self.env["visit.rule"].create(
            self._rule_vals(
                coverage="sample",
                sample_percent=100,
                stratum_field_id=self.env["ir.model.fields"]
                ._get("helpdesk.ticket", "priority")
                .id,
                stratum_ids=[Command.create({"value": "High", "percent": 50})],
            )
        )
        strata = self.env["visit.rule.stratum"].with_user(self.agent)
        self.assertEqual(
            strata.search([("rule_id", "=", rule_a.id)]), rule_a.stratum_ids
        )
        with self.assertRaises(AccessError):
            strata.browse(rule_a.stratum_ids.ids).read(["value", "percent"])
        self.assertEqual(
            rule_a.stratum_ids.with_user(self.manager).read(["percent"])[0]["percent"],
            50,
        )

    def test_forms_still_load_for_agents_without_the_manager_fields(self):
        rule_form = (
            self.env["visit.rule"].with_user(self.agent).get_views([(False, "form")])
        )
        strata = rule_form["models"].get("visit.rule.stratum", {})
        self.assertNotIn("percent", strata)
        self.assertNotIn("value", strata)
        # The partner form of an agent: no erase button; a manager's has it.
        for user, shown in ((self.agent, False), (self.manager, True)):
            arch = (
                self.env["res.partner"]
                .with_user(user)
                .get_views([(False, "form")])["views"]["form"]["arch"]
            )
            self.assertEqual("Erase personal data" in arch, shown)
        Form(self.customer.with_user(self.agent))
        runs = self.env["visit.report.run"].with_user(self.manager)
        runs.get_views([(False, "list"), (False, "form")])


@tagged("post_install", "-at_install")
class TestOtherSource(VisitCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.secret_mail = cls.env["mail.mail"].create(
            {"subject": "Salary review of the CEO", "body_html": "<p>x</p>"}
        )
        cls.secret_param = cls.env["ir.config_parameter"].create(
            {"key": "secret.api.key.name", "value": "42"}
        )

    def _refused(self, source, secret):
        """The agent sets ``source`` as Other Source: refused at creation
        and at a write, with no ``secret`` in the message."""
        Visit = self.env["visit.record"].with_user(self.agent)
        ref = f"{source._name},{source.id}"
        visit = self._create_visit(user_id=self.agent.id).with_user(self.agent)
        for attempt in (
            lambda: Visit.create(
                self._visit_vals(user_id=self.agent.id, source_ref=ref)
            ),
            lambda: visit.write({"source_ref": ref}),
        ):
            with self.env.cr.savepoint():
                message = refusal_of(attempt)
            self.assertTrue(message, "refused")
            self.assertNotIn(secret, message)
        visit.invalidate_recordset()
        self.assertFalse(visit.sudo().source_ref)
        self.assertNotEqual(visit.sudo().source_name, secret)

    def test_a_mail_is_never_a_source(self):
        self._refused(self.secret_mail, "Salary review")

    def test_a_system_parameter_is_never_a_source(self):
        self._refused(self.secret_param, "secret.api.key")

    def test_another_company_s_contact_is_refused_by_name(self):
        self._refused(self.customer_b, "Customer of B")

    def test_technical_models_are_not_offered(self):
        models_ = dict(
            self.env["visit.record"]
            ._fields["source_ref"]
            ._description_selection(self.env)
        )
        self.assertIn("res.partner", models_)
        for technical in ("mail.mail", "ir.config_parameter", "res.users"):
            self.assertNotIn(technical, models_)

    def test_a_readable_contact_is_a_source_and_its_next_round_keeps_it(self):
        contact = self.env["res.partner"].create({"name": "Dealer Zhang"})
        visit = (
            self.env["visit.record"]
            .with_user(self.agent)
            .create(
                self._visit_vals(
                    user_id=self.agent.id, source_ref=f"res.partner,{contact.id}"
                )
            )
        )
        self.assertEqual(visit.source_name, "Dealer Zhang")
        self.assertEqual(visit.source_ref, contact)

    def test_company_mismatch_names_no_foreign_record(self):
        order_b = self.env["sale.order"].create(
            {"partner_id": self.customer_b.id, "company_id": self.company_b.id}
        )
        with self.assertRaises(ValidationError) as refusal, self.env.cr.savepoint():
            self._create_visit(source_ref=f"sale.order,{order_b.id}")
        self.assertNotIn(order_b.name, str(refusal.exception))
        self.assertNotIn("Company B", str(refusal.exception))


@tagged("post_install", "-at_install")
class TestHelpdeskLink(VisitCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.helpdesk_user = new_test_user(
            cls.env,
            login="cv_helpdesk",
            name="Helpdesk Hank",
            groups="helpdesk_mgmt.group_helpdesk_user",
        )
        cls.helpdesk_agent = new_test_user(
            cls.env,
            login="cv_helpdesk_agent",
            groups="helpdesk_mgmt.group_helpdesk_user,customer_visit.group_visit_user",
        )
        cls.stranger = cls.env["res.partner"].create({"name": "Someone else"})
        cls.visit = cls._create_visit(outcome="reached", user_id=False)
        cls.closed = cls.env["helpdesk.ticket.stage"].search(
            [("closed", "=", True)], limit=1
        )

    def _ticket_values(self, partner, **values):
        return dict(
            {
                "name": "Complaint",
                "description": "<p>x</p>",
                "partner_id": partner.id,
                "origin_visit_id": self.visit.id,
                "visit_confirmation_required": True,
            },
            **values,
        )

    def test_helpdesk_user_cannot_link_a_ticket_to_someone_else_s_visit(self):
        Ticket = self.env["helpdesk.ticket"].with_user(self.helpdesk_user)
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            Ticket.create(self._ticket_values(self.customer))
        ticket = Ticket.create(
            {"name": "Mine", "description": "<p>x</p>", "partner_id": self.customer.id}
        )
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            ticket.write({"origin_visit_id": self.visit.id})
        self.assertFalse(self.visit.next_record_ids)

    def test_a_visit_of_another_customer_is_refused_even_when_readable(self):
        Ticket = self.env["helpdesk.ticket"].with_user(self.helpdesk_agent)
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            Ticket.create(self._ticket_values(self.stranger))

    def test_an_inconsistent_link_plans_no_confirmation(self):
        # Linked by the addon, then the ticket was given to someone else.
        ticket = self.env["helpdesk.ticket"].create(self._ticket_values(self.customer))
        ticket.partner_id = self.stranger
        ticket.with_user(self.helpdesk_user).write({"stage_id": self.closed.id})
        self.assertFalse(self.visit.next_record_ids)

    def test_a_consistent_ticket_closed_by_the_helpdesk_plans_the_confirmation(self):
        contact = self.env["res.partner"].create(
            {"name": "Son", "parent_id": self.customer.id}
        )
        ticket = self.env["helpdesk.ticket"].create(self._ticket_values(contact))
        ticket.with_user(self.helpdesk_user).write({"stage_id": self.closed.id})
        self.assertTrue(self.visit.next_record_ids.filtered("is_confirmation"))


@tagged("post_install", "-at_install")
class TestJobWorkers(VisitCommon):
    def test_job_workers_are_bounded(self):
        for workers in (0, 17, 1000):
            with (
                self.assertRaisesRegex(ValidationError, "job workers|at least one"),
                self.env.cr.savepoint(),
            ):
                self.env["res.config.settings"].create(
                    {"visit_generate_workers": workers}
                )
        self.env["res.config.settings"].create({"visit_generate_workers": 16})


@tagged("post_install", "-at_install")
class TestErasure(VisitCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contact = cls.env["res.partner"].create(
            {"name": "王小明", "parent_id": cls.customer.id}
        )
        cls.type_script = cls.env["visit.type"].create(
            {
                "name": "Scripted call",
                "default_channel": "phone",
                "question_ids": [
                    Command.create({"name": "Anything else?", "answer_kind": "text"}),
                    Command.create({"name": "Installed?", "answer_kind": "yes_no"}),
                ],
            }
        )
        cls.visit = cls._create_visit(
            type_id=cls.type_script.id,
            contact_id=cls.contact.id,
            user_id=cls.agent.id,
            outcome="reached",
            satisfaction_service="unsatisfied",
            opinion="My neighbour 李四 at 138 0000 0000 was rude",
            problem_description="Leaking at 5 Huaihai Road",
            recording_ref="rec-0042",
            notes="<p>Lives alone</p>",
        )
        cls.visit.answer_ids.filtered(
            lambda a: a.answer_kind == "text"
        ).value_text = "Call my wife 王芳"
        cls.visit.answer_ids.filtered(
            lambda a: a.answer_kind == "yes_no"
        ).value_yes_no = "yes"
        cls.env["visit.attempt"].create(
            {
                "record_id": cls.visit.id,
                "result": "reached",
                "note": "Asked for 王芳",
            }
        )
        cls.visit.message_post(body="Customer said: 138 0000 0000")
        cls.visit._portal_ensure_token()
        cls.visit.action_done()
        cls.signed = cls._create_visit(
            type_id=cls.env.ref("customer_visit.visit_type_after_sale").id,
            user_id=cls.agent.id,
        )
        cls.signed.write({"outcome": "reached", "opinion": "Installed by 张三"})
        cls.signed._sign("王建国", png_signature())
        cls.other = cls._create_visit(
            partner_id=cls.env["res.partner"].create({"name": "Other"}).id,
            opinion="Keep me",
        )

    def _counts(self):
        return self.env["visit.case"]._read_group(
            [("partner_id", "=", self.customer.id)],
            ["state", "is_unsatisfied", "is_rated"],
            ["__count", "reached_count:sum", "visited_count:sum"],
        )

    def _erase(self, user, include_signed=False):
        wizard = Form(
            self.env["visit.erase.wizard"]
            .with_user(user)
            .with_context(active_model="res.partner", active_id=self.customer.id)
        )
        wizard.include_signed = include_signed
        return wizard.save().action_erase()

    def test_manager_erases_a_customer_and_the_counts_stay(self):
        counts = self._counts()
        before = self.visit.satisfaction_service, self.visit.state
        self._erase(self.manager)
        visit = self.visit
        visit.invalidate_recordset()
        for fname in (
            "opinion",
            "problem_description",
            "recording_ref",
            "notes",
            "phone",
            "access_token",
        ):
            self.assertFalse(visit[fname], fname)
        text = visit.answer_ids.filtered(lambda a: a.answer_kind == "text")
        yes_no = visit.answer_ids.filtered(lambda a: a.answer_kind == "yes_no")
        self.assertFalse(text.value_text)
        self.assertEqual(yes_no.value_yes_no, "yes")
        self.assertEqual(set(visit.attempt_ids.mapped("note")), {False})
        self.assertEqual(set(visit.attempt_ids.mapped("result")), {"reached"})
        self.assertFalse(
            self.env["mail.message"].search_count(
                [
                    ("model", "=", "visit.record"),
                    ("res_id", "=", visit.id),
                    ("body", "ilike", "138 0000"),
                ]
            )
        )
        self.assertEqual((visit.satisfaction_service, visit.state), before)
        self.assertEqual(self._counts(), counts)
        # The signed sheet is the legal record: kept, its link revoked.
        self.assertEqual(self.signed.opinion, "Installed by 张三")
        self.assertEqual(self.signed.signed_by, "王建国")
        self.assertTrue(self.signed.is_signature_valid)
        self.assertFalse(self.signed.access_token)
        self.assertEqual(self.other.opinion, "Keep me")
        # Logged where managers read it: who, and how much.
        log = self.customer.message_ids[:1]
        self.assertEqual(log.author_id, self.manager.partner_id)
        self.assertIn("Manager Mia", log.body)
        self.assertIn("0 signed sheets erased, 1 kept", log.body)

    def test_signed_sheets_go_only_when_asked(self):
        self._erase(self.manager, include_signed=True)
        self.signed.invalidate_recordset()
        self.assertFalse(self.signed.opinion)
        self.assertFalse(self.signed.signed_by)
        self.assertFalse(self.signed.signature)
        self.assertTrue(self.signed.signature_hash, "the proof of signing stays")
        self.assertEqual(self.signed.outcome, "reached")

    def test_agent_and_employee_cannot_erase(self):
        for user in (self.agent, self.internal):
            with self.assertRaises(AccessError):
                self.env["visit.erase.wizard"].with_user(user).create(
                    {"partner_id": self.customer.id}
                )
            with self.assertRaises(AccessError):
                self.customer.with_user(user)._visit_erase_personal_data()
        self.assertTrue(self.visit.opinion)

    def test_company_b_manager_erases_nothing_of_company_a(self):
        self.customer.with_user(self.manager_b)._visit_erase_personal_data()
        self.assertTrue(self.visit.opinion)
