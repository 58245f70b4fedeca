"""What a visit owes, decided in one place.

Rules, the batch wizard, next rounds, confirmations and *Add a Round* all
ask :class:`VisitPlanner`: who may be visited (and why not), which sources
are drawn in a sample, how a visit links to its source, its unreached
policy and calling hours, and how it is merged under the company's contact
interval.  A second copy of any of these decisions drifts.
"""

import hashlib
from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models, tools
from odoo.exceptions import ValidationError

from .const import OPEN_STATES
from .visit_calendar import WorkCalendar

# Why a case owed a visit did not get one: the one list, for rules (their
# skipped records, counted as owed and missed) and for batches (the preview).
SKIP_REASONS = [
    ("no_partner", "No customer"),
    ("do_not_visit", "Asked not to be contacted"),
    ("no_phone", "No phone number"),
    ("invalid_phone", "Invalid phone number"),
    ("open_visit", "Already has an open visit of this type"),
    ("not_sampled", "Not drawn in the sample"),
    ("no_assignee", "Nobody may be assigned"),
    ("past_step", "Every step was already past"),
    ("error", "Error"),
]
PHONE_CHANNELS = ("phone", "sms")
# What a *Served by* field of a source may name (an employee only when HR is
# installed), and a *Product served* field.
SERVED_BY_RELATIONS = ("res.users", "res.partner", "hr.employee")
SERVED_PRODUCT_RELATIONS = ("product.product", "product.template")
# Models never an *Other Source*: the addon's own, settings, mails, users,
# companies (see VisitPlanner._other_source_models).
TECHNICAL_MODEL_PREFIXES = (
    "visit.",
    "ir.",
    "base.",
    "bus.",
    "mail.",
    "res.users",
    "res.company",
    "res.partner.bank",
    "discuss.",
    "payment.",
    "snailmail.",
    "sms.",
    "calendar.",
    "digest.",
    "portal.",
)


class VisitPlanner(models.AbstractModel):
    _name = "visit.planner"
    _description = "Visit Planner"

    # ------------------------------------------------------------------
    # Sources: the registry of typed links
    # ------------------------------------------------------------------
    @api.model
    def _source_link_fields(self):
        """{model: field of visit.record pointing to it}, for every document
        with follow-up visits (visit.document.mixin): adding a source model
        is one inherit of the mixin and its link field."""
        return dict(self._source_link_fields_cached())

    @tools.ormcache()
    def _source_link_fields_cached(self):
        # The registry is rebuilt, and the cache cleared, when modules change.
        mixin = self.env.registry["visit.document.mixin"]
        return tuple(
            (name, self.env.registry[name]._visit_link_field)
            for name in sorted(mixin._inherit_children)
            if name in self.env and self.env.registry[name]._visit_link_field
        )

    @api.model
    def _other_source_models(self):
        """The models an *Other Source* (``source_ref``) may point to: the
        documents with follow-up visits (visit.document.mixin) and the
        documents a rule may apply to (a customer field, ``partner_id``).
        Never the addon's own models, wizards, nor the technical models
        (settings, mails, users, companies): their records are not sources
        of a follow-up, and their names are not for every agent."""
        return self._other_source_models_cached()

    @tools.ormcache()
    def _other_source_models_cached(self):
        # The registry is rebuilt, and the cache cleared, when modules change.
        names = {name for name, _link in self._source_link_fields_cached()}
        for name, model in self.env.registry.items():
            field = model._fields.get("partner_id")
            if (
                model._abstract
                or model._transient
                # A report's SQL view (sale.report): figures, not documents.
                or not model._auto
                or name.startswith(TECHNICAL_MODEL_PREFIXES)
                or "res.partner" in model._inherits
                or not field
                or field.type != "many2one"
                or field.comodel_name != "res.partner"
            ):
                continue
            names.add(name)
        return frozenset(names)

    @api.model
    def _typed_link_fields(self):
        """The link fields that name a source document (not the customer),
        in the order a visit's source is looked for."""
        return {
            model: link
            for model, link in self._source_link_fields_cached()
            if link != "partner_id"
        }

    @api.model
    def _links(self, model, res_id):
        """How plans and visits point at a source: its typed link, nothing
        for partners (the customer is the source), else a reference."""
        if model == "res.partner" or not res_id:
            return {}
        link = self._typed_link_fields().get(model)
        if link:
            return {link: res_id}
        return {"source_ref": f"{model},{res_id}"}

    @api.model
    def _links_of_record(self, record):
        """The source links of an existing plan or visit, to copy."""
        values = {link: record[link].id for link in self._typed_link_fields().values()}
        values["source_ref"] = (
            record.source_ref and f"{record.source_ref._name},{record.source_ref.id}"
        )
        return values

    # ------------------------------------------------------------------
    # Eligibility
    # ------------------------------------------------------------------
    @api.model
    def _skip_reason(self, partner, channel=None, check_phone=False):
        """Why ``partner`` cannot be visited (a SKIP_REASONS key), or None."""
        if not partner:
            return "no_partner"
        if partner._visit_opted_out():
            return "do_not_visit"
        if check_phone and channel in PHONE_CHANNELS:
            if partner.visit_phone_state == "missing":
                return "no_phone"
            if partner.visit_phone_state == "invalid":
                return "invalid_phone"
        return None

    # ------------------------------------------------------------------
    # Sampling: reproducible and auditable
    # ------------------------------------------------------------------
    @api.model
    def _sample_key(self, seed, model, res_id):
        """The rank of a source in every sample drawn with ``seed``."""
        return hashlib.sha256(f"{seed}:{model}:{res_id}".encode()).hexdigest()

    @api.model
    def _uniform(self, *key):
        """A number in [0, 1,000,000) from ``key``: the same key, the same
        number (a reproducible random start)."""
        digest = hashlib.sha256(":".join(map(str, key)).encode()).hexdigest()
        return int(digest[:15], 16) % 1_000_000

    @api.model
    def _draw(self, seed, model, res_ids, count):
        """The ``count`` ids with the smallest keys: the same seed on the
        same records always draws the same ones, in any order of arrival."""
        if count >= len(res_ids):
            return sorted(res_ids)
        return sorted(
            sorted(res_ids, key=lambda res_id: self._sample_key(seed, model, res_id))[
                : max(count, 0)
            ]
        )

    # ------------------------------------------------------------------
    # Who may make the visit
    # ------------------------------------------------------------------
    @api.model
    def _assignee(self, visit_type, user, owner, independent):
        """``user`` if they may do the visit, else None: never the source's
        salesperson when independence applies, never an unqualified user."""
        if user is None:
            return None
        if user and (independent or visit_type.exclude_salesperson) and user == owner:
            return None
        if not visit_type._may_be_assigned(user):
            return None
        return user

    # ------------------------------------------------------------------
    # When, how, and what happens when nobody answers
    # ------------------------------------------------------------------
    @api.model
    def _calendar(self, visit_type, rule=None, company=None):
        """Calling hours: the rule's, else the type's, else the company's."""
        company = company or rule and rule.company_id or self.env.company
        return (
            (rule and rule.calendar_id)
            or visit_type.calendar_id
            or company.resource_calendar_id
            or self.env.company.resource_calendar_id
        )

    @api.model
    def _place(self, calendar, moment, calendars=None):
        """The first moment at or after ``moment`` inside ``calendar``'s
        calling hours.  ``calendars`` ({calendar id: WorkCalendar}) is
        filled and reused when many visits are placed at once."""
        if not calendar:
            return moment
        work = calendars.get(calendar.id) if calendars is not None else None
        if work is None:
            work = WorkCalendar(calendar, moment, moment)
            if calendars is not None:
                calendars[calendar.id] = work
        return work.place(moment)

    @api.model
    def _policy(self, visit_type, rule=None):
        """The unreached policy of a visit: its rule's when the rule
        overrides the type's, else its type's."""
        source = rule if rule and rule.override_unreached_policy else visit_type
        return {
            "max_attempts": max(source.max_attempts, 1),
            "retry_delay_hours": max(source.retry_delay_hours, 0),
            "fallback_channels": ",".join(source.fallback_ids.mapped("channel"))
            or False,
        }

    @api.model
    def _visit_values(
        self,
        visit_type,
        partner,
        scheduled,
        *,
        user=None,
        channel=None,
        deadline=False,
        deadline_delta=None,
        window=None,
        rule=None,
        company=None,
        links=None,
        independent=False,
        place=True,
        calendars=None,
        policies=None,
        **extra,
    ):
        """The values of a new visit: its type, channel, policy, assignee,
        time inside calling hours, deadline and source links.

        ``deadline_delta`` (a timedelta) counts the deadline from the time
        placed.  ``window`` (a timedelta): a visit planned after its step's
        time is given at least that long from the time placed to its
        deadline, so that it is never born overdue.  ``policies`` ({(type
        id, rule id): policy}) caches the policies of a batch.  Extra keyword
        arguments (plan, round, step...) are copied.
        """
        company = (
            company
            or (rule and rule.company_id)
            or partner.company_id
            or self.env.company
        )
        if place:
            scheduled = self._place(
                self._calendar(visit_type, rule, company), scheduled, calendars
            )
        key = (visit_type.id, rule.id if rule else False)
        if policies is None or key not in policies:
            policy = self._policy(visit_type, rule)
            if policies is not None:
                policies[key] = policy
        else:
            policy = policies[key]
        if deadline_delta:
            deadline = scheduled + deadline_delta
        if deadline and window:
            deadline = max(deadline, scheduled + window)
        if deadline and deadline < scheduled:
            deadline = scheduled
        if deadline and (deadline.second or deadline.microsecond):
            # On a whole minute (the next one: never before its time).
            deadline = deadline.replace(second=0, microsecond=0) + timedelta(minutes=1)
        return {
            "type_id": visit_type.id,
            "channel": channel or visit_type.default_channel or "phone",
            "partner_id": partner.id,
            "company_id": company.id,
            "user_id": user.id if user else False,
            "scheduled_date": scheduled,
            "deadline": deadline or False,
            "is_independent": bool(independent or visit_type.exclude_salesperson),
            **policy,
            **(links or {}),
            **extra,
        }

    @api.model
    def _round_values(self, record, scheduled, channel=None, **extra):
        """A further round of ``record``'s plan: same customer, type, source,
        assignee, policy and served person; a site visit may become a phone
        call.

        The assignee is checked again (still allowed to make the visit, not
        the salesperson when independence applies); if not, the plan's
        responsible, else nobody (the team sees it unassigned)."""
        owner = record._salesperson()
        user = next(
            (
                candidate
                for candidate in (record.user_id, record.plan_id.user_id)
                if candidate
                and candidate.active
                and self._assignee(
                    record.type_id, candidate, owner, record.is_independent
                )
            ),
            self.env["res.users"],
        )
        return self._visit_values(
            record.type_id,
            record.partner_id,
            max(scheduled, fields.Datetime.now().replace(microsecond=0)),
            user=user,
            channel=channel
            or ("phone" if record.channel == "onsite" else record.channel),
            rule=record.plan_id.rule_id,
            company=record.company_id,
            links=self._links_of_record(record),
            independent=record.is_independent,
            plan_id=record.plan_id.id,
            previous_record_id=record.id,
            round=record.round + 1,
            contact_id=record.contact_id.id,
            **{
                # Served by the same person, for the same product.
                "served_by_id": record.served_by_id.id,
                "served_product_id": record.served_product_id.id,
                **extra,
            },
        )

    # ------------------------------------------------------------------
    # Who and what was served: read from the source at planning
    # ------------------------------------------------------------------
    @api.model
    def _served_field_ok(self, model_name, field, relations):
        """Whether ``field`` (ir.model.fields) is a many2one of
        ``model_name`` to one of ``relations``, as the model has it now."""
        model_field = (
            self.env[model_name]._fields.get(field.name)
            if model_name in self.env
            else None
        )
        return bool(
            model_field
            and field.model == model_name
            and model_field.type == "many2one"
            and model_field.comodel_name in relations
            and model_field.comodel_name in self.env
        )

    @api.model
    def _check_served_fields(self, model_name, by_field, product_field, owner):
        """Refuse a *Served by* that is not a user, partner (or employee)
        field of the source, or a *Product served* that is not a product
        field of it. ``owner`` names the rule or batch in the message."""
        if by_field and not self._served_field_ok(
            model_name, by_field, SERVED_BY_RELATIONS
        ):
            raise ValidationError(
                self.env._(
                    "%(owner)s: the served-by field %(field)s is not a user, "
                    "contact or employee field of %(model)s. Choose a field "
                    "of the source that names a user, a contact or an "
                    "employee (the ticket's assignee, the order's "
                    "salesperson...).",
                    owner=owner,
                    field=by_field.field_description,
                    model=model_name,
                )
            )
        if product_field and not self._served_field_ok(
            model_name, product_field, SERVED_PRODUCT_RELATIONS
        ):
            raise ValidationError(
                self.env._(
                    "%(owner)s: the product field %(field)s is not a product "
                    "field of %(model)s. Choose a field of the source that "
                    "names a product.",
                    owner=owner,
                    field=product_field.field_description,
                    model=model_name,
                )
            )

    @api.model
    def _served_field_names(self, model_name, *fields_):
        """The names of ``fields_`` (ir.model.fields) of ``model_name``, None
        for an empty one: from Odoo's cache of the model's fields, so that a
        batch reads no field definition."""
        names = {
            field_id: name
            for name, field_id in self.env["ir.model.fields"]
            ._get_ids(model_name)
            .items()
        }
        return [names.get(field.id) for field in fields_]

    @api.model
    def _served_values(self, sources, by_field=None, product_field=None):
        """{source id: {served_by_id, served_product_id}} of ``sources``:
        read for the whole batch (a user is served as their contact, an
        employee as their work contact, a product template as its first
        variant). Empty when neither field is named."""
        if not sources or not (by_field or product_field):
            return {}
        served = {source.id: {} for source in sources}
        if by_field:
            people = sources.mapped(by_field)
            if people._name == "res.users":
                contact = {user.id: user.partner_id.id for user in people}
            elif people._name == "hr.employee":
                contact = {emp.id: emp.work_contact_id.id for emp in people}
            else:
                contact = {partner.id: partner.id for partner in people}
            for source in sources:
                served[source.id]["served_by_id"] = contact.get(
                    source[by_field].id, False
                )
        if product_field:
            products = sources.mapped(product_field)
            if products._name == "product.template":
                variant = {tmpl.id: tmpl.product_variant_id.id for tmpl in products}
            else:
                variant = {product.id: product.id for product in products}
            for source in sources:
                served[source.id]["served_product_id"] = variant.get(
                    source[product_field].id, False
                )
        return served

    # ------------------------------------------------------------------
    # Contact interval: a customer is not called twice within N days
    # ------------------------------------------------------------------
    @api.model
    def _merge_under_contact_pressure(self, vals_list, rule=None):
        """At most one visit per customer per N days, across all rules.

        N is the company's contact interval.  A new visit due within N days
        of an open visit of the same customer from another plan is merged
        into it (its plan is answered by that visit) when the types allow
        it; one due within N days after a visit was done is postponed to N
        days after it, never past its deadline.  Returns the values still to
        create.
        """
        kept = []
        by_company = defaultdict(list)
        for vals in vals_list:
            by_company[vals["company_id"]].append(vals)
        for company_id, group in by_company.items():
            days = self.env["res.company"].browse(company_id).visit_min_interval_days
            if days <= 0:
                kept.extend(group)
                continue
            kept.extend(self._merge_company_group(group, timedelta(days=days), rule))
        return kept

    @api.model
    def _may_merge(self, vals_type, target_type):
        """A visit may be absorbed by one of another type only when its type
        allows it (complaint callbacks never are)."""
        return vals_type == target_type or vals_type.merge_other_types

    def _merge_company_group(self, group, window, rule=None):
        dates = [vals["scheduled_date"] for vals in group]
        Types = self.env["visit.type"]
        # sudo: the contact interval counts every visit of the customer.
        existing = (
            self.env["visit.record"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", list({vals["partner_id"] for vals in group})),
                    ("company_id", "=", group[0]["company_id"]),
                    "|",
                    "&",
                    ("state", "in", OPEN_STATES),
                    "&",
                    ("scheduled_date", ">=", min(dates) - window),
                    ("scheduled_date", "<=", max(dates) + window),
                    "&",
                    ("state", "=", "done"),
                    ("date_done", ">=", min(dates) - window),
                ]
            )
        )
        open_visits = defaultdict(
            list
        )  # partner -> [(date, plan id, type, record or vals)]
        last_done = defaultdict(list)
        for rec in existing:
            if rec.state == "done":
                last_done[rec.partner_id.id].append(rec.date_done)
            else:
                open_visits[rec.partner_id.id].append(
                    (rec.scheduled_date, rec.plan_id.id, rec.type_id, rec)
                )
        links = defaultdict(list)
        kept = []
        calendars = {}
        for vals in sorted(group, key=lambda item: item["scheduled_date"]):
            partner_id, due = vals["partner_id"], vals["scheduled_date"]
            visit_type = Types.browse(vals["type_id"])
            recent = [
                done for done in last_done[partner_id] if due - window < done <= due
            ]
            if recent:
                # Postponed inside calling hours, never past the deadline.
                company = self.env["res.company"].browse(vals["company_id"])
                due = self._place(
                    self._calendar(visit_type, rule, company),
                    max(recent) + window,
                    calendars,
                )
                if vals.get("deadline"):
                    due = min(due, vals["deadline"])
                due = vals["scheduled_date"] = max(due, vals["scheduled_date"])
            target = next(
                (
                    other
                    for date, plan_id, other_type, other in open_visits[partner_id]
                    if plan_id != vals["plan_id"]
                    and abs(date - due) <= window
                    and self._may_merge(visit_type, other_type)
                    # Absorbed only by a visit due by its own deadline.
                    and not (vals.get("deadline") and date > vals["deadline"])
                ),
                None,
            )
            if target is None:
                kept.append(vals)
                open_visits[partner_id].append((due, vals["plan_id"], visit_type, vals))
            elif isinstance(target, dict):
                target.setdefault("merged_plan_ids", []).append(
                    Command.link(vals["plan_id"])
                )
            else:
                links[target].append(vals["plan_id"])
        for rec, plan_ids in links.items():
            # sudo: the visit kept may belong to another agent.
            rec.sudo().merged_plan_ids = [Command.link(plan_id) for plan_id in plan_ids]
        return kept
