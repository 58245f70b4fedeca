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
# What the last field of a served path of a source may name: {kind: models}.
# The kinds are the served paths of a rule, a batch and a visit type.
SERVED_PATH_RELATIONS = {
    "served_by": ("res.users", "res.partner", "hr.employee"),
    "product": ("product.product", "product.template"),
    "department": ("hr.department",),
}
# The fields holding those paths on a rule, a batch and a visit type.
SERVED_PATH_FIELDS = {
    "served_by_path": "served_by",
    "served_product_path": "product",
    "served_department_path": "department",
}
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
                # Served by the same person, of the same department, for
                # the same product.
                **record._served_of(),
                **extra,
            },
        )

    # ------------------------------------------------------------------
    # Who and what was served: read from the source at planning
    # ------------------------------------------------------------------
    @api.model
    def _path_target(self, model_name, path):
        """The model ``path`` (dotted field names) leads to from
        ``model_name`` when every hop is a many2one of the model it reaches,
        as the models have them now; None otherwise."""
        if not path or model_name not in self.env:
            return None
        target = model_name
        for name in path.split("."):
            field = self.env[target]._fields.get(name)
            if (
                not field
                or field.type != "many2one"
                or field.comodel_name not in self.env
            ):
                return None
            target = field.comodel_name
        return target

    @api.model
    def _path_fits(self, model_name, path, kind):
        """Whether ``path`` leads from ``model_name`` to what a served path
        of ``kind`` (a key of SERVED_PATH_RELATIONS) names."""
        return self._path_target(model_name, path) in SERVED_PATH_RELATIONS[kind]

    @api.model
    def _fit_served_paths(self, record, model_name, visit_types, clear=False):
        """On a rule's or a batch's form: with ``clear``, empty the served
        paths of ``record`` that do not fit ``model_name`` (its records
        changed); then fill each empty one with the first default of
        ``visit_types`` that fits."""
        for fname, kind in SERVED_PATH_FIELDS.items():
            path = record[fname]
            if clear and path and not self._path_fits(model_name, path, kind):
                record[fname] = path = False
            if not path:
                record[fname] = next(
                    (
                        default
                        for default in visit_types.mapped(fname)
                        if default and self._path_fits(model_name, default, kind)
                    ),
                    False,
                )

    @api.model
    def _served_paths(self, record):
        """{kind: path} of a rule, a batch or a visit type."""
        return {kind: record[fname] for fname, kind in SERVED_PATH_FIELDS.items()}

    @api.model
    def _check_served_paths(self, model_name, paths, owner):
        """Refuse a served path (``paths``: {kind: path}, kinds of
        SERVED_PATH_RELATIONS) that is not a chain of many2one fields of the
        source ending at what the kind names. ``owner`` names the rule or
        batch in the message."""
        for kind, path in paths.items():
            if path and not self._path_fits(model_name, path, kind):
                raise ValidationError(
                    self._served_path_message(kind, owner, path, model_name)
                )
            if path:
                self._check_path_readable(model_name, path, owner)

    @api.model
    def _check_path_readable(self, model_name, path, owner):
        """Refuse a path through a model or a field the user naming it may
        not read: the planner follows it as the addon (every source of a
        rule, whoever runs it), so it must not read for them what they
        could not read themselves (an employee's bank account...)."""
        target = model_name
        for name in [*path.split("."), None]:
            Model = self.env[target]
            field = Model._fields[name] if name else None
            if not Model.has_access("read") or (
                field and not field.is_accessible(self.env)
            ):
                raise ValidationError(
                    self.env._(
                        "%(owner)s: you may not read %(what)s, so the path "
                        "%(path)s may not read it either.",
                        owner=owner,
                        what=field._description_string(self.env)
                        if field
                        else Model._description,
                        path=path,
                    )
                )
            if field:
                target = field.comodel_name

    @api.model
    def _served_path_message(self, kind, owner, path, model_name):
        # sudo: the model's name, whatever the user may read of ir.model.
        model = self.env["ir.model"].sudo()._get(model_name)
        values = {
            "owner": owner,
            "path": path,
            "model": f"{model.name} ({model_name})" if model else model_name,
        }
        if kind == "served_by":
            return self.env._(
                "%(owner)s: the served-by path %(path)s is not a user, contact "
                "or employee field of %(model)s. Each step must be a "
                "many-to-one field of the record it reaches, and the last one "
                "must name a user, a contact or an employee (the ticket's "
                "assignee: user_id; the leader of the order's team: "
                "team_id.user_id).",
                **values,
            )
        if kind == "product":
            return self.env._(
                "%(owner)s: the product path %(path)s is not a product field "
                "of %(model)s. Each step must be a many-to-one field of the "
                "record it reaches, and the last one must name a product or "
                "a product template.",
                **values,
            )
        return self.env._(
            "%(owner)s: the department path %(path)s is not a department "
            "field of %(model)s. Each step must be a many-to-one field of the "
            "record it reaches, and the last one must name a department.",
            **values,
        )

    @api.model
    def _follow_path(self, records, path):
        """({record id: id at the end of ``path``, False if none}, the
        records at the end): one read per hop for the whole batch."""
        ends = {record.id: record.id for record in records}
        for name in path.split("."):
            hop = {record.id: record[name].id for record in records}
            ends = {key: hop.get(value, False) for key, value in ends.items()}
            records = records.mapped(name)
        return ends, records

    @api.model
    def _served_values(self, sources, paths=None, companies=None):
        """{source id: {served_by_id, served_product_id,
        served_department_id}} of ``sources``, read for the whole batch.

        ``paths``: {kind: dotted path}, kinds of SERVED_PATH_RELATIONS
        (checked by _check_served_paths()). A user is served as their
        contact, an employee as their work contact, a product template as
        its first variant. The department is the department path's, else
        the served employee's, else that of the served contact's employee
        in the visit's company (``companies``: {source id: company id}, or
        one company id for all; the company of the user by default).
        Empty when no path is named."""
        # A path whose field is gone since it was named (a module removed, a
        # custom field deleted) reads nothing rather than stop the batch.
        paths = {
            kind: path
            for kind, path in (paths or {}).items()
            if path and self._path_fits(sources._name, path, kind)
        }
        if not sources or not paths:
            return {}
        served = {source.id: {} for source in sources}
        departments = None
        if paths.get("served_by"):
            ends, people = self._follow_path(sources, paths["served_by"])
            if people._name == "res.users":
                contact = {user.id: user.partner_id.id for user in people}
            elif people._name == "hr.employee":
                contact = {emp.id: emp.work_contact_id.id for emp in people}
                # The served employee's own department.
                department = {emp.id: emp.department_id.id for emp in people}
                departments = {
                    source_id: department.get(end, False)
                    for source_id, end in ends.items()
                }
            else:
                contact = {partner.id: partner.id for partner in people}
            for source_id, end in ends.items():
                served[source_id]["served_by_id"] = contact.get(end, False)
        if paths.get("product"):
            ends, products = self._follow_path(sources, paths["product"])
            if products._name == "product.template":
                variant = {tmpl.id: tmpl.product_variant_id.id for tmpl in products}
            else:
                variant = {product.id: product.id for product in products}
            for source_id, end in ends.items():
                served[source_id]["served_product_id"] = variant.get(end, False)
        if paths.get("department"):
            departments, _records = self._follow_path(sources, paths["department"])
        elif paths.get("served_by") and departments is None:
            departments = self._served_departments(served, companies)
        if departments is not None:
            for source_id, values in served.items():
                values["served_department_id"] = departments.get(source_id, False)
        return served

    @api.model
    def _served_departments(self, served, companies=None):
        """{source id: department of the served contact's employee in the
        visit's company}: one search for the batch (an employee's public
        fields, which every internal user may read)."""
        if not isinstance(companies, dict):
            company_id = companies or self.env.company.id
            companies = dict.fromkeys(served, company_id)
        partner_ids = {
            values["served_by_id"]
            for values in served.values()
            if values.get("served_by_id")
        }
        if not partner_ids:
            return {}
        employees = self.env["hr.employee"].search_fetch(
            [
                ("work_contact_id", "in", list(partner_ids)),
                ("company_id", "in", list(set(companies.values()))),
            ],
            ["work_contact_id", "company_id", "department_id"],
            order="id",
        )
        department = {}
        for employee in employees:
            department.setdefault(
                (employee.work_contact_id.id, employee.company_id.id),
                employee.department_id.id,
            )
        return {
            source_id: department.get(
                (values.get("served_by_id"), companies.get(source_id)), False
            )
            for source_id, values in served.items()
        }

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
