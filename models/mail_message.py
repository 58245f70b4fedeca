from odoo import models
from odoo.exceptions import UserError


class MailMessage(models.Model):
    _inherit = "mail.message"

    def unlink(self):
        """A visit's chatter is its history (what was tracked, noted and
        corrected): users do not delete it. The addon's own deletions (an
        erasure on request, a visit deleted) run as superuser."""
        # sudo: which thread each message belongs to, whatever the user reads.
        if not self.env.su and any(
            message.model == "visit.record" for message in self.sudo()
        ):
            raise UserError(
                self.env._(
                    "The messages of a follow-up visit are its history: they "
                    "cannot be deleted."
                )
            )
        return super().unlink()
