from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, common, new_test_user, tagged

from .common import calling_hours
from .test_signature import png_signature

# Odoo waits 10 s (100 x 0.1 s) for Chromium's devtools port, then skips the
# tour. A cold first start on a loaded 2-core machine can take longer: wait
# up to 60 s (a browser that starts in time is not slowed down).
common.CHECK_BROWSER_ITERATIONS = max(common.CHECK_BROWSER_ITERATIONS, 600)


@tagged("post_install", "-at_install")
class TestVisitTour(HttpCase):
    def test_partner_schedule_and_complete_visit(self):
        new_test_user(
            self.env,
            login="cv_tour",
            name="Tour Sales Rep",
            groups="customer_visit.group_visit_user,base.group_partner_manager",
        )
        partner = self.env["res.partner"].create(
            {"name": "Tour Customer", "phone": "+33 6 12 34 56 78"}
        )
        self.env["visit.type"].create({"name": "Tour call", "default_channel": "phone"})
        self.start_tour(
            f"/odoo/action-contacts.action_contacts/{partner.id}",
            "customer_visit_partner_tour",
            login="cv_tour",
        )
        visit = self.env["visit.record"].search([("partner_id", "=", partner.id)])
        self.assertEqual(len(visit), 1)
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.outcome, "reached")
        self.assertEqual(visit.satisfaction_result, "satisfied")
        self.assertEqual(visit.opinion, "Very happy with the installation")
        self.assertEqual(visit.attempt_ids.result, "reached")

    def test_agent_logs_a_due_call_from_my_visits(self):
        agent = new_test_user(
            self.env,
            login="cv_tour_agent",
            name="Tour Agent",
            groups="customer_visit.group_visit_user",
        )
        partner = self.env["res.partner"].create(
            {
                "name": "Tour Caller",
                "mobile": "+86 138 0013 8000",
                "country_id": self.env.ref("base.cn").id,
            }
        )
        visit_type = self.env["visit.type"].create(
            {
                "name": "Tour script call",
                "question_ids": [
                    Command.create(
                        {
                            "name": "Works fine?",
                            "answer_kind": "yes_no",
                            "is_required": True,
                        }
                    )
                ],
            }
        )
        now = fields.Datetime.now()
        # The nearest deadline comes first, even when scheduled earlier.
        visit, later = self.env["visit.record"].create(
            [
                {
                    "partner_id": partner.id,
                    "type_id": visit_type.id,
                    "user_id": agent.id,
                    "scheduled_date": now - timedelta(hours=hours_ago),
                    "deadline": now + deadline,
                }
                for hours_ago, deadline in (
                    (2, timedelta(hours=1)),
                    (1, timedelta(days=2)),
                )
            ]
        )
        self.start_tour(
            "/odoo/action-customer_visit.visit_record_action_my",
            "customer_visit_agent_call_tour",
            login="cv_tour_agent",
        )
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.satisfaction_service, "fairly_satisfied")
        self.assertEqual(
            visit.answer_ids.filtered(lambda a: not a.question_id.aspect).value_yes_no,
            "yes",
        )
        self.assertEqual(visit.opinion, "Engineer was friendly")
        self.assertEqual(later.state, "planned")

    def test_manager_launches_a_batch_from_sale_orders(self):
        manager = new_test_user(
            self.env,
            login="cv_tour_manager",
            name="Tour Manager",
            groups="customer_visit.group_visit_manager,sales_team.group_sale_salesman_all_leads",
        )
        company = self.env["res.partner"].create(
            {"name": "Batch Tour Co", "is_company": True}
        )
        people = self.env["res.partner"].create(
            [
                {
                    "name": f"Batch Tour Co, {name}",
                    "parent_id": company.id,
                    "mobile": "+33 6 12 34 56 7%d" % i,
                    "country_id": self.env.ref("base.fr").id,
                    "do_not_visit": i == 2,
                }
                for i, name in enumerate(["Anne", "Bruno", "Chloé"])
            ]
        )
        orders = self.env["sale.order"].create(
            [{"partner_id": person.id, "user_id": manager.id} for person in people]
        )
        orders.action_confirm()
        self.env["visit.type"].create(
            {"name": "Tour batch call", "default_channel": "phone"}
        )
        self.start_tour(
            "/odoo/action-sale.action_orders",
            "customer_visit_batch_tour",
            login="cv_tour_manager",
        )
        visits = self.env["visit.record"].search([("sale_order_id", "in", orders.ids)])
        self.assertEqual(visits.partner_id, people[:2])
        self.assertEqual(visits.user_id, manager)

    def test_manager_sees_a_signed_visit_as_unchanged(self):
        new_test_user(
            self.env,
            login="cv_tour_signed",
            name="Tour Signature Manager",
            groups="customer_visit.group_visit_manager",
        )
        partner = self.env["res.partner"].create({"name": "Signed Tour Customer"})
        visit_type = self.env["visit.type"].create(
            {"name": "Tour signed site visit", "default_channel": "onsite"}
        )
        visit = self.env["visit.record"].create(
            {
                "partner_id": partner.id,
                "type_id": visit_type.id,
                "outcome": "reached",
                "opinion": "Installed well",
            }
        )
        visit._sign("王建国", png_signature())
        self.start_tour(
            f"/odoo/action-customer_visit.visit_record_action/{visit.id}",
            "customer_visit_signature_check_tour",
            login="cv_tour_signed",
        )

    def test_customer_signs_a_visit_on_the_portal(self):
        partner = self.env["res.partner"].create({"name": "Signing Customer"})
        visit_type = self.env["visit.type"].create(
            {"name": "Tour site visit", "default_channel": "onsite"}
        )
        visit = self.env["visit.record"].create(
            {
                "partner_id": partner.id,
                "type_id": visit_type.id,
                "outcome": "reached",
                "opinion": "All good",
            }
        )
        self.start_tour(visit.get_portal_url(), "customer_visit_portal_sign_tour")
        self.assertEqual(visit.signed_by, "Signing Customer")
        self.assertTrue(visit.signature)
        self.assertTrue(visit.is_signature_valid)

    def test_manager_reads_the_indicators_and_opens_the_cases_behind_a_figure(self):
        company = self.env["res.company"].create({"name": "Tour Indicator Co"})
        company.resource_calendar_id.tz = "Asia/Shanghai"
        manager = new_test_user(
            self.env,
            login="cv_tour_indicators",
            name="Tour Indicator Manager",
            groups="customer_visit.group_visit_manager",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        cycle = company._visit_report_cycle(day=company._visit_today())
        start, _stop = company._visit_utc_bounds(cycle.date_from, cycle.date_to)
        due = max(start, fields.Datetime.now() - timedelta(minutes=30))
        partner = self.env["res.partner"].create({"name": "Tour Indicator Customer"})
        visit_type = self.env["visit.type"].create(
            {"name": "Tour indicator call", "default_channel": "phone"}
        )
        visits = self.env["visit.record"].create(
            [
                {
                    "partner_id": partner.id,
                    "type_id": visit_type.id,
                    "company_id": company.id,
                    "user_id": manager.id,
                    "scheduled_date": due,
                    "deadline": due + timedelta(days=2),
                    "outcome": outcome,
                }
                for outcome in ("reached", False)
            ]
        )
        visits[0].action_done()
        self.env["visit.target"].create(
            {"company_id": company.id, "indicator": "callback_rate", "value": 90}
        )
        self.start_tour(
            "/odoo/action-customer_visit.visit_indicator_action",
            "customer_visit_indicators_tour",
            login="cv_tour_indicators",
        )

    def test_agent_logs_busy_call_back_at_three(self):
        agent = new_test_user(
            self.env,
            login="cv_tour_callback",
            name="Callback Agent",
            groups="customer_visit.group_visit_user",
        )
        partner = self.env["res.partner"].create(
            {"name": "Busy Customer", "phone": "+86 138 0013 8001"}
        )
        visit_type = self.env["visit.type"].create(
            {"name": "Tour callback", "max_attempts": 1}
        )
        visit = self.env["visit.record"].create(
            {
                "partner_id": partner.id,
                "type_id": visit_type.id,
                "user_id": agent.id,
                "scheduled_date": fields.Datetime.now() - timedelta(hours=1),
            }
        )
        self.start_tour(
            f"/odoo/action-customer_visit.visit_record_action_my/{visit.id}",
            "customer_visit_callback_tour",
            login="cv_tour_callback",
        )
        # Planned again at the time given, 15:00 of the agent's browser, and
        # the attempt did not use up the only one the type allows.
        self.assertEqual((visit.state, visit.outcome), ("planned", False))
        self.assertGreater(visit.scheduled_date, fields.Datetime.now())
        self.assertEqual(
            (visit.scheduled_date.minute, visit.scheduled_date.second), (0, 0)
        )
        self.assertEqual(
            visit.attempt_ids.reason_id,
            self.env.ref("customer_visit.visit_unreached_reason_busy_callback"),
        )
        self.assertEqual(visit._next_try(), "retry")
        self.assertEqual(visit._visit_activities().user_id, agent)
        self.assertTrue(
            any(
                "called back" in (body or "")
                for body in visit.message_ids.mapped("body")
            )
        )


@tagged("post_install", "-at_install")
class TestPortalPhoneTour(HttpCase):
    """The customer's page at phone size (390 x 844, touch), in 简体中文."""

    browser_size = "390x844"
    touch_enabled = True

    def test_chinese_customer_answers_on_a_phone(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["base", "web", "portal", "customer_visit"], ["zh_CN"], overwrite=True
        )
        calendar = calling_hours(self.env, "上海回访时间")
        visit_type = self.env["visit.type"].create(
            {
                "name": "维修回访",
                "default_channel": "sms",
                "calendar_id": calendar.id,
                "question_ids": [
                    Command.create({"name": "请为师傅打分", "answer_kind": "rating"})
                ],
            }
        )
        customer = self.env["res.partner"].create(
            {
                "name": "陈静",
                "mobile": "+86 139 0000 0001",
                "country_id": self.env.ref("base.cn").id,
                "lang": "zh_CN",
            }
        )
        visit = self.env["visit.record"].create(
            {"partner_id": customer.id, "type_id": visit_type.id}
        )
        url = visit.get_portal_url()
        self.assertTrue(url.startswith("/zh_CN/my/visits/"), url)
        self.start_tour(url, "customer_visit_portal_answer_tour")
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.channel, "portal")
        self.assertEqual(
            (visit.satisfaction_product, visit.satisfaction_service),
            ("satisfied", "fairly_satisfied"),
        )
        self.assertEqual(visit.opinion, "师傅很专业")
        # The fourth star posts 4.
        self.assertEqual(
            visit.answer_ids.filtered(lambda a: a.answer_kind == "rating").value_rating,
            4,
        )
