import logging

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError

_logger = logging.getLogger(__name__)


class ResCompany(models.Model):
    _inherit = "res.company"

    visit_report_day = fields.Integer(
        string="Monthly follow-up report day",
        default=25,
        help="Day of the month (1-28) on which managers receive the month's "
        "follow-up report and ledger.",
    )
    visit_min_interval_days = fields.Integer(
        string="Contact interval (days)",
        default=0,
        help="At most one follow-up visit per customer within this many days, "
        "across all rules: visits due closer together are merged. 0: no limit.",
    )
    visit_report_last_month = fields.Char(
        readonly=True, copy=False,
        help="Technical: the month (YYYY-MM) of the last report sent, so a "
        "month is never sent twice.",
    )

    @api.constrains("visit_min_interval_days")
    def _check_visit_min_interval_days(self):
        if any(company.visit_min_interval_days < 0 for company in self):
            raise ValidationError(self.env._("The contact interval cannot be negative."))

    @api.constrains("visit_report_day")
    def _check_visit_report_day(self):
        for company in self:
            if not 1 <= company.visit_report_day <= 28:
                raise ValidationError(
                    self.env._(
                        "The monthly report day is a day from 1 to 28 (every "
                        "month has it), not %s.",
                        company.visit_report_day,
                    )
                )

    @api.model
    def _cron_send_visit_monthly_report(self):
        """Mail each company's managers the month's report (PDF) and ledger
        (xlsx) on the company's report day; once per month."""
        today = fields.Date.context_today(self)
        month = today.strftime("%Y-%m")
        companies = self.search(
            [("visit_report_day", "=", today.day),
             "|", ("visit_report_last_month", "=", False), ("visit_report_last_month", "!=", month)]
        )
        for company in companies:
            company._send_visit_monthly_report(today.replace(day=1), today)
            company.visit_report_last_month = month

    def _send_visit_monthly_report(self, date_from, date_to):
        self.ensure_one()
        report = self.env["visit.indicator"]._monthly_report_data(date_from, date_to, self)
        label = date_from.strftime("%Y-%m")
        files = []
        pdf_missing = ""
        try:
            pdf, _kind = self.env["ir.actions.report"]._render_qweb_pdf(
                "customer_visit.visit_monthly_report", self.ids, data=report
            )
            files.append({"name": self.env._("Follow-up report %s.pdf", label), "raw": pdf,
                          "mimetype": "application/pdf"})
        except UserError as error:
            # No wkhtmltopdf: the managers still get the ledger, and why the
            # PDF is missing; the other companies still get theirs.
            _logger.warning("Company %s: monthly report without its PDF: %s", self.id, error)
            pdf_missing = str(error)
        files.append({"name": self.env._("Visit ledger %s.xlsx", label),
                      "raw": self.env["visit.ledger"]._xlsx(report["domain"]),
                      "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
        attachments = self.env["ir.attachment"].create(
            [dict(values, res_model="res.company", res_id=self.id) for values in files]
        )
        # Markup: our own translated HTML; its values are numbers and a month.
        body = Markup(self.env._(
            "<p>The follow-up report and the visit ledger of %(month)s are attached: "
            "%(count)s visits, %(missed)s targets missed.</p>",
            month=label, count=report["visit_count"], missed=report["missed_count"],
        ))
        if pdf_missing:
            body += Markup("<p>%s</p>") % self.env._(
                "The PDF report could not be made: %s", pdf_missing
            )
        managers = self.env.ref("customer_visit.group_visit_manager").users.filtered(
            lambda user: self in user.company_ids and user.email and not user.share
        )
        # sudo: the cron user sends the report; mail.mail is not writable
        # by visit managers.
        return self.env["mail.mail"].sudo().create(
            {
                "subject": self.env._("%(company)s: follow-up report %(month)s", company=self.name, month=label),
                "body_html": body,
                "email_from": self.email_formatted or self.env.user.email_formatted,
                "email_to": ",".join(managers.mapped("email_formatted")),
                "attachment_ids": [Command.set(attachments.ids)],
                "auto_delete": False,
            }
        )
