"""Malformed values for every field a user can write, in one table: each is
refused with a clear message and nothing is written.

The portal's own inputs (tokens, answers, callback slots, signatures sent
by the customer) are refused in the same way in test_portal.py.
"""

import base64
from contextlib import contextmanager
from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import VisitCommon
from .test_signature import png_signature

# (label, target, values, exception, message)
#   target: the record written, built by the test's target_<target>().
WRITES = [
    # Dates
    (
        "deadline before the visit",
        "visit",
        {"deadline": "-1d"},
        ValidationError,
        "deadline",
    ),
    (
        "impossible date",
        "visit",
        {"scheduled_date": "2026-02-31 10:00:00"},
        ValueError,
        "day is out of range",
    ),
    (
        "date as words",
        "visit",
        {"scheduled_date": "next Tuesday"},
        ValueError,
        "format",
    ),
    # Ratings
    (
        "satisfaction out of its scale",
        "visit",
        {"satisfaction_product": "7"},
        ValueError,
        "Wrong value",
    ),
    (
        "rating above 5",
        "rating_answer",
        {"value_rating": 9},
        ValidationError,
        "1 to 5|0 and 5|rating",
    ),
    (
        "negative rating",
        "rating_answer",
        {"value_rating": -1},
        ValidationError,
        "1 to 5|0 and 5|rating",
    ),
    (
        "rating on an unreached visit",
        "visit",
        {
            "outcome": "not_reached",
            "unreached_reason_id": "no_answer",
            "satisfaction_product": "satisfied",
        },
        ValidationError,
        "reached",
    ),
    # Percentages
    (
        "sample of 0 %",
        "rule",
        {"coverage": "sample", "sample_percent": 0},
        ValidationError,
        "above 0% and at most 100%",
    ),
    (
        "sample of 150 %",
        "rule",
        {"coverage": "sample", "sample_percent": 150},
        ValidationError,
        "above 0% and at most 100%",
    ),
    (
        "negative sample cap",
        "rule",
        {"coverage": "sample", "sample_percent": 10, "sample_cap": -5},
        ValidationError,
        "cannot be negative",
    ),
    (
        "target of 120 %",
        "target",
        {"value": 120},
        ValidationError,
        "outside its scale: give a value from 0 to 100",
    ),
    (
        "negative target",
        "target",
        {"value": -3},
        ValidationError,
        "outside its scale: give a value from 0 to 100",
    ),
    # Domains and fields of rules
    (
        "domain that does not parse",
        "rule",
        {"domain": "[('stage_id', '=',"},
        ValidationError,
        "filter of the qualifying records does not work",
    ),
    (
        "domain on a missing field",
        "rule",
        {"domain": "[('no_such_field', '=', 1)]"},
        ValidationError,
        "no_such_field",
    ),
    (
        "exclusions that do not parse",
        "rule",
        {"exclude_domain": "not a domain"},
        ValidationError,
        "exclusions",
    ),
    (
        "reference field that is not a date",
        "rule",
        {"date_field_id": "ticket_name_field"},
        ValidationError,
        "date",
    ),
    ("no attempt at all", "rule", {"max_attempts": 0}, ValidationError, "attempt"),
    # Offsets of a cadence
    ("step at +0 days", "step", {"delay": 0}, ValidationError, "at least 1"),
    ("step at -3 days", "step", {"delay": -3}, ValidationError, "at least 1"),
    (
        "deadline before its step",
        "step",
        {
            "delay": 10,
            "delay_unit": "days",
            "deadline_delay": 3,
            "deadline_unit": "days",
        },
        ValidationError,
        "deadline",
    ),
    # Company settings
    (
        "negative contact interval",
        "company",
        {"visit_min_interval_days": -7},
        ValidationError,
        "negative",
    ),
    (
        "report on the 31st",
        "company",
        {"visit_report_day": 31},
        ValidationError,
        "1|28",
    ),
]


@tagged("post_install", "-at_install")
class TestBadInput(VisitCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_rated = cls.env["visit.type"].create(
            {
                "name": "Rated call",
                "question_ids": [
                    Command.create(
                        {"name": "How do you rate us?", "answer_kind": "rating"}
                    )
                ],
            }
        )
        cls.visit_agent = cls._create_visit(
            user_id=cls.agent.id, type_id=cls.type_rated.id
        )
        cls.rule_record = cls.env["visit.rule"].create(cls._rule_vals())
        cls.target_record = cls.env["visit.target"].create(
            {
                "indicator": next(
                    iter(
                        cls.env["visit.target"]._fields["indicator"].get_values(cls.env)
                    )
                ),
                "value": 90,
            }
        )

    # -- targets of the table ------------------------------------------
    def target_visit(self):
        return self.visit_agent.with_user(self.agent)

    def target_rating_answer(self):
        answer = self.visit_agent.answer_ids.filtered(
            lambda a: a.answer_kind == "rating"
        )[:1]
        self.assertTrue(answer, "the script has a rating question")
        return answer.with_user(self.agent)

    def target_rule(self):
        return self.rule_record.with_user(self.manager)

    def target_step(self):
        return self.rule_record.step_ids[:1].with_user(self.manager)

    def target_target(self):
        return self.target_record.with_user(self.manager)

    def target_company(self):
        return self.env.company

    def _resolve(self, record, values):
        resolved = dict(values)
        if resolved.get("deadline") == "-1d":
            resolved["deadline"] = record.scheduled_date - timedelta(days=1)
        if resolved.get("unreached_reason_id"):
            resolved["unreached_reason_id"] = self.reason(
                resolved["unreached_reason_id"]
            ).id
        if resolved.get("date_field_id") == "ticket_name_field":
            resolved["date_field_id"] = (
                self.env["ir.model.fields"]._get("helpdesk.ticket", "name").id
            )
        return resolved

    def test_malformed_values_are_refused_and_nothing_is_written(self):
        for label, target, values, exception, message in WRITES:
            with self.subTest(label):
                record = getattr(self, f"target_{target}")()
                values = self._resolve(record, values)
                names = [name for name in values if name in record._fields]
                before = record.sudo().read(names)
                with (
                    self.assertRaisesRegex(exception, message),
                    self.env.cr.savepoint(),
                ):
                    record.write(values)
                    record.env.flush_all()  # SQL constraints speak at the flush
                self.env.invalidate_all()
                self.assertEqual(
                    record.sudo().read(names), before, f"{label}: something was written"
                )

    @contextmanager
    def _refused_at_creation(self):
        """A ValidationError or UserError, or the database refusing with a
        CHECK constraint of ours: Odoo's RPC layer then shows the user that
        constraint's message (``_sql_constraints``), not the SQL."""
        messages = {
            f"{self.env[model]._table}_{name}": text
            for model in ("visit.rule", "visit.rule.step")
            for name, _sql, text in self.env[model]._sql_constraints
        }
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                yield
        except IntegrityError as error:
            self.assertIn(error.diag.constraint_name, messages)
        except UserError as error:
            self.assertTrue(str(error))
        else:
            self.fail("not refused")

    def test_malformed_rules_are_refused_at_creation_and_none_is_created(self):
        bad_rules = {
            "no step": {"step_ids": []},
            "unparsable domain": {"domain": "[("},
            "sample above 100 %": {"coverage": "sample", "sample_percent": 101},
            "step at +0 hours": {
                "step_ids": [
                    Command.create(
                        {
                            "type_id": self.type_plain.id,
                            "channel": "phone",
                            "delay": 0,
                            "delay_unit": "hours",
                        }
                    )
                ]
            },
            "fixed user missing": {"assignment": "user", "user_id": False},
        }
        count = self.env["visit.rule"].search_count([])
        for label, values in bad_rules.items():
            with self.subTest(label), self._refused_at_creation():
                self.env["visit.rule"].with_user(self.manager).create(
                    self._rule_vals(**values)
                )
        self.assertEqual(self.env["visit.rule"].search_count([]), count)

    def test_signatures_that_are_not_images_or_have_no_signer(self):
        visit = self._create_visit(
            type_id=self.env.ref("customer_visit.visit_type_after_sale").id,
            user_id=self.agent.id,
        ).with_user(self.agent)
        visit.outcome = "reached"
        cases = [
            (
                "a PDF",
                "王建国",
                base64.b64encode(b"%PDF-1.4 not an image"),
                ValidationError,
                "image",
            ),
            ("not base64", "王建国", b"!!!not base64!!!", ValidationError, "image"),
            ("no signer", "  ", png_signature(), UserError, "name of the person"),
            ("no image", "王建国", b"", UserError, "signature is missing"),
        ]
        for label, name, signature, exception, message in cases:
            with (
                self.subTest(label),
                self.assertRaisesRegex(exception, message),
                self.env.cr.savepoint(),
            ):
                visit._sign(name, signature)
        visit.invalidate_recordset()
        self.assertFalse(visit.signature)
        self.assertFalse(visit.signature_hash)

    def test_referral_with_an_invalid_phone_number_creates_no_contact(self):
        self.customer.country_id = self.env.ref("base.cn")
        visit = self._create_visit(user_id=self.agent.id)
        partners = self.env["res.partner"].search_count([])
        for number in ("12345", "138 0000", "not a number"):
            with self.subTest(number):
                form = Form(
                    self.env["visit.outcome.wizard"]
                    .with_user(self.agent)
                    .with_context(active_model="visit.record", active_id=visit.id)
                )
                form.outcome = "reached"
                form.referral_name = "张伟"
                form.referral_phone = number
                wizard = form.save()
                with (
                    self.assertRaisesRegex(UserError, "not a valid phone number"),
                    self.env.cr.savepoint(),
                ):
                    wizard.action_confirm()
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertEqual(visit.state, "planned")
