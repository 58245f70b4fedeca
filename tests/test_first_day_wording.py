import importlib.util
import os
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestFirstDayWording(VisitCommon):
    """What the chatter, the messages and the upgraded templates say, read
    by the agent: no empty feedback, the singular for one attempt, times
    with their zone, and no request to sign a visit nobody took part in."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent.tz = "America/New_York"
        cls.type_once = cls.env["visit.type"].create(
            {"name": "One try", "max_attempts": 1}
        )
        cls.mobile = cls.env["res.partner"].create(
            {
                "name": "李娜",
                "mobile": "+86 138 0013 8001",
                "country_id": cls.env.ref("base.cn").id,
            }
        )

    def _log_outcome(self, visit, **values):
        """The agent logs the outcome in Log Outcome."""
        form = Form(
            self.env(user=self.agent)["visit.outcome.wizard"].with_context(
                active_model="visit.record", active_id=visit.id
            )
        )
        for name, value in values.items():
            setattr(form, name, value)
        form.save().action_confirm()

    def _visit(self, **values):
        values.setdefault("user_id", self.agent.id)
        visit = self._create_visit(**values)
        visit.activity_schedule(
            "mail.mail_activity_data_todo", user_id=self.agent.id, summary="Call"
        )
        return visit

    def test_a_visit_closed_in_log_outcome_logs_no_empty_feedback(self):
        visit = self._visit()
        self._log_outcome(visit, outcome="reached")
        self.assertEqual(visit.state, "done")
        done = visit.message_ids.filtered(lambda m: "done" in (m.body or ""))
        self.assertTrue(done, "the closed to-do is logged")
        self.assertNotIn("Feedback", done[0].body)

    def test_a_visit_failed_after_one_attempt_says_attempt(self):
        visit = self._visit(type_id=self.type_once.id)
        self._log_outcome(
            visit, outcome="not_reached", unreached_reason_id=self.reason("no_answer")
        )
        self.assertEqual(visit.state, "failed")
        self.assertIn("after 1 attempt.", visit.message_ids[0].body)
        self.assertNotIn("1 attempts", visit.message_ids[0].body)

    def test_a_callback_time_in_the_chatter_says_its_zone(self):
        visit = self._visit()
        when = (fields.Datetime.now() + timedelta(days=1)).replace(
            hour=6, minute=0, second=0, microsecond=0
        )
        self._log_outcome(
            visit,
            outcome="not_reached",
            unreached_reason_id=self.reason("busy_callback"),
            callback_date=when,
        )
        # 06:00 UTC is 01:00 (or 02:00 in summer) in the agent's New York.
        local = fields.Datetime.context_timestamp(
            self.env(context={"tz": "America/New_York"})["res.partner"], when
        )
        self.assertIn(
            local.strftime("%Y-%m-%d %H:%M") + " (America/New_York)",
            visit.message_ids[0].body,
        )

    def test_no_record_of_a_failed_or_cancelled_visit_is_sent(self):
        failed = self._visit(partner_id=self.mobile.id, type_id=self.type_once.id)
        self._log_outcome(
            failed, outcome="not_reached", unreached_reason_id=self.reason("no_answer")
        )
        cancelled = self._visit()
        cancelled.with_user(self.agent).action_cancel()
        for visit in failed | cancelled:
            for action in ("action_send_sign_request", "action_send_sms"):
                with (
                    self.subTest(visit=visit.state, action=action),
                    self.assertRaisesRegex(UserError, "never reached"),
                ):
                    getattr(visit.with_user(self.agent), action)()

    def test_send_sms_on_a_closed_visit_asks_to_sign_not_to_answer(self):
        visit = self._visit(partner_id=self.mobile.id)
        self._log_outcome(visit, outcome="reached")
        action = visit.with_user(self.agent).action_send_sms()
        self.assertEqual(
            action["context"]["default_template_id"],
            self.env.ref("customer_visit.sms_template_visit_sign_request").id,
        )
        # Still to be answered (waiting for its next attempt): to answer.
        open_visit = self._visit(partner_id=self.mobile.id, type_id=self.type_repair.id)
        self._log_outcome(
            open_visit,
            outcome="not_reached",
            unreached_reason_id=self.reason("no_answer"),
        )
        self.assertEqual(open_visit.state, "in_progress")
        action = open_visit.with_user(self.agent).action_send_sms()
        self.assertNotEqual(
            action["context"]["default_template_id"],
            self.env.ref("customer_visit.sms_template_visit_sign_request").id,
        )
        # Signed: the SMS asking to sign is not sent again.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE visit_record SET signature_hash = 'x' WHERE id = %s", [visit.id]
        )
        self.env.invalidate_all()
        with self.assertRaisesRegex(UserError, "already signed"):
            visit.with_user(self.agent).action_send_sms()

    def test_log_outcome_offers_a_choice_once_in_the_agents_language(self):
        """An agent working in Chinese after one working in English picks
        among the Chinese choices only (each wording once)."""
        self.env["res.lang"]._activate_lang("zh_CN")
        question = self.env.ref("customer_visit.visit_type_repair_q2")
        for option, chinese in zip(
            question.option_ids, ("准时", "稍有迟到", "严重迟到"), strict=True
        ):
            option.update_field_translations("name", {"zh_CN": chinese})
        visit = self._visit(type_id=self.type_repair.id)
        offered = {}
        for lang in ("en_US", "zh_CN"):
            self.agent.lang = lang
            form = Form(
                self.env(user=self.agent)["visit.outcome.wizard"].with_context(
                    active_model="visit.record", active_id=visit.id, lang=lang
                )
            )
            form.outcome = "reached"
            line = form.save().answer_ids.filtered(
                lambda answer: answer.question_id == question
            )
            # What the list of the line's choice offers (its domain).
            offered[lang] = (
                self.env["visit.question.option"]
                .with_user(self.agent)
                .with_context(lang=lang)
                .name_search("", [("question_id", "=", line.question_id.id)])
            )
        self.assertEqual(
            [name for _id, name in offered["en_US"]],
            ["On time", "A little late", "Very late"],
        )
        self.assertEqual(
            [name for _id, name in offered["zh_CN"]], ["准时", "稍有迟到", "严重迟到"]
        )
        self.assertEqual(
            [option_id for option_id, _name in offered["zh_CN"]],
            question.option_ids.ids,
            "the same choices, each once",
        )


@tagged("post_install", "-at_install")
class TestFirstDayTemplateUpgrade(VisitCommon):
    """A database upgraded from 18.0.1.4.0 gets the shipped templates'
    new wording, unless the company edited them."""

    def _migration(self):
        path = os.path.join(
            os.path.dirname(os.path.dirname(__file__)),
            "migrations/18.0.1.6.0/post-10-template-wording.py",
        )
        spec = importlib.util.spec_from_file_location("cv_post_160_10", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        return migration

    def test_templates_left_as_shipped_get_the_new_wording(self):
        migration = self._migration()
        self.env["res.lang"]._activate_lang("zh_CN")
        sign = self.env.ref("customer_visit.mail_template_visit_sign_request")
        sms = self.env.ref("customer_visit.sms_template_visit_dispatch")
        dispatch = self.env.ref("customer_visit.mail_template_visit_dispatch")
        # As 18.0.1.4.0 shipped them; the company edited the Dispatch e-mail.
        sign.with_context(lang="en_US").body_html = migration.OLD[
            "mail_template_visit_sign_request"
        ][1]["body_html"]
        sms.with_context(lang="en_US").body = migration.OLD[
            "sms_template_visit_dispatch"
        ][1]["body"]
        sms.with_context(lang="zh_CN").body = migration.OLD_TRANSLATIONS[
            "sms_template_visit_dispatch"
        ]["zh_CN"]
        dispatch.with_context(lang="en_US").body_html = "<p>Our own words</p>"
        self.env.flush_all()
        migration.migrate(self.env.cr, "18.0.1.5.0")
        self.env.invalidate_all()
        self.assertIn(
            "you can ask us not to contact you again",
            sign.with_context(lang="en_US").body_html,
        )
        self.assertIn("how did our service go", sms.with_context(lang="en_US").body)
        self.assertNotIn("how did our {{", sms.with_context(lang="en_US").body)
        self.assertIn(
            "满意吗", sms.with_context(lang="zh_CN").body, "Chinese stays Chinese"
        )
        self.assertIn("Our own words", dispatch.with_context(lang="en_US").body_html)
