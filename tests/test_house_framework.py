"""The framework where it exists: what the addon no longer overrides, and
the one adapter it keeps (the batch of visit numbers), with the tests that
fail when core changes what the adapter relies on."""

from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from odoo.addons.customer_visit.models.ir_sequence import STANDARD_SEQUENCE_NAME

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestHouseFramework(VisitCommon):
    def _sequence(self, **values):
        return self.env["ir.sequence"].create(
            {
                "name": "Visits (test)",
                "code": "cv.test.batch",
                "prefix": "HF/%(year)s/%(month)s/",
                "padding": 4,
                **values,
            }
        )

    def test_a_batch_of_numbers_reads_as_next_by_id_numbers(self):
        """The adapter draws from the PostgreSQL sequence core made for a
        standard ir.sequence, under the name core gives it; the numbers
        follow one another and are formatted as next_by_id formats them."""
        sequence = self._sequence()
        self.env.cr.execute(
            "SELECT 1 FROM pg_class WHERE relkind = 'S' AND relname = %s",
            [STANDARD_SEQUENCE_NAME % sequence.id],
        )
        self.assertTrue(
            self.env.cr.fetchone(),
            "core no longer names a standard sequence ir_sequence_%03d: "
            "ir.sequence._visit_next_batch must follow",
        )
        day = fields.Date.to_date("2026-12-07")
        first = sequence.next_by_id(sequence_date=day)
        batch = sequence.with_user(self.agent)._visit_next_batch([day] * 3)
        last = sequence.next_by_id(sequence_date=day)
        self.assertEqual(first, "HF/2026/12/0001")
        self.assertEqual(
            batch, ["HF/2026/12/0002", "HF/2026/12/0003", "HF/2026/12/0004"]
        )
        self.assertEqual(last, "HF/2026/12/0005")

    def test_other_sequences_are_drawn_by_core_one_by_one(self):
        """No gap or date ranges: core's next_by_id draws each number."""
        sequence = self._sequence(implementation="no_gap", use_date_range=True)
        days = [fields.Date.to_date(day) for day in ("2026-12-31", "2027-01-01")]
        with patch.object(
            type(sequence),
            "next_by_id",
            autospec=True,
            side_effect=lambda s, sequence_date: str(sequence_date),
        ) as next_by_id:
            names = sequence._visit_next_batch(days)
        self.assertEqual(next_by_id.call_count, 2)
        self.assertEqual(names, ["2026-12-31", "2027-01-01"])

    def test_visits_of_one_batch_get_consecutive_numbers(self):
        visits = (
            self.env["visit.record"]
            .with_user(self.manager)
            .create([self._visit_vals(user_id=self.agent.id) for _i in range(3)])
        )
        numbers = [int(name[-4:]) for name in visits.mapped("name")]
        self.assertTrue(all(name.startswith("HF") for name in visits.mapped("name")))
        self.assertEqual(numbers, list(range(numbers[0], numbers[0] + 3)))

    def test_defaults_are_asked_once_per_batch(self):
        """The Generate cron creates thousands of visits per batch: their
        defaults (company, user, now) are asked once. Fails when core stops
        asking defaults through _add_missing_default_values."""
        Visit = self.env["visit.record"].with_user(self.manager)
        default_get = type(Visit).default_get
        visit_calls = []

        def spy(model, fields_list):
            if model._name == "visit.record":
                visit_calls.append(fields_list)
            return default_get(model, fields_list)

        with patch.object(type(Visit), "default_get", spy):
            Visit.create([self._visit_vals(user_id=self.agent.id) for _i in range(4)])
        self.assertEqual(len(visit_calls), 1)

    def test_create_keeps_the_callers_values_as_given(self):
        """The source's name is given to the INSERT on copies of the values."""
        order = self.env["sale.order"].create({"partner_id": self.customer.id})
        vals = self._visit_vals(user_id=self.agent.id, sale_order_id=order.id)
        given = dict(vals)
        visit = self.env["visit.record"].with_user(self.manager).create([vals])
        self.assertEqual(vals, given)
        self.assertEqual(visit.source_name, order.display_name)

    def test_the_kanban_by_state_shows_the_cancelled_column_only_when_found(self):
        Visit = self.env["visit.record"].with_user(self.agent)
        visit = self._create_visit(user_id=self.agent.id)
        domain = [("id", "=", visit.id)]

        def columns():
            groups = Visit.web_read_group(domain, ["state"], ["state"])["groups"]
            return [group["state"] for group in groups]

        self.assertEqual(columns(), ["planned", "in_progress", "done", "failed"])
        visit.with_user(self.manager).action_cancel()
        self.assertEqual(columns()[-1], "cancelled")
        self.assertIn("planned", columns())

    def test_the_targets_index_is_made_once(self):
        """init() no longer drops and makes the index at every update."""
        query = "SELECT oid FROM pg_class WHERE relname = 'visit_target_indicator_uniq'"
        self.env.cr.execute(query)
        before = self.env.cr.fetchone()
        self.env["visit.target"].init()
        self.env.cr.execute(query)
        self.assertEqual(self.env.cr.fetchone(), before)
        self.assertTrue(before)
