from collections import defaultdict

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError


class VisitSourceMixin(models.AbstractModel):
    """Link to the business document a follow-up is about.

    Typed links for sale orders and helpdesk tickets, a generic reference for
    any other model, and the source's name stored so that plans and visits
    still read right after the source was deleted.
    """

    _name = "visit.source.mixin"
    _description = "Visit Source Link"

    sale_order_id = fields.Many2one(
        "sale.order",
        ondelete="set null",
        index="btree_not_null",
        check_company=True,
    )
    ticket_id = fields.Many2one(
        "helpdesk.ticket",
        ondelete="set null",
        index="btree_not_null",
        check_company=True,
    )
    source_ref = fields.Reference(
        selection="_selection_source_model", string="Other Source"
    )
    source_name = fields.Char(
        string="Source",
        compute="_compute_source_name",
        store=True,
        help="Name of the source document, kept when the document is deleted.",
    )
    source_model = fields.Char(compute="_compute_source_name", store=True)

    @api.model
    def _selection_source_model(self):
        # Asked for each record written: cached per language (the registry
        # is reloaded, and the cache cleared, when models are installed).
        return list(self._source_model_selection(self.env.lang))

    @tools.ormcache("lang")
    def _source_model_selection(self, lang):
        # Only the documents the addon supports (the planner's registry).
        # sudo: the list of models is the same for every user (ormcache).
        models_ = (
            self.env["ir.model"]
            .sudo()
            .with_context(lang=lang)
            .search(
                [
                    (
                        "model",
                        "in",
                        list(self.env["visit.planner"]._other_source_models()),
                    )
                ]
            )
        )
        return tuple((model.model, model.name) for model in models_)

    @api.model
    def _source_ref_key(self, value):
        """(model, id) of a ``source_ref`` value (a record or "model,id")."""
        if isinstance(value, models.BaseModel):
            return (value._name, value.id) if value else None
        if isinstance(value, str) and "," in value:
            model, res_id = value.split(",", 1)
            if res_id.strip().isdigit():
                return model.strip(), int(res_id)
        return None

    def _check_source_ref_access(self, values, inherited=()):
        """Refuse an *Other Source* the addon does not support, or that the
        current user may not read: its name is stored (read as superuser)
        and shown to everyone who reads the visit. ``inherited``: the
        sources of the plan or visit the values continue, which the user
        may keep whoever can read them (a next round of a sale order's
        visit, made by an agent). The messages name no record."""
        key = self._source_ref_key(values.get("source_ref"))
        if not key:
            return
        model, res_id = key
        if model not in self.env["visit.planner"]._other_source_models():
            raise ValidationError(
                self.env._(
                    "Other Source: only a document of a kind follow-ups are "
                    "made for (a sale order, a ticket, a contact, a document "
                    "of a follow-up rule) can be the source of a visit."
                )
            )
        if self.env.su or key in inherited:
            return
        source = self.env[model].browse(res_id)
        if not source.exists() or not source.has_access("read"):
            raise ValidationError(
                self.env._(
                    "Other Source: this document does not exist or you may not "
                    "read it. Choose a document you can open."
                )
            )

    def _inherited_sources(self, vals):
        """The (model, id) sources a new record continues: those of the
        plan and of the previous visit it belongs to, if the user may read
        them."""
        keys = set()
        for fname in ("plan_id", "previous_record_id"):
            field = self._fields.get(fname)
            if not field or not vals.get(fname) or field.type != "many2one":
                continue
            parent = self.env[field.comodel_name].browse(vals[fname])
            if parent.exists() and parent.has_access("read"):
                # sudo: only its link is compared, the user may read it.
                keys.add(self._source_ref_key(parent.sudo().source_ref))
        return keys

    def write(self, vals):
        if vals.get("source_ref"):
            key = self._source_ref_key(vals["source_ref"])
            # sudo: the links already stored, compared with the new one.
            kept = {self._source_ref_key(rec.source_ref) for rec in self.sudo()}
            self._check_source_ref_access(vals, inherited=kept if kept == {key} else ())
        return super().write(vals)

    def _check_company(self, fnames=None):
        """Odoo's company check, first run per company on the whole set of
        linked records instead of per record: the scheduler writes thousands
        of plans and visits at once.  If a set shows any inconsistency, its
        records go through Odoo's own per-record check, which raises the
        usual detailed error."""
        if len(self) < 20 or "company_id" not in self._fields:
            return super()._check_company(fnames)
        if fnames is None or {"company_id", "company_ids"} & set(fnames):
            fnames = self._fields
        checked = [
            name
            for name in fnames
            if self._fields[name].relational
            and self._fields[name].check_company
            and not self._fields[name].company_dependent
        ]
        if len(checked) < len(
            [
                name
                for name in fnames
                if self._fields[name].relational and self._fields[name].check_company
            ]
        ):
            return super()._check_company(fnames)
        suspects = self.browse()
        for company, records in self.grouped("company_id").items():
            for name in checked:
                # sudo: only the companies of the linked records are compared.
                corecords = records.sudo()[name]
                if not corecords:
                    continue
                domain = corecords._check_company_domain(company)
                if domain and corecords != corecords.with_context(
                    active_test=False
                ).filtered_domain(domain):
                    suspects |= records
        if suspects:
            return super(VisitSourceMixin, suspects)._check_company(fnames)
        return None

    def _get_form_action(self):
        """An action opening this plan or visit in its form."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def _get_source(self):
        """Return the source document, the typed links first."""
        self.ensure_one()
        for link in self.env["visit.planner"]._typed_link_fields().values():
            if self[link]:
                return self[link]
        return self.source_ref or None

    @api.model_create_multi
    def create(self, vals_list):
        # Before anything reads the source (its name is stored at the INSERT).
        for vals in vals_list:
            if vals.get("source_ref"):
                self._check_source_ref_access(
                    vals,
                    inherited=() if self.env.su else self._inherited_sources(vals),
                )
        # The hints are added to copies: the caller's values stay as given.
        return super().create(self._add_creation_hints([dict(v) for v in vals_list]))

    @api.model
    def _add_creation_hints(self, vals_list):
        """Give new records, at their INSERT, the stored computed values
        they will have: here the source's name and model.

        Only hints: the ORM still runs the computes of read-only fields
        after the INSERT and writes back only a value that differs, so a
        right hint saves an UPDATE of every new row (the Generate cron
        creates thousands), a wrong one is corrected.  Values given by the
        caller are kept.
        """
        keys = [
            None if "source_name" in vals else self._source_key(vals)
            for vals in vals_list
        ]
        wanted = defaultdict(set)
        for key in filter(None, keys):
            wanted[key[0]].add(key[1])
        names = {}
        for model, ids in wanted.items():
            if model not in self.env:
                continue
            # sudo: as in _compute_source_name.
            for source in self.env[model].sudo().browse(ids).exists():
                names[model, source.id] = source.display_name
        for vals, key in zip(vals_list, keys, strict=True):
            if key in names:
                vals["source_name"] = names[key]
                vals["source_model"] = key[0]
        return vals_list

    @api.model
    def _source_key(self, vals):
        """(model, id) of the source named in create values, as _get_source()."""
        for model, fname in self.env["visit.planner"]._typed_link_fields().items():
            if vals.get(fname):
                return (model, vals[fname]) if isinstance(vals[fname], int) else None
        ref = vals.get("source_ref")
        if isinstance(ref, str) and "," in ref:
            model, res_id = ref.split(",", 1)
            if res_id.isdigit() and int(res_id):
                return model, int(res_id)
        return None

    @api.depends("sale_order_id", "ticket_id", "source_ref")
    def _compute_source_name(self):
        for rec in self:
            source = rec._get_source()
            if source:
                # sudo: the name must be stored even when the current user may
                # not read the source (a call-centre agent and a sale order).
                rec.source_name = source.sudo().display_name
                rec.source_model = source._name
            else:
                # The source was deleted or never set: keep what was stored.
                rec.source_name = rec.source_name
                rec.source_model = rec.source_model

    @api.constrains("source_ref", "company_id")
    def _check_source_ref_company(self):
        for rec in self:
            source = rec.source_ref
            if not source or "company_id" not in source._fields:
                continue
            # sudo: the source's company and name, even if the user may not
            # read the source (an agent and a sale order).
            company = source.sudo().company_id
            if company and rec.company_id and company != rec.company_id:
                # No name of the source nor of its company: the user may
                # not be allowed to read them.
                raise ValidationError(
                    self.env._(
                        "The follow-up belongs to %(company)s, but its Other "
                        "Source belongs to another company. Choose a source of "
                        "the same company.",
                        company=rec.company_id.name,
                    )
                )
