"""Filters are data, never code: rules and the batch wizard as a Follow-ups
manager who is not a Settings administrator would attack them."""

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.migration import load_script
from odoo.tests import Form, tagged

from .common import VisitCommon

literal_filters = load_script(
    "customer_visit/migrations/18.0.1.5.0/post-10-literal-filters.py",
    "customer_visit_literal_filters",
)


@tagged("post_install", "-at_install")
class TestRuleFilters(VisitCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["visit.rule"].with_user(cls.manager)
        cls.group_system = cls.env.ref("base.group_system")

    def _manager_rule(self, **values):
        return self.Rule.create(self._rule_vals(**values))

    def test_a_filter_calling_user_sudo_is_refused_and_changes_nobody(self):
        attack = (
            "[('id', '=', user.sudo().write({'groups_id': [(4, %s)]}) and 1)]"
            % self.group_system.id
        )
        with self.assertRefused(ValidationError, "names, calls and expressions"):
            self._manager_rule(domain=attack)
        rule = self._manager_rule()
        for field in ("domain", "exclude_domain"):
            with self.assertRefused(ValidationError, "not allowed"):
                rule.write({field: attack})
        self.manager.invalidate_recordset()
        self.assertNotIn(self.group_system, self.manager.groups_id)
        self.assertFalse(self.manager.has_group("base.group_system"))

    def test_a_filter_reading_the_database_secret_shows_nothing_of_it(self):
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        attack = (
            "[('name', '=', user.sudo().env['ir.config_parameter']"
            ".get_param('database.secret'))]"
        )
        with self.assertRaises(ValidationError) as caught:
            with self.env.cr.savepoint():
                self._manager_rule(domain=attack)
        self.assertNotIn(secret, str(caught.exception))

    def test_time_expressions_are_not_literal_domains(self):
        for text in (
            "[('closed_date', '>=', context_today().strftime('%Y-%m-%d'))]",
            "[('user_id', '=', uid)]",
            "[('id', 'in', [x for x in range(3)])]",
            "{'a': 1}",
            "[('name', 'not an operator', 1)]",
            "['|', ('id', '=', 1)]",
        ):
            with self.subTest(text=text):
                with self.assertRefused(ValidationError, "does not work"):
                    self._manager_rule(domain=text)

    def test_a_literal_domain_is_saved_and_applied(self):
        rule = self._manager_rule(
            domain="['|', ('stage_id.closed', '=', True), ('id', 'in', [1, 2])]",
            exclude_domain='[("name", "ilike", "anonymous")]',
        )
        self.assertEqual(rule.filter_user_id, self.manager)
        self.assertIn(("name", "ilike", "anonymous"), rule._qualifying_domain())

    def test_filters_are_checked_with_the_managers_own_rights(self):
        # A field or a path into a model the manager may not read is
        # refused when saved.
        for text in (
            "[('partner_id.signup_type', '=', 'reset')]",
            "[('create_uid.groups_id.model_access.perm_read', '=', True)]",
        ):
            with self.subTest(text=text):
                with self.assertRefused(ValidationError, "does not work"):
                    self._manager_rule(domain=text)
        # So is a rule on anything but documents follow-ups are made for.
        for model in ("res.users", "res.users.apikeys", "ir.config_parameter"):
            with self.subTest(model=model):
                with self.assertRefused(ValidationError, "a rule applies to"):
                    self._manager_rule(
                        model_id=self.env["ir.model"]._get_id(model),
                        date_field_id=False,
                    )

    def test_the_population_of_a_cap_is_counted_with_the_managers_rights(self):
        param = self.env["ir.model"]._get("ir.config_parameter")
        with self.assertRefused(ValidationError, "may not read the records"):
            self._manager_rule(
                coverage="sample",
                sample_percent=50,
                sample_cap_percent=10,
                sample_cap_model_id=param.id,
                sample_cap_domain="[('key', '=like', 'database.secret')]",
            )
        partners = self.env["res.partner"]
        rule = self._manager_rule(
            coverage="sample",
            sample_percent=50,
            sample_cap_percent=10,
            sample_cap_model_id=self.env["ir.model"]._get_id("res.partner"),
            sample_cap_domain="[('name', '=like', 'Household %')]",
        )
        partners.create(
            [{"name": f"Household {n}"} for n in range(3)]
            + [
                {"name": f"Household of B {n}", "company_id": self.company_b.id}
                for n in range(4)
            ]
        )
        # The Generate job runs as superuser; the count is the manager's.
        self.assertEqual(rule.sudo()._population_count(), 3)
        self.assertEqual(rule.with_user(self.manager)._population_count(), 3)

    def test_agents_read_neither_the_filters_nor_the_seed(self):
        rule = self._manager_rule(
            coverage="sample",
            sample_percent=50,
            exclude_domain="[('name', 'ilike', 'anonymous')]",
        )
        agent_rule = rule.with_user(self.agent)
        for fname in (
            "domain",
            "exclude_domain",
            "sample_seed",
            "sample_cap_domain",
            "stratum_field_id",
            "filter_user_id",
        ):
            with self.subTest(field=fname):
                with self.assertRaises(AccessError):
                    agent_rule.read([fname])
        self.assertEqual(agent_rule.read(["name"])[0]["name"], rule.name)
        # The form opens for an agent (a visit links to its rule).
        form = Form(agent_rule)
        self.assertTrue(form.summary)
        arch = agent_rule.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn('name="sample_seed"', arch)
        self.assertNotIn('name="exclude_domain"', arch)

    def test_generation_finds_only_what_the_filters_author_may_read(self):
        # A private chat between the administrator and the customer.
        channel = self.env["discuss.channel"].create(
            {
                "name": "Payroll",
                "channel_type": "group",
                "channel_member_ids": [
                    Command.create({"partner_id": self.customer.id}),
                    Command.create({"partner_id": self.env.user.partner_id.id}),
                ],
            }
        )
        channel.message_post(body="salary=98765", message_type="comment")
        partner_model = self.env["ir.model"]._get_id("res.partner")
        oracle = self._manager_rule(
            model_id=partner_model,
            date_field_id=False,
            domain="[('channel_ids.message_ids.body', 'ilike', 'salary=9')]",
        )
        control = self._manager_rule(
            name="Control",
            model_id=partner_model,
            date_field_id=False,
            domain=f"[('id', '=', {self.customer.id})]",
        )
        # The Generate job runs as superuser.
        (oracle | control).sudo()._generate_batch()
        (oracle | control).sudo()._generate_batch()
        self.assertFalse(oracle.plan_ids)
        self.assertEqual(control.plan_ids.partner_id, self.customer)

    def test_who_set_the_filters_is_recorded_never_given(self):
        rule = self._manager_rule()
        rule.write({"filter_user_id": self.agent.id, "name": "Renamed"})
        self.assertEqual(rule.filter_user_id, self.manager)
        other = self.env["res.users"].create(
            {
                "name": "Second manager",
                "login": "cv_second_manager",
                "groups_id": [
                    Command.set(
                        [
                            self.env.ref("customer_visit.group_visit_manager").id,
                            self.env.ref("helpdesk_mgmt.group_helpdesk_user").id,
                        ]
                    )
                ],
            }
        )
        rule.with_user(other).domain = "[('stage_id.closed', '=', True)]"
        self.assertEqual(rule.filter_user_id, other)

    def test_the_upgrade_switches_off_rules_whose_filters_are_code(self):
        rule = self._manager_rule()
        # A rule saved by the previous version, with an expression.
        self.env.cr.execute(
            "UPDATE visit_rule SET exclude_domain = %s WHERE id = %s",
            ["[('user_id', '=', uid)]", rule.id],
        )
        rule.invalidate_recordset()
        literal_filters.migrate(self.env.cr, "18.0.1.4.0")
        rule.invalidate_recordset()
        self.assertFalse(rule.active)
        self.assertEqual(rule.exclude_domain, "[('user_id', '=', uid)]")
        self.assertIn("Exclusions", rule.message_ids[:1].body)

    def test_the_batch_wizard_reads_a_literal_domain_only(self):
        wizard = (
            self.env["visit.batch.wizard"]
            .with_user(self.manager)
            .create(
                {
                    "source_model": "res.partner",
                    "source_domain": f"[('id', '=', {self.customer.id})]",
                    "type_id": self.type_plain.id,
                }
            )
        )
        self.assertEqual(wizard._get_sources(), self.customer)
        wizard.source_domain = "[('id', '=', user.sudo().id)]"
        with self.assertRefused(UserError, "filter does not work"):
            wizard._get_sources()


@tagged("post_install", "-at_install")
class TestRuleAudit(VisitCommon):
    def test_a_rule_that_planned_is_archived_never_deleted(self):
        rule = self.env["visit.rule"].create(self._rule_vals())
        self._closed_ticket(self.now)
        rule._generate_batch()
        self.assertTrue(rule.plan_ids)
        with self.assertRefused(UserError, "Archive them instead"):
            rule.with_user(self.manager).unlink()
        rule.with_user(self.manager).active = False
        self.assertTrue(rule.exists())
        unused = self.env["visit.rule"].create(self._rule_vals(name="Unused"))
        unused.with_user(self.manager).unlink()
        self.assertFalse(unused.exists())

    def test_removing_the_reference_date_field_switches_the_rule_off(self):
        field = self.env["ir.model.fields"].create(
            {
                "name": "x_installed_on",
                "field_description": "Installed on",
                "model_id": self.env["ir.model"]._get_id("helpdesk.ticket"),
                "ttype": "date",
            }
        )
        rule = self.env["visit.rule"].create(self._rule_vals(date_field_id=field.id))
        field.unlink()
        self.assertTrue(rule.exists())
        self.assertFalse(rule.active)
        self.assertIn("Installed on", rule.message_ids[:1].body)

    def test_a_type_with_visits_is_archived_never_deleted(self):
        self._create_visit(user_id=self.agent.id)
        with self.assertRefused(UserError, "archive them"):
            self.type_plain.with_user(self.manager).unlink()
        self.type_plain.with_user(self.manager).active = False
        self.assertTrue(self.type_plain.exists())
        unused = self.env["visit.type"].create({"name": "Unused"})
        unused.with_user(self.manager).unlink()
        self.assertFalse(unused.exists())

    def test_agents_cannot_delete_or_rewrite_rules(self):
        rule = self.env["visit.rule"].create(self._rule_vals())
        with self.assertRaises(AccessError):
            rule.with_user(self.agent).write({"domain": "[]"})
        with self.assertRaises(AccessError):
            rule.with_user(self.agent).unlink()
