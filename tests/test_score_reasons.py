from datetime import timedelta

from lxml import html as lxml_html

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.http import Request
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestScoreReasons(VisitCommon):
    """Reasons for low scores: offered by the type, given by the agent in
    Log Outcome, routing the complaint ticket, counted in the indicators."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.care = cls.env.ref("customer_visit.helpdesk_ticket_team_customer_care")
        cls.logistics = cls.env["helpdesk.ticket.team"].create({"name": "Logistics"})
        # A company's own reason, with its own team.
        cls.waiting = cls.env["visit.score.reason"].create(
            {
                "name": "Waiting at the counter",
                "company_id": cls.company_a.id,
                "team_id": cls.logistics.id,
                "sequence": 3,
            }
        )
        cls.attitude = cls.env.ref("customer_visit.visit_score_reason_attitude")
        cls.price = cls.env.ref("customer_visit.visit_score_reason_price")
        cls.type_plain.write(
            {
                "complaint_team_id": cls.care.id,
                "score_reason_ids": [Command.set((cls.waiting | cls.attitude).ids)],
            }
        )

    def _log(self, visit, **values):
        form = Form(
            self.env(user=self.agent)["visit.outcome.wizard"].with_context(
                active_model="visit.record", active_id=visit.id
            )
        )
        form.outcome = "reached"
        for name, value in values.items():
            if name == "score_reason_ids":
                for reason in value:
                    form.score_reason_ids.add(reason)
            elif name.startswith("satisfaction_"):
                self._rate(form, name, value)
            else:
                setattr(form, name, value)
        return form.save()

    def test_shipped_types_offer_reasons(self):
        self.assertIn(
            self.env.ref("customer_visit.visit_score_reason_waiting_time"),
            self.type_repair.score_reason_ids,
        )
        self.assertNotIn(self.price, self.type_complaint.score_reason_ids)

    def test_agent_tags_a_low_score_and_the_ticket_goes_to_the_reasons_team(self):
        visit = self._create_visit(user_id=self.agent.id)
        wizard = self._log(
            visit,
            satisfaction_service="unsatisfied",
            opinion="Waited two hours",
            score_reason_ids=[self.waiting, self.attitude],
        )
        self.assertTrue(wizard.has_low_score)
        wizard.action_confirm()
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.score_reason_ids, self.waiting | self.attitude)
        ticket = visit.complaint_ticket_ids
        self.assertEqual(len(ticket), 1)
        # Attitude (sequence 2) has no team; waiting (3) sends it to
        # logistics, before the type's team.
        self.assertEqual(ticket.team_id, self.logistics)
        self.assertIn("Waiting at the counter", ticket.description)
        self.assertIn("Service attitude", ticket.description)

    def test_basically_satisfied_is_low_and_without_a_team_the_type_decides(self):
        visit = self._create_visit(user_id=self.agent.id)
        self._log(
            visit,
            satisfaction_product="basically_satisfied",
            satisfaction_result="unsatisfied",
            score_reason_ids=[self.attitude],
        ).action_confirm()
        self.assertTrue(visit.has_low_score)
        self.assertEqual(visit.complaint_ticket_ids.team_id, self.care)

    def test_fairly_satisfied_is_not_low_and_reasons_are_refused(self):
        visit = self._create_visit(user_id=self.agent.id)
        wizard = self._log(visit, satisfaction_service="fairly_satisfied")
        self.assertFalse(wizard.has_low_score)
        # Hidden in the form; sent anyway over RPC.
        wizard.score_reason_ids = self.waiting
        with self.assertRefused(ValidationError, "needs an aspect or an item rated"):
            wizard.action_confirm()
        self.assertEqual(visit.state, "planned")
        self.assertFalse(visit.score_reason_ids)

    def test_a_reason_the_type_does_not_offer_is_refused(self):
        visit = self._create_visit(user_id=self.agent.id)
        wizard = self._log(visit, satisfaction_service="unsatisfied")
        wizard.score_reason_ids = self.price
        with self.assertRefused(ValidationError, "is not a reason Plain call offers"):
            wizard.action_confirm()
        self.assertEqual(visit.state, "planned")

    def test_reasons_of_a_signed_visit_cannot_change(self):
        visit = self._create_visit(user_id=self.agent.id)
        self._log(
            visit, satisfaction_service="unsatisfied", score_reason_ids=[self.waiting]
        ).action_confirm()
        visit.sudo().signature_hash = "0" * 64
        with self.assertRefused(UserError, "signed"):
            visit.with_user(self.manager).score_reason_ids = self.attitude
        self.assertEqual(visit.score_reason_ids, self.waiting)

    def test_a_used_reason_is_archived_not_deleted(self):
        visit = self._create_visit(user_id=self.agent.id)
        self._log(
            visit, satisfaction_service="unsatisfied", score_reason_ids=[self.waiting]
        ).action_confirm()
        reason = self.waiting.with_user(self.manager)
        with self.assertRefused(UserError, "archive it instead"):
            reason.unlink()
        reason.active = False
        self.assertEqual(visit.score_reason_ids, self.waiting)
        unused = (
            self.env["visit.score.reason"]
            .with_user(self.manager)
            .create({"name": "Parking"})
        )
        unused.unlink()
        self.assertFalse(unused.exists())

    def test_the_indicators_count_the_reasons_of_the_low_scored_visits(self):
        for aspect, reasons in (
            ("unsatisfied", [self.waiting, self.attitude]),
            ("basically_satisfied", [self.attitude]),
            ("basically_satisfied", []),
            ("satisfied", []),
        ):
            self._log(
                self._create_visit(user_id=self.agent.id),
                satisfaction_service=aspect,
                score_reason_ids=reasons,
            ).action_confirm()
        today = fields.Date.context_today(self.env.user)
        Indicator = self.env["visit.indicator"].with_user(self.manager)
        lines = {
            line["label"]: line
            for line in Indicator._compute(
                today - timedelta(days=1), today + timedelta(days=1), self.company_a
            )
            if line["indicator"] == "score_reason"
        }
        # 3 low-scored visits done: attitude in 2, waiting in 1.
        self.assertEqual(
            {
                label: (line["numerator"], line["denominator"])
                for label, line in lines.items()
            },
            {"Service attitude": (2, 3), "Waiting at the counter": (1, 3)},
        )
        self.assertAlmostEqual(lines["Waiting at the counter"]["value"], 33.3, places=1)
        drill = (
            self.env["visit.case"]
            .with_user(self.manager)
            .search(lines["Service attitude"]["domain"])
        )
        self.assertEqual(len(drill), 2)

    def _sheet_text(self, visit):
        html = (
            self.env["ir.actions.report"]
            .with_user(self.agent)
            .with_context(lang="en_US")
            ._render_qweb_html("customer_visit.visit_record_report_sheet", visit.ids)[0]
            .decode()
        )
        return " ".join(lxml_html.fromstring(html).text_content().split())

    def test_the_paper_form_has_a_box_per_reason_and_the_sheet_prints_them(self):
        visit = self._create_visit(type_id=self.type_plain.id, user_id=self.agent.id)
        blank = self._sheet_text(visit)
        self.assertIn("If not satisfied, why?", blank)
        self.assertIn("Waiting at the counter", blank)
        self.assertIn(self.attitude.name, blank)
        self.assertNotIn(self.price.name, blank, "not a reason the type offers")
        self._log(
            visit,
            satisfaction_service="unsatisfied",
            score_reason_ids=self.waiting,
        ).action_confirm()
        done = self._sheet_text(visit)
        self.assertNotIn("If not satisfied, why?", done)
        # The reason given alone, not the type's list.
        self.assertIn("Reasons for the low score Waiting at the counter Opinion", done)

    def test_an_agent_cannot_edit_the_list(self):
        with self.assertRefused(Exception, "not allowed|You are not allowed"):
            self.env["visit.score.reason"].with_user(self.agent).create(
                {"name": "Parking"}
            )


@tagged("post_install", "-at_install")
class TestScoreReasonsPortal(HttpCase):
    """The customer gives the reasons of a low score on the portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.waiting = cls.env.ref("customer_visit.visit_score_reason_waiting_time")
        cls.price = cls.env.ref("customer_visit.visit_score_reason_price")
        cls.type_repair = cls.env.ref("customer_visit.visit_type_repair")
        cls.agent = new_test_user(
            cls.env, login="cv_sr_agent", groups="customer_visit.group_visit_user"
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "李明", "email": "li.ming@example.cn"}
        )
        # Complaint follow-ups do not offer the price.
        cls.type_complaint = cls.env.ref("customer_visit.visit_type_complaint")

    def _visit(self, visit_type):
        return self.env["visit.record"].create(
            {
                "partner_id": self.customer.id,
                "type_id": visit_type.id,
                "user_id": self.agent.id,
                "channel": "email",
            }
        )

    def _post(self, visit, data):
        self.authenticate(None, None)
        token = visit._portal_ensure_token()
        return self.url_open(
            f"/my/visits/{visit.id}/answer?access_token={token}",
            data=dict(data, csrf_token=Request.csrf_token(self)),
            allow_redirects=False,
        )

    def _required(self, visit_type):
        """The post key of the type's first (required) question."""
        question = visit_type.question_ids.sorted("sequence")[:1]
        self.assertTrue(question.is_required)
        return f"answer_{question.id}"

    def test_the_page_offers_the_types_reasons(self):
        visit = self._visit(self.type_complaint)
        self.authenticate(None, None)
        token = visit._portal_ensure_token()
        page = self.url_open(f"/my/visits/{visit.id}?access_token={token}").text
        self.assertIn(f'name="reason_{self.waiting.id}"', page)
        self.assertNotIn(f'name="reason_{self.price.id}"', page)

    def test_a_low_score_with_its_reason_is_stored(self):
        visit = self._visit(self.type_repair)
        response = self._post(
            visit,
            {
                self._required(self.type_repair): "no",
                "rating_satisfaction_timeliness": "unsatisfied",
                f"reason_{self.waiting.id}": str(self.waiting.id),
                "opinion": "两个小时才来",
            },
        )
        self.assertEqual(response.status_code, 303)
        visit.invalidate_recordset()
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.score_reason_ids, self.waiting)
        self.assertIn("Waiting time", visit.complaint_ticket_ids.description)

    def test_a_reason_not_offered_or_without_a_low_score_is_refused(self):
        visit = self._visit(self.type_complaint)
        solved = self._required(self.type_complaint)
        for data, message in (
            # Forged: the complaint type does not offer the price.
            (
                {
                    solved: "yes",
                    "rating_satisfaction_service": "unsatisfied",
                    f"reason_{self.price.id}": str(self.price.id),
                },
                "among the ones offered",
            ),
            # Nothing below satisfied.
            (
                {
                    solved: "yes",
                    "rating_satisfaction_service": "satisfied",
                    f"reason_{self.waiting.id}": str(self.waiting.id),
                },
                "needs an aspect or an item rated below satisfied",
            ),
        ):
            response = self._post(visit, data)
            self.assertEqual(response.status_code, 400, data)
            self.assertIn(message, response.text)
        visit.invalidate_recordset()
        self.assertEqual(visit.state, "planned")
        self.assertFalse(visit.score_reason_ids)
        self.assertFalse(visit.satisfaction_service)
