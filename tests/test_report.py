import base64
import io
import unicodedata

from pypdf import PdfReader

from odoo.exceptions import UserError
from odoo.tests import Form, HttpCase, tagged

from .common import VisitCommon
from .test_signature import png_signature


def pdf_text(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # wkhtmltopdf's PDFs extract spaces as tabs, and some CJK ideographs as
    # their compatibility radicals (⽔ for 水): compare on NFKC, single spaces.
    return " ".join(unicodedata.normalize("NFKC", text).split()), len(reader.pages)


@tagged("post_install", "-at_install")
class TestVisitReports(VisitCommon, HttpCase):
    """An HttpCase: wkhtmltopdf fetches the report's assets from this test
    server, which serves them only in HTTP test mode."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("report.url", cls.base_url())

    def _render(self, report, visits, data=None):
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report, visits.ids, data=data)
        )
        self.assertEqual(kind, "pdf")
        return pdf

    def _signed_visit(self):
        visit = self._create_visit(
            type_id=self.type_complaint.id,
            user_id=self.agent.id,
            sale_order_id=self.order.id,
            outcome="reached",
            opinion="安装师傅很专业",
            satisfaction_result="satisfied",
        )
        visit.answer_ids.filtered(
            lambda a: a.answer_kind == "yes_no"
        ).value_yes_no = "yes"
        visit._sign("王建国", png_signature())
        visit.action_done()
        visit.with_user(self.manager)._review(True, "Well documented")
        return visit

    def test_visit_sheet_pdf_carries_number_customer_signer_and_review(self):
        visit = self._signed_visit()
        text, pages = pdf_text(
            self._render("customer_visit.visit_record_report_sheet", visit)
        )
        self.assertEqual(pages, 1)
        for expected in (
            visit.name,
            "王建国",
            "安装师傅很专业",
            self.order.name,
            self.env.company.name,
            "Well documented",
            "Agent Alice",
        ):
            self.assertIn(expected, text)

    def test_phone_visit_sheet_says_phone_visit(self):
        visit = self._create_visit(outcome="reached")
        visit.action_done()
        text, _pages = pdf_text(
            self._render("customer_visit.visit_record_report_sheet", visit)
        )
        self.assertIn("Phone visit", text)
        self.assertIn(visit.name, text)

    def test_batch_print_puts_every_sheet_in_one_pdf(self):
        visits = self._create_visit() | self._create_visit() | self._signed_visit()
        text, pages = pdf_text(
            self._render("customer_visit.visit_record_report_sheet", visits)
        )
        self.assertEqual(pages, 3)
        for visit in visits:
            self.assertIn(visit.name, text)

    def test_sheet_is_in_the_print_menu(self):
        report = self.env.ref("customer_visit.visit_record_report_sheet")
        self.assertEqual(report.binding_model_id.model, "visit.record")
        self.assertEqual(report.paperformat_id.format, "A4")

    def test_public_letter_is_archived_on_every_visit(self):
        visits = self._create_visit() | self._create_visit(partner_id=self.partner.id)
        wizard = Form(
            self.env["visit.public.letter.wizard"]
            .with_user(self.manager)
            .with_context(default_record_ids=visits.ids)
        )
        wizard.subject = "关于3号楼水压的说明"
        wizard.body = "<p>The pump was replaced on Monday.</p>"
        action = (
            wizard.save().with_context(force_report_rendering=True).action_generate()
        )
        self.assertEqual(action["type"], "ir.actions.act_url")
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "visit.record"), ("res_id", "in", visits.ids)]
        )
        self.assertEqual(sorted(attachments.mapped("res_id")), sorted(visits.ids))
        text, _pages = pdf_text(base64.b64decode(attachments[0].datas))
        self.assertIn("关于3号楼水压的说明", text)
        self.assertIn("pump was replaced", text)
        for visit in visits:
            self.assertIn(visit.name, text)
        self.assertNotIn(self.customer.name, text, "a public letter names no customer")

    def test_public_letter_needs_subject_and_text(self):
        wizard = self.env["visit.public.letter.wizard"].create(
            {
                "record_ids": self._create_visit().ids,
                "subject": " ",
                "body": "<p><br></p>",
            }
        )
        with self.assertRefused(UserError, "subject and a text"):
            wizard.action_generate()
