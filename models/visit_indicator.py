from collections import defaultdict
from datetime import date

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import LazyTranslate

from .visit_record import SATISFACTION_FIELDS

_lt = LazyTranslate(__name__)

# Every figure the indicators show, in the model layer: the page, the
# monthly report and the ledger read their labels from here.
EXTRA_INDICATORS = [
    ("not_planned", _lt("Owed but not planned")),
    ("failure_reason", _lt("Failure reasons (share of failed)")),
    ("channel_mix", _lt("Visits done per channel")),
    ("overdue", _lt("Overdue visits")),
    ("open_problems", _lt("Open problems")),
    ("satisfaction", _lt("Average satisfaction (1-4)")),
    ("problem_age", _lt("Age of the oldest open problem (days)")),
    ("recovery_rate", _lt("Recovery rate")),
    ("coverage", _lt("Coverage per source kind (visited / owed)")),
    ("rule_callback_rate", _lt("Callback rate per rule")),
    ("response_rate", _lt("Response rate (answered / sent)")),
    ("answered_24h", _lt("Answered within 24 hours")),
    ("answered_7d", _lt("Answered within 7 days")),
    ("fallback_share", _lt("Given to a call (share of digital visits)")),
    ("calls_avoided", _lt("Calls avoided")),
]
SECTIONS = [
    ("coverage", _lt("Coverage")),
    ("reach", _lt("Reach")),
    ("channels", _lt("Channels and signatures")),
    ("digital", _lt("Digital channels")),
    ("agents", _lt("Agents")),
    ("satisfaction", _lt("Satisfaction")),
    ("problems", _lt("Open problems")),
]
SECTION_OF = {
    "callback_rate": "coverage",
    "rule_callback_rate": "coverage",
    "coverage": "coverage",
    "not_planned": "coverage",
    "success_rate": "reach",
    "failure_reason": "reach",
    "channel_mix": "channels",
    "channel_share": "channels",
    "signature_share": "channels",
    "response_rate": "digital",
    "answered_24h": "digital",
    "answered_7d": "digital",
    "fallback_share": "digital",
    "calls_avoided": "digital",
    "agent_callback_rate": "agents",
    "satisfaction": "satisfaction",
    "recovery_rate": "satisfaction",
    "overdue": "problems",
    "open_problems": "problems",
    "problem_age": "problems",
}
HELP = {
    "callback_rate": _lt(
        "Owed cases visited (done) / owed cases. Owed: a visit from its due "
        "date on (cancelled visits are not owed), and a case a rule could not plan "
        "while its "
        "record still qualifies."
    ),
    "rule_callback_rate": _lt("The same callback rate, per follow-up rule."),
    "coverage": _lt("The same callback rate, per kind of source document."),
    "not_planned": _lt(
        "Cases a rule owed but could not plan (no customer, do not visit, nobody "
        "assignable, an error): owed and missed."
    ),
    "success_rate": _lt("Visits reached (done) / visits attempted (done or failed)."),
    "failure_reason": _lt("Share of the failed visits per reason."),
    "channel_mix": _lt("Visits done in the period per channel."),
    "channel_share": _lt("Visits done on these channels / all visits done."),
    "signature_share": _lt("Signed visits done / visits done (on site, or all)."),
    "agent_callback_rate": _lt(
        "Owed visits of the agent done / owed visits of the agent."
    ),
    "response_rate": _lt(
        "Messages (e-mail, SMS, questionnaire) the customer answered on the "
        "portal / messages sent, in the period of the day they were sent."
    ),
    "answered_24h": _lt(
        "Messages answered at most 24 hours after they were sent / messages sent."
    ),
    "answered_7d": _lt(
        "Messages answered at most 7 days after they were sent / messages sent."
    ),
    "fallback_share": _lt(
        "Visits planned for a message that became a phone call (bounced, no "
        "address or number the channel can use, or no answer) / visits planned "
        "for a message; counted on the day the message was sent, or on the "
        "visit's due day when it never was."
    ),
    "calls_avoided": _lt(
        "Messages answered on the portal: each one a call nobody had to make."
    ),
    "satisfaction": _lt(
        "Average of the rated visits only (4 satisfied … 1 unsatisfied)."
    ),
    "recovery_rate": _lt(
        "Plans with an unsatisfied visit that a later round confirmed satisfied."
    ),
    "overdue": _lt("Open visits past their deadline."),
    "open_problems": _lt("Visits whose problem is not answered yet."),
    "problem_age": _lt("Days since the oldest open problem's visit was closed."),
}


def _rate(part, whole):
    """A percentage, or None when there is nothing to divide by."""
    return round(100.0 * part / whole, 2) if whole else None


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
    def _compute_domain(self, domain, company, year_domain=None, dispatch_domain=None):  # noqa: C901 -- one pass over two groupings, every indicator
        """Indicator lines of the ``visit.case`` rows of ``domain``
        (``dispatch_domain``, when given, for the digital channels' figures).

        Each line: section, indicator, label, type_id, user_id, rule_id,
        value (None when there is nothing to divide by), numerator and
        denominator of a rate, unit (percent, count, days, score), target,
        target_id, is_cap, status (met, missed, bonus or False), is_missed,
        help, the domain of the cases behind the figure, and the field of
        ``visit.case`` that figure measures (``measure``, False for counts
        and rates: the drill-down shows it).
        """
        Case = self.env["visit.case"]
        domain = list(domain)
        year_domain = list(year_domain or domain)
        owed = domain + [("is_owed", "=", True)]
        targets = self.env["visit.target"].search([("company_id", "=", company.id)])
        helps = {key: self.env._(text) for key, text in HELP.items()}
        lines = []

        def target_for(indicator, type_id=False, period="cycle"):
            return targets.filtered(
                lambda t: (
                    t.indicator == indicator
                    and t.type_id.id in (type_id, False)
                    and t.period == period
                )
            ).sorted(lambda t: not t.type_id)[:1]

        def add(
            indicator,
            label,
            value,
            line_domain,
            unit="percent",
            target=None,
            numerator=None,
            denominator=None,
            measure=False,
            **keys,
        ):
            status = target._status(value) if target and value is not None else False
            lines.append(
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
                    "unit": unit,
                    "target": target.value if target else None,
                    "target_id": target.id if target else False,
                    "is_cap": bool(target and target.is_cap),
                    "bonus": target.bonus_value
                    if target and target.bonus_value
                    else None,
                    "status": status,
                    "is_missed": status == "missed",
                    "help": helps.get(indicator, ""),
                    "domain": line_domain,
                    "measure": measure,
                }
            )

        def add_rate(indicator, label, part, whole, line_domain, target=None, **keys):
            add(
                indicator,
                label,
                _rate(part, whole),
                line_domain,
                target=target,
                numerator=part,
                denominator=whole,
                **keys,
            )

        # Coverage and reach in one query: the counts are 0 / 1 columns of
        # the view, so one grouping by type, rule, source kind and skip
        # reason gives every rate below (a fixed number of queries).
        groups = Case._read_group(
            domain,
            ["type_id", "rule_id", "source_model", "skip_reason"],
            [
                "owed_count:sum",
                "visited_count:sum",
                "attempted_count:sum",
                "reached_count:sum",
                "skipped_count:sum",
            ],
        )
        by_type, by_rule, by_source, by_reason = (
            defaultdict(lambda: [0, 0, 0, 0]) for _i in range(4)
        )
        for (
            visit_type,
            rule,
            source_model,
            reason,
            owed_n,
            visited_n,
            attempted_n,
            reached_n,
            skipped_n,
        ) in groups:
            for key, table in (
                (visit_type, by_type),
                (rule, by_rule),
                (source_model or "", by_source),
            ):
                counts = table[key]
                counts[0] += owed_n
                counts[1] += visited_n
                counts[2] += attempted_n
                counts[3] += reached_n
            if reason and skipped_n:
                by_reason[reason][0] += skipped_n
        ordered_types = sorted(
            by_type.items(), key=lambda item: (item[0].sequence, item[0].id)
        )

        # Coverage: owed cases visited, per type, rule and source kind.
        total_owed = sum(counts[0] for counts in by_type.values())
        total_visited = sum(counts[1] for counts in by_type.values())
        for visit_type, (owed_n, visited_n, _a, _r) in ordered_types:
            if visit_type and owed_n:
                add_rate(
                    "callback_rate",
                    visit_type.name,
                    visited_n,
                    owed_n,
                    owed + [("type_id", "=", visit_type.id)],
                    target=target_for("callback_rate", visit_type.id),
                    type_id=visit_type.id,
                )
        add_rate(
            "callback_rate",
            self.env._("All types"),
            total_visited,
            total_owed,
            owed,
            target=target_for("callback_rate"),
        )
        for rule, (owed_n, visited_n, _a, _r) in by_rule.items():
            if rule and owed_n:
                add_rate(
                    "rule_callback_rate",
                    rule.name,
                    visited_n,
                    owed_n,
                    owed + [("rule_id", "=", rule.id)],
                    rule_id=rule.id,
                )
        # sudo: only model names are read, which managers may lack access to.
        names = {
            model.model: model.name
            for model in self.env["ir.model"]
            .sudo()
            .search([("model", "in", [model for model in by_source if model])])
        }
        for source_model, (owed_n, visited_n, _a, _r) in sorted(by_source.items()):
            if owed_n:
                add_rate(
                    "coverage",
                    names.get(source_model) or self.env._("No source document"),
                    visited_n,
                    owed_n,
                    owed + [("source_model", "=", source_model or False)],
                )
        reasons = dict(Case._fields["skip_reason"]._description_selection(self.env))
        for reason, (count, *_rest) in sorted(by_reason.items()):
            add(
                "not_planned",
                reasons.get(reason, reason),
                count,
                owed + [("kind", "=", "skipped"), ("skip_reason", "=", reason)],
                unit="count",
            )

        # Reach: visits reached of visits attempted, and why they failed.
        attempted = domain + [("attempted_count", "=", 1)]
        total_attempted = sum(counts[2] for counts in by_type.values())
        total_reached = sum(counts[3] for counts in by_type.values())
        for visit_type, (_o, _v, attempted_n, reached_n) in ordered_types:
            if visit_type and attempted_n:
                add_rate(
                    "success_rate",
                    visit_type.name,
                    reached_n,
                    attempted_n,
                    attempted + [("type_id", "=", visit_type.id)],
                    target=target_for("success_rate", visit_type.id),
                    type_id=visit_type.id,
                )
        add_rate(
            "success_rate",
            self.env._("All types"),
            total_reached,
            total_attempted,
            attempted,
            target=target_for("success_rate"),
        )
        # Failure reasons, channels, signatures and agents: one more query.
        per_reason, per_channel, signed_per_channel = (
            defaultdict(int),
            defaultdict(int),
            defaultdict(int),
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
        ) in Case._read_group(
            domain,
            ["channel", "user_id", "unreached_reason"],
            [
                "reached_count:sum",
                "signed_count:sum",
                "owed_count:sum",
                "visited_count:sum",
                "failed_count:sum",
            ],
        ):
            if failed_n:
                per_reason[reason] += failed_n
            if done_n:
                per_channel[channel] += done_n
                signed_per_channel[channel] += signed_n
            if user:
                per_user[user][0] += owed_n
                per_user[user][1] += visited_n
        failed = domain + [("state", "=", "failed")]
        failed_total = sum(per_reason.values())
        unreached = dict(
            Case._fields["unreached_reason"]._description_selection(self.env)
        )
        for reason, count in per_reason.items():
            add_rate(
                "failure_reason",
                unreached.get(reason, self.env._("No reason")),
                count,
                failed_total,
                failed + [("unreached_reason", "=", reason)],
            )

        # Channels and signatures, over the visits done.
        done = domain + [("state", "=", "done")]
        year_done = year_domain + [("state", "=", "done")]
        channels = dict(Case._fields["channel"]._description_selection(self.env))
        per_channel = dict(per_channel)
        done_total = sum(per_channel.values())
        for channel, count in sorted(per_channel.items(), key=lambda item: -item[1]):
            add(
                "channel_mix",
                channels.get(channel, channel),
                count,
                done + [("channel", "=", channel)],
                unit="count",
                numerator=count,
                denominator=done_total,
            )
        year_channel = None
        for target in targets.filtered(lambda t: t.indicator == "channel_share"):
            keys = target.channel_ids.mapped("value")
            base, counts = done, per_channel
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
            add_rate(
                "channel_share",
                label,
                sum(counts.get(key, 0) for key in keys),
                sum(counts.values()),
                base + [("channel", "in", keys)],
                target=target,
                type_id=target.type_id.id,
            )
        signature_targets = targets.filtered(lambda t: t.indicator == "signature_share")
        bases = dict(
            self.env["visit.target"]
            ._fields["signature_base"]
            ._description_selection(self.env)
        )
        # The on-site share always; one line per other target as it says.
        measured = [("onsite", self.env["visit.target"], done)]
        for target in signature_targets.sorted(
            lambda t: (t.signature_base != "onsite", t.id)
        ):
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
            counted = base is done  # the period's visits done: counted above
            base = base + ([("channel", "=", "onsite")] if base_key == "onsite" else [])
            if not counted:
                signed, count = Case._read_group(
                    base, [], ["signed_count:sum", "__count"]
                )[0]
            elif base_key == "onsite":
                signed, count = (
                    signed_per_channel["onsite"],
                    per_channel.get("onsite", 0),
                )
            else:
                signed, count = sum(signed_per_channel.values()), done_total
            label = bases[base_key]
            if target.type_id:
                label = f"{label} – {target.type_id.name}"
            if target.period == "year":
                label = self.env._("%s (year to date)", label)
            add_rate(
                "signature_share",
                label,
                signed or 0,
                count,
                base,
                target=target or None,
                type_id=target.type_id.id,
            )

        # Agents: their owed visits visited, against the floor and the bonus.
        agent_target = target_for("agent_callback_rate")
        for user, (owed_count, visited) in sorted(
            per_user.items(), key=lambda item: item[0].name or ""
        ):
            if owed_count:
                add_rate(
                    "agent_callback_rate",
                    user.name,
                    visited,
                    owed_count,
                    owed + [("user_id", "=", user.id)],
                    target=agent_target,
                    user_id=user.id,
                )

        # Satisfaction: averages of rated visits only (NULL scores left out),
        # with the overdue visits and open problems in the same query.
        rated = domain + [("is_rated", "=", True)]
        score_fields = [
            "score_product",
            "score_service",
            "score_timeliness",
            "score_result",
        ]
        # avg and count (of values that are not NULL) per score: an average
        # over no rated visit is no data, not 0.
        aggregates = Case._read_group(
            domain,
            [],
            [
                f"{fname}:{agg}"
                for fname in score_fields + ["satisfaction_score"]
                for agg in ("avg", "count")
            ]
            + ["overdue_count:sum", "problem_count:sum", "problem_done:min"],
        )[0]
        overdue_total, problem_total, oldest = aggregates[-3:]
        aggregates = aggregates[:-3]
        averages = [
            round(aggregates[index], 2) if aggregates[index + 1] else None
            for index in range(0, len(aggregates), 2)
        ]
        visit_fields = self.env["visit.record"]._fields
        for fname, case_fname, average in zip(
            SATISFACTION_FIELDS, score_fields, averages, strict=False
        ):
            add(
                "satisfaction",
                visit_fields[fname]._description_string(self.env),
                average,
                rated + [(case_fname, "!=", False)],
                unit="score",
                measure=case_fname,
            )
        add(
            "satisfaction",
            self.env._("All aspects"),
            averages[-1],
            rated,
            unit="score",
            measure="satisfaction_score",
        )
        # Per plan: the first unsatisfied round, and the last round rated
        # satisfied; recovered when that came later.
        first_unsatisfied = dict(
            Case._read_group(
                domain + [("is_unsatisfied", "=", True), ("plan_id", "!=", False)],
                ["plan_id"],
                ["round:min"],
            )
        )
        last_satisfied = dict(
            Case._read_group(
                domain
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
        add_rate(
            "recovery_rate",
            self.env._("Unsatisfied customers recovered"),
            len(recovered),
            len(unsatisfied),
            domain + [("plan_id", "in", [plan.id for plan in unsatisfied])],
        )

        # Digital channels: their messages sent, answered, given to a call.
        for indicator, label, part, whole, line_domain in self._dispatch_figures(
            domain if dispatch_domain is None else dispatch_domain
        ):
            if whole is None:
                add(indicator, label, part, line_domain, unit="count")
            else:
                add_rate(indicator, label, part, whole, line_domain)

        # Open problems (counted with the satisfaction above).
        overdue = domain + [("is_overdue", "=", True)]
        add(
            "overdue",
            self.env._("Overdue visits"),
            overdue_total or 0,
            overdue,
            unit="count",
        )
        problems = domain + [("is_problem_open", "=", True)]
        add(
            "open_problems",
            self.env._("Open problems"),
            problem_total or 0,
            problems,
            unit="count",
        )
        add(
            "problem_age",
            self.env._("Oldest open problem"),
            (fields.Datetime.now() - oldest).days if oldest else None,
            problems,
            unit="days",
        )
        return lines

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
            groups = defaultdict(list)
            for line in section_lines:
                groups[line["indicator"]].append(line)
            sections.append(
                {
                    "key": key,
                    "label": label,
                    "groups": [
                        {
                            "indicator": ind,
                            "label": labels[ind],
                            "help": group[0]["help"],
                            "lines": group,
                        }
                        for ind, group in groups.items()
                    ],
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
