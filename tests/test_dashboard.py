import json
import re
from datetime import timedelta

from odoo import Command
from odoo.tests import tagged
from odoo.tools import file_open
from odoo.tools.translate import code_translations, extract_spreadsheet_terms

from .common import VisitCommon

DASHBOARD_FILE = "customer_visit/data/files/followup_dashboard.json"
SAMPLE_FILE = "customer_visit/data/files/followup_sample_dashboard.json"
FIELD_ATTRIBUTES = ["type", "groupable", "aggregator", "selection", "relation"]


@tagged("post_install", "-at_install")
class TestVisitDashboard(VisitCommon):
    """The Follow-ups spreadsheet dashboard: shipped, restricted, and every
    pivot, list and chart of it reads fields that exist, so that renaming a
    field breaks this test rather than the dashboard."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dashboard = cls.env.ref("customer_visit.spreadsheet_dashboard_followup")
        with file_open(DASHBOARD_FILE) as handle:
            cls.data = json.load(handle)
        # A company of its own: the figures must not include demo visits.
        cls.company_d = cls.env["res.company"].create({"name": "Dashboard Co"})
        (cls.agent | cls.manager).write(
            {"company_ids": [Command.link(cls.company_d.id)]}
        )
        past = cls.now - timedelta(days=2)
        # An evaluation item, answered once: the dashboard's item pivot.
        cls.type_plain.question_ids = [
            Command.create({"name": "The engineer?", "answer_kind": "scale4"})
        ]

        def visit(state, level=None, **values):
            rec = cls._create_visit(
                user_id=cls.agent.id,
                company_id=cls.company_d.id,
                scheduled_date=past,
                **values,
            )
            if level:
                rec.answer_ids.value_level = level
            if state == "done":
                rec.action_done()
            return rec

        visit(
            "done",
            level="fairly_satisfied",
            outcome="reached",
            channel="phone",
            satisfaction_service="satisfied",
            satisfaction_product="fairly_satisfied",
        )
        visit(
            "done",
            outcome="not_reached",
            channel="phone",
            unreached_reason_id=cls.reason("no_answer").id,
        )
        visit("planned", channel="onsite")
        cls.problem = visit(
            "done",
            outcome="reached",
            channel="phone",
            satisfaction_result="unsatisfied",
            problem_description="Refund?",
        )
        rule = cls.env["visit.rule"].create(cls._rule_vals(company_id=cls.company_d.id))
        cls.env["visit.rule.skip"].create(
            {
                "rule_id": rule.id,
                "res_id": cls.ticket.id,
                "reason": "no_partner",
                "due_date": past,
            }
        )
        cls.env["visit.target"].create(
            [
                {
                    "company_id": cls.company_d.id,
                    "indicator": "callback_rate",
                    "value": 95,
                },
                {
                    "company_id": cls.company_d.id,
                    "indicator": "success_rate",
                    "value": 90,
                },
            ]
        )

    def _fields(self, model):
        self.assertIn(
            model, self.env, f"the dashboard reads model {model}, which does not exist"
        )
        return self.env[model].fields_get(attributes=FIELD_ATTRIBUTES)

    def _assert_domain(self, model, domain, where):
        fields = self._fields(model)
        for leaf in domain:
            if not isinstance(leaf, list):
                continue
            fname, _operator, value = leaf
            self.assertIn(
                fname, fields, f"{where}: domain field {model}.{fname} does not exist"
            )
            if fields[fname]["type"] == "selection":
                keys = {key for key, _label in fields[fname]["selection"]}
                values = value if isinstance(value, list) else [value]
                self.assertLessEqual(
                    set(values) - {False},
                    keys,
                    f"{where}: {model}.{fname} has no such value",
                )

    def _assert_groupby(self, model, groupby, where):
        fields = self._fields(model)
        fname = groupby.split(":")[0]
        self.assertIn(
            fname, fields, f"{where}: group by {model}.{fname}, which does not exist"
        )
        self.assertTrue(
            fields[fname]["groupable"], f"{where}: {model}.{fname} is not groupable"
        )

    def _assert_measure(self, model, fname, aggregator, where):
        fields = self._fields(model)
        self.assertIn(fname, fields, f"{where}: measure {model}.{fname} does not exist")
        self.assertTrue(
            fields[fname].get("aggregator"),
            f"{where}: measure {model}.{fname} has no aggregator",
        )
        if aggregator:
            self.assertIn(
                aggregator, ("sum", "avg", "min", "max", "count", "count_distinct")
            )

    def _odoo_charts(self, data):
        return [
            figure["data"]
            for sheet in data["sheets"]
            for figure in sheet["figures"]
            if figure["tag"] == "chart" and figure["data"]["type"].startswith("odoo_")
        ]

    def _read_pivot(self, pivot, env):
        domain = pivot["domain"] + [("company_id", "=", self.company_d.id)]
        rows = [
            f"{row['fieldName']}:{row['granularity']}"
            if row.get("granularity")
            else row["fieldName"]
            for row in pivot["rows"] + pivot["columns"]
        ]
        aggregates = [f"{m['fieldName']}:{m['aggregator']}" for m in pivot["measures"]]
        return env[pivot["model"]]._read_group(domain, rows, aggregates)

    def test_dashboard_is_published_for_visit_managers_only(self):
        self.assertTrue(self.dashboard.is_published)
        self.assertEqual(
            self.dashboard.group_ids, self.env.ref("customer_visit.group_visit_manager")
        )
        self.assertEqual(
            set(self.dashboard.main_data_model_ids.mapped("model")),
            {"visit.record", "visit.case"},
        )
        self.assertEqual(json.loads(self.dashboard.spreadsheet_data), self.data)
        Dashboard = self.env["spreadsheet.dashboard"]
        self.assertIn(self.dashboard, Dashboard.with_user(self.manager).search([]))
        self.assertNotIn(self.dashboard, Dashboard.with_user(self.agent).search([]))

    def test_every_pivot_list_and_chart_reads_existing_fields(self):
        pivots, lists = self.data["pivots"], self.data["lists"]
        self.assertTrue(pivots and lists and self._odoo_charts(self.data))
        for pivot_id, pivot in pivots.items():
            where, model = f"pivot {pivot_id} ({pivot['name']})", pivot["model"]
            self._assert_domain(model, pivot["domain"], where)
            for row in pivot["rows"] + pivot["columns"]:
                self._assert_groupby(model, row["fieldName"], where)
            for measure in pivot["measures"]:
                self._assert_measure(
                    model, measure["fieldName"], measure["aggregator"], where
                )
                self.assertEqual(
                    measure["id"], f"{measure['fieldName']}:{measure['aggregator']}"
                )
        for list_id, spec in lists.items():
            where, model = f"list {list_id} ({spec['name']})", spec["model"]
            fields = self._fields(model)
            self._assert_domain(model, spec["domain"], where)
            for fname in spec["columns"] + [order["name"] for order in spec["orderBy"]]:
                self.assertIn(
                    fname, fields, f"{where}: column {model}.{fname} does not exist"
                )
        for chart in self._odoo_charts(self.data):
            model = chart["metaData"]["resModel"]
            where = f"chart {chart['type']} of {model}"
            self._assert_domain(model, chart["searchParams"]["domain"], where)
            for groupby in chart["metaData"]["groupBy"]:
                self._assert_groupby(model, groupby, where)
            self._assert_measure(model, chart["metaData"]["measure"], None, where)
        # Global filters match fields of the right kind on every data source.
        filters = {f["id"]: f for f in self.data["globalFilters"]}
        sources = [(p["model"], p) for p in pivots.values()] + [
            (s["model"], s) for s in lists.values()
        ]
        sources += [
            (c["metaData"]["resModel"], c) for c in self._odoo_charts(self.data)
        ]
        for model, source in sources:
            fields = self._fields(model)
            for filter_id, matching in source.get("fieldMatching", {}).items():
                self.assertIn(filter_id, filters)
                field = fields.get(matching["chain"])
                self.assertTrue(
                    field,
                    f"filter on {model}.{matching['chain']}, which does not exist",
                )
                self.assertEqual(field["type"], matching["type"])
                if filters[filter_id]["type"] == "relation":
                    self.assertEqual(field["relation"], filters[filter_id]["modelName"])

    def test_every_formula_points_at_a_defined_measure_or_column(self):
        pivots, lists = self.data["pivots"], self.data["lists"]
        cells = [
            cell.get("content", "")
            for sheet in self.data["sheets"]
            for cell in sheet["cells"].values()
        ]
        found = 0
        for content in cells:
            for pivot_id, measure in re.findall(
                r'PIVOT\.VALUE\((\d+),"([^"]+)"', content
            ):
                found += 1
                self.assertIn(
                    measure, {m["id"] for m in pivots[pivot_id]["measures"]}, content
                )
            for pivot_id, dimension in re.findall(
                r'PIVOT\.HEADER\((\d+),"#?([^"]+)"', content
            ):
                found += 1
                rows = pivots[pivot_id]["rows"] + pivots[pivot_id]["columns"]
                names = {r["fieldName"] for r in rows} | {
                    f"{r['fieldName']}:{r['granularity']}"
                    for r in rows
                    if r.get("granularity")
                }
                self.assertIn(dimension, names, content)
            for list_id, fname in re.findall(
                r'ODOO\.LIST\((\d+),\d+,"([^"]+)"', content
            ):
                found += 1
                self.assertIn(fname, lists[list_id]["columns"], content)
        self.assertGreater(found, 50)

    def test_dashboard_data_reads_for_a_manager(self):
        env = self.env(
            user=self.manager, context={"allowed_company_ids": [self.company_d.id]}
        )
        groups = {
            pivot_id: self._read_pivot(pivot, env)
            for pivot_id, pivot in self.data["pivots"].items()
        }
        for pivot_id, groups_read in groups.items():
            self.assertTrue(groups_read, f"pivot {pivot_id} reads no row")
        # totals: 5 cases owed (4 visits due + 1 not planned), 2 visited, 3 attempted
        ((owed, visited, attempted, reached, score, product, *_rest),) = groups["1"]
        self.assertEqual((owed, visited, attempted, reached), (5, 2, 3, 2))
        self.assertEqual(product, 3.0)
        self.assertEqual(
            dict((r[0], r[1]) for r in groups["4"]), {self.reason("no_answer"): 1}
        )
        self.assertEqual(dict((r[0], r[1]) for r in groups["5"]), {"no_partner": 1})
        self.assertEqual(
            dict((r[0], r[1]) for r in groups["6"]),
            {"callback_rate": 95.0, "success_rate": 90.0},
        )
        for chart in self._odoo_charts(self.data):
            meta = chart["metaData"]
            read = env[meta["resModel"]]._read_group(
                chart["searchParams"]["domain"]
                + [("company_id", "=", self.company_d.id)],
                meta["groupBy"],
                [f"{meta['measure']}:sum"],
            )
            # visits done per channel, as the Indicators count them
            self.assertEqual(dict(read), {"phone": 2})
        spec = self.data["lists"]["1"]
        order = ", ".join(
            f"{o['name']} {'asc' if o['asc'] else 'desc'}" for o in spec["orderBy"]
        )
        problems = env[spec["model"]].search(
            spec["domain"] + [("company_id", "=", self.company_d.id)], order=order
        )
        self.assertEqual(problems, self.problem)
        problems.read(spec["columns"])

    def test_sample_dashboard_shows_until_the_first_visit(self):
        with file_open(SAMPLE_FILE) as handle:
            sample = json.load(handle)
        self.assertFalse(
            sample["pivots"] or sample["lists"] or self._odoo_charts(sample)
        )
        self.assertEqual(
            [s["name"] for s in sample["sheets"]],
            [s["name"] for s in self.data["sheets"]],
        )
        dashboard = self.dashboard.with_user(self.manager)
        self.assertNotIn("is_sample", dashboard.get_readonly_dashboard())
        # No visit at all (the test's transaction is rolled back afterwards).
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM visit_rule_skip")
        self.env.cr.execute("DELETE FROM visit_record")
        self.env.invalidate_all()
        readonly = dashboard.get_readonly_dashboard()
        self.assertTrue(readonly["is_sample"])
        self.assertEqual(readonly["snapshot"], sample)

    def test_every_text_of_the_dashboard_has_a_chinese_translation(self):
        messages = {
            message["id"]: message["string"]
            for message in code_translations.get_web_translations(
                "customer_visit", "zh_CN"
            )["messages"]
        }
        for path in (DASHBOARD_FILE, SAMPLE_FILE):
            with file_open(path, "rb") as handle:
                terms = {
                    row[2] for row in extract_spreadsheet_terms(handle, [], [], {})
                }
            self.assertGreater(len(terms), 30)
            self.assertEqual(
                sorted(term for term in terms if not messages.get(term)), [], path
            )
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["customer_visit"], ["zh_CN"], overwrite=True
        )
        self.assertEqual(self.dashboard.with_context(lang="zh_CN").name, "回访")
        self.assertEqual(
            self.dashboard.dashboard_group_id.with_context(lang="zh_CN").name, "回访"
        )
