from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestVisitReview(VisitCommon):
    def _done_complaint_visit(self):
        visit = self._create_visit(
            user_id=self.agent.id, type_id=self.type_complaint.id
        )
        visit.answer_ids.filtered(
            lambda a: a.answer_kind == "yes_no"
        ).value_yes_no = "yes"
        visit.outcome = "reached"
        visit.with_user(self.agent).action_done()
        return visit

    def _review(self, visits, comment, approve):
        wizard = Form(
            self.env["visit.review.wizard"]
            .with_user(self.manager)
            .with_context(default_record_ids=visits.ids)
        )
        wizard.comment = comment
        record = wizard.save()
        return record.action_approve() if approve else record.action_send_back()

    def test_type_without_review_is_not_queued(self):
        visit = self._create_visit(outcome="reached")
        visit.action_done()
        self.assertFalse(visit.review_state)

    def test_manager_approves_with_comment(self):
        visit = self._done_complaint_visit()
        queued = self.env["visit.record"].search([("review_state", "=", "to_review")])
        self.assertIn(visit, queued)
        self._review(visit, "Good call, well documented", approve=True)
        self.assertEqual(visit.review_state, "approved")
        self.assertEqual(visit.reviewer_id, self.manager)
        self.assertTrue(visit.review_date)
        self.assertEqual(visit.review_comment, "Good call, well documented")
        self.assertEqual(visit.state, "done")

    def test_manager_sends_back_and_agent_redoes(self):
        visit = self._done_complaint_visit()
        with self.assertRefused(UserError, "what the agent must redo"):
            self._review(visit, "", approve=False)
        self._review(visit, "Identity was not confirmed", approve=False)
        self.assertEqual(visit.state, "in_progress")
        self.assertEqual(visit.review_state, "sent_back")
        self.assertEqual(visit.activity_ids.user_id, self.agent)
        visit.with_user(self.agent).write({"identity_confirmed": True})
        visit.with_user(self.agent).action_done()
        self.assertEqual(visit.review_state, "to_review")

    def test_agent_cannot_review(self):
        visit = self._done_complaint_visit()
        with self.assertRefused(UserError, "Only visit managers"):
            visit.with_user(self.agent)._review(True, "self-approved")
        with self.assertRaises(AccessError):
            self.env["visit.review.wizard"].with_user(self.agent).create(
                {"record_ids": visit.ids}
            )
        self.assertEqual(visit.review_state, "to_review")

    def test_only_waiting_visits_can_be_reviewed(self):
        visit = self._done_complaint_visit()
        self._review(visit, "ok", approve=True)
        with self.assertRefused(UserError, "waiting for review"):
            self._review(visit, "again", approve=True)
