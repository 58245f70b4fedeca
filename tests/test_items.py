"""Evaluation items of a visit type's script: the 4-level scale, stars and
recommendations counted in the visit's satisfaction, conditional items, and
frozen scripts (an answered question changed makes its next version)."""

from lxml import html as lxml_html

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.http import Request
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import VisitCommon
from .test_signature import png_signature

SHEET = "customer_visit.visit_record_report_sheet"


class ItemsCommon(VisitCommon):
    """A dental follow-up script, written by the manager: a crown yes/no,
    the crown's satisfaction asked only after Yes (counted), the doctor's
    stars (counted), a recommendation 0-10 (counted) and a text."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Type = cls.env["visit.type"].with_user(cls.manager)
        cls.dental = Type.create(
            {
                "name": "Dental follow-up",
                "default_channel": "phone",
                "question_ids": [
                    Command.create(
                        {
                            "sequence": 1,
                            "name": "Did you get a crown?",
                            "answer_kind": "yes_no",
                        }
                    ),
                    Command.create(
                        {
                            "sequence": 2,
                            "name": "How satisfied are you with the crown?",
                            "answer_kind": "scale4",
                            "counts_in_satisfaction": True,
                        }
                    ),
                    Command.create(
                        {
                            "sequence": 3,
                            "name": "Rate the doctor",
                            "answer_kind": "rating",
                            "counts_in_satisfaction": True,
                        }
                    ),
                    Command.create(
                        {
                            "sequence": 4,
                            "name": "Would you recommend us?",
                            "answer_kind": "nps",
                            "counts_in_satisfaction": True,
                        }
                    ),
                    Command.create(
                        {"sequence": 5, "name": "Anything else?", "answer_kind": "text"}
                    ),
                ],
            }
        )
        cls.q_crown, cls.q_crown_level, cls.q_doctor, cls.q_nps, cls.q_text = (
            cls.dental.question_ids.filtered(lambda q: not q.aspect).sorted("sequence")
        )
        cls.q_crown_level.with_user(cls.manager).write(
            {"condition_question_id": cls.q_crown.id, "condition_yes_no": "yes"}
        )

    def _dental_visit(self, **values):
        return self._create_visit(
            type_id=self.dental.id, user_id=self.agent.id, **values
        )

    def _wizard(self, visit):
        form = Form(
            self.env(user=self.agent)["visit.outcome.wizard"].with_context(
                active_model="visit.record", active_id=visit.id
            )
        )
        form.outcome = "reached"
        return form

    @staticmethod
    def _answer(visit, question):
        return visit.answer_ids.filtered(lambda a: a.question_id == question)


@tagged("post_install", "-at_install")
class TestItemsSatisfaction(ItemsCommon):
    def test_counted_items_join_the_aspects_on_the_four_level_scale(self):
        visit = self._dental_visit()
        form = self._wizard(visit)
        # The lines in the script's order: crown, crown level, doctor, nps.
        with form.answer_ids.edit(0) as line:
            line.value_yes_no = "yes"
        with form.answer_ids.edit(1) as line:
            self.assertTrue(line.is_shown, "Yes to the crown asks about it")
            line.value_level = "fairly_satisfied"
        with form.answer_ids.edit(2) as line:
            line.value_rating = "4"
        with form.answer_ids.edit(3) as line:
            line.value_nps = "8"
        self._rate(form, "satisfaction_product", "satisfied")
        form.save().action_confirm()
        # product 4; crown fairly 3; stars 4 → 1 + 3 × 3/4 = 3.25;
        # recommendation 8 → 1 + 8 × 3/10 = 3.4: (4 + 3 + 3.25 + 3.4) / 4
        # = 13.65 / 4 = 3.4125, stored with two decimals.
        self.assertEqual(visit.state, "done")
        self.assertAlmostEqual(visit.satisfaction_score, 3.41, places=2)
        self.assertTrue(visit.is_rated)
        self.assertFalse(visit.is_unsatisfied)
        self.assertEqual(
            self._answer(visit, self.q_crown_level).value_level, "fairly_satisfied"
        )
        self.assertEqual(self._answer(visit, self.q_nps).value_nps, "8")
        self.assertEqual(self._answer(visit, self.q_nps)._display_value(), "8")
        # The indicators' cases average the same scores, unrounded.
        case = (
            self.env["visit.case"]
            .with_user(self.manager)
            .search([("record_id", "=", visit.id), ("kind", "=", "visit")])
        )
        self.assertAlmostEqual(case.satisfaction_score, 3.4125, places=4)
        self.assertEqual(case.score_product, 4.0)

    def test_items_alone_rate_a_visit_and_an_unsatisfied_item_is_unsatisfied(self):
        visit = self._dental_visit()
        form = self._wizard(visit)
        with form.answer_ids.edit(0) as line:
            line.value_yes_no = "yes"
        with form.answer_ids.edit(1) as line:
            line.value_level = "unsatisfied"
        with form.answer_ids.edit(3) as line:
            line.value_nps = "0"
        form.save().action_confirm()
        # unsatisfied 1, recommendation 0 → 1: (1 + 1) / 2 = 1.
        self.assertTrue(visit.is_rated)
        self.assertTrue(visit.is_unsatisfied)
        self.assertEqual(visit.satisfaction_score, 1.0)
        self.assertEqual(
            self._answer(visit, self.q_nps).value_nps,
            "0",
            "0 is an answer, not an empty one",
        )

    def test_an_item_not_counted_leaves_the_aspects_figures_as_they_were(self):
        self.q_doctor.with_user(self.manager).counts_in_satisfaction = False
        visit = self._dental_visit()
        form = self._wizard(visit)
        with form.answer_ids.edit(2) as line:
            line.value_rating = "1"
        self._rate(form, "satisfaction_service", "satisfied")
        self._rate(form, "satisfaction_result", "fairly_satisfied")
        form.save().action_confirm()
        self.assertEqual(visit.satisfaction_score, 3.5)
        self.assertFalse(visit.is_unsatisfied)

    def test_a_conditional_item_not_asked_is_skipped_and_not_counted(self):
        visit = self._dental_visit()
        form = self._wizard(visit)
        with form.answer_ids.edit(0) as line:
            line.value_yes_no = "yes"
        with form.answer_ids.edit(1) as line:
            line.value_level = "unsatisfied"
        # The agent corrects: no crown. The crown's item is no longer asked.
        with form.answer_ids.edit(0) as line:
            line.value_yes_no = "no"
        with form.answer_ids.edit(1) as line:
            self.assertFalse(line.is_shown)
        self._rate(form, "satisfaction_product", "satisfied")
        form.save().action_confirm()
        crown = self._answer(visit, self.q_crown_level)
        self.assertTrue(crown.is_skipped)
        self.assertFalse(crown.value_level)
        self.assertFalse(crown._has_value())
        # Only the product aspect counts: 4, not (4 + 1) / 2.
        self.assertEqual(visit.satisfaction_score, 4.0)
        self.assertFalse(visit.is_unsatisfied)

    def test_a_required_item_not_asked_does_not_block_the_close(self):
        self.q_crown_level.with_user(self.manager).is_required = True
        visit = self._dental_visit()
        form = self._wizard(visit)
        with form.answer_ids.edit(0) as line:
            line.value_yes_no = "no"
        form.save().action_confirm()
        self.assertEqual(visit.state, "done")

    def test_the_signed_sheet_prints_the_new_kinds(self):
        visit = self._dental_visit(channel="onsite")
        form = self._wizard(visit)
        with form.answer_ids.edit(0) as line:
            line.value_yes_no = "no"
        with form.answer_ids.edit(3) as line:
            line.value_nps = "9"
        form.save().action_confirm()
        visit._sign("王建国", png_signature())
        self.assertTrue(visit.is_signature_valid)
        html = (
            self.env["ir.actions.report"]
            .with_user(self.agent)
            .with_context(lang="en_US")
            ._render_qweb_html(SHEET, visit.ids)[0]
            .decode()
        )
        self.assertIn("9 / 10", html)
        self.assertIn("Not asked", html)

    def test_the_paper_form_has_boxes_for_the_levels_and_zero_to_ten(self):
        visit = self._dental_visit()
        html = (
            self.env["ir.actions.report"]
            .with_user(self.agent)
            .with_context(lang="en_US")
            ._render_qweb_html(SHEET, visit.ids)[0]
            .decode()
        )
        self.assertIn("0 = not at all likely, 10 = extremely likely", html)
        self.assertIn("Basically satisfied", html)
        self.assertIn("Only if: Did you get a crown?", html)


@tagged("post_install", "-at_install")
class TestItemsVersions(ItemsCommon):
    def _answered_visit(self):
        visit = self._dental_visit()
        form = self._wizard(visit)
        with form.answer_ids.edit(0) as line:
            line.value_yes_no = "yes"
        with form.answer_ids.edit(2) as line:
            line.value_rating = "5"
        form.save().action_confirm()
        return visit

    def test_a_reworded_question_after_answers_is_its_next_version(self):
        done = self._answered_visit()
        waiting = self._dental_visit()
        # The manager rewords the doctor's question in the type's form.
        form = Form(self.dental.with_user(self.manager))
        index = form.question_ids._records.index(
            next(r for r in form.question_ids._records if r["id"] == self.q_doctor.id)
        )
        with form.question_ids.edit(index) as question:
            question.name = "Rate the dentist"
        form.save()
        new = self.dental.question_ids.filtered(lambda q: q.sequence == 3)
        self.assertNotEqual(new, self.q_doctor)
        self.assertEqual(new.name, "Rate the dentist")
        self.assertEqual(new.previous_id, self.q_doctor)
        self.assertFalse(self.q_doctor.active)
        self.assertEqual(self.q_doctor.name, "Rate the doctor")
        self.assertTrue(new.counts_in_satisfaction)
        # The visit asked keeps the wording it was asked, its sheet too.
        old_answer = self._answer(done, self.q_doctor)
        self.assertEqual(old_answer.question, "Rate the doctor")
        self.assertEqual(old_answer.value_rating, 5)
        html = (
            self.env["ir.actions.report"]
            .with_user(self.agent)
            .with_context(lang="en_US")
            ._render_qweb_html(SHEET, done.ids)[0]
            .decode()
        )
        self.assertIn("Rate the doctor", html)
        self.assertNotIn("Rate the dentist", html)
        # The open visit not asked yet asks the next version.
        waiting.invalidate_recordset()
        self.assertEqual(
            waiting.answer_ids.mapped("question").count("Rate the dentist"), 1
        )
        self.assertNotIn(self.q_doctor, waiting.answer_ids.question_id)
        # New visits get the active script only.
        fresh = self._dental_visit()
        # The five items and the four aspects.
        self.assertEqual(len(fresh.answer_ids), 9)
        self.assertIn(new, fresh.answer_ids.question_id)
        self.assertNotIn(self.q_doctor, fresh.answer_ids.question_id)
        # The earlier versions are listed apart.
        versions = (
            self.env["visit.type.question"]
            .with_user(self.manager)
            .with_context(active_test=False)
            .search([("type_id", "=", self.dental.id), ("active", "=", False)])
        )
        self.assertEqual(versions, self.q_doctor)
        # The old visit is still valid against its (archived) script.
        done._check_answer_questions()

    def test_an_answer_given_while_the_question_is_reworded_is_kept(self):
        self._answered_visit()
        visit = self._dental_visit()
        # The agent has Log Outcome open and rates the doctor...
        form = self._wizard(visit)
        with form.answer_ids.edit(2) as line:
            line.value_rating = "4"
        wizard = form.save()
        # ... while the manager rewords the question (answered elsewhere).
        self.q_doctor.with_user(self.manager).name = "Rate the dentist"
        new = self.dental.question_ids.filtered(lambda q: q.sequence == 3)
        self.assertEqual(new.previous_id, self.q_doctor)
        wizard.action_confirm()
        answer = self._answer(visit, new)
        self.assertEqual(answer.value_rating, 4, "the rating given is not lost")
        self.assertEqual(answer.question, "Rate the dentist")
        # 4 stars count 1 + (4 - 1) * 3 / 4 = 3.25 on the 1-4 scale.
        self.assertAlmostEqual(visit.satisfaction_score, 3.25)

    def test_a_kind_changed_after_answers_makes_a_new_version(self):
        done = self._answered_visit()
        self.q_doctor.with_user(self.manager).write({"answer_kind": "scale4"})
        self.assertFalse(self.q_doctor.active)
        self.assertEqual(self.q_doctor.answer_kind, "rating")
        new = self.dental.question_ids.filtered(
            lambda q: q.previous_id == self.q_doctor
        )
        self.assertEqual(new.answer_kind, "scale4")
        self.assertEqual(self._answer(done, self.q_doctor).answer_kind, "rating")
        self.assertEqual(done.satisfaction_score, 4.0, "5 stars count 4, as before")

    def test_a_question_never_answered_is_edited_in_place(self):
        self._dental_visit()
        self.q_text.with_user(self.manager).write(
            {"name": "Any other remark?", "answer_kind": "yes_no"}
        )
        self.assertTrue(self.q_text.active)
        self.assertEqual(self.q_text.name, "Any other remark?")
        self.assertFalse(
            self.env["visit.type.question"]
            .with_context(active_test=False)
            .search([("previous_id", "=", self.q_text.id)])
        )

    def test_a_reworded_choice_of_an_answered_question_versions_the_question(self):
        question = (
            self.env["visit.type.question"]
            .with_user(self.manager)
            .create(
                {
                    "type_id": self.dental.id,
                    "sequence": 6,
                    "name": "Which treatment?",
                    "answer_kind": "choice",
                    "option_ids": [
                        Command.create({"name": "Crown"}),
                        Command.create({"name": "Filling"}),
                    ],
                }
            )
        )
        visit = self._dental_visit()
        answer = self._answer(visit, question)
        answer.with_user(self.agent).option_id = question.option_ids[0]
        question.option_ids[1].with_user(self.manager).name = "Composite filling"
        self.assertFalse(question.active)
        self.assertEqual(question.option_ids.mapped("name"), ["Crown", "Filling"])
        new = self.env["visit.type.question"].search(
            [("previous_id", "=", question.id)]
        )
        self.assertEqual(new.option_ids.mapped("name"), ["Crown", "Composite filling"])
        self.assertEqual(answer.option_id.name, "Crown")
        self.assertEqual(answer.question_id, question)

    def test_choices_added_at_once_to_an_answered_question_make_one_version(self):
        question = (
            self.env["visit.type.question"]
            .with_user(self.manager)
            .create(
                {
                    "type_id": self.dental.id,
                    "sequence": 6,
                    "name": "Which treatment?",
                    "answer_kind": "choice",
                    "option_ids": [Command.create({"name": "Crown"})],
                }
            )
        )
        visit = self._dental_visit()
        self._answer(visit, question).with_user(
            self.agent
        ).option_id = question.option_ids
        # As an RPC create of two choices in one call.
        added = (
            self.env["visit.question.option"]
            .with_user(self.manager)
            .create(
                [
                    {"question_id": question.id, "name": "Filling"},
                    {"question_id": question.id, "name": "Implant"},
                ]
            )
        )
        versions = (
            self.env["visit.type.question"]
            .with_context(active_test=False)
            .search([("previous_id", "=", question.id)])
        )
        self.assertEqual(len(versions), 1, "one next version, not one per choice")
        self.assertTrue(versions.active)
        self.assertEqual(
            versions.option_ids.mapped("name"), ["Crown", "Filling", "Implant"]
        )
        self.assertEqual(added, versions.option_ids[1:])
        self.assertEqual(question.option_ids.mapped("name"), ["Crown"])

    def test_a_given_choice_removed_stays_on_the_earlier_version(self):
        Question = self.env["visit.type.question"].with_user(self.manager)
        question = Question.create(
            {
                "type_id": self.dental.id,
                "sequence": 6,
                "name": "Where were you treated?",
                "answer_kind": "choice",
                "option_ids": [
                    Command.create({"name": "North clinic"}),
                    Command.create({"name": "South clinic"}),
                ],
            }
        )
        visit = self._dental_visit()
        given = question.option_ids[0]
        self._answer(visit, question).with_user(self.agent).option_id = given
        question.write({"option_ids": [Command.delete(given.id)]})
        self.assertTrue(given.exists(), "a given choice is never deleted")
        new = Question.search([("previous_id", "=", question.id)])
        self.assertEqual(new.option_ids.mapped("name"), ["South clinic"])
        self.assertEqual(self._answer(visit, question).option_id, given)
        self.assertEqual(self._answer(visit, question)._display_value(), "North clinic")

    def test_a_duplicated_type_keeps_its_conditions_within_the_copy(self):
        copy = self.dental.with_user(self.manager).copy()
        crown, crown_level = copy.question_ids.filtered(lambda q: not q.aspect).sorted(
            "sequence"
        )[:2]
        self.assertEqual(crown_level.condition_question_id, crown)
        self.assertEqual(crown_level.condition_yes_no, "yes")
        self.assertEqual(self.q_crown_level.condition_question_id, self.q_crown)

    def test_a_condition_follows_the_next_version_of_its_question(self):
        self._answered_visit()
        self.q_crown.with_user(self.manager).name = "Did you get a crown or a bridge?"
        new_crown = self.dental.question_ids.filtered(lambda q: q.sequence == 1)
        self.assertEqual(new_crown.previous_id, self.q_crown)
        self.assertEqual(self.q_crown_level.condition_question_id, new_crown)
        visit = self._dental_visit()
        form = self._wizard(visit)
        with form.answer_ids.edit(0) as line:
            line.value_yes_no = "yes"
        with form.answer_ids.edit(1) as line:
            self.assertTrue(line.is_shown)


@tagged("post_install", "-at_install")
class TestItemsBadInput(ItemsCommon):
    def test_an_agent_cannot_mark_an_item_not_asked(self):
        visit = self._dental_visit()
        doctor = self._answer(visit, self.q_doctor).with_user(self.agent)
        doctor.value_rating = 2
        with self.assertRefused(AccessError, "follows its condition"):
            doctor.is_skipped = True
        self.assertFalse(doctor.is_skipped)
        self.assertTrue(visit.has_low_score)

    def test_an_items_target_follows_its_next_version(self):
        visit = self._dental_visit()
        self._answer(visit, self.q_doctor).value_rating = 5
        target = (
            self.env["visit.target"]
            .with_user(self.manager)
            .create(
                {
                    "indicator": "item_average",
                    "type_id": self.dental.id,
                    "question_id": self.q_doctor.id,
                    "value": 4,
                }
            )
        )
        self.q_doctor.with_user(self.manager).name = "The dentist?"
        new = self.dental.question_ids.filtered(lambda q: q.name == "The dentist?")
        self.assertEqual(new.previous_id, self.q_doctor)
        self.assertEqual(target.question_id, new)

    def test_a_context_key_does_not_bypass_the_versions(self):
        visit = self._dental_visit()
        self._answer(visit, self.q_doctor).value_rating = 5
        self.q_doctor.with_user(self.manager).with_context(
            visit_question_in_place=True
        ).name = "The doctor, now?"
        # The answered question was not reworded: a new version was made.
        self.assertFalse(self.q_doctor.active)
        self.assertEqual(self._answer(visit, self.q_doctor).question_id, self.q_doctor)
        self.assertNotEqual(self.q_doctor.name, "The doctor, now?")

    def test_a_condition_on_itself_or_a_later_item_is_refused(self):
        Question = self.env["visit.type.question"].with_user(self.manager)
        with self.assertRefused(ValidationError, "its own answer"):
            Question.browse(self.q_crown.id).write(
                {"condition_question_id": self.q_crown.id, "condition_yes_no": "yes"}
            )
        later = Question.create(
            {
                "type_id": self.dental.id,
                "sequence": 9,
                "name": "Happy?",
                "answer_kind": "yes_no",
            }
        )
        with self.assertRefused(ValidationError, "asked before it"):
            Question.browse(self.q_doctor.id).write(
                {"condition_question_id": later.id, "condition_yes_no": "yes"}
            )
        self.assertFalse(self.q_doctor.condition_question_id)

    def test_condition_choices_of_another_question_are_refused(self):
        Question = self.env["visit.type.question"].with_user(self.manager)
        first = Question.create(
            {
                "type_id": self.dental.id,
                "sequence": 6,
                "name": "Treatment?",
                "answer_kind": "choice",
                "option_ids": [Command.create({"name": "Crown"})],
            }
        )
        other = Question.create(
            {
                "type_id": self.dental.id,
                "sequence": 7,
                "name": "Clinic?",
                "answer_kind": "choice",
                "option_ids": [Command.create({"name": "North"})],
            }
        )
        with self.assertRefused(ValidationError, "are not choices of"):
            Question.create(
                {
                    "type_id": self.dental.id,
                    "sequence": 8,
                    "name": "Crown fit?",
                    "answer_kind": "scale4",
                    "condition_question_id": first.id,
                    "condition_option_ids": [Command.set(other.option_ids.ids)],
                }
            )

    def test_counting_a_text_item_in_satisfaction_is_refused(self):
        with self.assertRefused(ValidationError, "cannot count in the satisfaction"):
            self.q_text.with_user(self.manager).counts_in_satisfaction = True
        self.assertFalse(self.q_text.counts_in_satisfaction)

    def test_a_recommendation_outside_zero_to_ten_is_refused(self):
        visit = self._dental_visit()
        answer = self._answer(visit, self.q_nps).with_user(self.agent)
        for value in ("11", "-1", "10.5"):
            with self.assertRefused(ValidationError, "from 0 .* to 10"):
                answer.write({"value_nps": value})
        answer.invalidate_recordset()
        self.assertFalse(answer.value_nps)

    def test_a_choice_not_among_the_options_is_refused(self):
        Question = self.env["visit.type.question"].with_user(self.manager)
        question = Question.create(
            {
                "type_id": self.dental.id,
                "sequence": 6,
                "name": "Treatment?",
                "answer_kind": "choice",
                "option_ids": [Command.create({"name": "Crown"})],
            }
        )
        other = Question.create(
            {
                "type_id": self.dental.id,
                "sequence": 7,
                "name": "Clinic?",
                "answer_kind": "choice",
                "option_ids": [Command.create({"name": "North"})],
            }
        )
        visit = self._dental_visit()
        answer = self._answer(visit, question).with_user(self.agent)
        with self.assertRefused(ValidationError, "pick one of"):
            answer.option_id = other.option_ids
        answer.invalidate_recordset()
        self.assertFalse(answer.option_id)


@tagged("post_install", "-at_install")
class TestItemsPortal(HttpCase):
    """The customer answers the items on the portal page with their link."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        manager = new_test_user(
            cls.env, login="cv_it_manager", groups="customer_visit.group_visit_manager"
        )
        cls.agent = new_test_user(
            cls.env, login="cv_it_agent", groups="customer_visit.group_visit_user"
        )
        cls.visit_type = (
            cls.env["visit.type"]
            .with_user(manager)
            .create(
                {
                    "name": "Clinic follow-up",
                    "default_channel": "email",
                    "question_ids": [
                        Command.create(
                            {
                                "sequence": 1,
                                "name": "Did you get a crown?",
                                "answer_kind": "yes_no",
                            }
                        ),
                        Command.create(
                            {
                                "sequence": 2,
                                "name": "The crown?",
                                "answer_kind": "scale4",
                                "counts_in_satisfaction": True,
                            }
                        ),
                        Command.create(
                            {
                                "sequence": 3,
                                "name": "Recommend us?",
                                "answer_kind": "nps",
                                "counts_in_satisfaction": True,
                                "is_required": True,
                            }
                        ),
                    ],
                }
            )
        )
        cls.q_crown, cls.q_level, cls.q_nps = cls.visit_type.question_ids.filtered(
            lambda q: not q.aspect
        ).sorted("sequence")
        cls.q_level.with_user(manager).write(
            {"condition_question_id": cls.q_crown.id, "condition_yes_no": "yes"}
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "李明", "email": "li.ming@example.cn"}
        )

    def _visit(self):
        return self.env["visit.record"].create(
            {
                "partner_id": self.customer.id,
                "type_id": self.visit_type.id,
                "user_id": self.agent.id,
            }
        )

    @staticmethod
    def _service(visit):
        """The type's item of the service aspect."""
        return visit.answer_ids.question_id.filtered(
            lambda question: question.aspect == "service"
        )

    def _post(self, visit, data):
        self.authenticate(None, None)
        token = visit._portal_ensure_token()
        return self.url_open(
            f"/my/visits/{visit.id}/answer?access_token={token}",
            data=dict(data, csrf_token=Request.csrf_token(self)),
            allow_redirects=False,
        )

    def _answer(self, visit, question):
        return visit.answer_ids.filtered(lambda a: a.question_id == question)

    def test_the_page_offers_faces_and_zero_to_ten_buttons(self):
        visit = self._visit()
        self.authenticate(None, None)
        token = visit._portal_ensure_token()
        response = self.url_open(f"/my/visits/{visit.id}?access_token={token}")
        self.assertEqual(response.status_code, 200)
        for score in range(11):
            self.assertIn(f'id="answer_{self.q_nps.id}_{score}"', response.text)
        # 0 is a value of its own (a detractor's answer), not an empty one.
        self.assertRegex(response.text, rf'id="answer_{self.q_nps.id}_0"[^>]*value="0"')
        self.assertIn(f'id="answer_{self.q_level.id}_unsatisfied"', response.text)
        self.assertIn(f'data-condition-question="{self.q_crown.id}"', response.text)

    def test_answers_are_stored_and_the_skipped_item_is_not_counted(self):
        visit = self._visit()
        response = self._post(
            visit,
            {
                f"answer_{self.q_crown.id}": "no",
                # Sent although hidden: the server decides it was not asked.
                f"answer_{self.q_level.id}": "unsatisfied",
                f"answer_{self.q_nps.id}": "10",
            },
        )
        self.assertEqual(response.status_code, 303)
        visit.invalidate_recordset()
        self.assertEqual(visit.state, "done")
        level = self._answer(visit, self.q_level)
        self.assertTrue(level.is_skipped)
        self.assertFalse(level.value_level)
        self.assertEqual(self._answer(visit, self.q_nps).value_nps, "10")
        # 10 → 1 + 10 × 3/10 = 4; the skipped unsatisfied counts nothing.
        self.assertEqual(visit.satisfaction_score, 4.0)
        self.assertFalse(visit.is_unsatisfied)

    def test_an_asked_item_is_stored_and_counted(self):
        visit = self._visit()
        self._post(
            visit,
            {
                f"answer_{self.q_crown.id}": "yes",
                f"answer_{self.q_level.id}": "basically_satisfied",
                f"answer_{self.q_nps.id}": "0",
            },
        )
        visit.invalidate_recordset()
        self.assertFalse(self._answer(visit, self.q_level).is_skipped)
        # basically 2, recommendation 0 → 1: (2 + 1) / 2 = 1.5.
        self.assertEqual(visit.satisfaction_score, 1.5)

    def test_a_recommendation_of_eleven_is_refused_and_nothing_written(self):
        visit = self._visit()
        for value in ("11", "-1", "abc"):
            response = self._post(
                visit,
                {f"answer_{self.q_crown.id}": "yes", f"answer_{self.q_nps.id}": value},
            )
            self.assertEqual(response.status_code, 400, value)
            self.assertIn("from 0", response.text)
        visit.invalidate_recordset()
        self.assertEqual(visit.state, "planned")
        self.assertFalse(visit.answer_ids.filtered(lambda a: a._has_value()))

    def test_a_level_not_on_the_scale_is_refused(self):
        visit = self._visit()
        response = self._post(
            visit,
            {
                f"answer_{self.q_crown.id}": "yes",
                f"answer_{self.q_level.id}": "great",
                f"answer_{self.q_nps.id}": "5",
            },
        )
        self.assertEqual(response.status_code, 400)
        visit.invalidate_recordset()
        self.assertFalse(visit.answer_ids.filtered(lambda a: a._has_value()))

    def test_a_refused_answer_gives_back_what_the_customer_typed(self):
        visit = self._visit()
        response = self._post(
            visit,
            {
                f"answer_{self.q_crown.id}": "yes",
                f"answer_{self.q_level.id}": "fairly_satisfied",
                f"answer_{self.q_nps.id}": "12",
                f"answer_{self._service(visit).id}": "satisfied",
                "opinion": "牙冠很好 <b>谢谢</b>",
            },
        )
        self.assertEqual(response.status_code, 400)
        doc = lxml_html.fromstring(response.text)
        form = doc.xpath("//form[contains(@class, 'o_visit_answer_form')]")[0]

        def checked(name):
            return form.xpath(f".//input[@name='{name}'][@checked]/@value")

        self.assertEqual(
            form.xpath(
                f".//select[@name='answer_{self.q_crown.id}']/option[@selected]/@value"
            ),
            ["yes"],
        )
        self.assertEqual(checked(f"answer_{self.q_level.id}"), ["fairly_satisfied"])
        self.assertEqual(checked(f"answer_{self._service(visit).id}"), ["satisfied"])
        # The refused value is not on the scale: no button is checked.
        self.assertEqual(checked(f"answer_{self.q_nps.id}"), [])
        # The opinion comes back as text, escaped, not as markup.
        opinion = form.xpath(".//textarea[@name='opinion']")[0]
        self.assertEqual(opinion.text, "牙冠很好 <b>谢谢</b>")
        self.assertFalse(opinion.xpath(".//b"))

    def test_a_required_item_is_required_when_asked(self):
        visit = self._visit()
        response = self._post(visit, {f"answer_{self.q_crown.id}": "yes"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("needs an answer", response.text)


@tagged("post_install", "-at_install")
class TestItemsPortalTour(HttpCase):
    """The customer's page at phone size (390 x 844, touch)."""

    browser_size = "390x844"
    touch_enabled = True

    def test_customer_answers_the_items_on_a_phone(self):
        visit_type = self.env["visit.type"].create(
            {
                "name": "Clinic follow-up",
                "default_channel": "sms",
                "question_ids": [
                    Command.create(
                        {
                            "sequence": 1,
                            "name": "Did you get a crown?",
                            "answer_kind": "yes_no",
                        }
                    ),
                    Command.create(
                        {
                            "sequence": 2,
                            "name": "The crown?",
                            "answer_kind": "scale4",
                            "counts_in_satisfaction": True,
                        }
                    ),
                    Command.create(
                        {
                            "sequence": 3,
                            "name": "Recommend us?",
                            "answer_kind": "nps",
                            "counts_in_satisfaction": True,
                        }
                    ),
                ],
            }
        )
        crown, level, nps = visit_type.question_ids.filtered(
            lambda q: not q.aspect
        ).sorted("sequence")
        level.write({"condition_question_id": crown.id, "condition_yes_no": "yes"})
        customer = self.env["res.partner"].create(
            {"name": "Chen Jing", "mobile": "+86 139 0000 0001"}
        )
        visit = self.env["visit.record"].create(
            {"partner_id": customer.id, "type_id": visit_type.id}
        )
        self.start_tour(visit.get_portal_url(), "customer_visit_portal_items_tour")
        self.assertEqual(visit.state, "done")
        answers = {a.question_id: a for a in visit.answer_ids}
        self.assertEqual(answers[crown].value_yes_no, "yes")
        self.assertEqual(answers[level].value_level, "satisfied")
        self.assertFalse(answers[level].is_skipped)
        self.assertEqual(answers[nps].value_nps, "9")
        # satisfied 4, 9 → 1 + 9 × 3/10 = 3.7: (4 + 3.7) / 2 = 3.85.
        self.assertAlmostEqual(visit.satisfaction_score, 3.85, places=2)
