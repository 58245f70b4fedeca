from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .ir_cron import DEFAULT_WORKERS, MAX_WORKERS, WORKERS_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    visit_generate_workers = fields.Integer(
        string="Job workers",
        config_parameter=WORKERS_PARAM,
        default=DEFAULT_WORKERS,
        help="How many Generate jobs plan the rules at once, each on its own "
        "part of every rule's sources, and how many Dispatch jobs send the "
        "due messages at once, each its own part of the visits. Up to the "
        "cron workers of all the servers sharing the database (Odoo's "
        "--max-cron-threads, 2 by default on each server); 1 to 16.",
    )

    # The monthly report's cycle, kept on the company (each its own).
    visit_report_cycle = fields.Selection(
        related="company_id.visit_report_cycle",
        readonly=False,
        string="Each report covers",
        help="A calendar month: the report covers the previous month and is "
        "sent on the day chosen below. Up to a cut-off day: each report "
        "covers the days after the previous month's cut-off up to this "
        "month's, and is sent the day after the cut-off.",
    )
    visit_report_day = fields.Integer(
        related="company_id.visit_report_day",
        readonly=False,
        string="Sent on day",
        help="The day of the month (1 to 28) the visit managers receive the "
        "previous month's report and ledger.",
    )
    visit_report_cutoff_day = fields.Integer(
        related="company_id.visit_report_cutoff_day",
        readonly=False,
        string="Cut-off day",
        help="The last day (1 to 28) of each report: with 22, a report covers "
        "the 23rd of the previous month to the 22nd and is sent on the 23rd.",
    )
    visit_report_next = fields.Char(compute="_compute_visit_report_next")

    @api.depends(
        "company_id",
        "visit_report_cycle",
        "visit_report_day",
        "visit_report_cutoff_day",
    )
    def _compute_visit_report_next(self):
        # The next report as the cycle being edited would send it.
        for settings in self:
            company = settings.company_id
            settings.visit_report_next = (
                self.env["res.company"]
                .new(
                    {
                        "visit_report_cycle": settings.visit_report_cycle,
                        "visit_report_day": settings.visit_report_day,
                        "visit_report_cutoff_day": settings.visit_report_cutoff_day,
                    },
                    origin=company,
                )
                .visit_report_next
            )

    @api.constrains("visit_generate_workers")
    def _check_visit_generate_workers(self):
        for settings in self:
            if settings.visit_generate_workers < 1:
                raise ValidationError(
                    self.env._(
                        "Follow-ups: at least one worker runs the jobs (found %s).",
                        settings.visit_generate_workers,
                    )
                )
            if settings.visit_generate_workers > MAX_WORKERS:
                raise ValidationError(
                    self.env._(
                        "Follow-ups: at most %(max)s job workers (found "
                        "%(workers)s). Each one is a cron job that needs a cron "
                        "thread of its own: choose at most the cron threads of "
                        "all your servers.",
                        max=MAX_WORKERS,
                        workers=settings.visit_generate_workers,
                    )
                )

    def set_values(self):
        result = super().set_values()
        self.env["ir.cron"]._visit_sync_worker_jobs()
        return result

    visit_link_days = fields.Integer(
        related="company_id.visit_link_days", readonly=False
    )
    visit_served_see_own = fields.Boolean(
        related="company_id.visit_served_see_own", readonly=False
    )
