import importlib.util
import json
import os

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import Request
from odoo.tests import Form, HttpCase, tagged

from .common import VisitCommon
from .test_signature import png_signature

CHOICES = {"On site": "上门", "By phone": "电话", "Never came": "没有来"}


@tagged("post_install", "-at_install")
class TestHouseChoices(HttpCase, VisitCommon):
    """A choice question's choices are records, as core's survey answers:
    a manager words them in each language, the agent picks one in theirs,
    the customer picks one on the portal by its id, and the answer is the
    choice itself, read in the reader's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.agent.lang = "zh_CN"
        cls.customer.email = "wang@example.cn"
        cls.visit_type = cls.env["visit.type"].create(
            {
                "name": "Service check",
                "default_channel": "email",
                "complaint_team_id": cls.env["helpdesk.ticket.team"]
                .create({"name": "Care"})
                .id,
            }
        )
        # Its script is the one choice question the manager writes.
        cls.visit_type.question_ids.unlink()

    def _script_by_manager(self):
        """The manager writes the script in the type's form, then words
        its choices in Chinese."""
        form = Form(self.visit_type.with_user(self.manager))
        with form.question_ids.new() as question:
            question.name = "How did the engineer help you?"
            question.answer_kind = "choice"
            for name in CHOICES:
                with question.option_ids.new() as option:
                    option.name = name
                    option.is_problem = name == "Never came"
        form.save()
        question = self.visit_type.question_ids.filtered(lambda q: not q.aspect)
        for option in question.option_ids.with_user(self.manager):
            option.with_context(lang="zh_CN").name = CHOICES[option.name]
        return question

    def _visit(self, **values):
        return self._create_visit(
            type_id=self.visit_type.id, user_id=self.agent.id, **values
        )

    def _post_answer(self, visit, data):
        self.authenticate(None, None)
        token = visit._portal_ensure_token()
        response = self.url_open(
            f"/my/visits/{visit.id}/answer?access_token={token}",
            data=dict(data, csrf_token=Request.csrf_token(self)),
            allow_redirects=False,
        )
        self.env.invalidate_all()
        return response

    def test_a_manager_words_the_choices_and_an_agent_picks_in_chinese(self):
        question = self._script_by_manager()
        self.assertEqual(question.option_ids.mapped("name"), list(CHOICES))
        self.assertEqual(
            question.with_context(lang="zh_CN").option_ids.mapped("name"),
            list(CHOICES.values()),
        )
        visit = self._visit()
        form = Form(
            self.env(user=self.agent)["visit.outcome.wizard"].with_context(
                active_model="visit.record", active_id=visit.id
            )
        )
        form.outcome = "reached"
        with form.answer_ids.edit(0) as line:
            # The list of the line offers the question's choices, in the
            # agent's Chinese.
            offered = (
                self.env["visit.question.option"]
                .with_user(self.agent)
                .with_context(lang=self.agent.lang)
            )
            self.assertEqual(
                [
                    name
                    for _id, name in offered.name_search(
                        "", [("question_id", "=", line.question_id.id)]
                    )
                ],
                list(CHOICES.values()),
            )
            line.option_id = question.option_ids[1]
        form.save().action_confirm()
        answer = visit.answer_ids.filtered(lambda a: a.question_id == question)
        self.assertEqual(answer.option_id, question.option_ids[1])
        self.assertFalse(answer.value_text)
        self.assertEqual(answer.with_context(lang="zh_CN")._display_value(), "电话")
        self.assertEqual(answer.with_context(lang="en_US")._display_value(), "By phone")
        self.assertFalse(visit.is_problem_open)

    def test_an_agent_may_not_word_choices_nor_give_another_questions_choice(self):
        question = self._script_by_manager()
        other = self.env["visit.type.question"].create(
            {
                "type_id": self.type_plain.id,
                "name": "Other?",
                "answer_kind": "choice",
                "option_ids": [Command.create({"name": "Foreign"})],
            }
        )
        with self.assertRefused(AccessError, "visit.question.option"):
            question.option_ids[0].with_user(self.agent).name = "Changed"
        visit = self._visit()
        with self.assertRefused(ValidationError, "pick one of"):
            visit.answer_ids.with_user(self.agent).option_id = other.option_ids

    def test_the_customer_answers_a_choice_by_its_id_on_the_portal(self):
        question = self._script_by_manager()
        visit = self._visit()
        page = self.url_open(
            f"/my/visits/{visit.id}?access_token={visit._portal_ensure_token()}"
        ).text
        for option in question.option_ids:
            self.assertIn(f'<option value="{option.id}">{option.name}</option>', page)
        response = self._post_answer(
            visit, {f"answer_{question.id}": str(question.option_ids[0].id)}
        )
        self.assertEqual(response.status_code, 303)
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.answer_ids.option_id, question.option_ids[0])
        self.assertFalse(visit.is_problem_open)

    def test_a_forged_choice_is_refused_and_writes_nothing(self):
        question = self._script_by_manager()
        other = self.env["visit.type.question"].create(
            {
                "type_id": self.type_plain.id,
                "name": "Other?",
                "answer_kind": "choice",
                "option_ids": [Command.create({"name": "Foreign"})],
            }
        )
        archived = question.option_ids[0]
        visit = self._visit()
        for label, value in {
            "another question's choice": str(other.option_ids.id),
            "a choice's text, not its id": "On site",
            "no such choice": "999999999",
        }.items():
            response = self._post_answer(visit, {f"answer_{question.id}": value})
            self.assertEqual(response.status_code, 400, label)
            self.assertIn("pick one of the choices offered", response.text, label)
        archived.active = False
        response = self._post_answer(visit, {f"answer_{question.id}": str(archived.id)})
        self.assertEqual(response.status_code, 400, "an archived choice")
        visit.invalidate_recordset()
        self.assertEqual(visit.state, "planned")
        self.assertFalse(visit.answer_ids.option_id)

    def test_the_problem_choice_opens_the_problem_as_before(self):
        question = self._script_by_manager()
        visit = self._visit()
        never = question.option_ids.filtered("is_problem")
        self.assertEqual(never.name, "Never came")
        response = self._post_answer(visit, {f"answer_{question.id}": str(never.id)})
        self.assertEqual(response.status_code, 303)
        self.assertTrue(visit.is_problem_open)
        self.assertIn("How did the engineer help you?", visit.problem_description)
        self.assertIn("Never came", visit.problem_description)
        ticket = self.env["helpdesk.ticket"].search(
            [("origin_visit_id", "=", visit.id)]
        )
        self.assertIn("Problem raised", ticket.name)

    def test_a_given_choice_removed_makes_a_version_and_stays_in_the_past(self):
        question = self._script_by_manager()
        visit = self._visit()
        visit.answer_ids.with_user(self.agent).option_id = question.option_ids[0]
        given = question.option_ids[0]
        # The answered script is frozen: removing a given choice makes the
        # next version of the question, the answer keeps its own.
        question.with_user(self.manager).write(
            {"option_ids": [Command.delete(given.id)]}
        )
        self.assertFalse(question.active)
        self.assertTrue(given.exists())
        current = self.visit_type.question_ids.filtered(lambda q: not q.aspect)
        self.assertEqual(current.previous_id, question)
        self.assertEqual(current.option_ids.mapped("name"), ["By phone", "Never came"])
        self.assertEqual(visit.answer_ids.question_id, question)
        self.assertEqual(visit.answer_ids.option_id, given)
        self.assertEqual(visit.answer_ids._display_value(), "On site")
        # The new version has no answer yet: edited in place, and a choice
        # question keeps at least one choice.
        as_manager = current.with_user(self.manager)
        as_manager.write({"option_ids": [Command.delete(current.option_ids[1].id)]})
        self.assertEqual(current.option_ids.mapped("name"), ["By phone"])
        self.assertTrue(current.active)
        with self.assertRefused(ValidationError, "at least one choice"):
            as_manager.write(
                {
                    "option_ids": [
                        Command.update(current.option_ids.id, {"active": False})
                    ]
                }
            )

    def test_the_signed_sheet_lists_the_choices_in_the_signers_language(self):
        question = self._script_by_manager()
        self.customer.lang = "zh_CN"
        visit = self._visit()
        visit.write(
            {
                "outcome": "reached",
                "answer_ids": [
                    Command.update(
                        visit.answer_ids.filtered(
                            lambda a: a.question_id == question
                        ).id,
                        {"option_id": question.option_ids[2].id},
                    )
                ],
            }
        )
        visit._sign("王建国", png_signature())
        [answer] = json.loads(visit.signed_content)["answers"]
        self.assertEqual(answer["choices"], list(CHOICES.values()))
        self.assertEqual(answer["answer"], "没有来")
        self.assertTrue(visit.is_signature_valid)
        # Reworded later: the signed sheet keeps the words signed.
        question.option_ids[2].with_context(lang="zh_CN").name = "未上门"
        self.assertTrue(visit.is_signature_valid)
        self.assertEqual(visit._sheet()["answers"][0]["answer"], "没有来")

    def test_a_choice_answer_is_an_option_never_free_text(self):
        """An agent cannot write a choice of their own wording over RPC:
        the sheet and the snapshot would print it as the customer's choice."""
        question = self._script_by_manager()
        visit = self._visit()
        answer = visit.answer_ids.filtered(lambda a: a.question_id == question)
        with self.assertRefused(ValidationError, "pick one of"):
            answer.with_user(self.agent).write({"value_text": "Came twice, very kind"})
        answer.with_user(self.agent).write({"option_id": question.option_ids[0].id})
        self.assertEqual(answer.option_id, question.option_ids[0])

    def test_a_choice_stays_with_its_question(self):
        question = self._script_by_manager()
        other = self.env["visit.type.question"].create(
            {"type_id": self.type_repair.id, "name": "Other", "answer_kind": "text"}
        )
        with self.assertRefused(UserError, "stays with the question"):
            question.option_ids[0].with_user(self.manager).question_id = other


@tagged("post_install", "-at_install")
class TestHouseChoicesUpgrade(VisitCommon):
    """A database of 18.0.1.6.0 gets its choices as records: every line in
    every language, the problem choice, every answer kept."""

    def _migration(self):
        path = os.path.join(
            os.path.dirname(os.path.dirname(__file__)),
            "migrations/18.0.1.7.0/post-30-choice-options.py",
        )
        spec = importlib.util.spec_from_file_location("cv_post_170_30", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        return migration

    def _old_question(self):
        """A choice question as 18.0.1.6.0 stored it: its choices and its
        problem choice as translated text, no option."""
        cr = self.env.cr
        cr.execute(
            """ALTER TABLE visit_type_question
                   ADD COLUMN IF NOT EXISTS choice_options jsonb,
                   ADD COLUMN IF NOT EXISTS problem_choice jsonb"""
        )
        visit_type = self.env["visit.type"].create(
            {
                "name": "Old script",
                "question_ids": [Command.create({"name": "Was the engineer on time?"})],
            }
        )
        # A script of before the aspects were items.
        visit_type.question_ids.filtered("aspect").unlink()
        question = visit_type.question_ids
        self.env.flush_all()
        cr.execute(
            """UPDATE visit_type_question
                  SET answer_kind = 'choice', choice_options = %s, problem_choice = %s
                WHERE id = %s""",
            [
                json.dumps(
                    {
                        "en_US": "On time\nA little late\n\nVery late\n",
                        "zh_CN": "准时\n稍有迟到\n严重迟到",
                    }
                ),
                json.dumps({"en_US": "Very late", "zh_CN": "严重迟到"}),
                question.id,
            ],
        )
        self.env.invalidate_all()
        return visit_type, question

    def _old_answer(self, visit_type, text, signed=False):
        visit = self._create_visit(type_id=visit_type.id, user_id=self.agent.id)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE visit_answer SET value_text = %s WHERE record_id = %s",
            [text, visit.id],
        )
        self.env.invalidate_all()
        if signed:
            visit.write({"outcome": "reached"})
            visit._sign("王建国", png_signature())
        return visit

    def test_choices_answers_and_the_problem_choice_become_records(self):
        visit_type, question = self._old_question()
        english = self._old_answer(visit_type, "A little late")
        chinese = self._old_answer(visit_type, " 严重迟到 ")
        unknown = self._old_answer(visit_type, "Came the next day")
        signed = self._old_answer(visit_type, "准时", signed=True)
        self.assertTrue(signed.is_signature_valid)
        signed_content = signed.signed_content

        self._migration().migrate(self.env.cr, "18.0.1.6.0")
        self.env.invalidate_all()

        options = question.option_ids
        self.assertEqual(
            options.mapped("name"), ["On time", "A little late", "Very late"]
        )
        self.assertEqual(
            options.with_context(lang="zh_CN").mapped("name"),
            ["准时", "稍有迟到", "严重迟到"],
        )
        self.assertEqual(options.mapped("is_problem"), [False, False, True])
        self.assertEqual(english.answer_ids.option_id, options[1])
        self.assertEqual(chinese.answer_ids.option_id, options[2])
        self.assertTrue(question._raises_problem(chinese.answer_ids))
        self.assertFalse(english.answer_ids.value_text)
        # A text matching no choice: an archived choice of its own.
        kept = unknown.answer_ids.option_id
        self.assertEqual(kept.name, "Came the next day")
        self.assertEqual(kept.question_id, question)
        self.assertFalse(kept.active)
        self.assertNotIn(kept, question.option_ids)
        # Signed: still what was signed, and still matching.
        self.assertEqual(signed.answer_ids.option_id, options[0])
        self.assertEqual(signed.answer_ids.value_text, "准时")
        self.assertEqual(signed.signed_content, signed_content)
        self.assertTrue(signed.is_signature_valid)
        self.assertEqual(
            signed.answer_ids.with_context(lang="en_US")._display_value(), "On time"
        )
