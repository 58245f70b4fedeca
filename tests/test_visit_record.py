import re
from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestVisitRecord(VisitCommon):
    def test_number_follows_year_and_month(self):
        visit = self._create_visit()
        self.assertRegex(visit.name, r"^HF\d{6}\d{4}$")
        self.assertEqual(visit.name[2:8], self.now.strftime("%Y%m"))
        other = self._create_visit()
        self.assertEqual(int(other.name[-4:]), int(visit.name[-4:]) + 1)

    def test_visit_without_plan_gets_its_own_plan(self):
        visit = self._create_visit(sale_order_id=self.order.id)
        self.assertTrue(visit.plan_id)
        self.assertEqual(visit.plan_id.partner_id, self.customer)
        self.assertEqual(visit.plan_id.sale_order_id, self.order)
        self.assertEqual(visit.plan_id.state, "open")
        self.assertEqual(visit.source_name, self.order.display_name)

    def test_channel_defaults_from_type_and_script_is_loaded(self):
        visit = self._create_visit(type_id=self.type_complaint.id)
        self.assertEqual(visit.channel, "phone")
        self.assertEqual(visit.answer_ids.question_id, self.type_complaint.question_ids)
        onsite = self._create_visit(
            type_id=self.env.ref("customer_visit.visit_type_after_sale").id
        )
        self.assertEqual(onsite.channel, "onsite")

    def test_form_fills_phone_and_script(self):
        form = Form(self.env["visit.record"].with_user(self.agent))
        form.partner_id = self.customer
        form.type_id = self.type_repair
        self.assertEqual(form.phone, "+86 138 0013 8000")
        self.assertEqual(len(form.answer_ids), len(self.type_repair.question_ids))
        visit = form.save()
        self.assertEqual(visit.user_id, self.agent)
        self.assertEqual(len(visit.answer_ids), len(self.type_repair.question_ids))

    def test_new_visit_schedules_activity_for_assignee(self):
        visit = self._create_visit(user_id=self.agent.id)
        activity = visit.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.agent)
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("customer_visit.mail_activity_type_visit"),
        )
        visit.user_id = self.agent_2
        self.assertEqual(visit.activity_ids.user_id, self.agent_2)

    def test_reached_visit_closes_as_done_with_attempt_and_activity_done(self):
        visit = self._create_visit(user_id=self.agent.id)
        visit.action_start()
        self.assertEqual(visit.state, "in_progress")
        visit.write(
            {
                "outcome": "reached",
                "satisfaction_product": "satisfied",
                "satisfaction_service": "fairly_satisfied",
            }
        )
        visit.action_done()
        self.assertEqual(visit.state, "done")
        self.assertTrue(visit.date_done)
        self.assertFalse(visit.activity_ids)
        self.assertEqual(visit.attempt_ids.result, "reached")
        self.assertEqual(visit.attempt_ids.user_id, self.env.user)
        self.assertAlmostEqual(visit.satisfaction_score, 3.5)
        self.assertFalse(visit.is_unsatisfied)
        self.assertEqual(visit.plan_id.state, "done")

    def test_unreached_visit_fails_with_reason_and_keeps_attempts(self):
        visit = self._create_visit()
        visit.write(
            {
                "outcome": "not_reached",
                "unreached_reason_id": self.reason("switched_off").id,
            }
        )
        visit.action_done()
        self.assertEqual(visit.state, "failed")
        self.assertEqual(visit.attempt_ids.mapped("result"), ["not_reached"])
        self.assertEqual(visit.attempt_ids.reason_id, self.reason("switched_off"))
        visit.with_user(self.manager).action_reset()
        self.assertEqual(visit.state, "planned")
        visit.write(
            {
                "outcome": "not_reached",
                "unreached_reason_id": self.reason("no_answer").id,
            }
        )
        visit.action_done()
        self.assertEqual(
            sorted(visit.attempt_ids.mapped("reason_id.code")),
            ["no_answer", "switched_off"],
        )

    def test_deadline_before_scheduled_time_is_refused(self):
        visit = self._create_visit()
        with self.assertRefused(ValidationError, "deadline cannot be before"):
            visit.deadline = visit.scheduled_date - timedelta(hours=1)
        # The database refuses it too, whatever path writes the row.
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError) as caught:
            with self.env.cr.savepoint():
                self._create_visit(deadline=self.now - timedelta(days=1))
        self.assertIn("deadline_after_scheduled", str(caught.exception))

    def test_done_visit_needs_an_outcome(self):
        visit = self._create_visit()
        with self.assertRefused(UserError, "Record the outcome"):
            visit.action_done()
        with self.assertRefused(ValidationError, "only when the customer was"):
            visit.state = "done"
        self.assertEqual(visit.state, "planned")

    def test_not_reached_needs_a_reason(self):
        visit = self._create_visit()
        with self.assertRefused(ValidationError, "why the customer was not reached"):
            visit.outcome = "not_reached"

    def test_satisfaction_outside_scale_is_refused(self):
        visit = self._create_visit()
        with self.assertRefused(ValueError, "Wrong value"):
            visit.satisfaction_product = "ecstatic"
        visit.write(
            {
                "outcome": "not_reached",
                "unreached_reason_id": self.reason("no_answer").id,
            }
        )
        with self.assertRefused(ValidationError, "no\\s+satisfaction to record"):
            visit.satisfaction_service = "satisfied"

    def test_rating_answer_outside_one_to_five_is_refused(self):
        visit = self._create_visit(type_id=self.type_complaint.id)
        rating = visit.answer_ids.filtered(lambda a: a.answer_kind == "rating")
        with self.assertRefused(ValidationError, "from 1 to 5"):
            rating.value_rating = 7
        rating.value_rating = 4
        self.assertEqual(rating.value_rating, 4)

    def test_required_script_question_blocks_closing(self):
        visit = self._create_visit(type_id=self.type_complaint.id, outcome="reached")
        with self.assertRefused(UserError, "answer the required questions"):
            visit.action_done()
        visit.answer_ids.filtered(
            lambda a: a.answer_kind == "yes_no"
        ).value_yes_no = "yes"
        visit.action_done()
        self.assertEqual(visit.state, "done")

    def test_do_not_visit_partner_cannot_be_planned(self):
        self.customer.do_not_visit = True
        with self.assertRefused(ValidationError, "asked not to be contacted"):
            self._create_visit()

    def test_flagging_do_not_visit_cancels_open_visits(self):
        mine = self._create_visit(user_id=self.agent.id)
        other = self._create_visit(user_id=self.agent_2.id)
        done = self._create_visit(outcome="reached")
        done.action_done()
        # The agent cannot see Bob's visit, the wish still applies to it.
        self.customer.with_user(self.manager).do_not_visit = True
        self.assertEqual((mine | other).mapped("state"), ["cancelled", "cancelled"])
        self.assertEqual(done.state, "done")
        self.assertFalse((mine | other).activity_ids)

    def test_company_mismatch_between_visit_and_source_is_refused(self):
        order_b = self.env["sale.order"].create(
            {"partner_id": self.customer_b.id, "company_id": self.company_b.id}
        )
        with self.assertRefused(UserError, "[Ii]ncompatible compan"):
            self._create_visit(sale_order_id=order_b.id)
        with self.assertRefused(ValidationError, "source of the same company"):
            self._create_visit(source_ref=f"sale.order,{order_b.id}")

    def test_closed_visits_cannot_be_deleted(self):
        visit = self._create_visit(outcome="reached")
        visit.action_done()
        with self.assertRefused(UserError, "part of the ledger"):
            visit.unlink()
        planned = self._create_visit()
        planned.unlink()
        self.assertFalse(planned.exists())

    def test_closed_visit_cannot_be_closed_again(self):
        visit = self._create_visit(outcome="reached")
        visit.action_done()
        with self.assertRefused(UserError, "already closed"):
            visit.action_done()
        with self.assertRefused(UserError, "already closed"):
            visit.action_cancel()

    def test_overdue_is_computed_and_searchable(self):
        late = self._create_visit(
            scheduled_date=self.now - timedelta(days=3),
            deadline=self.now - timedelta(days=1),
        )
        on_time = self._create_visit()
        self.assertTrue(late.is_overdue)
        self.assertFalse(on_time.is_overdue)
        found = self.env["visit.record"].search([("is_overdue", "=", True)])
        self.assertIn(late, found)
        self.assertNotIn(on_time, found)
        not_late = self.env["visit.record"].search([("is_overdue", "=", False)])
        self.assertIn(on_time, not_late)
        self.assertNotIn(late, not_late)

    def test_source_name_survives_source_deletion(self):
        ticket = self.env["helpdesk.ticket"].create(
            {"name": "Leak", "description": "<p>x</p>", "partner_id": self.customer.id}
        )
        visit = self._create_visit(ticket_id=ticket.id)
        name = ticket.display_name
        self.assertTrue(re.search("Leak", visit.source_name))
        ticket.unlink()
        visit.invalidate_recordset()
        self.assertFalse(visit.ticket_id)
        self.assertEqual(visit.source_name, name)
        self.assertEqual(visit.plan_id.source_name, name)
        with self.assertRefused(UserError, "no longer exists"):
            visit.action_open_source()

    def test_partner_with_visits_cannot_be_deleted(self):
        visit = self._create_visit()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.customer.unlink()
        self.assertTrue(visit.exists())
        self.assertTrue(self.customer.exists())

    def test_script_is_loaded_in_order_with_the_visit_company(self):
        type_b = self.type_repair.copy({"company_id": self.company_b.id})
        visits = self.env["visit.record"].create(
            [
                self._visit_vals(type_id=self.type_complaint.id),
                self._visit_vals(type_id=self.type_plain.id),
                self._visit_vals(
                    partner_id=self.customer_b.id,
                    company_id=self.company_b.id,
                    type_id=type_b.id,
                    user_id=False,
                ),
            ]
        )
        complaint, plain, in_b = visits
        questions = self.type_complaint.question_ids
        self.assertEqual(
            complaint.answer_ids.question_id,
            questions.sorted(lambda q: (q.sequence, q.id)),
        )
        self.assertEqual(
            complaint.answer_ids.mapped("sequence"), questions.mapped("sequence")
        )
        self.assertEqual(complaint.answer_ids.company_id, self.company_a)
        self.assertEqual(complaint.answer_ids.create_uid, self.env.user)
        # A type without a script of its own asks the four aspects.
        self.assertEqual(
            plain.answer_ids.question_id.mapped("aspect"),
            ["product", "service", "timeliness", "result"],
        )
        self.assertEqual(in_b.answer_ids.question_id, type_b.question_ids)
        self.assertEqual(in_b.answer_ids.company_id, self.company_b)
        self.assertFalse(any(complaint.answer_ids.mapped(lambda a: a._has_value())))
        # Answers given with the visit are the visit's, not the script again.
        question = questions[:1]
        given = self._create_visit(
            type_id=self.type_complaint.id,
            answer_ids=[
                Command.create({"question_id": question.id, "value_text": "Yes, fixed"})
            ],
        )
        self.assertEqual(given.answer_ids.question_id, question)
        self.assertEqual(given.answer_ids.value_text, "Yes, fixed")

    def test_stored_summaries_given_at_creation_are_recomputed(self):
        # The create values may carry the stored summaries (generation gives
        # them, to spare an UPDATE): wrong ones do not stick.
        visit = self._create_visit(
            ticket_id=self.ticket.id,
            attempt_count=5,
            is_rated=True,
            satisfaction_score=3.5,
            is_unsatisfied=True,
            is_problem_open=True,
            signature_status="signed",
            source_name="Forged",
            source_model="res.users",
        )
        self.assertEqual(
            visit.read(
                [
                    "attempt_count",
                    "is_rated",
                    "satisfaction_score",
                    "is_unsatisfied",
                    "is_problem_open",
                    "signature_status",
                    "source_name",
                    "source_model",
                ]
            )[0],
            {
                "id": visit.id,
                "attempt_count": 0,
                "is_rated": False,
                "satisfaction_score": 0.0,
                "is_unsatisfied": False,
                "is_problem_open": False,
                "signature_status": "phone_visit",
                "source_name": self.ticket.display_name,
                "source_model": "helpdesk.ticket",
            },
        )
        self.assertEqual(
            visit.plan_id.name, f"王建国 / Plain call / {self.ticket.display_name}"
        )
        self.assertEqual(visit.plan_id.next_date, visit.scheduled_date)
        # Values that are not the defaults are summed up right at creation.
        rated = self._create_visit(
            outcome="reached",
            satisfaction_product="satisfied",
            satisfaction_service="unsatisfied",
            problem_description="Remote control missing",
            channel="onsite",
            type_id=self.env.ref("customer_visit.visit_type_after_sale").id,
        )
        self.assertRecordValues(
            rated,
            [
                {
                    "satisfaction_score": 2.5,
                    "is_rated": True,
                    "is_unsatisfied": True,
                    "is_problem_open": True,
                    "phone": "+86 138 0013 8000",
                    "signature_status": "missing",
                }
            ],
        )
