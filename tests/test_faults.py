"""Faults: a serialization failure while an outcome is logged, wkhtmltopdf
missing. The Generate cron killed at every point of a batch is in
test_rule_generate.py."""

from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.base.models.ir_actions_report import IrActionsReport
from odoo.addons.customer_visit.wizards.visit_outcome_wizard import VisitOutcomeWizard

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestReportWithoutWkhtmltopdf(VisitCommon):
    def _print_sheet(self):
        visit = self._create_visit(user_id=self.agent.id)
        return (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("customer_visit.visit_record_report_sheet", visit.ids)
        )

    def test_wkhtmltopdf_not_installed_gives_a_clear_message(self):
        with (
            patch.object(
                IrActionsReport, "get_wkhtmltopdf_state", return_value="install"
            ),
            self.assertRaisesRegex(UserError, "Unable to find Wkhtmltopdf"),
        ):
            self._print_sheet()


@tagged("post_install", "-at_install")
class TestOutcomeRetried(HttpCase, VisitCommon):
    """A serialization failure (two agents saving at once) makes Odoo's
    request layer roll back and replay the request: the outcome and its
    answers are stored once, nothing lost, nothing twice."""

    def test_serialization_failure_while_logging_an_outcome_is_retried(self):
        visit_type = self.env["visit.type"].create(
            {
                "name": "Scripted call",
                "question_ids": [
                    (0, 0, {"name": "Working well?", "answer_kind": "yes_no"}),
                    (0, 0, {"name": "Rate us", "answer_kind": "rating"}),
                ],
            }
        )
        visit = self._create_visit(user_id=self.agent.id, type_id=visit_type.id)
        original = VisitOutcomeWizard.action_confirm
        calls = []

        def conflicting(self_):
            calls.append(1)
            result = original(self_)
            if len(calls) == 1:
                # A real one, from PostgreSQL, as a concurrent update gives.
                self_.env.cr.execute(
                    "DO $$ BEGIN RAISE EXCEPTION 'concurrent update' "
                    "USING ERRCODE = 'serialization_failure'; END $$"
                )
            return result

        self.authenticate("cv_agent", "cv_agent")
        context = {"active_model": "visit.record", "active_id": visit.id}
        wizard_id = self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": "visit.outcome.wizard",
                "method": "create",
                "args": [
                    {
                        "outcome": "reached",
                        "opinion": "Works, thanks",
                        "satisfaction_service": "satisfied",
                    }
                ],
                "kwargs": {"context": context},
            },
        )
        answers = self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": "visit.outcome.wizard",
                "method": "read",
                "args": [[wizard_id], ["answer_ids"]],
                "kwargs": {"context": context},
            },
        )[0]["answer_ids"]
        # The two items of the script and its four aspects.
        self.assertEqual(len(answers), 6)
        for answer in self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": "visit.outcome.wizard.answer",
                "method": "read",
                "args": [answers, ["answer_kind"]],
                "kwargs": {},
            },
        ):
            if answer["answer_kind"] == "scale4":
                continue  # the aspects: the service is rated on creation
            value = (
                {"value_yes_no": "yes"}
                if answer["answer_kind"] == "yes_no"
                else {"value_rating": "4"}
            )
            self.make_jsonrpc_request(
                "/web/dataset/call_kw",
                {
                    "model": "visit.outcome.wizard.answer",
                    "method": "write",
                    "args": [[answer["id"]], value],
                    "kwargs": {},
                },
            )
        with (
            patch.object(VisitOutcomeWizard, "action_confirm", conflicting),
            mute_logger("odoo.sql_db"),
        ):
            self.make_jsonrpc_request(
                "/web/dataset/call_kw",
                {
                    "model": "visit.outcome.wizard",
                    "method": "action_confirm",
                    "args": [[wizard_id]],
                    "kwargs": {"context": context},
                },
            )
        self.assertEqual(len(calls), 2, "the request was replayed once")
        visit.invalidate_recordset()
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.opinion, "Works, thanks")
        self.assertEqual(visit.attempt_count, 1, "one attempt, not two")
        self.assertEqual(
            sorted(
                (a.answer_kind, a.value_yes_no or a.value_rating)
                for a in visit.answer_ids
                if not a.question_id.aspect
            ),
            [("rating", 4), ("yes_no", "yes")],
        )
        self.assertEqual(visit.satisfaction_service, "satisfied")
