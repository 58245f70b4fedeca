from datetime import timedelta

from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestServedIndicators(VisitCommon):
    """The *Served* section of the Indicators page: per person and product
    served, the callback rate of their owed visits (whoever called), the
    satisfaction, the satisfied share and the unsatisfied visits, against
    the person's own targets, else the targets of everybody served."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create(
            {
                "name": "Served Co",
                "resource_calendar_id": cls.env["resource.calendar"]
                .create({"name": "Shanghai", "tz": "Asia/Shanghai"})
                .id,
            }
        )
        cls.follow_up_manager = new_test_user(
            cls.env,
            login="cv_served_manager",
            name="Served Manager",
            groups="customer_visit.group_visit_manager",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.caller = new_test_user(
            cls.env,
            login="cv_served_agent",
            name="Agent Amy",
            groups="customer_visit.group_visit_user",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.tom, cls.ted = cls.env["res.partner"].create(
            [{"name": "Technician Tom"}, {"name": "Technician Ted"}]
        )
        cls.ward = cls.env["hr.department"].create(
            {"name": "Repair team", "company_id": cls.company.id}
        )
        yesterday = cls.now - timedelta(days=1)

        def visit(served, product=False, department=False, **values):
            return cls._create_visit(
                company_id=cls.company.id,
                user_id=cls.caller.id,
                scheduled_date=yesterday,
                served_by_id=served.id if served else False,
                served_product_id=product.id if product else False,
                served_department_id=department.id if department else False,
                **values,
            )

        def done(record, service=False, product=False):
            record.write(
                {
                    "outcome": "reached",
                    "satisfaction_service": service,
                    "satisfaction_product": product,
                }
            )
            record.action_done()

        # One agent calls for both technicians, every visit due yesterday.
        # Tom: 1 done (4 + 3) / 2 = 3.5, 2 done 1 (unsatisfied), 3 planned,
        # 4 failed.
        done(visit(cls.tom, cls.product, cls.ward), "satisfied", "fairly_satisfied")
        done(visit(cls.tom, department=cls.ward), "unsatisfied")
        visit(cls.tom)
        visit(
            cls.tom,
            outcome="not_reached",
            unreached_reason_id=cls.reason("no_answer").id,
        ).action_done()
        # Ted: 5 done 4, 6 done 2, 7 done without a rating.
        done(visit(cls.ted, cls.product, cls.ward), "satisfied")
        done(visit(cls.ted), "basically_satisfied")
        done(visit(cls.ted))
        # 8: nobody named as served, done 4.
        done(visit(False), "satisfied")
        cls.Target = cls.env["visit.target"].with_user(cls.follow_up_manager)

    def _lines(self):
        """The served section's lines, {(indicator, name): line}, as the
        follow-up manager sees the page of the ten days around today."""
        today = self.company._visit_today()
        page = (
            self.env["visit.indicator"]
            .with_user(self.follow_up_manager)
            .get_indicator_page(
                str(today - timedelta(days=10)),
                str(today + timedelta(days=10)),
                company_id=self.company.id,
            )
        )
        self.page = page
        sections = {section["key"]: section for section in page["sections"]}
        return sections, {
            (line["indicator"], line["label"]): line
            for group in sections["served"]["groups"]
            for line in group["lines"]
        }

    def test_figures_per_technician_when_one_agent_calls_for_two(self):
        sections, lines = self._lines()
        figures = {
            key: (line["value"], line["numerator"], line["denominator"])
            for key, line in lines.items()
        }
        # Tom: owed 1, 2, 3, 4, visited 1 and 2: 2 / 4 = 50 %; rated 1 and 2:
        # (3.5 + 1) / 2 = 2.25; satisfied (3 or more) 1 of 2: 50 %; 2 unsatisfied.
        self.assertEqual(
            figures[("served_callback_rate", "Technician Tom")], (50.0, 2, 4)
        )
        self.assertEqual(figures[("served_satisfaction", "Technician Tom")][0], 2.25)
        self.assertEqual(
            figures[("served_satisfied_share", "Technician Tom")], (50.0, 1, 2)
        )
        self.assertEqual(figures[("served_unsatisfied", "Technician Tom")][0], 1)
        # Ted: owed and visited 5, 6, 7: 100 %; rated 5 and 6: (4 + 2) / 2 =
        # 3.0; satisfied 1 of 2: 50 %; none unsatisfied.
        self.assertEqual(
            figures[("served_callback_rate", "Technician Ted")], (100.0, 3, 3)
        )
        self.assertEqual(figures[("served_satisfaction", "Technician Ted")][0], 3.0)
        self.assertEqual(
            figures[("served_satisfied_share", "Technician Ted")], (50.0, 1, 2)
        )
        self.assertEqual(figures[("served_unsatisfied", "Technician Ted")][0], 0)
        # The product of 1 and 5: 2 / 2 visited; (3.5 + 4) / 2 = 3.75; 2 of 2
        # satisfied.
        self.assertEqual(
            figures[("served_callback_rate", "Air conditioner")], (100.0, 2, 2)
        )
        self.assertEqual(figures[("served_satisfaction", "Air conditioner")][0], 3.75)
        self.assertEqual(
            figures[("served_satisfied_share", "Air conditioner")], (100.0, 2, 2)
        )
        # The department of 1, 2 and 5: 3 / 3 visited; (3.5 + 1 + 4) / 3 =
        # 2.83; 2 of 3 satisfied; 1 unsatisfied.
        self.assertEqual(
            figures[("served_callback_rate", "Repair team")], (100.0, 3, 3)
        )
        self.assertEqual(figures[("served_satisfaction", "Repair team")][0], 2.83)
        self.assertEqual(
            figures[("served_satisfied_share", "Repair team")], (66.67, 2, 3)
        )
        self.assertEqual(figures[("served_unsatisfied", "Repair team")][0], 1)
        # Nobody served for 8: no line of its own.
        self.assertEqual(
            {name for _indicator, name in lines},
            {"Technician Tom", "Technician Ted", "Repair team", "Air conditioner"},
        )
        # People first, then departments, then products.
        self.assertEqual(
            [group["label"] for group in sections["served"]["groups"]],
            ["Technician Ted", "Technician Tom", "Repair team", "Air conditioner"],
        )
        # A group per person or product, a line per figure, each opening the
        # cases behind it.
        groups = {group["label"]: group for group in sections["served"]["groups"]}
        self.assertEqual(
            [line["indicator"] for line in groups["Technician Tom"]["lines"]],
            [
                "served_callback_rate",
                "served_satisfaction",
                "served_satisfied_share",
                "served_unsatisfied",
            ],
        )
        Case = self.env["visit.case"].with_user(self.follow_up_manager)
        tom_rate = lines[("served_callback_rate", "Technician Tom")]
        self.assertEqual(Case.search_count(tom_rate["domain"]), 4)
        self.assertEqual(set(Case.search(tom_rate["domain"]).served_by_id), {self.tom})
        tom_unsatisfied = lines[("served_unsatisfied", "Technician Tom")]
        self.assertEqual(Case.search_count(tom_unsatisfied["domain"]), 1)
        ted_rated = lines[("served_satisfied_share", "Technician Ted")]
        self.assertEqual(Case.search_count(ted_rated["domain"]), 2)
        # Beside the agent who called all eight: 6 visited of 8 owed.
        [agent] = [
            line
            for group in sections["agents"]["groups"]
            for line in group["lines"]
            if line["user_id"] == self.caller.id
        ]
        self.assertEqual(
            (agent["value"], agent["numerator"], agent["denominator"]), (75.0, 6, 8)
        )

    def test_a_persons_own_target_before_the_target_of_everybody(self):
        # Everybody served: callback rate at least 90 %, satisfaction 3.
        self.Target.create(
            [
                {"indicator": "served_callback_rate", "value": 90},
                {"indicator": "served_satisfaction", "value": 3},
            ]
        )
        # Tom's own: callback rate at least 50 %, satisfied share 90 %.
        own_rate, own_share = self.Target.create(
            [
                {
                    "indicator": "served_callback_rate",
                    "value": 50,
                    "served_by_id": self.tom.id,
                },
                {
                    "indicator": "served_satisfied_share",
                    "value": 90,
                    "served_by_id": self.tom.id,
                },
            ]
        )
        self.assertEqual(
            own_share.name,
            "Satisfied share per person, department or product served – "
            "Technician Tom ≥ 90 %",
        )
        _sections, lines = self._lines()

        def judged(indicator, name):
            line = lines[(indicator, name)]
            return line["target"], line["status"]

        # Tom: 50 % against his own 50 % (inclusive), not everybody's 90 %.
        self.assertEqual(
            judged("served_callback_rate", "Technician Tom"), (50.0, "met")
        )
        self.assertEqual(
            lines[("served_callback_rate", "Technician Tom")]["target_id"],
            own_rate.id,
        )
        # Tom's satisfied share 50 % misses his 90 %; Ted has no target of it.
        self.assertEqual(
            judged("served_satisfied_share", "Technician Tom"), (90.0, "missed")
        )
        self.assertEqual(
            judged("served_satisfied_share", "Technician Ted"), (None, False)
        )
        # Without a target of his own, Ted is judged on everybody's: 100 %
        # against 90 %, 3.0 against 3 (inclusive); Tom's 2.25 misses it.
        self.assertEqual(
            judged("served_callback_rate", "Technician Ted"), (90.0, "met")
        )
        self.assertEqual(judged("served_satisfaction", "Technician Ted"), (3.0, "met"))
        self.assertEqual(
            judged("served_satisfaction", "Technician Tom"), (3.0, "missed")
        )
        # The product too: 3.75 against 3.
        self.assertEqual(judged("served_satisfaction", "Air conditioner"), (3.0, "met"))
        # Missed: Tom's satisfied share and everybody's satisfaction (once).
        served_missed = {
            line["target_id"] for line in lines.values() if line["is_missed"]
        }
        self.assertEqual(len(served_missed), 2)
        self.assertIn(own_share.id, served_missed)

    def test_a_department_and_a_product_have_targets_of_their_own(self):
        self.Target.create({"indicator": "served_satisfaction", "value": 3})
        ward_share, product_score = self.Target.create(
            [
                {
                    "indicator": "served_satisfied_share",
                    "value": 70,
                    "served_department_id": self.ward.id,
                },
                {
                    "indicator": "served_satisfaction",
                    "value": 3.8,
                    "served_product_id": self.product.id,
                },
            ]
        )
        _sections, lines = self._lines()

        def judged(indicator, name):
            line = lines[(indicator, name)]
            return line["target_id"], line["value"], line["status"]

        # The repair team: visits 1 (3.5), 2 (1) and 5 (4): 2 of 3 at 3 or
        # more = 66.67 %, under its own 70 %; its satisfaction (3.5 + 1 +
        # 4) / 3 = 2.83 is judged on everybody's 3.
        self.assertEqual(
            judged("served_satisfied_share", "Repair team"),
            (ward_share.id, 66.67, "missed"),
        )
        self.assertEqual(
            judged("served_satisfaction", "Repair team")[1:], (2.83, "missed")
        )
        # The air conditioner: visits 1 (3.5) and 5 (4) = 3.75, under its
        # own 3.8 although above everybody's 3; Tom has no share target.
        self.assertEqual(
            judged("served_satisfaction", "Air conditioner"),
            (product_score.id, 3.75, "missed"),
        )
        self.assertEqual(
            judged("served_satisfied_share", "Technician Tom"), (False, 50.0, False)
        )
        self.assertIn("Repair team", ward_share.name)
        # One person, department or product per target.
        with self.assertRefused(ValidationError, "keep one of them"):
            self.Target.create(
                {
                    "indicator": "served_satisfaction",
                    "value": 3,
                    "served_by_id": self.tom.id,
                    "served_department_id": self.ward.id,
                }
            )

    def test_targets_outside_their_scale_or_misplaced_are_refused(self):
        # A satisfaction is 1 to 4, a share 0 to 100 %.
        with self.assertRefused(ValidationError, "from 1 to 4, not 5"):
            self.Target.create(
                {
                    "indicator": "served_satisfaction",
                    "value": 5,
                    "served_by_id": self.tom.id,
                }
            )
        with self.assertRefused(ValidationError, "from 1 to 4, not 0.5"):
            self.Target.create({"indicator": "served_satisfaction", "value": 0.5})
        with self.assertRefused(ValidationError, "from 0 to 100, not -5"):
            self.Target.create({"indicator": "served_callback_rate", "value": -5})
        target = self.Target.create(
            {
                "indicator": "served_satisfied_share",
                "value": 90,
                "served_by_id": self.tom.id,
            }
        )
        with self.assertRefused(ValidationError, "from 0 to 100, not -1"):
            target.value = -1
        # A person only for the served figures; the served figures over
        # every type.
        with self.assertRefused(ValidationError, "target of their own"):
            self.Target.create(
                {
                    "indicator": "agent_callback_rate",
                    "value": 90,
                    "served_by_id": self.tom.id,
                }
            )
        with self.assertRefused(ValidationError, "clear the visit type"):
            self.Target.create(
                {
                    "indicator": "served_callback_rate",
                    "value": 90,
                    "type_id": self.type_plain.id,
                }
            )
        # One target per person and figure; another person's is another.
        self.Target.create(
            {
                "indicator": "served_satisfied_share",
                "value": 80,
                "served_by_id": self.ted.id,
            }
        )
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.Target.create(
                {
                    "indicator": "served_satisfied_share",
                    "value": 95,
                    "served_by_id": self.tom.id,
                }
            )
        self.assertEqual(target.value, 90)

    def test_the_refusal_reads_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["customer_visit"], ["zh_CN"], overwrite=True
        )
        self.follow_up_manager.lang = "zh_CN"
        with self.assertRefused(ValidationError, "超出其量表范围.*1 至 4"):
            self.Target.with_context(lang="zh_CN").create(
                {"indicator": "served_satisfaction", "value": 4.5}
            )

    def test_the_page_is_for_follow_up_managers_only(self):
        sections, lines = self._lines()
        self.assertEqual(
            [section["key"] for section in self.page["sections"]].index("served"),
            [section["key"] for section in self.page["sections"]].index("agents") + 1,
        )
        self.assertTrue(sections["served"]["label"])
        self.assertTrue(lines)
        Indicator = self.env["visit.indicator"].with_user(self.caller)
        with self.assertRefused(UserError, "Only follow-up managers"):
            Indicator.get_indicator_page(company_id=self.company.id)
