from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestHouseTemplates(VisitCommon):
    """Rule templates are records a company edits and translates: a rule
    made from one gets what the company wrote, only managers write them,
    and a company's own templates are offered to that company only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.repair = cls.env.ref("customer_visit.visit_rule_template_repair")

    def test_a_managers_edits_reach_the_rules_made_from_the_template(self):
        template = self.repair.with_user(self.manager)
        template.write(
            {
                "name": "After a repair (Hangzhou)",
                "step_ids": [Command.update(template.step_ids[0].id, {"delay": 4})],
            }
        )
        template.with_context(lang="zh_CN").name = "维修后回访（杭州）"
        form = Form(self.env["visit.rule"].with_user(self.manager))
        form.template_id = self.repair
        rule = form.save()
        self.assertEqual(rule.template_id, self.repair)
        self.assertEqual(rule.name, "After a repair (Hangzhou)")
        self.assertEqual(
            [(step.delay, step.delay_unit) for step in rule.step_ids],
            [(4, "hours"), (3, "months")],
        )
        self.assertEqual(rule.step_ids[0].deadline_delay, 24)
        self.assertEqual(rule.model_name, "helpdesk.ticket")
        self.assertEqual(rule.domain, "[('stage_id.closed', '=', True)]")
        # The manager working in Chinese gets the Chinese name.
        form = Form(
            self.env["visit.rule"].with_user(self.manager).with_context(lang="zh_CN")
        )
        form.template_id = self.repair
        rule = form.save()
        self.assertEqual(rule.with_context(lang="zh_CN").name, "维修后回访（杭州）")
        self.assertEqual(rule.step_ids[0].delay, 4)

    def test_a_name_typed_first_is_kept_another_templates_is_not(self):
        form = Form(self.env["visit.rule"].with_user(self.manager))
        form.template_id = self.env.ref("customer_visit.visit_rule_template_sale")
        form.template_id = self.repair
        self.assertEqual(form.name, "After a repair")
        form.name = "Repairs of Hangzhou"
        form.template_id = self.env.ref("customer_visit.visit_rule_template_complaint")
        self.assertEqual(form.name, "Repairs of Hangzhou")
        self.assertEqual(len(form.step_ids), 1)

    def test_an_agent_reads_templates_and_cannot_edit_them(self):
        template = self.repair.with_user(self.agent)
        self.assertEqual(template.name, "After a repair")
        with self.assertRaises(AccessError):
            template.write({"name": "Mine"})
        with self.assertRaises(AccessError):
            template.step_ids[0].write({"delay": 9})
        with self.assertRaises(AccessError):
            self.env["visit.rule.template"].with_user(self.agent).create(
                {"name": "Mine", "model_id": self.repair.model_id.id}
            )

    def test_a_template_filter_is_checked_as_a_rules(self):
        template = self.repair.with_user(self.manager)
        with self.assertRefused(ValidationError, "does not work"):
            template.domain = "[('user_id', '=', user.id)]"
        with self.assertRefused(ValidationError, "does not work"):
            template.domain = "[('no_such_field', '=', 1)]"
        template.domain = "[('priority', '=', '3')]"
        self.assertEqual(template.domain, "[('priority', '=', '3')]")

    def test_a_template_of_company_b_is_not_offered_to_company_a(self):
        own = (
            self.env["visit.rule.template"]
            .with_user(self.manager_b)
            .create(
                {
                    "name": "B's repairs",
                    "company_id": self.company_b.id,
                    "model_id": self.repair.model_id.id,
                    "step_ids": [
                        Command.create({"type_id": self.type_repair.id, "delay": 2})
                    ],
                }
            )
        )
        offered_b = self.env["visit.rule.template"].with_user(self.manager_b)
        self.assertIn(own.id, [id_ for id_, _name in offered_b.name_search("")])
        Templates = self.env["visit.rule.template"].with_user(self.manager)
        offered = [id_ for id_, _name in Templates.name_search("")]
        self.assertIn(self.repair.id, offered, "shared templates are offered")
        self.assertNotIn(own.id, offered)
        with self.assertRaises(AccessError):
            own.with_user(self.manager).read(["name"])
