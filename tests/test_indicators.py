from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import VisitCommon
from .test_signature import png_signature


@tagged("post_install", "-at_install")
class TestVisitIndicators(VisitCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_site = cls.env["visit.type"].create({"name": "Site", "default_channel": "onsite"})
        # A company of its own: the figures must not include demo visits.
        cls.company_c = cls.env["res.company"].create({"name": "Indicator Co"})
        (cls.agent | cls.agent_2).write({"company_ids": [Command.link(cls.company_c.id)]})

        def visit(visit_type, user, state, **values):
            rec = cls._create_visit(
                type_id=visit_type.id, user_id=user.id, company_id=cls.company_c.id, **values
            )
            if state in ("done", "failed"):
                rec.action_done()
            elif state == "cancelled":
                rec.action_cancel()
            return rec

        plain, site = cls.type_plain, cls.type_site
        visit(plain, cls.agent, "done", outcome="reached", satisfaction_service="unsatisfied")
        visit(plain, cls.agent, "done", outcome="reached", satisfaction_service="satisfied")
        visit(plain, cls.agent, "failed", outcome="not_reached", unreached_reason="no_answer")
        visit(plain, cls.agent_2, "planned")
        visit(plain, cls.agent_2, "cancelled")
        signed = cls._create_visit(type_id=site.id, user_id=cls.agent.id, outcome="reached",
                                   satisfaction_service="fairly_satisfied",
                                   company_id=cls.company_c.id)
        signed._sign("王建国", png_signature())
        signed.action_done()
        visit(site, cls.agent_2, "done", outcome="reached")
        visit(site, cls.agent_2, "failed", outcome="not_reached", unreached_reason="refused")
        Target = cls.env["visit.target"].with_context(default_company_id=cls.company_c.id)
        Target.create({"indicator": "callback_rate", "type_id": plain.id, "value": 100})
        Target.create({"indicator": "callback_rate", "value": 50})
        Target.create({"indicator": "phone_letter_share", "value": 70})

    def _lines(self):
        today = fields.Date.context_today(self.env["visit.record"])
        wizard = self.env["visit.indicator.wizard"].create(
            {"date_from": today - timedelta(days=1), "date_to": today, "company_id": self.company_c.id}
        )
        return wizard, {(line.indicator, line.label): line for line in wizard.line_ids}

    def test_indicators_match_the_hand_computed_figures(self):
        wizard, lines = self._lines()
        expected = {
            # plain: 4 owed (the cancelled one is not owed), 2 done, 3 attempted
            ("callback_rate", "Plain call"): (50.0, True),
            ("success_rate", "Plain call"): (66.67, False),
            # site: 3 owed, 2 done, 3 attempted
            ("callback_rate", "Site"): (66.67, False),
            ("success_rate", "Site"): (66.67, False),
            # all: 7 owed, 4 done, 6 attempted
            ("callback_rate", "All types"): (57.14, False),
            ("success_rate", "All types"): (66.67, False),
            ("failure_reason", "No answer"): (50.0, False),
            ("failure_reason", "Refused"): (50.0, False),
            # on-site done: 2, signed: 1
            ("signature_share", "On-site visits done"): (50.0, False),
            # phone 4 of 7 visits, cap 70 %
            ("phone_letter_share", "Phone + letter"): (57.14, False),
            # Alice: 3 done of 4; Bob: 1 done of 3
            ("agent_callback_rate", "Agent Alice"): (75.0, False),
            ("agent_callback_rate", "Agent Bob"): (33.33, False),
            # service: unsatisfied 1 + satisfied 4 + fairly 3 over 3 answers
            ("satisfaction", "Service attitude"): (2.67, False),
            # no source documents: 4 done of 7 owed
            ("coverage", "No source document"): (57.14, False),
            # one plan with an unsatisfied visit, no later satisfied round
            ("recovery_rate", "Unsatisfied customers recovered"): (0.0, False),
        }
        for key, (value, missed) in expected.items():
            with self.subTest(indicator=key):
                self.assertIn(key, lines)
                self.assertAlmostEqual(lines[key].value, value, places=2)
                self.assertEqual(lines[key].is_missed, missed)
        self.assertEqual(wizard.missed_count, 1)
        self.assertEqual(lines[("callback_rate", "Plain call")].target, 100.0)
        self.assertEqual(lines[("callback_rate", "Site")].target, 50.0)
        self.assertFalse(lines[("satisfaction", "Product quality")].has_value)
        # The unsatisfied visit waits for its confirmation visit: an open
        # problem since today.
        self.assertEqual(lines[("problem_age", "Oldest open problem (days)")].value, 0)

    def test_recovery_and_problem_age(self):
        unhappy = self._create_visit(
            type_id=self.type_plain.id, company_id=self.company_c.id, outcome="reached",
            satisfaction_result="unsatisfied", problem_description="Refund?",
        )
        unhappy.action_done()
        unhappy.date_done = fields.Datetime.now() - timedelta(days=3)
        second = self._create_visit(
            type_id=self.type_plain.id, company_id=self.company_c.id, plan_id=unhappy.plan_id.id,
            round=2, previous_record_id=unhappy.id, outcome="reached",
            satisfaction_result="satisfied",
        )
        _wizard, lines = self._lines()
        self.assertEqual(lines[("problem_age", "Oldest open problem (days)")].value, 3)
        # plans with an unsatisfied visit: the setup's and this one; recovered: none yet
        self.assertEqual(lines[("recovery_rate", "Unsatisfied customers recovered")].value, 0.0)
        second.action_done()
        _wizard, lines = self._lines()
        self.assertEqual(lines[("recovery_rate", "Unsatisfied customers recovered")].value, 50.0)
        # Left: the setup's unsatisfied visit of today.
        self.assertEqual(lines[("problem_age", "Oldest open problem (days)")].value, 0)

    def test_team_filter_keeps_the_team_members_visits(self):
        team = self.env["crm.team"].create(
            {"name": "Bob's team", "member_ids": [Command.set(self.agent_2.ids)]}
        )
        today = fields.Date.context_today(self.env["visit.record"])
        wizard = self.env["visit.indicator.wizard"].create(
            {"date_from": today, "date_to": today, "company_id": self.company_c.id, "team_id": team.id}
        )
        lines = {(line.indicator, line.label): line for line in wizard.line_ids}
        # Bob: 1 done of 3 owed (planned plain, done site, failed site)
        self.assertAlmostEqual(lines[("callback_rate", "All types")].value, 33.33, places=2)
        self.assertNotIn(("agent_callback_rate", "Agent Alice"), lines)

    def test_empty_period_gives_no_data_not_a_division_by_zero(self):
        wizard = self.env["visit.indicator.wizard"].create(
            {"date_from": "2001-01-01", "date_to": "2001-01-31", "company_id": self.company_c.id}
        )
        by_key = {(line.indicator, line.label): line for line in wizard.line_ids}
        self.assertFalse(by_key[("callback_rate", "All types")].has_value)
        self.assertFalse(by_key[("signature_share", "On-site visits done")].has_value)
        self.assertEqual(by_key[("overdue", "Overdue visits")].value, 0)
        self.assertEqual(wizard.missed_count, 0)

    def test_bad_targets_and_periods_are_refused(self):
        target = self.env["visit.target"].search(
            [("indicator", "=", "phone_letter_share"), ("company_id", "=", self.company_c.id)]
        )
        for value in (150, -1):
            with self.assertRefused(ValidationError, "from 0 to 100"):
                target.value = value
        with self.assertRefused(UserError, "ends before it starts"):
            self.env["visit.indicator.wizard"].create(
                {"date_from": "2026-02-01", "date_to": "2026-01-01"}
            )

    def test_dashboard_form_opens_for_managers(self):
        form = Form(self.env["visit.indicator.wizard"].with_user(self.manager))
        wizard = form.save()
        self.assertTrue(wizard.line_ids)
