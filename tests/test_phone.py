import importlib.util

from odoo.tests import tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestPhoneCheck(VisitCommon):
    def _state(self, number, country_code):
        partner = self.env["res.partner"].create(
            {
                "name": "P",
                "mobile": number,
                "country_id": self.env.ref(f"base.{country_code}").id,
            }
        )
        return partner.visit_phone_state

    def test_phonenumbers_is_really_used(self):
        self.assertIsNotNone(importlib.util.find_spec("phonenumbers"))
        manifest = self.env["ir.module.module"].get_module_info("customer_visit")
        self.assertIn("phonenumbers", manifest["external_dependencies"]["python"])

    def test_valid_numbers_per_country(self):
        for number, country in [
            ("+86 138 0013 8000", "cn"),
            ("13800138000", "cn"),
            ("021 6888 8888", "cn"),
            ("+1 650 253 0000", "us"),
            ("(650) 253-0000", "us"),
            ("+33 6 12 34 56 78", "fr"),
            ("06 12 34 56 78", "fr"),
        ]:
            with self.subTest(number=number, country=country):
                self.assertEqual(self._state(number, country), "valid")

    def test_invalid_numbers_per_country_are_caught(self):
        for number, country in [
            ("1380013", "cn"),
            ("+86 100 0000 0000", "cn"),
            ("+1 123 456 7890", "us"),
            ("555-0100", "us"),
            ("+33 1 23", "fr"),
            ("09 99 99 99 99 99", "fr"),
            ("not a number", "fr"),
        ]:
            with self.subTest(number=number, country=country):
                self.assertEqual(self._state(number, country), "invalid")

    def test_missing_and_fixed_numbers(self):
        partner = self.env["res.partner"].create({"name": "Nobody"})
        self.assertEqual(partner.visit_phone_state, "missing")
        partner.write({"mobile": "+33 6 12 34 56 78"})
        self.assertEqual(partner.visit_phone_state, "valid")
        found = self.env["res.partner"].search(
            [("visit_phone_state", "=", "invalid"), ("id", "=", partner.id)]
        )
        self.assertFalse(found)

    def test_visit_phone_is_formatted_for_the_country(self):
        partner = self.env["res.partner"].create(
            {
                "name": "Li",
                "mobile": "13800138000",
                "country_id": self.env.ref("base.cn").id,
            }
        )
        visit = self._create_visit(partner_id=partner.id)
        self.assertEqual(visit.phone, "+86 138 0013 8000")
        self.assertEqual(visit.phone_state, "valid")
