import base64
import contextlib
from datetime import datetime, timedelta

import pytz

from odoo import Command, fields
from odoo.http import Request
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .test_signature import png_signature


@tagged("post_install", "-at_install")
class TestVisitPortal(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Portal Customer", "email": "pc@example.com"}
        )
        cls.other = cls.env["res.partner"].create({"name": "Other Customer"})
        cls.portal_user = new_test_user(
            cls.env,
            login="cv_portal",
            groups="base.group_portal",
            partner_id=cls.customer.id,
        )
        cls.visit_type = cls.env["visit.type"].create(
            {
                "name": "Portal survey",
                "question_ids": [
                    Command.create(
                        {
                            "name": "Works fine?",
                            "answer_kind": "yes_no",
                            "is_required": True,
                        }
                    ),
                    Command.create({"name": "Rate us", "answer_kind": "rating"}),
                ],
            }
        )
        cls.visit = cls._visit(cls.customer)
        cls.other_visit = cls._visit(cls.other)
        cls.reached = cls._visit(cls.customer, outcome="reached", opinion="Fine")
        cls.calendar = cls.env.company.resource_calendar_id

    @classmethod
    def _visit(cls, partner, **values):
        return cls.env["visit.record"].create(
            {"partner_id": partner.id, "type_id": cls.visit_type.id, **values}
        )

    def _url(self, visit, suffix="", token=None):
        token = token or visit._portal_ensure_token()
        return f"/my/visits/{visit.id}{suffix}?access_token={token}"

    def _sign(self, visit, token=None, **params):
        params = {
            "name": "Portal Customer",
            "signature": png_signature().decode(),
            **params,
        }
        return self.make_jsonrpc_request(self._url(visit, "/sign", token), params)

    def _post(self, visit, suffix, data, token=None):
        self.authenticate(None, None)
        data = dict(data, csrf_token=Request.csrf_token(self))
        return self.url_open(
            self._url(visit, suffix, token), data=data, allow_redirects=False
        )

    # -- reading -------------------------------------------------------
    def test_token_opens_the_visit_page(self):
        response = self.url_open(self._url(self.visit))
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.visit.name, response.text)
        self.assertIn("Works fine?", response.text)

    def test_wrong_missing_or_foreign_token_gives_404_and_reveals_nothing(self):
        foreign = self.other_visit._portal_ensure_token()
        for url in (
            f"/my/visits/{self.visit.id}?access_token=wrong",
            f"/my/visits/{self.visit.id}",
            f"/my/visits/{self.visit.id}?access_token={foreign}",
            "/my/visits/999999?access_token=wrong",
        ):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 404, url)
            self.assertNotIn(self.visit.name, response.text)
            self.assertNotIn("Portal Customer", response.text)

    def test_portal_user_lists_and_opens_only_own_visits(self):
        self.authenticate("cv_portal", "cv_portal")
        response = self.url_open("/my/visits")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.visit.name, response.text)
        self.assertNotIn(self.other_visit.name, response.text)
        self.assertEqual(self.url_open(f"/my/visits/{self.visit.id}").status_code, 200)
        self.assertEqual(
            self.url_open(f"/my/visits/{self.other_visit.id}").status_code, 404
        )

    # -- signing -------------------------------------------------------
    def test_customer_signs_with_a_valid_token(self):
        self.assertIn("nothing to sign yet", self._sign(self.visit)["error"])
        result = self._sign(self.reached, name="Portal Customer")
        self.assertNotIn("error", result)
        self.assertEqual(self.reached.signed_by, "Portal Customer")
        self.assertTrue(self.reached.is_signature_valid)
        self.assertIn("message=signed", result["redirect_url"])

    def test_signing_refusals(self):
        self._sign(self.reached)
        self.assertIn("already signed", self._sign(self.reached)["error"])
        cancelled = self._visit(self.customer, outcome="reached")
        cancelled.action_cancel()
        self.assertIn("cannot be signed", self._sign(cancelled)["error"])
        fresh = self._visit(self.customer, outcome="reached")
        not_image = base64.b64encode(b"<html>no</html>").decode()
        self.assertIn(
            "must be an image", self._sign(fresh, signature=not_image)["error"]
        )
        self.assertIn("Give your name", self._sign(fresh, name="   ")["error"])
        self.assertIn("Give your name", self._sign(fresh, name="x" * 200)["error"])
        self.assertIn("cannot be found", self._sign(fresh, token="wrong")["error"])
        self.assertIn(
            "cannot be found",
            self._sign(fresh, token=self.other_visit._portal_ensure_token())["error"],
        )
        self.assertFalse(fresh.signature)

    def test_signing_cannot_change_other_fields(self):
        fresh = self._visit(self.customer, opinion="Original", outcome="reached")
        with contextlib.suppress(JsonRpcException):  # refused outright: fine too
            self._sign(fresh, opinion="Injected", outcome="not_reached", state="done")
        fresh.invalidate_recordset()
        self.assertEqual(fresh.opinion, "Original")
        self.assertEqual(fresh.outcome, "reached")
        self.assertEqual(fresh.state, "planned")

    # -- self-service ----------------------------------------------------
    def test_customer_answers_and_the_visit_is_done_through_the_portal(self):
        questions = self.visit.answer_ids.question_id.sorted("sequence")
        response = self._post(
            self.visit,
            "/answer",
            {
                f"answer_{questions[0].id}": "yes",
                f"answer_{questions[1].id}": "4",
                "opinion": "Great",
            },
        )
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.visit.state, "done")
        self.assertEqual(self.visit.channel, "portal")
        self.assertEqual(self.visit.opinion, "Great")
        self.assertEqual(
            sorted(
                self.visit.answer_ids.filtered(
                    lambda a: not a.question_id.aspect
                ).mapped("value_rating")
            ),
            [0, 4],
        )

    def test_bad_answers_are_refused_and_nothing_written(self):
        questions = self.visit.answer_ids.question_id.sorted("sequence")
        for data in (
            {f"answer_{questions[0].id}": "maybe"},
            {f"answer_{questions[0].id}": "yes", f"answer_{questions[1].id}": "9"},
            {f"answer_{questions[1].id}": "3"},
            {f"answer_{questions[0].id}": "yes", "answer_999999": "x"},
        ):
            response = self._post(self.visit, "/answer", data)
            self.assertEqual(response.status_code, 400, data)
        self.visit.invalidate_recordset()
        self.assertEqual(self.visit.state, "planned")
        self.assertFalse(any(self.visit.answer_ids.mapped("value_yes_no")))

    def _next_working_slot(self, hour):
        tz = pytz.timezone(self.calendar.tz or "UTC")
        day = datetime.now(tz).date() + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return datetime.combine(day, datetime.min.time()).replace(hour=hour)

    def test_callback_slot_inside_calling_hours_reschedules(self):
        slot = self._next_working_slot(10)
        response = self._post(
            self.visit, "/callback", {"slot": slot.strftime("%Y-%m-%dT%H:%M")}
        )
        self.assertEqual(response.status_code, 303)
        tz = pytz.timezone(self.calendar.tz or "UTC")
        self.assertEqual(
            self.visit.scheduled_date,
            tz.localize(slot).astimezone(pytz.utc).replace(tzinfo=None),
        )

    def test_the_agents_todo_falls_on_the_call_as_the_agent_counts_days(self):
        """Calling hours in Shanghai, the agent in New York: 10:00 in
        Shanghai is the evening before in New York, the day their to-do
        list shows it (as every other to-do of the visit)."""
        self.calendar.tz = "Asia/Shanghai"
        agent = new_test_user(
            self.env,
            login="cv_portal_ny_agent",
            groups="customer_visit.group_visit_user",
            tz="America/New_York",
        )
        visit = self._visit(self.customer, user_id=agent.id)
        self.assertTrue(visit.activity_ids)
        slot = self._next_working_slot(10)
        response = self._post(
            visit, "/callback", {"slot": slot.strftime("%Y-%m-%dT%H:%M")}
        )
        self.assertEqual(response.status_code, 303)
        moment = pytz.timezone("Asia/Shanghai").localize(slot)
        day = moment.astimezone(pytz.timezone("America/New_York")).date()
        self.assertNotEqual(day, slot.date())
        self.assertEqual(visit.activity_ids.date_deadline, day)

    def test_callback_slot_outside_hours_or_in_the_past_is_refused(self):
        before = self.visit.scheduled_date
        night = self._next_working_slot(23)
        past = fields.Datetime.now() - timedelta(days=2)
        for slot in (
            night.strftime("%Y-%m-%dT%H:%M"),
            past.strftime("%Y-%m-%dT%H:%M"),
            "tomorrow",
        ):
            response = self._post(self.visit, "/callback", {"slot": slot})
            self.assertEqual(response.status_code, 400, slot)
        self.visit.invalidate_recordset()
        self.assertEqual(self.visit.scheduled_date, before)

    def test_customer_opts_out_and_open_visits_are_cancelled(self):
        second = self._visit(self.customer)
        response = self._post(self.visit, "/optout", {"confirm": "yes"})
        self.assertEqual(response.status_code, 303)
        self.assertTrue(self.customer.do_not_visit)
        self.assertEqual(
            (self.visit | second).mapped("state"), ["cancelled", "cancelled"]
        )
        self.assertEqual(self.other_visit.state, "planned")
        self.assertEqual(self.reached.state, "cancelled")
