import io
from datetime import timedelta

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import VisitCommon

# The 4-level scale, best first.
LEVELS = ("satisfied", "fairly_satisfied", "basically_satisfied", "unsatisfied")


def card_level(item, visit):
    """The answer of the ``visit``-th card (0-19) to the item ``item``
    (1-10): the first ``item`` cards answer Unsatisfied, the next 2
    Basically satisfied, the next 3 Fairly satisfied, the rest (15 - item)
    Satisfied."""
    if visit < item:
        return "unsatisfied"
    if visit < item + 2:
        return "basically_satisfied"
    if visit < item + 5:
        return "fairly_satisfied"
    return "satisfied"


class ItemStatisticsCommon(VisitCommon):
    """A company of its own (Shanghai) with a power utility's 10-item card on
    the 4-level scale answered by 20 customers, and a clinic's
    recommendation (0-10) and yes/no items answered by 10."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_t = cls.env["res.company"].create(
            {
                "name": "Item Co",
                "resource_calendar_id": cls.env["resource.calendar"]
                .create({"name": "Shanghai", "tz": "Asia/Shanghai"})
                .id,
            }
        )
        (cls.agent | cls.manager).write(
            {"company_ids": [Command.link(cls.company_t.id)]}
        )
        cls.type_card = cls.env["visit.type"].create(
            {
                "name": "Power card",
                "default_channel": "phone",
                "question_ids": [
                    Command.create(
                        {
                            "name": f"Item {item}",
                            "sequence": item,
                            "answer_kind": "scale4",
                        }
                    )
                    for item in range(1, 11)
                ],
            }
        )
        cls.type_clinic = cls.env["visit.type"].create(
            {
                "name": "Clinic",
                "default_channel": "phone",
                "question_ids": [
                    Command.create(
                        {"name": "Recommend us?", "sequence": 1, "answer_kind": "nps"}
                    ),
                    Command.create(
                        {
                            "name": "Did the nurse explain your medication?",
                            "sequence": 2,
                            "answer_kind": "yes_no",
                        }
                    ),
                ],
            }
        )
        # A company scoring its own card drops the four aspects it starts with.
        (cls.type_card | cls.type_clinic).question_ids.filtered("aspect").unlink()
        cls.items = cls.type_card.question_ids.sorted("sequence")
        cls.nps_item, cls.nurse_item = cls.type_clinic.question_ids.sorted("sequence")
        cls.cards = cls._answered(
            cls.type_card,
            [
                {f"Item {item}": card_level(item, visit) for item in range(1, 11)}
                for visit in range(20)
            ],
        )
        # 3 promoters, 5 passives, 2 detractors; 7 yes, 3 no.
        points = ["10", "9", "9", "8", "8", "7", "7", "7", "6", "0"]
        cls.clinic = cls._answered(
            cls.type_clinic,
            [
                {
                    "Recommend us?": point,
                    "Did the nurse explain your medication?": "yes"
                    if index < 7
                    else "no",
                }
                for index, point in enumerate(points)
            ],
        )

    @classmethod
    def _answered(cls, visit_type, cards, done=True, **values):
        """Visits of ``visit_type`` of the company due yesterday, each with
        the answers of its card ({question name: value}), done."""
        visits = cls.env["visit.record"].create(
            [
                cls._visit_vals(
                    type_id=visit_type.id,
                    user_id=cls.agent.id,
                    company_id=cls.company_t.id,
                    scheduled_date=cls.now - timedelta(days=1),
                    outcome="reached",
                    **values,
                )
                for _card in cards
            ]
        )
        for visit, card in zip(visits, cards, strict=True):
            for answer in visit.answer_ids:
                value = card.get(answer.question_id.name)
                if value is None:
                    continue
                fname = {
                    "scale4": "value_level",
                    "nps": "value_nps",
                    "yes_no": "value_yes_no",
                }[answer.question_id.answer_kind]
                answer.write({fname: value})
        if done:
            visits.action_done()
        return visits

    def _period(self):
        today = self.company_t._visit_today()
        return today - timedelta(days=10), today + timedelta(days=10)

    def _lines(self, user=None):
        """The items section's lines of the period, as ``user`` (the
        manager) computes them."""
        Indicator = (
            self.env["visit.indicator"]
            .with_user(user or self.manager)
            .with_company(self.company_t)
        )
        company = self.company_t.with_env(Indicator.env)
        domain = Indicator._period_domain(*self._period(), company)
        return Indicator._compute_domain(domain, company, sections={"items"})

    def _line(self, lines, indicator, question=None, visit_type=None):
        found = [
            line
            for line in lines
            if line["indicator"] == indicator
            and line.get("question_id", False) == (question.id if question else False)
            and (visit_type is None or line["type_id"] == visit_type.id)
        ]
        self.assertEqual(len(found), 1, f"{indicator} {question and question.name}")
        return found[0]

    def _distribution(self, lines, question):
        return {
            line["level"]: (line["value"], line["share"])
            for line in lines
            if line["indicator"] == "item_distribution"
            and line.get("question_id") == question.id
        }


@tagged("post_install", "-at_install")
class TestItemStatisticsFigures(ItemStatisticsCommon):
    """Each item's distribution, average, satisfied share and NPS, worked
    out by hand."""

    def test_ten_item_card_on_the_4_level_scale_over_20_answers(self):
        lines = self._lines()
        # Item k: k unsatisfied, 2 basically, 3 fairly, 15 - k satisfied:
        # satisfied share (3 + 15 - k) / 20, average (73 - 3k) / 20.
        satisfied_shares = [85.0, 80.0, 75.0, 70.0, 65.0, 60.0, 55.0, 50.0, 45.0, 40.0]
        averages = [3.5, 3.35, 3.2, 3.05, 2.9, 2.75, 2.6, 2.45, 2.3, 2.15]
        for index, item in enumerate(self.items):
            with self.subTest(item=item.name):
                share = self._line(lines, "item_satisfied_share", item)
                self.assertEqual(share["value"], satisfied_shares[index])
                self.assertEqual(share["denominator"], 20)
                self.assertEqual(
                    self._line(lines, "item_average", item)["value"], averages[index]
                )
        self.assertEqual(
            self._distribution(lines, self.items[0]),
            {
                "Satisfied": (14, 70.0),
                "Fairly satisfied": (3, 15.0),
                "Basically satisfied": (2, 10.0),
                "Unsatisfied": (1, 5.0),
            },
        )
        self.assertEqual(
            self._distribution(lines, self.items[3]),
            {
                "Satisfied": (11, 55.0),
                "Fairly satisfied": (3, 15.0),
                "Basically satisfied": (2, 10.0),
                "Unsatisfied": (4, 20.0),
            },
        )
        self.assertEqual(
            self._distribution(lines, self.items[9]),
            {
                "Satisfied": (5, 25.0),
                "Fairly satisfied": (3, 15.0),
                "Basically satisfied": (2, 10.0),
                "Unsatisfied": (10, 50.0),
            },
        )
        # The card as a whole: (17+16+...+8) = 125 satisfied of 200 answers.
        whole = self._line(lines, "item_satisfied_share", visit_type=self.type_card)
        self.assertEqual((whole["numerator"], whole["denominator"]), (125, 200))
        self.assertEqual(whole["value"], 62.5)
        # No NPS on a card without a 0-10 item.
        self.assertFalse(
            [
                line
                for line in lines
                if line["indicator"] == "item_nps"
                and line["type_id"] == self.type_card.id
            ]
        )

    def test_nps_over_a_hand_made_set(self):
        lines = self._lines()
        # 3 promoters, 2 detractors of 10: (3 - 2) / 10 = 10.
        self.assertEqual(self._line(lines, "item_nps", self.nps_item)["value"], 10.0)
        self.assertEqual(
            self._line(lines, "item_nps", visit_type=self.type_clinic)["value"], 10.0
        )
        # (10 + 9 + 9 + 8 + 8 + 7 + 7 + 7 + 6 + 0) / 10
        self.assertEqual(self._line(lines, "item_average", self.nps_item)["value"], 7.1)
        self.assertEqual(
            self._line(lines, "item_satisfied_share", self.nps_item)["value"], 30.0
        )
        distribution = self._distribution(lines, self.nps_item)
        self.assertEqual(distribution["10"], (1, 10.0))
        self.assertEqual(distribution["9"], (2, 20.0))
        self.assertEqual(distribution["7"], (3, 30.0))
        self.assertEqual(distribution["5"], (0, 0.0))
        self.assertEqual(len(distribution), 11)
        # A yes/no item: its distribution only.
        self.assertEqual(
            self._distribution(lines, self.nurse_item),
            {"Yes": (7, 70.0), "No": (3, 30.0)},
        )
        for indicator in ("item_average", "item_satisfied_share", "item_nps"):
            self.assertFalse(
                [
                    line
                    for line in lines
                    if line["indicator"] == indicator
                    and line.get("question_id") == self.nurse_item.id
                ]
            )

    def test_skipped_answers_and_undone_visits_are_not_counted(self):
        skipped = self._answered(
            self.type_card,
            [{f"Item {item}": "unsatisfied" for item in range(1, 11)}],
        )
        skipped.answer_ids.sudo().write({"is_skipped": True})
        self._answered(
            self.type_card,
            [{f"Item {item}": "unsatisfied" for item in range(1, 11)}],
            done=False,
        )
        lines = self._lines()
        first = self._line(lines, "item_satisfied_share", self.items[0])
        self.assertEqual((first["numerator"], first["denominator"]), (17, 20))
        self.assertEqual(self._distribution(lines, self.items[0])["Unsatisfied"][0], 1)
        self.assertEqual(
            self.env["visit.answer.analysis"].search_count(
                [("record_id", "in", skipped.ids)]
            ),
            0,
        )

    def test_the_indicators_page_shows_a_table_per_type_with_its_items(self):
        date_from, date_to = self._period()
        page = (
            self.env["visit.indicator"]
            .with_user(self.manager)
            .get_indicator_page(date_from, date_to, company_id=self.company_t.id)
        )
        section = next(s for s in page["sections"] if s["key"] == "items")
        tables = {table["label"]: table for table in section["item_types"]}
        self.assertEqual(set(tables), {"Power card", "Clinic"})
        card = tables["Power card"]["items"]
        self.assertEqual([row["label"] for row in card[:10]], self.items.mapped("name"))
        self.assertEqual(card[0]["satisfied"]["value"], 85.0)
        self.assertEqual(card[0]["average"]["scale"], 4)
        self.assertEqual(len(card[0]["distribution"]), 4)
        self.assertEqual(card[-1]["label"], "All items")
        # Each figure opens the answers behind it.
        line = card[9]["satisfied"]
        self.assertEqual(line["model"], "visit.answer.analysis")
        answers = self.env["visit.answer.analysis"].with_user(self.manager)
        self.assertEqual(
            answers.with_company(self.company_t).search_count(line["domain"]), 20
        )
        clinic = tables["Clinic"]["items"]
        self.assertEqual(clinic[0]["nps"]["value"], 10.0)
        self.assertIsNone(clinic[1]["average"])


@tagged("post_install", "-at_install")
class TestItemStatisticsAccess(ItemStatisticsCommon):
    """The answers' analysis: a manager reads it in a pivot; an agent does
    not, as for the cases."""

    def test_a_manager_reads_the_answers_in_a_pivot(self):
        Analysis = (
            self.env["visit.answer.analysis"]
            .with_user(self.manager)
            .with_company(self.company_t)
        )
        groups = Analysis.read_group(
            [("question_id", "=", self.items[1].id)],
            ["answer_count:sum", "score:avg", "satisfied_rate:avg"],
            ["level"],
            lazy=False,
        )
        by_level = {group["level"]: group["answer_count"] for group in groups}
        # Item 2: 2 unsatisfied, 2 basically, 3 fairly, 13 satisfied.
        self.assertEqual(
            by_level,
            {
                "satisfied": 13,
                "fairly_satisfied": 3,
                "basically_satisfied": 2,
                "unsatisfied": 2,
            },
        )
        total = Analysis.read_group(
            [("question_id", "=", self.items[1].id)],
            ["score:avg", "satisfied_rate:avg", "answer_count:sum"],
            [],
        )[0]
        self.assertAlmostEqual(total["score"], 3.35)
        self.assertAlmostEqual(total["satisfied_rate"], 80.0)
        nps = Analysis.read_group(
            [("question_id", "=", self.nps_item.id)], ["nps_point:avg"], []
        )[0]
        self.assertAlmostEqual(nps["nps_point"], 10.0)

    def test_an_agent_may_not_read_the_answers_analysis(self):
        Analysis = self.env["visit.answer.analysis"].with_user(self.agent)
        with self.assertRaises(AccessError):
            Analysis.read_group([], ["answer_count:sum"], ["question_id"])
        with self.assertRaises(AccessError):
            Analysis.search([])

    def test_another_companys_manager_sees_none_of_its_answers(self):
        Analysis = self.env["visit.answer.analysis"].with_user(self.manager_b)
        self.assertEqual(
            Analysis.search_count([("record_id", "in", self.cards.ids)]), 0
        )


@tagged("post_install", "-at_install")
class TestItemStatisticsTargets(ItemStatisticsCommon):
    """Targets of the items' average, satisfied share and NPS, per type and
    per item, on each one's scale."""

    def _target(self, **values):
        return (
            self.env["visit.target"]
            .with_user(self.manager)
            .with_company(self.company_t)
            .create(dict({"company_id": self.company_t.id}, **values))
        )

    def test_targets_per_item_and_per_type_are_met_or_missed(self):
        self._target(
            indicator="item_satisfied_share", type_id=self.type_card.id, value=50
        )
        per_item = self._target(
            indicator="item_satisfied_share", question_id=self.items[0].id, value=90
        )
        self.assertEqual(per_item.type_id, self.type_card)
        self._target(indicator="item_nps", question_id=self.nps_item.id, value=10)
        self._target(indicator="item_average", question_id=self.items[3].id, value=3)
        lines = self._lines()
        # Item 1: 85 % under its own floor of 90 %.
        first = self._line(lines, "item_satisfied_share", self.items[0])
        self.assertEqual((first["target"], first["status"]), (90.0, "missed"))
        # Item 8: 50 % meets the card's floor (inclusive); item 9 misses it.
        self.assertEqual(
            self._line(lines, "item_satisfied_share", self.items[7])["status"], "met"
        )
        self.assertEqual(
            self._line(lines, "item_satisfied_share", self.items[8])["status"],
            "missed",
        )
        # NPS 10 meets a floor of 10; item 4's average 3.05 meets 3.
        self.assertEqual(self._line(lines, "item_nps", self.nps_item)["status"], "met")
        self.assertEqual(
            self._line(lines, "item_average", self.items[3])["status"], "met"
        )
        # The card's floor (items 9, 10 missed) and item 1's: 2 targets.
        self.assertEqual(self.env["visit.indicator"]._missed_target_count(lines), 2)

    def test_targets_outside_their_scale_are_refused(self):
        for values in (
            # An average of the 4-level scale goes from 1 to 4.
            {
                "indicator": "item_average",
                "question_id": self.items[0].id,
                "value": 4.5,
            },
            {
                "indicator": "item_average",
                "question_id": self.items[0].id,
                "value": 0.5,
            },
            # A share from 0 to 100.
            {
                "indicator": "item_satisfied_share",
                "type_id": self.type_card.id,
                "value": -5,
            },
            # An average of 0-10 points at most 10.
            {"indicator": "item_average", "question_id": self.nps_item.id, "value": 11},
            # A callback rate is a percentage.
            {"indicator": "callback_rate", "value": -1},
        ):
            with (
                self.subTest(values=values),
                self.assertRefused(ValidationError, "outside its scale"),
            ):
                self._target(**values)
        # An NPS goes down to -100.
        target = self._target(
            indicator="item_nps", question_id=self.nps_item.id, value=-100
        )
        self.assertEqual(target.name, "NPS per item – Clinic – Recommend us? ≥ -100")
        with self.assertRefused(ValidationError, "has no NPS"):
            self._target(indicator="item_nps", question_id=self.items[0].id, value=0)
        with self.assertRefused(ValidationError, "not rated"):
            self._target(
                indicator="item_satisfied_share",
                question_id=self.nurse_item.id,
                value=50,
            )
        with self.assertRefused(ValidationError, "per item"):
            self._target(
                indicator="callback_rate", question_id=self.items[0].id, value=50
            )


@tagged("post_install", "-at_install")
class TestItemStatisticsReports(ItemStatisticsCommon):
    """The monthly report's tables and the ledger's columns of the items."""

    def test_the_monthly_report_has_a_table_per_type_with_bars(self):
        date_from, date_to = self._period()
        html = (
            self.env["ir.actions.report"]
            .with_user(self.manager)
            .with_company(self.company_t)
            ._render_qweb_html(
                "customer_visit.visit_monthly_report",
                self.company_t.ids,
                data={"date_from": str(date_from), "date_to": str(date_to)},
            )[0]
            .decode()
        )
        self.assertIn("Evaluation items", html)
        self.assertIn("o_visit_item_table", html)
        self.assertIn("Item 10", html)
        self.assertIn("Did the nurse explain your medication?", html)
        # Item 1's Satisfied share of its bar: 70 % of 200 px.
        self.assertIn("width: 140.0px", html)
        # Item 10's satisfied share: 40 % of 80 px.
        self.assertIn("width: 32.0px", html)

    def test_the_ledger_has_a_column_per_item(self):
        visits = self.cards[:2] | self.clinic[:1]
        data = (
            self.env["visit.ledger"]
            .with_user(self.manager)
            .with_company(self.company_t)
            ._xlsx([("id", "in", visits.ids)])
        )
        sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[1]
        header = [cell.value for cell in sheet[2]]
        self.assertIn("Power card – Item 1", header)
        self.assertIn("Power card – Item 10", header)
        self.assertIn("Clinic – Recommend us?", header)
        rows = {
            row[0]: dict(zip(header, row, strict=False))
            for row in sheet.iter_rows(min_row=3, values_only=True)
        }
        first = rows[self.cards[0].name]
        # Card 0 answers Unsatisfied to every item; card 1 Basically
        # satisfied to item 1 (one unsatisfied only) and Unsatisfied to item 2.
        self.assertEqual(first["Power card – Item 1"], "Unsatisfied")
        second = rows[self.cards[1].name]
        self.assertEqual(second["Power card – Item 1"], "Basically satisfied")
        self.assertEqual(second["Power card – Item 2"], "Unsatisfied")
        clinic = rows[self.clinic[0].name]
        self.assertEqual(clinic["Clinic – Recommend us?"], 10)
        self.assertEqual(
            clinic["Clinic – Did the nurse explain your medication?"], "Yes"
        )
        self.assertIsNone(clinic["Power card – Item 1"])


@tagged("post_install", "-at_install")
class TestItemStatisticsQueries(ItemStatisticsCommon):
    """The items' statistics cost the same queries for 2 or 20 visits."""

    def test_item_statistics_cost_the_same_queries_for_2_or_20_visits(self):
        Indicator = (
            self.env["visit.indicator"]
            .with_user(self.manager)
            .with_company(self.company_t)
        )
        company = self.company_t.with_env(Indicator.env)
        today = company._visit_today()
        period = Indicator._period_domain(
            today - timedelta(days=5), today + timedelta(days=5), company
        )
        counts = []
        for size in (2, 20):
            visit_type = self.env["visit.type"].create(
                {
                    "name": f"Card of {size}",
                    "question_ids": [
                        Command.create({"name": f"Q{i}", "answer_kind": "scale4"})
                        for i in range(10)
                    ],
                }
            )
            visit_type.question_ids.filtered("aspect").unlink()
            visits = self.env["visit.record"].create(
                [
                    self._visit_vals(
                        type_id=visit_type.id,
                        company_id=self.company_t.id,
                        user_id=self.agent.id,
                        scheduled_date=self.now - timedelta(days=1),
                        outcome="reached",
                    )
                    for _i in range(size)
                ]
            )
            visits.answer_ids.write({"value_level": "satisfied"})
            visits.action_done()
            domain = period + [("type_id", "=", visit_type.id)]
            # Warm the ormcaches, then count from a cold record cache: the
            # targets, the answers' GROUP BY, the types' and the items' names.
            self.env.flush_all()
            self.env.invalidate_all()
            Indicator._compute_domain(domain, company, sections={"items"})
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            lines = Indicator._compute_domain(domain, company, sections={"items"})
            counts.append(self.cr.sql_log_count - before)
            self.assertEqual(
                [
                    line["denominator"]
                    for line in lines
                    if line["indicator"] == "item_satisfied_share"
                ],
                [size] * 10 + [size * 10],
            )
        self.assertEqual(counts, [4, 4])
        self.env.invalidate_all()
        with self.assertQueryCount(counts[1]):
            Indicator._compute_domain(domain, company, sections={"items"})
