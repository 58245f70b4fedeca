from odoo import fields, models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "visit.document.mixin"]
    _visit_link_field = "partner_id"

    do_not_visit = fields.Boolean(
        string="Do not visit",
        tracking=True,
        help="The customer asked not to be contacted for follow-ups: no visit "
        "is planned for them and their open visits are cancelled.",
    )
    visit_record_ids = fields.One2many(
        "visit.record", "partner_id", string="Follow-up Visits",
        groups="customer_visit.group_visit_user",
    )

    def _visit_partner(self):
        return self

    def write(self, vals):
        res = super().write(vals)
        if vals.get("do_not_visit"):
            self._cancel_open_visits()
        return res

    def _cancel_open_visits(self):
        """Respect a do-not-visit wish: cancel every open visit."""
        # sudo: the wish applies to all visits, including those of agents
        # the user flagging the partner cannot see.
        visits = self.env["visit.record"].sudo().search(
            [
                ("partner_id", "child_of", self.ids),
                ("state", "in", ("planned", "in_progress")),
            ]
        )
        if visits:
            visits._do_cancel()
            for visit in visits:
                visit.message_post(
                    body=self.env._("Cancelled: the customer asked not to be contacted.")
                )
        return visits
