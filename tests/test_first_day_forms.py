from odoo.tests import Form, HttpCase, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestFirstDayForms(VisitCommon):
    """Log Outcome and the customer's Visits tab, as the agent sees them."""

    def _wizard(self, visit):
        return Form(
            self.env(user=self.agent)["visit.outcome.wizard"].with_context(
                active_model="visit.record", active_id=visit.id
            )
        )

    def test_log_outcome_opens_with_no_outcome_chosen(self):
        visit = self._create_visit(user_id=self.agent.id)
        form = self._wizard(visit)
        self.assertFalse(form.outcome, "the agent says whether it was reached")
        self.assertFalse(form.signature_required)

    def test_an_unanswered_rating_reads_empty_not_zero(self):
        visit = self._create_visit(
            type_id=self.type_complaint.id, user_id=self.agent.id
        )
        form = self._wizard(visit)
        form.outcome = "reached"
        with form.answer_ids.edit(1) as answer:
            self.assertEqual(answer.answer_kind, "rating")
            self.assertFalse(answer.value_rating)
            answer.value_rating = "4"
        with form.answer_ids.edit(0) as answer:
            answer.value_yes_no = "yes"
        form.save().action_confirm()
        self.assertIn(4, visit.answer_ids.mapped("value_rating"))
        # Opened again on a visit whose rating was left empty: still empty.
        other = self._create_visit(
            type_id=self.type_complaint.id, user_id=self.agent.id
        )
        form = self._wizard(other)
        form.outcome = "reached"
        with form.answer_ids.edit(1) as answer:
            self.assertIs(answer.value_rating, False)

    def test_satisfaction_and_opinion_fields_are_tracked(self):
        Visit = self.env["visit.record"]
        for fname in (
            "satisfaction_product",
            "satisfaction_service",
            "satisfaction_timeliness",
            "satisfaction_result",
            "opinion",
        ):
            self.assertTrue(Visit._fields[fname].tracking, fname)

    def test_visits_tab_counts_the_visits_a_sales_rep_cannot_see(self):
        customer = self.customer
        self._create_visit(partner_id=customer.id, user_id=self.agent.id)
        self._create_visit(partner_id=customer.id, user_id=self.agent_2.id)
        self._create_visit(partner_id=customer.id, user_id=self.agent_2.id)
        # Another company's visit is not counted: not the rep's business.
        self._create_visit(
            partner_id=customer.id,
            user_id=self.manager_b.id,
            company_id=self.company_b.id,
        )
        as_rep = customer.with_user(self.agent)
        self.assertEqual(len(as_rep.visit_record_ids), 1)
        self.assertEqual(as_rep.visit_hidden_count, 2)
        as_manager = customer.with_user(self.manager)
        self.assertEqual(as_manager.visit_hidden_count, 0)


@tagged("post_install", "-at_install")
class TestFirstDayChatter(HttpCase, VisitCommon):
    """The agent logs an outcome through the web client's RPC: the visit's
    chatter shows the satisfaction and the opinion given."""

    def test_logged_satisfaction_and_opinion_show_in_the_chatter(self):
        visit = self._create_visit(user_id=self.agent.id)
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
                        "satisfaction_service": "fairly_satisfied",
                        "opinion": "The engineer was late",
                    }
                ],
                "kwargs": {"context": context},
            },
        )
        self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": "visit.outcome.wizard",
                "method": "action_confirm",
                "args": [[wizard_id]],
                "kwargs": {"context": context},
            },
        )
        self.env.invalidate_all()
        tracking = visit.message_ids.tracking_value_ids
        by_field = {value.field_id.name: value for value in tracking}
        self.assertEqual(
            by_field["satisfaction_service"].new_value_char, "Fairly satisfied"
        )
        self.assertEqual(by_field["opinion"].new_value_text, "The engineer was late")
