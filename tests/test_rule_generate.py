from datetime import timedelta
from unittest.mock import patch

import pytz
from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.sql_db import Cursor, db_connect
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.customer_visit.models.visit_planner import VisitPlanner
from odoo.addons.customer_visit.models.visit_record import VisitRecord
from odoo.addons.customer_visit.models.visit_rule import ADVISORY_LOCK_CLASS, VisitRule

from .common import VisitCommon


class Crash(BaseException):
    """Stands for the process being killed: not caught as an Exception."""


@tagged("post_install", "-at_install")
class TestRuleGenerate(VisitCommon):
    """The Generate cron: idempotence, interruption, sampling, skips,
    contact pressure and recurring rules."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls.env["res.partner"].create(
            [
                {"name": f"Customer {i}", "phone": f"+86 138 0013 {8100 + i}"}
                for i in range(12)
            ]
        )
        cls.reference = fields.Datetime.now().replace(microsecond=0) - timedelta(days=1)
        cls.tickets = cls.env["helpdesk.ticket"]
        for partner in cls.partners:
            cls.tickets |= cls._closed_ticket(cls.reference, partner=partner)
        cls.only_ours = f"[('id', 'in', {cls.tickets.ids})]"

    def _rule(self, steps=None, **values):
        return self.env["visit.rule"].create(
            self._rule_vals(steps, domain=self.only_ours, **values)
        )

    @staticmethod
    def _snapshot(rule):
        return sorted(
            (
                plan.rule_source_id,
                rec.rule_step_id.sequence,
                rec.occurrence,
                rec.scheduled_date,
                rec.deadline,
                rec.user_id.id,
            )
            for plan in rule.plan_ids
            for rec in plan.record_ids
        )

    def _run_batches(self, rule, limit):
        """Run like the cron runner: one batch per call, each its own
        transaction (a savepoint here)."""
        while True:
            with self.env.cr.savepoint():
                done, remaining = rule._generate_batch(limit)
            if not remaining:
                return

    def test_running_twice_plans_nothing_more(self):
        rule = self._rule(
            [{"delay": 2, "delay_unit": "days"}, {"delay": 1, "delay_unit": "months"}]
        )
        self.assertEqual(rule._generate_batch(), (12, 0))
        first = self._snapshot(rule)
        self.assertEqual(len(first), 24)
        self.assertEqual(rule._generate_batch(), (0, 0))
        self.assertEqual(self._snapshot(rule), first)
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [
                    ("res_model", "=", "visit.record"),
                    ("res_id", "in", rule.plan_ids.record_ids.ids),
                ]
            ),
            24,
        )

    def test_interrupted_run_resumed_equals_a_clean_run(self):
        steps = [
            {"delay": 4, "delay_unit": "hours"},
            {"delay": 5, "delay_unit": "working_days"},
        ]
        clean_rule = self._rule(
            steps, assignment="round_robin", team_id=self._team().id
        )
        self._run_batches(clean_rule, limit=5)
        clean = [item[1:] for item in self._snapshot(clean_rule)]
        sources = sorted(clean_rule.plan_ids.mapped("rule_source_id"))
        clean_rule.plan_ids.record_ids.unlink()
        clean_rule.plan_ids.unlink()
        self.env["visit.record"].search([]).invalidate_recordset()

        rule = self._rule(steps, assignment="round_robin", team_id=self._team().id)
        original = VisitRule._create_prepared
        calls = []

        def crash_on_second_batch(self_, prepared):
            calls.append(len(prepared))
            if len(calls) == 2:
                original(self_, prepared)  # the work is done, then the process dies
                raise Crash()
            return original(self_, prepared)

        # Not assertRaises: its own savepoint would undo the first batch too.
        crashed = False
        with patch.object(VisitRule, "_create_prepared", crash_on_second_batch):
            try:
                self._run_batches(rule, limit=5)
            except Crash:
                crashed = True
        self.assertTrue(crashed)
        self.assertEqual(
            len(rule.plan_ids), 5, "the first batch was kept, the second rolled back"
        )
        self._run_batches(rule, limit=5)
        self.assertEqual(sorted(rule.plan_ids.mapped("rule_source_id")), sources)
        self.assertEqual([item[1:] for item in self._snapshot(rule)], clean)

    def _team(self):
        return self.env["crm.team"].create(
            {
                "name": "Callers",
                "member_ids": [Command.set((self.agent | self.agent_2).ids)],
            }
        )

    def test_database_refuses_two_open_plans_of_a_rule_for_one_source(self):
        rule = self._rule()
        rule._generate_batch()
        plan = rule.plan_ids[:1]
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.env["visit.plan"].create(
                {
                    "partner_id": plan.partner_id.id,
                    "rule_id": rule.id,
                    "rule_source_id": plan.rule_source_id,
                }
            )

    def test_generation_skips_a_locked_rule(self):
        rule = self._rule()
        with patch.object(VisitRule, "_lock", return_value=False):
            self.assertEqual(rule._generate_batch(), (0, 0))
        self.assertFalse(rule.plan_ids)

    def test_a_part_held_by_another_worker_is_left_to_it(self):
        first = self._rule()
        second = self._rule(name="Closed repairs, second rule")
        # Parts go by customer (each ticket here has its own).
        even = sorted(t.id for t in self.tickets if t.partner_id.id % 2 == 0)
        odd = sorted(t.id for t in self.tickets if t.partner_id.id % 2 == 1)
        self.assertTrue(even and odd)
        # Another worker's transaction, in its own connection, holds part 0
        # of the first rule: part 0 goes on with the second rule, part 1
        # of the first rule is planned beside it.
        with db_connect(self.env.cr.dbname).cursor() as other:
            other.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_CLASS, first.id]
            )
            self.assertEqual((first | second)._generate_batch(part=0, parts=2)[1], 0)
            self.assertFalse(first.plan_ids)
            self.assertEqual(sorted(second.plan_ids.mapped("rule_source_id")), even)
            first._generate_batch(part=1, parts=2)
            self.assertEqual(sorted(first.plan_ids.mapped("rule_source_id")), odd)
            other.rollback()
        (first | second)._generate_batch(part=0, parts=2)
        (first | second)._generate_batch(part=0, parts=2)
        second._generate_batch(part=1, parts=2)
        for rule in first | second:
            self.assertEqual(
                sorted(rule.plan_ids.mapped("rule_source_id")), sorted(self.tickets.ids)
            )
        self.assertEqual((first | second)._generate_batch(part=0, parts=2), (0, 0))

    def test_a_rule_that_planned_nothing_lets_the_next_one_go_in_the_same_call(self):
        banned = self.env["res.partner"].create(
            {"name": "No calls", "do_not_visit": True}
        )
        ticket = self._closed_ticket(self.reference, partner=banned)
        skipped_only = self.env["visit.rule"].create(
            self._rule_vals(domain=f"[('id', '=', {ticket.id})]")
        )
        planning = self._rule(name="Closed repairs, second rule")
        self.assertEqual((skipped_only | planning)._generate_batch(), (12, 0))
        self.assertEqual(skipped_only.skip_ids.reason, "do_not_visit")
        self.assertEqual(len(planning.plan_ids), 12)

    def test_generated_rows_are_complete_at_their_insert(self):
        team = self._team()
        rule = self._rule(
            [{"delay": 2, "delay_unit": "days", "type_id": self.type_repair.id}],
            assignment="round_robin",
            team_id=team.id,
        )
        statements = []
        execute = Cursor.execute

        def spy(cr, query, params=None, log_exceptions=True):
            statements.append(query.code if isinstance(query, SQL) else str(query))
            return execute(cr, query, params, log_exceptions)

        self.env.flush_all()
        with patch.object(Cursor, "execute", spy):
            self.assertEqual(rule._generate_batch(), (12, 0))
            self.env.flush_all()
        tables = ("visit_plan", "visit_record", "visit_answer", "mail_activity")
        inserts = [
            t
            for t in tables
            if any(
                f'INSERT INTO "{t}"' in q or f"INSERT INTO {t} " in q
                for q in statements
            )
        ]
        self.assertEqual(inserts, list(tables))
        # Every stored value was right at the INSERT: the ORM's recomputation
        # found nothing to write back.
        updates = [
            q
            for q in statements
            if q.lstrip().startswith("UPDATE") and any(t in q for t in tables)
        ]
        self.assertEqual(updates, [])
        visits = rule.plan_ids.record_ids
        self.assertEqual(visits.team_id, team)
        self.assertEqual(
            [v.phone for v in visits], [v.partner_id.visit_phone for v in visits]
        )
        self.assertTrue(all(visits.mapped("phone")))
        self.assertEqual(
            [p.next_date for p in rule.plan_ids],
            [p.record_ids.scheduled_date for p in rule.plan_ids],
        )
        self.assertEqual(
            len(visits.answer_ids), 12 * len(self.type_repair.question_ids)
        )

    def test_cron_reports_progress_batch_by_batch(self):
        rule = self._rule()
        # The cron runs every active rule: leave only this one (demo data).
        self.env["visit.rule"].search([("id", "!=", rule.id)]).active = False
        # One worker: its job has the whole rule.
        self.env["ir.config_parameter"].set_param("customer_visit.generate_workers", 1)
        cron = self.env.ref("customer_visit.ir_cron_visit_generate")
        Trigger = self.env["ir.cron.trigger"]
        triggers = Trigger.search([("cron_id", "=", cron.id)])
        calls = []
        with patch("odoo.addons.customer_visit.models.visit_rule.GENERATE_BATCH", 5):
            for _call in range(3):
                progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
                self.env["visit.rule"].with_context(
                    ir_cron_progress_id=progress.id, cron_id=cron.id
                )._cron_generate()
                calls.append((progress.done, progress.remaining))
        self.assertEqual(calls, [(5, 7), (5, 2), (2, 0)])
        self.assertEqual(len(rule.plan_ids), 12)
        # Work left after a call: the job asked to be run again at once (a
        # trigger wakes the cron workers); none once done.
        self.assertEqual(len(Trigger.search([("cron_id", "=", cron.id)]) - triggers), 2)

    def test_generate_now_button_is_for_managers(self):
        rule = self._rule()
        with self.assertRaises(AccessError):
            rule.with_user(self.agent).action_generate()
        self.assertFalse(rule.plan_ids)
        Trigger = self.env["ir.cron.trigger"]
        action = rule.with_user(self.manager).action_generate()
        # Queued in the Generate job, not planned in the request.
        self.assertIn("queued", action["params"]["message"])
        self.assertFalse(rule.plan_ids)
        # Both workers' jobs (the default setting) are woken up.
        jobs = self.env["ir.cron"]._visit_generate_jobs()
        self.assertEqual(len(jobs), 2)
        self.assertEqual(
            set(Trigger.search([("cron_id", "in", jobs.ids)]).cron_id), set(jobs)
        )
        self.assertEqual(rule.generate_request_uid, self.manager)
        # The first worker's part: not reported yet, the other part is owed.
        while self.env["visit.rule"]._cron_generate(0):
            pass
        self.assertEqual(rule.generate_request_uid, self.manager)
        while self.env["visit.rule"]._cron_generate(1):
            pass
        rule.invalidate_recordset()
        self.assertEqual(rule.plan_count, 12)
        self.assertEqual(rule.last_planned, max(rule.plan_ids.mapped("create_date")))
        # The job told the manager what it did, once.
        self.assertIn("planned 12 new plans", rule.message_ids[:1].body)
        self.assertFalse(rule.generate_request_uid)
        self.env["visit.rule"]._cron_generate()
        self.assertEqual(
            len(rule.message_ids.filtered(lambda m: "new plans" in (m.body or ""))), 1
        )

    def test_generate_now_twice_on_a_sampled_rule_by_a_manager(self):
        rule = self._rule(coverage="sample", sample_percent=50)
        for _press in range(2):
            rule.with_user(self.manager).action_generate()
            # The generation as the manager: the samples are read and written
            # with the generation's rights, not the manager's.
            rule.with_user(self.manager)._generate_batch()
        self.assertEqual(len(rule.plan_ids), 6)
        # 12 records at 50 %: 6 expected, 6 drawn, each decided once.
        self.assertEqual(rule.sample_ids.mapped("expected"), [6.0])
        self.assertEqual(rule.sample_ids.mapped("drawn_count"), [6])
        self.assertEqual(
            self.env["visit.rule.draw.line"].search_count([("rule_id", "=", rule.id)]),
            12,
        )

    def test_broken_record_is_logged_skipped_and_the_rest_goes_on(self):
        rule = self._rule()
        broken = self.tickets[3]
        original = type(self.env["visit.record"]).create

        def create(self_, vals_list):
            if any(vals.get("ticket_id") == broken.id for vals in vals_list):
                raise ValueError("broken record")
            return original(self_, vals_list)

        with (
            patch.object(type(self.env["visit.record"]), "create", create),
            mute_logger("odoo.addons.customer_visit.models.visit_rule"),
        ):
            done, remaining = rule._generate_batch()
        self.assertEqual((done, remaining), (11, 0))
        self.assertEqual(len(rule.plan_ids), 11)
        self.assertNotIn(broken.id, rule.plan_ids.mapped("rule_source_id"))
        self.assertEqual(rule.skip_ids.res_id, broken.id)
        self.assertEqual(rule.skip_ids.reason, "error")
        self.assertIn("broken record", rule.skip_ids.message)
        # Left alone until a manager removes the line, then planned.
        self.assertEqual(rule._generate_batch(), (0, 0))
        rule.skip_ids.unlink()
        self.assertEqual(rule._generate_batch(), (1, 0))

    def test_do_not_visit_and_missing_customer_are_recorded_as_skipped(self):
        self.partners[0].do_not_visit = True
        self.tickets[1].partner_id = False
        rule = self._rule()
        rule._generate_batch()
        self.assertEqual(len(rule.plan_ids), 10)
        self.assertEqual(
            {(skip.res_id, skip.reason) for skip in rule.skip_ids},
            {(self.tickets[0].id, "do_not_visit"), (self.tickets[1].id, "no_partner")},
        )
        # A manager who is not a helpdesk user sees which ticket was skipped,
        # and a deleted one by its id.
        reviewer = new_test_user(
            self.env,
            login="cv_skip_reviewer",
            groups="customer_visit.group_visit_manager",
        )
        skips = rule.skip_ids.with_user(reviewer).sorted("res_id")
        self.assertEqual(
            skips.mapped("res_name"),
            (self.tickets[0] | self.tickets[1]).mapped("display_name"),
        )
        self.tickets[1].unlink()
        skips.invalidate_recordset()
        self.assertEqual(skips[1].res_name, f"#{skips[1].res_id}")

    def test_sample_with_cap_is_reproducible_and_audited(self):
        rule = self._rule(
            coverage="sample", sample_percent=50, sample_cap=4, sample_seed=42
        )
        rule._generate_batch()
        draw = rule.draw_ids
        self.assertEqual(len(draw), 1)
        # The month of the reference in the rule's time zone.
        local = pytz.utc.localize(self.reference).astimezone(rule._tz())
        self.assertEqual(draw.period, f"{local.year}-{local.month:02d}")
        self.assertEqual(
            (draw.population_count, draw.quota, draw.drawn_count, draw.seed),
            (12, 4, 4, 42),
        )
        drawn = set(rule.plan_ids.mapped("rule_source_id"))
        self.assertEqual(rule.plan_ids.draw_id, draw)
        # The same seed on the same records draws the same sources.
        same = self._rule(
            coverage="sample", sample_percent=50, sample_cap=4, sample_seed=42
        )
        same._generate_batch()
        self.assertEqual(set(same.plan_ids.mapped("rule_source_id")), drawn)
        # Other seeds draw other samples (at 25 %, four are possible).
        samples = set()
        for seed in range(1, 13):
            other = self._rule(coverage="sample", sample_percent=25, sample_seed=seed)
            other._generate_batch()
            samples.add(frozenset(other.plan_ids.mapped("rule_source_id")))
            self.assertEqual(len(other.plan_ids), 3)
        self.assertGreater(len(samples), 1)
        # Running again draws nobody more: every record is decided.
        self.assertEqual(rule._generate_batch(), (0, 0))

    def test_sample_percentage_without_cap(self):
        rule = self._rule(coverage="sample", sample_percent=25)
        rule._generate_batch()
        self.assertEqual(len(rule.plan_ids), 3)  # 12 × 25 %, exactly

    def test_exclusions_and_start_date(self):
        self.tickets[:2].write({"priority": "3"})
        rule = self._rule(exclude_domain="[('priority', '=', '3')]")
        rule._generate_batch()
        self.assertEqual(len(rule.plan_ids), 10)
        later = self._rule(start_date=fields.Date.today() + timedelta(days=1))
        later._generate_batch()
        self.assertFalse(later.plan_ids)

    def test_contact_pressure_merges_visits_of_a_customer_across_rules(self):
        self.env.company.visit_min_interval_days = 7
        customer = self.partners[0]
        order = self.env["sale.order"].create({"partner_id": customer.id})
        order.action_confirm()
        tickets = self._rule()
        orders = self.env["visit.rule"].create(
            self._rule_vals(
                [{"delay": 3, "delay_unit": "days"}],
                name="Orders",
                model_id=self.env["ir.model"]._get_id("sale.order"),
                domain=f"[('id', '=', {order.id})]",
                date_field_id=self.env["ir.model.fields"]
                ._get("sale.order", "date_order")
                .id,
            )
        )
        tickets._generate_batch()
        orders._generate_batch()
        visits = self.env["visit.record"].search([("partner_id", "=", customer.id)])
        self.assertEqual(len(visits), 1, "called once for the ticket and the order")
        order_plan = orders.plan_ids
        self.assertFalse(order_plan.record_ids)
        self.assertEqual(visits.merged_plan_ids, order_plan)
        self.assertEqual(order_plan.state, "open")
        visits.write({"outcome": "reached"})
        visits.action_done()
        self.assertEqual(
            order_plan.state, "done", "the merged visit answers both plans"
        )

    def test_contact_pressure_postpones_after_a_recent_visit(self):
        self.env.company.visit_min_interval_days = 10
        customer = self.partners[1]
        past = self._create_visit(
            partner_id=customer.id,
            scheduled_date=self.reference,
            deadline=False,
            outcome="reached",
        )
        past.action_done()
        rule = self.env["visit.rule"].create(
            self._rule_vals(domain=f"[('id', '=', {self.tickets[1].id})]")
        )
        rule._generate_batch()
        visit = rule.plan_ids.record_ids
        self.assertGreaterEqual(
            visit.scheduled_date, past.date_done + timedelta(days=10)
        )

    def test_recurring_rule_on_a_segment_follows_membership(self):
        segment = self.env["res.partner.category"].create({"name": "Prospect"})
        members = self.partners[:2]
        members.write({"category_id": [Command.link(segment.id)]})
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                [{"delay": 3, "delay_unit": "days", "repeat_every": 3}],
                name="Prospects every 3 days",
                model_id=self.env["ir.model"]._get_id("res.partner"),
                domain=f"[('category_id', 'in', {segment.ids})]",
                date_field_id=False,
                horizon_days=10,
            )
        )
        rule._generate_batch()
        self.assertEqual(len(rule.plan_ids), 2)
        first = rule.plan_ids.filtered(lambda plan: plan.partner_id == members[0])
        # Occurrences up to 10 days ahead, plus the next one: 3, 6, 9, 12.
        self.assertEqual(
            first.record_ids.sorted("occurrence").mapped("occurrence"), [0, 1, 2, 3]
        )
        self.assertEqual(rule._generate_batch(), (0, 0))
        self.assertEqual(len(first.record_ids), 4, "a second run adds nothing")
        # Ten days later the next repetitions are planned.
        with patch.object(
            fields.Datetime,
            "now",
            return_value=fields.Datetime.now() + timedelta(days=10),
        ):
            rule._generate_batch()
        self.assertEqual(len(first.record_ids), 7)
        # A partner leaving the segment: the future visits are cancelled.
        members[1].category_id = [Command.unlink(segment.id)]
        rule._generate_batch()
        gone = rule.plan_ids.filtered(lambda plan: plan.partner_id == members[1])
        self.assertEqual(set(gone.record_ids.mapped("state")), {"cancelled"})
        self.assertEqual(gone.state, "cancelled")

    def test_batch_query_count_does_not_grow_with_its_size(self):
        def queries(count):
            tickets = self.env["helpdesk.ticket"]
            for partner in self.env["res.partner"].create(
                [
                    {"name": f"Q{count}-{i}", "phone": "+86 138 0013 8000"}
                    for i in range(count)
                ]
            ):
                tickets |= self._closed_ticket(self.reference, partner=partner)
            rule = self.env["visit.rule"].create(
                self._rule_vals(domain=f"[('id', 'in', {tickets.ids})]")
            )
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            rule._generate_batch()
            self.env.flush_all()
            self.assertEqual(len(rule.plan_ids.record_ids), count)
            return self.env.cr.sql_log_count - before

        small, large = queries(5), queries(25)
        self.assertLessEqual(
            large, small + 5, f"{small} queries for 5 sources, {large} for 25"
        )

    # -- killed at every point of a batch --------------------------------
    # Points of the batch where the crash happens, by the method it hits.
    CRASH_POINTS = [
        (VisitRule, "_create_prepared", "before"),  # plans not created yet
        (VisitRule, "_create_prepared", "after"),  # batch written, not committed
        (
            VisitRecord,
            "_schedule_visit_activities",
            "before",
        ),  # visits without activities
        (
            VisitPlanner,
            "_merge_under_contact_pressure",
            "after",
        ),  # plans without visits
    ]

    def _kill_and_resume(self, steps, model_class, method, when, on_call):
        rule = self._rule(steps, assignment="round_robin", team_id=self._team().id)
        original = getattr(model_class, method)
        calls = []

        def dying(self_, *args, **kwargs):
            calls.append(1)
            if len(calls) == on_call and when == "before":
                raise Crash()
            result = original(self_, *args, **kwargs)
            if len(calls) == on_call:
                raise Crash()
            return result

        crashed = False
        with patch.object(model_class, method, dying):
            try:
                self._run_batches(rule, limit=5)
            except Crash:
                crashed = True
        self.assertTrue(crashed, f"{method} was reached {len(calls)} times")
        self._run_batches(rule, limit=5)
        return rule

    def _clean_run(self, steps):
        rule = self._rule(steps, assignment="round_robin", team_id=self._team().id)
        self._run_batches(rule, limit=5)
        snapshot = [item[1:] for item in self._snapshot(rule)]
        sources = sorted(rule.plan_ids.mapped("rule_source_id"))
        activities = self._activity_count(rule)
        rule.plan_ids.record_ids.unlink()
        rule.plan_ids.unlink()
        rule.active = False
        return snapshot, sources, activities

    def _activity_count(self, rule):
        return self.env["mail.activity"].search_count(
            [
                ("res_model", "=", "visit.record"),
                ("res_id", "in", rule.plan_ids.record_ids.ids),
            ]
        )

    def test_killed_at_every_point_then_resumed_equals_a_clean_run(self):
        steps = [
            {"delay": 3, "delay_unit": "hours"},
            {"delay": 2, "delay_unit": "working_days"},
        ]
        clean, sources, activities = self._clean_run(steps)
        self.assertEqual((len(sources), len(clean), activities), (12, 24, 24))
        for model_class, method, when in self.CRASH_POINTS:
            for on_call in (1, 2, 3):  # first, middle and last batch of 5
                with self.subTest(method=method, when=when, batch=on_call):
                    rule = self._kill_and_resume(
                        steps, model_class, method, when, on_call
                    )
                    self.assertEqual(
                        sorted(rule.plan_ids.mapped("rule_source_id")), sources
                    )
                    self.assertEqual([item[1:] for item in self._snapshot(rule)], clean)
                    self.assertEqual(self._activity_count(rule), activities)
                    rule.plan_ids.record_ids.unlink()
                    rule.plan_ids.unlink()
                    rule.active = False
