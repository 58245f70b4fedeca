from odoo import models


class SmsComposer(models.TransientModel):
    _inherit = "sms.composer"

    def _prepare_mass_sms(self, records, sms_record_values):
        """SMS sent by hand to several visits (visit.record's *Send to
        Customer by SMS*): those queued are followed as the Dispatch job's.
        Blacklisted, opted-out or wrong numbers are cancelled by Odoo: their
        visits are left as they were."""
        sms_all = super()._prepare_mass_sms(records, sms_record_values)
        if records._name == "visit.record" and self.env.context.get("visit_mark_sent"):
            records.filtered(
                lambda visit: sms_record_values[visit.id]["state"] == "outgoing"
            )._mark_sent_by_hand("sms")
        return sms_all
