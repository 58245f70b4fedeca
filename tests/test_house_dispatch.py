"""The Dispatch job on Odoo's mail and SMS APIs: e-mails through the
mass-mail composer's ``_action_send_mail`` (as ``mass_mailing`` sends),
SMS logged with ``_message_log_batch``; the one adapter it keeps
(``_notify_in_bulk``: the rows Odoo's notifying makes, for a batch) and
the tests that fail when core changes what the adapter mirrors."""

from datetime import timedelta
from unittest.mock import patch

from markupsafe import Markup

from odoo.tests import tagged

from odoo.addons.mail.tests.common import MailCase
from odoo.addons.sms.tools.sms_api import SmsApi

from .common import VisitCommon

# Columns naming the row itself, its links to the other new rows or the
# time it was made: checked for what they link to, not compared.
OWN_COLUMNS = {
    "id",
    "create_date",
    "write_date",
    "read_date",
    "uuid",
    "sms_uuid",
    "sms_id_int",
    "sms_tracker_ids",
    "mail_notification_id",
}


def iap_answering(state):
    """IAP's SMS endpoint answering ``state`` for every number."""

    def contact_iap(_api, endpoint, params, timeout=15):
        return [
            {"uuid": number["uuid"], "state": state, "credit": 1}
            for message in params["messages"]
            for number in message["numbers"]
        ]

    return patch.object(SmsApi, "_contact_iap", contact_iap)


@tagged("post_install", "-at_install")
class TestHouseDispatch(VisitCommon, MailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.zh = cls.env["res.partner"].create(
            {
                "name": "王芳",
                "email": "wang.fang@example.cn",
                "mobile": "+86 138 0013 8000",
                "country_id": cls.env.ref("base.cn").id,
            }
        )
        cls.number = cls.zh._visit_sms_number()

    def _visit(self, channel):
        return self._create_visit(
            partner_id=self.zh.id,
            channel=channel,
            user_id=self.agent.id,
            scheduled_date=self.now - timedelta(hours=1),
        )

    def _columns(self, record):
        """The stored values of ``record`` but its own columns."""
        record.ensure_one()
        names = [
            name
            for name, field in record._fields.items()
            if field.store and name not in OWN_COLUMNS
        ]
        values = record.read(names)[0]
        del values["id"]  # read() gives it whatever is asked
        return values

    def _notifications(self, message):
        return message.notification_ids.filtered(
            lambda notification: notification.res_partner_id == self.zh
        )

    # ------------------------------------------------------------------
    # The adapter makes the rows Odoo's public path makes
    # ------------------------------------------------------------------
    def test_the_adapters_sms_rows_are_those_of_odoos_sms_notifying(self):
        """For the same message, customer, number and text, the adapter
        makes the sms.sms, mail.notification and sms.tracker Odoo's
        ``_message_sms`` makes (``_notify_thread_by_sms``, queued)."""
        visit = self._visit("sms")
        # As the job (sudo): the rows are technical.
        message = visit._message_sms(
            "Answer: https://example.cn/v",
            partner_ids=self.zh.ids,
            sms_pid_to_number={self.zh.id: self.number},
            put_in_queue=True,
        )
        core_notification = self._notifications(message)
        core_sms = self.env["sms.sms"].search([("mail_message_id", "=", message.id)])
        self.assertEqual((len(core_notification), len(core_sms)), (1, 1))
        core_tracker = core_notification.sms_tracker_ids
        expected = [
            self._columns(row) for row in (core_sms, core_notification, core_tracker)
        ]
        for row in (core_tracker, core_notification, core_sms):
            row.unlink()

        notification = self.env["visit.record"]._notify_in_bulk(
            "sms",
            [
                {
                    "message": message,
                    "partner": self.zh,
                    "number": self.number,
                    "body": "Answer: https://example.cn/v",
                }
            ],
        )
        sms = self.env["sms.sms"].search([("mail_message_id", "=", message.id)])
        self.assertEqual(
            [
                self._columns(row)
                for row in (sms, notification, notification.sms_tracker_ids)
            ],
            expected,
        )
        # Linked as Odoo links them: the tracker follows the SMS by its uuid.
        self.assertEqual(notification.sms_id_int, sms.id)
        self.assertEqual(notification.sms_tracker_ids.sms_uuid, sms.uuid)

    def test_the_adapters_email_notification_is_that_of_odoos_notifying(self):
        """For the same message and mail, the adapter makes the
        mail.notification Odoo's ``message_post`` makes
        (``_notify_thread_by_email``), and Odoo updates it when it sends."""
        visit = self._visit("email")
        message = visit.with_context(mail_notify_force_send=False).message_post(
            body=Markup("<p>Answer now</p>"),
            partner_ids=self.zh.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        core_notification = self._notifications(message)
        self.assertEqual(len(core_notification), 1)
        mail = core_notification.mail_mail_id
        self.assertEqual(mail.state, "outgoing")
        expected = self._columns(core_notification)
        core_notification.unlink()

        notification = self.env["visit.record"]._notify_in_bulk(
            "email", [{"message": message, "partner": self.zh, "mail": mail}]
        )
        self.assertEqual(self._columns(notification), expected)
        with self.mock_mail_gateway():
            mail.send()
        self.assertEqual(notification.notification_status, "sent")

    def test_odoo_reports_a_wrong_number_on_the_adapters_notification(self):
        """IAP's answer reaches the adapter's notification through the
        tracker Odoo reads (sms.sms is deleted once handed to IAP)."""
        visit = self._visit("sms")
        message = visit._message_log_batch(
            bodies={visit.id: "Answer"}, message_type="sms"
        )
        notification = self.env["visit.record"]._notify_in_bulk(
            "sms",
            [
                {
                    "message": message,
                    "partner": self.zh,
                    "number": self.number,
                    "body": "Answer",
                }
            ],
        )
        with iap_answering("wrong_number_format"):
            self.env["sms.sms"].search([("mail_message_id", "=", message.id)]).send()
        self.assertEqual(
            (notification.notification_status, notification.failure_type),
            ("exception", "sms_number_format"),
        )

    # ------------------------------------------------------------------
    # The job on the public paths
    # ------------------------------------------------------------------
    def test_each_message_is_in_the_chatter_with_one_notification(self):
        """The job's messages: one per visit in its chatter, followed by
        exactly one notification to the customer (were core to notify mass
        mails itself, the adapter's e-mail part would double it)."""
        visits = (
            self._visit("email") | self._visit("questionnaire") | self._visit("sms")
        )
        with self.mock_mail_gateway(), iap_answering("success"):
            sent = sum(
                self.env["visit.record"]._cron_dispatch(part)
                for part in range(self.env["ir.cron"]._visit_workers())
            )
        self.assertEqual(sent, 3)
        for visit in visits:
            message = visit.dispatch_message_id
            self.assertIn(message, visit.message_ids)
            self.assertEqual(
                message.notification_ids.mapped(
                    lambda n: (
                        n.res_partner_id,
                        n.notification_type,
                        n.notification_status,
                    )
                ),
                [
                    (
                        self.zh,
                        "sms" if visit.channel == "sms" else "email",
                        "ready",
                    )
                ],
            )
            self.assertEqual(visit.dispatch_delivery, "queued")
