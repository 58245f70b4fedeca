from contextlib import contextmanager
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user, tagged, warmup

from odoo.addons.mail.tests.common import MailCase

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestQueryCounts(VisitCommon, MailCase):
    """Query counts of the hot paths, pinned at two sizes: a batch twice as
    large costs the same queries, so a query per record fails the test.

    Each test runs twice (``warmup``): once to fill the ormcaches, then
    measured, from a cold record cache, as the user who triggers it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # One worker: the jobs' part 0 holds every source and visit.
        cls.env["ir.config_parameter"].set_param("customer_visit.generate_workers", 1)
        # The Generate job runs every active rule: only the test's own.
        cls.env["visit.rule"].search([]).active = False
        cls.partners = cls.env["res.partner"].create(
            [
                {
                    "name": f"Customer {i}",
                    "email": f"customer{i}@example.cn",
                    "mobile": f"+86 138 0013 {8100 + i}",
                    "country_id": cls.env.ref("base.cn").id,
                    "user_id": cls.agent.id,
                }
                for i in range(60)
            ]
        )
        cls.tickets = cls.env["helpdesk.ticket"]
        closed = cls.now - timedelta(days=1)
        for partner in cls.partners:
            cls.tickets |= cls._closed_ticket(closed, partner=partner)
        cls.portal_user = new_test_user(
            cls.env,
            login="cv_qc_portal",
            groups="base.group_portal",
            partner_id=cls.partners[0].id,
        )
        cls.scripts = cls.env["visit.type"].create(
            [
                {
                    "name": f"Script of {size}",
                    "default_channel": "email",
                    "question_ids": [
                        Command.create({"name": f"Q{i}", "answer_kind": "yes_no"})
                        for i in range(size)
                    ],
                }
                for size in (3, 6)
            ]
        )

    @contextmanager
    def _queries(self, count):
        """``assertQueryCount(count)`` from a cold record cache, as a new
        transaction of a job or a request starts (ormcaches stay warm)."""
        self.env.invalidate_all()
        with self.assertQueryCount(count):
            yield

    def _sizes(self, records):
        """20, then 40 more: the second batch is twice the first."""
        return records[:20], records[20:60]

    @warmup
    def test_generate_batch_costs_the_same_queries_for_20_or_40_sources(self):
        """The Generate job's batch: one query for what is owed, the sources
        read at once, plans, visits and activities each created in one
        ``create(vals_list)``: nothing per source."""
        for tickets in self._sizes(self.tickets):
            self.env["visit.rule"].search([]).active = False
            rule = self.env["visit.rule"].create(
                self._rule_vals(domain=f"[('id', 'in', {tickets.ids})]")
            )
            # Its type's script (the four aspects) is read once after the
            # INSERT, by the visits' stored satisfaction.
            with self._queries(42):
                done = self.env["visit.rule"]._cron_generate(0)
            self.assertEqual(done, len(tickets))
            self.assertEqual(len(rule.plan_ids.record_ids), len(tickets))

    @warmup
    def test_dispatch_batch_costs_the_same_queries_for_20_or_40_emails(self):
        """The Dispatch job's batch: the due visits searched once, their
        messages rendered and queued for the batch, the marks written at
        once, the agents' to-dos moved by day (the to-do type looked up from
        Odoo's cache, not checked visit by visit)."""
        for partners in self._sizes(self.partners):
            visits = self.env["visit.record"].create(
                [
                    self._visit_vals(
                        partner_id=partner.id,
                        channel="email",
                        user_id=self.agent.id,
                        scheduled_date=self.now - timedelta(hours=1),
                    )
                    for partner in partners
                ]
            )
            with self.mock_mail_gateway(), self._queries(49):
                sent = self.env["visit.record"]._cron_dispatch(0)
            self.assertEqual(sent, len(partners))
            self.assertEqual(set(visits.mapped("dispatch_state")), {"sent"})

    @warmup
    def test_batch_wizard_costs_the_same_queries_for_20_or_40_visits(self):
        """The batch wizard's *Create*, as a manager: skip reasons, assignees
        and the visits' values decided for the batch, one ``create``."""
        Wizard = self.env["visit.batch.wizard"].with_user(self.manager)
        for partners in self._sizes(self.partners):
            wizard = Wizard.create(
                {
                    "source_model": "res.partner",
                    "source_ids_text": ",".join(map(str, partners.ids)),
                    "type_id": self.type_plain.id,
                }
            )
            with self._queries(41):
                action = wizard.action_confirm()
            visits = self.env["visit.record"].search(action["domain"])
            self.assertEqual(visits.partner_id, partners)

    @warmup
    def test_indicators_cost_the_same_queries_for_20_or_60_visits(self):
        """The *Indicators* page of a period, as a manager: figures from
        ``_read_group`` on the cases, whatever the number of visits."""
        today = fields.Date.today()
        period = (str(today - timedelta(days=30)), str(today + timedelta(days=30)))
        Indicator = self.env["visit.indicator"].with_user(self.manager)
        for partners in self._sizes(self.partners):
            visits = self.env["visit.record"].create(
                [
                    self._visit_vals(
                        partner_id=partner.id,
                        user_id=self.agent.id,
                        scheduled_date=self.now - timedelta(days=2),
                        deadline=self.now - timedelta(days=1),
                        outcome="reached" if index % 2 else False,
                    )
                    for index, partner in enumerate(partners)
                ]
            )
            visits.filtered("outcome").action_done()
            # 22: one reads the names of the failed visits' reasons; the items
            # (4) and the reasons for low scores (3: count, per reason, names).
            # The cases per type and rule, per channel and agent, their totals
            # and the served section (per person, department and product) are
            # one query (GROUPING SETS), 2 fewer than before the served
            # section; one more read of the names per served dimension with a
            # value (none here). Fixed whatever the visits.
            with self._queries(22):
                page = Indicator.get_indicator_page(*period, self.company_a.id)
            self.assertTrue(page["sections"])

    @warmup
    def test_portal_answer_costs_the_same_queries_for_3_or_6_questions(self):
        """The customer's answer on the portal (the model method the
        controller calls), as the signed-in customer: the answers written
        in one ``write``, nothing per question."""
        for script in self.scripts:
            visit = self._create_visit(
                partner_id=self.partners[0].id,
                type_id=script.id,
                channel="email",
                user_id=self.agent.id,
            )
            answers = {
                str(question.id): "yes"
                for question in script.question_ids.filtered(lambda q: not q.aspect)
            }
            with self._queries(49):
                visit.with_user(self.portal_user)._portal_answer(answers, "Fine", {})
            self.assertEqual(visit.state, "done")
