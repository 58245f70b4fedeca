from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestBatchWizard(VisitCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cn = cls.env.ref("base.cn")
        Partner = cls.env["res.partner"]
        cls.p_ok = Partner.create(
            {"name": "OK 1", "mobile": "+86 138 0013 8001", "country_id": cn.id}
        )
        cls.p_ok2 = Partner.create(
            {"name": "OK 2", "mobile": "13800138002", "country_id": cn.id}
        )
        cls.p_ok3 = Partner.create(
            {"name": "OK 3", "phone": "+86 21 6888 8888", "country_id": cn.id}
        )
        cls.p_invalid = Partner.create(
            {"name": "Bad phone", "mobile": "12345", "country_id": cn.id}
        )
        cls.p_missing = Partner.create({"name": "No phone", "country_id": cn.id})
        cls.p_dnv = Partner.create(
            {"name": "Leave me", "mobile": "+86 138 0013 8003", "do_not_visit": True}
        )
        cls.agent_3 = new_test_user(
            cls.env,
            login="cv_agent3",
            name="Agent Carl",
            groups="customer_visit.group_visit_user",
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Call centre",
                "member_ids": [
                    Command.set((cls.agent | cls.agent_2 | cls.agent_3).ids)
                ],
            }
        )
        cls.orders = cls.env["sale.order"]
        for partner, salesperson in [
            (cls.p_ok, cls.agent),
            (cls.p_ok2, cls.agent_2),
            (cls.p_ok3, cls.agent),
            (cls.p_invalid, cls.agent),
            (cls.p_missing, cls.agent),
            (cls.p_dnv, cls.agent),
        ]:
            cls.orders |= cls.env["sale.order"].create(
                {"partner_id": partner.id, "user_id": salesperson.id}
            )
        cls.orders.action_confirm()

    def _wizard(self, records=None, **values):
        records = records if records is not None else self.orders
        wizard = Form(
            self.env["visit.batch.wizard"]
            .with_user(self.manager)
            .with_context(active_model=records._name, active_ids=records.ids)
        )
        wizard.type_id = self.type_plain
        for name, value in values.items():
            setattr(wizard, name, value)
        return wizard.save()

    def _skips(self, wizard):
        return {
            line.reason: line.count for line in wizard.line_ids if line.kind == "skip"
        }

    def _per_user(self, wizard):
        return {
            line.user_id: line.count
            for line in wizard.line_ids
            if line.kind == "assignee"
        }

    def test_preview_counts_and_skip_reasons_write_nothing(self):
        self._create_visit(
            partner_id=self.p_ok3.id,
            sale_order_id=self.orders[2].id,
            type_id=self.type_plain.id,
        )
        before = self.env["visit.record"].search_count([])
        wizard = self._wizard()
        self.assertEqual(wizard.selected_count, 6)
        wizard.action_preview()
        self.assertEqual(wizard.state, "preview")
        self.assertEqual(wizard.to_create_count, 2)
        self.assertEqual(wizard.skipped_count, 4)
        self.assertEqual(
            self._skips(wizard),
            {"invalid_phone": 1, "no_phone": 1, "do_not_visit": 1, "open_visit": 1},
        )
        names = wizard.line_ids.filtered(
            lambda line: line.reason == "invalid_phone"
        ).record_names
        self.assertEqual(names, self.orders[3].display_name)
        self.assertEqual(self._per_user(wizard), {self.agent: 1, self.agent_2: 1})
        self.assertEqual(self.env["visit.record"].search_count([]), before)

    def test_confirm_creates_visits_with_links_and_activities(self):
        wizard = self._wizard(deadline_days=2)
        wizard.action_preview()
        action = wizard.action_confirm()
        visits = self.env["visit.record"].search(action["domain"])
        self.assertEqual(len(visits), 3)
        self.assertEqual(visits.sale_order_id, self.orders[:3])
        self.assertEqual(
            visits.mapped("partner_id"), self.p_ok | self.p_ok2 | self.p_ok3
        )
        for visit in visits:
            self.assertEqual(visit.user_id, visit.sale_order_id.user_id)
            self.assertEqual(visit.activity_ids.user_id, visit.user_id)
            self.assertEqual((visit.deadline - visit.scheduled_date).days, 2)
            self.assertTrue(visit.plan_id)

    def test_email_channel_does_not_skip_bad_phones(self):
        wizard = self._wizard(channel="email")
        wizard.action_preview()
        self.assertEqual(self._skips(wizard), {"do_not_visit": 1})
        self.assertEqual(wizard.to_create_count, 5)

    def test_sample_is_reproducible_and_capped(self):
        partners = self.env["res.partner"].create(
            [
                {"name": f"Resident {i}", "mobile": f"+86 138 0013 {8100 + i}"}
                for i in range(40)
            ]
        )
        first = self._wizard(partners, sample_percent=25.0, sample_seed=42)
        first.action_preview()
        self.assertEqual(first.to_create_count, 10)
        self.assertEqual(self._skips(first), {"not_sampled": 30})
        capped = self._wizard(
            partners, sample_percent=25.0, sample_cap=4, sample_seed=42
        )
        capped.action_preview()
        self.assertEqual(capped.to_create_count, 4)
        drawn = (
            self.env["visit.record"].search(first.action_confirm()["domain"]).partner_id
        )
        again = self._wizard(
            partners, sample_percent=25.0, sample_seed=42, skip_open_visits=False
        )
        planned, _skipped = again._plan()
        self.assertEqual(
            sorted(partner.id for _src, partner, _user in planned), sorted(drawn.ids)
        )
        other_seed = self._wizard(
            partners, sample_percent=25.0, sample_seed=7, skip_open_visits=False
        )
        planned, _skipped = other_seed._plan()
        self.assertNotEqual(
            sorted(partner.id for _src, partner, _user in planned), sorted(drawn.ids)
        )

    def test_round_robin_spreads_and_never_gives_the_salesperson(self):
        wizard = self._wizard(
            channel="email",
            assignment="round_robin",
            team_id=self.team,
            exclude_salesperson=True,
        )
        planned, _skipped = wizard._plan()
        self.assertEqual(len(planned), 5)
        for source, _partner, user in planned:
            self.assertNotEqual(user, source.user_id)
        self.assertLessEqual(
            max(
                list(map(lambda p: p[2], planned)).count(u)
                for u in self.team.member_ids
            ),
            3,
        )

    def test_least_loaded_prefers_the_agent_with_fewest_open_visits(self):
        for _i in range(3):
            self._create_visit(user_id=self.agent.id)
        self._create_visit(user_id=self.agent_2.id)
        wizard = self._wizard(
            channel="email", assignment="least_loaded", team_id=self.team
        )
        wizard.action_preview()
        # Loads 3 / 1 / 0: Carl gets three, Bob two, Alice none.
        self.assertEqual(self._per_user(wizard), {self.agent_3: 3, self.agent_2: 2})

    def test_independence_with_a_single_user_skips_their_own_orders(self):
        wizard = self._wizard(
            channel="email",
            assignment="user",
            user_id=self.agent,
            exclude_salesperson=True,
        )
        wizard.action_preview()
        self.assertEqual(self._skips(wizard)["no_assignee"], 4)
        self.assertEqual(self._per_user(wizard), {self.agent: 1})

    def test_keep_owner_with_independence_is_refused(self):
        wizard = self._wizard()
        wizard.exclude_salesperson = True  # hidden in the form, possible by RPC
        with self.assertRefused(UserError, "independent"):
            wizard.action_preview()

    def test_team_without_active_users_is_refused(self):
        empty = self.env["crm.team"].create(
            {"name": "Empty team", "member_ids": [Command.clear()]}
        )
        wizard = self._wizard(assignment="round_robin", team_id=empty)
        with self.assertRefused(UserError, "no active user"):
            wizard.action_preview()

    def test_all_skipped_batch_is_refused_and_leaves_nothing(self):
        wizard = self._wizard(self.orders[3:])
        before = self.env["visit.record"].search_count([])
        with self.assertRefused(UserError, "all 3 selected records are skipped"):
            wizard.action_confirm()
        self.assertEqual(self.env["visit.record"].search_count([]), before)

    def test_empty_selection_is_refused(self):
        wizard = self._wizard(self.env["sale.order"].browse())
        wizard.source_domain = "[('id', '=', 0)]"
        with self.assertRefused(UserError, "No records selected"):
            wizard.action_preview()

    def test_failed_batch_leaves_no_visit_behind(self):
        self.p_ok3.write({"company_id": self.company_b.id})
        wizard = self._wizard(channel="email")
        before = self.env["visit.record"].search_count([])
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertEqual(self.env["visit.record"].search_count([]), before)

    def test_bad_percentage_is_refused(self):
        for percent in (0.0, 120.0, -5.0):
            wizard = self._wizard(sample_percent=percent)
            with self.assertRefused(UserError, "percentage"):
                wizard.action_preview()

    def test_domain_from_the_menu(self):
        wizard = Form(self.env["visit.batch.wizard"].with_user(self.manager))
        wizard.source_model = "res.partner"
        wizard.source_domain = f"[('id', 'in', {(self.p_ok | self.p_missing).ids})]"
        wizard.type_id = self.type_plain
        wizard = wizard.save()
        self.assertEqual(wizard.selected_count, 2)
        wizard.action_preview()
        self.assertEqual(wizard.to_create_count, 1)
        self.assertEqual(self._skips(wizard), {"no_phone": 1})

    def test_batch_query_count_does_not_grow_with_the_batch(self):
        partners = self.env["res.partner"].create(
            [
                {"name": f"Q {i}", "mobile": f"+86 138 0013 {8200 + i}"}
                for i in range(45)
            ]
        )

        def queries_for(records):
            wizard = self._wizard(
                records, channel="email", assignment="user", user_id=self.agent
            )
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            wizard.action_confirm()
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        small = queries_for(partners[:5])
        large = queries_for(partners[5:])
        # 8 times more visits, (almost) the same number of queries.
        self.assertLess(large - small, 10, f"{small} queries for 5, {large} for 40")
