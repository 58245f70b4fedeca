import re
from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from odoo.addons.customer_visit.models.visit_indicator import (
    INDICATOR_REGISTRY,
    INDICATORS,
    SECTION_OF,
    SECTION_REGISTRY,
    SECTIONS,
)

from .common import VisitCommon
from .test_signature import png_signature

CHINESE = re.compile("[\u4e00-\u9fff]")


@tagged("post_install", "-at_install")
class TestHouseIndicators(VisitCommon):
    """The indicators are one registry: each figure's label, section, unit
    and help in one place, and one method per section."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_site = cls.env["visit.type"].create(
            {
                "name": "Site",
                "default_channel": "onsite",
                "question_ids": [
                    Command.create({"name": "The engineer?", "answer_kind": "scale4"})
                ],
            }
        )
        cls.company_h = cls.env["res.company"].create(
            {
                "name": "Registry Co",
                "resource_calendar_id": cls.env["resource.calendar"]
                .create({"name": "Shanghai", "tz": "Asia/Shanghai"})
                .id,
            }
        )
        (cls.agent | cls.agent_2 | cls.manager).write(
            {"company_ids": [Command.link(cls.company_h.id)]}
        )
        yesterday = cls.now - timedelta(days=1)

        def visit(visit_type, user, **values):
            return cls._create_visit(
                type_id=visit_type.id,
                user_id=user.id,
                company_id=cls.company_h.id,
                scheduled_date=yesterday,
                **values,
            )

        plain = cls.type_plain
        visit(
            plain,
            cls.agent,
            outcome="reached",
            satisfaction_service="unsatisfied",
            # Whose service was judged: the section of the people served.
            served_by_id=cls.customer.id,
        ).action_done()  # 1
        visit(
            plain,
            cls.agent,
            outcome="not_reached",
            unreached_reason_id=cls.reason("no_answer").id,
        ).action_done()  # 2: failed
        visit(plain, cls.agent_2)  # 3: owed, not visited
        signed = visit(
            cls.type_site,
            cls.agent,
            outcome="reached",
            satisfaction_service="satisfied",
        )
        signed.answer_ids.value_level = "satisfied"
        signed._sign("王建国", png_signature())
        signed.action_done()  # 4
        rule = cls.env["visit.rule"].create(
            cls._rule_vals(company_id=cls.company_h.id, active=True)
        )
        cls.env["visit.rule.skip"].create(
            {
                "rule_id": rule.id,
                "res_id": 1,
                "reason": "no_partner",
                "type_id": plain.id,
                "channel": "phone",
                "due_date": yesterday,
            }
        )  # 5: owed, not planned
        channels = {
            option.value: option
            for option in cls.env["ir.model.fields.selection"].search(
                [
                    ("field_id.model", "=", "visit.record"),
                    ("field_id.name", "=", "channel"),
                ]
            )
        }
        Target = cls.env["visit.target"].with_context(
            default_company_id=cls.company_h.id
        )
        Target.create({"indicator": "callback_rate", "value": 50})
        Target.create(
            {"indicator": "signature_share", "signature_base": "all", "value": 40}
        )
        Target.create(
            {"indicator": "agent_callback_rate", "value": 70, "bonus_value": 74}
        )
        Target.create(
            {
                "indicator": "channel_share",
                "value": 40,
                "channel_ids": [
                    Command.set((channels["phone"] | channels["letter"]).ids)
                ],
            }
        )

    def _period(self):
        today = self.company_h._visit_today()
        return today - timedelta(days=10), today + timedelta(days=10)

    def test_every_indicator_has_a_label_a_section_and_help_in_english(self):
        Indicator = self.env["visit.indicator"].with_user(self.manager)
        labels = Indicator._indicator_labels()
        sections = Indicator._section_labels()
        self.assertEqual(
            [key for key, _label in SECTIONS],
            [s.key for s in sorted(SECTION_REGISTRY, key=lambda s: s.sequence)],
        )
        self.assertEqual(
            set(SECTION_OF), {indicator.key for indicator in INDICATOR_REGISTRY}
        )
        self.assertEqual(
            [key for key, _label in INDICATORS],
            [
                key
                for key, _label in self.env["visit.target"]
                ._fields["indicator"]
                ._description_selection(self.env)
            ],
        )
        for section in SECTION_REGISTRY:
            with self.subTest(section=section.key):
                self.assertTrue(sections[section.key])
                self.assertTrue(hasattr(Indicator, f"_figures_{section.key}"))
        for indicator in INDICATOR_REGISTRY:
            with self.subTest(indicator=indicator.key):
                self.assertTrue(labels[indicator.key])
                self.assertIn(indicator.section, sections)
                self.assertIn(indicator.unit, ("percent", "count", "days", "score"))
                self.assertTrue(self.env._(indicator.help))

    def test_every_indicator_reads_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["customer_visit"], ["zh_CN"], overwrite=True
        )
        env_zh = self.env(context=dict(self.env.context, lang="zh_CN"))
        Indicator = env_zh["visit.indicator"].with_user(self.manager)
        labels = Indicator._indicator_labels()
        sections = Indicator._section_labels()
        for section in SECTION_REGISTRY:
            with self.subTest(section=section.key):
                self.assertRegex(sections[section.key], CHINESE)
        for indicator in INDICATOR_REGISTRY:
            with self.subTest(indicator=indicator.key):
                self.assertRegex(labels[indicator.key], CHINESE)
                self.assertRegex(env_zh._(indicator.help), CHINESE)

    def test_figures_are_the_same_section_by_section(self):
        """The page (as the manager sees it) shows what each section's method
        computes alone, in the registry's order."""
        date_from, date_to = self._period()
        Indicator = self.env["visit.indicator"].with_user(self.manager)
        page = Indicator.get_indicator_page(
            date_from, date_to, company_id=self.company_h.id
        )
        self.assertEqual(
            [section["key"] for section in page["sections"]],
            [key for key, _label in SECTIONS],
        )
        Indicator = Indicator.with_company(self.company_h)
        company = self.company_h.with_env(Indicator.env)
        domain = Indicator._period_domain(date_from, date_to, company)
        year_domain = Indicator._period_domain(
            date_to.replace(month=1, day=1), date_to, company
        )
        dispatch_domain = Indicator._period_domain(
            date_from, date_to, company, day="dispatch_day"
        )
        shown = {
            section["key"]: [
                {
                    key: value
                    for key, value in line.items()
                    if key not in ("id", "indicator_label")
                }
                for group in section["groups"]
                for line in group["lines"]
            ]
            for section in page["sections"]
        }
        computed = []
        for section in SECTION_REGISTRY:
            lines = Indicator._compute_domain(
                domain,
                company,
                year_domain=year_domain,
                dispatch_domain=dispatch_domain,
                sections=[section.key],
            )
            with self.subTest(section=section.key):
                self.assertTrue(lines)
                # The page groups a section's lines per figure (the items'
                # distributions, then their averages...): the same lines.
                self.assertEqual(
                    sorted(lines, key=repr), sorted(shown[section.key], key=repr)
                )
                for line in lines:
                    self.assertEqual(line["section"], section.key)
            computed += lines
        # The lines come out section after section, as the ledger prints them.
        self.assertEqual(computed, Indicator._compute(date_from, date_to, company))
        figures = {(line["indicator"], line["label"]): line for line in computed}
        # Owed: 1, 2, 3, 4 and the skipped case 5; visited: 1 and 4.
        callback = figures[("callback_rate", "All types")]
        self.assertEqual(
            (callback["value"], callback["numerator"], callback["denominator"]),
            (40.0, 2, 5),
        )
        self.assertEqual(callback["status"], "missed")
        # Attempted 1, 2, 4; reached 1 and 4.
        self.assertEqual(figures[("success_rate", "All types")]["value"], 66.67)
        # Alice owes 1, 2, 4 and visited 1 and 4: under the 70 % floor.
        alice = figures[("agent_callback_rate", "Agent Alice")]
        self.assertEqual((alice["value"], alice["status"]), (66.67, "missed"))
        # Signed: 4 of the visits done 1 and 4.
        signed = figures[("signature_share", "All visits done")]
        self.assertEqual((signed["value"], signed["status"]), (50.0, "met"))
        # Phone + letter: 1 of 2 done, above the 40 % ceiling.
        share = figures[("channel_share", "Phone call + Letter")]
        self.assertEqual((share["value"], share["status"]), (50.0, "missed"))
        # Service rated 1 (unsatisfied) and 4 (satisfied).
        self.assertEqual(
            figures[("satisfaction", "All aspects and counted items")]["value"], 2.5
        )
        # The callback, agent and channel share targets.
        self.assertEqual(page["missed_count"], 3)
