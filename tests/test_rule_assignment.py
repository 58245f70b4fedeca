from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestRuleAssignment(VisitCommon):
    """Every assignment policy of a rule, independence and the fallback to
    the team leader."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.leader = new_test_user(
            cls.env,
            login="cv_leader",
            name="Leader Lin",
            groups="customer_visit.group_visit_manager",
        )
        cls.agent_3 = new_test_user(
            cls.env,
            login="cv_agent3",
            name="Agent Chen",
            groups="customer_visit.group_visit_user",
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Callers",
                "user_id": cls.leader.id,
                "member_ids": [
                    Command.set((cls.agent | cls.agent_2 | cls.agent_3).ids)
                ],
            }
        )
        reference = fields.Datetime.now() - timedelta(days=1)
        cls.tickets = cls.env["helpdesk.ticket"]
        for i in range(6):
            partner = cls.env["res.partner"].create({"name": f"Assign {i}"})
            owner = cls.agent if i % 2 else cls.agent_2
            cls.tickets |= cls._closed_ticket(
                reference, partner=partner, user_id=owner.id
            )

    def _assignees(self, **values):
        rule = self.env["visit.rule"].create(
            self._rule_vals(domain=f"[('id', 'in', {self.tickets.ids})]", **values)
        )
        rule._generate_batch()
        plans = rule.plan_ids.sorted("rule_source_id")
        return {plan.rule_source_id: plan.record_ids.user_id for plan in plans}, rule

    def test_owner_is_the_ticket_user(self):
        assignees, _rule = self._assignees(assignment="owner", user_id=False)
        for ticket in self.tickets:
            self.assertEqual(assignees[ticket.id], ticket.user_id)

    def test_owner_of_an_order_is_its_salesperson(self):
        order = self.env["sale.order"].create(
            {"partner_id": self.customer.id, "user_id": self.agent_2.id}
        )
        order.action_confirm()
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                name="Orders",
                model_id=self.env["ir.model"]._get_id("sale.order"),
                domain=f"[('id', '=', {order.id})]",
                assignment="owner",
                user_id=False,
                date_field_id=self.env["ir.model.fields"]
                ._get("sale.order", "date_order")
                .id,
            )
        )
        rule._generate_batch()
        self.assertEqual(rule.plan_ids.record_ids.user_id, self.agent_2)
        self.assertEqual(rule.plan_ids.record_ids.sale_order_id, order)

    def test_fixed_user(self):
        assignees, _rule = self._assignees(assignment="user", user_id=self.agent_3.id)
        self.assertEqual(set(assignees.values()), {self.agent_3})

    def test_round_robin_over_the_team(self):
        assignees, _rule = self._assignees(
            assignment="round_robin", user_id=False, team_id=self.team.id
        )
        agents = (self.agent | self.agent_2 | self.agent_3 | self.leader).sorted("id")
        expected = [agents[i % len(agents)] for i in range(6)]
        self.assertEqual(
            [assignees[ticket.id] for ticket in self.tickets.sorted("id")], expected
        )

    def test_least_loaded_evens_out_with_existing_load(self):
        for _i in range(3):
            self._create_visit(user_id=self.agent.id)
        assignees, _rule = self._assignees(
            assignment="least_loaded", user_id=False, team_id=self.team.id
        )
        counts = {
            user: list(assignees.values()).count(user)
            for user in set(assignees.values())
        }
        self.assertNotIn(self.agent, counts, "Alice already has three open visits")
        self.assertEqual(sorted(counts.values()), [2, 2, 2])

    def test_independence_never_gives_a_visit_to_the_salesperson(self):
        for policy in ("round_robin", "least_loaded"):
            with self.subTest(policy=policy):
                assignees, _rule = self._assignees(
                    assignment=policy,
                    user_id=False,
                    team_id=self.team.id,
                    exclude_salesperson=True,
                )
                self.assertEqual(len(assignees), 6)
                for ticket in self.tickets:
                    self.assertNotEqual(assignees[ticket.id], ticket.user_id)

    def test_independence_with_a_fixed_user_skips_their_own_sources(self):
        assignees, rule = self._assignees(
            assignment="user", user_id=self.agent.id, exclude_salesperson=True
        )
        own = self.tickets.filtered(lambda t: t.user_id == self.agent)
        self.assertEqual(set(assignees), set((self.tickets - own).ids))
        self.assertEqual(set(rule.skip_ids.mapped("reason")), {"no_assignee"})
        self.assertEqual(set(rule.skip_ids.mapped("res_id")), set(own.ids))

    def test_inactive_assignee_falls_back_to_the_team_leader(self):
        self.agent_2.active = False
        assignees, _rule = self._assignees(
            assignment="owner", user_id=False, team_id=self.team.id
        )
        for ticket in self.tickets:
            expected = self.leader if ticket.user_id == self.agent_2 else self.agent
            self.assertEqual(assignees[ticket.id], expected)

    def test_owner_with_independence_is_refused(self):
        with self.assertRefused(ValidationError, "salesperson"):
            self.env["visit.rule"].create(
                self._rule_vals(
                    assignment="owner", user_id=False, exclude_salesperson=True
                )
            )
        with self.assertRefused(ValidationError, "no active user"):
            self.env["visit.rule"].create(
                self._rule_vals(
                    assignment="round_robin",
                    user_id=False,
                    team_id=self.env["crm.team"].create({"name": "Empty"}).id,
                )
            )
