from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.customer_visit.models.visit_record_dispatch import VisitRecord
from odoo.addons.mail.tests.common import MailCase
from odoo.addons.sms.tools.sms_api import SmsApi

from .common import VisitCommon


class Crash(BaseException):
    """Stands for the process being killed: not caught as an Exception."""


@tagged("post_install", "-at_install")
class TestDispatch(VisitCommon, MailCase):
    """The Dispatch job sends due e-mail, SMS and questionnaire visits with
    Odoo's mail and SMS queues (Odoo's mail mock; the SMS provider, IAP,
    answered as Odoo's own SMS mock does)."""

    @contextmanager
    def mockSMSGateway(self, sim_error=None):
        """IAP's SMS endpoint answered here: each number accepted, or
        refused with ``sim_error`` (a state of IAP's answer)."""
        self._sms = []
        self._new_sms = self.env["sms.sms"].sudo()
        create = type(self.env["sms.sms"]).create

        def contact_iap(_api, endpoint, params, timeout=15):
            self.assertEqual(endpoint, "/api/sms/3/send")
            result = []
            for message in params["messages"]:
                for number in message["numbers"]:
                    result.append(
                        {
                            "uuid": number["uuid"],
                            "state": sim_error or "success",
                            "credit": 1,
                        }
                    )
                    if not sim_error:
                        self._sms.append(
                            {"number": number["number"], "body": message["content"]}
                        )
            return result

        def created(model, vals_list):
            records = create(model, vals_list)
            self._new_sms |= records.sudo()
            return records

        with (
            patch.object(SmsApi, "_contact_iap", contact_iap),
            patch.object(type(self.env["sms.sms"]), "create", created),
        ):
            yield

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cn = cls.env.ref("base.cn")
        cls.zh = cls.env["res.partner"].create(
            {
                "name": "王芳",
                "email": "wang.fang@example.cn",
                "mobile": "+86 138 0013 8000",
                "country_id": cn.id,
                "lang": "en_US",
            }
        )
        cls.past = cls.now - timedelta(hours=1)

    def _dispatch(self):
        """One run of every Dispatch job (one per worker, each its part of
        the visits), then the SMS queue's job (as the cron runner does once
        the runs have committed)."""
        workers = self.env["ir.cron"]._visit_workers()
        count = sum(
            self.env["visit.record"]._cron_dispatch(part) for part in range(workers)
        )
        self.env["sms.sms"].sudo()._process_queue()
        return count

    def _composer(self, action):
        """The composer ``action`` opens, as the agent opens it."""
        return (
            self.env[action["res_model"]]
            .with_user(self.agent)
            .with_context(**action["context"])
            .create({})
        )

    def _visit(self, channel, partner=None, **values):
        values.setdefault("scheduled_date", self.past)
        return self._create_visit(
            partner_id=(partner or self.zh).id,
            channel=channel,
            user_id=self.agent.id,
            **values,
        )

    def test_email_and_sms_visits_are_sent_once_with_their_portal_link(self):
        email = self._visit("email")
        sms = self._visit("sms")
        later = self._visit("email", scheduled_date=self.now + timedelta(days=1))
        with self.mock_mail_gateway(), self.mockSMSGateway():
            self._dispatch()
        self.assertEqual(
            (email.dispatch_state, sms.dispatch_state, later.dispatch_state),
            ("sent", "sent", False),
        )
        mail = self.env["mail.mail"].search(
            [("mail_message_id", "=", email.dispatch_message_id.id)]
        )
        self.assertEqual(mail.recipient_ids, self.zh)
        self.assertIn(f"access_token={email.access_token}", mail.body_html)
        self.assertIn(email.get_portal_url(), mail.body_html)
        # Handed to the SMS provider, to the customer's number, with the link.
        self.assertEqual(len(self._sms), 1)
        self.assertEqual(self._sms[0]["number"], "+8613800138000")
        self.assertIn(sms.access_token, self._sms[0]["body"])
        # A second run sends nothing again.
        with self.mock_mail_gateway(), self.mockSMSGateway():
            self.assertEqual(self._dispatch(), 0)
        self.assertEqual(
            self.env["mail.mail"].search_count(
                [("mail_message_id", "=", email.dispatch_message_id.id)]
            ),
            1,
        )

    def test_the_template_speaks_the_customers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        template = self.env.ref("customer_visit.mail_template_visit_dispatch")
        template.with_context(lang="zh_CN").subject = "{{ object.name }}：回访问卷"
        self.zh.lang = "zh_CN"
        visit = self._visit("questionnaire")
        with self.mock_mail_gateway():
            self._dispatch()
        self.assertEqual(visit.dispatch_message_id.subject, f"{visit.name}：回访问卷")

    def test_no_address_or_a_blacklisted_one_is_given_to_a_call(self):
        nobody = self.env["res.partner"].create({"name": "No address"})
        blocked = self.env["res.partner"].create(
            {
                "name": "Blocked",
                "email": "blocked@example.com",
                "mobile": "+86 138 0013 8001",
                "country_id": self.env.ref("base.cn").id,
            }
        )
        self.env["mail.blacklist"]._add("blocked@example.com")
        self.env["phone.blacklist"]._add(["+8613800138001"])
        visits = [
            self._visit("email", partner=nobody),
            self._visit("sms", partner=nobody),
            self._visit("email", partner=blocked),
            self._visit("sms", partner=blocked),
        ]
        # Given to a call at planning time, not when the message would go.
        self.assertEqual([visit.channel for visit in visits], ["phone"] * 4)
        self.assertEqual(
            [visit.dispatch_channel for visit in visits], ["email", "sms"] * 2
        )
        with self.mock_mail_gateway(), self.mockSMSGateway():
            self._dispatch()
        for visit, reason in zip(
            visits,
            (
                "no valid e-mail",
                "no valid mobile",
                "e-mail address is on the blacklist",
                "number is on the blacklist",
            ),
            strict=True,
        ):
            with self.subTest(reason=reason):
                self.assertEqual(
                    (visit.channel, visit.dispatch_state), ("phone", "fell_back")
                )
                self.assertIn(reason, visit.message_ids[:1].body)
                self.assertEqual(visit.state, "planned")
        self.assertFalse(self._new_mails)
        self.assertFalse(self._new_sms)

    def test_a_bounced_email_or_wrong_number_falls_back_to_a_call(self):
        email = self._visit("email")
        sms = self._visit("sms")
        with (
            self.mock_mail_gateway(),
            self.mockSMSGateway(sim_error="wrong_number_format"),
        ):
            self._dispatch()
        self.assertEqual(sms.dispatch_state, "sent")
        # The mail server bounces the e-mail.
        email.dispatch_message_id.notification_ids.write(
            {"notification_status": "bounce", "failure_type": "mail_bounce"}
        )
        self.assertEqual(
            sms.dispatch_message_id.notification_ids.failure_type, "sms_number_format"
        )
        self._dispatch()
        self.assertEqual((email.channel, email.dispatch_state), ("phone", "bounced"))
        self.assertEqual((sms.channel, sms.dispatch_state), ("phone", "bounced"))
        self.assertIn("undeliverable", email.message_ids[:1].body)
        # The visit is now a call in its agent's list, not sent again.
        self.assertEqual(self._dispatch(), 0)

    def test_a_run_killed_before_its_commit_sends_nothing_twice(self):
        visits = [self._visit("email") for _i in range(3)]
        original = VisitRecord._dispatch

        def dying(self_):
            original(self_)
            raise Crash()

        crashed = False
        with self.mock_mail_gateway(), patch.object(VisitRecord, "_dispatch", dying):
            try:
                with self.env.cr.savepoint():
                    self._dispatch()
            except Crash:
                crashed = True
        self.assertTrue(crashed)
        self.env.invalidate_all()
        self.assertEqual([v.dispatch_state for v in visits], [False] * 3)
        self.assertFalse(
            self.env["mail.mail"].search(
                [
                    ("model", "=", "visit.record"),
                    ("res_id", "in", [v.id for v in visits]),
                ]
            )
        )
        with self.mock_mail_gateway():
            self.assertEqual(self._dispatch(), 3)
        for visit in visits:
            self.assertEqual(
                self.env["mail.mail"].search_count(
                    [("mail_message_id", "=", visit.dispatch_message_id.id)]
                ),
                1,
            )

    def test_each_worker_sends_its_own_part_of_the_visits(self):
        visits = [self._visit(channel) for channel in ("email", "sms", "email", "sms")]
        self.env["res.config.settings"].create({"visit_generate_workers": 3}).execute()
        jobs = self.env["ir.cron"]._visit_dispatch_jobs()
        self.assertEqual(jobs.mapped("visit_dispatch_part"), [0, 1, 2])
        self.assertEqual(jobs[2].code, "model._cron_dispatch(2)")
        self.env["res.config.settings"].create({"visit_generate_workers": 2}).execute()
        self.assertEqual(jobs.filtered("active").mapped("visit_dispatch_part"), [0, 1])
        odd = [visit for visit in visits if visit.id % 2]
        with self.mock_mail_gateway(), self.mockSMSGateway():
            # The job of the third worker, switched off, has no part left.
            self.assertEqual(self.env["visit.record"]._cron_dispatch(2), 0)
            self.assertEqual(self.env["visit.record"]._cron_dispatch(1), len(odd))
            self.assertEqual(
                [visit.dispatch_state for visit in visits],
                ["sent" if visit in odd else False for visit in visits],
            )
            self.assertEqual(
                self.env["visit.record"]._cron_dispatch(0), len(visits) - len(odd)
            )
        self.assertEqual([visit.dispatch_state for visit in visits], ["sent"] * 4)

    def test_the_first_job_sends_the_part_of_a_job_switched_off(self):
        visits = [self._visit("email") for _i in range(4)]
        self.env["res.config.settings"].create({"visit_generate_workers": 2}).execute()
        jobs = self.env["ir.cron"]._visit_dispatch_jobs()
        # As Odoo does with a job that keeps failing.
        jobs.filtered("visit_dispatch_part").active = False
        with self.mock_mail_gateway():
            self.assertEqual(self.env["visit.record"]._cron_dispatch(0), 4)
        self.assertEqual([visit.dispatch_state for visit in visits], ["sent"] * 4)

    def test_one_reminder_then_a_call_when_the_customer_does_not_answer(self):
        self.type_plain.write({"reminder_hours": 48, "answer_hours": 120})
        quiet = self._visit("email")
        answered = self._visit("email")
        sent_at = self.now
        with freeze_time(sent_at), self.mock_mail_gateway():
            self._dispatch()
        self.assertEqual(quiet.dispatch_state, "sent")
        answered.write({"state": "done", "outcome": "reached"})

        def mails(visit):
            return self.env["mail.mail"].search_count(
                [("model", "=", "visit.record"), ("res_id", "=", visit.id)]
            )

        with freeze_time(sent_at + timedelta(hours=47)), self.mock_mail_gateway():
            self._dispatch()
        self.assertEqual((mails(quiet), quiet.dispatch_reminded), (1, False))
        with freeze_time(sent_at + timedelta(hours=48)), self.mock_mail_gateway():
            self._dispatch()
            self._dispatch()
        # One reminder, the same message again; none to who answered.
        self.assertEqual(mails(quiet), 2)
        self.assertEqual(quiet.dispatch_reminded, sent_at + timedelta(hours=48))
        self.assertEqual(mails(answered), 1)
        with freeze_time(sent_at + timedelta(hours=120)), self.mock_mail_gateway():
            self._dispatch()
        # Now a call for the agent, with the attempt "no answer" logged.
        self.assertEqual((quiet.channel, quiet.dispatch_state), ("phone", "fell_back"))
        self.assertEqual(
            (quiet.attempt_ids.result, quiet.attempt_ids.reason_id),
            ("not_reached", self.reason("no_answer")),
        )
        self.assertEqual(quiet.attempt_ids.channel, "email")
        self.assertEqual(quiet.state, "planned")
        self.assertIn("no answer 120 hours", quiet.message_ids[:1].body)
        self.assertEqual(answered.channel, "email")

    def test_a_reminder_after_the_call_is_refused(self):
        with self.assertRefused(ValidationError, "must come before the call"):
            self.type_plain.write({"reminder_hours": 72, "answer_hours": 48})
        with self.assertRefused(ValidationError, "not before it"):
            self.type_plain.write({"reminder_hours": -1})

    def test_blacklisted_after_planning_is_given_to_a_call_when_due(self):
        email = self._visit("email")
        sms = self._visit("sms")
        self.assertEqual((email.channel, sms.channel), ("email", "sms"))
        self.env["mail.blacklist"]._add(self.zh.email)
        self.env["phone.blacklist"]._add(["+8613800138000"])
        with self.mock_mail_gateway(), self.mockSMSGateway():
            self._dispatch()
        self.assertEqual(
            [(v.channel, v.dispatch_state, v.dispatch_channel) for v in email | sms],
            [("phone", "fell_back", "email"), ("phone", "fell_back", "sms")],
        )
        self.assertFalse(self._new_mails)
        self.assertFalse(self._new_sms)

    def test_sent_again_after_reopening_with_a_new_link(self):
        visit = self._visit("email")
        with self.mock_mail_gateway():
            self._dispatch()
        first = visit.access_token
        self.assertTrue(first)
        visit.with_user(self.manager).action_cancel()
        visit.with_user(self.manager).action_reset()
        self.assertFalse(visit.dispatch_state)
        with self.mock_mail_gateway():
            self.assertEqual(self._dispatch(), 1)
        self.assertEqual(visit.dispatch_state, "sent")
        self.assertNotEqual(visit.access_token, first)
        mail = self.env["mail.mail"].search(
            [("mail_message_id", "=", visit.dispatch_message_id.id)]
        )
        self.assertIn(visit.access_token, mail.body_html)
        self.assertNotIn(first, mail.body_html)
        # A reminder is the same sending: the same link.
        token = visit.access_token
        visit.type_id.write({"reminder_hours": 1, "answer_hours": 0})
        with (
            freeze_time(self.now + timedelta(hours=2)),
            self.mock_mail_gateway(),
        ):
            self._dispatch()
        self.assertTrue(visit.dispatch_reminded)
        self.assertEqual(visit.access_token, token)

    def test_delivery_status_read_from_odoo(self):
        visit = self._visit("sms")
        with self.mockSMSGateway():
            self._dispatch()
        # Handed to IAP: pending in Odoo's terms, sent in ours.
        self.assertEqual(visit.dispatch_delivery, "sent")
        visit.dispatch_message_id.notification_ids.notification_status = "sent"
        visit.invalidate_recordset(["dispatch_delivery"])
        self.assertEqual(visit.dispatch_delivery, "delivered")

    def test_send_to_customer_on_a_selection_by_sms_and_by_email(self):
        other = self.env["res.partner"].create(
            {
                "name": "张伟",
                "email": "zhang.wei@example.cn",
                "mobile": "+86 138 0013 8002",
                "country_id": self.env.ref("base.cn").id,
            }
        )
        visits = self._visit("phone") | self._visit("phone", partner=other)
        action = visits.with_user(self.agent).action_send_sms()
        self.assertEqual(action["res_model"], "sms.composer")
        composer = self._composer(action)
        self.assertEqual(composer.composition_mode, "mass")
        with self.mockSMSGateway():
            composer.action_send_sms()
            self.env["sms.sms"].sudo().search([("state", "=", "outgoing")]).send()
        self.assertEqual(
            sorted(sms["number"] for sms in self._sms),
            ["+8613800138000", "+8613800138002"],
        )
        for visit in visits:
            self.assertTrue(
                any(visit.access_token in sms["body"] for sms in self._sms),
                visit.name,
            )
        action = visits.with_user(self.agent).action_send_sign_request()
        wizard = self._composer(action)
        # Still to be answered: the type's e-mail, to answer online.
        self.assertEqual(
            wizard.template_id,
            self.env.ref("customer_visit.mail_template_visit_dispatch"),
        )
        with self.mock_mail_gateway():
            wizard.action_send_mail()
        for visit, partner in zip(visits, self.zh | other, strict=True):
            mail = self._new_mails.filtered(lambda m, v=visit: m.res_id == v.id)
            self.assertEqual(mail.recipient_ids, partner)
            self.assertIn(visit.access_token, mail.body_html)
        # Reached: the request to read and sign the record.
        visits[0].outcome = "reached"
        action = visits.with_user(self.agent).action_send_sign_request()
        self.assertEqual(
            action["context"]["default_template_id"],
            self.env.ref("customer_visit.mail_template_visit_sign_request").id,
        )
        self.assertEqual(action["name"], "Send to Customer")

    def test_a_message_sent_by_hand_is_followed_as_the_jobs(self):
        self.type_plain.write({"reminder_hours": 48, "answer_hours": 120})
        email = self._visit("email")
        phone = self._visit("phone")
        later = self.now + timedelta(days=1)
        done = self._visit("email", scheduled_date=later)
        done.write({"state": "done", "outcome": "reached"})
        # Reached on the phone, still open: sent to sign, not to answer.
        reached = self._visit("email", scheduled_date=later)
        reached.write({"outcome": "reached"})
        # An e-mail to an SMS visit: its own channel is not the one taken.
        sms = self._visit("sms", scheduled_date=later)
        # Already sent by the job: its reminder and call keep their time.
        earlier = self.now - timedelta(hours=2)
        already = self._visit("email", scheduled_date=later)
        already.write(
            {
                "dispatch_state": "sent",
                "dispatch_channel": "email",
                "dispatch_date": earlier,
            }
        )
        visits = email | phone | done | reached | sms | already
        action = visits.with_user(self.agent).action_send_sign_request()
        wizard = self._composer(action)
        sent_at = self.now
        with freeze_time(sent_at), self.mock_mail_gateway():
            wizard.action_send_mail()
        self.assertEqual(
            (email.dispatch_state, email.dispatch_channel, email.dispatch_date),
            ("sent", "email", sent_at),
        )
        self.assertEqual(email.dispatch_message_id.res_id, email.id)
        self.assertEqual(email.dispatch_message_id.partner_ids, self.zh)
        # Only an open visit of that channel not tried yet is followed.
        self.assertFalse((phone | done | reached | sms).filtered("dispatch_state"))
        self.assertEqual(already.dispatch_date, earlier)
        # The job does not send it again, then reminds it on time.
        with freeze_time(sent_at + timedelta(hours=1)), self.mock_mail_gateway():
            self._dispatch()
            self.assertFalse(self._new_mails)
        with freeze_time(sent_at + timedelta(hours=48)), self.mock_mail_gateway():
            self._dispatch()
            reminder = self._new_mails.filtered(lambda mail: mail.res_id == email.id)
        self.assertEqual(reminder.recipient_ids, self.zh)
        self.assertEqual(email.dispatch_reminded, sent_at + timedelta(hours=48))
        # A chatter message of the agent's own is no send.
        note = self._visit("email", scheduled_date=self.now + timedelta(days=1))
        note.with_user(self.agent).message_post(
            body="Called the shop", partner_ids=self.zh.ids
        )
        self.assertFalse(note.dispatch_state)

    def test_sms_sent_by_hand_to_a_selection_are_followed_when_queued(self):
        other = self.env["res.partner"].create(
            {
                "name": "张伟",
                "mobile": "+86 138 0013 8002",
                "country_id": self.env.ref("base.cn").id,
            }
        )
        later = self.now + timedelta(days=1)
        sms = self._visit("sms", scheduled_date=later)
        blocked = self._visit("sms", partner=other, scheduled_date=later)
        self.env["phone.blacklist"]._add(["+8613800138002"])
        action = (sms | blocked).with_user(self.agent).action_send_sms()
        composer = self._composer(action)
        self.assertEqual(composer.composition_mode, "mass")
        with freeze_time(self.now), self.mockSMSGateway():
            composer.action_send_sms()
        self.assertEqual(
            [(v.dispatch_state, v.dispatch_channel) for v in sms | blocked],
            [("sent", "sms"), (False, False)],
        )
        self.assertEqual(sms.dispatch_date, self.now)
        # One visit: the composer's comment mode, its message followed.
        single = self._visit("sms", scheduled_date=later)
        action = single.with_user(self.agent).action_send_sms()
        composer = self._composer(action)
        self.assertEqual(composer.composition_mode, "comment")
        with self.mockSMSGateway():
            composer.action_send_sms()
        self.assertEqual(
            (single.dispatch_state, single.dispatch_channel), ("sent", "sms")
        )
        self.assertEqual(single.dispatch_message_id.message_type, "sms")
        self.assertIn(single.access_token, single.dispatch_message_id.body)

    def test_a_do_not_visit_customer_is_never_sent_to(self):
        email = self._visit("email")
        sms = self._visit("sms")
        self.zh.do_not_visit = True
        with self.mock_mail_gateway(), self.mockSMSGateway():
            self.assertEqual(self._dispatch(), 0)
        self.assertEqual((email | sms).mapped("state"), ["cancelled", "cancelled"])
        self.assertFalse(self._new_mails)
        self.assertFalse(self._new_sms)
        with self.assertRaises(ValidationError):
            self._visit("email")

    def test_a_reminder_respects_a_blacklist_added_since_and_is_followed(self):
        self.type_plain.write({"reminder_hours": 1, "answer_hours": 0})
        email = self._visit("email")
        sms = self._visit("sms")
        with self.mock_mail_gateway(), self.mockSMSGateway():
            self._dispatch()
        first = email.dispatch_message_id
        self.env["phone.blacklist"]._add(["+8613800138000"])
        with (
            freeze_time(self.now + timedelta(hours=2)),
            self.mock_mail_gateway(),
            self.mockSMSGateway(),
        ):
            self._dispatch()
        self.assertEqual((sms.channel, sms.dispatch_state), ("phone", "fell_back"))
        self.assertFalse(self._new_sms)
        # The e-mail's reminder is the message whose delivery is followed.
        self.assertTrue(email.dispatch_reminded)
        self.assertNotEqual(email.dispatch_message_id, first)

    def test_no_template_gives_the_visit_to_a_call(self):
        self.env.ref("customer_visit.sms_template_visit_dispatch").unlink()
        sms = self._visit("sms")
        email = self._visit("email")
        with self.mock_mail_gateway(), self.mockSMSGateway():
            self.assertEqual(self._dispatch(), 2)
        self.assertEqual((sms.channel, sms.dispatch_state), ("phone", "fell_back"))
        self.assertIn("no template", sms.message_ids[:1].body)
        self.assertEqual(email.dispatch_state, "sent")
