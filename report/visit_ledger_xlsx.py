from odoo import fields, models
from odoo.exceptions import UserError


class ReportVisitLedger(models.AbstractModel):
    """The visit ledger (回访台帐) as an xlsx report (OCA ``report_xlsx``):
    of the visits selected in the list (docids, read under the user's record
    rules), or of a company's report cycle (``data``: ``company_id``,
    ``date_from``, ``date_to``), mailed with the monthly report. The sheets
    are written by ``visit.ledger``."""

    _name = "report.customer_visit.report_visit_ledger"
    _inherit = "report.report_xlsx.abstract"
    _description = "Visit Ledger (xlsx)"

    def get_workbook_options(self):
        # constant_memory: rows go to a temp file as they are written.
        # strings_to_formulas off: a customer named "=HYPERLINK(...)" stays text.
        return {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        }

    def generate_xlsx_report(self, workbook, data, objs):
        data = data or {}
        Ledger = self.env["visit.ledger"]
        if not data.get("date_from"):
            Ledger._write_workbook(workbook, [("id", "in", objs.ids)])
            return
        Monthly = self.env["report.customer_visit.report_visit_monthly"]
        company = self.env["res.company"].browse(data.get("company_id") or [])
        date_from = fields.Date.to_date(data["date_from"])
        date_to = fields.Date.to_date(data.get("date_to"))
        if len(company) != 1 or not date_to:
            raise UserError(
                self.env._(
                    "The ledger of a report cycle is downloaded from Follow-ups "
                    "▸ Monthly Reports: choose a report there."
                )
            )
        # Only the company's visit managers (and the report job) read the
        # ledger of a whole cycle.
        Monthly._check_company_access(company)
        cycle = Monthly._cycle(date_from, date_to, company)
        # The report's cycle, visits and cases: the ledger sums up what the
        # PDF counts.
        Ledger._write_workbook(
            workbook,
            cycle["domain"],
            period=cycle["period"],
            filter_label=company.name,
            case_domain=cycle["case_domain"],
        )
