import base64
import io

from PIL import Image

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import VisitCommon


def png_signature(color=(0, 0, 0)):
    image = Image.new("RGB", (120, 40), (255, 255, 255))
    for x in range(10, 110):
        image.putpixel((x, 20 + (x % 7)), color)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue())


@tagged("post_install", "-at_install")
class TestVisitSignature(VisitCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_onsite = cls.env.ref("customer_visit.visit_type_after_sale")

    def _onsite_visit(self):
        return self._create_visit(type_id=self.type_onsite.id, user_id=self.agent.id)

    def test_back_office_signature_stores_signer_date_and_hash(self):
        visit = self._onsite_visit()
        visit.write({"outcome": "reached", "opinion": "Installed well"})
        visit.with_user(self.agent).write(
            {"signature": png_signature(), "signed_by": "王建国"}
        )
        self.assertEqual(visit.signed_by, "王建国")
        self.assertTrue(visit.signed_on)
        self.assertEqual(len(visit.signature_hash), 64)
        self.assertTrue(visit.is_signature_valid)
        self.assertEqual(visit.signature_status, "signed")
        visit.action_done()
        self.assertEqual(visit.state, "done")

    def test_signed_content_cannot_change_even_for_managers_and_superuser(self):
        visit = self._onsite_visit()
        visit.write({"outcome": "reached", "opinion": "Fine"})
        visit._sign("王建国", png_signature())
        for env_user in (self.manager, self.env.user):
            with self.assertRefused(
                UserError, "signed content can no longer be changed"
            ):
                visit.with_user(env_user).sudo().write({"opinion": "Changed"})
        with self.assertRefused(UserError, "answers can no longer be changed"):
            visit.answer_ids[:1].value_yes_no = "no"
        with self.assertRefused(UserError, "already signed"):
            visit._sign("Someone else", png_signature((255, 0, 0)))
        self.assertEqual(visit.opinion, "Fine")
        self.assertTrue(visit.is_signature_valid)
        # Tampering behind the ORM's back is seen by the hash.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE visit_record SET opinion = 'Forged' WHERE id = %s", [visit.id]
        )
        visit.invalidate_recordset()
        self.assertFalse(visit.is_signature_valid)

    def test_non_image_signature_is_refused(self):
        visit = self._onsite_visit()
        visit.outcome = "reached"
        for bad in (base64.b64encode(b"%PDF-1.4 not an image"), b"!!!not base64!!!"):
            with self.assertRefused(ValidationError, "must be an image"):
                visit._sign("王建国", bad)
        self.assertFalse(visit.signature)
        self.assertFalse(visit.signature_hash)

    def test_cancelled_or_unvisited_visit_cannot_be_signed(self):
        visit = self._onsite_visit()
        with self.assertRefused(UserError, "nothing to sign yet"):
            visit._sign("王建国", png_signature())
        visit.outcome = "reached"
        visit.action_cancel()
        with self.assertRefused(UserError, "cannot be signed"):
            visit._sign("王建国", png_signature())

    def test_onsite_visit_requiring_signature_cannot_close_without_it(self):
        visit = self._onsite_visit()
        visit.outcome = "reached"
        with self.assertRefused(
            UserError, "valid only with the\\s+customer's signature"
        ):
            visit.action_done()
        self.assertEqual(visit.signature_status, "missing")

    def test_phone_visit_records_phone_visit_instead_of_signature(self):
        visit = self._create_visit(
            type_id=self.type_onsite.id, channel="phone", outcome="reached"
        )
        self.assertEqual(visit.signature_status, "phone_visit")
        visit.action_done()
        self.assertEqual(visit.state, "done")

    def test_outcome_wizard_captures_the_signature_on_site(self):
        visit = self._onsite_visit()
        form = Form(
            self.env["visit.outcome.wizard"]
            .with_user(self.agent)
            .with_context(active_model="visit.record", active_id=visit.id)
        )
        form.outcome = "reached"
        self.assertTrue(form.signature_required)
        self._rate(form, "satisfaction_result", "satisfied")
        form.signed_by = "王建国"
        form.signature = png_signature()
        form.save().action_confirm()
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.signed_by, "王建国")
        self.assertTrue(visit.is_signature_valid)

    # The web client reads every record with ``bin_size`` in its context: the
    # signature then reads as its size ("1.23 Kb"), not as the image.
    def _signed_visit(self):
        visit = self._onsite_visit()
        visit.write({"outcome": "reached", "opinion": "Installed well"})
        visit._sign("王建国", png_signature())
        visit.invalidate_recordset()
        return visit

    def test_signature_is_valid_when_read_by_the_web_client(self):
        visit = self._signed_visit()
        as_manager = visit.with_user(self.manager)
        for context in ({"bin_size": True}, {"bin_size_signature": True}, {}):
            visit.invalidate_recordset()
            with self.subTest(context=context):
                [values] = as_manager.with_context(**context).web_read(
                    {"signature": {}, "is_signature_valid": {}}
                )
                self.assertTrue(values["is_signature_valid"])
                [values] = as_manager.with_context(**context).read(
                    ["is_signature_valid"]
                )
                self.assertTrue(values["is_signature_valid"])

    def test_web_client_read_returns_only_the_signature_size(self):
        visit = self._signed_visit()
        [values] = (
            visit.with_user(self.manager)
            .with_context(bin_size=True)
            .web_read({"signature": {}, "is_signature_valid": {}})
        )
        self.assertTrue(values["is_signature_valid"])
        # Checking the image must not send the image itself to the browser.
        self.assertRegex(values["signature"], rb"^[\d.]+ (bytes|Kb|Mb)$")

    def test_tampered_hash_or_image_is_seen_by_the_web_client(self):
        visit = self._signed_visit()
        as_manager = visit.with_user(self.manager).with_context(bin_size=True)
        self.assertTrue(
            as_manager.web_read({"is_signature_valid": {}})[0]["is_signature_valid"]
        )
        # Forged digest, written behind the ORM's back.
        self.env.cr.execute(
            "UPDATE visit_record SET signature_hash = %s WHERE id = %s",
            ["0" * 64, visit.id],
        )
        visit.invalidate_recordset()
        self.assertFalse(
            as_manager.web_read({"is_signature_valid": {}})[0]["is_signature_valid"]
        )

        visit = self._signed_visit()
        as_manager = visit.with_user(self.manager).with_context(bin_size=True)
        # Another image put in the signature's attachment.
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "visit.record"),
                    ("res_field", "=", "signature"),
                    ("res_id", "=", visit.id),
                ]
            )
        )
        self.assertEqual(len(attachment), 1)
        attachment.write({"datas": png_signature((255, 0, 0))})
        visit.invalidate_recordset()
        self.assertFalse(
            as_manager.web_read({"is_signature_valid": {}})[0]["is_signature_valid"]
        )
        self.assertFalse(
            as_manager.read(["is_signature_valid"])[0]["is_signature_valid"]
        )
