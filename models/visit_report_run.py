import json
import logging
from urllib.parse import quote

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from .visit_record import XLSX_MIMETYPE

_logger = logging.getLogger(__name__)


class VisitReportRun(models.Model):
    """One cycle of the follow-up report: its company, its period, its files
    and whether (and when) it was mailed.

    The report (PDF) and the ledger (xlsx) name customers, phones, agents
    and outcomes: they are attached here, where only the visit managers of
    the company can read them (an attachment is readable by whoever can
    read the record it is attached to), never to the company, which every
    employee reads.
    """

    _name = "visit.report.run"
    _inherit = ["mail.thread"]
    _description = "Monthly Follow-up Report"
    _order = "date_to desc, id desc"

    name = fields.Char(string="Report", required=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    date_from = fields.Date(string="From", required=True, readonly=True)
    date_to = fields.Date(string="To", required=True, readonly=True)
    visit_count = fields.Integer(string="Visits", readonly=True)
    missed_count = fields.Integer(string="Targets missed", readonly=True)
    state = fields.Selection(
        [("prepared", "Prepared, not sent"), ("sent", "Sent")],
        required=True,
        readonly=True,
        # Reports kept before this field existed were all sent.
        default="sent",
    )
    sent_date = fields.Datetime(string="Sent on", readonly=True, copy=False)
    pdf_missing = fields.Char(
        string="PDF not made",
        readonly=True,
        help="Why the PDF could not be made when the files were prepared.",
    )
    attachment_ids = fields.One2many(
        "ir.attachment",
        "res_id",
        string="Files",
        domain=[("res_model", "=", "visit.report.run")],
        readonly=True,
    )

    @api.model
    def action_prepare_cycle(self):
        """Make the report and ledger of the company's next cycle (the first
        one not sent yet) without sending them, and open it."""
        # Only who reads the reports (the company's visit managers) prepares one.
        self.check_access("read")
        company = self.env.company
        cycle = company._visit_report_next_cycle(company._visit_today())
        run = self._prepare_cycle(company, cycle.date_from, cycle.date_to)
        run._message_log(
            body=self.env._(
                "Prepared by %(user)s (not sent); sent by the scheduled job on "
                "%(send_date)s.",
                user=self.env.user.name,
                send_date=format_date(self.env, cycle.send_date),
            )
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    @api.model
    def _prepare_cycle(self, company, date_from, date_to):
        """Make the report (PDF) and ledger (xlsx) of the local days
        ``date_from`` to ``date_to`` (both included) of ``company`` through
        their reports, given the company and the period only, and keep them
        in the cycle's run (made, or refreshed when the cycle was already
        prepared or sent), unsent; return the run."""
        self = self.with_context(lang=company._visit_report_lang())
        Report = self.env["ir.actions.report"]
        summary = self.env["report.customer_visit.report_visit_monthly"]._summary(
            date_from, date_to, company
        )
        period = {"date_from": summary["date_from"], "date_to": summary["date_to"]}
        file_label = summary["label"].replace(" – ", "_")
        files = []
        pdf_missing = ""
        try:
            pdf, _kind = Report._render_qweb_pdf(
                "customer_visit.visit_monthly_report", company.ids, data=period
            )
            files.append(
                {
                    "name": self.env._("Follow-up report %s.pdf", file_label),
                    "raw": pdf,
                    "mimetype": "application/pdf",
                }
            )
        except (UserError, OSError) as error:
            # No wkhtmltopdf (or gone since the server started): the managers
            # still get the ledger, and why the PDF is missing; the other
            # companies still get theirs.
            _logger.warning(
                "Company %s: monthly report without its PDF: %s", company.id, error
            )
            pdf_missing = str(error)
        xlsx, _kind = Report._render_xlsx(
            "customer_visit.visit_record_report_ledger",
            None,
            data=dict(period, company_id=company.id),
        )
        files.append(
            {
                "name": self.env._("Visit ledger %s.xlsx", file_label),
                "raw": xlsx,
                "mimetype": XLSX_MIMETYPE,
            }
        )
        values = {
            "name": self.env._("Follow-up report %(month)s", month=summary["label"]),
            "company_id": company.id,
            "date_from": date_from,
            "date_to": date_to,
            "visit_count": summary["visit_count"],
            "missed_count": summary["missed_count"],
            "pdf_missing": pdf_missing,
        }
        # sudo: the report job (or a manager's Prepare, checked there) files
        # the report; managers only read it.
        Run = self.sudo()
        run = Run.search(
            [
                ("company_id", "=", company.id),
                ("date_from", "=", date_from),
                ("date_to", "=", date_to),
            ],
            limit=1,
        )
        if run:
            run.attachment_ids.unlink()
            run.write(values)
        else:
            run = Run.create(dict(values, state="prepared"))
        # Attached to the report run, which only the company's visit
        # managers read: never to the company, which every employee reads.
        # sudo: as the run above.
        self.env["ir.attachment"].sudo().create(
            [dict(values, res_model=run._name, res_id=run.id) for values in files]
        )
        return run.with_env(self.env)

    def _report_options(self):
        return {"run_id": self.id}

    def action_preview(self):
        """Open the cycle's report (PDF) in a new browser tab."""
        self.ensure_one()
        self.check_access("read")
        options = quote(json.dumps(self._report_options()))
        return {
            "type": "ir.actions.act_url",
            "url": "/report/pdf/customer_visit.report_visit_monthly/%s?options=%s"
            % (self.company_id.id, options),
            "target": "new",
        }

    def action_print(self):
        """Download the cycle's report (PDF)."""
        self.ensure_one()
        self.check_access("read")
        return self.env.ref("customer_visit.visit_monthly_report").report_action(
            self.company_id, data=self._report_options()
        )

    def action_resend(self):
        """Mail the kept report and ledger again to the company's visit
        managers, and log it on the report."""
        self.check_access("read")
        for run in self:
            run._send_report_mail()
        return True

    def _send_report_mail(self):
        """Queue the mail of the kept files to the company's visit managers,
        mark the cycle sent and log it; return the mail."""
        self.ensure_one()
        company = self.company_id
        self = self.with_context(lang=company._visit_report_lang())
        recipients = company._visit_report_recipients()
        label = self.env["report.customer_visit.report_visit_monthly"]._cycle_label(
            self.date_from, self.date_to
        )
        # Markup: our own translated HTML; its values are numbers and dates.
        body = Markup(
            self.env._(
                "<p>The follow-up report and the visit ledger of %(month)s are "
                "attached: "
                "%(count)s visits, %(missed)s targets missed.</p>",
                month=label,
                count=self.visit_count,
                missed=self.missed_count,
            )
        )
        if self.pdf_missing:
            body += Markup("<p>%s</p>") % self.env._(
                "The PDF report could not be made: %s", self.pdf_missing
            )
        # sudo: the cron user, or a manager who reads this report, sends it;
        # mail.mail is not writable by visit managers.
        mail = (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "subject": self.env._(
                        "%(company)s: follow-up report %(month)s",
                        company=company.name,
                        month=label,
                    ),
                    "body_html": body,
                    "email_from": company.email_formatted
                    or self.env.user.email_formatted,
                    "email_to": ",".join(recipients.mapped("email_formatted")),
                    # sudo: the run's own files, read by a manager who may
                    # read the run (checked above), to attach them.
                    "attachment_ids": [Command.set(self.sudo().attachment_ids.ids)],
                    "auto_delete": False,
                }
            )
        )
        was_sent = self.state == "sent"
        # sudo: state and date change only through this send.
        self.sudo().write({"state": "sent", "sent_date": fields.Datetime.now()})
        self._message_log(
            body=self.env._(
                "%(action)s to %(recipients)s by %(user)s.",
                action=self.env._("Sent again") if was_sent else self.env._("Sent"),
                recipients=", ".join(recipients.mapped("name"))
                or self.env._("nobody (no visit manager with an e-mail)"),
                user=self.env.user.name,
            )
        )
        return mail
