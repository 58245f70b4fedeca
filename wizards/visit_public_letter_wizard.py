import base64

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import html_sanitize, is_html_empty

from ..models.visit_protect import addon_action


class VisitPublicLetterWizard(models.TransientModel):
    """One letter answering many customers about the same issue (公开信)."""

    _name = "visit.public.letter.wizard"
    _description = "Public Letter"

    record_ids = fields.Many2many("visit.record", string="Visits", required=True)
    subject = fields.Char(required=True)
    body = fields.Html(required=True, sanitize=True)

    @addon_action
    def action_generate(self):
        """Render the letter once and archive it on every visit it answers."""
        self.ensure_one()
        if not self.record_ids:
            raise UserError(self.env._("Select the visits this letter answers."))
        if not (self.subject or "").strip() or is_html_empty(self.body):
            raise UserError(self.env._("A public letter needs a subject and a text."))
        pdf, _type = self.env["ir.actions.report"]._render_qweb_pdf(
            "customer_visit.visit_record_report_public_letter",
            self.record_ids.ids,
            data={"subject": self.subject, "body": Markup(html_sanitize(self.body))},
        )
        datas = base64.b64encode(pdf)
        name = self.env._("Public letter - %s.pdf", self.subject)
        attachments = self.env["ir.attachment"].create(
            [
                {
                    "name": name,
                    "type": "binary",
                    "datas": datas,
                    "mimetype": "application/pdf",
                    "res_model": "visit.record",
                    "res_id": record.id,
                }
                for record in self.record_ids
            ]
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachments[:1].id}?download=true",
            "target": "self",
        }
