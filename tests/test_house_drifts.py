import io
from datetime import date, datetime

import openpyxl
from freezegun import freeze_time

from odoo.tests import Form, tagged

from .common import VisitCommon
from .test_local_time import _all_week
from .test_signature import png_signature


@tagged("post_install", "-at_install")
class TestHouseDrifts(VisitCommon):
    """One decision, one answer: when a step falls due (planned or
    skipped), which channels are signed, which visits a period counts."""

    # ------------------------------------------------------------------
    # When a step is due
    # ------------------------------------------------------------------
    @freeze_time("2026-12-07 02:00:00")
    def test_a_skipped_anniversary_is_due_when_its_visit_would_be(self):
        shanghai = _all_week(self.env, "Shanghai, all week", "Asia/Shanghai")
        opted_out = self.env["res.partner"].create(
            {"name": "Leave me", "phone": "+86 138 0013 8009", "do_not_visit": True}
        )
        ordered = datetime(2000, 1, 20, 2, 0)
        planned, skipped = (
            self.env["sale.order"].create(
                {"partner_id": partner.id, "date_order": ordered}
            )
            for partner in (self.customer, opted_out)
        )
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                [
                    {
                        "anchor": "anniversary",
                        "direction": "before",
                        "delay": 3,
                        "delay_unit": "days",
                    }
                ],
                model_id=self.env["ir.model"]._get_id("sale.order"),
                domain=f"[('id', 'in', {[planned.id, skipped.id]})]",
                date_field_id=self.env["ir.model.fields"]
                ._get("sale.order", "date_order")
                .id,
                calendar_id=shanghai.id,
                start_date=False,
            )
        )
        rule._generate_batch()
        visit = rule.plan_ids.record_ids
        self.assertEqual(rule.plan_ids.rule_source_id, planned.id)
        # 3 days before the 27th anniversary, 20 January 2027.
        self.assertEqual(visit.scheduled_date, datetime(2027, 1, 17, 2, 0))
        skip = rule.skip_ids
        self.assertEqual((skip.res_id, skip.reason), (skipped.id, "do_not_visit"))
        self.assertEqual(skip.due_date, visit.scheduled_date)
        case = self.env["visit.case"].search([("skip_id", "=", skip.id)])
        self.assertEqual(case.date, date(2027, 1, 17))

    # ------------------------------------------------------------------
    # Which channels need a signature
    # ------------------------------------------------------------------
    def test_a_meeting_of_a_signed_type_is_signed_in_log_outcome(self):
        meeting = self.env["visit.type"].create(
            {
                "name": "Signed meeting",
                "default_channel": "meeting",
                "signature_required": True,
            }
        )
        visit = self._create_visit(
            type_id=meeting.id, channel="meeting", user_id=self.agent.id
        )
        self.assertEqual(visit.signature_status, "missing")
        form = Form(
            self.env["visit.outcome.wizard"]
            .with_user(self.agent)
            .with_context(active_model="visit.record", active_id=visit.id)
        )
        form.outcome = "reached"
        self.assertTrue(form.signature_required)
        # Shown (an invisible field cannot be written in a Form) and signed.
        form.signed_by = "王建国"
        form.signature = png_signature()
        form.save().action_confirm()
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.signature_status, "signed")
        self.assertTrue(visit.is_signature_valid)

    def test_a_call_of_a_signed_type_asks_no_signature(self):
        signed = self.env["visit.type"].create(
            {"name": "Signed", "default_channel": "phone", "signature_required": True}
        )
        visit = self._create_visit(
            type_id=signed.id, channel="phone", user_id=self.agent.id
        )
        form = Form(
            self.env["visit.outcome.wizard"]
            .with_user(self.agent)
            .with_context(active_model="visit.record", active_id=visit.id)
        )
        form.outcome = "reached"
        self.assertFalse(form.signature_required)
        with self.assertRaisesRegex(AssertionError, "invisible field"):
            form.signature = png_signature()
        form.save().action_confirm()
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.signature_status, "phone_visit")

    # ------------------------------------------------------------------
    # Which visits belong to a period
    # ------------------------------------------------------------------
    def test_the_report_and_its_ledger_count_the_cases_of_the_month(self):
        company = self.env["res.company"].create({"name": "Drift Co"})
        # Scheduled in November, due in December: December's case.
        moved = self._create_visit(
            company_id=company.id,
            scheduled_date=datetime(2025, 11, 28, 12, 0),
            due_date=datetime(2025, 12, 2, 12, 0),
            deadline=datetime(2025, 12, 5, 12, 0),
            outcome="reached",
        )
        moved.action_done()
        december = self._create_visit(
            company_id=company.id,
            scheduled_date=datetime(2025, 12, 10, 12, 0),
            deadline=datetime(2025, 12, 12, 12, 0),
            outcome="reached",
        )
        december.action_done()
        rule = self.env["visit.rule"].create(self._rule_vals(company_id=company.id))
        self.env["visit.rule.skip"].create(
            {
                "rule_id": rule.id,
                "res_id": 1,
                "reason": "no_partner",
                "type_id": self.type_plain.id,
                "channel": "phone",
                "due_date": datetime(2025, 12, 15, 12, 0),
            }
        )
        period = (date(2025, 12, 1), date(2025, 12, 31))
        cases = self.env["visit.case"].search(
            [
                ("company_id", "=", company.id),
                ("date", ">=", period[0]),
                ("date", "<=", period[1]),
            ]
        )
        self.assertEqual(cases.record_id, moved | december)
        self.assertEqual(len(cases.filtered(lambda case: case.kind == "skipped")), 1)
        # 2 visited of 3 owed, worked out by hand.
        data = self.env["report.customer_visit.report_visit_monthly"]._report_data(
            *period, company
        )
        self.assertEqual(data["visit_count"], 2)
        overall = self.env["report.customer_visit.report_visit_monthly"]._overall(
            data["lines"], "callback_rate"
        )
        self.assertAlmostEqual(overall["value"], 66.67, places=2)
        run = self.env["visit.report.run"]._prepare_cycle(company, *period)
        self.assertEqual(run.visit_count, 2)
        book = openpyxl.load_workbook(
            io.BytesIO(
                run.attachment_ids.filtered(lambda a: a.mimetype.endswith("sheet")).raw
            )
        )
        numbers = {
            row[0] for row in book.worksheets[1].iter_rows(min_row=3, values_only=True)
        }
        self.assertEqual(numbers, {moved.name, december.name})
        summary = {
            row[0]: row[1]
            for row in book.worksheets[0].iter_rows(
                min_row=2, max_row=9, values_only=True
            )
        }
        self.assertEqual(summary["Visits"], 2)
        indicators = {
            (row[0], row[1]): row[2]
            for row in book.worksheets[0].iter_rows(min_row=11, values_only=True)
        }
        self.assertAlmostEqual(
            indicators[("Callback rate (visited / owed)", "All types")], 0.6667
        )
        self.assertIn("2025-12-01 – 2025-12-31", book.worksheets[1]["A1"].value)
