import logging

from odoo import models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _run_wkhtmltopdf(self, bodies, *args, **kwargs):
        """Printing a visit report on a server whose wkhtmltopdf vanished
        after start-up (Odoo checks it once, when it starts) gives a clear
        message instead of a traceback. Other addons' reports are left as
        they are."""
        try:
            return super()._run_wkhtmltopdf(bodies, *args, **kwargs)
        except OSError as error:
            report_ref = kwargs.get("report_ref") or (args[0] if args else False)
            report = self._get_report(report_ref) if report_ref else self.browse()
            if not (report.report_name or "").startswith("customer_visit."):
                raise
            _logger.error(
                "Cannot run wkhtmltopdf for %s: %s", report.report_name, error
            )
            raise UserError(
                self.env._(
                    "The PDF cannot be made: this server cannot run wkhtmltopdf "
                    "(%s). Ask your administrator to install the wkhtmltopdf "
                    "package, then print again.",
                    error,
                )
            ) from error
