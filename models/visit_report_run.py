from odoo import fields, models


class VisitReportRun(models.Model):
    """One follow-up report sent: its company, its period and its files.

    The report (PDF) and the ledger (xlsx) name customers, phones, agents
    and outcomes: they are attached here, where only the visit managers of
    the company can read them (an attachment is readable by whoever can
    read the record it is attached to), never to the company, which every
    employee reads.
    """

    _name = "visit.report.run"
    _description = "Follow-up Report Sent"
    _order = "date_to desc, id desc"

    name = fields.Char(string="Report", required=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    date_from = fields.Date(string="From", required=True, readonly=True)
    date_to = fields.Date(string="To", required=True, readonly=True)
    visit_count = fields.Integer(string="Visits", readonly=True)
    missed_count = fields.Integer(string="Targets missed", readonly=True)
    attachment_ids = fields.One2many(
        "ir.attachment",
        "res_id",
        string="Files",
        domain=[("res_model", "=", "visit.report.run")],
        readonly=True,
    )
