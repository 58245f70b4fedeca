"""The portal, attacked: who may act as the customer, what a portal user
reads over RPC, and what every public route does with bad input.

Written as the attacker: each test uses the attacker's own session (an
agent signed in, a portal user of another customer, an anonymous link
holder) and asserts what was refused and that nothing was written.
"""

import base64
import io
import json
import struct
import zlib
from datetime import timedelta

from PIL import Image

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.http import Request
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import calling_hours
from .test_signature import png_signature


def png_header_only(width, height):
    """A valid PNG whose header announces ``width`` × ``height`` pixels in a
    few bytes (a decompression bomb once decoded)."""

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 1024)
    return base64.b64encode(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", data)
        + chunk(b"IEND", b"")
    ).decode()


def gif_signature():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (255, 255, 255)).save(buffer, format="GIF")
    return base64.b64encode(buffer.getvalue()).decode()


class PortalAttackCommon(HttpCase):
    """A customer with a portal login, another customer with theirs, two
    agents, and an e-mail visit type with a one-question script."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = calling_hours(cls.env, "Trust calling hours")
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Trusting Customer",
                "email": "trusting@example.com",
                "mobile": "+86 138 0013 8009",
                "country_id": cls.env.ref("base.cn").id,
            }
        )
        cls.other = cls.env["res.partner"].create(
            {"name": "Other Customer", "email": "other.customer@example.com"}
        )
        cls.portal_user = new_test_user(
            cls.env,
            login="cv_trust_portal",
            groups="base.group_portal",
            partner_id=cls.customer.id,
        )
        cls.other_portal = new_test_user(
            cls.env,
            login="cv_trust_other",
            groups="base.group_portal",
            partner_id=cls.other.id,
        )
        cls.agent = new_test_user(
            cls.env, login="cv_trust_agent", groups="customer_visit.group_visit_user"
        )
        cls.agent_2 = new_test_user(
            cls.env, login="cv_trust_agent2", groups="customer_visit.group_visit_user"
        )
        cls.manager = new_test_user(
            cls.env,
            login="cv_trust_manager",
            groups="customer_visit.group_visit_manager",
        )
        cls.visit_type = cls.env["visit.type"].create(
            {
                "name": "Trust follow-up",
                "default_channel": "email",
                "calendar_id": cls.calendar.id,
                "question_ids": [
                    Command.create(
                        {"name": "Comments?", "answer_kind": "text"},
                    ),
                ],
            }
        )

    def setUp(self):
        super().setUp()
        # Anonymous until a test signs in (_login).
        self.authenticate(None, None)

    def _visit(self, partner=None, **values):
        return self.env["visit.record"].create(
            {
                "partner_id": (partner or self.customer).id,
                "type_id": self.visit_type.id,
                "user_id": self.agent.id,
                "deadline": fields.Datetime.now() + timedelta(days=3),
                **values,
            }
        )

    def _url(self, visit, suffix="", token=None):
        if token is False:
            return f"/my/visits/{visit.id}{suffix}"
        token = token or visit._portal_ensure_token()
        return f"/my/visits/{visit.id}{suffix}?access_token={token}"

    def _login(self, login):
        self.authenticate(login, login)

    def _post(self, visit, suffix, data, token=None):
        """Post as the session of the last _login (anonymous if none)."""
        data = dict(data, csrf_token=Request.csrf_token(self))
        return self.url_open(
            self._url(visit, suffix, token), data=data, allow_redirects=False
        )

    def _sign(self, visit, params, token=None):
        """The sign route's JSON answer (its ``result``), as a browser sends
        it; a JSON-RPC error (a traceback) fails the test."""
        response = self.url_open(
            self._url(visit, "/sign", token),
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertNotIn("error", body, "a server error, not a refusal")
        return body["result"]

    def _answer_data(self, visit, opinion="Fine"):
        question = visit.answer_ids.question_id.filtered(lambda q: not q.aspect)
        return {
            "rating_satisfaction_service": "satisfied",
            f"answer_{question.id}": "Works",
            "opinion": opinion,
        }

    def _offered_slot(self, visit):
        return visit._callback_slots()[0][1][0][0]

    def _state(self, visit):
        """What an attack must not change."""
        visit.invalidate_recordset()
        return {
            "state": visit.state,
            "outcome": visit.outcome,
            "channel": visit.channel,
            "identity_confirmed": visit.identity_confirmed,
            "answered_by_id": visit.answered_by_id,
            "scheduled_date": visit.scheduled_date,
            "deadline": visit.deadline,
            "due_date": visit.due_date,
            "opinion": visit.opinion,
            "answers": visit.answer_ids.mapped("value_text"),
            "satisfaction": visit.satisfaction_service,
            "signature": bool(visit.signature),
            "opened": visit.dispatch_opened,
            "messages": visit.message_ids.ids,
            "do_not_visit": visit.partner_id.do_not_visit,
            "blacklisted": bool(
                self.env["mail.blacklist"].search(
                    [("email", "=", visit.partner_id.email_normalized)]
                )
            ),
        }


@tagged("post_install", "-at_install")
class TestPortalTrust(PortalAttackCommon):
    # -- an agent who can read the visit -------------------------------
    def test_agent_cannot_act_as_the_customer_without_the_link(self):
        visit = self._visit()
        colleagues = self._visit(user_id=self.agent_2.id)
        before, colleagues_before = self._state(visit), self._state(colleagues)
        self._login("cv_trust_agent")
        for suffix, data in (
            ("/answer", self._answer_data(visit)),
            ("/callback", {"slot": self._offered_slot(visit)}),
            ("/optout", {"confirm": "yes"}),
        ):
            response = self._post(visit, suffix, data, token=False)
            self.assertIn(response.status_code, (403, 404), suffix)
        self.assertIn(
            "Only the customer",
            self._sign(
                visit, {"name": "Fake", "signature": png_signature().decode()}, False
            )["error"],
        )
        self.assertEqual(self._state(visit), before)
        self.assertEqual(self._state(colleagues), colleagues_before)
        self.assertFalse(
            visit.message_ids.filtered(lambda msg: msg.author_id == self.customer)
        )
        self.assertFalse(
            self.env["phone.blacklist"].search([("number", "=", "+8613800138009")])
        )

    def test_agent_holding_the_link_is_still_refused(self):
        visit = self._visit()
        before = self._state(visit)
        self._login("cv_trust_agent")
        response = self._post(visit, "/answer", self._answer_data(visit))
        self.assertEqual(response.status_code, 403)
        response = self._post(visit, "/optout", {"confirm": "yes"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self._state(visit), before)

    def test_agent_reads_the_page_without_the_customers_forms(self):
        visit = self._visit()
        reached = self._visit(outcome="reached")
        self._login("cv_trust_agent")
        for record in (visit, reached):
            page = self.url_open(self._url(record, token=False))
            self.assertEqual(page.status_code, 200)
            self.assertIn(record.name, page.text)
            for form in (
                "o_visit_answer_form",
                "o_visit_callback_form",
                "o_visit_optout_form",
                "modalvisitsign",
            ):
                self.assertNotIn(form, page.text)

    def test_a_signed_visit_offers_nothing_more_to_answer(self):
        visit = self._visit(outcome="reached")
        self.assertIn("o_visit_answer_form", self.url_open(self._url(visit)).text)
        visit._sign("王建国", png_signature())
        page = self.url_open(self._url(visit))
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("o_visit_answer_form", page.text)
        self.assertNotIn("o_visit_callback_form", page.text)
        before = self._state(visit)
        response = self._post(visit, "/answer", self._answer_data(visit))
        self.assertEqual(response.status_code, 400)
        self.assertIn("signed this visit already", response.text)
        self.assertEqual(self._state(visit), before)

    def test_the_model_refuses_an_employee_whatever_calls_it(self):
        visit = self._visit()
        token = visit._portal_ensure_token()
        as_agent = visit.with_user(self.agent)
        for call in (
            lambda: as_agent._portal_answer({}, "Fine", {}, token),
            lambda: as_agent._portal_pick_callback(self._offered_slot(visit), token),
            lambda: as_agent._portal_opt_out(token),
            lambda: as_agent._portal_sign("Fake", png_signature().decode(), token),
            # sudo does not make the agent the customer either.
            lambda: as_agent.sudo()._portal_opt_out(token),
        ):
            with self.assertRaises(AccessError):
                call()
        self.assertFalse(self.customer.do_not_visit)

    # -- portal users ----------------------------------------------------
    def test_portal_user_of_another_customer_gets_404(self):
        visit = self._visit()
        before = self._state(visit)
        self._login("cv_trust_other")
        self.assertEqual(self.url_open(self._url(visit, token=False)).status_code, 404)
        for suffix, data in (
            ("/answer", self._answer_data(visit)),
            ("/callback", {"slot": self._offered_slot(visit)}),
            ("/optout", {"confirm": "yes"}),
        ):
            response = self._post(visit, suffix, data, token=False)
            self.assertEqual(response.status_code, 404, suffix)
        self.assertIn(
            "cannot be found",
            self._sign(
                visit, {"name": "X", "signature": png_signature().decode()}, False
            )["error"],
        )
        self.assertEqual(self._state(visit), before)

    def test_the_customer_signed_in_answers_as_themself(self):
        self.visit_type.identity_required = True
        visit = self._visit()
        self._login("cv_trust_portal")
        page = self.url_open(self._url(visit, token=False))
        self.assertIn("o_visit_answer_form", page.text)
        response = self._post(visit, "/answer", self._answer_data(visit), token=False)
        self.assertEqual(response.status_code, 303)
        visit.invalidate_recordset()
        self.assertEqual((visit.state, visit.channel), ("done", "portal"))
        self.assertTrue(visit.identity_confirmed, "signed in: identified")
        self.assertEqual(visit.answered_by_id, self.customer)

    def test_the_link_alone_identifies_only_where_the_type_says_so(self):
        visit = self._visit()
        response = self._post(visit, "/answer", self._answer_data(visit))
        self.assertEqual(response.status_code, 303)
        self.assertEqual(visit.state, "done")
        self.assertFalse(visit.identity_confirmed, "a link proves nothing")
        # A compliance type: not answered online by a mere link holder.
        self.visit_type.identity_required = True
        visit = self._visit()
        before = self._state(visit)
        self.assertNotIn("o_visit_answer_form", self.url_open(self._url(visit)).text)
        response = self._post(visit, "/answer", self._answer_data(visit))
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self._state(visit), before)
        # Unless its link counts as identifying the customer.
        self.visit_type.link_confirms_identity = True
        response = self._post(visit, "/answer", self._answer_data(visit))
        self.assertEqual(response.status_code, 303)
        visit.invalidate_recordset()
        self.assertEqual(visit.state, "done")
        self.assertTrue(visit.identity_confirmed)

    def test_the_link_holder_acts_and_the_chatter_names_the_customer(self):
        visit = self._visit()
        response = self._post(visit, "/callback", {"slot": self._offered_slot(visit)})
        self.assertEqual(response.status_code, 303)
        visit.invalidate_recordset()
        self.assertEqual(visit.channel, "phone")
        note = visit.message_ids.filtered(
            lambda msg: "asked to be called" in (msg.body or "")
        )
        self.assertEqual(note.author_id, self.customer)

    # -- callback slots ----------------------------------------------------
    def test_only_an_offered_slot_is_accepted(self):
        visit = self._visit()
        before = self._state(visit)
        for slot in (
            "2099-01-05T10:00",  # a Monday, inside the hours, decades away
            "9999-12-31T23:50",
            "0001-01-01T09:00",
            self._offered_slot(visit)[:-2] + "10",  # between two slots
        ):
            response = self._post(visit, "/callback", {"slot": slot})
            self.assertEqual(response.status_code, 400, slot)
            self.assertIn("Choose one of the times offered", response.text)
        self.assertEqual(self._state(visit), before)

    # -- the link's life ---------------------------------------------------
    def test_a_reopened_visit_gets_a_new_link(self):
        visit = self._visit()
        old_url = self._url(visit)
        visit.action_cancel()
        visit.with_user(self.manager).action_reset()
        self.assertEqual(visit.state, "planned")
        self.assertEqual(self.url_open(old_url).status_code, 404)
        self.assertEqual(self.url_open(self._url(visit)).status_code, 200)

    def test_a_visit_closed_without_closing_date_expires_from_its_last_change(self):
        self.env.company.visit_link_days = 30
        visit = self._visit()
        url = self._url(visit)
        visit.action_cancel()
        self.env.flush_all()
        for days, status in ((29, 200), (31, 404)):
            self.env.cr.execute(
                "UPDATE visit_record SET date_done = NULL, write_date = %s "
                "WHERE id = %s",
                (fields.Datetime.now() - timedelta(days=days), visit.id),
            )
            visit.invalidate_recordset()
            self.assertEqual(self.url_open(url).status_code, status, days)

    # -- what a portal user reads over RPC -------------------------------
    def test_portal_user_reads_no_internal_field(self):
        colleague = self.env["res.partner"].create(
            {"name": "Colleague", "parent_id": self.customer.id}
        )
        visit = self._visit(
            problem_description="Compressor replaced under warranty, cost 800",
        )
        visit.sudo().write({"review_comment": "Agent was rude", "notes": "<p>VIP</p>"})
        colleagues_visit = self._visit(colleague)
        colleagues_visit._portal_ensure_token()
        as_portal = (visit | colleagues_visit).with_user(self.portal_user)
        for fname in (
            "review_state",
            "reviewer_id",
            "review_comment",
            "problem_description",
            "notes",
            "team_id",
            "access_token",
            "plan_id",
            "signed_content",
            "phone",
            "user_id",
            "create_uid",
        ):
            with self.assertRaises(AccessError, msg=fname):
                as_portal.read([fname])
        with self.assertRaises(AccessError):
            as_portal.search_read([], ["access_token"])
        # What the page shows stays readable; an unqualified read returns
        # only that.
        rows = as_portal.read(["name", "state", "opinion", "type_id", "signed_by"])
        self.assertEqual(len(rows), 2)
        self.assertNotIn("review_comment", as_portal.read()[0])
        with self.assertRaises(AccessError):
            self.visit_type.with_user(self.portal_user).read(["qualified_group_id"])
        # A cancelled visit is not theirs to read any more.
        colleagues_visit.action_cancel()
        self.assertEqual(
            self.env["visit.record"]
            .with_user(self.portal_user)
            .search([("id", "=", colleagues_visit.id)]),
            self.env["visit.record"],
        )
        # Nor are its answers.
        self.assertTrue(colleagues_visit.answer_ids)
        self.assertEqual(
            self.env["visit.answer"]
            .with_user(self.portal_user)
            .search([("record_id", "=", colleagues_visit.id)]),
            self.env["visit.answer"],
        )

    def test_the_portal_pages_still_render_for_the_customer(self):
        visit = self._visit()
        self._login("cv_trust_portal")
        listing = self.url_open("/my/visits")
        self.assertEqual(listing.status_code, 200)
        self.assertIn(visit.name, listing.text)
        self.assertIn(f"/my/visits/{visit.id}?access_token=", listing.text)
        self.assertEqual(self.url_open(self._url(visit, token=False)).status_code, 200)

    # -- the customer's words are text -----------------------------------
    def test_the_opinion_is_text_in_the_ticket_and_the_chatter(self):
        team = self.env["helpdesk.ticket.team"].create({"name": "Trust care"})
        self.visit_type.complaint_team_id = team
        visit = self._visit()
        markup = '<img src=x onerror="alert(1)"><b>bold</b>'
        response = self._post(
            visit,
            "/answer",
            {"rating_satisfaction_result": "unsatisfied", "opinion": markup},
        )
        self.assertEqual(response.status_code, 303)
        ticket = self.env["helpdesk.ticket"].search(
            [("origin_visit_id", "=", visit.id)]
        )
        self.assertEqual(len(ticket), 1)
        self.assertNotIn("<img", ticket.description)
        self.assertNotIn("<b>", ticket.description)
        self.assertIn("&lt;img", ticket.description)
        for message in visit.message_ids:
            self.assertNotIn("<img", message.body or "")


@tagged("post_install", "-at_install")
class TestPortalBadInput(PortalAttackCommon):
    """Every public route, fed what no page sends: refused with 400, 403 or
    404 (or the sign route's ``{"error": ...}``), never a server error, and
    nothing written."""

    REFUSED = (400, 403, 404)

    def _assert_refused(self, response, label):
        self.assertIn(response.status_code, self.REFUSED, label)
        self.assertNotIn("Traceback", response.text, label)

    @mute_logger("odoo.http")
    def test_the_page_refuses_what_is_not_a_visit_or_a_token(self):
        visit = self._visit()
        for url in (
            "/my/visits/99999999999999999?access_token=x",
            f"/my/visits/{2**31}",
            f"/my/visits/{visit.id}?access_token=%00",
            f"/my/visits/{visit.id}?access_token=" + "a" * 5000,
            f"/my/visits/{visit.id}?access_token={visit._portal_ensure_token()}%00",
        ):
            self._assert_refused(self.url_open(url), url)
        page = self.url_open(self._url(visit) + "&message=%3Cscript%3E")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("<script>", page.text.split("visit_content")[1])
        self.assertFalse(visit.dispatch_opened)

    def test_bad_answers_are_refused_and_nothing_written(self):
        visit = self._visit()
        question = visit.answer_ids.question_id.filtered(lambda q: not q.aspect)
        before = self._state(visit)
        cases = {
            "NUL in the opinion": {"opinion": "fine\x00"},
            "NUL in an answer": {f"answer_{question.id}": "a\x00b"},
            "1 MB opinion": {"opinion": "x" * 1024 * 1024},
            "answer longer than the page allows": {f"answer_{question.id}": "y" * 3000},
            "NUL in a question's key": {f"answer_{question.id}\x00": "x"},
            "question that is not a number": {"answer_abc": "x"},
            "rating outside the scale": {"rating_satisfaction_product": "[1, 2]"},
            "NUL in an aspect": {"rating_satisfaction\x00": "satisfied"},
            "control characters": {"opinion": "\x1b[31mred"},
        }
        for label, data in cases.items():
            response = self._post(visit, "/answer", data)
            self._assert_refused(response, label)
            self.assertEqual(response.status_code, 400, label)
        self.assertEqual(self._state(visit), before)

    def test_a_second_answer_is_refused(self):
        visit = self._visit()
        self.assertEqual(
            self._post(visit, "/answer", self._answer_data(visit)).status_code, 303
        )
        after = self._state(visit)
        response = self._post(visit, "/answer", self._answer_data(visit, "Changed"))
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self._state(visit), after)

    def test_bad_callback_slots_are_refused(self):
        visit = self._visit()
        before = self._state(visit)
        for slot in (
            "",
            "\x00",
            "2026-02-31T10:00",
            "9999-12-31T23:50",
            "x" * 100000,
            "2026-12-07T10:00\x00",
        ):
            response = self._post(visit, "/callback", {"slot": slot})
            self._assert_refused(response, repr(slot[:30]))
        self.assertEqual(self._state(visit), before)

    def test_opt_out_with_bad_input_writes_nothing(self):
        visit = self._visit()
        before = self._state(visit)
        for data, token in (
            ({"confirm": "yes\x00"}, None),
            ({"confirm": "YES"}, None),
            ({"confirm": "yes"}, "wrong"),
            ({"confirm": "yes"}, "\x00"),
        ):
            response = self._post(visit, "/optout", data, token=token)
            self.assertIn(response.status_code, (200, *self.REFUSED), data)
            self.assertNotIn("Traceback", response.text)
        self.assertEqual(self._state(visit), before)

    def test_bad_signatures_are_refused_with_an_error(self):
        visit = self._visit(outcome="reached")
        before = self._state(visit)
        good = png_signature().decode()
        cases = {
            "name as a list": {"name": ["a"], "signature": good},
            "name as an object": {"name": {"a": 1}, "signature": good},
            "NUL in the name": {"name": "Li\x00", "signature": good},
            "1 MB name": {"name": "x" * 1024 * 1024, "signature": good},
            "signature as an object": {"name": "Li", "signature": {"a": 1}},
            "signature as a list": {"name": "Li", "signature": [good]},
            "signature with NUL": {"name": "Li", "signature": good + "\x00"},
            "not base64": {"name": "Li", "signature": "%%%%"},
            "2 MB signature": {"name": "Li", "signature": "A" * 2 * 1024 * 1024},
            "PNG of 100000 × 100000 pixels": {
                "name": "Li",
                "signature": png_header_only(100000, 100000),
            },
            "PNG of 8000 × 8000 pixels": {
                "name": "Li",
                "signature": png_header_only(8000, 8000),
            },
            "a GIF": {"name": "Li", "signature": gif_signature()},
            "a field the page does not send": {
                "name": "Li",
                "signature": good,
                "opinion": "Injected",
            },
            "token as a list": {
                "name": "Li",
                "signature": good,
                "access_token": [visit._portal_ensure_token()],
            },
        }
        for label, params in cases.items():
            result = self._sign(visit, params)
            self.assertIn("error", result, label)
        # A token as an object, alone in the URL-less call.
        result = self._sign(
            visit, {"name": "Li", "signature": good, "access_token": {"a": 1}}, False
        )
        self.assertIn("error", result)
        self.assertEqual(self._state(visit), before)
        # The real one still signs; a second one is refused.
        self.assertNotIn("error", self._sign(visit, {"name": "Li", "signature": good}))
        self.assertIn(
            "already signed",
            self._sign(visit, {"name": "Li", "signature": good})["error"],
        )
