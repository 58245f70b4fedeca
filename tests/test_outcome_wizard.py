from datetime import timedelta

import pytz

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestOutcomeWizard(VisitCommon):
    def _wizard(self, visit, user=None):
        env = self.env(user=user or self.agent)
        form = Form(
            env["visit.outcome.wizard"].with_context(
                active_model="visit.record", active_id=visit.id
            )
        )
        # Nothing is preselected: the agent says the customer was reached.
        form.outcome = "reached"
        return form

    def _agent_visit(self, **values):
        return self._create_visit(user_id=self.agent.id, **values)

    def test_reached_with_script_and_satisfaction_closes_the_visit(self):
        visit = self._agent_visit(type_id=self.type_complaint.id, recording_ref=False)
        form = self._wizard(visit)
        self.assertEqual(form.phone, "+86 138 0013 8000")
        # The three items of the script, then its four aspects.
        self.assertEqual(len(form.answer_ids), 7)
        with form.answer_ids.edit(0) as answer:
            answer.value_yes_no = "yes"
        with form.answer_ids.edit(1) as answer:
            answer.value_rating = "5"
        form.identity_confirmed = True
        self._rate(form, "satisfaction_service", "satisfied")
        self._rate(form, "satisfaction_result", "fairly_satisfied")
        form.opinion = "谢谢，问题已经解决"
        form.recording_ref = "REC-1"
        form.save().action_confirm()
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.outcome, "reached")
        self.assertTrue(visit.identity_confirmed)
        self.assertEqual(visit.recording_ref, "REC-1")
        self.assertEqual(visit.opinion, "谢谢，问题已经解决")
        self.assertAlmostEqual(visit.satisfaction_score, 3.5)
        self.assertEqual(
            visit.answer_ids.sorted("sequence").mapped("value_yes_no")[:1], ["yes"]
        )
        self.assertIn(5, visit.answer_ids.mapped("value_rating"))
        self.assertFalse(visit.activity_ids, "closing the visit closes its activity")
        self.assertEqual(visit.attempt_ids.result, "reached")
        # The complaint type requires review: the visit waits for a manager.
        self.assertEqual(visit.review_state, "to_review")

    def test_not_reached_fails_with_reason(self):
        visit = self._agent_visit()
        form = self._wizard(visit)
        form.outcome = "not_reached"
        form.unreached_reason_id = self.reason("void_number")
        form.save().action_confirm()
        self.assertEqual(visit.state, "failed")
        self.assertEqual(visit.unreached_reason_id, self.reason("void_number"))
        self.assertEqual(
            (visit.attempt_ids.result, visit.attempt_ids.reason_id),
            ("not_reached", self.reason("void_number")),
        )
        self.assertFalse(visit.review_state)

    def test_rating_on_unreached_visit_is_refused_and_nothing_written(self):
        visit = self._agent_visit()
        form = self._wizard(visit)
        form.outcome = "not_reached"
        form.unreached_reason_id = self.reason("no_answer")
        wizard = form.save()
        # Hidden in the form once "not reached" is chosen; RPC can still send it.
        wizard.satisfaction_product = "unsatisfied"
        with self.assertRefused(UserError, "no satisfaction to record"):
            wizard.action_confirm()
        self.assertEqual(visit.state, "planned")
        self.assertFalse(visit.outcome)
        self.assertFalse(visit.attempt_ids)

    def test_new_complaint_opens_a_linked_ticket(self):
        team = self.env["helpdesk.ticket.team"].create({"name": "After-sales"})
        visit = self._agent_visit()
        form = self._wizard(visit)
        self._rate(form, "satisfaction_service", "unsatisfied")
        form.new_complaint = True
        form.complaint_title = "Installer left a mess"
        form.complaint_description = "Debris in the living room"
        form.complaint_team_id = team
        form.save().action_confirm()
        ticket = visit.complaint_ticket_ids
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.team_id, team)
        self.assertEqual(ticket.origin_visit_id, visit)
        self.assertTrue(visit.is_unsatisfied)

    def test_referral_creates_a_contact_linked_to_the_visit(self):
        visit = self._agent_visit()
        form = self._wizard(visit)
        form.referral_name = "刘洋"
        form.referral_phone = "+86 139 0000 1234"
        form.save().action_confirm()
        referral = visit.referral_partner_ids
        self.assertEqual(referral.name, "刘洋")
        self.assertEqual(referral.phone, "+86 139 0000 1234")
        self.assertEqual(referral.referred_by_visit_id, visit)

    def test_another_round_is_planned_and_answers_the_problem(self):
        onsite = self.env.ref("customer_visit.visit_type_warranty")
        onsite.signature_required = False
        visit = self._agent_visit(type_id=onsite.id, sale_order_id=self.order.id)
        self.assertEqual(visit.channel, "onsite")
        reply = fields.Date.today() + timedelta(days=3)
        while reply.weekday() >= 5:  # the round is placed inside calling hours
            reply += timedelta(days=1)
        form = self._wizard(visit)
        self.assertEqual(form.next_channel, "phone", "round two may be a phone call")
        form.needs_another_round = True
        form.problem_description = "Asks whether the warranty covers the remote"
        form.reply_date = reply
        action = form.save().action_confirm()
        self.assertEqual(visit.state, "done")
        self.assertTrue(visit.is_problem_open)
        second = visit.next_record_ids
        self.assertEqual(action["res_id"], second.id)
        self.assertEqual(second.round, 2)
        self.assertEqual(second.channel, "phone")
        self.assertEqual(second.plan_id, visit.plan_id)
        self.assertEqual(second.sale_order_id, self.order)
        self.assertEqual(second.user_id, self.agent)
        # The agreed day, in the calling hours' zone.
        tz = pytz.timezone(second._visit_calendar().tz or "UTC")
        self.assertEqual(
            pytz.utc.localize(second.scheduled_date).astimezone(tz).date(), reply
        )
        self.assertEqual(visit.plan_id.state, "open")
        # Round two reaches the customer and raises nothing new.
        form = self._wizard(second)
        self._rate(form, "satisfaction_result", "satisfied")
        form.save().action_confirm()
        self.assertTrue(visit.is_problem_solved)
        self.assertEqual(visit.plan_id.state, "done")

    def test_round_two_date_in_the_past_is_refused(self):
        visit = self._agent_visit()
        form = self._wizard(visit)
        form.needs_another_round = True
        form.problem_description = "Refund?"
        form.reply_date = fields.Date.today() - timedelta(days=1)
        wizard = form.save()
        with self.assertRefused(UserError, "in the past"):
            wizard.action_confirm()
        self.assertEqual(visit.state, "planned")
        self.assertFalse(visit.next_record_ids)

    def test_complaint_without_title_or_referral_on_unreached_is_refused(self):
        visit = self._agent_visit()
        form = self._wizard(visit)
        form.outcome = "not_reached"
        form.unreached_reason_id = self.reason("refused")
        wizard = form.save()
        wizard.referral_name = "Someone"
        with self.assertRefused(UserError, "customer who was reached"):
            wizard.action_confirm()
        self.assertEqual(visit.state, "planned")

    def test_rating_is_picked_from_one_to_five(self):
        field = self.env["visit.outcome.wizard.answer"]._fields["value_rating"]
        self.assertEqual(
            [value for value, _label in field.selection], ["1", "2", "3", "4", "5"]
        )

    def test_wizard_refuses_done_and_cancelled_visits(self):
        done = self._agent_visit(outcome="reached")
        done.action_done()
        cancelled = self._agent_visit()
        cancelled.action_cancel()
        for visit in (done, cancelled):
            with self.assertRefused(UserError, "already closed"):
                self._wizard(visit)
            with self.assertRefused(UserError, "already closed"):
                visit.action_open_outcome_wizard()

    def test_a_choice_question_is_answered_from_its_list_of_choices(self):
        repair = self.env.ref("customer_visit.visit_type_repair")
        visit = self._agent_visit(type_id=repair.id)
        form = self._wizard(visit)
        with form.answer_ids.edit(0) as line:
            line.value_yes_no = "yes"
        options = self.env.ref("customer_visit.visit_type_repair_q2").option_ids
        with form.answer_ids.edit(1) as line:
            self.assertEqual(line.answer_kind, "choice")
            # The choices the list offers the agent: the question's.
            offered = (
                self.env["visit.question.option"]
                .with_user(self.agent)
                .search([("question_id", "=", line.question_id.id)])
            )
            self.assertEqual(offered, options)
            self.assertEqual(
                offered.mapped("name"), ["On time", "A little late", "Very late"]
            )
            line.option_id = offered[1]
        form.save().action_confirm()
        answer = visit.answer_ids.filtered(
            lambda a: a.question_id.answer_kind == "choice"
        )
        self.assertEqual(answer.option_id, options[1])
        self.assertFalse(answer.value_text)
        self.assertEqual(answer._display_value(), "A little late")
