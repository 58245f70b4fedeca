"""The first day right, from the customer's and the user's side: portal
times in the customer's zone (labelled), Batch Callbacks' defaults, no SMS to
a landline, and cancelling rather than deleting."""

import json
import re
from datetime import datetime, timedelta

import pytz
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.http import Request
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import VisitCommon, calling_hours
from .test_signature import png_signature


@tagged("post_install", "-at_install")
class TestFirstDayPortalTimes(HttpCase):
    """A customer reads every time on the portal in their zone, labelled,
    to the minute; the page and the printed sheet agree."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The company's zone is not the customers' (a company in Brussels).
        cls.env.company.resource_calendar_id.tz = "Europe/Brussels"
        # Calling hours Mon–Fri 08:30–11:00 and 14:00–16:00 in Shanghai.
        cls.calendar = calling_hours(cls.env, "Beijing calling hours")
        cls.visit_type = cls.env["visit.type"].create(
            {
                "name": "Delivery follow-up",
                "default_channel": "email",
                "calendar_id": cls.calendar.id,
            }
        )
        cls.agent = new_test_user(
            cls.env, login="cv_fd_agent", groups="customer_visit.group_visit_user"
        )
        cls.beijing = cls.env["res.partner"].create(
            {
                "name": "张伟",
                "email": "zhang.wei@example.cn",
                "tz": "Asia/Shanghai",
                "lang": "en_US",
            }
        )
        cls.new_york = cls.env["res.partner"].create(
            {
                "name": "Jane Roe",
                "email": "jane.roe@example.com",
                "tz": "America/New_York",
                "lang": "en_US",
            }
        )
        cls.no_zone = cls.env["res.partner"].create(
            {"name": "Somebody", "email": "somebody@example.com", "lang": "en_US"}
        )

    def _visit(self, partner, scheduled):
        return self.env["visit.record"].create(
            {
                "partner_id": partner.id,
                "type_id": self.visit_type.id,
                "user_id": self.agent.id,
                "scheduled_date": scheduled,
                "deadline": fields.Datetime.now() + timedelta(days=30),
            }
        )

    def _page(self, visit, query=""):
        self.authenticate(None, None)
        token = visit._portal_ensure_token()
        response = self.url_open(
            f"/my/visits/{visit.id}?access_token={token}{query}", allow_redirects=False
        )
        self.assertEqual(response.status_code, 200)
        return response.text

    def _pick(self, visit, slot):
        """Post ``slot`` as the anonymous holder of the visit's link, and
        follow the redirect to the confirmation."""
        self.authenticate(None, None)
        token = visit._portal_ensure_token()
        response = self.url_open(
            f"/my/visits/{visit.id}/callback?access_token={token}",
            data={"slot": slot, "csrf_token": Request.csrf_token(self)},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303, response.text[:500])
        return self.url_open(response.headers["Location"]).text

    @staticmethod
    def _offered(page):
        """{value: label} of the slots the page offers."""
        return dict(
            re.findall(r'<option value="(\d{4}-\d\d-\d\dT\d\d:\d\d)">([^<]*)<', page)
        )

    def test_a_utc_plus_8_customer_reads_beijing_times_labelled(self):
        # 10:00 in Beijing is 02:00 UTC (and 03:00 in Brussels).
        visit = self._visit(self.beijing, datetime(2026, 12, 7, 2, 0))
        page = self._page(visit)
        # 10:00, to the minute, labelled: not 02:00 (UTC) nor 03:00 (Brussels).
        self.assertIn(
            '<span class="o_visit_when">2026-12-07 10:00 (Asia/Shanghai)</span>', page
        )
        # The page and the printed sheet say the same time.
        self.assertEqual(
            visit._sheet_content()["date"], "2026-12-07 10:00 (Asia/Shanghai)"
        )
        # The calling hours say their zone, the slots the customer's.
        self.assertIn("08:30–11:00, 14:00–16:00", page)
        self.assertIn("(Asia/Shanghai)", page)
        offered = self._offered(page)
        fourteen = next(value for value in offered if value.endswith("T14:00"))
        confirmation = self._pick(visit, fourteen)
        day = fourteen[:10]
        # The confirmation repeats the chosen slot, in the customer's zone.
        self.assertIn(f"{day} 14:00 (Asia/Shanghai)", confirmation)
        self.assertIn("o_visit_callback_done", confirmation)
        local = datetime.strptime(fourteen, "%Y-%m-%dT%H:%M")
        self.assertEqual(visit.scheduled_date, local - timedelta(hours=8))
        self.assertTrue(
            visit.message_ids.filtered(
                lambda message: f"{day} 14:00 (Asia/Shanghai)" in message.body
            ),
            "the chatter says the time the customer chose, with its zone",
        )

    def test_the_signature_time_is_the_same_on_the_page_and_the_sheet(self):
        visit = self._visit(self.beijing, datetime(2026, 12, 7, 1, 0))
        visit.outcome = "reached"
        token = visit._portal_ensure_token()
        public = self.env.ref("base.public_user")
        # Signed at 10:00 in Beijing (02:00 UTC, 03:00 in Brussels).
        with freeze_time("2026-12-07 02:00:00"):
            visit.with_user(public)._portal_sign(
                "张伟", png_signature().decode(), token
            )
        page = self._page(visit)
        signed = '<span class="o_visit_when">2026-12-07 10:00 (Asia/Shanghai)</span>'
        self.assertIn(signed, page)
        self.assertEqual(
            json.loads(visit.signed_content)["signed_on"],
            "2026-12-07 10:00 (Asia/Shanghai)",
        )
        self.assertEqual(
            visit._sheet()["signed_on"], "2026-12-07 10:00 (Asia/Shanghai)"
        )

    def test_a_negative_offset_customer_reads_new_york_times(self):
        # 15:00 UTC on 7 December is 10:00 in New York (UTC-5, winter).
        visit = self._visit(self.new_york, datetime(2026, 12, 7, 15, 0))
        page = self._page(visit)
        self.assertIn("2026-12-07 10:00 (America/New_York)", page)
        self.assertIn("America/New_York", page)
        offered = self._offered(page)
        self.assertTrue(offered)
        # Each slot is New York's time of one of Shanghai's calling hours
        # (Shanghai's 08:30 is New York's 19:30 the day before, in winter).
        new_york, shanghai = (
            pytz.timezone(zone) for zone in ("America/New_York", "Asia/Shanghai")
        )
        for value, label in offered.items():
            local = new_york.localize(datetime.strptime(value, "%Y-%m-%dT%H:%M"))
            self.assertEqual(label.split()[-1], value[-5:])
            called = local.astimezone(shanghai)
            hour = called.hour + called.minute / 60
            self.assertTrue(8.5 <= hour < 11 or 14 <= hour < 16, (value, called))
        value = next(iter(offered))
        confirmation = self._pick(visit, value)
        day, time = value.split("T")
        self.assertIn(f"{day} {time} (America/New_York)", confirmation)
        local = pytz.timezone("America/New_York").localize(
            datetime.strptime(value, "%Y-%m-%dT%H:%M")
        )
        self.assertEqual(
            visit.scheduled_date, local.astimezone(pytz.utc).replace(tzinfo=None)
        )

    def test_a_chinese_customer_without_a_zone_reads_beijing_time(self):
        customer = self.env["res.partner"].create(
            {
                "name": "李娜",
                "email": "li.na@example.cn",
                "lang": "en_US",
                "country_id": self.env.ref("base.cn").id,
            }
        )
        visit = self._visit(customer, datetime(2026, 12, 7, 2, 0))
        page = self._page(visit)
        self.assertIn("2026-12-07 10:00 (Asia/Shanghai)", page)
        self.assertIn("Times below are in the time zone", page)

    def test_without_a_zone_the_customer_reads_the_companys(self):
        visit = self._visit(self.no_zone, datetime(2026, 12, 7, 9, 0))
        page = self._page(visit)
        self.assertIn("2026-12-07 10:00 (Europe/Brussels)", page)
        self.assertEqual(
            visit._sheet_content()["date"], "2026-12-07 10:00 (Europe/Brussels)"
        )


class TestFirstDayBatch(VisitCommon):
    """Batch Callbacks' defaults, as the manager opens it from the menu."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cn = cls.env.ref("base.cn")
        cls.acme = cls.env["res.partner"].create(
            {
                "name": "Acme Trading",
                "is_company": True,
                "phone": "+86 138 0013 8100",
                "country_id": cn.id,
            }
        )
        cls.acme_contacts = cls.env["res.partner"].create(
            [
                {
                    "name": f"Acme contact {n}",
                    "parent_id": cls.acme.id,
                    "mobile": f"+86 138 0013 810{n}",
                    "country_id": cn.id,
                }
                for n in (1, 2)
            ]
        )

    def _wizard(self, model, **context):
        form = Form(
            self.env["visit.batch.wizard"]
            .with_user(self.manager)
            .with_context(**context)
        )
        if "active_model" not in context:
            form.source_model = model
        form.type_id = self.type_plain
        form.skip_bad_phone = False
        form.skip_open_visits = False
        return form.save()

    def test_contacts_default_excludes_own_companies_and_staff_once_per_company(self):
        wizard = self._wizard("res.partner")
        wizard.action_preview()
        sources = wizard._get_sources()
        self.assertIn(self.acme, sources)
        self.assertIn(self.customer, sources)
        self.assertFalse(sources & self.acme_contacts, "Acme counts once")
        self.assertFalse(
            sources & self.manager.company_ids.partner_id, "not our own companies"
        )
        staff = (self.agent | self.agent_2 | self.manager | self.internal).partner_id
        self.assertFalse(sources & staff, "not our staff")
        self.assertEqual(wizard.to_create_count + wizard.skipped_count, len(sources))

    def test_a_company_and_its_contacts_selected_count_once(self):
        wizard = self._wizard(
            "res.partner",
            active_model="res.partner",
            active_ids=(self.acme_contacts | self.acme).ids,
        )
        self.assertEqual(wizard.selected_count, 1)
        self.assertEqual(wizard._get_sources(), self.acme)
        # Contacts alone: the first of them speaks for the company.
        wizard = self._wizard(
            "res.partner", active_model="res.partner", active_ids=self.acme_contacts.ids
        )
        self.assertEqual(wizard.selected_count, 1)

    def test_orders_default_to_confirmed_ones(self):
        quotation = self.order.copy()
        cancelled = self.order.copy()
        cancelled._action_cancel()
        wizard = self._wizard("sale.order")
        sources = wizard._get_sources()
        self.assertIn(self.order, sources)
        self.assertNotIn(quotation, sources)
        self.assertNotIn(cancelled, sources)
        wizard.action_preview()
        self.assertEqual(wizard.to_create_count + wizard.skipped_count, len(sources))

    def test_a_list_filter_keeps_the_defaults(self):
        quotation = self.order.copy()
        wizard = self._wizard(
            "sale.order",
            active_model="sale.order",
            active_ids=(self.order | quotation).ids,
            active_domain=[("partner_id", "=", self.customer.id)],
            batch_use_domain=True,
        )
        self.assertEqual(wizard._get_sources(), self.order)


@tagged("post_install", "-at_install")
class TestFirstDaySmsLandline(VisitCommon):
    """The README's promise: no valid mobile, a phone call."""

    def test_a_landline_only_customer_gets_a_call_not_an_sms(self):
        cn = self.env.ref("base.cn")
        landline = self.env["res.partner"].create(
            {"name": "座机客户", "phone": "+86 10 6552 9988", "country_id": cn.id}
        )
        # A landline typed in the mobile field is no mobile either.
        in_mobile = self.env["res.partner"].create(
            {"name": "Mislabelled", "mobile": "+86 10 6552 9989", "country_id": cn.id}
        )
        both = self.env["res.partner"].create(
            {
                "name": "Both",
                "phone": "+86 10 6552 9990",
                "mobile": "+86 138 0013 8200",
                "country_id": cn.id,
            }
        )
        as_agent = self.env(user=self.agent)
        visits = [
            self._create_visit(
                env=as_agent,
                partner_id=partner.id,
                channel="sms",
                user_id=self.agent.id,
                scheduled_date=self.now - timedelta(hours=1),
            )
            for partner in (landline, in_mobile, both)
        ]
        for visit in visits[:2]:
            self.assertEqual(
                (visit.channel, visit.dispatch_state, visit.dispatch_channel),
                ("phone", "fell_back", "sms"),
            )
            self.assertTrue(
                visit.message_ids.filtered(
                    lambda message: "no valid mobile" in message.body
                )
            )
        self.assertEqual(visits[2].channel, "sms")
        self.assertEqual(
            visits[2]._dispatch_numbers(), {visits[2].id: "+8613800138200"}
        )
        self.env["visit.record"]._cron_dispatch(0)
        queued = self.env["sms.sms"].sudo().search([("number", "like", "6552")])
        self.assertFalse(queued, "no SMS to a landline")


class TestFirstDayCancel(VisitCommon):
    """Cancelling, not deleting: a bulk Cancel on visits and plans, and a
    plan whose last visit is deleted is closed."""

    def test_deleting_the_last_visit_of_a_plan_cancels_the_plan(self):
        as_manager = self.env(user=self.manager)
        first = self._create_visit(env=as_manager)
        plan = first.plan_id
        self.assertTrue(plan)
        second = self._create_visit(env=as_manager, plan_id=plan.id)
        second.unlink()
        self.assertEqual(plan.state, "open", "a visit is still owed")
        first.unlink()
        self.assertEqual(plan.state, "cancelled")
        self.assertTrue(plan.date_cancelled)
        self.assertIn("deleted", plan.cancel_reason)

    def test_an_agent_cancels_visits_in_bulk(self):
        as_agent = self.env(user=self.agent)
        visits = self.env["visit.record"].union(
            *(
                self._create_visit(env=as_agent, user_id=self.agent.id)
                for _i in range(3)
            )
        )
        action = self.env.ref("customer_visit.visit_record_action_cancel")
        action.with_user(self.agent).with_context(
            active_model="visit.record", active_ids=visits.ids
        ).run()
        self.assertEqual(set(visits.mapped("state")), {"cancelled"})
        # Not a user without follow-up rights.
        other = self._create_visit()
        with self.assertRaises(AccessError):
            action.with_user(self.internal).with_context(
                active_model="visit.record", active_ids=other.ids
            ).run()
        self.assertEqual(other.state, "planned")

    def test_an_agent_cancels_plans_in_bulk_with_a_reason(self):
        as_agent = self.env(user=self.agent)
        visits = self.env["visit.record"].union(
            *(
                self._create_visit(env=as_agent, user_id=self.agent.id)
                for _i in range(2)
            )
        )
        plans = visits.plan_id
        action = self.env.ref("customer_visit.visit_plan_action_cancel")
        opened = (
            action.with_user(self.agent)
            .with_context(active_model="visit.plan", active_ids=plans.ids)
            .run()
        )
        self.assertEqual(opened["res_model"], "visit.plan.cancel.wizard")
        wizard = Form(
            self.env["visit.plan.cancel.wizard"]
            .with_user(self.agent)
            .with_context(**opened["context"])
        )
        wizard.reason = "Customer moved abroad"
        wizard.save().action_confirm()
        self.assertEqual(set(plans.mapped("state")), {"cancelled"})
        self.assertEqual(set(visits.mapped("state")), {"cancelled"})
