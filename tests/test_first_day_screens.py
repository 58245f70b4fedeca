import re

from lxml import etree

from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from .common import VisitCommon

ASPECTS = ("score_product", "score_service", "score_timeliness", "score_result")


@tagged("post_install", "-at_install")
class TestFirstDayScreens(VisitCommon):
    """The visit form, the Analysis list and the rule summary, as their
    users see them on the first day."""

    # ------------------------------------------------------------------
    # Visit form, Script tab
    # ------------------------------------------------------------------
    def test_an_unanswered_rating_reads_empty_in_the_script_tab(self):
        visit = self._create_visit(
            type_id=self.type_complaint.id, user_id=self.agent.id
        ).with_user(self.agent)
        rating = visit.answer_ids.filtered(lambda a: a.answer_kind == "rating")
        self.assertEqual(rating.value_rating, 0, "stored as 0: not answered")
        self.assertIs(
            rating.read(["value_rating_choice"])[0]["value_rating_choice"], False
        )
        form = Form(visit)
        index = visit.answer_ids.ids.index(rating.id)
        with form.answer_ids.edit(index) as answer:
            self.assertIs(answer.value_rating_choice, False)
            answer.value_rating_choice = "4"
        form.save()
        self.assertEqual(rating.value_rating, 4)
        self.assertEqual(rating._display_value(), "4")
        # Cleared again: back to not answered, stored as 0.
        with form.answer_ids.edit(index) as answer:
            self.assertEqual(answer.value_rating_choice, "4")
            answer.value_rating_choice = False
        form.save()
        self.assertEqual(rating.value_rating, 0)
        self.assertEqual(rating._display_value(), "")

    # ------------------------------------------------------------------
    # Visit form, Source group
    # ------------------------------------------------------------------
    def test_a_ticket_visit_does_not_offer_another_source(self):
        Visit = self.env["visit.record"].with_user(self.manager)
        ticket_visit = Visit.create(
            self._visit_vals(user_id=self.manager.id, ticket_id=self.ticket.id)
        )
        form = Form(ticket_visit)
        self.assertTrue(form._get_modifier("source_ref", "invisible"))
        self.assertFalse(form._get_modifier("ticket_id", "invisible"))
        order_visit = Visit.create(
            self._visit_vals(user_id=self.manager.id, sale_order_id=self.order.id)
        )
        self.assertTrue(Form(order_visit)._get_modifier("source_ref", "invisible"))
        # A new visit with no source yet offers it, until a ticket is chosen.
        form = Form(Visit)
        self.assertFalse(form._get_modifier("source_ref", "invisible"))
        form.ticket_id = self.ticket
        self.assertTrue(form._get_modifier("source_ref", "invisible"))
        form.ticket_id = self.env["helpdesk.ticket"]
        self.assertFalse(form._get_modifier("source_ref", "invisible"))
        # A visit about another document shows it.
        contact = self.env["res.partner"].create({"name": "Dealer Zhang"})
        other = Visit.create(
            self._visit_vals(
                user_id=self.manager.id, source_ref=f"res.partner,{contact.id}"
            )
        )
        self.assertFalse(Form(other)._get_modifier("source_ref", "invisible"))

    # ------------------------------------------------------------------
    # Analysis list
    # ------------------------------------------------------------------
    def _list_columns(self, measure=None):
        """{field name: [(optional, column_invisible)]} of the Analysis
        list the manager opens, as drilled into ``measure``."""
        Case = self.env["visit.case"].with_user(self.manager)
        if measure:
            Case = Case.with_context(visit_case_measure=measure)
        arch = Case.get_views([(False, "list")])["views"]["list"]["arch"]
        columns = {}
        for node in etree.fromstring(arch).iterfind("field"):
            columns.setdefault(node.get("name"), []).append(
                (node.get("optional"), node.get("column_invisible", ""))
            )
        return columns

    @staticmethod
    def _shown(column, measure):
        """Whether a column node is in the list drilled into ``measure``
        (its condition evaluated as the web client does)."""
        _optional, condition = column
        if not condition:
            return True
        return not safe_eval(condition, {"context": {"visit_case_measure": measure}})

    def test_the_aspects_are_optional_columns_of_the_analysis(self):
        columns = self._list_columns()
        for aspect in ASPECTS:
            optional = [
                column
                for column in columns.get(aspect, [])
                if column[0] == "hide" and self._shown(column, False)
            ]
            self.assertEqual(len(optional), 1, f"{aspect} hidden until chosen")
            # Without a drill-down, no column of the aspect is forced on.
            forced = [
                column
                for column in columns.get(aspect, [])
                if not column[0] and self._shown(column, False)
            ]
            self.assertFalse(forced, aspect)

    def test_a_drill_down_into_an_aspect_shows_its_column(self):
        columns = self._list_columns("score_service")
        shown = [
            column
            for column in columns["score_service"]
            if self._shown(column, "score_service")
        ]
        self.assertEqual(shown, [(None, shown[0][1])], "shown, not optional")
        self.assertFalse(
            [
                c
                for c in columns["satisfaction_score"]
                if self._shown(c, "score_service")
            ]
        )
        # The other aspects stay available, hidden.
        for aspect in ("score_product", "score_timeliness", "score_result"):
            self.assertEqual(
                [c[0] for c in columns[aspect] if self._shown(c, "score_service")],
                ["hide"],
            )

    # ------------------------------------------------------------------
    # Rule summary in Chinese
    # ------------------------------------------------------------------
    def _load_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["customer_visit"], ["zh_CN"], overwrite=True
        )

    def test_the_chinese_summary_of_a_ticket_rule_has_no_english_label(self):
        self._load_chinese()
        rule = self.env["visit.rule"].create(
            self._rule_vals(
                [{"delay": 1, "delay_unit": "days"}],
                exclude_domain="[('closed_date', '=', False)]",
            )
        )
        for fname in ("closed_date", "last_stage_update", "assigned_date"):
            rule.date_field_id = self.env["ir.model.fields"]._get(
                "helpdesk.ticket", fname
            )
            english = rule.with_user(self.manager).with_context(lang="en_US").summary
            english_label = rule.date_field_id.with_context(lang="en_US")
            self.assertIn(english_label.field_description, english)
            summary = rule.with_user(self.manager).with_context(lang="zh_CN").summary
            # The channel is a record name (a visit type's label is data);
            # the rest, field labels included, is Chinese.
            self.assertFalse(re.findall("[A-Za-z]+", summary), summary)
