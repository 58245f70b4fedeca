from ast import literal_eval
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestServed(VisitCommon):
    """Who was served: read from the source by the planner, figures per
    served person beside the agent's, and the served person's own results."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The technicians: internal users, not visit users.
        cls.tech_tom = new_test_user(cls.env, login="cv_tech_tom", name="Tech Tom")
        cls.tech_ted = new_test_user(cls.env, login="cv_tech_ted", name="Tech Ted")
        cls.partners = cls.env["res.partner"].create(
            [
                {"name": f"Served customer {i}", "phone": f"+86 138 0013 {8200 + i}"}
                for i in range(5)
            ]
        )
        reference = cls.now - timedelta(days=1)
        cls.tickets = cls.env["helpdesk.ticket"]
        for index, partner in enumerate(cls.partners):
            tech = cls.tech_tom if index < 2 else cls.tech_ted
            cls.tickets |= cls._closed_ticket(
                reference, partner=partner, user_id=tech.id
            )

    def _generate(self):
        """One rule, one agent calling for both technicians."""
        rule = (
            self.env["visit.rule"]
            .with_user(self.manager)
            .create(
                self._rule_vals(
                    domain=f"[('id', 'in', {self.tickets.ids})]",
                    served_by_path="user_id",
                )
            )
        )
        rule._generate_batch()
        visits = rule.plan_ids.record_ids.sorted(lambda rec: rec.partner_id.id)
        self.assertEqual(len(visits), 5)
        return rule, visits

    def _close(self, visits, ratings):
        for visit, (service, product) in zip(visits, ratings, strict=True):
            visit.write(
                {
                    "outcome": "reached",
                    "satisfaction_service": service,
                    "satisfaction_product": product,
                }
            )
            visit.action_done()

    def test_satisfaction_per_technician_when_one_agent_calls_for_two(self):
        rule, visits = self._generate()
        self.assertEqual(set(visits.user_id.ids), {self.agent.id})
        self.assertEqual(
            [visit.served_by_id for visit in visits],
            [self.tech_tom.partner_id] * 2 + [self.tech_ted.partner_id] * 3,
        )
        # Tom: (4 + 3) / 2 = 3.5 and 1 -> 2.25; one of two unsatisfied.
        # Ted: 4, 4, 2 -> 10 / 3; none unsatisfied.
        # The agent, over all five: (3.5 + 1 + 4 + 4 + 2) / 5 = 2.9.
        self._close(
            visits,
            [
                ("satisfied", "fairly_satisfied"),
                ("unsatisfied", False),
                ("satisfied", False),
                ("satisfied", False),
                ("basically_satisfied", False),
            ],
        )
        Case = self.env["visit.case"].with_user(self.manager)
        per_served = {
            served: (count, score, unsatisfied, callback)
            for served, count, score, unsatisfied, callback in Case._read_group(
                [("rule_id", "=", rule.id)],
                ["served_by_id"],
                [
                    "__count",
                    "satisfaction_score:avg",
                    "unsatisfied_rate:avg",
                    "callback_rate:avg",
                ],
            )
        }
        tom, ted = self.tech_tom.partner_id, self.tech_ted.partner_id
        self.assertEqual(set(per_served), {tom, ted})
        self.assertEqual(per_served[tom][0], 2)
        self.assertAlmostEqual(per_served[tom][1], 2.25)
        self.assertAlmostEqual(per_served[tom][2], 50.0)
        self.assertAlmostEqual(per_served[tom][3], 100.0)
        self.assertEqual(per_served[ted][0], 3)
        self.assertAlmostEqual(per_served[ted][1], 10 / 3)
        self.assertAlmostEqual(per_served[ted][2], 0.0)
        [(agent, score)] = Case._read_group(
            [("rule_id", "=", rule.id)], ["user_id"], ["satisfaction_score:avg"]
        )
        self.assertEqual(agent, self.agent)
        self.assertAlmostEqual(score, 2.9)

    def test_a_served_by_field_that_names_no_person_is_refused(self):
        Rule = self.env["visit.rule"].with_user(self.manager)
        with self.assertRefused(ValidationError, "not a user, contact or employee"):
            Rule.create(self._rule_vals(served_by_path="stage_id"))
        # A field of another model than the rule's source (no such field).
        with self.assertRefused(ValidationError, "not a user, contact or employee"):
            Rule.create(self._rule_vals(served_by_path="client_order_ref"))
        with self.assertRefused(ValidationError, "not a product field"):
            Rule.create(self._rule_vals(served_product_path="user_id"))
        rule = Rule.create(self._rule_vals(served_by_path="user_id"))
        with self.assertRefused(ValidationError, "not a user, contact or employee"):
            rule.served_by_path = "stage_id"
        self.assertEqual(rule.served_by_path, "user_id")

    def test_batch_wizard_stores_the_served_person_of_each_record(self):
        Wizard = self.env["visit.batch.wizard"].with_user(self.manager)
        wizard = Wizard.create(
            {
                "source_model": "sale.order",
                "source_ids_text": str(self.order.id),
                "type_id": self.type_plain.id,
                "skip_open_visits": False,
                "served_by_path": "user_id",
            }
        )
        action = wizard.action_confirm()
        visit = self.env["visit.record"].search(action["domain"])
        self.assertEqual(visit.sale_order_id, self.order)
        self.assertEqual(visit.served_by_id, self.agent.partner_id)
        # A field of another kind of record: refused before anything is made.
        wizard = Wizard.create(
            {
                "source_model": "sale.order",
                "source_ids_text": str(self.order.id),
                "type_id": self.type_plain.id,
                "served_by_path": "stage_id",
            }
        )
        with self.assertRefused(ValidationError, "not a user, contact or employee"):
            wizard.action_preview()

    def test_a_further_round_is_for_the_same_person_served(self):
        _rule, visits = self._generate()
        visits[0].with_user(self.manager).served_product_id = self.product
        values = self.env["visit.planner"]._round_values(visits[0], self.now)
        self.assertEqual(values["served_by_id"], self.tech_tom.partner_id.id)
        self.assertEqual(values["served_product_id"], self.product.id)

    def test_only_a_manager_corrects_who_was_served(self):
        _rule, visits = self._generate()
        visit = visits[0].with_user(self.agent)
        with self.assertRefused(AccessError, "only a follow-up manager"):
            visit.served_by_id = self.tech_ted.partner_id
        # The value a form sends back unchanged is no change.
        visit.write({"served_by_id": self.tech_tom.partner_id.id, "opinion": "ok"})
        visits[0].with_user(self.manager).served_by_id = self.tech_ted.partner_id
        self.assertEqual(visits[0].served_by_id, self.tech_ted.partner_id)

    def test_an_agent_names_no_served_person_on_a_visit_made_by_hand(self):
        _rule, visits = self._generate()
        Visit = self.env["visit.record"].with_user(self.agent)
        with self.assertRefused(AccessError, "only a follow-up manager"):
            self._create_visit(
                env=Visit.env,
                user_id=self.agent.id,
                served_by_id=self.tech_ted.partner_id.id,
            )
        # A duplicate is made by hand: it names nobody served.
        copy = visits[0].with_user(self.agent).copy()
        self.assertFalse(copy.served_by_id)
        # The next round the agent agrees in Log Outcome is the addon's:
        # for the same person served.
        form = Form(
            Visit.with_context(active_model="visit.record", active_id=visits[0].id).env[
                "visit.outcome.wizard"
            ]
        )
        form.outcome = "reached"
        form.needs_another_round = True
        form.problem_description = "The boiler still leaks"
        form.reply_date = fields.Date.today() + timedelta(days=3)
        form.save().action_confirm()
        next_round = visits[0].next_record_ids
        self.assertEqual(len(next_round), 1)
        self.assertEqual(next_round.served_by_id, self.tech_tom.partner_id)

    def test_a_round_the_agent_adds_by_hand_is_for_the_same_person_served(self):
        _rule, visits = self._generate()
        plan = visits[0].plan_id.with_user(self.agent)
        action = plan.action_add_step()
        self.assertFalse(
            [key for key in action["context"] if "served" in key],
            "the client is not given whom to name",
        )
        form = Form(
            self.env(user=self.agent)["visit.record"].with_context(**action["context"])
        )
        added = form.save()
        self.assertEqual(added.plan_id, visits[0].plan_id)
        self.assertEqual(added.served_by_id, self.tech_tom.partner_id)

    def test_a_served_person_sees_own_results_only_when_the_company_allows(self):
        _rule, visits = self._generate()
        self._close(visits[:3], [("satisfied", False)] * 3)
        # Tom's two closed visits; Ted's first closed one, two still open.
        tom_done = visits[:2]
        Result = self.env["visit.served.result"]
        self.assertFalse(self.tech_tom.has_group("customer_visit.group_visit_served"))
        with self.assertRaises(AccessError):
            Result.with_user(self.tech_tom).search([])
        self.company_a.visit_served_see_own = True
        self.assertTrue(self.tech_tom.has_group("customer_visit.group_visit_served"))
        self.assertEqual(
            sorted(Result.with_user(self.tech_tom).search([]).ids), tom_done.ids
        )
        self.assertEqual(Result.with_user(self.tech_ted).search([]).ids, visits[2].ids)
        # Read-only, never another's, and nothing of the call behind it:
        # the visits themselves (phone, notes, chatter) stay closed to them.
        mine = Result.with_user(self.tech_tom).browse(tom_done[0].id)
        with self.assertRaises(AccessError):
            mine.write({"opinion": "Mine"})
        with self.assertRaises(AccessError):
            Result.with_user(self.tech_tom).browse(visits[2].id).read(["partner_id"])
        for fname in ("phone", "notes", "recording_ref", "message_ids"):
            with self.subTest(field=fname), self.assertRaises(AccessError):
                tom_done[0].with_user(self.tech_tom).read([fname])
        # The screens of My Results load for them, with their own visits.
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_visit.visit_record_action_my_results"
        )
        domain = literal_eval(
            action["domain"].replace("[uid]", f"[{self.tech_tom.id}]")
        )
        TomResult = Result.with_user(self.tech_tom)
        views = TomResult.get_views(
            [(False, "list"), (False, "form"), (False, "search")]
        )
        self.assertEqual(set(views["views"]), {"list", "form", "search"})
        self.assertEqual(sorted(TomResult.search(domain).ids), tom_done.ids)
        [values] = mine.web_read(
            {
                "partner_id": {"fields": {"display_name": {}}},
                "type_id": {"fields": {"display_name": {}}},
                "satisfaction_service": {},
                "opinion": {},
            }
        )
        self.assertEqual(values["satisfaction_service"], "satisfied")
        self.assertEqual(values["partner_id"]["id"], tom_done[0].partner_id.id)
        self.company_a.visit_served_see_own = False
        self.assertFalse(self.tech_tom.has_group("customer_visit.group_visit_served"))
        with self.assertRaises(AccessError):
            Result.with_user(self.tech_tom).search([])

    def test_a_manager_without_settings_rights_cannot_open_my_results(self):
        with self.assertRaises(AccessError):
            self.company_a.with_user(self.manager).visit_served_see_own = True
        self.env.invalidate_all()
        self.assertFalse(self.company_a.visit_served_see_own)
        self.assertFalse(self.tech_tom.has_group("customer_visit.group_visit_served"))

    def test_the_setting_of_another_company_shows_nothing_of_this_one(self):
        _rule, visits = self._generate()
        self._close(visits[:2], [("satisfied", False)] * 2)
        self.company_b.visit_served_see_own = True
        self.tech_tom.write({"company_ids": [Command.link(self.company_b.id)]})
        self.assertTrue(self.tech_tom.has_group("customer_visit.group_visit_served"))
        self.assertFalse(
            self.env["visit.served.result"]
            .with_user(self.tech_tom)
            .with_context(allowed_company_ids=[self.company_a.id, self.company_b.id])
            .search([])
        )

    def test_batch_wizard_refuses_before_creating_anything(self):
        wizard = (
            self.env["visit.batch.wizard"]
            .with_user(self.manager)
            .create(
                {
                    "source_model": "sale.order",
                    "source_ids_text": str(self.order.id),
                    "type_id": self.type_plain.id,
                    "served_by_path": "stage_id",
                }
            )
        )
        before = self.env["visit.record"].search_count([])
        with self.assertRefused(
            (UserError, ValidationError), "not a user, contact or employee"
        ):
            wizard.action_confirm()
        self.assertEqual(self.env["visit.record"].search_count([]), before)


@tagged("post_install", "-at_install")
class TestServedQueries(VisitCommon):
    """Reading who was served costs no query per visit: a batch read with
    the sources it already reads."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("customer_visit.generate_workers", 1)
        cls.env["visit.rule"].search([]).active = False
        cls.techs = [
            new_test_user(cls.env, login=f"cv_q_tech{i}", name=f"Tech {i}")
            for i in range(4)
        ]
        closed = cls.now - timedelta(days=1)
        cls.tickets = cls.env["helpdesk.ticket"]
        for index in range(100):
            partner = cls.env["res.partner"].create(
                {"name": f"Q customer {index}", "phone": f"+86 138 0014 {8000 + index}"}
            )
            cls.tickets |= cls._closed_ticket(
                closed, partner=partner, user_id=cls.techs[index % 4].id
            )

    def _queries_of_generate(self, tickets, served):
        self.env["visit.rule"].search([]).active = False
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                domain=f"[('id', 'in', {tickets.ids})]",
                served_by_path=served and "user_id",
            )
        )
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.env["visit.rule"]._cron_generate(0)
        count = self.env.cr.sql_log_count - before
        visits = rule.plan_ids.record_ids
        self.assertEqual(len(visits), len(tickets))
        return count, visits

    def test_generation_reads_who_was_served_without_a_query_per_visit(self):
        # Warm the caches first, as a running server has them.
        self._queries_of_generate(self.tickets[:10], served=True)
        without, _visits = self._queries_of_generate(self.tickets[10:30], False)
        with_20, visits = self._queries_of_generate(self.tickets[30:50], True)
        with_40, _visits = self._queries_of_generate(self.tickets[50:90], True)
        self.assertEqual(
            {visit.ticket_id: visit.served_by_id for visit in visits},
            {ticket: ticket.user_id.partner_id for ticket in self.tickets[30:50]},
        )
        # At most two queries more for the whole batch (the users' contacts,
        # their employees' departments), none per visit.
        self.assertLessEqual(with_20, without + 2)
        self.assertEqual(with_40, with_20)
