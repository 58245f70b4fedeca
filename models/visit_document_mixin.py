from odoo import api, fields, models


class VisitDocumentMixin(models.AbstractModel):
    """Smart button and "Schedule a visit" for documents visits point to.

    A model using it names in ``_visit_link_field`` the field of
    ``visit.record`` that points back to it (``partner_id``,
    ``sale_order_id``, ``ticket_id``).
    """

    _name = "visit.document.mixin"
    _description = "Document with Follow-up Visits"
    _visit_link_field = None

    visit_count = fields.Integer(
        string="Visits",
        compute="_compute_visit_count",
        groups="customer_visit.group_visit_user",
    )

    @api.depends_context("uid")
    def _compute_visit_count(self):
        link = self._visit_link_field
        # The count follows the record rules: a user counts the visits they
        # may open, which is what the smart button then shows.
        counts = (
            dict(
                self.env["visit.record"]._read_group(
                    [(link, "in", self.ids)], [link], ["__count"]
                )
            )
            if self.ids
            else {}
        )
        for doc in self:
            doc.visit_count = counts.get(doc, 0)

    def _visit_partner(self):
        self.ensure_one()
        return self.partner_id

    def _visit_default_values(self):
        """Defaults of a visit scheduled from this document."""
        self.ensure_one()
        partner = self._visit_partner()
        values = {
            "default_partner_id": partner.id,
            f"default_{self._visit_link_field}": self.id,
        }
        if "company_id" in self._fields and self.company_id:
            values["default_company_id"] = self.company_id.id
        return values

    def action_view_visits(self):
        """Open the visits of this document."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_visit.visit_record_action"
        )
        action["domain"] = [(self._visit_link_field, "=", self.id)]
        action["context"] = self._visit_default_values()
        return action

    def action_schedule_visit(self):
        """Open a new visit prefilled with this document."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Schedule a visit"),
            "res_model": "visit.record",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": self._visit_default_values(),
        }
