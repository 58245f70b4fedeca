from datetime import datetime, timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import VisitCommon


@tagged("post_install", "-at_install")
class TestRepeatIssues(VisitCommon):
    """The repeated issues: per month of the company's calendar, the same
    customer complaining twice, the same source or the same product served
    visited three times, the same customer giving the same reason for a low
    score twice; each line opens the visits behind it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a.resource_calendar_id.tz = "Asia/Shanghai"
        cls.xu, cls.yang, cls.zhao = cls.env["res.partner"].create(
            [{"name": "许"}, {"name": "杨"}, {"name": "赵"}]
        )
        cls.repair = cls.env["helpdesk.ticket"].create(
            {
                "name": "Leaking pipe",
                "description": "<p>Leak</p>",
                "partner_id": cls.xu.id,
            }
        )
        cls.repair_2 = cls.env["helpdesk.ticket"].create(
            {"name": "Door", "description": "<p>Door</p>", "partner_id": cls.yang.id}
        )
        cls.boiler = cls.env["product.product"].create({"name": "Boiler"})
        cls.waiting = cls.env["visit.score.reason"].create(
            {"name": "Waiting at the counter", "company_id": cls.company_a.id}
        )
        cls.attitude = cls.env.ref("customer_visit.visit_score_reason_attitude")
        cls.type_plain.score_reason_ids = cls.waiting | cls.attitude

    def _visit(
        self, partner, day, state="done", service="satisfied", reasons=None, **values
    ):
        """A visit due on ``day`` (09:00 in Shanghai), or at the UTC time
        ``day`` gives, closed as ``state``; rated ``service`` with the
        reasons for a low score ``reasons`` when reached."""
        scheduled = datetime.fromisoformat(day)
        if "T" not in day:
            scheduled += timedelta(hours=1)  # 09:00 in Shanghai
        visit = self._create_visit(
            partner_id=partner.id,
            scheduled_date=scheduled,
            deadline=scheduled + timedelta(days=1),
            **values,
        )
        if state in ("done", "reached"):
            visit.write(
                {
                    "outcome": "reached",
                    "satisfaction_service": service,
                    "score_reason_ids": [Command.set(reasons.ids if reasons else [])],
                }
            )
            if state == "done":
                visit.action_done()
        elif state == "failed":
            visit.write(
                {
                    "outcome": "not_reached",
                    "unreached_reason_id": self.reason("no_answer").id,
                }
            )
            visit.action_done()
        elif state == "cancelled":
            visit.action_cancel()
        return visit

    def test_repeated_issues_with_hand_counted_lines(self):
        xu, yang, zhao = self.xu, self.yang, self.zhao
        # 许 in March: unsatisfied once, a complaint ticket raised from a
        # satisfied visit once: 2 complaints. The three visits of the leaking
        # pipe, satisfied: 3 visits of one source (no complaint).
        unhappy = self._visit(xu, "2026-03-02", service="unsatisfied")
        ticketed = self._visit(xu, "2026-03-05")
        self.env["helpdesk.ticket"].create(
            {
                "name": "Raised on the call",
                "description": "<p>Still noisy</p>",
                "partner_id": xu.id,
                "origin_visit_id": ticketed.id,
            }
        )
        pipe = (
            self._visit(xu, "2026-03-10", ticket_id=self.repair.id)
            | self._visit(xu, "2026-03-17", ticket_id=self.repair.id)
            # 31 March 23:30 in Shanghai is still March (15:30 UTC).
            | self._visit(xu, "2026-03-31T15:30:00", ticket_id=self.repair.id)
        )
        # 杨: unsatisfied once in March, once in April: never twice a month.
        # The door: visited twice only.
        self._visit(
            yang, "2026-03-03", service="unsatisfied", ticket_id=self.repair_2.id
        )
        self._visit(
            yang, "2026-04-03", service="unsatisfied", ticket_id=self.repair_2.id
        )
        # 赵's boiler in April: three visits done; a failed and a cancelled
        # one do not count.
        boiler = (
            self._visit(zhao, "2026-04-01", served_product_id=self.boiler.id)
            | self._visit(zhao, "2026-04-08", served_product_id=self.boiler.id)
            | self._visit(zhao, "2026-04-29", served_product_id=self.boiler.id)
        )
        self._visit(zhao, "2026-04-15", "failed", served_product_id=self.boiler.id)
        self._visit(zhao, "2026-04-16", "cancelled", served_product_id=self.boiler.id)
        # A fourth boiler visit, on 1 May 07:00 in Shanghai (30 April 23:00
        # UTC): May, not April.
        self._visit(zhao, "2026-04-30T23:00:00", served_product_id=self.boiler.id)

        Report = self.env["visit.repeat.report"].with_user(self.manager)
        lines = Report.search([("partner_id", "in", (xu | yang | zhao).ids)])
        self.assertEqual(
            sorted(
                (
                    line.kind,
                    line.partner_id.name,
                    line.source_name or "",
                    line.product_id.name or "",
                    str(line.month),
                    line.count,
                )
                for line in lines
            ),
            [
                ("complaint", "许", "", "", "2026-03-01", 2),
                ("product", "赵", "", "Boiler", "2026-04-01", 3),
                ("source", "许", self.repair.display_name, "", "2026-03-01", 3),
            ],
        )
        by_kind = {line.kind: line for line in lines}
        for kind, visits in (
            ("complaint", unhappy | ticketed),
            ("source", pipe),
            ("product", boiler),
        ):
            action = by_kind[kind].action_open_visits()
            self.assertEqual(
                self.env["visit.record"].search(action["domain"]), visits, kind
            )
        # The pivot's figure: the times of every repeated issue of March.
        [(count,)] = Report._read_group(
            [
                ("partner_id", "in", (xu | yang | zhao).ids),
                ("month", "=", "2026-03-01"),
            ],
            [],
            ["count:sum"],
        )
        self.assertEqual(count, 5)

    def test_repeated_issues_are_for_managers(self):
        with self.assertRaises(AccessError):
            self.env["visit.repeat.report"].with_user(self.agent).search([])

    def test_same_reason_recurring_per_customer_with_hand_counted_lines(self):
        xu, yang = self.xu, self.yang
        waiting, attitude = self.waiting, self.attitude
        xu_son = self.env["res.partner"].create({"name": "许小明", "parent_id": xu.id})
        # 许 in May, "basically satisfied" each time (a low score, neither a
        # complaint nor a ticket): waiting 3 times, attitude twice. The third
        # visit is of a person of 许's (counted for 许), due 31 May 23:30 in
        # Shanghai (15:30 UTC): still May.
        first = self._visit(
            xu, "2026-05-04", service="basically_satisfied", reasons=waiting | attitude
        )
        second = self._visit(
            xu, "2026-05-11", service="basically_satisfied", reasons=waiting | attitude
        )
        third = self._visit(
            xu_son,
            "2026-05-31T15:30:00",
            service="basically_satisfied",
            reasons=waiting,
        )
        # Waiting once more on 1 June 07:00 in Shanghai (31 May 23:00 UTC):
        # June, alone there.
        self._visit(
            xu, "2026-05-31T23:00:00", service="basically_satisfied", reasons=waiting
        )
        # 杨: attitude once in May done, once reached but not closed (not
        # done: not counted), once in June: never twice in a month.
        self._visit(yang, "2026-05-06", service="unsatisfied", reasons=attitude)
        self._visit(
            yang,
            "2026-05-20",
            state="reached",
            service="basically_satisfied",
            reasons=attitude,
        )
        self._visit(yang, "2026-06-02", service="unsatisfied", reasons=attitude)

        Report = self.env["visit.repeat.report"].with_user(self.manager)
        lines = Report.search([("partner_id", "in", (xu | yang).ids)])
        self.assertEqual(
            sorted(
                (
                    line.kind,
                    line.partner_id.name,
                    line.reason_id.name,
                    str(line.month),
                    line.count,
                    line.threshold,
                )
                for line in lines
            ),
            [
                ("reason", "许", "Service attitude", "2026-05-01", 2, 2),
                ("reason", "许", "Waiting at the counter", "2026-05-01", 3, 2),
            ],
        )
        # Both lines start with the first visit: the reasons' order keeps
        # their ids apart (first * 16 + 3 and + 4), the same on every read,
        # in the int4 range of ids XML-RPC can send.
        by_reason = {line.reason_id: line for line in lines}
        self.assertEqual(
            sorted(lines.ids),
            sorted(first.id * 16 + 3 + rank for rank in (0, 1)),
        )
        self.assertLess(max(lines.ids), 2**31)
        self.assertEqual(
            Report.search([("partner_id", "in", (xu | yang).ids)]).ids, lines.ids
        )
        for reason, visits in (
            (waiting, first | second | third),
            (attitude, first | second),
        ):
            action = by_reason[reason].action_open_visits()
            self.assertEqual(
                self.env["visit.record"].search(action["domain"]), visits, reason.name
            )
        # Filtered and grouped by reason, as the search view does: waiting
        # 3 times, attitude 2.
        self.assertEqual(
            Report.search([("partner_id", "=", xu.id), ("reason_id", "=", waiting.id)]),
            by_reason[waiting],
        )
        self.assertEqual(
            dict(
                Report._read_group(
                    [("partner_id", "in", (xu | yang).ids)],
                    ["reason_id"],
                    ["count:sum"],
                )
            ),
            {waiting: 3, attitude: 2},
        )
        # Only the managers read them.
        with self.assertRaises(AccessError):
            self.env["visit.repeat.report"].with_user(self.agent).search(
                [("kind", "=", "reason")]
            )
