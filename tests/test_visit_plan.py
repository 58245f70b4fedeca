from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestVisitPlan(VisitCommon):
    def test_plan_stays_open_until_every_step_is_closed(self):
        first = self._create_visit(outcome="reached")
        plan = first.plan_id
        second = self._create_visit(plan_id=plan.id, round=2)
        first.action_done()
        self.assertEqual(plan.state, "open")
        self.assertEqual(plan.record_count, 2)
        second.write(
            {"outcome": "not_reached", "unreached_reason_id": self.reason("refused").id}
        )
        second.action_done()
        self.assertEqual(plan.state, "done")

    def test_open_problem_keeps_plan_open(self):
        visit = self._create_visit(
            outcome="reached", problem_description="Wants a refund"
        )
        visit.action_done()
        self.assertTrue(visit.is_problem_open)
        self.assertEqual(visit.plan_id.state, "open")
        visit.is_problem_solved = True
        self.assertEqual(visit.plan_id.state, "done")

    def test_cancel_needs_a_reason_and_cancels_open_steps(self):
        visit = self._create_visit(user_id=self.agent.id)
        plan = visit.plan_id

        def cancel(reason):
            wizard = Form(
                self.env["visit.plan.cancel.wizard"].with_context(
                    default_plan_ids=plan.ids
                )
            )
            wizard.reason = reason
            wizard.save().action_confirm()

        with self.assertRefused(UserError, "reason"):
            cancel("  ")
        self.assertEqual(plan.state, "open")
        cancel("Customer moved abroad")
        self.assertEqual(plan.state, "cancelled")
        self.assertEqual(plan.cancel_reason, "Customer moved abroad")
        self.assertEqual(visit.state, "cancelled")
        self.assertFalse(visit.activity_ids)
        with self.assertRefused(UserError, "Only open plans"):
            plan.action_cancel("again")

    def test_add_step_prefills_next_round(self):
        visit = self._create_visit(ticket_id=self.ticket.id)
        action = visit.plan_id.action_add_step()
        form = Form(self.env["visit.record"].with_context(**action["context"]))
        second = form.save()
        self.assertEqual(second.round, 2)
        self.assertEqual(second.plan_id, visit.plan_id)
        self.assertEqual(second.ticket_id, self.ticket)
        self.assertEqual(visit.plan_id.record_count, 2)
