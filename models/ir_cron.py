from odoo import fields, models


class IrCron(models.Model):
    _inherit = "ir.cron"

    visit_generate_part = fields.Integer(
        string="Follow-up generation part",
        help="Technical: the part of every follow-up rule this Generate job "
        "plans (0 for the first job).",
    )
    visit_dispatch_part = fields.Integer(
        string="Follow-up dispatch part",
        help="Technical: the part of the due e-mail and SMS visits this "
        "Dispatch job sends (0 for the first job).",
    )
