from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import MailCase

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestFirstDaySend(VisitCommon, MailCase):
    """Send to Customer as the agent: by e-mail, by SMS when the customer
    has only a mobile number, refused with what to fill in when neither;
    a closed visit's message asks to sign, never to answer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cn = cls.env.ref("base.cn")
        cls.by_email = cls.env["res.partner"].create(
            {"name": "王芳", "email": "wang.fang@example.cn", "country_id": cn.id}
        )
        cls.by_mobile = cls.env["res.partner"].create(
            {"name": "李娜", "mobile": "+86 138 0013 8001", "country_id": cn.id}
        )
        cls.unreachable = cls.env["res.partner"].create(
            {"name": "刘洋", "phone": "+86 10 6552 9988", "country_id": cn.id}
        )

    def _visit(self, partner, **values):
        return self._create_visit(
            partner_id=partner.id,
            type_id=self.type_repair.id,
            user_id=self.agent.id,
            **values,
        )

    def _composer(self, action):
        return (
            self.env[action["res_model"]]
            .with_user(self.agent)
            .with_context(**action["context"])
            .create({})
        )

    def _closed(self, partner):
        visit = self._visit(partner)
        visit.write({"state": "done", "outcome": "reached"})
        return visit

    def test_send_to_customer_with_only_a_mobile_opens_the_sms_composer(self):
        visit = self._visit(self.by_mobile)
        action = visit.with_user(self.agent).action_send_sign_request()
        self.assertEqual(action["res_model"], "sms.composer")
        self.assertEqual(
            action["context"]["default_template_id"],
            (
                self.type_repair.sms_template_id
                or self.env.ref("customer_visit.sms_template_visit_dispatch")
            ).id,
        )
        composer = self._composer(action)
        self.assertEqual(composer.recipient_single_number_itf, "+8613800138001")
        self.assertIn(visit.access_token, composer.body)

    def test_send_to_customer_with_an_email_opens_the_mail_composer(self):
        visit = self._visit(self.by_email)
        action = visit.with_user(self.agent).action_send_sign_request()
        self.assertEqual(action["res_model"], "mail.compose.message")
        composer = self._composer(action)
        self.assertEqual(composer.partner_ids, self.by_email)

    def test_send_to_customer_with_neither_says_what_to_fill_in(self):
        visit = self._visit(self.unreachable)
        with self.assertRaisesRegex(
            UserError, "neither an e-mail address nor a mobile"
        ):
            visit.with_user(self.agent).action_send_sign_request()
        # A selection mixing both ways is refused too, naming who gets an SMS.
        visits = self._visit(self.by_email) | self._visit(self.by_mobile)
        with self.assertRaisesRegex(UserError, "李娜"):
            visits.with_user(self.agent).action_send_sign_request()

    def test_a_closed_visit_is_asked_to_sign_never_to_answer(self):
        visit = self._closed(self.by_email)
        action = visit.with_user(self.agent).action_send_sign_request()
        self.assertEqual(
            action["context"]["default_template_id"],
            self.env.ref("customer_visit.mail_template_visit_sign_request").id,
        )
        with self.mock_mail_gateway():
            self._composer(action).action_send_mail()
        body = self._new_mails.filtered(lambda mail: mail.res_id == visit.id).body_html
        self.assertIn("and sign it", body)
        self.assertIn(visit.access_token, body)
        for invitation in ("answer", "Answer", "call you back"):
            self.assertNotIn(invitation, body)
        # By SMS: the request to read and sign, no answer link.
        visit = self._closed(self.by_mobile)
        action = visit.with_user(self.agent).action_send_sign_request()
        self.assertEqual(
            action["context"]["default_template_id"],
            self.env.ref("customer_visit.sms_template_visit_sign_request").id,
        )
        body = self._composer(action).body
        self.assertIn("read and sign", body)
        self.assertIn(visit.access_token, body)
        self.assertNotIn("Answer", body)
