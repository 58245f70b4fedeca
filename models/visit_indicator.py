from collections import Counter, defaultdict
from datetime import timedelta

from odoo import api, fields, models

from .visit_record import SATISFACTION_FIELDS, SATISFACTION_SCORES


def _rate(part, whole):
    """A percentage, or None when there is nothing to divide by."""
    return round(100.0 * part / whole, 2) if whole else None


class VisitIndicator(models.AbstractModel):
    """Follow-up indicators of a period, from SQL aggregates only."""

    _name = "visit.indicator"
    _description = "Follow-up Indicators"

    @api.model
    def _compute(self, date_from, date_to, company, team=None):
        """Return indicator lines for visits scheduled in [date_from, date_to]
        (of the team's members when a sales team is given)."""
        domain = [
            ("company_id", "=", company.id),
            ("scheduled_date", ">=", fields.Datetime.to_datetime(date_from)),
            ("scheduled_date", "<", fields.Datetime.to_datetime(date_to) + timedelta(days=1)),
        ]
        if team:
            domain.append(("user_id", "in", (team.member_ids | team.user_id).ids))
        return self._compute_domain(domain, company)

    @api.model
    def _compute_domain(self, domain, company):
        """Return indicator lines for the visits of ``domain``.

        Each line: indicator, label, type_id, user_id, value (percentage or
        number), target, is_missed.  A figure with nothing to divide by is
        None ("no data"), never a division by zero.
        """
        Visit = self.env["visit.record"]
        base = list(domain) + [("state", "!=", "cancelled")]
        targets = self.env["visit.target"].search([("company_id", "=", company.id)])
        lines = []

        def add(indicator, label, value, type_id=False, user_id=False, percent=True):
            target = targets.filtered(
                lambda t: t.indicator == indicator and t.type_id.id in (type_id, False)
            ).sorted(lambda t: not t.type_id)[:1]
            lines.append({
                "indicator": indicator,
                "label": label,
                "type_id": type_id,
                "user_id": user_id,
                "value": value,
                "is_percent": percent,
                "target": target.value if target else None,
                "is_missed": bool(target and value is not None and target._is_missed(value)),
            })

        # Callback and success rates per type.
        per_type = defaultdict(Counter)
        for visit_type, state, count in Visit._read_group(base, ["type_id", "state"], ["__count"]):
            per_type[visit_type][state] += count
        for visit_type, states in sorted(per_type.items(), key=lambda item: item[0].sequence):
            owed = sum(states.values())
            attempted = states["done"] + states["failed"]
            add("callback_rate", visit_type.name, _rate(states["done"], owed), visit_type.id)
            add("success_rate", visit_type.name, _rate(states["done"], attempted), visit_type.id)
        totals = Counter()
        for states in per_type.values():
            totals.update(states)
        attempted = totals["done"] + totals["failed"]
        add("callback_rate", self.env._("All types"), _rate(totals["done"], sum(totals.values())))
        add("success_rate", self.env._("All types"), _rate(totals["done"], attempted))

        # Why visits failed.
        for reason, count in Visit._read_group(
            base + [("state", "=", "failed")], ["unreached_reason"], ["__count"]
        ):
            label = dict(Visit._fields["unreached_reason"]._description_selection(self.env)).get(reason, "")
            add("failure_reason", label, _rate(count, totals["failed"]))

        # Signatures on on-site visits that were done.
        onsite = dict(Visit._read_group(
            base + [("state", "=", "done"), ("channel", "=", "onsite")],
            ["signature_status"], ["__count"],
        ))
        add("signature_share", self.env._("On-site visits done"),
            _rate(onsite.get("signed", 0), sum(onsite.values())))

        # Channel shares.
        channels = dict(Visit._read_group(base, ["channel"], ["__count"]))
        all_visits = sum(channels.values())
        add("phone_letter_share", self.env._("Phone + letter"),
            _rate(channels.get("phone", 0) + channels.get("letter", 0), all_visits))

        # Per agent.
        per_user = defaultdict(Counter)
        for user, state, count in Visit._read_group(base, ["user_id", "state"], ["__count"]):
            per_user[user][state] += count
        for user, states in per_user.items():
            if user:
                add("agent_callback_rate", user.name,
                    _rate(states["done"], sum(states.values())), user_id=user.id)

        # Overdue visits and open problems (counts).
        add("overdue", self.env._("Overdue visits"),
            Visit.search_count(base + [("is_overdue", "=", True)]), percent=False)
        add("open_problems", self.env._("Open problems"),
            Visit.search_count(base + [("is_problem_open", "=", True)]), percent=False)

        # Open problems: how long the oldest one has waited.
        oldest = Visit._read_group(base + [("is_problem_open", "=", True)], [], ["date_done:min"])[0][0]
        add("problem_age", self.env._("Oldest open problem (days)"),
            (fields.Datetime.now() - oldest).days if oldest else None, percent=False)

        # Recovery: plans with an unsatisfied visit that a later round
        # confirmed satisfied.
        unsatisfied = {plan for (plan,) in Visit._read_group(
            base + [("is_unsatisfied", "=", True)], ["plan_id"])}
        recovered = {plan for (plan,) in Visit._read_group(
            base + [("round", ">", 1), ("is_rated", "=", True), ("is_unsatisfied", "=", False),
                    ("state", "=", "done")], ["plan_id"])}
        add("recovery_rate", self.env._("Unsatisfied customers recovered"),
            _rate(len(unsatisfied & recovered), len(unsatisfied)))

        # Coverage per source kind: visits done of visits owed (应回访 / 已回访).
        per_source = defaultdict(Counter)
        for source_model, state, count in Visit._read_group(base, ["source_model", "state"], ["__count"]):
            per_source[source_model or ""][state] += count
        # sudo: only model names are read, which managers may lack access to.
        names = {model.model: model.name for model in self.env["ir.model"].sudo().search(
            [("model", "in", [m for m in per_source if m])])}
        for source_model, states in sorted(per_source.items()):
            add("coverage", names.get(source_model) or self.env._("No source document"),
                _rate(states["done"], sum(states.values())))

        # Average satisfaction per aspect, on a 1-4 scale.
        for fname in SATISFACTION_FIELDS:
            groups = Visit._read_group(base + [(fname, "!=", False)], [fname], ["__count"])
            answered = sum(count for _level, count in groups)
            average = (
                round(sum(SATISFACTION_SCORES[level] * count for level, count in groups) / answered, 2)
                if answered else None
            )
            add("satisfaction", Visit._fields[fname]._description_string(self.env), average,
                percent=False)
        return lines


    @api.model
    def _monthly_report_data(self, date_from, date_to, company):
        """Everything the monthly satisfaction report shows, as plain data."""
        Visit = self.env["visit.record"]
        domain = [
            ("company_id", "=", company.id),
            ("scheduled_date", ">=", fields.Datetime.to_datetime(date_from)),
            ("scheduled_date", "<", fields.Datetime.to_datetime(date_to) + timedelta(days=1)),
        ]
        lines = self._compute(date_from, date_to, company)
        labels = self._indicator_labels()
        categories = dict(Visit._fields["opinion_category"]._description_selection(self.env))
        classified = [
            (categories.get(category, self.env._("Not classified")), count)
            for category, count in Visit._read_group(
                domain + [("opinion", "!=", False)], ["opinion_category"], ["__count"]
            )
        ]
        unsatisfied = Visit.search(domain + [("is_unsatisfied", "=", True)], limit=500)
        return {
            "domain": domain,
            "date_from": fields.Date.to_string(date_from),
            "date_to": fields.Date.to_string(date_to),
            "visit_count": Visit.search_count(domain + [("state", "!=", "cancelled")]),
            "missed_count": sum(line["is_missed"] for line in lines),
            "lines": [
                dict(line, indicator_label=labels.get(line["indicator"], line["indicator"]))
                for line in lines
            ],
            "classified": classified,
            "unsatisfied": [
                {
                    "number": visit.name,
                    "customer": visit.partner_id.display_name,
                    "opinion": visit.opinion or "",
                    "done": ", ".join(filter(None, [
                        visit.complaint_ticket_ids and self.env._("complaint %s", ", ".join(
                            visit.complaint_ticket_ids.mapped("display_name"))),
                        visit.next_record_ids and self.env._("round %s planned", max(
                            visit.next_record_ids.mapped("round"))),
                        visit.is_problem_solved and self.env._("problem answered"),
                    ])) or self.env._("nothing yet"),
                }
                for visit in unsatisfied
            ],
        }

    def _indicator_labels(self):
        """{indicator key: translated label}."""
        field = self.env["visit.indicator.line"]._fields["indicator"]
        return dict(field._description_selection(self.env))
