"""Who may do what: every model of the addon against every kind of user,
through the ORM and through JSON-RPC."""

import pathlib
import re

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import VisitCommon

# Profiles: public (anonymous website visitor), portal (a customer's
# contact), internal (an employee without visit rights), user (Visits /
# User), manager (Visits / Manager).  Operations: r(ead) w(rite) c(reate)
# u(nlink).  Written out by hand, not read from the CSV: a change of the
# access rights must change this table too.
MODEL_ACCESS = {
    #                              public portal internal user    manager
    "visit.type": ("", "r", "", "r", "rwcu"),
    # The portal shows a visit's questions through the visit it checked.
    "visit.type.question": ("", "", "", "r", "rwcu"),
    "visit.question.option": ("", "", "", "r", "rwcu"),
    "visit.plan": ("", "", "", "rwc", "rwcu"),
    "visit.record": ("", "r", "", "rwc", "rwcu"),
    # Attempts are history: created by closing a visit, never rewritten.
    "visit.attempt": ("", "", "", "rc", "rc"),
    "visit.answer": ("", "r", "", "rwc", "rwcu"),
    "visit.target": ("", "", "", "r", "rwcu"),
    "visit.rule": ("", "", "", "r", "rwcu"),
    "visit.rule.step": ("", "", "", "r", "rwcu"),
    "visit.rule.draw": ("", "", "", "", "r"),
    "visit.rule.draw.line": ("", "", "", "", "r"),
    "visit.rule.sample": ("", "", "", "", "r"),
    "visit.rule.stratum": ("", "", "", "r", "rwcu"),
    "visit.rule.template": ("", "", "", "r", "rwcu"),
    "visit.rule.template.step": ("", "", "", "r", "rwcu"),
    "visit.occasion": ("", "", "", "r", "rwcu"),
    "visit.occasion.date": ("", "", "", "r", "rwcu"),
    "visit.month": ("", "", "", "r", "r"),
    "visit.rule.skip": ("", "", "", "", "ru"),
    "visit.outcome.wizard": ("", "", "", "rwcu", "rwcu"),
    "visit.outcome.wizard.answer": ("", "", "", "rwcu", "rwcu"),
    "visit.plan.cancel.wizard": ("", "", "", "rwcu", "rwcu"),
    "visit.public.letter.wizard": ("", "", "", "rwcu", "rwcu"),
    "visit.review.wizard": ("", "", "", "", "rwcu"),
    "visit.batch.wizard": ("", "", "", "", "rwcu"),
    "visit.batch.wizard.line": ("", "", "", "", "rwcu"),
    "visit.case": ("", "", "", "", "r"),
    "visit.answer.analysis": ("", "", "", "", "r"),
    "visit.repeat.report": ("", "", "", "", "r"),
    "visit.unreached.reason": ("", "", "", "r", "rwcu"),
    "visit.score.reason": ("", "", "", "r", "rwcu"),
    "visit.served.result": ("", "", "", "", "r"),
    "visit.fallback.step": ("", "", "", "r", "rwcu"),
    "visit.type.team": ("", "", "", "r", "rwcu"),
    "visit.report.run": ("", "", "", "", "ru"),
    "visit.erase.wizard": ("", "", "", "", "rwcu"),
}
PROFILES = ("public", "portal", "internal", "user", "manager")
OPERATIONS = {"r": "read", "w": "write", "c": "create", "u": "unlink"}

# Record rules, on real records of company A (the agent's own visit, a
# colleague's visit of another customer) and of company B: what each user
# may read (r), write (w) and delete (u).
RECORD_ACCESS = {
    #               own    colleague's  company B
    "portal": ("r", "", ""),
    "internal": ("", "", ""),
    "agent": ("rw", "", ""),
    "manager": ("rwu", "rwu", ""),
    "manager_b": ("", "", "rwu"),
}


class Undo(Exception):
    """Rolls a savepoint back after an allowed operation."""


class AccessFixture(VisitCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_customer = cls.env["res.partner"].create({"name": "李娜"})
        cls.contact = cls.env["res.partner"].create(
            {"name": "王小明", "parent_id": cls.customer.id, "email": "xm@example.com"}
        )
        cls.portal = new_test_user(
            cls.env,
            login="cv_portal_matrix",
            groups="base.group_portal",
            partner_id=cls.contact.id,
        )
        cls.public = cls.env.ref("base.public_user")
        cls.visit_own = cls._create_visit(
            user_id=cls.agent.id, type_id=cls.type_repair.id
        )
        cls.visit_other = cls._create_visit(
            user_id=cls.agent_2.id, partner_id=cls.other_customer.id
        )
        cls.visit_b = (
            cls.env["visit.record"]
            .with_company(cls.company_b)
            .create(
                cls._visit_vals(
                    partner_id=cls.customer_b.id,
                    company_id=cls.company_b.id,
                    user_id=cls.manager_b.id,
                )
            )
        )
        cls.users = {
            "public": cls.public,
            "portal": cls.portal,
            "internal": cls.internal,
            "user": cls.agent,
            "agent": cls.agent,
            "manager": cls.manager,
            "manager_b": cls.manager_b,
        }


@tagged("post_install", "-at_install")
class TestAccessMatrix(AccessFixture):
    def test_every_model_of_the_addon_is_in_the_matrix(self):
        ours = {
            name
            for name, model in self.env.registry.items()
            if model._original_module == "customer_visit" and not model._abstract
        }
        self.assertEqual(
            ours, set(MODEL_ACCESS), "a model was added or removed: update MODEL_ACCESS"
        )

    def test_model_access_rights_per_group(self):
        for model, expected in MODEL_ACCESS.items():
            for profile, allowed in zip(PROFILES, expected, strict=True):
                records = self.env[model].with_user(self.users[profile])
                for letter, operation in OPERATIONS.items():
                    with self.subTest(
                        model=model, profile=profile, operation=operation
                    ):
                        self.assertEqual(
                            records.has_access(operation),
                            letter in allowed,
                            f"{profile} {'may' if letter in allowed else 'may not'} "
                            f"{operation} {model}",
                        )

    def _allowed(self, record, operation):
        """Try ``operation`` on ``record``, then undo it whatever happened."""
        try:
            with self.env.cr.savepoint():
                record.invalidate_recordset()
                if operation == "r":
                    record.read(["name", "state"])
                elif operation == "w":
                    record.write({"opinion": "checked by the access matrix"})
                else:
                    record.unlink()
                self.env.flush_all()
                raise Undo()
        except Undo:
            return True
        except AccessError:
            return False
        finally:
            self.env.invalidate_all()

    def test_record_rules_on_visits_plans_attempts_and_answers(self):
        targets = {
            "own": self.visit_own,
            "colleague's": self.visit_other,
            "company B": self.visit_b,
        }
        for profile, expected in RECORD_ACCESS.items():
            user = self.users[profile]
            for (label, visit), allowed in zip(targets.items(), expected, strict=True):
                for letter in "rwu":
                    with self.subTest(profile=profile, visit=label, operation=letter):
                        self.assertEqual(
                            self._allowed(visit.with_user(user), letter),
                            letter in allowed,
                        )
                self.assertTrue(visit.exists())
                # Plans and answers follow their visit for reading.
                readable = "r" in allowed
                for related in (visit.plan_id, visit.answer_ids):
                    if not related or (
                        profile == "portal" and related._name == "visit.plan"
                    ):
                        continue  # portal customers see visits, not plans
                    with self.subTest(profile=profile, model=related._name):
                        self.assertEqual(
                            self._can_search(related.with_user(user)), readable
                        )

    @staticmethod
    def _can_search(records):
        try:
            return bool(records.search([("id", "in", records.ids)]))
        except AccessError:
            return False

    def test_agents_create_visits_only_in_their_companies(self):
        self.assertTrue(self._create_visit(env=self.env(user=self.agent)).exists())
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.env["visit.record"].with_user(self.internal).create(self._visit_vals())
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.env["visit.record"].with_user(self.agent).create(
                self._visit_vals(
                    partner_id=self.customer_b.id, company_id=self.company_b.id
                )
            )

    def test_portal_reads_only_the_visits_of_its_company_never_writes(self):
        visits = self.env["visit.record"].with_user(self.portal).search([])
        self.assertEqual(visits, self.visit_own)
        with self.assertRaises(AccessError):
            self.visit_own.with_user(self.portal).write({"opinion": "forged"})
        with self.assertRaises(AccessError):
            self.visit_own.with_user(self.portal).answer_ids[:1].write(
                {"value_text": "forged"}
            )

    def test_second_company_sees_no_record_of_the_first(self):
        """Every company-bound model: the manager of company B neither finds
        nor reads company A's records; company A's manager does."""
        rule = self.env["visit.rule"].create(self._rule_vals())
        records = {
            "visit.record": self.visit_own,
            "visit.plan": self.visit_own.plan_id,
            "visit.answer": self.visit_own.answer_ids[:1],
            "visit.attempt": self.env["visit.attempt"].create(
                {
                    "record_id": self.visit_own.id,
                    "result": "not_reached",
                    "reason_id": self.reason("no_answer").id,
                    "channel": "phone",
                }
            ),
            "visit.type": self.env["visit.type"].create(
                {"name": "A only", "company_id": self.company_a.id}
            ),
            "visit.target": self.env["visit.target"].create(
                {
                    "indicator": self.env["visit.target"]
                    ._fields["indicator"]
                    .get_values(self.env)[0],
                    "value": 80,
                    "company_id": self.company_a.id,
                }
            ),
            "visit.rule": rule,
            "visit.rule.step": rule.step_ids[:1],
            "visit.rule.draw": self.env["visit.rule.draw"].create(
                {"rule_id": rule.id, "period": "2026-11"}
            ),
            "visit.rule.skip": self.env["visit.rule.skip"].create(
                {"rule_id": rule.id, "res_id": self.ticket.id, "reason": "no_partner"}
            ),
            "visit.rule.template": self.env["visit.rule.template"].create(
                {
                    "name": "A only",
                    "company_id": self.company_a.id,
                    "model_id": rule.model_id.id,
                    "step_ids": [Command.create({"type_id": self.type_repair.id})],
                }
            ),
        }
        records["visit.rule.template.step"] = records["visit.rule.template"].step_ids
        for model, record in records.items():
            with self.subTest(model=model):
                self.assertTrue(record)
                self.assertEqual(self._can_search(record.with_user(self.manager)), True)
                self.assertEqual(
                    self._can_search(record.with_user(self.manager_b)), False
                )
                with self.assertRaises(AccessError):
                    record.with_user(self.manager_b).read(["display_name"])

    def test_every_sudo_is_justified(self):
        """Each ``sudo()`` of the addon's code carries a ``# sudo:`` comment
        within the lines just above it saying why."""
        root = pathlib.Path(__file__).resolve().parent.parent
        unjustified = []
        for path in sorted(root.glob("**/*.py")):
            if path.relative_to(root).parts[0] in ("tests", "bench", "scripts"):
                continue
            lines = path.read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, 1):
                if ".sudo()" in line and not line.lstrip().startswith("#"):
                    window = lines[max(0, number - 7) : number]
                    if not any(re.search(r"#.*\bsudo:", text) for text in window):
                        unjustified.append(f"{path.relative_to(root)}:{number}")
        self.assertEqual(unjustified, [])


@tagged("post_install", "-at_install")
class TestAccessRpc(HttpCase, AccessFixture):
    """The same refusals through /web/dataset/call_kw, as a browser or an
    integration would meet them."""

    def _call(self, login, method, args, kwargs=None):
        """``None`` when allowed, else the name of the exception returned."""
        self.authenticate(login, login) if login else self.authenticate(None, None)
        try:
            self.make_jsonrpc_request(
                "/web/dataset/call_kw",
                {
                    "model": "visit.record",
                    "method": method,
                    "args": args,
                    "kwargs": kwargs or {},
                },
            )
        except JsonRpcException as error:
            return error.args[0] if error.args else str(error)
        return None

    def test_json_rpc_matrix(self):
        own = self.visit_own.id
        create_vals = self._visit_vals()
        create_vals.update(
            scheduled_date=str(create_vals["scheduled_date"]),
            deadline=str(create_vals["deadline"]),
        )
        calls = {
            "read": ("read", [[own], ["name"]]),
            "write": ("write", [[own], {"opinion": "over RPC"}]),
            "create": ("create", [create_vals]),
            "unlink": ("unlink", [[own]]),
        }
        expected = {
            # login: operations allowed on the agent's own visit
            None: set(),
            "cv_portal_matrix": {"read"},
            "cv_internal": set(),
            "cv_agent": {"read", "write", "create"},
            # Another company's manager may create visits in his company.
            "cv_manager_b": {"create"},
        }
        for login, allowed in expected.items():
            for operation, (method, args) in calls.items():
                if operation == "unlink" and operation in allowed:
                    continue
                with self.subTest(login=login, operation=operation):
                    refusal = self._call(login, method, args)
                    if operation in allowed:
                        self.assertIsNone(refusal)
                    elif login is None:
                        self.assertIn("SessionExpired", refusal)
                    else:
                        self.assertIn("AccessError", refusal)
        self.assertTrue(self.visit_own.exists(), "no refused unlink went through")
        # The manager deletes, last, over RPC.
        self.assertIsNone(self._call("cv_manager", "unlink", [[own]]))
        self.assertFalse(self.visit_own.exists())
