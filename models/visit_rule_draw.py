import math

import pytz

from odoo import api, fields, models

# Sample levels count in millionths of a source (exact integers).
PPM = 1_000_000


class VisitRuleDraw(models.Model):
    """One sampling counter of a rule: a period, a stratum and a part of
    its sources (the part a generation worker plans).

    Sources are decided one by one as they first qualify, never revised:
    each adds its percentage to ``level`` and is drawn when
    ``floor(level + start)`` steps up (systematic sampling with a random
    start ``start`` in [0, 1) from the seed).  Every source has the same
    chance, the percentage, whatever the hour it arrives, and the counter
    draws within one source of ``level`` (the expected size).  Only its
    part's worker writes a counter: workers never wait for each other.
    """

    _name = "visit.rule.draw"
    _description = "Follow-up Rule Sample Counter"
    _order = "rule_id, period desc, stratum, part"

    rule_id = fields.Many2one(
        "visit.rule", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="rule_id.company_id", store=True)
    period = fields.Char(required=True, readonly=True)
    stratum = fields.Char(
        string="Stratum key",
        readonly=True,
        default="",
        help="The key of the stratum's value.",
    )
    stratum_name = fields.Char(string="Stratum", readonly=True)
    part = fields.Integer(readonly=True, help="The part of the sources (worker).")
    parts = fields.Integer(
        string="Workers",
        readonly=True,
        default=1,
        help="The number of parts the sources were split into.",
    )
    seed = fields.Integer(readonly=True)
    # Both kept in double precision: the counter reads them back exactly
    # in millionths (PPM).
    start = fields.Float(readonly=True)
    population_count = fields.Integer(
        string="Population", readonly=True, help="Records decided in the period."
    )
    level = fields.Float(
        string="Expected",
        readonly=True,
        help="The sum of the percentages of the records decided: the size "
        "the sample should have.",
    )
    drawn_count = fields.Integer(string="Drawn", readonly=True)
    quota = fields.Integer(
        string="Cap",
        readonly=True,
        help="The most this part may draw in the period (its share of the "
        "cap); 0: no cap.",
    )
    period_cap = fields.Integer(
        string="Period cap",
        readonly=True,
        help="The period's cap, all parts together, when the counter started.",
    )
    plan_ids = fields.One2many("visit.plan", "draw_id", string="Drawn plans")

    _sql_constraints = [
        (
            "rule_period_uniq",
            "unique(rule_id, period, stratum, part, parts)",
            "One counter per rule, period, stratum and part.",
        ),
    ]

    # ------------------------------------------------------------------
    # Sampling: decided once per source, fair, reproducible and audited
    # ------------------------------------------------------------------
    @api.model
    def _period_of(self, rule, moment, tz=None):
        """The sample period of ``rule`` of a reference (naive UTC):
        decided by its local date in ``tz`` (the rule's time zone by
        default)."""
        day = pytz.utc.localize(moment).astimezone(tz or rule._tz()).date()
        if rule.sample_period == "year":
            return f"{day.year}"
        if rule.sample_period == "quarter":
            return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        if rule.sample_period == "half_year":
            # A utility's twice-yearly campaign: January-June, July-December.
            return f"{day.year}-H{1 if day.month <= 6 else 2}"
        return f"{day.year}-{day.month:02d}"

    @api.model
    def _strata_of(self, rule, sources):
        """{source id: (key, label)} of the value of ``rule``'s stratum field."""
        field = rule.stratum_field_id
        if not field:
            return dict.fromkeys(sources.ids, ("", ""))
        model_field = sources._fields[field.name]
        labels = {}
        if model_field.type == "selection":
            labels = dict(model_field._description_selection(self.env))
        result = {}
        for source in sources:
            value = source[field.name]
            if model_field.type == "boolean":
                result[source.id] = (str(bool(value)), str(bool(value)))
            elif model_field.type == "many2one":
                result[source.id] = (str(value.id or ""), value.display_name or "")
            elif value is False or value is None:
                result[source.id] = ("", "")
            else:
                result[source.id] = (str(value), labels.get(value, str(value)))
        return result

    @api.model
    def _stratum_percents(self, rule):
        """{key or label (case-folded): percent} of ``rule``'s listed values."""
        return {
            stratum.value.strip().casefold(): stratum.percent
            for stratum in rule.stratum_ids
        }

    @api.model
    def _part_cap(self, rule, part, parts, period):
        """This part's share of the period's cap of ``rule`` (0: none) and
        the period's cap: the fixed cap
        and the share of the population, the smaller, less what counters
        of another number of workers drew in the period; split between
        the parts so that together they never draw more."""
        caps = []
        if rule.sample_cap:
            caps.append(rule.sample_cap)
        if rule.sample_cap_percent:
            caps.append(
                max(
                    1,
                    math.floor(
                        rule._population_count() * rule.sample_cap_percent / 100.0
                    ),
                )
            )
        if not caps:
            return 0, 0
        self.flush_model()
        self.env.cr.execute(
            """SELECT COALESCE(SUM(drawn_count), 0) FROM visit_rule_draw
                WHERE rule_id = %s AND period = %s AND parts != %s""",
            [rule.id, period, parts],
        )
        total = max(min(caps) - self.env.cr.fetchone()[0], 0)
        share = total // parts + (1 if part < total % parts else 0)
        # A part with no share would read as "no cap": it draws nobody.
        return share or -1, min(caps)

    @api.model
    def _decide(self, rule, sources, references, part=0, parts=1):
        """Decide the sample of ``rule`` among ``sources`` (first qualifying
        now), once.

        Each source adds its stratum's percentage to its counter (period,
        stratum, part) and is drawn when the counter's level crosses the
        next whole number from its random start: every source is drawn
        with the percentage's probability whatever its position, and a
        counter's sample stays within one record of its expected size.
        Returns {drawn source id: counter}.
        """
        rule.ensure_one()
        # sudo: counters and decisions are written by the generation only.
        Draw = self.sudo()
        tz = rule._tz()
        strata = self._strata_of(rule, sources)
        percents = self._stratum_percents(rule)
        counters = {
            (counter.period, counter.stratum): counter
            for counter in Draw.search(
                [
                    ("rule_id", "=", rule.id),
                    ("part", "=", part),
                    ("parts", "=", parts),
                ]
            )
        }
        state = {}  # counter -> [population, level (ppm), drawn]
        caps = {}  # period -> this part's cap
        drawn, lines = {}, []
        Planner = self.env["visit.planner"]
        # Rules counted from anniversaries or occasions sample by when the
        # record qualifies (a birth date is no period of the campaign).
        now = fields.Datetime.now()
        anchored = any(step.anchor != "date" for step in rule.step_ids)
        for source in sources.sorted("id"):
            period = self._period_of(
                rule, now if anchored else references[source.id], tz
            )
            key, label = strata[source.id]
            counter = counters.get((period, key))
            if not counter:
                if period not in caps:
                    caps[period] = next(
                        (
                            (c.quota, c.period_cap)
                            for (p, _k), c in counters.items()
                            if p == period
                        ),
                        None,
                    ) or self._part_cap(rule, part, parts, period)
                counter = Draw.create(
                    {
                        "rule_id": rule.id,
                        "period": period,
                        "stratum": key,
                        "stratum_name": label,
                        "part": part,
                        "parts": parts,
                        "seed": rule.sample_seed,
                        "start": Planner._uniform(
                            rule.sample_seed, rule.model_name, period, key, part
                        )
                        / PPM,
                        "quota": caps[period][0],
                        "period_cap": caps[period][1],
                    }
                )
                counters[(period, key)] = counter
            counts = state.setdefault(
                counter,
                [
                    counter.population_count,
                    round(counter.level * PPM),
                    counter.drawn_count,
                ],
            )
            percent = percents.get(
                key.casefold(), percents.get(label.casefold(), rule.sample_percent)
            )
            start = round(counter.start * PPM)
            before = (counts[1] + start) // PPM
            counts[0] += 1
            counts[1] += round(percent * PPM / 100.0)
            hit = (counts[1] + start) // PPM > before
            if hit and counter.quota:
                period_drawn = sum(
                    state[c][2] if c in state else c.drawn_count
                    for (p, _k), c in counters.items()
                    if p == period
                )
                hit = period_drawn < counter.quota
            if hit:
                counts[2] += 1
                drawn[source.id] = counter
            lines.append(
                {
                    "rule_id": rule.id,
                    "draw_id": counter.id,
                    "res_id": source.id,
                    "drawn": hit,
                }
            )
        for counter, (population, level, count) in state.items():
            counter.write(
                {
                    "population_count": population,
                    "level": level / PPM,
                    "drawn_count": count,
                }
            )
        # sudo: as the counters above.
        self.env["visit.rule.draw.line"].sudo().create(lines)
        # The audit reads the counters (a view the ORM does not relate).
        rule.invalidate_recordset(["sample_ids"])
        return drawn


class VisitRuleDrawLine(models.Model):
    """The decision on one source: drawn or not, taken once."""

    _name = "visit.rule.draw.line"
    _description = "Follow-up Rule Sample Decision"
    _log_access = False

    rule_id = fields.Many2one("visit.rule", required=True, ondelete="cascade")
    draw_id = fields.Many2one(
        "visit.rule.draw",
        string="Counter",
        required=True,
        ondelete="cascade",
        index=True,
    )
    res_id = fields.Integer(string="Record ID", required=True)
    drawn = fields.Boolean()

    _sql_constraints = [
        (
            "rule_res_uniq",
            "unique(rule_id, res_id)",
            "A record is decided once per rule.",
        ),
    ]


class VisitRuleSample(models.Model):
    """The audit of a rule's sample per period and stratum (the Samples
    tab): the counters of every part added up."""

    _name = "visit.rule.sample"
    _description = "Follow-up Rule Sample"
    _auto = False
    _order = "rule_id, period desc, stratum_name"
    # Flushed before the view is read.
    _depends = {
        "visit.rule.draw": [
            "rule_id",
            "company_id",
            "period",
            "stratum",
            "stratum_name",
            "seed",
            "population_count",
            "level",
            "period_cap",
            "drawn_count",
        ]
    }

    rule_id = fields.Many2one("visit.rule", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    period = fields.Char(readonly=True)
    stratum_name = fields.Char(string="Stratum", readonly=True)
    seed = fields.Integer(readonly=True)
    population_count = fields.Integer(string="Population", readonly=True)
    expected = fields.Float(
        readonly=True,
        digits=(16, 1),
        help="The population times its percentage: the sample's size, "
        "within one record per generation worker.",
    )
    quota = fields.Integer(string="Cap", readonly=True, help="0: no cap.")
    drawn_count = fields.Integer(string="Drawn", readonly=True)

    @property
    def _table_query(self):
        return """
            SELECT MIN(d.id) AS id, d.rule_id, d.company_id, d.period,
                   COALESCE(d.stratum_name, '') AS stratum_name,
                   MIN(d.seed) AS seed,
                   SUM(d.population_count) AS population_count,
                   SUM(d.level) AS expected, MAX(d.period_cap) AS quota,
                   SUM(d.drawn_count) AS drawn_count
              FROM visit_rule_draw d
          GROUP BY d.rule_id, d.company_id, d.period, d.stratum,
                   COALESCE(d.stratum_name, '')
        """


class VisitRuleStratum(models.Model):
    """The percentage drawn of one value of the rule's stratum field."""

    _name = "visit.rule.stratum"
    _description = "Follow-up Rule Stratum"
    _order = "rule_id, sequence, id"

    rule_id = fields.Many2one(
        "visit.rule", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    # The sample's internals: an agent who knew them could tell which
    # records will be drawn.
    value = fields.Char(
        required=True,
        groups="customer_visit.group_visit_manager",
        help="The field's value as shown (a choice, a record's name) or its key.",
    )
    percent = fields.Float(
        string="Sample (%)",
        required=True,
        default=10.0,
        groups="customer_visit.group_visit_manager",
    )

    @api.constrains("percent")
    def _check_percent(self):
        for stratum in self:
            stratum.rule_id._check_strata()
