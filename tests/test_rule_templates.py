from odoo.tests import Form, tagged

from .common import VisitCommon

TEMPLATES = ("repair", "sale", "complaint", "discharge", "new_policy", "annual")


@tagged("post_install", "-at_install")
class TestRuleTemplates(VisitCommon):
    """A manager starts a rule from a template and reads it in plain words;
    names are read in the reader's language."""

    def test_every_template_makes_a_rule_that_saves(self):
        cadences = {
            "repair": ["2 hours", "3 months"],
            "sale": ["2 hours", "2 days", "7 days", "1 months", "3 months"],
            "complaint": ["1 days"],
            "discharge": ["3 days", "7 days", "30 days"],
            "new_policy": ["1 days"],
            "annual": ["12 months"],
        }
        for key in TEMPLATES:
            with self.subTest(key):
                form = Form(self.env["visit.rule"])
                form.template_id = self.env.ref(
                    f"customer_visit.visit_rule_template_{key}"
                )
                if key == "new_policy":
                    form.team_id = self.env["crm.team"].create(
                        {"name": "Callers", "member_ids": [(6, 0, self.agent_2.ids)]}
                    )
                rule = form.save()
                self.assertEqual(
                    [f"{step.delay} {step.delay_unit}" for step in rule.step_ids],
                    cadences[key],
                )
                self.assertTrue(rule.summary.endswith("."))
        new_policy = self.env["visit.rule"].search(
            [("name", "=", "After a new policy")]
        )
        self.assertTrue(new_policy.exclude_salesperson)
        self.assertEqual(new_policy.step_ids.deadline_delay, 15)

    def test_the_rule_in_plain_words(self):
        form = Form(self.env["visit.rule"])
        form.name = "Repairs of Hangzhou"
        form.template_id = self.env.ref("customer_visit.visit_rule_template_repair")
        form.coverage = "sample"
        form.sample_percent = 5
        form.assignment = "user"
        form.user_id = self.agent
        form.exclude_salesperson = True
        rule = form.save()
        self.assertEqual(rule.name, "Repairs of Hangzhou", "a name typed first is kept")
        self.assertEqual(
            rule.summary,
            "Phone call 2 hours after Closed Date, done within 24 hours; then Phone "
            "call "
            "3 months after Closed Date; 5 % of each month's records; never the "
            "salesperson.",
        )
        self.assertFalse(rule.has_exclusions)
        rule.exclude_domain = "[('priority', '=', '3')]"
        self.assertTrue(rule.has_exclusions)
        rule.has_exclusions = False
        self.assertEqual(rule.exclude_domain, "[]")

    def test_plan_names_and_to_dos_read_in_the_readers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.type_plain.update_field_translations("name", {"zh_CN": "普通回访"})
        visit = self._create_visit(user_id=self.agent.id)
        plan = visit.plan_id
        self.assertEqual(plan.display_name, "王建国 / Plain call")
        self.assertEqual(
            plan.with_context(lang="zh_CN").display_name, "王建国 / 普通回访"
        )
        self.assertEqual(
            visit._visit_activities().summary, "王建国", "no language-bound words"
        )
