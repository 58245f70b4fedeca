import io
from datetime import timedelta
from unittest.mock import patch

import openpyxl

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestVisitLedger(VisitCommon):
    def _read(self, visits, lang=None):
        """The ledger the list's Export gives: its xlsx report's file."""
        visits = visits.with_context(lang=lang, tz="Asia/Shanghai")
        action = visits.action_export_ledger()
        self.assertEqual(action["report_type"], "xlsx")
        data, _kind = (
            self.env["ir.actions.report"]
            .with_context(lang=lang, tz="Asia/Shanghai")
            ._render_xlsx(action["report_name"], visits.ids, data=action["data"])
        )
        return openpyxl.load_workbook(io.BytesIO(data))

    def test_ledger_rows_and_summary(self):
        done = self._create_visit(
            sale_order_id=self.order.id,
            outcome="reached",
            opinion="好",
            satisfaction_product="satisfied",
            satisfaction_service="fairly_satisfied",
        )
        done.action_done()
        failed = self._create_visit(
            outcome="not_reached", unreached_reason_id=self.reason("no_answer").id
        )
        failed.action_done()
        planned = self._create_visit(ticket_id=self.ticket.id)
        book = self._read(done | failed | planned)
        ledger = book.worksheets[1]
        rows = {row[0]: row for row in ledger.iter_rows(min_row=3, values_only=True)}
        self.assertEqual(set(rows), {done.name, failed.name, planned.name})
        header = [cell.value for cell in ledger[2]]
        row = dict(zip(header, rows[done.name], strict=True))
        self.assertEqual(row["Customer"], self.customer.name)
        self.assertEqual(row["Source"], self.order.name)
        self.assertEqual(row["Products"], "Air conditioner")
        self.assertEqual(row["Quantity"], 2)
        self.assertAlmostEqual(row["Amount"], self.order.amount_total)
        self.assertEqual(row["Product quality"], "Satisfied")
        self.assertEqual(row["Satisfaction Score"], 3.5)
        self.assertEqual(row["Opinion"], "好")
        # Times are the user's (Asia/Shanghai is UTC+8 all year).
        self.assertEqual(row["Scheduled"], done.scheduled_date + timedelta(hours=8))
        self.assertEqual(
            dict(zip(header, rows[failed.name], strict=True))["Reason not reached"],
            "No answer",
        )
        summary = {
            r[0]: r[1]
            for r in book.worksheets[0].iter_rows(
                min_row=2, max_row=9, values_only=True
            )
        }
        self.assertEqual(summary["Visits"], 3)
        self.assertEqual(summary["Done"], 1)
        self.assertEqual(summary["Failed"], 1)
        # 1 reached of 2 attempted, worked out by hand: a fraction shown as %.
        self.assertEqual(summary["Success rate (reached / attempted)"], 0.5)
        self.assertEqual(book.worksheets[0]["B7"].number_format, "0.00%")
        self.assertEqual(summary["Average satisfaction (1-4)"], 3.5)
        indicators = {
            (r[0], r[1]): r[2]
            for r in book.worksheets[0].iter_rows(min_row=11, values_only=True)
        }
        # 1 done of 3 owed, 1 reached of 2 attempted, worked out by hand.
        # Rates as fractions, as the summary's success rate above.
        self.assertAlmostEqual(
            indicators[("Callback rate (visited / owed)", "All types")], 0.3333
        )
        self.assertEqual(
            indicators[("Success rate (reached / attempted)", "All types")], 0.5
        )

    def test_formula_like_names_stay_text(self):
        evil = self.env["res.partner"].create(
            {"name": '=HYPERLINK("http://x.example","click")'}
        )
        visit = self._create_visit(partner_id=evil.id, opinion="=1+1")
        ledger = self._read(visit).worksheets[1]
        keys = [column.key for column in self.env["visit.ledger"]._columns()]
        for key, value in (("partner", evil.name), ("opinion", "=1+1")):
            cell = ledger.cell(3, keys.index(key) + 1)
            self.assertEqual(cell.value, value)
            self.assertEqual(cell.data_type, "s")

    def test_chinese_headers_for_chinese_users(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["customer_visit"], ["zh_CN"], overwrite=True
        )
        book = self._read(self._create_visit(), lang="zh_CN")
        self.assertEqual(book.sheetnames, ["汇总", "回访台帐"])
        self.assertEqual(book.worksheets[1]["A2"].value, "编号")
        self.assertEqual(book.worksheets[1]["B2"].value, "客户")

    def test_empty_selection_is_refused(self):
        with self.assertRefused(UserError, "Select the visits"):
            self.env["visit.record"].action_export_ledger()
        data = self.env["visit.ledger"]._xlsx([("id", "=", 0)])
        summary = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
        self.assertEqual(summary["A2"].value, "No visit matches this selection.")

    def test_agents_export_the_ledger_of_their_own_visits(self):
        """visit.case is for managers; an agent's export still has its
        summary, of the agent's own visits only."""
        own = self._create_visit(user_id=self.agent.id, outcome="reached")
        own.action_done()
        other = self._create_visit(user_id=self.agent_2.id, outcome="reached")
        other.action_done()
        data = (
            self.env["visit.ledger"]
            .with_user(self.agent)
            ._xlsx([("id", "in", (own | other).ids)])
        )
        book = openpyxl.load_workbook(io.BytesIO(data))
        names = [
            row[0] for row in book.worksheets[1].iter_rows(min_row=3, values_only=True)
        ]
        self.assertEqual(names, [own.name])
        indicators = {
            (r[0], r[1]): r[2]
            for r in book.worksheets[0].iter_rows(min_row=11, values_only=True)
        }
        self.assertEqual(
            indicators[("Callback rate (visited / owed)", "All types")], 1.0
        )

    def test_one_column_specification_and_no_download_left_behind(self):
        visit = self._create_visit(
            outcome="reached", satisfaction_result="fairly_satisfied"
        )
        visit.action_done()
        columns = self.env["visit.ledger"]._columns()
        book = self._read(visit)
        ledger = book.worksheets[1]
        self.assertEqual(
            [cell.value for cell in ledger[2]], [column.title for column in columns]
        )
        row = dict(
            zip(
                [column.key for column in columns],
                next(ledger.iter_rows(min_row=3, values_only=True)),
                strict=True,
            )
        )
        self.assertEqual(
            (row["state"], row["satisfaction_result"]), ("Done", "Fairly satisfied")
        )
        keys = [column.key for column in columns]
        self.assertEqual(
            ledger.cell(3, keys.index("scheduled_date") + 1).number_format,
            "yyyy-mm-dd hh:mm",
            "scheduled: a datetime",
        )
        Attachment = self.env["ir.attachment"]
        self.assertFalse(
            Attachment.search([("res_model", "=", "visit.ledger")]),
            "the report streams the file: nothing is kept",
        )
        # A ledger downloaded as an attachment before the report existed.
        downloads = Attachment.create(
            {"name": "Visit ledger.xlsx", "raw": b"PK", "res_model": "visit.ledger"}
        )
        self.env["visit.ledger"]._gc_downloads()
        self.assertTrue(downloads.exists(), "kept while it may still be downloaded")
        with patch.object(
            fields.Datetime,
            "now",
            return_value=fields.Datetime.now() + timedelta(hours=2),
        ):
            self.env["visit.ledger"]._gc_downloads()
        self.assertFalse(downloads.exists(), "removed by the autovacuum")
