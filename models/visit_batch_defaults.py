from odoo import api, models


class VisitBatchDefaultsMixin(models.AbstractModel):
    """Batch creation with one ``default_get`` per batch.

    Odoo computes the defaults once per record created; the defaults of
    plans and visits do not depend on the record (company, user, now,
    constants), so one call serves a whole batch: the Generate cron creates
    5,000 plans and 5,000 visits per batch.
    """

    _name = "visit.batch.defaults.mixin"
    _description = "Visit batch defaults"

    @api.model
    def _with_batch_defaults(self, vals_list):
        """Return this model in a context that asks no more defaults, and
        ``vals_list`` completed with the defaults, asked once."""
        defaults = self.default_get(list(self._fields))
        merged = self.with_context(visit_defaults_merged=self._name)
        return merged, [{**defaults, **vals} for vals in vals_list]

    @api.model_create_multi
    def create(self, vals_list):
        if (
            len(vals_list) < 2
            or self.env.context.get("visit_defaults_merged") == self._name
        ):
            return super().create(vals_list)
        merged, vals_list = self._with_batch_defaults(vals_list)
        return (
            super(VisitBatchDefaultsMixin, merged).create(vals_list).with_env(self.env)
        )

    @api.model
    def _add_missing_default_values(self, values):
        if self.env.context.get("visit_defaults_merged") == self._name:
            return values  # merged once for the batch by _with_batch_defaults()
        return super()._add_missing_default_values(values)
