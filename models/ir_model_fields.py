from odoo import models


class IrModelFields(models.Model):
    _inherit = "ir.model.fields"

    def unlink(self):
        """A field a rule counts from is going (its module is uninstalled):
        the rule is switched off, with a note, rather than deleted with its
        audit or left counting from another date."""
        rules = (
            self.env["visit.rule"]
            # sudo: whoever removes the field, every rule counting from it
            # must stop (the search reads only those rules).
            .sudo()
            .with_context(active_test=False)
            .search([("date_field_id", "in", self.ids)])
        )
        for rule in rules:
            rule.message_post(
                body=self.env._(
                    "Switched off: its reference date %s was removed.",
                    rule.date_field_id.field_description,
                )
            )
        rules.write({"active": False})
        return super().unlink()
