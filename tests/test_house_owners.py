from datetime import datetime, timedelta

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestHouseOwners(VisitCommon):
    """Each decision has one owner: the draw model decides a rule's sample,
    ``ir.cron`` keeps the worker jobs of the Job workers setting, the
    customer whether they may be contacted, the visit type who may be
    assigned its visits."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start = datetime(2026, 3, 2, 1, 0)
        cls.tickets = cls.env["helpdesk.ticket"]
        for index in range(8):
            cls.tickets |= cls._closed_ticket(start + timedelta(hours=index))
        cls.admin = new_test_user(
            cls.env,
            login="cv_admin",
            name="Settings Sam",
            groups="base.group_system,customer_visit.group_visit_manager",
        )

    def _sampled_rule(self):
        return (
            self.env["visit.rule"]
            .with_user(self.manager)
            .create(
                self._rule_vals(
                    domain=f"[('id', 'in', {self.tickets.ids})]",
                    coverage="sample",
                    sample_percent=50,
                    sample_seed=7,
                )
            )
        )

    def test_the_draw_model_decides_a_managers_sampled_rule(self):
        # The manager's generation: the draw model decides, the rule plans
        # only what was drawn.
        generated = self._sampled_rule()
        generated._generate_batch()
        self.assertEqual(len(generated.plan_ids), 4)
        self.assertEqual(generated.sample_ids.mapped("expected"), [4.0])
        self.assertEqual(generated.sample_ids.mapped("drawn_count"), [4])
        # The same decision asked of the draw model directly (same seed and
        # sources): the same records, each with its counter.
        rule = self._sampled_rule()
        sources = self.tickets.with_user(self.manager)
        drawn = rule.env["visit.rule.draw"]._decide(
            rule, sources, rule._reference_dates(sources)
        )
        self.assertEqual(set(drawn), set(generated.plan_ids.mapped("rule_source_id")))
        self.assertEqual({counter.rule_id for counter in drawn.values()}, {rule})
        self.assertEqual(
            (rule.sample_ids.population_count, rule.sample_ids.drawn_count), (8, 4)
        )

    def test_job_workers_setting_syncs_the_worker_jobs(self):
        Cron = self.env["ir.cron"]
        settings = (
            self.env["res.config.settings"]
            .with_user(self.admin)
            .create({"visit_generate_workers": 3})
        )
        settings.execute()
        generate = Cron._visit_generate_jobs()
        dispatch = Cron._visit_dispatch_jobs()
        self.assertEqual(
            generate.filtered("active").mapped("visit_generate_part"), [0, 1, 2]
        )
        self.assertEqual(
            dispatch.filtered("active").mapped("visit_dispatch_part"), [0, 1, 2]
        )
        self.assertEqual(Cron._visit_workers(), 3)
        # Fewer workers: the jobs beyond are switched off, not deleted.
        self.env["res.config.settings"].with_user(self.admin).create(
            {"visit_generate_workers": 1}
        ).execute()
        self.assertEqual(Cron._visit_generate_jobs(), generate)
        self.assertEqual(len(generate.filtered("active")), 1)
        self.assertEqual(len(dispatch.filtered("active")), 1)
        # A visit manager without the Settings right cannot change it.
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(self.manager).create(
                {"visit_generate_workers": 4}
            ).execute()

    def test_the_customer_decides_whether_they_may_be_contacted(self):
        Planner = self.env["visit.planner"]
        self.assertFalse(hasattr(Planner, "_is_opted_out"), "no second copy")
        company = self.env["res.partner"].create(
            {"name": "Hangzhou Steel", "is_company": True}
        )
        contact = self.env["res.partner"].create(
            {"name": "李雷", "parent_id": company.id, "phone": "+86 138 0013 8001"}
        )
        self.assertFalse(contact._visit_opted_out())
        self.assertFalse(self.env["res.partner"]._visit_opted_out(), "no customer")
        # The manager records the company's wish: its contacts are opted out.
        company.with_user(self.manager).do_not_visit = True
        self.assertTrue(contact._visit_opted_out())
        self.assertEqual(Planner._skip_reason(contact), "do_not_visit")
        with self.assertRefused(ValidationError, "asked not to be contacted"):
            self._create_visit(env=self.env(user=self.manager), partner_id=contact.id)

    def test_the_visit_type_decides_who_may_be_assigned(self):
        self.assertFalse(hasattr(self.env["visit.planner"], "_may_do"))
        nurses = self.env["res.groups"].create({"name": "Nurses"})
        nurse = new_test_user(
            self.env,
            login="cv_nurse_owner",
            name="Nurse Na",
            groups="customer_visit.group_visit_user",
        )
        nurse.groups_id |= nurses
        discharge = self.env["visit.type"].create(
            {"name": "Discharge call", "qualified_group_id": nurses.id}
        )
        self.assertTrue(discharge._may_be_assigned(nurse))
        self.assertFalse(discharge._may_be_assigned(self.agent))
        self.assertTrue(self.type_plain._may_be_assigned(self.agent))
        # The manager assigning the visit meets the type's decision.
        Visits = self.env(user=self.manager)
        with self.assertRefused(ValidationError, "only members of"):
            self._create_visit(env=Visits, type_id=discharge.id, user_id=self.agent.id)
        visit = self._create_visit(env=Visits, type_id=discharge.id, user_id=nurse.id)
        self.assertEqual(visit.user_id, nurse)
