import re
from datetime import datetime, timedelta
from unittest.mock import patch

import pytz
from freezegun import freeze_time

from odoo import Command, fields
from odoo.http import Request
from odoo.tests import HttpCase, new_test_user, tagged

from .common import calling_hours


@tagged("post_install", "-at_install")
class TestPortalAnswer(HttpCase):
    """The customer answers a visit on its portal page: faces per aspect,
    the script, an opinion, a callback slot among the calling hours, a
    confirmed opt-out; each input checked on the server; links expire."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Calling hours Mon–Fri 08:30–11:00 and 14:00–16:00 in Shanghai.
        cls.calendar = calling_hours(cls.env, "Shanghai calling hours")
        cls.team = cls.env["helpdesk.ticket.team"].create({"name": "Care"})
        cls.visit_type = cls.env["visit.type"].create(
            {
                "name": "Repair follow-up",
                "default_channel": "email",
                "calendar_id": cls.calendar.id,
                "complaint_team_id": cls.team.id,
                "question_ids": [
                    Command.create(
                        {
                            "name": "Is the repair holding?",
                            "answer_kind": "yes_no",
                            "problem_yes_no": "no",
                        }
                    ),
                ],
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "李明",
                "email": "li.ming@example.cn",
                "mobile": "+86 138 0013 8001",
                "country_id": cls.env.ref("base.cn").id,
                # The customer reads times in their zone, the calendar's here.
                "tz": "Asia/Shanghai",
            }
        )
        cls.other = cls.env["res.partner"].create(
            {"name": "Other", "email": "other@example.com"}
        )
        cls.agent = new_test_user(
            cls.env, login="cv_pa_agent", groups="customer_visit.group_visit_user"
        )

    def _visit(self, partner=None, **values):
        return self.env["visit.record"].create(
            {
                "partner_id": (partner or self.customer).id,
                "type_id": self.visit_type.id,
                "user_id": self.agent.id,
                **values,
            }
        )

    def _url(self, visit, suffix="", token=None):
        token = token or visit._portal_ensure_token()
        return f"/my/visits/{visit.id}{suffix}?access_token={token}"

    def _post(self, visit, suffix, data, token=None):
        self.authenticate(None, None)
        data = dict(data, csrf_token=Request.csrf_token(self))
        return self.url_open(
            self._url(visit, suffix, token), data=data, allow_redirects=False
        )

    def _pick_as_link_holder(self, visit, slot):
        """Pick ``slot`` as the anonymous holder of the visit's link."""
        token = visit._portal_ensure_token()
        public = self.env.ref("base.public_user")
        visit.with_user(public)._portal_pick_callback(slot, token)

    def _question(self, visit):
        return visit.answer_ids.question_id.filtered(lambda q: not q.aspect)

    @staticmethod
    def _portal_notes(visit):
        return visit.message_ids.filtered(
            lambda message: "answered the visit on the portal" in message.body
        )

    # -- answering ---------------------------------------------------------
    def test_satisfied_answer_closes_through_the_portal_without_ticket(self):
        visit = self._visit()
        visit.sudo().write(
            {
                "dispatch_state": "sent",
                "dispatch_channel": "email",
                "dispatch_date": fields.Datetime.now() - timedelta(hours=3),
            }
        )
        page = self.url_open(self._url(visit))
        self.assertEqual(page.status_code, 200)
        # Four faces for each of the four aspects.
        self.assertEqual(page.text.count('class="btn-check"'), 16)
        visit.invalidate_recordset()
        self.assertFalse(
            visit.dispatch_opened, "merely fetched (link scanners fetch it too)"
        )
        response = self._post(
            visit,
            "/answer",
            {
                "rating_satisfaction_product": "satisfied",
                "rating_satisfaction_service": "fairly_satisfied",
                f"answer_{self._question(visit).id}": "yes",
                "opinion": "修得很好",
            },
        )
        self.assertEqual(response.status_code, 303)
        self.assertIn("message=answered", response.headers["Location"])
        visit.invalidate_recordset()
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.outcome, "reached")
        self.assertEqual(visit.channel, "portal")
        self.assertEqual(visit.dispatch_channel, "email")
        self.assertEqual(visit.dispatch_state, "answered")
        self.assertTrue(visit.answer_date)
        self.assertTrue(visit.dispatch_opened, "the customer's first action")
        self.assertEqual(visit.satisfaction_product, "satisfied")
        self.assertEqual(visit.satisfaction_service, "fairly_satisfied")
        self.assertFalse(visit.satisfaction_timeliness)
        self.assertEqual(visit.satisfaction_score, 3.5)  # (4 + 3) / 2
        self.assertFalse(visit.is_problem_open)
        self.assertFalse(
            self.env["helpdesk.ticket"].search([("origin_visit_id", "=", visit.id)])
        )
        # The agent's activity is closed with the portal's note: one message.
        self.assertFalse(visit.activity_ids)
        notes = self._portal_notes(visit)
        self.assertEqual(len(notes), 1)
        self.assertEqual(notes.mail_activity_type_id, visit._visit_activity_type())
        # The closed visit shows what was answered, and takes no second answer.
        page = self.url_open(self._url(visit))
        self.assertNotIn("o_visit_answer_form", page.text)
        again = self._post(
            visit, "/answer", {"rating_satisfaction_product": "unsatisfied"}
        )
        self.assertEqual(again.status_code, 400)
        self.assertIn("already closed", again.text)
        visit.invalidate_recordset()
        self.assertEqual(visit.satisfaction_product, "satisfied")

    def test_an_answer_to_a_visit_without_activity_is_noted_alone(self):
        visit = self._visit()
        self.assertTrue(visit.activity_ids, "the agent's activity")
        visit.activity_ids.unlink()
        response = self._post(
            visit,
            "/answer",
            {f"answer_{self._question(visit).id}": "yes", "opinion": "好"},
        )
        self.assertEqual(response.status_code, 303)
        visit.invalidate_recordset()
        self.assertEqual(visit.state, "done")
        notes = self._portal_notes(visit)
        self.assertEqual(len(notes), 1)
        self.assertFalse(notes.mail_activity_type_id)
        self.assertEqual(notes.author_id, self.customer)
        # The changes it made are tracked as the customer's.
        tracked = visit.message_ids.filtered("tracking_value_ids")
        self.assertTrue(tracked)
        self.assertEqual(tracked.author_id, self.customer)

    def test_an_answer_refused_at_closing_writes_nothing(self):
        # The type asks a reason of a customer less than satisfied: checked
        # when the visit closes, after the answer was written.
        self.visit_type.reason_required = True
        visit = self._visit()
        response = self._post(
            visit,
            "/answer",
            {
                "rating_satisfaction_product": "unsatisfied",
                f"answer_{self._question(visit).id}": "yes",
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("write their reason", response.text)
        visit.invalidate_recordset()
        self.assertEqual(
            (visit.state, visit.outcome, visit.channel), ("planned", False, "email")
        )
        self.assertFalse(visit.satisfaction_product)
        self.assertFalse(visit.answer_ids.filtered(lambda answer: answer._has_value()))
        self.assertFalse(visit.answer_date)
        self.assertTrue(visit.activity_ids)
        self.assertFalse(self._portal_notes(visit))

    def test_unsatisfied_answer_opens_a_ticket_then_a_confirmation_round(self):
        visit = self._visit()
        response = self._post(
            visit,
            "/answer",
            {
                "rating_satisfaction_result": "unsatisfied",
                "opinion": "Still leaking",
            },
        )
        self.assertEqual(response.status_code, 303)
        ticket = self.env["helpdesk.ticket"].search(
            [("origin_visit_id", "=", visit.id)]
        )
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.team_id, self.team)
        self.assertIn("Unsatisfied customer", ticket.name)
        self.assertTrue(visit.is_problem_open)
        # The team closes the ticket: a confirmation visit is the next round.
        closed = self.env["helpdesk.ticket.stage"].search(
            [("closed", "=", True)], limit=1
        )
        ticket.stage_id = closed
        confirmation = visit.next_record_ids.filtered("is_confirmation")
        self.assertEqual(len(confirmation), 1)
        self.assertEqual(confirmation.ticket_id, ticket)
        self.assertEqual(confirmation.plan_id, visit.plan_id)

    def test_problem_answer_opens_a_problem_and_a_ticket(self):
        visit = self._visit()
        response = self._post(
            visit,
            "/answer",
            {
                "rating_satisfaction_product": "satisfied",
                f"answer_{self._question(visit).id}": "no",
            },
        )
        self.assertEqual(response.status_code, 303)
        self.assertTrue(visit.is_problem_open)
        self.assertIn("Is the repair holding?", visit.problem_description)
        ticket = self.env["helpdesk.ticket"].search(
            [("origin_visit_id", "=", visit.id)]
        )
        self.assertIn("Problem raised", ticket.name)

    def test_signature_asked_when_the_type_requires_it(self):
        self.visit_type.signature_required = True
        visit = self._visit()
        page = self.url_open(self._url(visit))
        self.assertNotIn(
            "modalvisitsign", page.text, "nothing to sign before answering"
        )
        self._post(visit, "/answer", {"rating_satisfaction_service": "satisfied"})
        page = self.url_open(self._url(visit) + "&message=answered")
        self.assertIn("modalvisitsign", page.text)
        self.assertIn("o_visit_sign_asked", page.text)

    def test_every_input_is_checked_and_nothing_written(self):
        visit = self._visit()
        cases = {
            "rating outside the scale": {"rating_satisfaction_product": "5"},
            "unknown aspect": {"rating_color": "satisfied"},
            "a question that does not exist": {"answer_999999": "yes"},
            "nothing answered": {},
            "bad yes/no": {f"answer_{self._question(visit).id}": "maybe"},
        }
        for label, data in cases.items():
            response = self._post(visit, "/answer", data)
            self.assertEqual(response.status_code, 400, label)
            self.assertIn("o_visit_error", response.text, label)
        visit.invalidate_recordset()
        self.assertEqual(visit.state, "planned")
        self.assertFalse(visit.satisfaction_product)
        self.assertFalse(visit.answer_date)

    def test_a_question_of_another_visit_of_the_same_type_is_refused(self):
        visit = self._visit()
        second_type = self.env["visit.type"].create(
            {
                "name": "Other script",
                "question_ids": [
                    Command.create({"name": "Other?", "answer_kind": "yes_no"})
                ],
            }
        )
        foreign = self._visit(self.other, type_id=second_type.id)
        response = self._post(
            visit, "/answer", {f"answer_{self._question(foreign).id}": "yes"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(visit.state, "planned")

    # -- calling hours and slots -------------------------------------------
    def test_calling_hours_shown_as_hours_in_the_customers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["customer_visit"], ["zh_CN"], overwrite=True
        )
        visit = self._visit()
        self.assertEqual(
            visit.with_context(lang="en_US")._calling_hours_text(),
            "Mon–Fri 08:30–11:00, 14:00–16:00",
        )
        self.assertEqual(
            visit.with_context(lang="zh_CN")._calling_hours_text(),
            "周一至周五 08:30–11:00、14:00–16:00",
        )
        self.customer.lang = "zh_CN"
        # The link of the customer's messages carries their language.
        url = visit.get_portal_url()
        self.assertTrue(url.startswith("/zh_CN/my/visits/"), url)
        page = self.url_open(url)
        self.assertIn("周一至周五 08:30–11:00、14:00–16:00", page.text)
        # No space after the full-width colon, as Chinese writes it.
        self.assertRegex(page.text, r"我们的回访时间：<span[^>]*o_visit_calling_hours")
        self.assertNotIn("Shanghai calling hours", page.text)

    def test_a_two_week_calendar_says_this_weeks_hours_then_the_next(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["customer_visit"], ["zh_CN"], overwrite=True
        )

        def hours(week, days, sequence):
            section = {
                "name": f"Week {week}",
                "display_type": "line_section",
                "week_type": week,
                "dayofweek": "0",
                "hour_from": 0,
                "hour_to": 0,
                "sequence": sequence,
            }
            return [Command.create(section)] + [
                Command.create(
                    {
                        "name": f"{week} {day}",
                        "dayofweek": str(day),
                        "week_type": week,
                        "hour_from": 9,
                        "hour_to": 12,
                        "day_period": "morning",
                        "sequence": sequence + 1 + day,
                    }
                )
                for day in days
            ]

        self.visit_type.calendar_id = self.env["resource.calendar"].create(
            {
                "name": "Two weeks in New York",
                "tz": "America/New_York",
                "two_weeks_calendar": True,
                "attendance_ids": hours("0", range(5), 0) + hours("1", range(3), 10),
            }
        )
        visit = self._visit()
        # Sunday 6 December 2026, 22:00 in New York (UTC-5) is Monday 03:00
        # UTC: the week is New York's, the odd one (week type 1), Mon–Wed.
        sunday_night = datetime(2026, 12, 7, 3, 0)
        self.assertEqual(
            visit.with_context(lang="en_US")._calling_hours_text(now=sunday_night),
            "This week: Mon–Wed 09:00–12:00. Next week: Mon–Fri 09:00–12:00.",
        )
        self.assertEqual(
            visit.with_context(lang="zh_CN")._calling_hours_text(now=sunday_night),
            "本周：周一至周三 09:00–12:00。下周：周一至周五 09:00–12:00。",
        )
        # An hour after midnight in New York the even week begins.
        self.assertEqual(
            visit.with_context(lang="en_US")._calling_hours_text(
                now=sunday_night + timedelta(hours=3)
            ),
            "This week: Mon–Fri 09:00–12:00. Next week: Mon–Wed 09:00–12:00.",
        )

    def test_slots_are_half_hours_inside_the_calling_hours(self):
        visit = self._visit()
        tz = pytz.timezone("Asia/Shanghai")
        # Friday 4 December 2026, 10:10 in Shanghai (02:10 UTC).
        now = tz.localize(datetime(2026, 12, 4, 10, 10)).astimezone(pytz.utc)
        slots = visit._callback_slots(now=now.replace(tzinfo=None))
        self.assertEqual(len(slots), 7, "seven working days")
        first_day, first_slots = slots[0]
        # An hour's notice: 11:10 is past the morning; 14:00 is the first.
        self.assertEqual(
            [value for value, _label in first_slots],
            [
                "2026-12-04T14:00",
                "2026-12-04T14:30",
                "2026-12-04T15:00",
                "2026-12-04T15:30",
            ],
        )
        # Monday: the whole day, and nothing at the weekend.
        self.assertEqual(
            [value for value, _label in slots[1][1]][:6],
            [
                "2026-12-07T08:30",
                "2026-12-07T09:00",
                "2026-12-07T09:30",
                "2026-12-07T10:00",
                "2026-12-07T10:30",
                "2026-12-07T14:00",
            ],
        )
        visit.sudo().write({"dispatch_state": "sent", "dispatch_channel": "email"})
        # Every slot offered is accepted by the server.
        with freeze_time(now.replace(tzinfo=None)):
            value = slots[1][1][2][0]
            self._pick_as_link_holder(visit, value)
        self.assertEqual(visit.scheduled_date, datetime(2026, 12, 7, 1, 30))
        self.assertEqual(visit.channel, "phone")
        # A call the customer chose: no reminder, no "no answer" to follow.
        self.assertEqual(visit.dispatch_state, "fell_back")

    def test_slot_in_a_negative_offset_zone(self):
        self.calendar.tz = "America/New_York"
        self.customer.tz = "America/New_York"
        visit = self._visit()
        # Friday 4 December 2026, 15:50 in New York (20:50 UTC): 16:00 is
        # too close, so the first slot is Monday 08:30 (13:30 UTC).
        now = datetime(2026, 12, 4, 20, 50)
        slots = visit._callback_slots(now=now)
        self.assertEqual(slots[0][1][0][0], "2026-12-07T08:30")
        with freeze_time(now):
            self._pick_as_link_holder(visit, "2026-12-07T08:30")
        self.assertEqual(visit.scheduled_date, datetime(2026, 12, 7, 13, 30))

    def test_slot_outside_hours_is_refused_with_the_hours(self):
        visit = self._visit()
        response = self._post(visit, "/callback", {"slot": "2030-01-07T12:00"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("08:30–11:00", response.text)
        visit.invalidate_recordset()
        self.assertNotEqual(visit.channel, "phone")

    # -- opting out --------------------------------------------------------
    def test_opt_out_asks_to_confirm_then_sets_do_not_visit_and_blacklists(self):
        visit = self._visit()
        first = self._post(visit, "/optout", {})
        self.assertEqual(first.status_code, 200)
        self.assertIn("o_visit_optout_confirm", first.text)
        self.assertFalse(self.customer.do_not_visit, "nothing before confirming")
        self.assertEqual(visit.state, "planned")
        response = self._post(visit, "/optout", {"confirm": "yes"})
        self.assertEqual(response.status_code, 303)
        self.assertTrue(self.customer.do_not_visit)
        self.assertEqual(visit.state, "cancelled")
        self.assertTrue(
            self.env["mail.blacklist"].search([("email", "=", "li.ming@example.cn")])
        )
        self.assertTrue(
            self.env["phone.blacklist"].search([("number", "=", "+8613800138001")])
        )
        self.assertTrue(self.customer.is_blacklisted)

    # -- the link ----------------------------------------------------------
    def test_link_works_while_open_and_the_company_days_after_closing(self):
        self.env.company.visit_link_days = 30
        visit = self._visit()
        url = self._url(visit)
        self.assertEqual(self.url_open(url).status_code, 200)
        visit.action_cancel()
        closed = visit.date_done
        for days, status in ((29, 200), (31, 404)):
            with patch.object(
                fields.Datetime, "now", lambda days=days: closed + timedelta(days=days)
            ):
                response = self.url_open(url)
            self.assertEqual(response.status_code, status, days)
        self.assertNotIn(visit.name, response.text)
        self.env.company.visit_link_days = 0
        with patch.object(fields.Datetime, "now", lambda: closed + timedelta(hours=1)):
            self.assertEqual(self.url_open(url).status_code, 404)
            # Its agent still opens it, logged in.
            self.authenticate("admin", "admin")
            self.assertEqual(self.url_open(f"/my/visits/{visit.id}").status_code, 200)

    def test_link_days_setting_is_checked(self):
        with self.assertRaises(Exception) as caught:
            self.env.company.visit_link_days = -1
        self.assertIn("at least 0", str(caught.exception))

    def test_the_page_posts_only_what_it_shows(self):
        """Every field name the form posts is one the server reads."""
        visit = self._visit()
        page = self.url_open(self._url(visit)).text
        names = set(re.findall(r'name="([a-z_0-9]+)"', page))
        # The aspects are items of the script, posted as answers.
        product = visit.answer_ids.question_id.filtered(
            lambda question: question.aspect == "product"
        )
        self.assertIn(f"answer_{product.id}", names)
        self.assertIn(f"answer_{self._question(visit).id}", names)
        self.assertIn("slot", names)
        self.assertIn("opinion", names)
