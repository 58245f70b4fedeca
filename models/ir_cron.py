from odoo import api, fields, models

# The parameter holding how many workers run the Generate and the Dispatch
# jobs (the setting Job workers).
WORKERS_PARAM = "customer_visit.generate_workers"
DEFAULT_WORKERS = 2
# Each worker is a cron job needing a cron thread of its own.
MAX_WORKERS = 16


class IrCron(models.Model):
    """The worker jobs of the follow-ups: one Generate and one Dispatch job
    per worker, the first of each shipped in XML, the others copies of it
    kept by the code (each plans or sends its own part)."""

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

    @api.model
    def _visit_workers(self):
        """How many workers generate and dispatch (the Generate jobs and the
        Dispatch jobs, one per part)."""
        # sudo: a system parameter, read by the cron user and managers.
        value = self.env["ir.config_parameter"].sudo().get_param(WORKERS_PARAM)
        try:
            return min(max(1, int(value or DEFAULT_WORKERS)), MAX_WORKERS)
        except ValueError:
            return DEFAULT_WORKERS

    @api.model
    def _visit_generate_jobs(self):
        """The Generate jobs, one per part (the first one shipped in XML)."""
        return self._visit_worker_jobs(
            "customer_visit.ir_cron_visit_generate", "visit_generate_part"
        )

    @api.model
    def _visit_dispatch_jobs(self):
        """The Dispatch jobs, one per part (the first one shipped in XML)."""
        return self._visit_worker_jobs(
            "customer_visit.ir_cron_visit_dispatch", "visit_dispatch_part"
        )

    @api.model
    def _visit_worker_jobs(self, xmlid, part_field):
        """The jobs of one scheduled action run by every worker, one per
        part: the first one shipped in XML, the others copies of it."""
        # Gone when deleted by hand: then no job, and nothing is copied.
        first = self.env.ref(xmlid, raise_if_not_found=False)
        if not first:
            return self.browse()
        # sudo: scheduled actions are read whatever the user may read.
        others = (
            self.sudo()
            .with_context(active_test=False)
            .search([(part_field, ">", 0)], order=part_field)
        )
        # sudo: as the other jobs above.
        return first.sudo() | others

    @api.model
    def _visit_sync_worker_jobs(self):
        """One active Generate job and one active Dispatch job per worker
        of the setting: the jobs beyond it are switched off, the missing
        ones copied from the first."""
        workers = self._visit_workers()
        for jobs, part_field, code in (
            (
                self._visit_generate_jobs(),
                "visit_generate_part",
                "model._cron_generate({})",
            ),
            (
                self._visit_dispatch_jobs(),
                "visit_dispatch_part",
                "model._cron_dispatch({})",
            ),
        ):
            first = jobs[:1]
            if not first:
                continue
            for job in jobs[1:]:
                # Switched off, not deleted: a job at work keeps its row.
                wanted = job[part_field] < workers
                if job.active != (wanted and first.active):
                    job.active = wanted and first.active
            have = set(jobs.mapped(part_field))
            for part in range(1, workers):
                if part not in have:
                    jobs |= first.copy(
                        {
                            "code": code.format(part),
                            part_field: part,
                            "active": first.active,
                        }
                    )
            # Named in every installed language, as the first job is (also
            # the copies of a version that named them in one language).
            for lang, _lang_name in self.env["res.lang"].get_installed():
                for job in jobs[1:]:
                    name = self.with_context(lang=lang).env._(
                        "%(job)s (worker %(part)s)",
                        job=first.with_context(lang=lang).name,
                        part=job[part_field] + 1,
                    )
                    if job.with_context(lang=lang).name != name:
                        job.with_context(lang=lang).name = name
