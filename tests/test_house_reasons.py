import importlib.util
import os
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.registry import Registry
from odoo.tests import Form, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestHouseReasons(VisitCommon):
    """Reasons not reached are records, as core's ``crm.lost.reason``: a
    manager adds one, agents log it at once, and what it means follows."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_three = cls.env["visit.type"].create(
            {"name": "Three tries", "default_channel": "phone", "max_attempts": 3}
        )

    def _log_not_reached(self, visit, reason):
        """The agent logs *not reached* with ``reason`` in Log Outcome."""
        form = Form(
            self.env(user=self.agent)["visit.outcome.wizard"].with_context(
                active_model="visit.record", active_id=visit.id
            )
        )
        form.outcome = "not_reached"
        form.unreached_reason_id = reason
        form.save().action_confirm()

    def test_a_reason_a_manager_adds_is_logged_by_an_agent_with_its_behaviour(self):
        visit = self._create_visit(type_id=self.type_three.id, user_id=self.agent.id)
        with patch.object(
            Registry, "clear_cache", autospec=True, side_effect=Registry.clear_cache
        ) as clear_cache:
            form = Form(self.env(user=self.manager)["visit.unreached.reason"])
            form.name = "Moved abroad"
            form.code = "moved_abroad"
            form.behaviour = "end"
            reason = form.save()
            self._log_not_reached(visit, reason.with_user(self.agent))
        self.assertFalse(clear_cache.called, "no cache of reasons to clear")
        # "End": the visit fails at its first attempt, though two are left.
        self.assertEqual(visit.state, "failed")
        self.assertEqual(visit.unreached_reason_id, reason)
        self.assertEqual(
            (visit.attempt_ids.result, visit.attempt_ids.reason_id),
            ("not_reached", reason),
        )
        self.assertIn(
            "not reached (Moved abroad) after 1 attempt", visit.message_ids[0].body
        )
        # The agent's list and the analysis show it by name.
        agent_visit = visit.with_user(self.agent)
        self.assertEqual(agent_visit.unreached_reason_id.display_name, "Moved abroad")
        groups = self.env(user=self.manager)["visit.case"]._read_group(
            [("record_id", "=", visit.id)], ["unreached_reason_id"], ["__count"]
        )
        self.assertEqual(
            [(group.display_name, count) for group, count in groups],
            [("Moved abroad", 1)],
        )

    def test_a_reason_retried_or_falling_back_follows_its_behaviour(self):
        Reason = self.env(user=self.manager)["visit.unreached.reason"]
        later = Reason.create(
            {"name": "At the market", "code": "market", "behaviour": "retry"}
        )
        elsewhere = Reason.create(
            {"name": "Only by letter", "code": "letter_only", "behaviour": "fallback"}
        )
        retried = self._create_visit(type_id=self.type_three.id, user_id=self.agent.id)
        self._log_not_reached(retried, later)
        self.assertEqual(retried.state, "in_progress")
        self.assertEqual(retried._next_try(), "retry")
        self.assertIn("Not reached (At the market)", retried.message_ids[0].body)
        fallen = self._create_visit(
            type_id=self.type_three.id,
            user_id=self.agent.id,
            fallback_channels="letter",
        )
        self._log_not_reached(fallen, elsewhere)
        # The next channel at once, not after the delay: two tries were left.
        self.assertEqual(fallen.state, "in_progress")
        self.assertLessEqual(fallen.retry_date, fields.Datetime.now())
        self.assertEqual(fallen._next_try(), "fallback")

    def test_agents_read_reasons_and_only_managers_change_them(self):
        Reason = self.env(user=self.agent)["visit.unreached.reason"]
        self.assertIn(self.reason("no_answer"), Reason.search([]))
        with self.assertRefused(AccessError, "not allowed"):
            Reason.create({"name": "Mine", "code": "mine", "behaviour": "retry"})
        with self.assertRefused(AccessError, "not allowed"):
            self.reason("no_answer").with_user(self.agent).name = "Nobody home"

    def test_attempts_are_recorded_by_the_addon_only(self):
        """An agent cannot add a forged attempt (say a callback, which uses
        up no attempt) to a visit over RPC; Log Outcome records theirs."""
        visit = self._create_visit(user_id=self.agent.id)
        with self.assertRefused(AccessError, "recorded by Log Outcome"):
            self.env["visit.attempt"].with_user(self.agent).create(
                {
                    "record_id": visit.id,
                    "result": "not_reached",
                    "reason_id": self.reason("busy_callback").id,
                }
            )
        self.assertFalse(visit.attempt_ids)

    def test_an_agent_cannot_reword_the_answers_of_a_closed_visit(self):
        """Over RPC, an agent cannot change what the customer answered once
        the visit is closed; a manager can correct it."""
        question = self.env["visit.type.question"].create(
            {"type_id": self.type_plain.id, "name": "Anything else?"}
        )
        visit = self._create_visit(user_id=self.agent.id)
        answer = visit.answer_ids.filtered(lambda a: a.question_id == question)
        answer.with_user(self.agent).value_text = "All fine"
        visit.with_user(self.manager).action_cancel()
        with self.assertRefused(UserError, "ask a manager to correct"):
            answer.with_user(self.agent).value_text = "Never called"
        answer.with_user(self.manager).value_text = "All fine, thanks"
        self.assertEqual(answer.value_text, "All fine, thanks")

    def test_a_used_or_shipped_reason_is_archived_not_deleted(self):
        Reason = self.env(user=self.manager)["visit.unreached.reason"]
        used = Reason.create({"name": "Away", "code": "away", "behaviour": "retry"})
        unused = Reason.create({"name": "Typo", "code": "typo", "behaviour": "retry"})
        visit = self._create_visit(type_id=self.type_three.id, user_id=self.agent.id)
        self._log_not_reached(visit, used)
        for reason in (used, self.reason("deceased").with_user(self.manager)):
            with self.assertRefused(ValidationError, "archive them instead"):
                reason.unlink()
        with self.assertRefused(ValidationError, "cannot change"):
            used.code = "away_2"
        unused.unlink()
        self.assertFalse(unused.exists())
        # Archived: no longer offered, still the reason of its visits.
        used.active = False
        offered = self.env(user=self.agent)["visit.unreached.reason"].name_search("")
        self.assertNotIn(used.id, [reason_id for reason_id, _name in offered])
        self.assertEqual(visit.with_user(self.agent).unreached_reason_id.name, "Away")

    # ------------------------------------------------------------------
    # The upgrade from 18.0.1.6.0
    # ------------------------------------------------------------------
    def _migration(self):
        path = os.path.join(
            os.path.dirname(os.path.dirname(__file__)),
            "migrations/18.0.1.7.0/pre-20-unreached-reasons.py",
        )
        spec = importlib.util.spec_from_file_location("cv_pre_170_20", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        return migration

    def test_the_upgrade_turns_every_stored_code_into_its_reason(self):
        no_answer, void = self.reason("no_answer"), self.reason("void_number")
        retried = self._create_visit(type_id=self.type_three.id)
        retried.write({"outcome": "not_reached", "unreached_reason_id": no_answer.id})
        retried.action_done()
        failed = self._create_visit()
        failed.write({"outcome": "not_reached", "unreached_reason_id": void.id})
        failed.action_done()
        reached = self._create_visit(outcome="reached")
        reached.action_done()
        lost = self._create_visit()  # its reason's code is no reason's any more
        self.env.flush_all()
        # Back to 18.0.1.6.0: codes in a selection column and in the result.
        cr = self.env.cr
        cr.execute("ALTER TABLE visit_record ADD COLUMN unreached_reason varchar")
        cr.execute(
            "ALTER TABLE visit_attempt "
            "DROP CONSTRAINT visit_attempt_reason_if_not_reached"
        )
        cr.execute(
            """
            UPDATE visit_record visit SET unreached_reason = reason.code,
                   unreached_reason_id = NULL
              FROM visit_unreached_reason reason
             WHERE reason.id = visit.unreached_reason_id
            """
        )
        cr.execute(
            """
            UPDATE visit_attempt attempt SET result = reason.code, reason_id = NULL
              FROM visit_unreached_reason reason
             WHERE reason.id = attempt.reason_id
            """
        )
        cr.execute(
            "UPDATE visit_record SET outcome = 'not_reached', "
            "unreached_reason = 'on_strike' WHERE id = %s",
            [lost.id],
        )
        cr.execute(
            "INSERT INTO visit_attempt (record_id, result, date) "
            "VALUES (%s, 'on_strike', now() AT TIME ZONE 'UTC')",
            [lost.id],
        )
        self.env.invalidate_all()
        self.assertFalse(retried.unreached_reason_id)

        self._migration().migrate(cr, "18.0.1.6.0")
        self.env.invalidate_all()
        self.assertEqual(
            (retried.unreached_reason_id, failed.unreached_reason_id),
            (no_answer, void),
        )
        self.assertFalse(reached.unreached_reason_id)
        self.assertEqual(
            [(a.result, a.reason_id) for a in retried.attempt_ids | failed.attempt_ids],
            [("not_reached", no_answer), ("not_reached", void)],
        )
        self.assertEqual(
            (reached.attempt_ids.result, reached.attempt_ids.reason_id),
            ("reached", self.env["visit.unreached.reason"]),
        )
        # The unknown code is kept, as an archived reason retried as before.
        kept = lost.unreached_reason_id
        self.assertEqual(
            (kept.code, kept.name, kept.active, kept.behaviour),
            ("on_strike", "on_strike", False, "retry"),
        )
        self.assertEqual(lost.attempt_ids.reason_id, kept)
        self.assertEqual(self.reason("on_strike"), kept, "one reason for the code")
        # Run twice, it changes nothing.
        self._migration().migrate(cr, "18.0.1.6.0")
        self.env.invalidate_all()
        self.assertEqual(self.reason("on_strike"), kept)
        self.assertEqual(retried.attempt_ids.reason_id, no_answer)
