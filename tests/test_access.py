from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestVisitAccess(VisitCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.visit_alice = cls._create_visit(user_id=cls.agent.id)
        cls.visit_bob = cls._create_visit(user_id=cls.agent_2.id)
        cls.visit_free = cls._create_visit(user_id=False)
        cls.visit_b = (
            cls.env["visit.record"]
            .with_company(cls.company_b)
            .create(
                cls._visit_vals(
                    partner_id=cls.customer_b.id,
                    company_id=cls.company_b.id,
                    user_id=cls.manager_b.id,
                )
            )
        )

    def _visible(self, user):
        return (
            self.env["visit.record"]
            .with_user(user)
            .search(
                [
                    (
                        "id",
                        "in",
                        (
                            self.visit_alice
                            | self.visit_bob
                            | self.visit_free
                            | self.visit_b
                        ).ids,
                    )
                ]
            )
        )

    def test_user_sees_own_and_unassigned_visits_only(self):
        self.assertEqual(self._visible(self.agent), self.visit_alice | self.visit_free)
        with self.assertRaises(AccessError):
            self.visit_bob.with_user(self.agent).read(["name"])
        with self.assertRaises(AccessError):
            self.visit_bob.with_user(self.agent).write({"opinion": "peek"})

    def test_user_cannot_delete_visits_manager_can(self):
        with self.assertRaises(AccessError):
            self.visit_alice.with_user(self.agent).unlink()
        self.visit_free.with_user(self.manager).unlink()
        self.assertFalse(self.visit_free.exists())

    def test_manager_sees_all_visits_of_his_companies(self):
        self.assertEqual(
            self._visible(self.manager),
            self.visit_alice | self.visit_bob | self.visit_free,
        )

    def test_company_b_cannot_see_company_a_visits(self):
        self.assertEqual(self._visible(self.manager_b), self.visit_b)
        with self.assertRaises(AccessError):
            self.visit_alice.with_user(self.manager_b).read(["name"])
        with self.assertRaises(AccessError):
            self.visit_alice.plan_id.with_user(self.manager_b).read(["name"])

    def test_internal_user_without_visit_rights_sees_nothing(self):
        with self.assertRaises(AccessError):
            self.env["visit.record"].with_user(self.internal).search([])
        with self.assertRaises(AccessError):
            self.env["visit.plan"].with_user(self.internal).search([])
        # Partners stay usable: visit fields are hidden, not blocking.
        partner = self.customer.with_user(self.internal)
        self.assertEqual(partner.read(["name"])[0]["name"], self.customer.name)

    def test_user_cannot_configure_types_manager_can(self):
        with self.assertRaises(AccessError):
            self.env["visit.type"].with_user(self.agent).create({"name": "Mine"})
        created = (
            self.env["visit.type"].with_user(self.manager).create({"name": "Mine"})
        )
        self.assertTrue(created)

    def test_plans_and_answers_follow_the_visit_rules(self):
        visit = self._create_visit(
            user_id=self.agent_2.id, type_id=self.type_complaint.id
        )
        with self.assertRaises(AccessError):
            visit.plan_id.with_user(self.agent).read(["name"])
        with self.assertRaises(AccessError):
            visit.answer_ids[:1].with_user(self.agent).read(["value_text"])
        self.assertTrue(visit.answer_ids.with_user(self.agent_2).read(["value_text"]))

    def test_agent_closing_own_visit_writes_attempt_and_activity(self):
        visit = self.visit_alice.with_user(self.agent)
        visit.write({"outcome": "reached", "opinion": "Fine"})
        visit.action_done()
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.attempt_ids.user_id, self.agent)
