import importlib.util
from datetime import timedelta
from pathlib import Path

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import VisitCommon

MIGRATIONS = Path(__file__).parent.parent / "migrations/18.0.1.9.0"


def run_migration(cr, name):
    """Run the ``migrate`` of the 18.0.1.9.0 script ``name`` on ``cr``."""
    spec = importlib.util.spec_from_file_location(name, MIGRATIONS / f"{name}.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.migrate(cr, "18.0.1.8.0")


@tagged("post_install", "-at_install")
class TestServedPaths(VisitCommon):
    """Served paths: the served person, department and product read from
    the source through many2one hops, the department of the served
    person's employee, and the paths refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Department = cls.env["hr.department"]
        cls.repairs = Department.create({"name": "Repairs"})
        cls.sales = Department.create({"name": "Sales desk"})
        cls.repairs_b = Department.create(
            {"name": "Repairs of B", "company_id": cls.company_b.id}
        )
        cls.tech = new_test_user(cls.env, login="cv_path_tech", name="Tech Tina")
        cls.seller = new_test_user(cls.env, login="cv_path_seller", name="Seller Sam")
        Employee = cls.env["hr.employee"]
        # Tina works in Repairs in company A, and in company B's repairs;
        # only company A's employee counts for company A's visits.
        Employee.create(
            {
                "name": "Tech Tina (B)",
                "company_id": cls.company_b.id,
                "work_contact_id": cls.tech.partner_id.id,
                "department_id": cls.repairs_b.id,
            }
        )
        Employee.create(
            {
                "name": "Tech Tina",
                "user_id": cls.tech.id,
                "company_id": cls.company_a.id,
                "department_id": cls.repairs.id,
            }
        )
        Employee.create(
            {
                "name": "Seller Sam",
                "user_id": cls.seller.id,
                "company_id": cls.company_a.id,
                "department_id": cls.sales.id,
            }
        )
        # The customer's salesperson is Sam; Tina repaired.
        cls.client = cls.env["res.partner"].create(
            {
                "name": "Path customer",
                "phone": "+86 138 0015 8000",
                "user_id": cls.seller.id,
            }
        )
        cls.closed_ticket = cls._closed_ticket(
            cls.now - timedelta(days=1), partner=cls.client, user_id=cls.tech.id
        )
        # Another customer's repair by Tina (a visit of its own, never
        # merged into the first customer's).
        cls.other_ticket = cls._closed_ticket(
            cls.now - timedelta(days=1),
            partner=cls.env["res.partner"].create(
                {"name": "Other path customer", "phone": "+86 138 0015 8001"}
            ),
            user_id=cls.tech.id,
        )

    def _hr_officer(self, user):
        user.groups_id = [Command.link(self.env.ref("hr.group_hr_user").id)]

    def _visit_of_rule(self, ticket=None, **values):
        ticket = ticket or self.closed_ticket
        rule = (
            self.env["visit.rule"]
            .with_user(self.manager)
            .create(self._rule_vals(domain=f"[('id', '=', {ticket.id})]", **values))
        )
        rule._generate_batch()
        visit = rule.plan_ids.record_ids
        self.assertEqual(len(visit), 1)
        return visit

    def test_two_hops_name_the_customer_salesperson_and_department(self):
        # ticket -> customer -> salesperson: Sam, of the Sales desk.
        visit = self._visit_of_rule(served_by_path="partner_id.user_id")
        self.assertEqual(visit.served_by_id, self.seller.partner_id)
        self.assertEqual(visit.served_department_id, self.sales)

    def test_department_of_the_served_employee_in_the_visit_company(self):
        # Tina is in Repairs in company A (the rule's) and in Repairs of B
        # in company B: the visit, of company A, is Repairs'.
        visit = self._visit_of_rule(served_by_path="user_id")
        self.assertEqual(visit.served_by_id, self.tech.partner_id)
        self.assertEqual(visit.served_department_id, self.repairs)
        # Through the user's employee: the same person (its work contact)
        # and the employee's own department. A path reads only what the
        # manager naming it may read: employees, as an HR officer.
        self._hr_officer(self.manager)
        visit = self._visit_of_rule(
            self.other_ticket, served_by_path="user_id.employee_id"
        )
        self.assertEqual(visit.served_by_id, self.tech.partner_id)
        self.assertEqual(visit.served_department_id, self.repairs)

    def test_department_path_wins_over_the_served_employee(self):
        # Served by Tina (Repairs), but the rule names the department of
        # the customer's salesperson: Sam's Sales desk (read through
        # employees, so by a manager who is an HR officer).
        self._hr_officer(self.manager)
        visit = self._visit_of_rule(
            served_by_path="user_id",
            served_department_path="partner_id.user_id.employee_id.department_id",
        )
        self.assertEqual(visit.served_by_id, self.tech.partner_id)
        self.assertEqual(visit.served_department_id, self.sales)

    def test_batch_reads_the_order_team_leader_through_two_hops(self):
        team = self.env["crm.team"].create(
            {"name": "Path team", "user_id": self.tech.id}
        )
        self.order.team_id = team
        wizard = (
            self.env["visit.batch.wizard"]
            .with_user(self.manager)
            .create(
                {
                    "source_model": "sale.order",
                    "source_ids_text": str(self.order.id),
                    "type_id": self.type_plain.id,
                    "skip_open_visits": False,
                    "served_by_path": "team_id.user_id",
                }
            )
        )
        action = wizard.action_confirm()
        visit = self.env["visit.record"].search(action["domain"])
        self.assertEqual(visit.sale_order_id, self.order)
        self.assertEqual(visit.served_by_id, self.tech.partner_id)
        self.assertEqual(visit.served_department_id, self.repairs)

    def test_paths_refused_with_a_clear_message(self):
        Rule = self.env["visit.rule"].with_user(self.manager)
        before = Rule.search_count([])
        cases = [
            # A one2many hop (the ticket's messages), not a many2one.
            ("served_by_path", "message_ids.author_id", "not a user, contact"),
            # A many2one, but to a stage, not a person.
            ("served_by_path", "stage_id", "not a user, contact"),
            # The last hop a character field.
            ("served_by_path", "partner_id.name", "not a user, contact"),
            # No such field on a ticket.
            ("served_by_path", "user_id.nothing_id", "not a user, contact"),
            ("served_department_path", "team_id", "not a department field"),
            ("served_product_path", "user_id", "not a product field"),
        ]
        for fname, path, message in cases:
            with self.subTest(path=path), self.assertRefused(ValidationError, message):
                Rule.create(self._rule_vals(name="Paths", **{fname: path}))
        # The message names the rule, the path and the model.
        with self.assertRaises(ValidationError) as refusal, self.env.cr.savepoint():
            Rule.create(self._rule_vals(name="Paths", served_by_path="stage_id"))
        message = str(refusal.exception)
        for part in ("Rule Paths", "stage_id", "helpdesk.ticket"):
            self.assertIn(part, message)
        self.assertEqual(Rule.search_count([]), before)

    def test_batch_path_refused_before_anything_is_written(self):
        wizard = (
            self.env["visit.batch.wizard"]
            .with_user(self.manager)
            .create(
                {
                    "source_model": "sale.order",
                    "source_ids_text": str(self.order.id),
                    "type_id": self.type_plain.id,
                    "skip_open_visits": False,
                    # Order lines are a one2many: not one product.
                    "served_product_path": "order_line.product_id",
                }
            )
        )
        before = self.env["visit.record"].search_count([])
        with self.assertRefused(ValidationError, "Batch Callbacks: the product path"):
            wizard.action_preview()
        with self.assertRefused(ValidationError, "not a product field of"):
            wizard.action_confirm()
        self.assertEqual(self.env["visit.record"].search_count([]), before)
        self.assertEqual(wizard.state, "options")

    def test_only_a_manager_corrects_the_department(self):
        visit = self._visit_of_rule(served_by_path="user_id")
        with self.assertRefused(AccessError, "only a follow-up manager"):
            visit.with_user(self.agent).served_department_id = self.sales
        self.assertEqual(visit.served_department_id, self.repairs)
        visit.with_user(self.manager).served_department_id = self.sales
        self.assertEqual(visit.served_department_id, self.sales)
        # A further round keeps the department served.
        values = self.env["visit.planner"]._round_values(visit, self.now)
        self.assertEqual(values["served_department_id"], self.sales.id)

    def test_department_in_cases_answers_and_results(self):
        visit = self._visit_of_rule(served_by_path="user_id")
        Case = self.env["visit.case"].with_user(self.manager)
        [(department, count)] = Case._read_group(
            [("record_id", "=", visit.id)], ["served_department_id"], ["__count"]
        )
        self.assertEqual((department, count), (self.repairs, 1))
        visit.write({"outcome": "reached", "satisfaction_service": "satisfied"})
        visit.action_done()
        result = self.env["visit.served.result"].with_user(self.manager)
        self.assertEqual(result.browse(visit.id).served_department_id, self.repairs)

    def test_type_default_paths_are_proposed_when_they_fit(self):
        self.type_plain.write(
            {"served_by_path": "user_id", "served_department_path": "team_id"}
        )
        form = Form(self.env["visit.rule"].with_user(self.manager))
        form.name = "Proposed"
        form.model_id = self.env["ir.model"]._get("helpdesk.ticket")
        with form.step_ids.new() as step:
            step.type_id = self.type_plain
            step.channel = "phone"
        # user_id fits a ticket; a team is no department: not proposed.
        self.assertEqual(form.served_by_path, "user_id")
        self.assertFalse(form.served_department_path)
        # A path the rule names is kept while it fits the records.
        form.served_by_path = "partner_id.user_id"
        form.model_id = self.env["ir.model"]._get("sale.order")
        self.assertEqual(form.served_by_path, "partner_id.user_id")
        # A contact has no partner_id: the path goes, the type's comes back
        # (a contact's user_id, its salesperson).
        form.model_id = self.env["ir.model"]._get("res.partner")
        self.assertEqual(form.served_by_path, "user_id")
        # On orders, the type's user_id is the salesperson: proposed by the
        # batch; a type's path that is no path is refused on the type.
        wizard = Form(self.env["visit.batch.wizard"].with_user(self.manager))
        wizard.source_model = "sale.order"
        wizard.type_id = self.type_plain
        self.assertEqual(wizard.served_by_path, "user_id")
        with self.assertRefused(ValidationError, "is not a path of fields"):
            self.type_plain.with_user(self.manager).served_by_path = "user id"

    def test_a_rule_from_a_template_gets_its_types_default_paths(self):
        # The repair type names the ticket's assignee; the repair template
        # (tickets, repair steps) brings it to the rule made from it.
        repair = self.env.ref("customer_visit.visit_type_repair")
        repair.served_by_path = "user_id"
        form = Form(self.env["visit.rule"].with_user(self.manager))
        form.template_id = self.env.ref("customer_visit.visit_rule_template_repair")
        self.assertEqual(form.served_by_path, "user_id")
        self.assertFalse(form.served_department_path)

    def test_migration_turns_served_fields_into_paths(self):
        rule = self.env["visit.rule"].create(self._rule_vals(name="Old rule"))
        user_field = self.env["ir.model.fields"]._get("helpdesk.ticket", "user_id")
        cr = self.env.cr
        self.env.flush_all()
        # The columns of 18.0.1.8.0, filled as they were.
        cr.execute(
            "ALTER TABLE visit_rule ADD COLUMN served_by_field_id integer, "
            "ADD COLUMN served_product_field_id integer"
        )
        cr.execute(
            "UPDATE visit_rule SET served_by_field_id = %s, served_by_path = NULL "
            "WHERE id = %s",
            (user_field.id, rule.id),
        )
        run_migration(cr, "pre-30-served-paths")
        self.env.invalidate_all()
        self.assertEqual(rule.served_by_path, "user_id")
        self.assertFalse(rule.served_product_path)
        cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'visit_rule' AND column_name LIKE 'served%%'"
        )
        self.assertEqual(
            sorted(row[0] for row in cr.fetchall()),
            ["served_by_path", "served_department_path", "served_product_path"],
        )

    def test_migration_gives_planned_visits_their_department(self):
        visits = self.env["visit.record"].create(
            [
                # Tina's visit of company A: Repairs (not Repairs of B).
                self._visit_vals(served_by_id=self.tech.partner_id.id),
                # A customer served by nobody's employee: none.
                self._visit_vals(served_by_id=self.client.id),
                # A department already set is kept.
                self._visit_vals(
                    served_by_id=self.tech.partner_id.id,
                    served_department_id=self.sales.id,
                ),
            ]
        )
        self.assertFalse(visits[0].served_department_id)
        self.env.flush_all()
        run_migration(self.env.cr, "post-30-served-departments")
        self.env.invalidate_all()
        self.assertEqual(visits[0].served_department_id, self.repairs)
        self.assertFalse(visits[1].served_department_id)
        self.assertEqual(visits[2].served_department_id, self.sales)


@tagged("post_install", "-at_install")
class TestServedPathQueries(VisitCommon):
    """Paths of several hops and the department cost no query per visit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("customer_visit.generate_workers", 1)
        cls.env["visit.rule"].search([]).active = False
        department = cls.env["hr.department"].create({"name": "Query repairs"})
        techs = [
            new_test_user(cls.env, login=f"cv_pq_tech{i}", name=f"PQ Tech {i}")
            for i in range(4)
        ]
        cls.env["hr.employee"].create(
            [
                {"name": tech.name, "user_id": tech.id, "department_id": department.id}
                for tech in techs
            ]
        )
        closed = cls.now - timedelta(days=1)
        cls.tickets = cls.env["helpdesk.ticket"]
        for index in range(70):
            partner = cls.env["res.partner"].create(
                {
                    "name": f"PQ customer {index}",
                    "phone": f"+86 138 0016 {8000 + index}",
                    "user_id": techs[(index + 1) % 4].id,
                }
            )
            cls.tickets |= cls._closed_ticket(
                closed, partner=partner, user_id=techs[index % 4].id
            )

    def _queries_of_generate(self, tickets):
        self.env["visit.rule"].search([]).active = False
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                domain=f"[('id', 'in', {tickets.ids})]",
                served_by_path="partner_id.user_id",
                served_department_path="user_id.employee_id.department_id",
            )
        )
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.env["visit.rule"]._cron_generate(0)
        count = self.env.cr.sql_log_count - before
        visits = rule.plan_ids.record_ids
        self.assertEqual(len(visits), len(tickets))
        return count, visits

    def test_paths_of_several_hops_cost_the_same_for_20_or_40_visits(self):
        # Warm the caches first, as a running server has them.
        self._queries_of_generate(self.tickets[:10])
        with_20, visits = self._queries_of_generate(self.tickets[10:30])
        with_40, _visits = self._queries_of_generate(self.tickets[30:70])
        self.assertEqual(
            {visit.ticket_id: visit.served_by_id for visit in visits},
            {
                ticket: ticket.partner_id.user_id.partner_id
                for ticket in self.tickets[10:30]
            },
        )
        self.assertEqual(visits.served_department_id.name, "Query repairs")
        self.assertEqual(with_40, with_20)
