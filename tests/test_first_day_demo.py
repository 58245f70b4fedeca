from unittest.mock import patch

import pytz

from odoo.tests import Form, tagged

from ..models.const import ASPECT_FIELDS
from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestFirstDayDemo(VisitCommon):
    """The demo database a new company opens first: a UTC+8 company whose
    visits are plausible and complete."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        data = cls.env["ir.model.data"].search(
            [("module", "=", "customer_visit"), ("model", "=", "visit.record")]
        )
        cls.demo_visits = cls.env["visit.record"].browse(data.mapped("res_id"))

    def test_demo_company_calls_in_beijing_time(self):
        company = self.env.ref("base.main_company")
        self.assertEqual(company.resource_calendar_id.tz, "Asia/Shanghai")
        self.assertEqual(company._visit_tz().zone, "Asia/Shanghai")
        # Its people too: the back office shows their visits at those times.
        for xmlid in ("base.user_admin", "base.user_demo"):
            self.assertEqual(self.env.ref(xmlid).tz, "Asia/Shanghai", xmlid)

    def test_demo_visits_are_placed_inside_calling_hours(self):
        self.assertGreater(len(self.demo_visits), 10)
        tz = pytz.timezone("Asia/Shanghai")
        for visit in self.demo_visits:
            local = pytz.utc.localize(visit.scheduled_date).astimezone(tz)
            with self.subTest(visit=visit.name):
                self.assertTrue(8 <= local.hour < 18, local)

    def test_demo_visit_in_progress_started_after_its_order(self):
        visit = self.env.ref("customer_visit.demo_visit_after_sale_progress")
        self.assertEqual(visit.state, "in_progress")
        self.assertLess(visit.sale_order_id.date_order, visit.scheduled_date)

    def test_unsatisfied_demo_visit_has_its_complaint_ticket(self):
        visit = self.env.ref("customer_visit.demo_visit_complaint_unsatisfied")
        self.assertEqual(visit.state, "done")
        self.assertTrue(visit.is_unsatisfied)
        ticket = visit.sudo().complaint_ticket_ids
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.team_id, visit.type_id.complaint_team_id)
        self.assertIn("partial refund", ticket.description)

    def test_done_demo_visits_have_their_answers(self):
        done = self.demo_visits.filtered(lambda visit: visit.state == "done")
        self.assertGreaterEqual(len(done), 4)
        for visit in done:
            with self.subTest(visit=visit.name):
                items = visit.answer_ids.filtered(lambda a: not a.question_id.aspect)
                self.assertEqual(
                    items.question_id,
                    visit.type_id.question_ids.filtered(lambda q: not q.aspect),
                )
                # Every item is answered, but a conditional one not asked.
                self.assertTrue(
                    all(
                        a._has_value()
                        or a.is_skipped
                        and a.question_id.condition_question_id
                        for a in items
                    )
                )
                # The aspects rated are answers of the type's aspect items.
                for answer in visit.answer_ids - items:
                    fname = ASPECT_FIELDS[answer.question_id.aspect]
                    self.assertEqual(answer.value_level, visit[fname])

    def test_failed_demo_visit_used_every_attempt_its_type_allows(self):
        failed = self.demo_visits.filtered(lambda visit: visit.state == "failed")
        self.assertTrue(failed)
        for visit in failed:
            self.assertEqual(visit.attempt_count, visit.type_id.max_attempts)

    def test_demo_rule_keeps_its_exclusion_in_the_qualifying_domain(self):
        rule = self.env.ref("customer_visit.demo_rule_repair")
        self.assertIn("('partner_id', '!=', False)", rule.domain)
        self.assertIn(rule.exclude_domain, (False, "[]"))

    def test_relationship_type_reads_relationship_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["customer_visit"], ["zh_CN"], overwrite=True
        )
        visit_type = self.env.ref("customer_visit.visit_type_relationship")
        self.assertEqual(visit_type.with_context(lang="zh_CN").name, "关系维护回访")

    def test_demo_dental_card_reads_in_chinese(self):
        dental = self.env.ref("customer_visit.demo_type_dental").with_context(
            lang="zh_CN"
        )
        self.assertEqual(dental.name, "牙科回访")
        self.assertEqual(
            dental.question_ids.sorted("sequence")[0].name, "是否安装了牙冠？"
        )
        # The English wording stays the source.
        self.assertEqual(dental.with_context(lang="en_US").name, "Dental follow-up")

    def test_batch_of_one_visit_says_so_in_the_singular(self):
        partner = self.env.ref("customer_visit.demo_partner_li")
        wizard = Form(
            self.env["visit.batch.wizard"].with_context(
                active_model="res.partner", active_ids=partner.ids
            )
        )
        wizard.type_id = self.env.ref("customer_visit.visit_type_survey")
        wizard.assignment = "user"
        wizard.user_id = self.env.ref("base.user_demo")
        wizard = wizard.save()
        wizard.action_preview()
        sent = []
        Users = type(self.env["res.users"])
        with patch.object(
            Users, "_bus_send", lambda _self, kind, payload, **kw: sent.append(payload)
        ):
            wizard.action_confirm()
        self.assertEqual(
            sent[-1]["message"],
            "1 Satisfaction survey visit created for 1 agent; 0 records skipped.",
        )
