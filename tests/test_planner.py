from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import VisitCommon

# Saturday 26 September 2026, 03:00 in Shanghai: outside calling hours.
SATURDAY_NIGHT = fields.Datetime.to_datetime("2026-09-25 19:00:00")
# Tuesday 29 September 2026, 08:30 in Shanghai (Monday is a holiday).
TUESDAY_MORNING = fields.Datetime.to_datetime("2026-09-29 00:30:00")


def at(moment):
    return patch.object(fields.Datetime, "now", return_value=moment)


@tagged("post_install", "-at_install")
class TestPlanner(VisitCommon):
    """One planner for every entry point; the visit type's policies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls._calling_calendar()
        cls.policy_type = cls.env["visit.type"].create(
            {
                "name": "Policy callback",
                "default_channel": "phone",
                "calendar_id": cls.calendar.id,
                "max_attempts": 2,
                "retry_delay_hours": 3,
                "fallback_ids": [
                    Command.create({"sequence": 1, "channel": "onsite"}),
                    Command.create({"sequence": 2, "channel": "letter"}),
                ],
                "complaint_team_id": cls.env.ref(
                    "customer_visit.helpdesk_ticket_team_customer_care"
                ).id,
            }
        )
        cls.caller = cls.agent_2

    def _policy_of(self, visit):
        return (
            visit.type_id,
            visit.channel,
            visit.max_attempts,
            visit.retry_delay_hours,
            visit.fallback_channels,
            visit.user_id,
        )

    def _done(self, visit, **values):
        visit.write(
            dict({"outcome": "reached", "satisfaction_result": "satisfied"}, **values)
        )
        visit.action_done()

    def _not_reached(self, visit, reason, **values):
        visit.write(
            dict(
                {
                    "outcome": "not_reached",
                    "unreached_reason_id": self.reason(reason).id,
                },
                **values,
            )
        )
        visit.action_done()

    # ------------------------------------------------------------------
    # One planner
    # ------------------------------------------------------------------
    def test_every_entry_point_plans_the_same_visit(self):
        expected = (self.policy_type, "phone", 2, 3, "onsite,letter", self.caller)
        ticket = self._closed_ticket(SATURDAY_NIGHT - timedelta(hours=1))
        with at(SATURDAY_NIGHT):
            # A rule.
            rule = self.env["visit.rule"].create(
                self._rule_vals(
                    [
                        {
                            "delay": 1,
                            "delay_unit": "hours",
                            "type_id": self.policy_type.id,
                        }
                    ],
                    domain=f"[('id', '=', {ticket.id})]",
                    user_id=self.caller.id,
                )
            )
            rule._generate_batch()
            by_rule = rule.plan_ids.record_ids
            # A batch.
            wizard = Form(
                self.env["visit.batch.wizard"].with_context(
                    active_model="helpdesk.ticket", active_ids=ticket.ids
                )
            )
            wizard.type_id = self.policy_type
            wizard.assignment = "user"
            wizard.user_id = self.caller
            wizard.scheduled_date = SATURDAY_NIGHT
            wizard.skip_open_visits = False
            action = wizard.save().action_confirm()
            by_batch = self.env["visit.record"].browse(action["domain"][0][2])
            # A next round, from the outcome wizard (agreed for Saturday).
            self._done(by_batch)
            outcome = self.env["visit.outcome.wizard"].create(
                {
                    "record_id": by_rule.id,
                    "outcome": "reached",
                    "needs_another_round": True,
                    "next_channel": "phone",
                    "problem_description": "Wants the invoice again",
                    "reply_date": fields.Date.to_date("2026-09-26"),
                }
            )
            by_round = outcome._create_next_round()
            # A confirmation visit, once the ticket it opened is closed.
            tickets = (
                self.env["helpdesk.ticket"]
                .sudo()
                .create([by_batch._ticket_values("Wants a call", "Call me")])
            )
            tickets.write(
                {
                    "stage_id": self.env["helpdesk.ticket.stage"]
                    .search([("closed", "=", True)], limit=1)
                    .id
                }
            )
            by_confirmation = by_batch.next_record_ids
            # Add a Round, from the plan.
            context = by_rule.plan_id.action_add_step()["context"]
        for label, visit in (
            ("rule", by_rule),
            ("batch", by_batch),
            ("round", by_round),
            ("confirmation", by_confirmation),
        ):
            with self.subTest(label):
                self.assertEqual(len(visit), 1)
                self.assertEqual(self._policy_of(visit), expected)
                self.assertEqual(
                    visit.scheduled_date, TUESDAY_MORNING, "placed inside calling hours"
                )
        self.assertEqual(by_round.round, 2)
        self.assertTrue(by_confirmation.is_confirmation)
        self.assertEqual(
            (
                context["default_type_id"],
                context["default_max_attempts"],
                context["default_retry_delay_hours"],
                context["default_fallback_channels"],
                context["default_scheduled_date"],
            ),
            (
                self.policy_type.id,
                2,
                3,
                "onsite,letter",
                fields.Datetime.to_string(TUESDAY_MORNING),
            ),
        )
        # A visit created by hand takes its type's policy too.
        manual = self._create_visit(type_id=self.policy_type.id, user_id=self.caller.id)
        self.assertEqual(self._policy_of(manual)[:5], expected[:5])

    def test_a_rule_may_override_its_types_policy(self):
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                [{"delay": 1, "delay_unit": "hours", "type_id": self.policy_type.id}],
                domain=f"[('id', '=', {self.ticket.id})]",
                override_unreached_policy=True,
                max_attempts=5,
                retry_delay_hours=1,
                fallback_ids=[Command.create({"channel": "letter"})],
            )
        )
        policy = self.env["visit.planner"]._policy(self.policy_type, rule)
        self.assertEqual(
            policy,
            {"max_attempts": 5, "retry_delay_hours": 1, "fallback_channels": "letter"},
        )
        rule.override_unreached_policy = False
        self.assertEqual(
            self.env["visit.planner"]._policy(self.policy_type, rule)[
                "fallback_channels"
            ],
            "onsite,letter",
        )

    def test_batch_and_rules_draw_the_same_sample(self):
        Planner = self.env["visit.planner"]
        ids = list(range(1, 101))
        drawn = Planner._draw(42, "helpdesk.ticket", ids, 10)
        self.assertEqual(len(drawn), 10)
        self.assertEqual(
            drawn,
            Planner._draw(42, "helpdesk.ticket", list(reversed(ids)), 10),
            "the order of arrival does not matter",
        )
        self.assertNotEqual(drawn, Planner._draw(43, "helpdesk.ticket", ids, 10))
        wizard = self.env["visit.batch.wizard"].create(
            {
                "source_model": "helpdesk.ticket",
                "type_id": self.type_plain.id,
                "sample_percent": 10,
                "sample_seed": 42,
            }
        )
        tickets = self.env["helpdesk.ticket"].create(
            [
                {"name": f"T{i}", "description": "x", "partner_id": self.customer.id}
                for i in range(30)
            ]
        )
        self.assertEqual(
            wizard._draw_sample(tickets).ids,
            Planner._draw(42, "helpdesk.ticket", tickets.ids, 3),
        )

    def test_source_models_come_from_the_document_mixin(self):
        links = self.env["visit.planner"]._source_link_fields()
        self.assertEqual(
            links,
            {
                "helpdesk.ticket": "ticket_id",
                "res.partner": "partner_id",
                "sale.order": "sale_order_id",
            },
        )
        selection = dict(self.env["visit.batch.wizard"]._selection_source_model())
        self.assertEqual(set(selection), set(links))
        Planner = self.env["visit.planner"]
        self.assertEqual(Planner._links("sale.order", 7), {"sale_order_id": 7})
        self.assertEqual(Planner._links("res.partner", 7), {})
        self.assertEqual(Planner._links("crm.team", 7), {"source_ref": "crm.team,7"})

    def test_do_not_visit_of_the_company_covers_its_contacts_everywhere(self):
        company = self.env["res.partner"].create(
            {"name": "杭州某公司", "is_company": True}
        )
        contact = self.env["res.partner"].create(
            {"name": "李四", "parent_id": company.id}
        )
        visit = self._create_visit(partner_id=contact.id)
        company.do_not_visit = True
        self.assertEqual(
            self.env["visit.planner"]._skip_reason(contact), "do_not_visit"
        )
        self.assertEqual(visit.state, "cancelled")
        with self.assertRefused(ValidationError, "asked not to be contacted"):
            self._create_visit(partner_id=contact.id)

    # ------------------------------------------------------------------
    # Unreached reasons and the fallback chain
    # ------------------------------------------------------------------
    def test_each_reason_does_what_it_says(self):
        def visit():
            return self._create_visit(
                type_id=self.policy_type.id, user_id=self.caller.id
            )

        ended = visit()
        self._not_reached(ended, "deceased")
        self.assertEqual(
            (ended.state, ended.retry_date), ("failed", False), "ends at once"
        )
        retried = visit()
        with at(self.now):
            self._not_reached(retried, "no_answer")
        self.assertEqual(
            (retried.state, retried.retry_date),
            ("in_progress", self.now + timedelta(hours=3)),
        )
        wrong = visit()
        with at(self.now):
            self._not_reached(wrong, "wrong_person")
        self.assertEqual(
            (wrong.state, wrong.retry_date),
            ("in_progress", self.now + timedelta(hours=3)),
            "not the right person: not reached, retried after the delay",
        )
        no_number = visit()
        with at(self.now):
            self._not_reached(no_number, "no_number")
            self.assertEqual(no_number.retry_date, self.now, "falls back at once")
            self.env["visit.record"]._cron_retry()
        self.assertEqual((no_number.state, no_number.channel), ("planned", "onsite"))
        one_attempt = self.env["visit.type"].create({"name": "Once", "max_attempts": 1})
        busy = self._create_visit(type_id=one_attempt.id, user_id=self.caller.id)
        with self.assertRefused(UserError, "say when the customer asked"):
            self._not_reached(busy, "busy_callback")
        callback = self.now + timedelta(days=1, hours=2)
        for _call in range(2):
            self._not_reached(busy, "busy_callback", callback_date=callback)
            self.assertEqual(
                (busy.state, busy.scheduled_date, busy.outcome),
                ("planned", callback, False),
            )
        self.assertEqual(len(busy.attempt_ids), 2)
        self.assertEqual(
            busy._next_try(), "retry", "two callbacks used up none of its one attempt"
        )

    def test_the_fallback_chain_end_to_end_through_the_retry_job(self):
        visit = self._create_visit(
            type_id=self.policy_type.id, user_id=self.caller.id, deadline=False
        )
        moment = self.now
        for reason in ("no_answer", "no_answer", "no_answer", "switched_off"):
            self._not_reached(visit, reason)
            moment += timedelta(hours=4)
            with at(moment):
                self.env["visit.record"]._cron_retry()
        self.assertEqual(
            visit.attempt_ids.sorted("id").mapped("channel"),
            ["phone", "phone", "onsite", "letter"],
        )
        self.assertEqual(visit.state, "failed", "nothing left after the letter")
        self.assertTrue(
            any(
                "by Letter" in (body or "") for body in visit.message_ids.mapped("body")
            )
        )

    def test_retry_job_runs_in_batches_with_progress(self):
        visits = self.env["visit.record"].create(
            [
                self._visit_vals(type_id=self.policy_type.id, user_id=self.caller.id)
                for _i in range(3)
            ]
        )
        for visit in visits:
            self._not_reached(visit, "no_number")
        progress = self.env["ir.cron.progress"].create(
            {
                "cron_id": self.env.ref("customer_visit.ir_cron_visit_retry").id,
                "remaining": 0,
                "done": 0,
            }
        )
        Visit = self.env["visit.record"].with_context(ir_cron_progress_id=progress.id)
        with at(fields.Datetime.now() + timedelta(minutes=1)):
            Visit._cron_retry(batch_size=2)
            self.assertEqual((progress.done, progress.remaining), (2, 1))
            Visit._cron_retry(batch_size=2)
            self.assertEqual((progress.done, progress.remaining), (1, 0))
        self.assertEqual(set(visits.mapped("channel")), {"onsite"})

    def test_a_reason_is_configuration(self):
        Reason = self.env["visit.unreached.reason"]
        reason = Reason.create(
            {"name": "On holiday", "code": "holiday", "behaviour": "retry"}
        )
        visit = self._create_visit()
        self._not_reached(visit, "holiday")
        self.assertEqual(visit.attempt_ids.reason_id, reason)
        with self.assertRaisesRegex(ValidationError, "cannot change"):
            reason.code = "vacation"
        with (
            self.assertRaisesRegex(ValidationError, "needs a behaviour"),
            self.env.cr.savepoint(),
        ):
            Reason.create({"name": "Whatever", "code": "whatever"})

    # ------------------------------------------------------------------
    # Compliance
    # ------------------------------------------------------------------
    def test_compliance_requirements_refused_then_met(self):
        contract = self.env.ref("customer_visit.visit_type_new_contract")
        spouse = self.env["res.partner"].create(
            {"name": "王太太", "parent_id": self.customer.id}
        )
        visit = self._create_visit(type_id=contract.id, user_id=self.caller.id)
        yes = [
            Command.update(answer.id, {"value_yes_no": "yes"})
            for answer in visit.answer_ids
        ]
        visit.write(
            {
                "answer_ids": yes,
                "outcome": "reached",
                "satisfaction_result": "satisfied",
            }
        )
        steps = [
            ("identity", {}, {"identity_confirmed": True}),
            ("recording", {}, {"recording_ref": "REC-2026-0001"}),
            (
                "only 王建国 may answer",
                {"answered_by_id": spouse.id},
                {"answered_by_id": self.customer.id},
            ),
            (
                "reason in the opinion",
                {"satisfaction_service": "basically_satisfied"},
                {"opinion": "The agent spoke too fast"},
            ),
        ]
        for message, refused, met in steps:
            visit.write(refused)
            with self.subTest(message), self.assertRefused(UserError, message):
                visit.action_done()
            visit.write(met)
        visit.action_done()
        self.assertEqual(visit.state, "done")
        self.assertFalse(visit.complaint_ticket_ids, "no problem answered")

    def test_a_problem_answer_opens_a_problem_and_a_ticket(self):
        contract = self.env.ref("customer_visit.visit_type_new_contract")
        visit = self._create_visit(type_id=contract.id, user_id=self.caller.id)
        cooling_off = self.env.ref("customer_visit.visit_type_new_contract_q2")
        visit.write(
            {
                "answer_ids": [
                    Command.update(
                        answer.id,
                        {
                            "value_yes_no": "no"
                            if answer.question_id == cooling_off
                            else "yes"
                        },
                    )
                    for answer in visit.answer_ids
                ],
                "outcome": "reached",
                "satisfaction_result": "satisfied",
                "identity_confirmed": True,
                "recording_ref": "REC-1",
            }
        )
        visit.action_done()
        self.assertTrue(visit.is_problem_open)
        self.assertIn("cooling-off", visit.problem_description)
        ticket = visit.sudo().complaint_ticket_ids
        self.assertEqual(
            ticket.team_id,
            self.env.ref("customer_visit.helpdesk_ticket_team_customer_care"),
        )
        self.assertTrue(ticket.visit_confirmation_required)
        self.assertEqual(visit.complaint_ticket_count, 1)
        self.assertTrue(
            any(
                ticket.name in (body or "") for body in visit.message_ids.mapped("body")
            ),
            "the agent sees the ticket at once",
        )

    def test_long_script_and_impossible_problem_answer(self):
        visit_type = self.env["visit.type"].create(
            {
                "name": "Long",
                "question_ids": [Command.create({"name": f"Q{i}"}) for i in range(6)],
            }
        )
        # Six questions and the four aspects the type starts with.
        self.assertEqual(visit_type.question_count, 10)
        with self.assertRefused(ValidationError, "give it at least one choice"):
            visit_type.question_ids[0].write({"answer_kind": "choice"})
        with self.assertRefused(ValidationError, "can never be answered"):
            visit_type.question_ids[0].write(
                {"answer_kind": "rating", "problem_yes_no": "no"}
            )

    # ------------------------------------------------------------------
    # Independence and qualification
    # ------------------------------------------------------------------
    def test_never_the_salesperson_on_reassignment_and_in_every_batch(self):
        independent = self.env["visit.type"].create(
            {"name": "Compliance", "exclude_salesperson": True}
        )
        visit = self._create_visit(
            type_id=independent.id, sale_order_id=self.order.id, user_id=self.caller.id
        )
        self.assertTrue(visit.is_independent)
        with self.assertRefused(ValidationError, "salesperson of its source"):
            visit.user_id = self.agent  # the order's salesperson
        wizard = (
            self.env["visit.batch.wizard"]
            .with_context(active_model="sale.order", active_ids=self.order.ids)
            .create(
                {
                    "type_id": independent.id,
                    "assignment": "owner",
                    "skip_open_visits": False,
                }
            )
        )
        planned, skipped = wizard._plan()
        self.assertFalse(planned)
        self.assertEqual(skipped["no_assignee"], self.order)

    def test_only_qualified_users_are_assigned_and_close(self):
        nurses = self.env["res.groups"].create({"name": "Nurses"})
        nurse = new_test_user(
            self.env,
            login="cv_nurse",
            name="Nurse Na",
            groups="customer_visit.group_visit_user",
        )
        nurse.groups_id |= nurses
        discharge = self.env["visit.type"].create(
            {"name": "Discharge call", "qualified_group_id": nurses.id}
        )
        with self.assertRefused(ValidationError, "only members of"):
            self._create_visit(type_id=discharge.id, user_id=self.caller.id)
        visit = self._create_visit(type_id=discharge.id, user_id=nurse.id)
        visit.outcome = "reached"
        with self.assertRefused(UserError, "Only members of"):
            visit.with_user(self.caller).action_done()
        visit.with_user(nurse).action_done()
        self.assertEqual(visit.state, "done")

    # ------------------------------------------------------------------
    # Complaint loop
    # ------------------------------------------------------------------
    def test_ticket_gets_the_reply_deadline_in_working_days(self):
        self.policy_type.reply_days = 2
        visit = self._create_visit(type_id=self.policy_type.id, user_id=self.caller.id)
        visit.write({"outcome": "reached", "satisfaction_service": "unsatisfied"})
        # Friday 25 September 2026, 10:00 in Shanghai: two working days on
        # (Monday is a holiday) is Wednesday, at the end of calling hours.
        with at(fields.Datetime.to_datetime("2026-09-25 02:00:00")):
            visit.action_done()
        ticket = visit.sudo().complaint_ticket_ids
        self.assertEqual(
            ticket.visit_reply_deadline,
            fields.Datetime.to_datetime("2026-09-30 08:00:00"),
        )
        # The agent reads the deadline in the visit's zone, labelled (the
        # closing user's zone may be another, or none: a job, the portal).
        self.assertIn(
            "to answer by 2026-09-30 16:00 (Asia/Shanghai)", visit.message_ids[0].body
        )

    def test_complaint_of_a_satisfied_customer_is_confirmed_once_closed(self):
        visit = self._create_visit(type_id=self.policy_type.id, user_id=self.caller.id)
        form = Form(
            self.env["visit.outcome.wizard"].with_context(default_record_id=visit.id)
        )
        form.outcome = "reached"
        self._rate(form, "satisfaction_result", "satisfied")
        form.new_complaint = True
        form.complaint_title = "The invoice has the wrong address"
        form.opinion_category = "service"
        service_team = self.env["helpdesk.ticket.team"].create({"name": "Service desk"})
        self.policy_type.complaint_team_ids = [
            Command.create({"opinion_category": "service", "team_id": service_team.id})
        ]
        form.save().action_confirm()
        ticket = visit.sudo().complaint_ticket_ids
        self.assertEqual(
            ticket.team_id, service_team, "the team of the opinion's subject"
        )
        self.assertTrue(ticket.visit_confirmation_required)
        ticket.stage_id = self.env["helpdesk.ticket.stage"].search(
            [("closed", "=", True)], limit=1
        )
        confirmation = visit.next_record_ids
        self.assertTrue(confirmation.is_confirmation)
        self.assertEqual(confirmation.ticket_id, ticket)

    # ------------------------------------------------------------------
    # Contact interval
    # ------------------------------------------------------------------
    def test_contact_interval_never_passes_a_deadline_nor_absorbs_a_complaint(self):
        self.env.company.visit_min_interval_days = 10
        Planner = self.env["visit.planner"]
        past = self._create_visit(deadline=False, outcome="reached")
        past.action_done()
        plan = self.env["visit.plan"].create({"partner_id": self.customer.id})
        deadline = self.now + timedelta(days=3)
        vals = {
            "partner_id": self.customer.id,
            "company_id": self.env.company.id,
            "plan_id": plan.id,
            "type_id": self.type_plain.id,
            "scheduled_date": self.now + timedelta(hours=1),
            "deadline": deadline,
        }
        kept = Planner._merge_under_contact_pressure([dict(vals)])
        self.assertEqual(
            kept[0]["scheduled_date"], deadline, "postponed, but not past its deadline"
        )
        self.assertEqual(kept[0]["deadline"], deadline)
        # An open visit of another type does not absorb a complaint callback.
        self.env.company.visit_min_interval_days = 0
        self._create_visit(scheduled_date=self.now + timedelta(days=30), deadline=False)
        self.env.company.visit_min_interval_days = 10
        later = dict(vals, scheduled_date=self.now + timedelta(days=29), deadline=False)
        self.assertEqual(
            len(
                Planner._merge_under_contact_pressure(
                    [dict(later, type_id=self.type_complaint.id)]
                )
            ),
            1,
            "the complaint callback is kept",
        )
        self.assertEqual(
            len(Planner._merge_under_contact_pressure([dict(later)])),
            0,
            "a plain callback is merged into the open visit",
        )

    # ------------------------------------------------------------------
    # Mandatory callbacks
    # ------------------------------------------------------------------
    def test_mandatory_callback_is_closed_refused_after_an_opt_out(self):
        contract = self.env.ref("customer_visit.visit_type_new_contract")
        mandatory = self._create_visit(type_id=contract.id, user_id=self.caller.id)
        plain = self._create_visit(user_id=self.caller.id)
        self.customer.do_not_visit = True
        self.assertEqual(plain.state, "cancelled")
        self.assertEqual(
            (mandatory.state, mandatory.outcome, mandatory.unreached_reason_id),
            ("failed", "not_reached", self.reason("refused")),
        )
        self.assertEqual(
            (mandatory.attempt_ids.result, mandatory.attempt_ids.reason_id),
            ("not_reached", self.reason("refused")),
        )
        self.assertIn("asked not to be contacted", mandatory.message_ids[:1].body)
        case = self.env["visit.case"].search([("record_id", "=", mandatory.id)])
        self.assertEqual(
            (case.owed_count, case.visited_count, case.failed_count),
            (1, 0, 1),
            "owed and missed",
        )

    # ------------------------------------------------------------------
    # Edge cases
    # ------------------------------------------------------------------
    def test_a_later_step_of_another_qualified_type_leaves_the_source_unassigned(self):
        nurses = self.env["res.groups"].create({"name": "Nurses"})
        discharge = self.env["visit.type"].create(
            {"name": "Discharge", "qualified_group_id": nurses.id}
        )
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                [
                    {"delay": 1, "delay_unit": "days"},
                    {"delay": 7, "delay_unit": "days", "type_id": discharge.id},
                ],
                domain=f"[('id', '=', {self.ticket.id})]",
                user_id=self.caller.id,
            )
        )
        self.ticket.write(
            {
                "stage_id": self.env["helpdesk.ticket.stage"]
                .search([("closed", "=", True)], limit=1)
                .id
            }
        )
        rule._generate_batch()
        self.assertFalse(rule.plan_ids)
        self.assertEqual(
            rule.skip_ids.mapped("reason"), ["no_assignee"], "skipped, not an error"
        )

    def test_the_retry_job_is_not_blocked_by_a_change_of_qualification(self):
        nurses = self.env["res.groups"].create({"name": "Nurses"})
        self.caller.groups_id |= nurses
        self.policy_type.qualified_group_id = nurses
        visit = self._create_visit(type_id=self.policy_type.id, user_id=self.caller.id)
        self._not_reached(visit, "no_answer")
        self.caller.groups_id -= nurses
        with at(fields.Datetime.now() + timedelta(hours=4)):
            self.env["visit.record"]._cron_retry()
        self.assertEqual(
            visit.state, "planned", "moved on; the assignee is checked when reassigned"
        )

    def test_no_confirmation_visit_for_a_customer_who_opted_out(self):
        visit = self._create_visit(type_id=self.policy_type.id, user_id=self.caller.id)
        self._done(visit, satisfaction_result="unsatisfied")
        ticket = visit.sudo().complaint_ticket_ids
        self.customer.do_not_visit = True
        ticket.stage_id = self.env["helpdesk.ticket.stage"].search(
            [("closed", "=", True)], limit=1
        )
        self.assertFalse(visit.next_record_ids)
        self.assertTrue(
            any(
                "asked not to be contacted" in (body or "")
                for body in ticket.message_ids.mapped("body")
            )
        )

    def test_a_shared_calendar_places_an_earlier_moment_right(self):
        Planner = self.env["visit.planner"]
        calendars = {}
        later = Planner._place(
            self.calendar, fields.Datetime.to_datetime("2026-10-20 01:00:00"), calendars
        )
        self.assertEqual(later, fields.Datetime.to_datetime("2026-10-20 01:00:00"))
        earlier = Planner._place(self.calendar, SATURDAY_NIGHT, calendars)
        self.assertEqual(earlier, TUESDAY_MORNING)

    def test_a_customer_answers_a_compliance_visit_on_the_portal(self):
        contract = self.env.ref("customer_visit.visit_type_new_contract")
        visit = self._create_visit(type_id=contract.id, user_id=self.caller.id)
        answers = {
            str(answer.question_id.id): "yes"
            for answer in visit.answer_ids
            if answer.answer_kind == "yes_no"
        }
        # Signed in to the portal as themself: identified (a link alone is
        # not, for this type).
        customer_user = new_test_user(
            self.env,
            login="cv_compliance_customer",
            groups="base.group_portal",
            partner_id=self.customer.id,
        )
        visit.with_user(customer_user)._portal_answer(answers, "")
        self.assertEqual(
            (visit.state, visit.identity_confirmed, visit.answered_by_id),
            ("done", True, self.customer),
        )

    # ------------------------------------------------------------------
    # Bad input
    # ------------------------------------------------------------------
    def test_bad_policies_are_refused_with_a_clear_message(self):
        with self.assertRefused(
            ValidationError, "falls back from Phone call to Phone call"
        ):
            self.env["visit.type"].create(
                {
                    "name": "Loop",
                    "default_channel": "phone",
                    "fallback_ids": [Command.create({"channel": "phone"})],
                }
            )
        with self.assertRefused(ValidationError, "falls back from Letter to Letter"):
            self.policy_type.fallback_ids = [
                Command.create({"sequence": 3, "channel": "letter"})
            ]
        with self.assertRefused(ValidationError, "at least one attempt"):
            self.policy_type.max_attempts = 0
        self.assertEqual(
            self.policy_type.fallback_ids.mapped("channel"),
            ["onsite", "letter"],
            "nothing half-written",
        )
