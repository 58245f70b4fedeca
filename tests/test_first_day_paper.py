import io
import os
import re

import openpyxl

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import VisitCommon
from .test_signature import png_signature

SHEET = "customer_visit.visit_record_report_sheet"


@tagged("post_install", "-at_install")
class TestFirstDayPaperSheet(VisitCommon, HttpCase):
    """The visit sheet printed before the visit is a paper form; a batch
    print leaves cancelled visits out.  An HttpCase: wkhtmltopdf fetches the
    report's assets from this test server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("report.url", cls.base_url())
        cls.type_onsite = cls.env["visit.type"].create(
            {
                "name": "Installation check",
                "default_channel": "onsite",
                "signature_required": True,
                "question_ids": [
                    Command.create(
                        {
                            "name": "Which room was installed?",
                            "answer_kind": "choice",
                            "option_ids": [
                                Command.create({"name": name})
                                for name in ("Living room", "Bedroom", "Office")
                            ],
                        }
                    ),
                    Command.create(
                        {"name": "Was the site cleaned?", "answer_kind": "yes_no"}
                    ),
                    Command.create(
                        {"name": "Rate the installer", "answer_kind": "rating"}
                    ),
                    Command.create({"name": "Anything else?", "answer_kind": "text"}),
                ],
            }
        )

    def _onsite_visit(self, **values):
        return self._create_visit(
            type_id=self.type_onsite.id,
            channel="onsite",
            user_id=self.agent.id,
            **values,
        )

    def _html(self, visits, lang="en_US"):
        return (
            self.env["ir.actions.report"]
            .with_context(lang=lang)
            ._render_qweb_html(SHEET, visits.ids)[0]
            .decode()
        )

    def _text(self, html):
        return " ".join(re.sub(r"<[^>]+>", " ", html).split())

    def _shoot(self, visits, name, lang="en_US"):
        """Render the PDF; with CV_SHEET_SHOTS set, keep it to look at."""
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True, lang=lang)
            ._render_qweb_pdf(SHEET, visits.ids)
        )
        self.assertEqual(kind, "pdf")
        folder = os.environ.get("CV_SHEET_SHOTS")
        if folder:
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, f"{name}.pdf"), "wb") as file:
                file.write(pdf)
        return pdf

    def _zh(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["customer_visit"], ["zh_CN"], overwrite=True
        )

    def test_blank_sheet_is_a_form_with_boxes_and_a_signature_box(self):
        visit = self._onsite_visit()
        self.assertEqual(visit.signature_status, "missing")
        html = self._html(visit)
        text = self._text(html)
        self.assertNotIn("Signature missing", text)
        self.assertIn("Signature:", text)
        self.assertIn("Date:", text)
        # The four levels to tick, for each of the four aspects.
        for level in (
            "Satisfied",
            "Fairly satisfied",
            "Basically satisfied",
            "Unsatisfied",
        ):
            self.assertEqual(text.count(f" {level} "), 4, level)
        # The choices listed to tick, yes/no and 1-5 boxes.
        for choice in ("Living room", "Bedroom", "Office", "Yes", "No"):
            self.assertIn(choice, text)
        # Tick boxes: 4 aspects x 4 levels, 3 choices, yes/no, 5 ratings,
        # the outcomes.
        self.assertGreaterEqual(html.count("border: 1px solid #000"), 16 + 3 + 2 + 5)
        self.assertIn("height: 110px", html, "the opinion box has room to write")
        self.assertFalse(re.search(r"\d{2}:\d{2}:\d{2}", text), "times without seconds")
        self._shoot(visit, "blank_en")

    def test_blank_sheet_in_chinese_lists_the_four_faces(self):
        self._zh()
        self.customer.lang = "zh_CN"
        visit = self._onsite_visit()
        text = self._text(self._html(visit, lang="zh_CN"))
        for level in ("满意", "比较满意", "基本满意", "不满意"):
            self.assertIn(level, text)
        self.assertNotIn("签名缺失", text)
        self.assertFalse(re.search(r"\d{2}:\d{2}:\d{2}", text))
        self._shoot(visit, "blank_zh", lang="zh_CN")

    def test_signed_sheet_ticks_the_answered_level_and_shows_the_signer(self):
        visit = self._onsite_visit(
            outcome="reached",
            opinion="安装师傅很专业",
            satisfaction_product="fairly_satisfied",
        )
        visit._sign("王建国", png_signature())
        visit.action_done()
        html = self._html(visit)
        text = self._text(html)
        self.assertIn("王建国", text)
        self.assertNotIn("Signature:", text)
        self.assertEqual(html.count("background: #000"), 1, "one level ticked")
        self.assertFalse(re.search(r"\d{2}:\d{2}:\d{2}", text))
        self._shoot(visit, "signed_en")
        self._zh()
        self.customer.lang = "zh_CN"
        zh = self._text(self._html(visit, lang="zh_CN"))
        self.assertIn("结束时间", zh)
        self.assertNotIn("秒", zh, "the closing time without seconds")
        self._shoot(visit, "signed_zh", lang="zh_CN")

    def test_batch_print_skips_cancelled_visits(self):
        kept = self._onsite_visit()
        cancelled = self._onsite_visit()
        cancelled.action_cancel()
        text = self._text(self._html(kept | cancelled))
        self.assertIn(kept.name, text)
        self.assertNotIn(cancelled.name, text)
        # Printed on its own, a cancelled visit still prints.
        self.assertIn(cancelled.name, self._text(self._html(cancelled)))


@tagged("post_install", "-at_install")
class TestFirstDayPaperLedger(VisitCommon):
    """The ledger reads as a table: title, frozen filtered header, % and
    date formats, rounded figures, the columns a manager asks for."""

    def test_ledger_has_title_filter_frozen_header_formats_and_new_columns(self):
        visit = self._create_visit(
            outcome="reached",
            round=2,
            satisfaction_product="satisfied",
            satisfaction_service="fairly_satisfied",
            satisfaction_timeliness="fairly_satisfied",
            problem_description="Noisy outdoor unit",
        )
        visit._sign("王建国", png_signature())
        visit.action_done()
        self.env["helpdesk.ticket"].create(
            {
                "name": "Noise",
                "description": "Noisy",
                "partner_id": self.customer.id,
                "origin_visit_id": visit.id,
            }
        )
        data = (
            self.env["visit.ledger"]
            .with_context(tz="Asia/Shanghai")
            ._xlsx([("id", "in", visit.ids)])
        )
        book = openpyxl.load_workbook(io.BytesIO(data))
        ledger = book.worksheets[1]
        title = ledger["A1"].value
        self.assertIn("period:", title)
        self.assertIn("1 selected visits", title)
        self.assertEqual(ledger.freeze_panes, "B3")
        self.assertEqual(ledger.auto_filter.ref.split(":")[0], "A2")
        header = [cell.value for cell in ledger[2]]
        for new in ("Deadline", "Round", "Open problem", "Complaint ticket"):
            self.assertIn(new, header)
        self.assertIn("Signed by", header)
        row = {title: cell for title, cell in zip(header, ledger[3], strict=True)}
        self.assertEqual(row["Round"].value, 2)
        self.assertEqual(row["Open problem"].value, "Noisy outdoor unit")
        self.assertTrue(row["Complaint ticket"].value)
        self.assertEqual(row["Signed by"].value, "王建国")
        self.assertEqual(row["Deadline"].number_format, "yyyy-mm-dd hh:mm")
        # (4 + 3 + 3) / 3, rounded to 2 decimals.
        self.assertEqual(row["Satisfaction Score"].value, 3.33)
        self.assertEqual(row["Satisfaction Score"].number_format, "0.00")
        summary = book.worksheets[0]
        self.assertIn("period:", summary["A1"].value)
        labels = {r[0].value: r[1] for r in summary.iter_rows(min_row=2, max_row=9)}
        self.assertEqual(labels["Success rate (reached / attempted)"].value, 1)
        self.assertEqual(
            labels["Success rate (reached / attempted)"].number_format, "0.00%"
        )
        self.assertEqual(labels["Average satisfaction (1-4)"].value, 3.33)
        rates = [
            r
            for r in summary.iter_rows(min_row=11)
            if r[0].value and "rate" in r[0].value and r[2].value is not None
        ]
        self.assertTrue(rates)
        for r in rates:
            self.assertEqual(r[2].number_format, "0.00%", r[0].value)
            self.assertLessEqual(r[2].value, 1, "a rate is a fraction")

    def test_monthly_ledger_title_says_the_period_and_the_company(self):
        visit = self._create_visit()
        start, stop = self.env.company._visit_utc_bounds(
            visit.scheduled_date.date().replace(day=1), visit.scheduled_date.date()
        )
        domain = [
            ("company_id", "=", self.env.company.id),
            ("scheduled_date", ">=", start),
            ("scheduled_date", "<", stop),
        ]
        book = openpyxl.load_workbook(
            io.BytesIO(self.env["visit.ledger"]._xlsx(domain))
        )
        title = book.worksheets[1]["A1"].value
        self.assertIn(self.env.company.name, title)
        self.assertIn(str(visit.scheduled_date.date().replace(day=1))[:7], title)
