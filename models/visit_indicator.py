from collections import defaultdict
from datetime import date
from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, LazyTranslate

from .const import SERVED_FIELDS
from .visit_answer_analysis import LEVEL_ORDER, SCALE_KINDS, SCALE_MAX
from .visit_record import SATISFACTION_FIELDS

_lt = LazyTranslate(__name__)


class Section(NamedTuple):
    """A section of the indicators; ``_figures_<key>`` computes its lines."""

    key: str
    label: object  # a lazy translated term
    sequence: int  # its place on the page


class Indicator(NamedTuple):
    """One figure: its label, section, unit (percent, count, days, score)
    and help. A targetable figure's label is the selection label of
    ``visit.target.indicator`` (translated as that selection), the others'
    are terms of this file."""

    key: str
    label: object
    section: str
    unit: str
    help: object
    targetable: bool = False


# The sections in the order their lines are computed (the order the monthly
# report and the ledger print them); ``sequence`` orders the page.
SECTION_REGISTRY = (
    Section("coverage", _lt("Coverage"), 10),
    Section("reach", _lt("Reach"), 20),
    Section("channels", _lt("Channels and signatures"), 30),
    Section("agents", _lt("Agents"), 50),
    Section("served", _lt("Served (people, departments, products)"), 55),
    Section("satisfaction", _lt("Satisfaction"), 60),
    Section("digital", _lt("Digital channels"), 40),
    Section("problems", _lt("Open problems"), 70),
    Section("items", _lt("Evaluation items"), 65),
)

# Every figure the indicators show, in the model layer: the page, the
# monthly report, the ledger and the targets read it from here. The
# targetable ones in the order of the targets' selection.
INDICATOR_REGISTRY = (
    Indicator(
        "callback_rate",
        "Callback rate (visited / owed)",
        "coverage",
        "percent",
        _lt(
            "Owed cases visited (done) / owed cases. Owed: a visit from its due "
            "date on (cancelled visits are not owed), and a case a rule could not "
            "plan while its "
            "record still qualifies."
        ),
        targetable=True,
    ),
    Indicator(
        "rule_callback_rate",
        _lt("Callback rate per rule"),
        "coverage",
        "percent",
        _lt("The same callback rate, per follow-up rule."),
    ),
    Indicator(
        "coverage",
        _lt("Coverage per source kind (visited / owed)"),
        "coverage",
        "percent",
        _lt("The same callback rate, per kind of source document."),
    ),
    Indicator(
        "not_planned",
        _lt("Owed but not planned"),
        "coverage",
        "count",
        _lt(
            "Cases a rule owed but could not plan (no customer, do not visit, "
            "nobody assignable, an error): owed and missed."
        ),
    ),
    Indicator(
        "success_rate",
        "Success rate (reached / attempted)",
        "reach",
        "percent",
        _lt("Visits reached (done) / visits attempted (done or failed)."),
        targetable=True,
    ),
    Indicator(
        "failure_reason",
        _lt("Failure reasons (share of failed)"),
        "reach",
        "percent",
        _lt("Share of the failed visits per reason."),
    ),
    Indicator(
        "channel_mix",
        _lt("Visits done per channel"),
        "channels",
        "count",
        _lt("Visits done in the period per channel."),
    ),
    Indicator(
        "signature_share",
        "Signed share",
        "channels",
        "percent",
        _lt("Signed visits done / visits done (on site, or all)."),
        targetable=True,
    ),
    Indicator(
        "channel_share",
        "Share of channels",
        "channels",
        "percent",
        _lt("Visits done on these channels / all visits done."),
        targetable=True,
    ),
    Indicator(
        "agent_callback_rate",
        "Callback rate per agent",
        "agents",
        "percent",
        _lt("Owed visits of the agent done / owed visits of the agent."),
        targetable=True,
    ),
    Indicator(
        "served_callback_rate",
        "Callback rate per person, department or product served",
        "served",
        "percent",
        _lt(
            "Owed visits of whom or what was served (the technician, doctor or "
            "salesperson; the department; the product) done / its owed visits, "
            "whoever called."
        ),
        targetable=True,
    ),
    Indicator(
        "served_satisfaction",
        "Satisfaction per person, department or product served (1-4)",
        "served",
        "score",
        _lt(
            "Average satisfaction (the aspects and the counted items) of the "
            "visits about whom or what was served, rated visits only "
            "(4 satisfied … 1 unsatisfied)."
        ),
        targetable=True,
    ),
    Indicator(
        "served_satisfied_share",
        "Satisfied share per person, department or product served",
        "served",
        "percent",
        _lt(
            "Visits about whom or what was served whose satisfaction (the "
            "aspects and the counted items) is 3 or more (fairly satisfied or "
            "satisfied) / its rated visits."
        ),
        targetable=True,
    ),
    Indicator(
        "served_unsatisfied",
        _lt("Unsatisfied visits per person, department or product served"),
        "served",
        "count",
        _lt(
            "Visits about whom or what was served with an aspect or an item "
            "rated unsatisfied."
        ),
    ),
    Indicator(
        "satisfaction",
        _lt("Average satisfaction (1-4)"),
        "satisfaction",
        "score",
        _lt("Average of the rated visits only (4 satisfied … 1 unsatisfied)."),
    ),
    Indicator(
        "score_reason",
        _lt("Reasons for low scores (share of low-scored visits)"),
        "satisfaction",
        "percent",
        _lt(
            "Visits done with a score below satisfied, per reason the agent or "
            "the customer gave / visits done with a low score (a visit may give "
            "several reasons)."
        ),
    ),
    Indicator(
        "recovery_rate",
        _lt("Recovery rate"),
        "satisfaction",
        "percent",
        _lt("Plans with an unsatisfied visit that a later round confirmed satisfied."),
    ),
    Indicator(
        "response_rate",
        _lt("Response rate (answered / sent)"),
        "digital",
        "percent",
        _lt(
            "Messages (e-mail, SMS, questionnaire) the customer answered on the "
            "portal / messages sent, in the period of the day they were sent."
        ),
    ),
    Indicator(
        "answered_24h",
        _lt("Answered within 24 hours"),
        "digital",
        "percent",
        _lt("Messages answered at most 24 hours after they were sent / messages sent."),
    ),
    Indicator(
        "answered_7d",
        _lt("Answered within 7 days"),
        "digital",
        "percent",
        _lt("Messages answered at most 7 days after they were sent / messages sent."),
    ),
    Indicator(
        "fallback_share",
        _lt("Given to a call (share of digital visits)"),
        "digital",
        "percent",
        _lt(
            "Visits planned for a message that became a phone call (bounced, no "
            "address or number the channel can use, or no answer) / visits planned "
            "for a message; counted on the day the message was sent, or on the "
            "visit's due day when it never was."
        ),
    ),
    Indicator(
        "calls_avoided",
        _lt("Calls avoided"),
        "digital",
        "count",
        _lt("Messages answered on the portal: each one a call nobody had to make."),
    ),
    Indicator(
        "overdue",
        _lt("Overdue visits"),
        "problems",
        "count",
        _lt("Open visits past their deadline."),
    ),
    Indicator(
        "open_problems",
        _lt("Open problems"),
        "problems",
        "count",
        _lt("Visits whose problem is not answered yet."),
    ),
    Indicator(
        "problem_age",
        _lt("Age of the oldest open problem (days)"),
        "problems",
        "days",
        _lt("Days since the oldest open problem's visit was closed."),
    ),
    Indicator(
        "item_distribution",
        _lt("Answers per item"),
        "items",
        "count",
        _lt(
            "Answers of the visits done per item and level or choice, with their "
            "share of the item's answers (skipped items not counted)."
        ),
    ),
    Indicator(
        "item_average",
        "Average per item",
        "items",
        "score",
        _lt(
            "Average answer of a rated item on its own scale: 1-4 for the 4-level "
            "scale, 1-5 stars, 0-10 for NPS."
        ),
        targetable=True,
    ),
    Indicator(
        "item_satisfied_share",
        "Satisfied share per item",
        "items",
        "percent",
        _lt(
            "Satisfied answers / answers of a rated item: the top two levels of the "
            "4-level scale, 4-5 stars, 9-10 points."
        ),
        targetable=True,
    ),
    Indicator(
        "item_nps",
        "NPS per item",
        "items",
        "score",
        _lt(
            "Net Promoter Score of a 0-10 item: promoters (9-10) minus detractors "
            "(0-6), as a share of its answers, from -100 to 100."
        ),
        targetable=True,
    ),
)
INDICATOR_OF = {indicator.key: indicator for indicator in INDICATOR_REGISTRY}

# The earlier vocabulary lists, derived: the targets' selection and the labels.
INDICATORS = [(i.key, i.label) for i in INDICATOR_REGISTRY if i.targetable]
EXTRA_INDICATORS = [(i.key, i.label) for i in INDICATOR_REGISTRY if not i.targetable]
SECTIONS = [
    (section.key, section.label)
    for section in sorted(SECTION_REGISTRY, key=lambda section: section.sequence)
]
SECTION_OF = {i.key: i.section for i in INDICATOR_REGISTRY}
HELP = {i.key: i.help for i in INDICATOR_REGISTRY}


# The fields of visit.case of the scores of SATISFACTION_FIELDS.
CASE_SCORE_FIELDS = (
    "score_product",
    "score_service",
    "score_timeliness",
    "score_result",
)


class ServedDimension(NamedTuple):
    """Whom or what a visit judged, as a field of ``visit.case``: the
    *Served* section has a line group per value of each."""

    field: str
    label: object  # a lazy translated term


# The served section's dimensions, in the page's order: all of them are
# grouped in one query (GROUPING SETS), whatever their number.
SERVED_DIMENSIONS = (
    ServedDimension("served_by_id", _lt("Served by")),
    ServedDimension("served_department_id", _lt("Department served")),
    ServedDimension("served_product_id", _lt("Product served")),
)
# The dimension of the people served (named by their name, as agents).
SERVED_PERSON_FIELD = "served_by_id"
# A visit rated satisfied on average: 3 (fairly satisfied) or more.
SATISFIED_SCORE = 3
# Aggregates of the cases that ``_read_group`` has no spec for: their SQL
# from a function giving a field's column.
CASE_AGGREGATES = {
    "satisfied_count": lambda column: SQL(
        "COUNT(*) FILTER (WHERE %s >= %s)",
        column("satisfaction_score"),
        SATISFIED_SCORE,
    ),
    "unsatisfied_count": lambda column: SQL(
        "COUNT(*) FILTER (WHERE %s)", column("is_unsatisfied")
    ),
}
# The groupings of the cases the sections read, {name: (groupby,
# aggregates)} as ``_read_group`` takes them: all read in one query (see
# ``_cases_grouped``).
CASE_GROUPINGS = {
    "source": (
        ("type_id", "rule_id", "source_model", "skip_reason"),
        (
            "owed_count:sum",
            "visited_count:sum",
            "attempted_count:sum",
            "reached_count:sum",
            "skipped_count:sum",
        ),
    ),
    "channel": (
        ("channel", "user_id", "unreached_reason_id"),
        (
            "reached_count:sum",
            "signed_count:sum",
            "owed_count:sum",
            "visited_count:sum",
            "failed_count:sum",
        ),
    ),
    "scores": (
        (),
        (
            *(
                f"{fname}:{aggregate}"
                for fname in (*CASE_SCORE_FIELDS, "satisfaction_score")
                for aggregate in ("avg", "count")
            ),
            "overdue_count:sum",
            "problem_count:sum",
            "problem_done:min",
        ),
    ),
    **{
        dimension.field: (
            (dimension.field,),
            (
                "owed_count:sum",
                "visited_count:sum",
                "satisfaction_score:count",
                "satisfaction_score:avg",
                "satisfied_count",
                "unsatisfied_count",
            ),
        )
        for dimension in SERVED_DIMENSIONS
    },
}


def _rate(part, whole):
    """A percentage, or None when there is nothing to divide by."""
    return round(100.0 * part / whole, 2) if whole else None


class _Lines:
    """The lines of one computation and what its sections share: the cases'
    domains, the company's targets, and the groupings several sections read
    (each read once, whatever the sections: a fixed number of queries)."""

    def __init__(self, model, domain, company, year_domain, dispatch_domain):
        self.model = model
        self.env = model.env
        self.domain = list(domain)
        self.year_domain = list(year_domain or domain)
        self.dispatch_domain = (
            self.domain if dispatch_domain is None else dispatch_domain
        )
        self.owed = self.domain + [("is_owed", "=", True)]
        self.targets = self.env["visit.target"].search(
            [("company_id", "=", company.id)]
        )
        self.helps = {key: self.env._(text) for key, text in HELP.items()}
        self.lines = []
        self._groupings = {}

    def grouping(self, method):
        """What the model's ``method`` (a grouping of the cases) returns for
        this computation, read once."""
        if method not in self._groupings:
            self._groupings[method] = getattr(self.model, method)(self)
        return self._groupings[method]

    def target_for(
        self,
        indicator,
        type_id=False,
        period="cycle",
        question_id=False,
        served=None,
    ):
        """The target of ``indicator`` for whom or what was served
        (``served``: {served field of the target: id}), else for the item,
        else for the type, else for all of them."""
        served = served or {}
        return self.targets.filtered(
            lambda t: (
                t.indicator == indicator
                and t.type_id.id in (type_id, False)
                and t.question_id.id in (question_id, False)
                and all(
                    t[fname].id in (served.get(fname, False), False)
                    for fname in SERVED_FIELDS
                )
                and t.period == period
            )
        ).sorted(lambda t: (not t._served_records(), not t.question_id, not t.type_id))[
            :1
        ]

    def add(
        self,
        indicator,
        label,
        value,
        line_domain,
        target=None,
        numerator=None,
        denominator=None,
        measure=False,
        **keys,
    ):
        """Append the line of one figure (see ``_compute_domain``)."""
        status = target._status(value) if target and value is not None else False
        self.lines.append(
            {
                "section": SECTION_OF[indicator],
                "indicator": indicator,
                "label": label,
                "type_id": keys.get("type_id", False),
                "user_id": keys.get("user_id", False),
                "rule_id": keys.get("rule_id", False),
                "value": value,
                "numerator": numerator,
                "denominator": denominator,
                "unit": INDICATOR_OF[indicator].unit,
                "target": target.value if target else None,
                "target_id": target.id if target else False,
                "is_cap": bool(target and target.is_cap),
                "bonus": target.bonus_value if target and target.bonus_value else None,
                "status": status,
                "is_missed": status == "missed",
                "help": self.helps.get(indicator, ""),
                "domain": line_domain,
                "measure": measure,
                # Further keys of a section's lines (an item's question,
                # level, scale, and the model its domain reads).
                **{
                    key: value
                    for key, value in keys.items()
                    if key not in ("type_id", "user_id", "rule_id")
                },
            }
        )

    def add_rate(self, indicator, label, part, whole, line_domain, **keys):
        """Append the line of the rate ``part`` / ``whole``."""
        self.add(
            indicator,
            label,
            _rate(part, whole),
            line_domain,
            numerator=part,
            denominator=whole,
            **keys,
        )


class VisitIndicator(models.AbstractModel):
    """Follow-up indicators of a period, from SQL aggregates of
    ``visit.case`` only (a fixed number of queries whatever the volume)."""

    _name = "visit.indicator"
    _description = "Follow-up Indicators"

    # ------------------------------------------------------------------
    # Vocabulary
    # ------------------------------------------------------------------
    @api.model
    def _indicator_labels(self):
        """{indicator key: translated label}."""
        labels = dict(
            self.env["visit.target"]
            ._fields["indicator"]
            ._description_selection(self.env)
        )
        labels.update({key: self.env._(label) for key, label in EXTRA_INDICATORS})
        return labels

    @api.model
    def _section_labels(self):
        return {key: self.env._(label) for key, label in SECTIONS}

    # ------------------------------------------------------------------
    # Figures
    # ------------------------------------------------------------------
    @api.model
    def _period_domain(self, date_from, date_to, company, team=None, day="date"):
        """Cases of ``company`` due on the local days ``date_from`` to
        ``date_to`` (both included), of the team's members when given.
        ``day``: the case's day that decides (``dispatch_day``: the day of
        the message)."""
        if date_to < date_from:
            raise UserError(self.env._("The period ends before it starts."))
        domain = [
            ("company_id", "=", company.id),
            (day, ">=", date_from),
            (day, "<=", date_to),
        ]
        if team:
            domain.append(("user_id", "in", (team.member_ids | team.user_id).ids))
        return domain

    @api.model
    def _compute(self, date_from, date_to, company, team=None):
        """Indicator lines of the cases due from ``date_from`` to ``date_to``
        (local days of the company, both included).

        The digital channels' figures take the visits whose message was
        sent on those days (``dispatch_date``), and those given to a call
        without a message whose due day is one of them."""
        date_from, date_to = (
            fields.Date.to_date(date_from),
            fields.Date.to_date(date_to),
        )
        domain = self._period_domain(date_from, date_to, company, team)
        year_domain = self._period_domain(
            date(date_to.year, 1, 1), date_to, company, team
        )
        dispatch_domain = self._period_domain(
            date_from, date_to, company, team, day="dispatch_day"
        )
        return self._compute_domain(
            domain, company, year_domain=year_domain, dispatch_domain=dispatch_domain
        )

    @api.model
    def _compute_domain(
        self, domain, company, year_domain=None, dispatch_domain=None, sections=None
    ):
        """Indicator lines of the ``visit.case`` rows of ``domain``
        (``dispatch_domain``, when given, for the digital channels' figures),
        section by section (only the keys of ``sections`` when given).

        Each line: section, indicator, label, type_id, user_id, rule_id,
        value (None when there is nothing to divide by), numerator and
        denominator of a rate, unit (percent, count, days, score), target,
        target_id, is_cap, status (met, missed, bonus or False), is_missed,
        help, the domain of the cases behind the figure, and the field of
        ``visit.case`` that figure measures (``measure``, False for counts
        and rates: the drill-down shows it).
        """
        run = _Lines(self, domain, company, year_domain, dispatch_domain)
        for section in SECTION_REGISTRY:
            if sections is None or section.key in sections:
                getattr(self, f"_figures_{section.key}")(run)
        return run.lines

    # Groupings of the cases that several sections read -----------------
    @api.model
    def _cases_grouped(self, run):
        """Every grouping of the cases of CASE_GROUPINGS, in one query:
        GROUPING SETS read the cases once for all of them, where a
        ``_read_group`` each would read them once each (on 100,000 visits,
        about 0.3 s a reading). The cases are those of ``_search`` (the
        user's record rules); each grouping's rows are what ``_read_group``
        would return for it, in no particular order: {name: [(groupby
        values..., aggregates...)]}."""
        Case = self.env["visit.case"]
        query = Case._search(run.domain)

        def column(fname):
            return Case._field_to_sql(query.table, fname, query)

        keys = list(
            dict.fromkeys(key for keys, _a in CASE_GROUPINGS.values() for key in keys)
        )
        specs = list(
            dict.fromkeys(
                spec for _k, specs in CASE_GROUPINGS.values() for spec in specs
            )
        )
        query.groupby = SQL(
            "GROUPING SETS (%s)",
            SQL(", ").join(
                SQL("(%s)", SQL(", ").join(column(key) for key in grouping_keys))
                for grouping_keys, _specs in CASE_GROUPINGS.values()
            ),
        )
        rows = self.env.execute_query(
            query.select(
                # A bit per key, set when the row is not grouped by it.
                SQL("GROUPING(%s)", SQL(", ").join(column(key) for key in keys)),
                *[column(key) for key in keys],
                *[
                    CASE_AGGREGATES[spec](column)
                    if spec in CASE_AGGREGATES
                    else Case._read_group_select(spec, query)
                    for spec in specs
                ],
            )
        )
        position = {
            **{key: 1 + index for index, key in enumerate(keys)},
            **{spec: 1 + len(keys) + index for index, spec in enumerate(specs)},
        }
        groupings = {}
        for name, (grouping_keys, grouping_specs) in CASE_GROUPINGS.items():
            mask = sum(
                1 << (len(keys) - 1 - index)
                for index, key in enumerate(keys)
                if key not in grouping_keys
            )
            grouping_rows = [row for row in rows if row[0] == mask]
            columns = [
                Case._read_group_postprocess_groupby(
                    key, [row[position[key]] for row in grouping_rows]
                )
                for key in grouping_keys
            ] + [
                [row[position[spec]] or 0 for row in grouping_rows]
                if spec in CASE_AGGREGATES
                else Case._read_group_postprocess_aggregate(
                    spec, [row[position[spec]] for row in grouping_rows]
                )
                for spec in grouping_specs
            ]
            groupings[name] = list(zip(*columns, strict=True))
        return groupings

    @api.model
    def _cases_by_source(self, run):
        """Owed, visited, attempted and reached counts per type, rule and
        source kind, and the skipped cases per reason (the counts are 0 / 1
        columns of the view)."""
        by_type, by_rule, by_source = (
            defaultdict(lambda: [0, 0, 0, 0]) for _i in range(3)
        )
        by_reason = defaultdict(int)
        for (
            visit_type,
            rule,
            source_model,
            reason,
            *counts,
            skipped_n,
        ) in run.grouping("_cases_grouped")["source"]:
            for key, table in (
                (visit_type, by_type),
                (rule, by_rule),
                (source_model or "", by_source),
            ):
                table[key] = [a + b for a, b in zip(table[key], counts, strict=True)]
            if reason and skipped_n:
                by_reason[reason] += skipped_n
        types = sorted(by_type.items(), key=lambda item: (item[0].sequence, item[0].id))
        return {
            "types": types,
            # The rules in their order (sequence, id).
            "rules": dict(
                sorted(
                    by_rule.items(),
                    key=lambda item: (item[0].sequence or 0, item[0].id or 0),
                )
            ),
            "sources": by_source,
            "reasons": by_reason,
        }

    @api.model
    def _cases_by_channel(self, run):
        """Failed visits per reason, visits done (and signed) per channel,
        owed and visited per agent."""
        per_reason, per_channel, signed_per_channel = (
            defaultdict(int) for _i in range(3)
        )
        per_user = defaultdict(lambda: [0, 0])
        for (
            channel,
            user,
            reason,
            done_n,
            signed_n,
            owed_n,
            visited_n,
            failed_n,
        ) in sorted(
            run.grouping("_cases_grouped")["channel"],
            # The channels by key, the reasons in their order, none last.
            key=lambda row: (
                row[0] or "",
                not row[2],
                row[2].sequence or 0,
                row[2].id or 0,
            ),
        ):
            if failed_n:
                per_reason[reason] += failed_n
            if done_n:
                per_channel[channel] += done_n
                signed_per_channel[channel] += signed_n
            if user:
                per_user[user][0] += owed_n
                per_user[user][1] += visited_n
        return {
            "reasons": dict(
                sorted(
                    per_reason.items(),
                    key=lambda item: (
                        not item[0],
                        item[0].sequence or 0,
                        item[0].id or 0,
                    ),
                )
            ),
            "channels": dict(per_channel),
            "signed": signed_per_channel,
            "users": per_user,
        }

    @api.model
    def _cases_scores(self, run):
        """The average of each score over the visits that have one (None
        when no visit has: no data, not 0), with the overdue visits, the open
        problems and the oldest one."""
        [aggregates] = run.grouping("_cases_grouped")["scores"]
        overdue_total, problem_total, oldest = aggregates[-3:]
        aggregates = aggregates[:-3]
        return {
            "averages": [
                round(aggregates[index], 2) if aggregates[index + 1] else None
                for index in range(0, len(aggregates), 2)
            ],
            "overdue": overdue_total,
            "problems": problem_total,
            "oldest": oldest,
        }

    @api.model
    def _cases_by_served(self, run):
        """Per served field (SERVED_DIMENSIONS): [(record, owed, visited,
        visits with a rated aspect, their average, those satisfied on
        average, unsatisfied visits)] by name, the cases of no one left
        out."""
        groupings = run.grouping("_cases_grouped")
        return {
            dimension.field: sorted(
                # sudo: the names only of whom and what the visits the
                # manager reads were about, as a grouped list labels its
                # groups (a department or product of another company may
                # be named on them).
                (
                    (row[0].sudo(), *row[1:])
                    for row in groupings[dimension.field]
                    if row[0]
                ),
                key=lambda row: (row[0].display_name or "", row[0].id),
            )
            for dimension in SERVED_DIMENSIONS
        }

    @api.model
    def _answers_domain(self, run):
        """The ``visit.answer.analysis`` domain of the answers of the visits
        of the computation's cases: its own domain when it reads only the
        fields both views share (a period's, a team's), else the answers of
        the visits of its cases."""
        shared = {
            "company_id",
            "date",
            "user_id",
            "type_id",
            "partner_id",
            "served_by_id",
            "served_department_id",
        }
        if all(
            not isinstance(term, (list, tuple)) or term[0] in shared
            for term in run.domain
        ):
            return list(run.domain)
        query = self.env["visit.case"]._search(run.domain + [("kind", "=", "visit")])
        return [
            (
                "record_id",
                "in",
                query.subselect(SQL.identifier(query.table, "record_id")),
            )
        ]

    @api.model
    def _answers_by_item(self, run):
        """The answers of the period per type, item and level or choice, in
        one query: their count, the sum of their scores, of their satisfied
        answers and of their NPS points (see visit.answer.analysis)."""
        domain = self._answers_domain(run)
        items = defaultdict(
            lambda: {
                "levels": defaultdict(int),
                "count": 0,
                "scored": 0,
                "score": 0.0,
                "satisfied": 0,
                "nps": 0.0,
            }
        )
        # Grouped by as few columns as the figures need (a sort of every
        # answer when the planner expects many groups): a question is of
        # one type and one kind.
        for (
            question,
            level,
            option,
            count,
            score,
            satisfied,
            nps,
        ) in self.env["visit.answer.analysis"]._read_group(
            domain,
            ["question_id", "level", "option_id"],
            ["__count", "score:sum", "is_satisfied:sum", "nps_point:sum"],
        ):
            kind = question.answer_kind
            item = items[question.type_id, question]
            item["kind"] = kind
            item["levels"][option if kind == "choice" else level] += count
            item["count"] += count
            if kind in SCALE_KINDS:
                item["scored"] += count
                item["score"] += score or 0.0
                item["satisfied"] += satisfied or 0
                item["nps"] += nps or 0.0
        return {
            "domain": domain,
            "items": sorted(
                items.items(),
                key=lambda entry: (
                    entry[0][0].sequence,
                    entry[0][0].id,
                    entry[0][1].sequence,
                    entry[0][1].id,
                ),
            ),
        }

    # One method per section (SECTION_REGISTRY) ---------------------------
    @api.model
    def _add_type_rates(self, run, indicator, base, types, part, whole):
        """Lines of ``indicator`` per visit type then for all types: the
        ``part``-th count of the type's cases over its ``whole``-th."""
        for visit_type, counts in types:
            if visit_type and counts[whole]:
                run.add_rate(
                    indicator,
                    visit_type.name,
                    counts[part],
                    counts[whole],
                    base + [("type_id", "=", visit_type.id)],
                    target=run.target_for(indicator, visit_type.id),
                    type_id=visit_type.id,
                )
        run.add_rate(
            indicator,
            self.env._("All types"),
            sum(counts[part] for _type, counts in types),
            sum(counts[whole] for _type, counts in types),
            base,
            target=run.target_for(indicator),
        )

    @api.model
    def _figures_coverage(self, run):
        """Owed cases visited, per type, rule and source kind; the cases
        owed but not planned, per reason."""
        groups = run.grouping("_cases_by_source")
        self._add_type_rates(run, "callback_rate", run.owed, groups["types"], 1, 0)
        for rule, (owed_n, visited_n, _a, _r) in groups["rules"].items():
            if rule and owed_n:
                run.add_rate(
                    "rule_callback_rate",
                    rule.name,
                    visited_n,
                    owed_n,
                    run.owed + [("rule_id", "=", rule.id)],
                    rule_id=rule.id,
                )
        # sudo: only model names are read, which managers may lack access to.
        names = {
            model.model: model.name
            for model in self.env["ir.model"]
            .sudo()
            .search([("model", "in", [model for model in groups["sources"] if model])])
        }
        for source_model, (owed_n, visited_n, _a, _r) in sorted(
            groups["sources"].items()
        ):
            if owed_n:
                run.add_rate(
                    "coverage",
                    names.get(source_model) or self.env._("No source document"),
                    visited_n,
                    owed_n,
                    run.owed + [("source_model", "=", source_model or False)],
                )
        reasons = dict(
            self.env["visit.case"]
            ._fields["skip_reason"]
            ._description_selection(self.env)
        )
        for reason, count in sorted(groups["reasons"].items()):
            run.add(
                "not_planned",
                reasons.get(reason, reason),
                count,
                run.owed + [("kind", "=", "skipped"), ("skip_reason", "=", reason)],
            )

    @api.model
    def _figures_reach(self, run):
        """Visits reached of visits attempted, and why the others failed."""
        attempted = run.domain + [("attempted_count", "=", 1)]
        types = run.grouping("_cases_by_source")["types"]
        self._add_type_rates(run, "success_rate", attempted, types, 3, 2)
        per_reason = run.grouping("_cases_by_channel")["reasons"]
        failed = run.domain + [("state", "=", "failed")]
        failed_total = sum(per_reason.values())
        for reason, count in per_reason.items():
            run.add_rate(
                "failure_reason",
                reason.name or self.env._("No reason"),
                count,
                failed_total,
                failed + [("unreached_reason_id", "=", reason.id)],
            )

    @api.model
    def _figures_channels(self, run):
        """Visits done per channel, the shares of channels and the signed
        shares the targets ask for."""
        done = run.domain + [("state", "=", "done")]
        per_channel = run.grouping("_cases_by_channel")["channels"]
        channels = dict(
            self.env["visit.case"]._fields["channel"]._description_selection(self.env)
        )
        done_total = sum(per_channel.values())
        for channel, count in sorted(per_channel.items(), key=lambda item: -item[1]):
            run.add(
                "channel_mix",
                channels.get(channel, channel),
                count,
                done + [("channel", "=", channel)],
                numerator=count,
                denominator=done_total,
            )
        self._add_channel_shares(run, done)
        self._add_signature_shares(run, done)

    @api.model
    def _add_channel_shares(self, run, done):
        """One line per channel share target, over its period and type."""
        Case = self.env["visit.case"]
        year_done = run.year_domain + [("state", "=", "done")]
        year_channel = None
        for target in run.targets.filtered(lambda t: t.indicator == "channel_share"):
            keys = target.channel_ids.mapped("value")
            base, counts = done, run.grouping("_cases_by_channel")["channels"]
            if target.period == "year":
                if year_channel is None:
                    year_channel = dict(
                        Case._read_group(year_done, ["channel"], ["__count"])
                    )
                base, counts = year_done, year_channel
            if target.type_id:
                base = base + [("type_id", "=", target.type_id.id)]
                counts = dict(Case._read_group(base, ["channel"], ["__count"]))
            label = " + ".join(target.channel_ids.mapped("name"))
            if target.period == "year":
                label = self.env._("%s (year to date)", label)
            run.add_rate(
                "channel_share",
                label,
                sum(counts.get(key, 0) for key in keys),
                sum(counts.values()),
                base + [("channel", "in", keys)],
                target=target,
                type_id=target.type_id.id,
            )

    @api.model
    def _add_signature_shares(self, run, done):
        """The on-site signed share always; one line per other signed share
        target, over its base, period and type."""
        year_done = run.year_domain + [("state", "=", "done")]
        bases = dict(
            self.env["visit.target"]
            ._fields["signature_base"]
            ._description_selection(self.env)
        )
        measured = [("onsite", self.env["visit.target"], done)]
        for target in run.targets.filtered(
            lambda t: t.indicator == "signature_share"
        ).sorted(lambda t: (t.signature_base != "onsite", t.id)):
            base = year_done if target.period == "year" else done
            if target.type_id:
                base = base + [("type_id", "=", target.type_id.id)]
            if (
                target.signature_base == "onsite"
                and not target.type_id
                and target.period == "cycle"
            ):
                measured[0] = ("onsite", target, done)
            else:
                measured.append((target.signature_base, target, base))
        for base_key, target, base in measured:
            signed, count = self._signed_counts(run, base_key, base, done)
            label = bases[base_key]
            if target.type_id:
                label = f"{label} – {target.type_id.name}"
            if target.period == "year":
                label = self.env._("%s (year to date)", label)
            run.add_rate(
                "signature_share",
                label,
                signed or 0,
                count,
                base + ([("channel", "=", "onsite")] if base_key == "onsite" else []),
                target=target or None,
                type_id=target.type_id.id,
            )

    @api.model
    def _signed_counts(self, run, base_key, base, done):
        """(signed, visits) of the visits done of ``base`` (on site only for
        the ``onsite`` base); the period's visits done are counted already."""
        if base_key == "onsite":
            domain = base + [("channel", "=", "onsite")]
        else:
            domain = base
        if base is not done:
            return self.env["visit.case"]._read_group(
                domain, [], ["signed_count:sum", "__count"]
            )[0]
        groups = run.grouping("_cases_by_channel")
        if base_key == "onsite":
            return groups["signed"]["onsite"], groups["channels"].get("onsite", 0)
        return sum(groups["signed"].values()), sum(groups["channels"].values())

    @api.model
    def _figures_agents(self, run):
        """Each agent's owed visits visited, against the floor and the bonus."""
        agent_target = run.target_for("agent_callback_rate")
        per_user = run.grouping("_cases_by_channel")["users"]
        for user, (owed_count, visited) in sorted(
            per_user.items(), key=lambda item: item[0].name or ""
        ):
            if owed_count:
                run.add_rate(
                    "agent_callback_rate",
                    user.name,
                    visited,
                    owed_count,
                    run.owed + [("user_id", "=", user.id)],
                    target=agent_target,
                    user_id=user.id,
                )

    @api.model
    def _figures_served(self, run):
        """Per person, department and product served (SERVED_DIMENSIONS): the callback
        rate of their owed visits, whoever called, the satisfaction, the
        satisfied share and the unsatisfied visits, against their own
        target, else the one for everybody served."""
        rated = run.domain + [("satisfaction_score", "!=", False)]
        figure_labels = {
            "served_callback_rate": self.env._("Callback rate"),
            "served_satisfaction": self.env._("Satisfaction (1-4)"),
            "served_satisfied_share": self.env._("Satisfied share"),
            "served_unsatisfied": self.env._("Unsatisfied visits"),
        }
        per_dimension = run.grouping("_cases_by_served")
        for dimension in SERVED_DIMENSIONS:
            dimension_label = self.env._(dimension.label)
            for (
                record,
                owed_n,
                visited_n,
                rated_n,
                average,
                satisfied_n,
                unsatisfied_n,
            ) in per_dimension[dimension.field]:
                if not owed_n:
                    continue
                term = [(dimension.field, "=", record.id)]
                person = record.id if dimension.field == SERVED_PERSON_FIELD else False
                # A person by their name, as the agents (not "Company, name").
                name = record.name if person else record.display_name
                keys = {
                    "served_field": dimension.field,
                    "served_id": record.id,
                    "group": f"{dimension.field}-{record.id}",
                    "group_label": name,
                    "group_help": dimension_label,
                }

                def target(indicator, field=dimension.field, served_id=record.id):
                    # Its own target (a person's, a department's, a
                    # product's), else the one for everybody served.
                    return run.target_for(indicator, served={field: served_id})

                run.add_rate(
                    "served_callback_rate",
                    name,
                    visited_n,
                    owed_n,
                    run.owed + term,
                    target=target("served_callback_rate"),
                    figure_label=figure_labels["served_callback_rate"],
                    **keys,
                )
                run.add(
                    "served_satisfaction",
                    name,
                    round(float(average), 2) if rated_n else None,
                    rated + term,
                    target=target("served_satisfaction"),
                    measure="satisfaction_score",
                    figure_label=figure_labels["served_satisfaction"],
                    **keys,
                )
                run.add_rate(
                    "served_satisfied_share",
                    name,
                    satisfied_n,
                    rated_n,
                    rated + term,
                    target=target("served_satisfied_share"),
                    measure="satisfaction_score",
                    figure_label=figure_labels["served_satisfied_share"],
                    **keys,
                )
                run.add(
                    "served_unsatisfied",
                    name,
                    unsatisfied_n,
                    run.domain + term + [("is_unsatisfied", "=", True)],
                    figure_label=figure_labels["served_unsatisfied"],
                    **keys,
                )

    @api.model
    def _figures_satisfaction(self, run):
        """Averages of the rated visits only (NULL scores left out), per
        aspect and overall, and the unsatisfied customers recovered."""
        rated = run.domain + [("is_rated", "=", True)]
        averages = run.grouping("_cases_scores")["averages"]
        visit_fields = self.env["visit.record"]._fields
        for fname, case_fname, average in zip(
            SATISFACTION_FIELDS, CASE_SCORE_FIELDS, averages, strict=False
        ):
            run.add(
                "satisfaction",
                visit_fields[fname]._description_string(self.env),
                average,
                rated + [(case_fname, "!=", False)],
                measure=case_fname,
            )
        run.add(
            "satisfaction",
            self.env._("All aspects and counted items"),
            averages[-1],
            rated,
            measure="satisfaction_score",
        )
        self._add_score_reasons(run)
        self._add_recovery_rate(run)

    @api.model
    def _add_score_reasons(self, run):
        """Per reason: the low-scored visits done that gave it, out of the
        low-scored visits done (two queries, whatever the visits)."""
        Visit = self.env["visit.record"]
        query = self.env["visit.case"]._search(
            run.domain + [("kind", "=", "visit"), ("state", "=", "done")]
        )
        low = [
            (
                "id",
                "in",
                query.subselect(SQL.identifier(query.table, "record_id")),
            ),
            ("has_low_score", "=", True),
        ]
        whole = Visit.search_count(low)
        if not whole:
            return
        line_domain = run.domain + [
            ("state", "=", "done"),
            ("record_id.has_low_score", "=", True),
        ]
        for reason, count in Visit._read_group(low, ["score_reason_ids"], ["__count"]):
            if not reason:
                continue
            run.add_rate(
                "score_reason",
                reason.name,
                count,
                whole,
                line_domain + [("record_id.score_reason_ids", "in", reason.id)],
            )

    @api.model
    def _add_recovery_rate(self, run):
        """Per plan: the first unsatisfied round, and the last round rated
        satisfied; recovered when that came later."""
        Case = self.env["visit.case"]
        first_unsatisfied = dict(
            Case._read_group(
                run.domain + [("is_unsatisfied", "=", True), ("plan_id", "!=", False)],
                ["plan_id"],
                ["round:min"],
            )
        )
        last_satisfied = dict(
            Case._read_group(
                run.domain
                + [
                    ("is_rated", "=", True),
                    ("is_unsatisfied", "=", False),
                    ("state", "=", "done"),
                    ("plan_id", "!=", False),
                ],
                ["plan_id"],
                ["round:max"],
            )
        )
        unsatisfied = set(first_unsatisfied)
        recovered = {
            plan
            for plan in unsatisfied
            if last_satisfied.get(plan, 0) > first_unsatisfied[plan]
        }
        run.add_rate(
            "recovery_rate",
            self.env._("Unsatisfied customers recovered"),
            len(recovered),
            len(unsatisfied),
            run.domain + [("plan_id", "in", [plan.id for plan in unsatisfied])],
        )

    @api.model
    def _figures_digital(self, run):
        """The digital channels' messages sent, answered, given to a call."""
        for indicator, label, part, whole, line_domain in self._dispatch_figures(
            run.dispatch_domain
        ):
            if whole is None:
                run.add(indicator, label, part, line_domain)
            else:
                run.add_rate(indicator, label, part, whole, line_domain)

    @api.model
    def _figures_problems(self, run):
        """Overdue visits, open problems and the oldest one's age."""
        scores = run.grouping("_cases_scores")
        run.add(
            "overdue",
            self.env._("Overdue visits"),
            scores["overdue"] or 0,
            run.domain + [("is_overdue", "=", True)],
        )
        problems = run.domain + [("is_problem_open", "=", True)]
        run.add(
            "open_problems",
            self.env._("Open problems"),
            scores["problems"] or 0,
            problems,
        )
        oldest = scores["oldest"]
        run.add(
            "problem_age",
            self.env._("Oldest open problem"),
            (fields.Datetime.now() - oldest).days if oldest else None,
            problems,
        )

    @api.model
    def _figures_items(self, run):
        """Per type and item: the answers per level or choice (count and
        share), the average on the item's scale, the satisfied share and the
        NPS; per type, the satisfied share and the NPS of all its items."""
        grouping = run.grouping("_answers_by_item")
        answers = grouping["domain"]
        levels = dict(
            self.env["visit.answer.analysis"]
            ._fields["level"]
            ._description_selection(self.env)
        )
        model = "visit.answer.analysis"
        per_type = defaultdict(lambda: [0, 0, 0, 0.0])  # scored, satisfied, nps n, sum
        for (visit_type, question), item in grouping["items"]:
            kind = item["kind"]
            keys = {
                "type_id": visit_type.id,
                "question_id": question.id,
                "model": model,
                "item": question.name,
                "type_name": visit_type.name,
                "answer_kind": kind,
            }
            item_domain = answers + [
                ("type_id", "=", visit_type.id),
                ("question_id", "=", question.id),
            ]
            label = f"{visit_type.name} – {question.name}"
            if kind == "choice":
                # Every choice of the item in order, those no longer offered
                # when they were answered.
                options = question.with_context(active_test=False).option_ids
                order = [
                    (option, option.name, ("option_id", "=", option.id))
                    for option in options
                    if option.active or item["levels"].get(option)
                ]
            else:
                order = [
                    (level, levels.get(level, level), ("level", "=", level))
                    for level in LEVEL_ORDER[kind]
                ]
            for key, level_label, term in order:
                count = item["levels"].get(key, 0)
                run.add(
                    "item_distribution",
                    f"{label}: {level_label}",
                    count,
                    item_domain + [term],
                    numerator=count,
                    denominator=item["count"],
                    level=level_label,
                    share=_rate(count, item["count"]),
                    **keys,
                )
            if kind not in SCALE_KINDS:
                continue
            scored = item["scored"]
            run.add(
                "item_average",
                label,
                round(item["score"] / scored, 2) if scored else None,
                item_domain,
                target=run.target_for(
                    "item_average", visit_type.id, question_id=question.id
                ),
                measure="score",
                scale=SCALE_MAX[kind],
                **keys,
            )
            run.add(
                "item_satisfied_share",
                label,
                _rate(item["satisfied"], scored),
                item_domain,
                target=run.target_for(
                    "item_satisfied_share", visit_type.id, question_id=question.id
                ),
                numerator=item["satisfied"],
                denominator=scored,
                measure="satisfied_rate",
                **keys,
            )
            if question.aspect:
                # The aspects have their figures in the satisfaction
                # section: a type's items together are its script's own.
                continue
            totals = per_type[visit_type]
            totals[0] += scored
            totals[1] += item["satisfied"]
            if kind == "nps":
                run.add(
                    "item_nps",
                    label,
                    round(item["nps"] / scored, 2) if scored else None,
                    item_domain,
                    target=run.target_for(
                        "item_nps", visit_type.id, question_id=question.id
                    ),
                    measure="nps_point",
                    scale=0,
                    **keys,
                )
                totals[2] += scored
                totals[3] += item["nps"]
        for visit_type, (scored, satisfied, nps_n, nps_sum) in per_type.items():
            keys = {
                "type_id": visit_type.id,
                "model": model,
                "item": self.env._("All items"),
                "type_name": visit_type.name,
            }
            type_domain = answers + [
                ("type_id", "=", visit_type.id),
                ("answer_kind", "in", SCALE_KINDS),
                ("question_id.aspect", "=", False),
            ]
            label = self.env._("%s – all items", visit_type.name)
            run.add(
                "item_satisfied_share",
                label,
                _rate(satisfied, scored),
                type_domain,
                target=run.target_for("item_satisfied_share", visit_type.id),
                numerator=satisfied,
                denominator=scored,
                measure="satisfied_rate",
                **keys,
            )
            if nps_n:
                run.add(
                    "item_nps",
                    label,
                    round(nps_sum / nps_n, 2),
                    type_domain + [("answer_kind", "=", "nps")],
                    target=run.target_for("item_nps", visit_type.id),
                    measure="nps_point",
                    scale=0,
                    **keys,
                )

    @api.model
    def _item_tables(self, lines):
        """The lines of the items section as a table per type, a row per
        item (its figures beside its distribution), for the page and the
        monthly report: [{type_id, label, items: [{label, question_id,
        distribution, average, satisfied, nps}]}], the types and items in
        the order of the lines."""
        tables, rows = {}, {}
        figures = {
            "item_average": "average",
            "item_satisfied_share": "satisfied",
            "item_nps": "nps",
        }
        for line in lines:
            if line["section"] != "items":
                continue
            table = tables.setdefault(
                line["type_id"],
                {"type_id": line["type_id"], "label": line["type_name"], "items": []},
            )
            key = (line["type_id"], line.get("question_id") or False)
            if key not in rows:
                rows[key] = {
                    "question_id": key[1],
                    "label": line["item"],
                    "distribution": [],
                    "average": None,
                    "satisfied": None,
                    "nps": None,
                }
                table["items"].append(rows[key])
            if line["indicator"] == "item_distribution":
                rows[key]["distribution"].append(line)
            else:
                rows[key][figures[line["indicator"]]] = line
        return list(tables.values())

    @api.model
    def _missed_target_count(self, lines):
        """How many targets the ``lines`` miss: a target measured on several
        lines (each agent, each type under a target for all types) counts
        once."""
        return len({line["target_id"] for line in lines if line["is_missed"]})

    @api.model
    def _dispatch_figures(self, domain):
        """The digital channels' figures of the ``visit.case`` rows of
        ``domain`` that were planned for a message, per message channel and
        for all of them, in one query: (indicator, label, part, whole or
        None for a count, domain of the cases behind the figure).

        Sent: the message went out (``dispatch_date``); answered: the
        customer answered on the portal after it (``answer_date``), within
        24 hours or 7 days of it (elapsed time).  Given to a call: the
        message bounced, could not go out (then it was never sent) or had
        no answer.  A period selects these cases on their ``dispatch_day``
        (see visit.case)."""
        Case = self.env["visit.case"]
        digital = list(domain) + [("digital_count", "=", 1)]
        counters = [
            "digital_count",
            "sent_count",
            "answered_count",
            "answered_day_count",
            "answered_week_count",
            "fell_back_count",
        ]
        per_channel = {
            channel: dict(zip(counters, counts, strict=True))
            for channel, *counts in Case._read_group(
                digital,
                ["dispatch_channel"],
                [f"{counter}:sum" for counter in counters],
            )
        }
        labels = dict(Case._fields["dispatch_channel"]._description_selection(self.env))
        # Each channel with a visit planned for it, then all of them.
        rows = [
            (
                labels[channel],
                per_channel[channel],
                [("dispatch_channel", "=", channel)],
            )
            for channel in labels
            if channel in per_channel
        ]
        totals = {
            counter: sum(counts[counter] for counts in per_channel.values())
            for counter in counters
        }
        rows.append((self.env._("All digital channels"), totals, []))
        figures = []
        # (indicator, part, whole or None for a count)
        for indicator, part, whole in (
            ("response_rate", "answered_count", "sent_count"),
            ("answered_24h", "answered_day_count", "sent_count"),
            ("answered_7d", "answered_week_count", "sent_count"),
            ("fallback_share", "fell_back_count", "digital_count"),
            ("calls_avoided", "answered_count", None),
        ):
            for label, counts, channel_domain in rows:
                figures.append(
                    (
                        indicator,
                        label,
                        counts[part],
                        counts[whole] if whole else None,
                        # The cases behind a rate are its whole; behind a
                        # count, the cases counted.
                        digital + channel_domain + [(whole or part, "=", 1)],
                    )
                )
        return figures

    # ------------------------------------------------------------------
    # The Indicators page (client action)
    # ------------------------------------------------------------------
    @api.model
    def get_indicator_page(
        self, date_from=None, date_to=None, company_id=None, team_id=None
    ):
        """Everything the *Indicators* page shows, as JSON-able data.

        Without dates, the current report cycle of the company."""
        if not self.env.user.has_group("customer_visit.group_visit_manager"):
            raise UserError(self.env._("Only follow-up managers see the indicators."))
        company = (
            self.env["res.company"].browse(company_id)
            if company_id
            else self.env.company
        )
        if company not in self.env.user.company_ids:
            raise UserError(
                self.env._("You cannot see the indicators of %s.", company.name)
            )
        # The company's own records (the record rules follow the active
        # companies, which may not include it).
        self = self.with_company(company)
        company = company.with_env(self.env)
        if not (date_from and date_to):
            cycle = company._visit_report_cycle(day=company._visit_today())
            date_from, date_to = cycle.date_from, cycle.date_to
        date_from, date_to = (
            fields.Date.to_date(date_from),
            fields.Date.to_date(date_to),
        )
        team = self.env["crm.team"].browse(team_id) if team_id else None
        lines = self._compute(date_from, date_to, company, team)
        labels = self._indicator_labels()
        sections = []
        for key, label in self._section_labels().items():
            section_lines = [
                dict(
                    line, indicator_label=labels[line["indicator"]], id=f"{key}-{index}"
                )
                for index, line in enumerate(lines)
                if line["section"] == key
            ]
            # A group per indicator; the served section's, a group per
            # person or product served, with a line per figure.
            groups = {}
            for line in section_lines:
                group_key = line.get("group") or line["indicator"]
                if group_key not in groups:
                    groups[group_key] = {
                        "key": group_key,
                        "indicator": line["indicator"],
                        "label": line.get("group_label") or labels[line["indicator"]],
                        "help": line.get("group_help") or line["help"],
                        "lines": [],
                    }
                groups[group_key]["lines"].append(line)
            sections.append(
                {
                    "key": key,
                    "label": label,
                    "groups": list(groups.values()),
                    "item_types": self._item_tables(section_lines)
                    if key == "items"
                    else [],
                }
            )
        return {
            "date_from": fields.Date.to_string(date_from),
            "date_to": fields.Date.to_string(date_to),
            "company_id": company.id,
            "company_name": company.name,
            "companies": [
                {"id": c.id, "name": c.name} for c in self.env.user.company_ids
            ],
            "team_id": team.id if team else False,
            "teams": [
                {"id": t.id, "name": t.name} for t in self.env["crm.team"].search([])
            ],
            "missed_count": self._missed_target_count(lines),
            "sections": sections,
        }
