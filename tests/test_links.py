from odoo.tests import Form, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestVisitLinks(VisitCommon):
    def test_partner_smart_button_counts_visible_visits(self):
        self._create_visit(user_id=self.agent.id)
        self._create_visit(user_id=self.agent_2.id)
        self.assertEqual(self.customer.with_user(self.manager).visit_count, 2)
        self.assertEqual(self.customer.with_user(self.agent).visit_count, 1)
        action = self.customer.with_user(self.manager).action_view_visits()
        self.assertEqual(action["res_model"], "visit.record")
        found = (
            self.env["visit.record"].with_user(self.manager).search(action["domain"])
        )
        self.assertEqual(len(found), 2)

    def test_partner_visits_tab_shows_satisfaction(self):
        visit = self._create_visit(outcome="reached", satisfaction_result="satisfied")
        visit.action_done()
        self.assertEqual(self.customer.visit_record_ids, visit)
        self.assertEqual(self.customer.visit_record_ids.satisfaction_score, 4.0)

    def test_schedule_visit_from_sale_order(self):
        action = self.order.with_user(self.manager).action_schedule_visit()
        self.assertEqual(action["res_model"], "visit.record")
        form = Form(
            self.env["visit.record"]
            .with_user(self.manager)
            .with_context(**action["context"])
        )
        self.assertEqual(form.partner_id, self.customer)
        self.assertEqual(form.sale_order_id, self.order)
        form.type_id = self.type_plain
        visit = form.save()
        self.assertEqual(visit.source_name, self.order.name)
        self.assertEqual(self.order.visit_count, 1)
        view = self.order.action_view_visits()
        self.assertEqual(self.env["visit.record"].search(view["domain"]), visit)

    def test_schedule_visit_from_ticket(self):
        action = self.ticket.with_user(self.manager).action_schedule_visit()
        form = Form(
            self.env["visit.record"]
            .with_user(self.manager)
            .with_context(**action["context"])
        )
        form.type_id = self.type_complaint
        visit = form.save()
        self.assertEqual(visit.ticket_id, self.ticket)
        self.assertEqual(visit.partner_id, self.customer)
        self.assertEqual(self.ticket.visit_count, 1)
        self.assertEqual(visit.plan_id.ticket_id, self.ticket)

    def test_schedule_visit_from_partner(self):
        action = self.customer.action_schedule_visit()
        form = Form(self.env["visit.record"].with_context(**action["context"]))
        form.type_id = self.type_plain
        visit = form.save()
        self.assertEqual(visit.partner_id, self.customer)
        self.assertEqual(self.customer.visit_count, 1)

    def test_generic_source_reference(self):
        lead_like = self.env["res.partner"].create({"name": "Referral source"})
        visit = self._create_visit(source_ref=f"res.partner,{lead_like.id}")
        self.assertEqual(visit.source_name, "Referral source")
        self.assertEqual(visit.source_model, "res.partner")
        action = visit.action_open_source()
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("res.partner", lead_like.id)
        )
