import threading
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.customer_visit.models.visit_rule import VisitRule

from .common import VisitCommon
from .test_local_time import _all_week


class Crash(BaseException):
    """Stands for the process being killed: not caught as an Exception."""


@tagged("post_install", "-at_install")
class TestRuleSampling(VisitCommon):
    """Samples decided once per source, fair whatever the hour a source
    arrives, by stratum, under a cap, and planned by every worker."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shanghai = _all_week(cls.env, "Shanghai, all week", "Asia/Shanghai")
        # Closed hour by hour from 1 March 2027 08:00 Shanghai: one month.
        cls.start = datetime(2027, 3, 1, 0, 0)
        partners = cls.env["res.partner"].create(
            [
                {"name": f"Sampled {i}", "phone": f"+86 138 0013 {8200 + i}"}
                for i in range(20)
            ]
        )
        cls.tickets = cls.env["helpdesk.ticket"]
        for index, partner in enumerate(partners):
            cls.tickets |= cls._closed_ticket(
                cls.start + timedelta(hours=index),
                partner=partner,
                priority="2" if index % 2 else "0",
            )

    def _rule(self, **values):
        return self.env["visit.rule"].create(
            self._rule_vals(
                domain=f"[('id', 'in', {self.tickets.ids})]",
                coverage="sample",
                calendar_id=self.shanghai.id,
                **values,
            )
        )

    def _hour_by_hour(self, rule, parts=1):
        """Decide the tickets one at a time, as an hourly job meets them."""
        drawn = set()
        for ticket in self.tickets.sorted("id"):
            part = ticket.partner_id.id % parts  # parts go by customer
            drawn |= set(
                self.env["visit.rule.draw"]._decide(
                    rule, ticket, rule._reference_dates(ticket), part, parts
                )
            )
        return drawn

    def test_every_source_has_the_same_chance_whatever_its_arrival(self):
        """Over 100 seeds, 20 sources arriving hour by hour at 33 %: each
        period draws 6 or 7 (20 × 33 % = 6.6, within one record), and the
        first source is drawn about a third of the time, not always."""
        positions = [0] * len(self.tickets)
        for seed in range(1, 101):
            rule = self._rule(sample_percent=33, sample_seed=seed)
            drawn = self._hour_by_hour(rule)
            self.assertIn(len(drawn), (6, 7), f"seed {seed}")
            sample = rule.sample_ids
            self.assertEqual(
                (sample.population_count, sample.drawn_count), (20, len(drawn))
            )
            self.assertAlmostEqual(sample.expected, 6.6)
            for index, ticket in enumerate(self.tickets.sorted("id")):
                positions[index] += ticket.id in drawn
        # Each position: drawn with probability 33 %, 33 of 100 expected;
        # 4.7 is its standard deviation: ±4.5σ never fails by chance here.
        for index, count in enumerate(positions):
            self.assertTrue(12 <= count <= 54, f"position {index}: {count}/100")
        self.assertTrue(12 <= positions[0] <= 54, positions[0])
        self.assertAlmostEqual(sum(positions) / 100, 6.6, delta=0.41)

    def test_decided_once_reproducible_and_never_revised(self):
        one_by_one = self._hour_by_hour(self._rule(sample_percent=25, sample_seed=9))
        at_once = self._rule(sample_percent=25, sample_seed=9)
        at_once._generate_batch()
        self.assertEqual(set(at_once.plan_ids.mapped("rule_source_id")), one_by_one)
        self.assertEqual(len(one_by_one), 5)
        # A new percentage and seed apply to records still to come: the
        # decided ones stay as they were.
        at_once.write({"sample_percent": 100, "sample_seed": 10})
        self.assertEqual(at_once._generate_batch(), (0, 0))
        self.assertEqual(set(at_once.plan_ids.mapped("rule_source_id")), one_by_one)
        newcomer = self._closed_ticket(self.start + timedelta(days=3))
        at_once.domain = f"[('id', 'in', {(self.tickets | newcomer).ids})]"
        self.assertEqual(at_once._generate_batch(), (1, 0))
        self.assertIn(newcomer.id, at_once.plan_ids.mapped("rule_source_id"))

    def test_strata_each_with_its_percentage_and_audit(self):
        # Priority High (10 tickets) at 50 % by its label, Low (10) at 10 %
        # by its key: 5 and 1 drawn, audited apart.
        rule = self._rule(
            sample_percent=100,
            stratum_field_id=self.env["ir.model.fields"]
            ._get("helpdesk.ticket", "priority")
            .id,
            stratum_ids=[
                Command.create({"value": "High", "percent": 50}),
                Command.create({"value": "0", "percent": 10}),
            ],
        )
        rule._generate_batch()
        audit = {
            sample.stratum_name: (
                sample.population_count,
                sample.expected,
                sample.drawn_count,
            )
            for sample in rule.sample_ids
        }
        self.assertEqual(audit, {"High": (10, 5.0, 5), "Low": (10, 1.0, 1)})
        priorities = self.env["helpdesk.ticket"].browse(
            rule.plan_ids.mapped("rule_source_id")
        )
        self.assertEqual(sorted(priorities.mapped("priority")), ["0"] + ["2"] * 5)

    def test_cap_as_a_share_of_a_population(self):
        households = self.env["res.partner.category"].create({"name": "Household"})
        self.env["res.partner"].create(
            [
                {"name": f"Household {i}", "category_id": [Command.set(households.ids)]}
                for i in range(30)
            ]
        )
        # At most 10 % of the 30 households: 3, of a 100 % sample of 20.
        values = {
            "sample_percent": 100,
            "sample_cap_percent": 10,
            "sample_cap_domain": f"[('category_id', 'in', {households.ids})]",
        }
        rule = self._rule(**values)
        rule._generate_batch()
        self.assertEqual(len(rule.plan_ids), 3)
        self.assertEqual((rule.sample_ids.quota, rule.sample_ids.drawn_count), (3, 3))
        # Split between two workers, the parts never draw more together.
        split = self._rule(**values)
        drawn = self._hour_by_hour(split, parts=2)
        self.assertEqual(len(drawn), 3)
        self.assertEqual(split.sample_ids.quota, 3)
        # And the smaller of a fixed cap and the share.
        capped = self._rule(sample_cap=2, **values)
        capped._generate_batch()
        self.assertEqual(len(capped.plan_ids), 2)

    def test_a_new_number_of_workers_mid_period_keeps_the_cap(self):
        # A cap of 4: one worker draws 3, then two workers share what is left.
        rule = self._rule(sample_percent=100, sample_cap=4)
        tickets = self.tickets.sorted("id")
        for ticket in tickets[:3]:
            self.env["visit.rule.draw"]._decide(
                rule, ticket, rule._reference_dates(ticket), 0, 1
            )
        for ticket in tickets[3:]:
            part = ticket.partner_id.id % 2
            self.env["visit.rule.draw"]._decide(
                rule, ticket, rule._reference_dates(ticket), part, 2
            )
        self.assertEqual(rule.sample_ids.drawn_count, 4)
        self.assertEqual(rule.sample_ids.quota, 4)

    def test_bad_sampling_input_is_refused(self):
        priority = self.env["ir.model.fields"]._get("helpdesk.ticket", "priority")
        with self.assertRefused(ValidationError, "from 0 to 100"):
            self._rule(
                stratum_field_id=priority.id,
                stratum_ids=[Command.create({"value": "High", "percent": 150})],
            )
        computed = self.env["ir.model.fields"].search(
            [("model", "=", "helpdesk.ticket"), ("store", "=", False)], limit=1
        )
        with self.assertRefused(ValidationError, "not stored"):
            self._rule(stratum_field_id=computed.id)
        with self.assertRefused(ValidationError, "population of the cap does not work"):
            self._rule(sample_cap_percent=5, sample_cap_domain="[('nope', '=', 1)]")
        with self.assertRefused(ValidationError, "population of the cap does not work"):
            self._rule(sample_cap_percent=5, sample_cap_domain="[(")
        with self.assertRefused(ValidationError, "at least one worker"):
            self.env["res.config.settings"].create({"visit_generate_workers": 0})

    def test_workers_setting_keeps_one_generate_job_per_worker(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["customer_visit"], ["zh_CN"], overwrite=True
        )
        settings = self.env["res.config.settings"].create({"visit_generate_workers": 4})
        settings.execute()
        jobs = self.env["ir.cron"]._visit_generate_jobs()
        self.assertEqual(jobs.mapped("visit_generate_part"), [0, 1, 2, 3])
        self.assertEqual(jobs[3].code, "model._cron_generate(3)")
        # The copies are named in each language, as the first job is.
        first, last = jobs[0], jobs[3]
        self.assertEqual(
            last.with_context(lang="en_US").name,
            f"{first.with_context(lang='en_US').name} (worker 4)",
        )
        self.assertEqual(
            last.with_context(lang="zh_CN").name,
            f"{first.with_context(lang='zh_CN').name}（进程 4）",
        )
        self.assertNotEqual(
            first.with_context(lang="zh_CN").name, first.with_context(lang="en_US").name
        )
        # A copy named in one language by an earlier version is named again.
        last.with_context(lang="zh_CN").name = last.with_context(lang="en_US").name
        self.env["ir.cron"]._visit_sync_worker_jobs()
        self.assertEqual(
            last.with_context(lang="zh_CN").name,
            f"{first.with_context(lang='zh_CN').name}（进程 4）",
        )
        self.env["res.config.settings"].create({"visit_generate_workers": 1}).execute()
        jobs = self.env["ir.cron"]._visit_generate_jobs()
        self.assertEqual(jobs.filtered("active").mapped("visit_generate_part"), [0])
        # Back to 2: the second job is switched on again, not copied twice.
        self.env["res.config.settings"].create({"visit_generate_workers": 2}).execute()
        self.assertEqual(self.env["ir.cron"]._visit_generate_jobs(), jobs)
        self.assertEqual(jobs.filtered("active").mapped("visit_generate_part"), [0, 1])
        # A job left from a larger setting does nothing.
        self.assertEqual(self.env["visit.rule"]._cron_generate(part=2), 0)

    def test_a_killed_sampled_run_resumed_equals_a_clean_run(self):
        clean = self._rule(sample_percent=40, sample_seed=3)
        self._run_batches(clean, 3)
        expected = set(clean.plan_ids.mapped("rule_source_id"))
        rule = self._rule(sample_percent=40, sample_seed=3)
        original = VisitRule._generate_sources
        calls = []

        def dying(self_, *args, **kwargs):
            calls.append(1)
            result = original(self_, *args, **kwargs)
            if len(calls) == 2:
                raise Crash()
            return result

        crashed = False
        with patch.object(VisitRule, "_generate_sources", dying):
            try:
                self._run_batches(rule, 3)
            except Crash:
                crashed = True
        self.assertTrue(crashed)
        self._run_batches(rule, 3)
        self.assertEqual(set(rule.plan_ids.mapped("rule_source_id")), expected)
        self.assertEqual(
            rule.sample_ids.read(["population_count", "drawn_count", "expected"])[0]
            | {"id": 0},
            clean.sample_ids.read(["population_count", "drawn_count", "expected"])[0]
            | {"id": 0},
        )

    def _run_batches(self, rule, limit, part=0, parts=1):
        while True:
            with self.env.cr.savepoint():
                _done, remaining = rule._generate_batch(limit, part, parts)
            if not remaining:
                return


@tagged("post_install", "-at_install")
class TestRuleWorkers(VisitCommon):
    """Two workers on one rule, in two real transactions at once: committed
    data, two connections, two threads (cleaned up afterwards)."""

    def test_two_workers_plan_one_rule_at_once_without_duplicates(self):
        registry = self.registry
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partners = env["res.partner"].create(
                [{"name": f"Concurrent {i}"} for i in range(60)]
            )
            stage = env["helpdesk.ticket.stage"].search(
                [("closed", "=", True)], limit=1
            )
            tickets = env["helpdesk.ticket"].create(
                [
                    {
                        "name": f"Concurrent {i}",
                        "description": "<p>Repair</p>",
                        "partner_id": partner.id,
                    }
                    for i, partner in enumerate(partners)
                ]
            )
            tickets.write({"stage_id": stage.id})
            tickets.write({"closed_date": datetime(2027, 3, 1, 1, 0)})
            # A committed user (creating one here would wait for the test's
            # own transaction, which holds rows a new user touches).
            agent = env.ref("base.user_admin")
            rule = env["visit.rule"].create(
                dict(
                    self._rule_vals(
                        [
                            {
                                "delay": 2,
                                "delay_unit": "days",
                                "type_id": env.ref(
                                    "customer_visit.visit_type_repair"
                                ).id,
                            }
                        ],
                        domain=f"[('id', 'in', {tickets.ids})]",
                    ),
                    user_id=agent.id,
                    coverage="sample",
                    sample_percent=50,
                    sample_seed=11,
                )
            )
            ids = {"partners": partners.ids, "tickets": tickets.ids, "rule": rule.id}
            # Seen by the workers' connections: committed, removed at the end.
            cr.commit()  # pylint: disable=invalid-commit
        try:
            barrier = threading.Barrier(2)
            errors, calls = [], []

            def worker(part):
                try:
                    with registry.cursor() as wcr:
                        # The registry given, not looked up: the test runner
                        # holds the lock a lookup takes.
                        wcr.transaction = api.Transaction(registry)
                        wenv = api.Environment(wcr, SUPERUSER_ID, {})
                        barrier.wait(timeout=30)
                        while True:
                            done, remaining = (
                                wenv["visit.rule"]
                                .browse(ids["rule"])
                                ._generate_batch(7, part, 2)
                            )
                            wcr.commit()  # pylint: disable=invalid-commit
                            calls.append((part, done))
                            if not remaining:
                                break
                except Exception as error:  # noqa: BLE001 -- reported below
                    errors.append(repr(error))

            threads = [threading.Thread(target=worker, args=(p,)) for p in (0, 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            self.assertEqual(errors, [])
            # Both worked, each batch in its own transaction.
            self.assertEqual({part for part, _done in calls}, {0, 1})
            with registry.cursor() as cr:
                cr.execute(
                    """SELECT rule_source_id, COUNT(*) FROM visit_plan
                        WHERE rule_id = %s GROUP BY rule_source_id""",
                    [ids["rule"]],
                )
                plans = dict(cr.fetchall())
                cr.execute(
                    """SELECT COUNT(*), COUNT(DISTINCT res_id), SUM(drawn::int)
                         FROM visit_rule_draw_line WHERE rule_id = %s""",
                    [ids["rule"]],
                )
                lines, decided, drawn = cr.fetchone()
            self.assertEqual(set(plans.values()), {1}, "no source planned twice")
            self.assertEqual((lines, decided), (60, 60), "each source decided once")
            self.assertEqual(len(plans), drawn)
            # Two parts of 30, each within one record of 15.
            self.assertTrue(28 <= drawn <= 32, drawn)
        finally:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                rule = env["visit.rule"].browse(ids["rule"])
                env["mail.activity"].search(
                    [
                        ("res_model", "=", "visit.record"),
                        ("res_id", "in", rule.plan_ids.record_ids.ids),
                    ]
                ).unlink()
                rule.plan_ids.record_ids.unlink()
                rule.plan_ids.unlink()
                # A rule that sampled is kept as the audit: the test's own
                # rows go with their counters.
                rule.draw_ids.unlink()
                rule.skip_ids.unlink()
                rule.unlink()
                env["helpdesk.ticket"].browse(ids["tickets"]).unlink()
                env["res.partner"].browse(ids["partners"]).unlink()
                cr.commit()  # pylint: disable=invalid-commit
