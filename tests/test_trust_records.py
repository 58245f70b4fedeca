"""What is read-only on screen is read-only by API, and a signed sheet is a
frozen document: tested as the agent, the salesperson and the manager who
would try."""

import base64
import io
import json
import struct
import zlib
from datetime import timedelta

from PIL import Image

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.migration import load_script
from odoo.tests import new_test_user, tagged

from .common import VisitCommon
from .test_signature import png_signature


def bomb_png(side=100_000):
    """A PNG of a few bytes whose header announces side × side pixels."""
    buffer = io.BytesIO()
    Image.new("1", (1, 1)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    data[16:24] = struct.pack(">II", side, side)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return base64.b64encode(bytes(data))


signed_snapshots = load_script(
    "customer_visit/migrations/18.0.1.5.0/post-30-signed-snapshots.py",
    "customer_visit_signed_snapshots",
)


@tagged("post_install", "-at_install")
class TestProtectedFields(VisitCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.visit = cls._create_visit(user_id=cls.agent.id)

    def _unchanged(self, visit, **expected):
        visit.invalidate_recordset()
        for fname, value in expected.items():
            self.assertEqual(visit[fname], value, fname)

    def test_agent_cannot_close_review_or_move_the_due_date_by_write(self):
        visit = self.visit.with_user(self.agent)
        due = self.visit.due_date
        status = self.visit.signature_status
        attacks = [
            {"state": "done"},
            {"state": "done", "date_done": self.now},
            {"review_state": "approved", "reviewer_id": self.agent_2.id},
            {"review_comment": "All good"},
            {"due_date": self.now.replace(year=self.now.year + 5)},
            {"signature_hash": "0" * 64},
            {"signed_content": "{}"},
            # What screens, jobs and figures read as the state and the
            # signature: never written, only computed.
            {"is_open": False},
            {"is_locked": True},
            {"signature_status": "not_required"},
        ]
        for vals in attacks:
            with self.subTest(vals=list(vals)):
                with self.assertRefused(AccessError, "not by a direct write"):
                    visit.write(vals)
        self._unchanged(
            self.visit,
            is_open=True,
            signature_status=status,
            state="planned",
            date_done=False,
            review_state=False,
            reviewer_id=self.env["res.users"],
            due_date=due,
            signature_hash=False,
        )

    def test_the_same_value_sent_back_by_a_form_is_no_change(self):
        self.visit.with_user(self.agent).write(
            {"state": "planned", "review_state": False, "opinion": "Busy line"}
        )
        self.assertEqual(self.visit.opinion, "Busy line")

    def test_the_agent_closes_through_the_button(self):
        visit = self.visit.with_user(self.agent)
        visit.write({"outcome": "reached"})
        visit.action_done()
        self.assertEqual(self.visit.state, "done")
        self.assertTrue(self.visit.date_done)

    def test_a_manager_may_correct_the_due_date_and_it_is_tracked(self):
        later = self.visit.due_date + timedelta(days=2)
        self.visit.with_user(self.manager).write({"due_date": later})
        self.assertEqual(self.visit.due_date, later)
        note = self.visit.message_ids[:1]
        self.assertIn("Due date corrected by Manager Mia", note.body)
        self.assertEqual(note.author_id, self.manager.partner_id)
        with self.assertRefused(AccessError, "not by a direct write"):
            self.visit.with_user(self.manager).write({"state": "done"})

    def test_a_visit_created_by_hand_starts_open_unreviewed_and_unsigned(self):
        Visit = self.env["visit.record"].with_user(self.agent)
        for vals in (
            {"state": "done"},
            {"review_state": "approved"},
            {"date_done": self.now},
            {"signature_hash": "0" * 64},
            {"signature": png_signature(), "signed_by": "Li Na"},
            {"is_locked": True},
        ):
            with self.subTest(vals=list(vals)):
                with self.assertRefused(AccessError, "starts open"):
                    Visit.create(self._visit_vals(user_id=self.agent.id, **vals))
        visit = Visit.create(self._visit_vals(user_id=self.agent.id, state="planned"))
        self.assertEqual(visit.state, "planned")

    def test_a_plans_rule_and_source_cannot_be_rewritten(self):
        rule = self.env["visit.rule"].create(self._rule_vals())
        ticket = self._closed_ticket(self.now)
        other = self._closed_ticket(self.now)
        rule._generate_batch()
        plan = rule.plan_ids.filtered(lambda plan: plan.rule_source_id == ticket.id)
        hand_plan = self.env["visit.plan"].create({"partner_id": self.customer.id})
        # The salesperson marks their ticket as already followed up.
        for target, vals in (
            (hand_plan, {"rule_id": rule.id, "rule_source_id": other.id}),
            (plan, {"rule_source_id": other.id}),
            (plan, {"ticket_id": other.id}),
            (plan, {"reference_date": self.now - timedelta(days=30)}),
        ):
            with self.subTest(vals=list(vals)):
                with self.assertRefused(AccessError, "not by a direct write"):
                    target.with_user(self.manager).write(vals)
        with self.assertRefused(AccessError, "not by a direct write"):
            self.env["visit.plan"].with_user(self.agent).create(
                {"partner_id": self.customer.id, "rule_id": rule.id}
            )
        self.assertFalse(hand_plan.rule_id)
        self.assertEqual(plan.rule_source_id, ticket.id)

    def test_an_answer_keeps_its_visit_and_question(self):
        question = self.env["visit.type.question"].create(
            {"type_id": self.type_plain.id, "name": "Did it work?"}
        )
        first = self._create_visit(user_id=self.agent.id)
        second = self._create_visit(user_id=self.agent.id)
        answer = first.answer_ids.filtered(lambda a: a.question_id == question)
        self.assertTrue(answer)
        other_question = self.env["visit.type.question"].create(
            {"type_id": self.type_plain.id, "name": "Anything else?"}
        )
        for vals in ({"record_id": second.id}, {"question_id": other_question.id}):
            with self.subTest(vals=list(vals)):
                with self.assertRefused(AccessError, "stays with the visit"):
                    answer.with_user(self.agent).write(vals)
        self.assertEqual(answer.record_id, first)
        self.assertEqual(answer.question_id, question)


@tagged("post_install", "-at_install")
class TestSignedSheet(VisitCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_onsite = cls.env.ref("customer_visit.visit_type_after_sale")
        cls.question = cls.env["visit.type.question"].create(
            {
                "type_id": cls.type_onsite.id,
                "name": "Were you told how to use the product?",
                "answer_kind": "yes_no",
            }
        )

    def _signed(self):
        visit = self._create_visit(type_id=self.type_onsite.id, user_id=self.agent.id)
        answer = visit.answer_ids.filtered(lambda a: a.question_id == self.question)
        answer.value_yes_no = "yes"
        visit.write({"outcome": "reached", "opinion": "Installed well"})
        visit.with_user(self.agent)._sign("王建国", png_signature())
        return visit

    def _sheet_text(self, visit):
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "customer_visit.visit_record_report_sheet", visit.ids
        )
        return html.decode()

    def test_the_snapshot_freezes_what_the_customer_signed(self):
        visit = self._signed()
        snapshot = json.loads(visit.signed_content)
        self.assertEqual(
            snapshot["answers"][-1]["question"], "Were you told how to use the product?"
        )
        self.assertEqual(snapshot["opinion"], "Installed well")
        self.assertEqual(snapshot["type"], self.type_onsite.name)
        self.assertEqual(snapshot["agent"], self.agent.name)
        self.assertEqual(snapshot["signed_by"], "王建国")
        self.assertIn("(", snapshot["signed_on"])  # labelled with its time zone
        self.assertTrue(visit.is_signature_valid)

    def test_a_reworded_question_changes_nothing_in_a_signed_sheet(self):
        visit = self._signed()
        reworded = "Do you waive every warranty claim for this repair?"
        self.question.with_user(self.manager).name = reworded
        text = self._sheet_text(visit)
        self.assertIn("Were you told how to use the product?", text)
        self.assertNotIn(reworded, text)
        self.assertTrue(visit.is_signature_valid)
        self.assertIn("Signed content unchanged since signing", text)

    def test_a_tampered_snapshot_shows_on_the_sheet_and_the_form(self):
        visit = self._signed()
        forged = json.loads(visit.signed_content)
        forged["opinion"] = "I waive every claim"
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE visit_record SET signed_content = %s WHERE id = %s",
            [json.dumps(forged), visit.id],
        )
        visit.invalidate_recordset()
        self.assertFalse(visit.is_signature_valid)
        self.assertIn("does not match its signature", self._sheet_text(visit))

    def test_a_signed_visit_is_never_cancelled_reopened_or_deleted(self):
        visit = self._signed()
        with self.assertRefused(UserError, "cannot be cancelled"):
            visit.with_user(self.agent).action_cancel()
        with self.assertRefused(UserError, "cannot be cancelled"):
            visit.plan_id.with_user(self.manager).action_cancel("Duplicate")
        with self.assertRefused(UserError, "cannot be deleted"):
            visit.with_user(self.manager).unlink()
        with self.assertRefused(AccessError, "not by a direct write"):
            visit.with_user(self.manager).write({"state": "cancelled"})
        visit.with_user(self.agent).action_done()
        with self.assertRefused(UserError, "cannot be deleted"):
            visit.with_user(self.manager).unlink()
        self.assertEqual(visit.state, "done")

    def test_a_signed_visit_is_not_sent_back_by_a_review(self):
        visit = self._signed()
        visit.with_user(self.agent).action_done()
        visit.sudo().write({"review_state": "to_review"})
        wizard = (
            self.env["visit.review.wizard"]
            .with_user(self.manager)
            .create({"record_ids": [(6, 0, visit.ids)], "comment": "Redo"})
        )
        with self.assertRefused(UserError, "cannot be reopened"):
            wizard.action_send_back()
        self.assertEqual(visit.state, "done")

    def test_a_decompression_bomb_is_no_signature_in_the_back_office(self):
        visit = self._create_visit(type_id=self.type_onsite.id, user_id=self.agent.id)
        visit.write({"outcome": "reached"})
        for image in (bomb_png(), bomb_png(8000)):
            with self.assertRefused(ValidationError, "must be an image"):
                visit.with_user(self.agent).write(
                    {"signature": image, "signed_by": "王建国"}
                )
        self.assertFalse(visit.signature_hash)
        self.assertFalse(visit.signature)

    def test_a_closed_visit_is_not_deleted(self):
        visit = self._create_visit(user_id=self.agent.id, outcome="reached")
        visit.with_user(self.agent).action_done()
        with self.assertRefused(UserError, "cannot be\\s+deleted"):
            visit.with_user(self.manager).unlink()

    def test_visits_signed_before_the_upgrade_keep_validating(self):
        visit = self._signed()
        tampered = self._signed()
        # As the previous version left them: its hash, no snapshot.
        self.env.flush_all()
        for rec in (visit, tampered):
            self.env.cr.execute(
                "UPDATE visit_record SET signed_content = NULL, signature_hash = %s "
                "WHERE id = %s",
                [signed_snapshots.legacy_digest(rec), rec.id],
            )
        self.env.cr.execute(
            "UPDATE visit_record SET opinion = 'Forged' WHERE id = %s", [tampered.id]
        )
        (visit | tampered).invalidate_recordset()
        self.assertEqual(signed_snapshots.freeze_legacy_signatures(self.env), (1, 1))
        self.assertTrue(visit.is_signature_valid)
        self.assertFalse(tampered.is_signature_valid)
        self.assertEqual(
            json.loads(visit.signed_content)["answers"][-1]["answer"], "Yes"
        )

    def test_the_chinese_sheet_freezes_the_chinese_wording(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["customer_visit"], ["zh_CN"], overwrite=True
        )
        self.question.with_context(lang="zh_CN").name = "是否告知产品使用方法？"
        self.customer.lang = "zh_CN"
        visit = self._signed()
        snapshot = json.loads(visit.signed_content)
        self.assertEqual(snapshot["lang"], "zh_CN")
        self.assertEqual(snapshot["answers"][-1]["question"], "是否告知产品使用方法？")
        self.assertEqual(snapshot["answers"][-1]["answer"], "是")
        self.question.with_context(lang="zh_CN").name = "是否放弃所有保修索赔？"
        self.assertIn("是否告知产品使用方法？", self._sheet_text(visit))
        self.assertTrue(visit.is_signature_valid)
        self.assertEqual(snapshot["company"], visit.company_id.name)


@tagged("post_install", "-at_install")
class TestSidePaths(VisitCommon):
    """Side paths around the protected fields, found by an attack review."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.visit = cls._create_visit(user_id=cls.agent.id)

    def test_default_context_keys_fill_no_protected_field(self):
        visit = (
            self.env["visit.record"]
            .with_user(self.agent)
            .with_context(
                default_state="done",
                default_date_done=self.now,
                default_review_state="approved",
                default_reviewer_id=self.manager.id,
                default_signed_on=self.now,
                default_signed_content="{}",
                default_signature_hash="0" * 64,
                default_access_token="chosen-by-the-agent",
            )
            .create(self._visit_vals(user_id=self.agent.id))
        )
        self.assertEqual(visit.state, "planned")
        self.assertFalse(
            visit.date_done
            or visit.review_state
            or visit.reviewer_id
            or visit.signed_on
            or visit.signed_content
            or visit.signature_hash
        )
        self.assertNotEqual(visit.sudo().access_token, "chosen-by-the-agent")
        rule = self.env["visit.rule"].create(self._rule_vals())
        plan = (
            self.env["visit.plan"]
            .with_user(self.agent)
            .with_context(default_rule_id=rule.id, default_rule_source_id=7)
            .create({"partner_id": self.customer.id})
        )
        self.assertFalse(plan.rule_id)
        self.assertFalse(plan.rule_source_id)

    def test_the_customers_link_is_neither_written_nor_read_by_an_agent(self):
        self.visit._portal_ensure_token()
        token = self.visit.access_token
        agent_visit = self.visit.with_user(self.agent)
        with self.assertRefused(AccessError, "not by a direct write"):
            agent_visit.write({"access_token": "tok-agent"})
        with self.assertRaises(AccessError):
            agent_visit.read(["access_token"])
        self.assertEqual(self.visit.access_token, token)

    def test_an_agents_reschedule_keeps_the_visit_owed_from_its_due_time(self):
        due = self.visit.due_date
        later = self.now + timedelta(days=90)
        self.visit.with_user(self.agent).write(
            {"scheduled_date": later, "deadline": later + timedelta(days=2)}
        )
        self.assertEqual(self.visit.scheduled_date, later)
        self.assertEqual(self.visit.due_date, due)
        for vals in (
            {"date_escalated": self.now},
            {"retry_date": later},
            {"fallback_step": 3},
            {"is_confirmation": True},
            {"is_independent": not self.visit.is_independent},
        ):
            with self.subTest(vals=list(vals)):
                with self.assertRefused(AccessError, "not by a direct write"):
                    self.visit.with_user(self.agent).write(vals)
        self.visit.with_user(self.manager).write({"scheduled_date": later})
        self.assertEqual(self.visit.due_date, later)

    def test_a_plan_is_joined_only_if_readable_and_its_state_is_computed(self):
        hidden = self.env["visit.plan"].create(
            {"partner_id": self.customer.id, "user_id": self.agent_2.id}
        )
        self._create_visit(plan_id=hidden.id, user_id=self.agent_2.id)
        with self.assertRaises(AccessError):
            self.env["visit.record"].with_user(self.agent).create(
                self._visit_vals(user_id=self.agent.id, plan_id=hidden.id)
            )
        with self.assertRefused(AccessError, "not by a direct write"):
            self.visit.plan_id.with_user(self.agent).write({"state": "cancelled"})
        self.assertEqual(self.visit.plan_id.state, "open")

    def test_the_chatter_and_the_attempts_are_history(self):
        visit = self.visit.with_user(self.agent)
        visit.write(
            {
                "outcome": "not_reached",
                "unreached_reason_id": self.reason("no_answer").id,
            }
        )
        visit.action_done()
        note = self.visit.message_post(body="Called, no answer", message_type="comment")
        for user in (self.agent, self.manager):
            with self.subTest(user=user.login):
                with self.assertRefused(UserError, "cannot be deleted"):
                    note.with_user(user).unlink()
                with self.assertRefused(UserError, "cannot be edited"):
                    self.visit.with_user(user)._message_update_content(
                        note.with_user(user), "Reached, satisfied"
                    )
                with self.assertRaises(AccessError):
                    self.visit.attempt_ids.with_user(user).write({"result": "reached"})
                with self.assertRaises(AccessError):
                    self.visit.attempt_ids.with_user(user).unlink()
        self.assertTrue(note.exists())
        self.assertIn("no answer", note.body)

    def test_only_follow_up_users_flag_do_not_visit(self):
        clerk = new_test_user(
            self.env,
            login="cv_contact_clerk",
            groups="base.group_user,base.group_partner_manager",
        )
        with self.assertRefused(AccessError, "Only follow-up users"):
            self.customer.with_user(clerk).write({"do_not_visit": True})
        self.customer.with_user(clerk).write({"comment": "VIP"})
        self.assertEqual(self.visit.state, "planned")
        self.customer.with_user(self.manager).write({"do_not_visit": True})
        self.assertEqual(self.visit.state, "cancelled")
