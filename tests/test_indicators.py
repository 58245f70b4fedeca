from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import VisitCommon
from .test_signature import png_signature


@tagged("post_install", "-at_install")
class TestVisitIndicators(VisitCommon):
    """Every figure of a small company of its own, worked out by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_site = cls.env["visit.type"].create(
            {"name": "Site", "default_channel": "onsite"}
        )
        cls.calendar_sh = cls.env["resource.calendar"].create(
            {"name": "Shanghai", "tz": "Asia/Shanghai"}
        )
        cls.company_c = cls.env["res.company"].create(
            {"name": "Indicator Co", "resource_calendar_id": cls.calendar_sh.id}
        )
        (cls.agent | cls.agent_2).write(
            {"company_ids": [Command.link(cls.company_c.id)]}
        )
        cls.manager.write({"company_ids": [Command.link(cls.company_c.id)]})
        yesterday = cls.now - timedelta(days=1)

        def visit(visit_type, user, state, **values):
            values.setdefault("scheduled_date", yesterday)
            rec = cls._create_visit(
                type_id=visit_type.id,
                user_id=user.id,
                company_id=cls.company_c.id,
                **values,
            )
            if state in ("done", "failed"):
                rec.action_done()
            elif state == "cancelled":
                rec.action_cancel()
            return rec

        plain, site = cls.type_plain, cls.type_site
        # Plain call (phone), due yesterday unless said.
        visit(
            plain,
            cls.agent,
            "done",
            outcome="reached",
            satisfaction_service="unsatisfied",
        )  # 1
        visit(
            plain,
            cls.agent,
            "done",
            outcome="reached",
            satisfaction_service="satisfied",
        )  # 2
        visit(
            plain,
            cls.agent,
            "failed",
            outcome="not_reached",
            unreached_reason_id=cls.reason("no_answer").id,
        )  # 3
        visit(plain, cls.agent_2, "planned")  # 4: owed, missed so far
        visit(plain, cls.agent_2, "cancelled")  # 5: not owed
        cls.not_due = visit(
            plain,
            cls.agent_2,
            "planned",
            scheduled_date=cls.now + timedelta(days=3),
            deadline=cls.now + timedelta(days=4),
        )  # 6
        # Site (on site).
        signed = cls._create_visit(
            type_id=site.id,
            user_id=cls.agent.id,
            outcome="reached",
            satisfaction_service="fairly_satisfied",
            scheduled_date=yesterday,
            company_id=cls.company_c.id,
        )
        signed._sign("王建国", png_signature())
        signed.action_done()  # 7
        visit(site, cls.agent_2, "done", outcome="reached")  # 8: unrated
        visit(
            site,
            cls.agent_2,
            "failed",
            outcome="not_reached",
            unreached_reason_id=cls.reason("refused").id,
        )  # 9
        # Cases a rule owed but could not plan.
        cls.rule = cls.env["visit.rule"].create(
            cls._rule_vals(company_id=cls.company_c.id, active=True)
        )
        Skip = cls.env["visit.rule.skip"]
        Skip.create(
            {
                "rule_id": cls.rule.id,
                "res_id": 1,
                "reason": "no_partner",
                "type_id": plain.id,
                "channel": "phone",
                "due_date": yesterday,
            }
        )  # 10: owed
        Skip.create(
            {
                "rule_id": cls.rule.id,
                "res_id": 2,
                "reason": "do_not_visit",
                "type_id": plain.id,
                "due_date": yesterday,
                "is_qualifying": False,
            }
        )  # 11: no longer qualifies
        Skip.create(
            {
                "rule_id": cls.rule.id,
                "res_id": 3,
                "reason": "no_assignee",
                "type_id": plain.id,
                "due_date": cls.now + timedelta(days=3),
            }
        )  # 12: not due yet
        Target = cls.env["visit.target"].with_context(
            default_company_id=cls.company_c.id
        )
        channel = cls.env["ir.model.fields.selection"].search(
            [("field_id.model", "=", "visit.record"), ("field_id.name", "=", "channel")]
        )
        cls.channels = {option.value: option for option in channel}
        Target.create({"indicator": "callback_rate", "type_id": plain.id, "value": 100})
        Target.create({"indicator": "callback_rate", "value": 50})
        Target.create(
            {
                "indicator": "channel_share",
                "value": 40,
                "channel_ids": [
                    Command.set((cls.channels["phone"] | cls.channels["letter"]).ids)
                ],
            }
        )
        Target.create(
            {
                "indicator": "channel_share",
                "value": 60,
                "channel_ids": [
                    Command.set((cls.channels["onsite"] | cls.channels["letter"]).ids)
                ],
            }
        )
        Target.create(
            {"indicator": "signature_share", "signature_base": "all", "value": 40}
        )
        Target.create(
            {"indicator": "agent_callback_rate", "value": 70, "bonus_value": 74}
        )

    def _figures(self, team=None, date_from=None, date_to=None):
        today = self.company_c._visit_today()
        lines = self.env["visit.indicator"]._compute(
            date_from or today - timedelta(days=10),
            date_to or today + timedelta(days=10),
            self.company_c,
            team,
        )
        return {(line["indicator"], line["label"]): line for line in lines}

    def test_indicators_match_the_hand_computed_figures(self):
        lines = self._figures()
        expected = {
            # plain: owed 1, 2, 3, 4 and the skipped case 10 (5 cancelled, 6
            # not due yet, 11 no longer qualifies, 12 not due): 2 of 5 visited
            ("callback_rate", "Plain call"): (40.0, "missed"),
            # site: 7, 8, 9 owed, 7 and 8 visited; the all-types target (50)
            ("callback_rate", "Site"): (66.67, "met"),
            # all: 8 owed, 4 visited
            ("callback_rate", "All types"): (50.0, "met"),
            ("rule_callback_rate", "Closed repairs"): (0.0, False),
            ("coverage", "No source document"): (57.14, False),  # 4 of 7
            ("coverage", "Helpdesk Ticket"): (0.0, False),  # the skipped case
            ("not_planned", "No customer"): (1, False),
            # attempted: plain 1, 2, 3 (2 reached); site 7, 8, 9 (2 reached)
            ("success_rate", "Plain call"): (66.67, False),
            ("success_rate", "Site"): (66.67, False),
            ("success_rate", "All types"): (66.67, False),
            ("failure_reason", "No answer"): (50.0, False),
            ("failure_reason", "Refused"): (50.0, False),
            # done: phone 1, 2; on site 7, 8
            ("channel_mix", "Phone call"): (2, False),
            ("channel_mix", "On-site"): (2, False),
            # a cap over two channels: phone + letter 2 of 4 done > 40 %
            ("channel_share", "Phone call + Letter"): (50.0, "missed"),
            ("channel_share", "On-site + Letter"): (50.0, "met"),
            # signed: 7 only; of on-site done 7, 8 and of all done 1, 2, 7, 8
            ("signature_share", "On-site visits done"): (50.0, False),
            ("signature_share", "All visits done"): (25.0, "missed"),
            # Alice owes 1, 2, 3, 7 (3 done): above the 74 % bonus threshold;
            # Bob owes 4, 8, 9 (1 done): below the 70 % floor
            ("agent_callback_rate", "Agent Alice"): (75.0, "bonus"),
            ("agent_callback_rate", "Agent Bob"): (33.33, "missed"),
            # service rated on 1 (1), 2 (4), 7 (3); 8 unrated is left out
            ("satisfaction", "Service attitude"): (2.67, False),
            ("satisfaction", "All aspects and counted items"): (2.67, False),
            ("satisfaction", "Product quality"): (None, False),
            ("recovery_rate", "Unsatisfied customers recovered"): (0.0, False),
            ("overdue", "Overdue visits"): (0, False),
            # the unsatisfied visit waits for its confirmation: since today
            ("open_problems", "Open problems"): (1, False),
            ("problem_age", "Oldest open problem"): (0, False),
        }
        for key, (value, status) in expected.items():
            with self.subTest(indicator=key):
                self.assertIn(key, lines)
                if value is None:
                    self.assertIsNone(lines[key]["value"])
                else:
                    self.assertAlmostEqual(lines[key]["value"], value, places=2)
                self.assertEqual(lines[key]["status"], status)
        self.assertEqual(sum(line["is_missed"] for line in lines.values()), 4)
        self.assertEqual(lines[("callback_rate", "All types")]["numerator"], 4)
        self.assertEqual(lines[("callback_rate", "All types")]["denominator"], 8)
        self.assertEqual(lines[("callback_rate", "Plain call")]["target"], 100.0)

    def test_every_figure_opens_the_cases_behind_it(self):
        Case = self.env["visit.case"].with_user(self.manager)
        for key, line in self._figures().items():
            with self.subTest(indicator=key):
                # The items (the aspects are items too) open their answers.
                count = (
                    self.env[line.get("model") or "visit.case"]
                    .with_user(self.manager)
                    .search_count(line["domain"])
                )
                if line["indicator"] == "recovery_rate":
                    # the cases of the plans counted
                    self.assertEqual(
                        len(Case.search(line["domain"]).plan_id), line["denominator"]
                    )
                elif line["indicator"] in (
                    "failure_reason",
                    "channel_share",
                    "channel_mix",
                    "item_distribution",
                ):
                    # a part of the whole: the cases of that part
                    self.assertEqual(count, line["numerator"])
                elif line["denominator"] is not None:
                    self.assertEqual(count, line["denominator"])
                elif line["unit"] == "count":
                    self.assertEqual(count, line["value"])
        owed = Case.search(self._figures()[("callback_rate", "All types")]["domain"])
        self.assertEqual(len(owed), 8)
        self.assertNotIn(self.not_due.id, owed.record_id.ids)
        self.assertEqual(
            owed.filtered(lambda c: c.kind == "skipped").skip_reason, "no_partner"
        )

    def test_a_case_becomes_owed_on_its_due_date(self):
        self.not_due.scheduled_date = self.now - timedelta(minutes=5)
        lines = self._figures()
        # 9 owed now, still 4 visited
        self.assertAlmostEqual(
            lines[("callback_rate", "All types")]["value"], 44.44, places=2
        )
        # a skipped record that qualifies again is owed again
        self.env["visit.rule.skip"].search(
            [("reason", "=", "do_not_visit")]
        ).is_qualifying = True
        self.assertAlmostEqual(
            self._figures()[("callback_rate", "All types")]["value"], 40.0
        )

    def test_generation_refreshes_whether_a_skipped_record_still_qualifies(self):
        rule = self.env["visit.rule"].create(self._rule_vals())
        nobody = self.env["res.partner"].create(
            {"name": "Do not call", "do_not_visit": True}
        )
        ticket = self._closed_ticket(self.now - timedelta(days=10), partner=nobody)
        rule._generate_batch()
        skip = rule.skip_ids
        self.assertEqual(skip.reason, "do_not_visit")
        self.assertEqual(skip.type_id, self.type_plain)
        self.assertEqual(skip.partner_id, nobody)
        # +2 days after the close, inside the company's working hours: at
        # least 8 days ago (+ a weekend at most), so owed now
        self.assertGreaterEqual(skip.due_date, self.now - timedelta(days=8))
        self.assertLess(skip.due_date, self.now - timedelta(days=4))
        self.assertTrue(skip.is_qualifying)
        case = self.env["visit.case"].search([("skip_id", "=", skip.id)])
        self.assertTrue(case.is_owed)
        ticket.stage_id = self.env["helpdesk.ticket.stage"].search(
            [("closed", "=", False)], limit=1
        )
        rule._generate_batch()
        self.assertFalse(skip.is_qualifying)
        self.env["visit.case"].invalidate_model()  # a view: its rows were read above
        self.assertFalse(
            self.env["visit.case"].search([("skip_id", "=", skip.id)]).is_owed
        )

    def test_days_are_the_companys_local_days(self):
        """07:30 in Shanghai on 1 November is 23:30 UTC on 31 October; 23:00
        in New York on 31 October is 03:00 UTC on 1 November."""
        company = self.company_c
        morning = self._create_visit(
            company_id=company.id,
            user_id=self.agent.id,
            scheduled_date="2026-10-31 23:30:00",
        )
        october = self._figures(
            date_from=fields.Date.to_date("2026-10-01"),
            date_to=fields.Date.to_date("2026-10-31"),
        )
        november = self._figures(
            date_from=fields.Date.to_date("2026-11-01"),
            date_to=fields.Date.to_date("2026-11-30"),
        )
        self.assertIsNone(october[("callback_rate", "All types")]["value"])
        self.assertEqual(november[("callback_rate", "All types")]["denominator"], 1)
        company.resource_calendar_id = self.env["resource.calendar"].create(
            {"name": "New York", "tz": "America/New_York"}
        )
        morning.scheduled_date = "2026-11-01 03:00:00"
        october = self._figures(
            date_from=fields.Date.to_date("2026-10-01"),
            date_to=fields.Date.to_date("2026-10-31"),
        )
        self.assertEqual(october[("callback_rate", "All types")]["denominator"], 1)
        self.assertEqual(
            self.env["visit.case"].search([("record_id", "=", morning.id)]).date,
            fields.Date.to_date("2026-10-31"),
        )

    def test_year_to_date_channel_and_signed_shares(self):
        """A cycle of March 2026; the year to date runs from 1 January."""
        Target = self.env["visit.target"].with_context(
            default_company_id=self.company_c.id
        )
        Target.create(
            {
                "indicator": "channel_share",
                "value": 70,
                "period": "year",
                "channel_ids": [Command.set(self.channels["onsite"].ids)],
            }
        )
        Target.create(
            {
                "indicator": "signature_share",
                "value": 40,
                "period": "year",
                "signature_base": "onsite",
            }
        )

        def done(channel, day, signed=False):
            rec = self._create_visit(
                type_id=self.type_site.id,
                company_id=self.company_c.id,
                user_id=self.agent.id,
                outcome="reached",
                channel=channel,
                scheduled_date=day,
                deadline=day,
            )
            if signed:
                rec._sign("王建国", png_signature())
            rec.action_done()

        done("onsite", "2026-01-15 02:00:00", signed=True)
        done("onsite", "2026-02-15 02:00:00")
        done("phone", "2026-03-10 02:00:00")
        done("onsite", "2026-03-11 02:00:00")
        done("onsite", "2025-12-31 17:00:00")  # 1 January 01:00 in Shanghai: this year
        lines = self._figures(
            date_from=fields.Date.to_date("2026-03-01"),
            date_to=fields.Date.to_date("2026-03-31"),
        )
        # March: 1 of 2 on site; year: 4 of 5 on site (cap 70 %: missed)
        self.assertEqual(lines[("channel_mix", "On-site")]["value"], 1)
        share = lines[("channel_share", "On-site (year to date)")]
        self.assertEqual((share["numerator"], share["denominator"]), (4, 5))
        self.assertEqual(share["status"], "missed")
        # signed: 1 of the year's 4 on-site visits done = 25 % < 40 %
        signed = lines[("signature_share", "On-site visits done (year to date)")]
        self.assertEqual((signed["numerator"], signed["denominator"]), (1, 4))
        self.assertEqual(signed["status"], "missed")
        with self.assertRefused(ValidationError, "calendar year"):
            Target.create({"indicator": "success_rate", "value": 70, "period": "year"})

    def test_a_retried_visit_stays_owed_from_its_first_due_time(self):
        retried = self._create_visit(
            company_id=self.company_c.id,
            user_id=self.agent.id,
            scheduled_date=self.now - timedelta(days=1),
        )
        self.env["visit.attempt"].create(
            {
                "record_id": retried.id,
                "result": "not_reached",
                "reason_id": self.reason("no_answer").id,
                "channel": "phone",
            }
        )
        retried.write(
            {
                "scheduled_date": self.now + timedelta(days=2),
                "deadline": self.now + timedelta(days=3),
            }
        )
        untried = self._create_visit(
            company_id=self.company_c.id,
            user_id=self.agent.id,
            scheduled_date=self.now - timedelta(days=1),
        )
        untried.write(
            {
                "scheduled_date": self.now + timedelta(days=2),
                "deadline": self.now + timedelta(days=3),
            }
        )
        self.assertEqual(retried.due_date, self.now - timedelta(days=1))
        self.assertEqual(untried.due_date, self.now + timedelta(days=2))
        cases = self.env["visit.case"].search(
            [("record_id", "in", (retried | untried).ids)]
        )
        self.assertEqual(cases.filtered("is_owed").record_id, retried)

    def test_recovery_counts_a_later_satisfied_round(self):
        unhappy = self._create_visit(
            company_id=self.company_c.id,
            user_id=self.agent.id,
            outcome="reached",
            satisfaction_result="unsatisfied",
            scheduled_date=self.now - timedelta(days=2),
        )
        unhappy.action_done()
        lines = self._figures()
        # plans with an unsatisfied visit: the setup's (visit 1) and this one
        self.assertEqual(
            lines[("recovery_rate", "Unsatisfied customers recovered")]["denominator"],
            2,
        )
        second = self._create_visit(
            company_id=self.company_c.id,
            user_id=self.agent.id,
            outcome="reached",
            plan_id=unhappy.plan_id.id,
            round=2,
            previous_record_id=unhappy.id,
            satisfaction_result="satisfied",
            scheduled_date=self.now - timedelta(days=1),
        )
        second.action_done()
        recovery = self._figures()[("recovery_rate", "Unsatisfied customers recovered")]
        self.assertEqual((recovery["numerator"], recovery["denominator"]), (1, 2))

    def test_team_filter_keeps_the_team_members_visits(self):
        team = self.env["crm.team"].create(
            {"name": "Bob's team", "member_ids": [Command.set(self.agent_2.ids)]}
        )
        lines = self._figures(team=team)
        # Bob: 1 done of 3 owed (4, 8, 9)
        self.assertAlmostEqual(
            lines[("callback_rate", "All types")]["value"], 33.33, places=2
        )
        self.assertNotIn(("agent_callback_rate", "Agent Alice"), lines)

    def test_empty_period_gives_no_data_not_a_division_by_zero(self):
        lines = self._figures(
            date_from=fields.Date.to_date("2001-01-01"),
            date_to=fields.Date.to_date("2001-01-31"),
        )
        self.assertIsNone(lines[("callback_rate", "All types")]["value"])
        self.assertIsNone(lines[("signature_share", "On-site visits done")]["value"])
        self.assertEqual(lines[("overdue", "Overdue visits")]["value"], 0)
        self.assertFalse(any(line["is_missed"] for line in lines.values()))

    def test_query_count_does_not_grow_with_the_visits(self):
        Indicator = self.env["visit.indicator"]
        today = self.company_c._visit_today()
        period = (
            today - timedelta(days=10),
            today + timedelta(days=10),
            self.company_c,
        )
        Indicator._compute(*period)
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        Indicator._compute(*period)
        small = self.env.cr.sql_log_count - before
        for index in range(30):
            rec = self._create_visit(
                type_id=self.type_plain.id,
                company_id=self.company_c.id,
                user_id=(self.agent, self.agent_2)[index % 2].id,
                outcome="reached",
                scheduled_date=self.now - timedelta(hours=index + 1),
            )
            rec.action_done()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        Indicator._compute(*period)
        self.assertEqual(self.env.cr.sql_log_count - before, small)

    def test_bad_targets_and_periods_are_refused(self):
        target = self.env["visit.target"].search(
            [
                ("indicator", "=", "callback_rate"),
                ("company_id", "=", self.company_c.id),
                ("type_id", "=", False),
            ]
        )
        for value in (150, -1):
            with self.assertRefused(ValidationError, "from 0 to 100"):
                target.value = value
        with self.assertRefused(ValidationError, "at least one channel"):
            self.env["visit.target"].create(
                {
                    "indicator": "channel_share",
                    "value": 70,
                    "company_id": self.company_c.id,
                }
            )
        with self.assertRefused(ValidationError, "below the target"):
            self.env["visit.target"].create(
                {
                    "indicator": "agent_callback_rate",
                    "value": 90,
                    "bonus_value": 80,
                    "type_id": self.type_site.id,
                    "company_id": self.company_c.id,
                }
            )
        with self.assertRefused(UserError, "ends before it starts"):
            self.env["visit.indicator"]._compute(
                fields.Date.to_date("2026-02-01"),
                fields.Date.to_date("2026-01-01"),
                self.company_c,
            )

    def test_indicator_page_for_managers_only(self):
        page = (
            self.env["visit.indicator"]
            .with_user(self.manager)
            .with_company(self.company_c)
            .get_indicator_page(company_id=self.company_c.id)
        )
        cycle = self.company_c._visit_report_cycle(day=self.company_c._visit_today())
        self.assertEqual(page["date_from"], fields.Date.to_string(cycle.date_from))
        self.assertEqual(
            [s["key"] for s in page["sections"]],
            [
                "coverage",
                "reach",
                "channels",
                "digital",
                "agents",
                "served",
                "satisfaction",
                "items",
                "problems",
            ],
        )
        coverage = page["sections"][0]["groups"][0]
        self.assertEqual(coverage["indicator"], "callback_rate")
        self.assertTrue(coverage["help"])
        with self.assertRaises(UserError):
            self.env["visit.indicator"].with_user(self.agent).get_indicator_page()
        with self.assertRaises(UserError):
            self.env["visit.indicator"].with_user(self.manager).get_indicator_page(
                date_from="2026-02-01",
                date_to="2026-01-01",
                company_id=self.company_c.id,
            )
