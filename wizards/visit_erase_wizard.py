from odoo import api, fields, models


class VisitEraseWizard(models.TransientModel):
    """Erase a customer's personal data from the follow-ups, on their
    request (PIPL / GDPR), keeping the anonymous counts."""

    _name = "visit.erase.wizard"
    _description = "Erase Personal Data from Follow-ups"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        ondelete="cascade",
        help="The customer whose follow-up data is erased, with their contacts.",
    )
    include_signed = fields.Boolean(
        string="Also signed sheets",
        help="A signed sheet is the legal record of a visit and is kept as "
        "signed. Tick only when it must go too: its opinion, answers, signer "
        "and signature are erased; its hash and signing date stay.",
    )
    visit_count = fields.Integer(string="Visits", compute="_compute_counts")
    signed_count = fields.Integer(string="Signed sheets", compute="_compute_counts")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if (
            "partner_id" in fields_list
            and not values.get("partner_id")
            and context.get("active_model") == "res.partner"
        ):
            values["partner_id"] = context.get("active_id")
        return values

    @api.depends("partner_id")
    def _compute_counts(self):
        Visit = self.env["visit.record"].with_context(active_test=False)
        for wizard in self:
            visits = Visit.search(
                [
                    "|",
                    ("partner_id", "child_of", wizard.partner_id.ids),
                    ("contact_id", "child_of", wizard.partner_id.ids),
                ]
                if wizard.partner_id
                else [("id", "=", False)]
            )
            wizard.visit_count = len(visits)
            wizard.signed_count = len(visits.filtered("signature_hash"))

    def action_erase(self):
        """Erase, log on the customer, and tell the manager what was done."""
        self.ensure_one()
        counts = self.partner_id._visit_erase_personal_data(
            include_signed=self.include_signed
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Personal data erased from %(visits)s visits (%(kept)s signed "
                    "sheets kept). The customer's chatter logs it.",
                    visits=counts["visits"],
                    kept=counts["kept"],
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
