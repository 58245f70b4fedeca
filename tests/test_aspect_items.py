"""The four aspects are items of the types' scripts: a new type starts with
them, a company rewords or drops them, agents and customers rate them as
items, and the visit keeps each level for the figures."""

import json

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestAspectItems(VisitCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        Type = cls.env["visit.type"].with_user(cls.manager)
        # A hospital: medical care and nursing are what it is judged on; it
        # rewords the product aspect, drops timeliness and adds nursing.
        cls.discharge = Type.create(
            {
                "name": "Discharge call",
                "default_channel": "phone",
                "question_ids": [
                    Command.create(
                        {
                            "sequence": 1,
                            "name": "Were you told how to take your medicines?",
                            "answer_kind": "yes_no",
                        }
                    )
                ],
            }
        )
        cls.items = cls.discharge.question_ids.filtered("aspect")
        by_aspect = {item.aspect: item for item in cls.items}
        cls.product_item = by_aspect["product"]
        cls.product_item.write({"name": "Medical care"})
        by_aspect["timeliness"].unlink()
        cls.nursing = cls.env["visit.type.question"].create(
            {
                "type_id": cls.discharge.id,
                "sequence": 50,
                "name": "Nursing",
                "answer_kind": "scale4",
                "counts_in_satisfaction": True,
            }
        )

    def _visit(self, **values):
        return self._create_visit(
            type_id=self.discharge.id, user_id=self.agent.id, **values
        )

    def _wizard(self, visit):
        form = Form(
            self.env(user=self.agent)["visit.outcome.wizard"].with_context(
                active_model="visit.record", active_id=visit.id
            )
        )
        form.outcome = "reached"
        return form

    def _answer(self, visit, question):
        return visit.answer_ids.filtered(lambda answer: answer.question_id == question)

    def test_a_new_type_starts_with_the_four_aspects_in_both_languages(self):
        visit_type = (
            self.env["visit.type"].with_user(self.manager).create({"name": "Repair"})
        )
        items = visit_type.question_ids.sorted("sequence")
        self.assertEqual(
            items.mapped("aspect"), ["product", "service", "timeliness", "result"]
        )
        self.assertEqual(set(items.mapped("answer_kind")), {"scale4"})
        self.assertTrue(all(items.mapped("counts_in_satisfaction")))
        self.assertEqual(
            items.with_context(lang="en_US").mapped("name"),
            ["Product quality", "Service attitude", "Timeliness", "Result"],
        )
        self.assertEqual(
            items.with_context(lang="zh_CN").mapped("name"),
            ["产品质量", "服务态度", "及时性", "处理结果"],
        )
        # A copy has its original's script, not four more aspects.
        copy = visit_type.copy()
        self.assertEqual(len(copy.question_ids), 4)
        # The copy of a type that dropped its aspects stays without them.
        self.assertEqual(
            self.discharge.copy().question_ids.filtered("aspect").mapped("aspect"),
            ["product", "service", "result"],
        )

    def test_an_agent_rates_the_aspects_as_items_and_the_visit_keeps_them(self):
        visit = self._visit()
        form = self._wizard(visit)
        questions = [
            form.answer_ids.edit(index).__enter__().question_id
            for index in range(len(form.answer_ids))
        ]
        # The script: the yes/no, nursing, then the three aspects kept (the
        # reworded product aspect among them); no timeliness.
        self.assertEqual(
            [question.name for question in questions],
            [
                "Were you told how to take your medicines?",
                "Nursing",
                "Medical care",
                "Service attitude",
                "Result",
            ],
        )
        for index, level in ((1, "fairly_satisfied"), (2, "satisfied")):
            with form.answer_ids.edit(index) as line:
                line.value_level = level
        self._rate(form, "satisfaction_result", "basically_satisfied")
        form.opinion = "The night nurse was slow"
        form.save().action_confirm()
        self.assertEqual(visit.state, "done")
        self.assertEqual(
            (
                visit.satisfaction_product,
                visit.satisfaction_service,
                visit.satisfaction_timeliness,
                visit.satisfaction_result,
            ),
            ("satisfied", False, False, "basically_satisfied"),
        )
        # Aspects 4 and 2, the nursing item 3: (4 + 2 + 3) / 3 = 3.0, the
        # nursing item counted once, the aspects not twice.
        self.assertEqual(visit.satisfaction_score, 3.0)
        self.assertEqual(
            (visit.satisfaction_item_total, visit.satisfaction_item_count), (3.0, 1)
        )
        self.assertTrue(visit.has_low_score)
        case = self.env["visit.case"].search([("record_id", "=", visit.id)])
        self.assertAlmostEqual(case.satisfaction_score, 3.0)
        self.assertEqual(case.score_product, 4)
        self.assertFalse(case.score_timeliness)

    def test_a_type_without_an_aspect_refuses_its_rating_with_words(self):
        visit = self._visit()
        with self.assertRefused(ValidationError, "does not rate the aspect Timeliness"):
            visit.with_user(self.agent).write(
                {"outcome": "reached", "satisfaction_timeliness": "satisfied"}
            )
        self.assertFalse(visit.satisfaction_timeliness)
        # Written on the visit, an aspect it rates is its item's answer.
        visit.with_user(self.agent).write(
            {"outcome": "reached", "satisfaction_product": "unsatisfied"}
        )
        self.assertEqual(
            self._answer(visit, self.product_item).value_level, "unsatisfied"
        )
        self.assertTrue(visit.is_unsatisfied)

    def test_an_aspect_reworded_after_answers_keeps_the_old_wording(self):
        old_visit = self._visit(outcome="reached", satisfaction_product="satisfied")
        old_visit.action_done()
        self.product_item.with_user(self.manager).write({"name": "Care by doctors"})
        new_item = self.discharge.question_ids.filtered(
            lambda item: item.aspect == "product"
        )
        self.assertEqual(new_item.name, "Care by doctors")
        self.assertNotEqual(new_item, self.product_item)
        self.assertEqual(
            self._answer(old_visit, self.product_item).question, "Medical care"
        )
        new_visit = self._visit(
            outcome="reached", satisfaction_product="fairly_satisfied"
        )
        self.assertEqual(
            self._answer(new_visit, new_item).value_level, "fairly_satisfied"
        )
        self.assertEqual(
            (old_visit.satisfaction_product, new_visit.satisfaction_product),
            ("satisfied", "fairly_satisfied"),
        )

    def test_an_aspect_is_one_item_on_the_4_level_scale(self):
        Question = self.env["visit.type.question"].with_user(self.manager)
        with self.assertRefused(ValidationError, "already rates the aspect"):
            Question.create(
                {
                    "type_id": self.discharge.id,
                    "name": "Doctors",
                    "answer_kind": "scale4",
                    "counts_in_satisfaction": True,
                    "aspect": "product",
                }
            )
        with self.assertRefused(ValidationError, "4-level satisfaction scale"):
            Question.create(
                {
                    "type_id": self.discharge.id,
                    "name": "Timeliness in stars",
                    "answer_kind": "rating",
                    "counts_in_satisfaction": True,
                    "aspect": "timeliness",
                }
            )
        # Given back on the 4-level scale, the dropped aspect is rated again.
        Question.create(
            {
                "type_id": self.discharge.id,
                "name": "Waiting time",
                "answer_kind": "scale4",
                "counts_in_satisfaction": True,
                "aspect": "timeliness",
            }
        )
        visit = self._visit(outcome="reached", satisfaction_timeliness="satisfied")
        self.assertEqual(visit.satisfaction_timeliness, "satisfied")

    def test_a_signed_sheet_prints_the_aspects_as_the_type_words_them(self):
        visit = self._visit(
            outcome="reached",
            satisfaction_product="satisfied",
            satisfaction_result="fairly_satisfied",
        )
        content = visit._sheet_content()
        self.assertEqual(
            [(row["aspect"], row["level"]) for row in content["satisfaction"]],
            [
                ("Medical care", "Satisfied"),
                ("Service attitude", ""),
                ("Result", "Fairly satisfied"),
            ],
        )
        # Not printed twice: the answers are the other items.
        self.assertEqual(
            [row["question"] for row in content["answers"]],
            ["Were you told how to take your medicines?", "Nursing"],
        )
        values = visit._signed_values()
        self.assertEqual(
            values["satisfaction"], ["satisfied", "", "", "fairly_satisfied"]
        )
        self.assertEqual(len(values["answers"]), 2)
        visit._sign("Wang", _png())
        self.assertTrue(visit.is_signature_valid)
        frozen = json.loads(visit.signed_content)
        self.assertEqual(frozen["satisfaction"][0]["aspect"], "Medical care")

    def test_a_visit_signed_before_the_aspects_were_items_stays_valid(self):
        visit = self._visit(outcome="reached", satisfaction_product="satisfied")
        visit._sign("Wang", _png())
        self.assertTrue(visit.is_signature_valid)
        # Signed before 18.0.1.10.0: no answer for its aspects, the level in
        # its column; the upgrade then gives it one answer per aspect.
        aspects = visit.answer_ids.filtered(lambda answer: answer.question_id.aspect)
        self.env.flush_all()
        self.env.cr.execute(
            "DELETE FROM visit_answer WHERE id = ANY(%s)", [aspects.ids]
        )
        visit.invalidate_recordset()
        self.assertTrue(visit.is_signature_valid)
        self.assertEqual(visit.satisfaction_product, "satisfied")
        self.env.cr.execute(
            """INSERT INTO visit_answer (record_id, question_id, company_id,
                   sequence, answer_kind, is_skipped, value_level)
               SELECT %s, id, %s, sequence, 'scale4', FALSE,
                      CASE aspect WHEN 'product' THEN 'satisfied' END
                 FROM visit_type_question
                WHERE type_id = %s AND aspect IS NOT NULL AND active""",
            [visit.id, visit.company_id.id, self.discharge.id],
        )
        self.env.invalidate_all()
        self.assertTrue(visit.is_signature_valid)
        # A signed aspect's answer cannot change.
        with self.assertRefused(UserError, "is signed"):
            visit.answer_ids.filtered(
                lambda answer: answer.question_id.aspect == "product"
            ).with_user(self.manager).value_level = "unsatisfied"

    def test_the_ticket_names_the_aspect_as_the_type_words_it_once(self):
        visit = self._visit()
        form = self._wizard(visit)
        self._rate(form, "satisfaction_product", "unsatisfied")
        form.save().action_confirm()
        ticket = visit.sudo().complaint_ticket_ids
        self.assertTrue(ticket, "An unsatisfied aspect opens a ticket")
        self.assertIn("Medical care: Unsatisfied", ticket.description)
        self.assertEqual(visit._problems_raised(), ["The customer is not satisfied."])


def _png():
    from .test_signature import png_signature

    return png_signature()
