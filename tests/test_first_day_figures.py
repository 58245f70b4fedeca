from datetime import timedelta

from odoo import Command
from odoo.tests import Form, new_test_user, tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestFirstDayFigures(VisitCommon):
    """What a manager reads on the first day: thresholds inclusive, targets
    counted once, drill-downs that list what a figure counts, unrated
    cases empty, rates as measures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar_sh = cls.env["resource.calendar"].create(
            {"name": "Shanghai", "tz": "Asia/Shanghai"}
        )
        cls.company_f = cls.env["res.company"].create(
            {"name": "Figures Co", "resource_calendar_id": cls.calendar_sh.id}
        )
        (cls.agent | cls.agent_2 | cls.manager).write(
            {"company_ids": [Command.link(cls.company_f.id)]}
        )
        yesterday = cls.now - timedelta(days=1)
        Visit = cls.env["visit.record"]

        def visits(user, count, **values):
            return Visit.create(
                [
                    cls._visit_vals(
                        user_id=user.id,
                        company_id=cls.company_f.id,
                        scheduled_date=yesterday,
                        **values,
                    )
                    for _i in range(count)
                ]
            )

        # Alice: 19 of 20 owed visits done, 95.00 %; Bob: 18 of 19, 94.74 %.
        alice_done = visits(cls.agent, 19, outcome="reached")
        visits(cls.agent, 1)
        bob_done = visits(cls.agent_2, 18, outcome="reached")
        visits(cls.agent_2, 1)
        # Ratings: product quality rated on two visits, service on one more.
        alice_done[0].satisfaction_product = "unsatisfied"
        alice_done[1].satisfaction_product = "satisfied"
        alice_done[2].satisfaction_service = "fairly_satisfied"
        cls.rated_product = alice_done[:2]
        (alice_done | bob_done).action_done()
        cls.unrated = bob_done[0]
        cls.target = cls.env["visit.target"].create(
            {
                "company_id": cls.company_f.id,
                "indicator": "agent_callback_rate",
                "value": 90,
                "bonus_value": 95,
            }
        )

    def _page(self):
        return (
            self.env["visit.indicator"]
            .with_user(self.manager)
            .get_indicator_page(company_id=self.company_f.id)
        )

    def _lines(self, page, indicator):
        return {
            line["label"]: line
            for section in page["sections"]
            for group in section["groups"]
            if group["indicator"] == indicator
            for line in group["lines"]
        }

    # ------------------------------------------------------------------
    # Thresholds are inclusive
    # ------------------------------------------------------------------
    def test_agent_at_exactly_the_bonus_threshold_earns_the_bonus(self):
        agents = self._lines(self._page(), "agent_callback_rate")
        self.assertEqual(agents["Agent Alice"]["value"], 95.0)
        self.assertEqual(agents["Agent Alice"]["status"], "bonus")
        self.assertEqual(agents["Agent Bob"]["value"], 94.74)
        self.assertEqual(agents["Agent Bob"]["status"], "met")

    def test_floors_ceilings_and_bonus_include_their_figure_as_shown(self):
        target = self.target.with_user(self.manager)
        self.assertEqual(target._status(95.0), "bonus")
        # 95 % computed in floating point still counts as 95 %.
        self.assertEqual(target._status(100 * (0.1 + 0.2 + 0.65) - 1e-9), "bonus")
        self.assertEqual(target._status(94.99), "met")
        self.assertEqual(target._status(90.0), "met")
        self.assertEqual(target._status(89.99), "missed")
        cap = self.env["visit.target"].create(
            {
                "company_id": self.company_f.id,
                "indicator": "success_rate",
                "value": 70,
                "is_cap": True,
            }
        )
        self.assertFalse(cap.with_user(self.manager)._is_missed(70.0))
        self.assertTrue(cap.with_user(self.manager)._is_missed(70.01))

    # ------------------------------------------------------------------
    # Summary and drill-downs
    # ------------------------------------------------------------------
    def test_summary_counts_missed_targets_not_lines(self):
        self.target.write({"bonus_value": 0, "value": 96})
        self.env["visit.target"].create(
            {"company_id": self.company_f.id, "indicator": "callback_rate", "value": 99}
        )
        page = self._page()
        missed_lines = [
            line
            for section in page["sections"]
            for group in section["groups"]
            for line in group["lines"]
            if line["is_missed"]
        ]
        # Both agents under 96 %, the type and all types under 99 %.
        self.assertEqual(len(missed_lines), 4)
        self.assertEqual(page["missed_count"], 2)

    def test_aspect_drill_down_lists_the_cases_of_that_aspect(self):
        satisfaction = self._lines(self._page(), "satisfaction")
        product = satisfaction["Product quality"]
        self.assertEqual(product["value"], 2.5)
        self.assertEqual(product["measure"], "score_product")
        Case = self.env["visit.case"].with_user(self.manager)
        cases = Case.search(product["domain"])
        self.assertEqual(cases.record_id, self.rated_product)
        self.assertEqual(sorted(cases.mapped("score_product")), [1.0, 4.0])
        self.assertEqual(
            satisfaction["All aspects and counted items"]["measure"],
            "satisfaction_score",
        )
        self.assertEqual(
            len(Case.search(satisfaction["All aspects and counted items"]["domain"])), 3
        )
        # The list names the aspect's column for that drill-down.
        arch = Case.get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn("context.get('visit_case_measure') != 'score_product'", arch)

    # ------------------------------------------------------------------
    # The Analysis
    # ------------------------------------------------------------------
    def test_unrated_cases_are_empty_not_zero(self):
        Case = self.env["visit.case"].with_user(self.manager)
        case = Case.search([("record_id", "=", self.unrated.id)])
        self.assertFalse(case.is_rated)
        values = case.read(["satisfaction_score", "score_product"])[0]
        self.assertIs(values["satisfaction_score"], False)
        self.assertIs(values["score_product"], False)
        listed = Case.web_search_read(
            [("record_id", "=", self.unrated.id)],
            {"satisfaction_score": {}, "score_result": {}},
        )["records"][0]
        self.assertIs(listed["satisfaction_score"], False)
        self.assertIs(listed["score_result"], False)
        [group] = Case.read_group(
            [("company_id", "=", self.company_f.id), ("user_id", "=", self.agent_2.id)],
            ["satisfaction_score:avg"],
            ["user_id"],
        )
        self.assertIs(group["satisfaction_score"], False)
        # A rated case still reads its score.
        rated = Case.search([("record_id", "=", self.rated_product[0].id)])
        self.assertEqual(rated.read(["score_product"])[0]["score_product"], 1.0)

    def test_pivot_offers_the_rates_as_averaged_measures(self):
        Case = self.env["visit.case"].with_user(self.manager)
        rates = [
            "callback_rate",
            "success_rate",
            "signed_rate",
            "unsatisfied_rate",
            "response_rate",
        ]
        described = Case.fields_get(rates, ["aggregator"])
        for fname in rates:
            self.assertEqual(described[fname]["aggregator"], "avg", fname)
        groups = {
            group["user_id"][0]: group
            for group in Case.read_group(
                [("company_id", "=", self.company_f.id)],
                ["callback_rate:avg", "success_rate:avg", "unsatisfied_rate:avg"],
                ["user_id"],
            )
        }
        self.assertAlmostEqual(groups[self.agent.id]["callback_rate"], 95.0)
        self.assertAlmostEqual(groups[self.agent_2.id]["callback_rate"], 94.74, 2)
        # Success: reached of attempted, the open visits left out.
        self.assertAlmostEqual(groups[self.agent.id]["success_rate"], 100.0)
        # Unsatisfied: one of Alice's three rated visits; Bob rated none.
        self.assertAlmostEqual(groups[self.agent.id]["unsatisfied_rate"], 33.33, 2)
        self.assertIs(groups[self.agent_2.id]["unsatisfied_rate"], False)
        arch = Case.get_views([(False, "pivot")])["views"]["pivot"]["arch"]
        self.assertIn('name="callback_rate"', arch)


@tagged("post_install", "-at_install")
class TestFirstDayComplaintTicket(VisitCommon):
    """The ticket an unsatisfied customer gets: what they said, for the
    complaint team, and the agent told."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.helper_busy = new_helpdesk_user(cls.env, "cv_hd_busy", "Busy Bea")
        cls.helper_free = new_helpdesk_user(cls.env, "cv_hd_free", "Free Fei")
        cls.leader = new_helpdesk_user(cls.env, "cv_hd_lead", "Leader Liu")
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {
                "name": "Complaints",
                "user_id": cls.leader.id,
                "user_ids": [Command.set((cls.helper_busy | cls.helper_free).ids)],
            }
        )
        cls.env["helpdesk.ticket"].create(
            {
                "name": "Older complaint",
                "description": "<p>Open</p>",
                "team_id": cls.team.id,
                "user_id": cls.helper_busy.id,
            }
        )
        cls.type_complaint.complaint_team_id = cls.team

    def _close_unsatisfied(self):
        visit = self._create_visit(
            type_id=self.type_complaint.id, user_id=self.agent.id
        )
        form = Form(
            self.env(user=self.agent)["visit.outcome.wizard"].with_context(
                active_model="visit.record", active_id=visit.id
            )
        )
        form.outcome = "reached"
        # The three items of the script, then its four aspects.
        self.assertEqual(len(form.answer_ids), 7)
        with form.answer_ids.edit(0) as answer:
            answer.value_yes_no = "no"
        with form.answer_ids.edit(1) as answer:
            answer.value_rating = "2"
        form.identity_confirmed = True
        self._rate(form, "satisfaction_product", "unsatisfied")
        self._rate(form, "satisfaction_service", "basically_satisfied")
        self._rate(form, "satisfaction_result", "satisfied")
        form.opinion = "Still <b>noisy</b> at night"
        form.recording_ref = "REC-7"
        form.save().action_confirm()
        self.assertEqual(visit.state, "done")
        return visit, visit.sudo().complaint_ticket_ids

    def test_unsatisfied_ticket_carries_aspects_answers_and_opinion(self):
        visit, ticket = self._close_unsatisfied()
        self.assertEqual(len(ticket), 1)
        description = ticket.description
        self.assertIn("Product quality: Unsatisfied", description)
        self.assertIn("Service attitude: Basically satisfied", description)
        self.assertNotIn("Result: Satisfied", description)
        for answer in visit.answer_ids.filtered(lambda a: not a.question_id.aspect):
            if answer._display_value():
                self.assertIn(answer.question_id.name, description)
        self.assertIn("Still &lt;b&gt;noisy&lt;/b&gt; at night", description)
        self.assertNotIn("<b>noisy", description)

    def test_ticket_goes_to_a_free_member_of_the_complaint_team(self):
        visit, ticket = self._close_unsatisfied()
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(ticket.user_id, self.helper_free)
        self.assertNotEqual(ticket.user_id, self.agent)
        # The agent is told, with the ticket's link.
        message = visit.message_ids.filtered(
            lambda message: f'data-oe-id="{ticket.id}"' in (message.body or "")
        )
        self.assertTrue(message, visit.message_ids.mapped("body"))
        self.assertIn(self.agent.partner_id, message.partner_ids)

    def test_ticket_goes_to_the_leader_when_no_member_is_free(self):
        self.env["helpdesk.ticket"].create(
            {
                "name": "Another complaint",
                "description": "<p>Open</p>",
                "team_id": self.team.id,
                "user_id": self.helper_free.id,
            }
        )
        _visit, ticket = self._close_unsatisfied()
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(ticket.user_id, self.leader)


def new_helpdesk_user(env, login, name):
    return new_test_user(
        env, login=login, name=name, groups="helpdesk_mgmt.group_helpdesk_user"
    )
