from contextlib import contextmanager
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.base.tests.common import BaseCommon

from ..models.const import ASPECT_FIELDS


def calling_hours(env, name="Calling hours", tz="Asia/Shanghai"):
    """A calendar of calling hours 08:30-11:00 and 14:00-16:00, Monday to
    Friday, in ``tz``."""
    return env["resource.calendar"].create(
        {
            "name": name,
            "tz": tz,
            "attendance_ids": [
                Command.create(
                    {
                        "name": f"{day} {start}",
                        "dayofweek": str(day),
                        "hour_from": start,
                        "hour_to": stop,
                        "day_period": "morning" if start < 12 else "afternoon",
                    }
                )
                for day in range(5)
                for start, stop in ((8.5, 11.0), (14.0, 16.0))
            ],
        }
    )


class VisitCommon(BaseCommon):
    """Users per role, a second company, visit types and sources."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.agent = new_test_user(
            cls.env,
            login="cv_agent",
            name="Agent Alice",
            groups="customer_visit.group_visit_user,sales_team.group_sale_salesman",
        )
        cls.agent_2 = new_test_user(
            cls.env,
            login="cv_agent2",
            name="Agent Bob",
            groups="customer_visit.group_visit_user",
        )
        cls.manager = new_test_user(
            cls.env,
            login="cv_manager",
            name="Manager Mia",
            groups="customer_visit.group_visit_manager,"
            "sales_team.group_sale_salesman_all_leads,"
            "helpdesk_mgmt.group_helpdesk_user,base.group_partner_manager",
        )
        cls.manager_b = new_test_user(
            cls.env,
            login="cv_manager_b",
            name="Manager of B",
            groups="customer_visit.group_visit_manager",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.internal = new_test_user(
            cls.env, login="cv_internal", name="No Visit Rights"
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "王建国", "phone": "+86 138 0013 8000"}
        )
        cls.customer_b = cls.env["res.partner"].create(
            {"name": "Customer of B", "company_id": cls.company_b.id}
        )
        cls.type_complaint = cls.env.ref("customer_visit.visit_type_complaint")
        cls.type_repair = cls.env.ref("customer_visit.visit_type_repair")
        cls.type_plain = cls.env["visit.type"].create(
            {"name": "Plain call", "default_channel": "phone"}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Air conditioner", "list_price": 3200.0}
        )
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "user_id": cls.agent.id,
                "order_line": [
                    Command.create({"product_id": cls.product.id, "product_uom_qty": 2})
                ],
            }
        )
        cls.order.action_confirm()
        cls.ticket = cls.env["helpdesk.ticket"].create(
            {
                "name": "Noisy compressor",
                "description": "<p>Noise at night</p>",
                "partner_id": cls.customer.id,
            }
        )
        cls.now = fields.Datetime.now().replace(microsecond=0)

    @classmethod
    def _calling_calendar(cls):
        """Calling hours 08:30-11:00 and 14:00-16:00, Monday to Friday, in
        Shanghai, with a public holiday on Monday 28 September 2026."""
        calendar = calling_hours(cls.env)
        cls.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": calendar.id,
                # Midnight to midnight, Shanghai time, in UTC.
                "date_from": "2026-09-27 16:00:00",
                "date_to": "2026-09-28 15:59:59",
            }
        )
        return calendar

    @classmethod
    def _closed_ticket(cls, closed_date, partner=None, **values):
        stage = cls.env["helpdesk.ticket.stage"].search(
            [("closed", "=", True)], limit=1
        )
        ticket = cls.env["helpdesk.ticket"].create(
            dict(
                {
                    "name": "Repair",
                    "description": "<p>Repair</p>",
                    "partner_id": (partner or cls.customer).id,
                },
                **values,
            )
        )
        ticket.write({"stage_id": stage.id})
        ticket.closed_date = closed_date
        return ticket

    @classmethod
    def _rule_vals(cls, steps=None, **values):
        vals = {
            "name": "Closed repairs",
            "model_id": cls.env["ir.model"]._get_id("helpdesk.ticket"),
            "domain": "[('stage_id.closed', '=', True)]",
            "date_field_id": cls.env["ir.model.fields"]
            ._get("helpdesk.ticket", "closed_date")
            .id,
            "start_date": "2020-01-01",
            "assignment": "user",
            "user_id": cls.agent.id,
            "step_ids": [
                Command.create(
                    dict({"type_id": cls.type_plain.id, "channel": "phone"}, **step)
                )
                for step in (steps or [{"delay": 2, "delay_unit": "days"}])
            ],
        }
        vals.update(values)
        return vals

    @classmethod
    def _visit_vals(cls, **values):
        vals = {
            "partner_id": cls.customer.id,
            "type_id": cls.type_plain.id,
            "scheduled_date": cls.now,
            "deadline": cls.now + timedelta(days=1),
        }
        vals.update(values)
        return vals

    @classmethod
    def _create_visit(cls, env=None, **values):
        return (env or cls.env)["visit.record"].create(cls._visit_vals(**values))

    @classmethod
    def reason(cls, code):
        """The reason not reached of ``code``, archived ones included."""
        return (
            cls.env["visit.unreached.reason"]
            .with_context(active_test=False)
            .search([("code", "=", code)])
        )

    @contextmanager
    def assertRefused(self, exception, regex):
        """Expect ``exception`` matching ``regex``; roll its writes back.

        Unlike ``assertRaises``, ``assertRaisesRegex`` keeps no savepoint:
        without one, the refused value would stay in the cache.
        """
        with self.assertRaisesRegex(exception, regex), self.env.cr.savepoint():
            yield

    def _rate(self, form, fname, level):
        """Rate the aspect of the visit's field ``fname`` in the Log Outcome
        ``form``: the line of its item in the script, as an agent does."""
        aspect = {field: key for key, field in ASPECT_FIELDS.items()}[fname]
        for index in range(len(form.answer_ids)):
            with form.answer_ids.edit(index) as line:
                if line.question_id.aspect == aspect:
                    line.value_level = level
                    return
        raise AssertionError(f"No item rates {aspect} in this script")
