"""Review of the aspects as items of the scripts: each role tries to write
an aspect where it must not (a closed, signed or other company's visit, an
aspect the type does not ask), and the versioning of an aspect item."""

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import Request
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import VisitCommon


def _png():
    from .test_signature import png_signature

    return png_signature()


@tagged("post_install", "-at_install")
class TestReviewAspects(VisitCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rated = (
            cls.env["visit.type"]
            .with_user(cls.manager)
            .create({"name": "Rated call", "default_channel": "phone"})
        )

    def _item(self, visit_type, aspect):
        return visit_type.question_ids.filtered(lambda item: item.aspect == aspect)

    def _aspect_answers(self, visit, aspect):
        return visit.answer_ids.filtered(
            lambda answer: answer.question_id.aspect == aspect
        )

    def _closed_visit(self, visit_type, **values):
        visit = self._create_visit(
            type_id=visit_type.id, user_id=self.agent.id, outcome="reached", **values
        )
        visit.action_done()
        self.assertEqual(visit.state, "done")
        return visit

    def test_agent_cannot_change_an_aspect_of_a_closed_visit(self):
        visit = self._closed_visit(self.rated, satisfaction_product="satisfied")
        with self.assertRefused(UserError, "is closed"):
            visit.with_user(self.agent).write({"satisfaction_product": "unsatisfied"})
        visit.invalidate_recordset()
        self.assertEqual(visit.satisfaction_product, "satisfied")
        # A manager corrects it: the item's answer follows.
        visit.with_user(self.manager).write({"satisfaction_product": "unsatisfied"})
        self.assertEqual(
            self._aspect_answers(visit, "product").value_level, "unsatisfied"
        )
        self.assertTrue(visit.is_unsatisfied)

    def test_agent_cannot_add_an_aspect_to_a_closed_visit(self):
        """An aspect the type gained after the visit was closed has no
        answer on it: the answer the inverse creates is checked as any
        change of an answer (closed, by a manager only)."""
        visit_type = (
            self.env["visit.type"]
            .with_user(self.manager)
            .create(
                {
                    "name": "Product only",
                    "default_channel": "phone",
                    "question_ids": [
                        Command.create(
                            {
                                "name": "Product",
                                "answer_kind": "scale4",
                                "counts_in_satisfaction": True,
                                "aspect": "product",
                            }
                        )
                    ],
                }
            )
        )
        self.assertEqual(visit_type.question_ids.mapped("aspect"), ["product"])
        visit = self._closed_visit(visit_type, satisfaction_product="satisfied")
        self.env["visit.type.question"].with_user(self.manager).create(
            {
                "type_id": visit_type.id,
                "name": "Service",
                "answer_kind": "scale4",
                "counts_in_satisfaction": True,
                "aspect": "service",
            }
        )
        with self.assertRefused(UserError, "is closed"):
            visit.with_user(self.agent).write({"satisfaction_service": "unsatisfied"})
        visit.invalidate_recordset()
        self.assertFalse(visit.satisfaction_service)
        self.assertFalse(self._aspect_answers(visit, "service"))

    def test_nobody_changes_an_aspect_of_a_signed_visit(self):
        visit = self._create_visit(
            type_id=self.rated.id,
            user_id=self.agent.id,
            outcome="reached",
            satisfaction_product="satisfied",
        )
        visit._sign("Wang", _png())
        self.assertTrue(visit.is_signature_valid)
        for user in (self.agent, self.manager):
            with self.assertRefused(UserError, "is signed"):
                visit.with_user(user).write({"satisfaction_product": "unsatisfied"})
            with self.assertRefused(UserError, "is signed"):
                self._aspect_answers(visit, "service").with_user(
                    user
                ).value_level = "unsatisfied"
        visit.invalidate_recordset()
        self.assertEqual(visit.satisfaction_product, "satisfied")
        self.assertFalse(visit.satisfaction_service)
        self.assertTrue(visit.is_signature_valid)

    def test_clearing_an_unrated_aspect_keeps_signed_visits_valid(self):
        """An aspect item no visit rated but a signed visit holds (an empty
        answer) is frozen: clearing its aspect makes its next version, the
        signed visit keeps the one it signed and its signature holds."""
        visit = self._create_visit(
            type_id=self.rated.id,
            user_id=self.agent.id,
            outcome="reached",
            satisfaction_product="satisfied",
        )
        visit._sign("Wang", _png())
        self.assertTrue(visit.is_signature_valid)
        result = self._item(self.rated, "result")
        result.with_user(self.manager).write({"aspect": False})
        visit.invalidate_recordset()
        self.assertTrue(visit.is_signature_valid, "the customer's signature holds")

    def test_agent_cannot_rate_another_company_s_visit(self):
        type_b = self.env["visit.type"].create(
            {"name": "B call", "company_id": self.company_b.id}
        )
        visit = self._create_visit(
            type_id=type_b.id,
            partner_id=self.customer_b.id,
            company_id=self.company_b.id,
            # Unassigned: only the company keeps the agent out.
            user_id=False,
        )
        with self.assertRefused(AccessError, ""):
            visit.with_user(self.agent).write({"satisfaction_product": "satisfied"})
        with self.assertRefused(AccessError, ""):
            self._aspect_answers(visit, "service").with_user(self.agent).write(
                {"value_level": "satisfied"}
            )
        self.assertFalse(visit.satisfaction_product)
        self.assertFalse(visit.satisfaction_service)

    def test_agent_cannot_rate_a_visit_of_another_agent(self):
        visit = self._create_visit(type_id=self.rated.id, user_id=self.agent_2.id)
        with self.assertRefused(AccessError, ""):
            visit.with_user(self.agent).write(
                {"outcome": "reached", "satisfaction_product": "satisfied"}
            )
        self.assertFalse(visit.satisfaction_product)

    def test_an_aspect_cannot_be_moved_onto_another_by_versioning(self):
        """An answered aspect item turned into an aspect another item rates
        is refused, its next version too: one active item per aspect."""
        visit = self._create_visit(type_id=self.rated.id, user_id=self.agent.id)
        visit.with_user(self.agent).write(
            {"outcome": "reached", "satisfaction_product": "satisfied"}
        )
        product = self._item(self.rated, "product")
        with self.assertRefused(ValidationError, "already rates the aspect"):
            product.with_user(self.manager).write({"aspect": "service"})
        self.assertEqual(
            len(self._item(self.rated, "service")), 1, "one item per aspect"
        )

    def test_an_unanswered_aspect_cannot_be_moved_onto_another(self):
        product = self._item(self.rated, "product")
        with self.assertRefused(ValidationError, "already rates the aspect"):
            product.with_user(self.manager).write({"aspect": "service"})
        with self.assertRefused(ValidationError, "already rates the aspect"):
            self.env["visit.type.question"].with_user(self.manager).create(
                {
                    "type_id": self.rated.id,
                    "name": "Service again",
                    "answer_kind": "scale4",
                    "counts_in_satisfaction": True,
                    "aspect": "service",
                }
            )
        with self.assertRefused(ValidationError, "4-level satisfaction scale"):
            product.with_user(self.manager).write({"answer_kind": "yes_no"})

    def test_a_reworded_aspect_keeps_one_item_and_each_visit_its_answer(self):
        answered = self._create_visit(type_id=self.rated.id, user_id=self.agent.id)
        answered.with_user(self.agent).write(
            {"outcome": "reached", "satisfaction_product": "satisfied"}
        )
        waiting = self._create_visit(type_id=self.rated.id, user_id=self.agent.id)
        old = self._item(self.rated, "product")
        old.with_user(self.manager).write({"name": "Quality of the machine"})
        new = self._item(self.rated, "product")
        self.assertEqual(len(new), 1)
        self.assertNotEqual(new, old)
        self.assertFalse(old.active)
        self.assertEqual(self._aspect_answers(answered, "product").question_id, old)
        self.assertEqual(self._aspect_answers(waiting, "product").question_id, new)
        # The agent changes the visit answered before: its answer, not a
        # second one for the new version.
        answered.with_user(self.agent).write({"satisfaction_product": "unsatisfied"})
        answers = self._aspect_answers(answered, "product")
        self.assertEqual(len(answers), 1)
        self.assertEqual(answers.value_level, "unsatisfied")
        # The waiting visit is rated in Log Outcome on the new wording.
        form = Form(
            self.env(user=self.agent)["visit.outcome.wizard"].with_context(
                active_model="visit.record", active_id=waiting.id
            )
        )
        form.outcome = "reached"
        self._rate(form, "satisfaction_product", "fairly_satisfied")
        form.save().action_confirm()
        self.assertEqual(waiting.satisfaction_product, "fairly_satisfied")
        self.assertEqual(
            self._aspect_answers(waiting, "product").question, "Quality of the machine"
        )

    def test_not_reached_refuses_an_aspect_written_on_the_visit(self):
        visit = self._create_visit(type_id=self.rated.id, user_id=self.agent.id)
        with self.assertRefused(ValidationError, "not reached"):
            visit.with_user(self.agent).write(
                {
                    "outcome": "not_reached",
                    "unreached_reason_id": self.reason("no_answer").id
                    or self.env["visit.unreached.reason"].search([], limit=1).id,
                    "satisfaction_product": "satisfied",
                }
            )
        visit.invalidate_recordset()
        self.assertFalse(self._aspect_answers(visit, "product").value_level)


@tagged("post_install", "-at_install")
class TestReviewAspectsPortal(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_test_user(
            cls.env, login="cv_ra_agent", groups="customer_visit.group_visit_user"
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "李明", "email": "li.ming.review@example.cn"}
        )
        cls.mail_type = cls.env["visit.type"].create(
            {
                "name": "Mail follow-up",
                "default_channel": "email",
                "question_ids": [
                    Command.create({"name": "Is it working?", "answer_kind": "yes_no"})
                ],
            }
        )
        # The company drops the timeliness aspect of this type.
        cls.mail_type.question_ids.filtered(
            lambda item: item.aspect == "timeliness"
        ).unlink()
        cls.phone_type = cls.env["visit.type"].create(
            {"name": "Plain phone call", "default_channel": "phone"}
        )

    def _visit(self, visit_type=None, **values):
        return self.env["visit.record"].create(
            {
                "partner_id": self.customer.id,
                "type_id": (visit_type or self.mail_type).id,
                "user_id": self.agent.id,
                **values,
            }
        )

    def _post(self, visit, data):
        self.authenticate(None, None)
        token = visit._portal_ensure_token()
        data = dict(data, csrf_token=Request.csrf_token(self))
        return self.url_open(
            f"/my/visits/{visit.id}/answer?access_token={token}",
            data=data,
            allow_redirects=False,
        )

    def _aspect_answers(self, visit, aspect):
        return visit.answer_ids.filtered(
            lambda answer: answer.question_id.aspect == aspect
        )

    def test_a_rating_of_an_aspect_the_type_dropped_is_refused(self):
        visit = self._visit()
        self.assertFalse(self._aspect_answers(visit, "timeliness"))
        response = self._post(
            visit,
            {
                "rating_satisfaction_timeliness": "unsatisfied",
                "rating_satisfaction_product": "satisfied",
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("Unknown aspect", response.text)
        visit.invalidate_recordset()
        self.assertEqual(visit.state, "planned")
        self.assertFalse(visit.satisfaction_timeliness)
        self.assertFalse(visit.satisfaction_product)

    def test_an_aspect_item_of_another_type_is_refused(self):
        visit = self._visit()
        other = self.phone_type.question_ids.filtered(
            lambda item: item.aspect == "timeliness"
        )
        response = self._post(visit, {f"answer_{other.id}": "unsatisfied"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("Unknown questions", response.text)
        visit.invalidate_recordset()
        self.assertEqual(visit.state, "planned")
        self.assertFalse(
            visit.answer_ids.filtered(lambda answer: answer.question_id == other)
        )

    def test_an_old_rating_key_and_the_item_agree_the_item_wins(self):
        visit = self._visit()
        item = self._aspect_answers(visit, "product").question_id
        response = self._post(
            visit,
            {
                "rating_satisfaction_product": "unsatisfied",
                f"answer_{item.id}": "satisfied",
                "rating_satisfaction_service": "fairly_satisfied",
            },
        )
        self.assertEqual(response.status_code, 303)
        visit.invalidate_recordset()
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.satisfaction_product, "satisfied")
        self.assertEqual(visit.satisfaction_service, "fairly_satisfied")
        self.assertEqual(
            self._aspect_answers(visit, "service").value_level, "fairly_satisfied"
        )

    def test_a_bad_level_of_an_old_rating_key_is_refused(self):
        visit = self._visit()
        response = self._post(visit, {"rating_satisfaction_product": "superb"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("choose one of the faces", response.text)
        visit.invalidate_recordset()
        self.assertEqual(visit.state, "planned")
        self.assertFalse(visit.satisfaction_product)

    def test_a_phone_call_without_items_is_not_answered_online(self):
        """Every visit has its type's aspect answers: a phone call whose
        type has no item but the aspects is still closed by its agent only,
        not answered online."""
        visit = self._visit(self.phone_type, channel="phone")
        self.assertFalse(visit.dispatch_channel)
        response = self._post(visit, {"rating_satisfaction_product": "satisfied"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("answered with our agent", response.text)
        visit.invalidate_recordset()
        self.assertEqual(visit.state, "planned")
        self.assertFalse(visit.satisfaction_product)
