from odoo.tests import HttpCase, new_test_user, tagged


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
