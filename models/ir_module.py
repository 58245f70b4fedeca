from odoo import models


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    def _load_module_terms(
        self, modules, langs, overwrite=False, imported_module=False
    ):
        """A language installed after the addon words the aspect items as
        shipped too (they have no XML id for the PO files)."""
        res = super()._load_module_terms(
            modules, langs, overwrite=overwrite, imported_module=imported_module
        )
        if "customer_visit" in modules and "visit.type.question" in self.env:
            # sudo: the items of every company, reworded as shipped where not
            # translated yet, when an administrator installs a language.
            questions = (
                self.env["visit.type.question"]
                .sudo()
                .with_context(active_test=False)
                .search([("aspect", "!=", False)])
            )
            installed = {code for code, _name in self.env["res.lang"].get_installed()}
            questions._name_aspect_items([lang for lang in langs if lang in installed])
        return res
