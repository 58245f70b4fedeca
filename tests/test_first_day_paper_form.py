"""The sheet printed before a visit is a paper form anybody can fill in: the
four levels with a face and a box each, the customer printed once, a box to
sign whatever the channel; the portal's 1-5 ratings say which end is best."""

from lxml import html as lxml_html

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import VisitCommon
from .test_signature import png_signature

SHEET = "customer_visit.visit_record_report_sheet"
LEVELS = ["Satisfied", "Fairly satisfied", "Basically satisfied", "Unsatisfied"]


@tagged("post_install", "-at_install")
class TestFirstDayPaperForm(VisitCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_call = cls.env["visit.type"].create(
            {
                "name": "Delivery call",
                "default_channel": "phone",
                "question_ids": [
                    Command.create(
                        {"name": "Rate the delivery", "answer_kind": "rating"}
                    ),
                ],
            }
        )
        cls.person = cls.env["res.partner"].create(
            {"name": "Li Na", "parent_id": cls.customer.id}
        )
        cls.portal_user = new_test_user(
            cls.env,
            login="cv_pf_portal",
            groups="base.group_portal",
            partner_id=cls.customer.id,
        )

    def _call(self, **values):
        return self._create_visit(
            type_id=self.type_call.id,
            channel="phone",
            user_id=self.agent.id,
            **values,
        )

    def _sheet(self, visit):
        """The sheet's HTML as the Follow-ups agent prints it."""
        html = (
            self.env["ir.actions.report"]
            .with_user(self.agent)
            .with_context(lang="en_US")
            ._render_qweb_html(SHEET, visit.ids)[0]
            .decode()
        )
        return lxml_html.fromstring(html)

    @staticmethod
    def _text(node):
        return " ".join(node.text_content().split())

    def _contact_cell(self, doc):
        header = doc.xpath("//th[normalize-space()='Contact Person']")
        self.assertEqual(len(header), 1)
        return self._text(header[0].getnext())

    # -- the four levels ---------------------------------------------------
    def test_blank_call_sheet_has_four_faces_with_empty_boxes_per_aspect(self):
        visit = self._call()
        self.assertEqual(visit.state, "planned")
        doc = self._sheet(visit)
        rows = doc.xpath("//tr[td[contains(@class, 'o_visit_level')]]")
        self.assertEqual(len(rows), 4, "one row per aspect")
        for row in rows:
            cells = row.xpath("td[contains(@class, 'o_visit_level')]")
            self.assertEqual([self._text(cell) for cell in cells], LEVELS)
            mouths = []
            for cell in cells:
                box = cell.xpath("span[contains(@style, 'border: 1px solid #000')]")
                self.assertEqual(len(box), 1, "a box to tick")
                self.assertNotIn("background", box[0].get("style"), "left empty")
                faces = cell.xpath(".//*[local-name()='svg'][@class='o_visit_face']")
                self.assertEqual(len(faces), 1, "a face per level")
                mouths.append(faces[0].xpath(".//*[local-name()='path']/@d")[0])
            self.assertEqual(len(set(mouths)), 4, "four different faces")
            self.assertTrue(all(mouths), "every face has a mouth")

    # -- the signature box -------------------------------------------------
    def test_blank_call_sheet_has_a_signature_box_not_phone_visit(self):
        visit = self._call()
        self.assertEqual(visit.signature_status, "phone_visit")
        doc = self._sheet(visit)
        text = self._text(doc)
        self.assertEqual(
            len(doc.xpath("//div[contains(@class, 'o_visit_sign_box')]")), 1
        )
        self.assertIn("Signature of the customer or the agent", text)
        self.assertIn("Signature:", text)
        self.assertIn("Date:", text)
        self.assertNotIn("Phone visit", text)
        # The 1-5 rating says which end is best, as on the portal.
        self.assertIn("1 = very poor, 5 = excellent", text)

    def test_call_sheet_after_the_call_says_phone_visit_without_a_box(self):
        visit = self._call(outcome="reached", satisfaction_product="satisfied")
        visit.action_done()
        doc = self._sheet(visit)
        text = self._text(doc)
        self.assertIn("Phone visit", text)
        self.assertIn("Customer's signature", text)
        self.assertFalse(doc.xpath("//div[contains(@class, 'o_visit_sign_box')]"))
        self.assertEqual(
            len(doc.xpath("//span[contains(@style, 'background: #000')]")),
            1,
            "the answered level ticked",
        )

    # -- the customer once -------------------------------------------------
    def test_blank_sheet_prints_the_customer_once_without_a_contact(self):
        for contact in (self.env["res.partner"], self.customer):
            visit = self._call(contact_id=contact.id)
            doc = self._sheet(visit)
            self.assertEqual(self._contact_cell(doc), "", "a line to write on")
            self.assertEqual(
                self._text(doc).count(self.customer.name),
                1,
                f"the customer printed once (contact: {contact.name})",
            )

    def test_blank_sheet_prints_a_contact_who_is_not_the_customer(self):
        doc = self._sheet(self._call(contact_id=self.person.id))
        self.assertEqual(self._contact_cell(doc), "Li Na")

    def test_signed_sheet_prints_its_snapshot_contact(self):
        visit = self._create_visit(
            channel="onsite", user_id=self.agent.id, outcome="reached"
        )
        visit._sign("王建国", png_signature())
        self.assertEqual(self._contact_cell(self._sheet(visit)), self.customer.name)

    # -- the portal's 1-5 ratings ------------------------------------------
    def test_portal_rating_question_names_both_ends(self):
        visit = self._call()
        question = visit.answer_ids.question_id.filtered(lambda q: not q.aspect)
        self.assertEqual(question.answer_kind, "rating")
        self.authenticate("cv_pf_portal", "cv_pf_portal")
        response = self.url_open(f"/my/visits/{visit.id}")
        self.assertEqual(response.status_code, 200)
        doc = lxml_html.fromstring(response.text)
        name = f"answer_{question.id}"
        self.assertFalse(doc.xpath(f"//select[@name='{name}']"), "stars, not a list")
        # Five stars in one radio group, named by the question: each value
        # 1-5 once, in order, each star read out by its label.
        [group] = doc.xpath(f"//*[@role='radiogroup'][.//input[@name='{name}']]")
        self.assertEqual(group.get("aria-label"), "Rate the delivery")
        radios = group.xpath(f".//input[@type='radio'][@name='{name}']")
        self.assertEqual([radio.get("value") for radio in radios], list("12345"))
        self.assertEqual(len(doc.xpath(f"//input[@name='{name}']")), 5)
        labels = [
            self._text(doc.xpath(f"//label[@for='{radio.get('id')}']")[0])
            for radio in radios
        ]
        self.assertEqual(labels, ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"])
        # Which end is best, written under the stars and read with them.
        scale = doc.xpath(f"//*[@id='{group.get('aria-describedby')}']")
        self.assertEqual(len(scale), 1)
        self.assertFalse(scale[0].xpath(".//input"))
        self.assertEqual(self._text(scale[0]), "1 = very poor 5 = excellent")
