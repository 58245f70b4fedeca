import importlib.util
import os
from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from lxml import etree

from odoo import fields
from odoo.tests import Form, tagged
from odoo.tools import safe_eval

from odoo.addons.mail.tests.common import MailCase

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestFirstDayRetries(VisitCommon, MailCase):
    """A new company on the shipped types: an unanswered call is tried
    again before the visit fails, and an agent's lists show what they owe."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent.tz = "Asia/Shanghai"
        cls.discharge = cls.env.ref("customer_visit.visit_type_discharge")
        cls.web = cls.env["res.partner"].create(
            {"name": "李娜", "email": "li.na@example.cn", "mobile": "+86 139 0000 1111"}
        )

    def _log_outcome(self, visit, reason):
        """The agent logs *not reached* with ``reason`` in Log Outcome."""
        form = Form(
            self.env(user=self.agent)["visit.outcome.wizard"].with_context(
                active_model="visit.record", active_id=visit.id
            )
        )
        form.outcome = "not_reached"
        form.unreached_reason_id = self.reason(reason)
        form.save().action_confirm()

    def _dispatch(self):
        """One run of every Dispatch job (one per worker)."""
        for part in range(self.env["ir.cron"]._visit_workers()):
            self.env["visit.record"]._cron_dispatch(part)

    def _retry_job(self, visit):
        """The Retry job, run once the visit's delay is over."""
        with freeze_time(visit.retry_date + timedelta(minutes=1)):
            self.env["visit.record"]._cron_retry()

    # ------------------------------------------------------------------
    # Shipped policies
    # ------------------------------------------------------------------
    def test_every_shipped_type_tries_an_unanswered_customer_again(self):
        shipped = self.env["visit.type"].search(
            [
                (
                    "id",
                    "in",
                    [
                        self.env.ref(f"customer_visit.visit_type_{code}").id
                        for code in (
                            "complaint",
                            "repair",
                            "after_sale",
                            "survey",
                            "discharge",
                            "new_contract",
                            "warranty",
                            "relationship",
                            "welfare",
                        )
                    ],
                )
            ]
        )
        self.assertEqual(len(shipped), 9)
        self.assertFalse(shipped.filtered(lambda t: t.max_attempts < 2))
        self.assertEqual(self.discharge.max_attempts, 3)
        self.assertGreater(self.type_complaint.max_attempts, 3)

    def test_the_upgrade_raises_only_the_attempts_left_as_shipped(self):
        path = os.path.join(
            os.path.dirname(os.path.dirname(__file__)),
            "migrations/18.0.1.5.0/post-50-type-attempts.py",
        )
        spec = importlib.util.spec_from_file_location("post_50_type_attempts", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        # As shipped before; the company set the complaint type to 5 itself.
        self.type_repair.write({"max_attempts": 1, "retry_delay_hours": 4})
        self.discharge.write({"max_attempts": 1, "retry_delay_hours": 2})
        self.type_complaint.max_attempts = 5
        migration.migrate(self.env.cr, "18.0.1.4.0")
        self.env.invalidate_all()
        self.assertEqual(
            (self.type_repair.max_attempts, self.type_repair.retry_delay_hours), (3, 4)
        )
        self.assertEqual(
            (self.discharge.max_attempts, self.discharge.retry_delay_hours),
            (3, 2),
            "an edited delay is kept",
        )
        self.assertEqual(self.type_complaint.max_attempts, 5, "an edited value")

    def test_no_answer_is_retried_on_a_discharge_visit_then_fails_after_the_last(self):
        visit = self._create_visit(type_id=self.discharge.id, user_id=self.agent.id)
        self.assertEqual(visit.max_attempts, 3)
        for number in (1, 2):
            self._log_outcome(visit, "no_answer" if number == 1 else "switched_off")
            self.assertEqual(visit.state, "in_progress", f"attempt {number} retried")
            self.assertTrue(visit.retry_date)
            self.assertIn("another attempt is planned", visit.message_ids[:1].body)
            self.assertFalse(
                visit.activity_ids, "no to-do while waiting for the retry time"
            )
            self._retry_job(visit)
            self.assertEqual(visit.state, "planned")
            self.assertIn(f"Attempt {number + 1}", visit.message_ids[:1].body)
            self.assertEqual(visit.activity_ids.user_id, self.agent)
        self._log_outcome(visit, "no_answer")
        self.assertEqual(visit.state, "failed")
        self.assertEqual(
            [attempt.reason_id.code for attempt in visit.attempt_ids].count(
                "no_answer"
            ),
            2,
        )
        self.assertEqual(len(visit.attempt_ids), 3)
        self.assertFalse(visit.activity_ids)
        last = visit.message_ids[:1]
        self.assertIn("Visit failed", last.body)
        self.assertIn("No answer", last.body)
        self.assertFalse(
            visit.message_ids.filtered(
                lambda m: "done" in (m.body or "") and m.mail_activity_type_id
            ),
            "a failed visit logs no '<activity> done'",
        )

    def test_a_void_number_fails_at_once_and_the_chatter_says_so(self):
        visit = self._create_visit(type_id=self.discharge.id, user_id=self.agent.id)
        self._log_outcome(visit, "void_number")
        self.assertEqual((visit.state, len(visit.attempt_ids)), ("failed", 1))
        self.assertIn("Visit failed", visit.message_ids[:1].body)
        self.assertIn("Wrong or void number", visit.message_ids[:1].body)
        self.assertFalse(visit.message_ids.mail_activity_type_id)

    # ------------------------------------------------------------------
    # Due Now / Due Today
    # ------------------------------------------------------------------
    def _filter_domain(self, name):
        """The filter's domain as the web client evaluates it for the agent
        (py.js: ``to_utc`` converts from the browser's zone, the agent's)."""
        arch = self.env.ref("customer_visit.visit_record_view_search").arch
        text = (
            etree.fromstring(arch).xpath(f"//filter[@name='{name}']")[0].get("domain")
        )
        tz = pytz.timezone(self.agent.tz)

        class BrowserDatetime(datetime):
            @classmethod
            def now(cls, tz_=None):
                local = fields.Datetime.now().replace(tzinfo=pytz.utc).astimezone(tz)
                return cls.combine(local.date(), local.time())

            def to_utc(self):
                return tz.localize(self).astimezone(pytz.utc).replace(tzinfo=None)

        class DatetimeModule:
            datetime = BrowserDatetime
            time = time

        today = BrowserDatetime.now().date()
        return safe_eval.safe_eval(
            text,
            {
                "context_today": lambda: today,
                "relativedelta": relativedelta,
                "datetime": DatetimeModule,
                "uid": self.agent.id,
            },
        )

    def test_due_now_and_due_today_are_distinct_and_right_for_the_agent(self):
        tz = pytz.timezone(self.agent.tz)
        now = fields.Datetime.now().replace(microsecond=0)
        local_today = pytz.utc.localize(now).astimezone(tz).date()
        start = (
            tz.localize(datetime.combine(local_today, time(0, 0)))
            .astimezone(pytz.utc)
            .replace(tzinfo=None)
        )
        end = start + timedelta(days=1)
        overdue = self._create_visit(
            user_id=self.agent.id,
            scheduled_date=now - timedelta(days=3),
            deadline=now - timedelta(days=2),
        )
        owed_now = self._create_visit(
            user_id=self.agent.id, scheduled_date=max(start, now - timedelta(hours=1))
        )
        later_today = self._create_visit(
            user_id=self.agent.id,
            scheduled_date=min(end - timedelta(minutes=1), now + timedelta(hours=1)),
        )
        tomorrow = self._create_visit(
            user_id=self.agent.id,
            scheduled_date=end + timedelta(hours=1),
            deadline=end + timedelta(days=2),
        )
        waiting = self._create_visit(
            user_id=self.agent.id,
            partner_id=self.web.id,
            channel="email",
            scheduled_date=max(start, now - timedelta(hours=1)),
        )
        with self.mock_mail_gateway():
            self._dispatch()
        self.assertEqual(waiting.dispatch_state, "sent")
        visits = overdue | owed_now | later_today | tomorrow | waiting
        Visit = self.env["visit.record"].with_user(self.agent)

        def found(name):
            domain = self._filter_domain(name) + [("id", "in", visits.ids)]
            return Visit.search(domain)

        self.assertEqual(found("due_now"), overdue | owed_now)
        today = owed_now | waiting
        if later_today.scheduled_date > now:  # not when now is 23:59 local
            self.assertNotIn(later_today, found("due_now"))
            today |= later_today
        self.assertEqual(found("due_today"), today)

    # ------------------------------------------------------------------
    # A digital visit waiting for the customer
    # ------------------------------------------------------------------
    def test_a_sent_digital_visit_has_no_overdue_to_do_until_it_needs_a_call(self):
        self.type_plain.write({"reminder_hours": 48, "answer_hours": 120})
        sent_at = fields.Datetime.now().replace(microsecond=0)
        visit = self._create_visit(
            user_id=self.agent.id,
            partner_id=self.web.id,
            channel="email",
            scheduled_date=sent_at - timedelta(days=2),
            deadline=sent_at + timedelta(days=10),
        )
        with freeze_time(sent_at), self.mock_mail_gateway():
            self._dispatch()
        self.assertEqual(visit.dispatch_state, "sent")
        Activity = self.env["mail.activity"].with_user(self.agent)

        def overdue_to_dos():
            return Activity.search(
                [
                    ("res_model", "=", "visit.record"),
                    ("res_id", "=", visit.id),
                    ("user_id", "=", self.agent.id),
                    (
                        "date_deadline",
                        "<",
                        fields.Date.context_today(visit.with_user(self.agent)),
                    ),
                ]
            )

        # Sent two days late: still nothing overdue for the agent, the to-do
        # falls due when the call would be owed.
        to_do = visit.with_user(self.agent).activity_ids
        self.assertEqual(len(to_do), 1)
        self.assertEqual(
            to_do.date_deadline, visit._assignee_day(sent_at + timedelta(hours=120))
        )
        with freeze_time(sent_at + timedelta(hours=72)), self.mock_mail_gateway():
            self._dispatch()  # the reminder
            self.assertTrue(visit.dispatch_reminded)
            self.assertFalse(overdue_to_dos())
            to_do.invalidate_recordset(["state"])
            self.assertEqual(to_do.state, "planned")
        # No answer: now a call, owed today.
        with freeze_time(sent_at + timedelta(hours=121)), self.mock_mail_gateway():
            self._dispatch()
            self.assertEqual(visit.channel, "phone")
            self.assertEqual(
                to_do.date_deadline, visit._assignee_day(sent_at + timedelta(hours=121))
            )
            to_do.invalidate_recordset(["state"])
            self.assertEqual(to_do.state, "today")
