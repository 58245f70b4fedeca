from odoo import api, fields, models


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
    # in millionths (visit.rule's PPM).
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
