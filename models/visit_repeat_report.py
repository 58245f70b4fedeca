"""Repeated issues: what keeps coming back, month by month.

One SQL view over the cases (``visit.case``: the same days and periods as
every figure) and the visits behind them. A line is one issue repeated in
one month of the company's calendar:

- ``complaint``: the same customer (its commercial entity) complained two
  or more times: a visit where they were not satisfied, or one that raised
  a complaint ticket (see visit_record_helpdesk);
- ``source``: the same source document (ticket, order, other source)
  visited three or more times (visits done);
- ``product``: the same product served to the same customer visited three
  or more times (visits done): the same repair done again;
- ``reason``: the same customer gave the same reason for a low score
  (``visit.score.reason``) on two or more visits done: the same issue
  complained about again. Per customer, not per company: how often a
  reason is given across all customers is the indicator "Reasons for low
  scores"; a line here names whom the issue keeps coming back to.

Each line keeps the visits behind it, opened by its button.
"""

from odoo import fields, models
from odoo.tools import SQL

REPEAT_KINDS = [
    ("complaint", "Same customer complaining"),
    ("source", "Same source visited again"),
    ("product", "Same product served again"),
    ("reason", "Same reason recurring"),
]
# How many times in a month make a repeated issue.
REPEAT_THRESHOLDS = {"complaint": 2, "source": 3, "product": 3, "reason": 2}


class VisitRepeatReport(models.Model):
    _name = "visit.repeat.report"
    _description = "Repeated Issues"
    _auto = False
    _order = "month desc, count desc, id"
    _depends = {
        "visit.case": ["record_id", "kind", "date", "state", "is_unsatisfied"],
        "visit.record": [
            "partner_id",
            "company_id",
            "ticket_id",
            "sale_order_id",
            "source_ref",
            "source_name",
            "served_product_id",
            "score_reason_ids",
        ],
        "helpdesk.ticket": ["origin_visit_id"],
        "res.partner": ["commercial_partner_id"],
    }

    kind = fields.Selection(REPEAT_KINDS, string="Issue", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    source_name = fields.Char(string="Source", readonly=True)
    product_id = fields.Many2one(
        "product.product", string="Product served", readonly=True
    )
    reason_id = fields.Many2one(
        "visit.score.reason",
        readonly=True,
        help="The reason for a low score the customer gave again.",
    )
    month = fields.Date(
        readonly=True,
        help="The month of the company's calendar the visits were due in.",
    )
    count = fields.Integer(string="Times", aggregator="sum", readonly=True)
    threshold = fields.Integer(
        string="Repeated from",
        aggregator="max",
        readonly=True,
        help="How many times in a month make this issue a repeated one.",
    )

    @property
    def _table_query(self):
        cases = self.env["visit.case"]._table_query
        tags = self.env["visit.record"]._fields["score_reason_ids"]
        return SQL(
            """
            WITH v AS (
                SELECT r.id AS record_id,
                       r.company_id,
                       cp.commercial_partner_id AS partner_id,
                       date_trunc('month', c.date)::date AS month,
                       c.state,
                       r.served_product_id,
                       r.source_name,
                       COALESCE('helpdesk.ticket,' || r.ticket_id,
                                'sale.order,' || r.sale_order_id,
                                NULLIF(r.source_ref, '')) AS source_key,
                       (c.is_unsatisfied OR EXISTS (
                            SELECT 1 FROM helpdesk_ticket t
                             WHERE t.origin_visit_id = r.id)) AS is_complaint
                  FROM (%(cases)s) c
                  JOIN visit_record r ON r.id = c.record_id
                  JOIN res_partner cp ON cp.id = r.partner_id
                 WHERE c.kind = 'visit'
            ),
            lines AS (
                SELECT 'complaint' AS kind, company_id, partner_id,
                       NULL::varchar AS source_name, NULL::integer AS product_id,
                       NULL::integer AS reason_id,
                       month, COUNT(*) AS count, %(complaint)s AS threshold,
                       array_agg(record_id ORDER BY record_id) AS record_ids
                  FROM v WHERE is_complaint
                 GROUP BY company_id, partner_id, month
                HAVING COUNT(*) >= %(complaint)s
                UNION ALL
                SELECT 'source', company_id, MIN(partner_id),
                       MAX(source_name), NULL::integer, NULL::integer,
                       month, COUNT(*), %(source)s,
                       array_agg(record_id ORDER BY record_id)
                  FROM v WHERE state = 'done' AND source_key IS NOT NULL
                 GROUP BY company_id, source_key, month
                HAVING COUNT(*) >= %(source)s
                UNION ALL
                SELECT 'product', company_id, partner_id,
                       NULL::varchar, served_product_id, NULL::integer,
                       month, COUNT(*), %(product)s,
                       array_agg(record_id ORDER BY record_id)
                  FROM v WHERE state = 'done' AND served_product_id IS NOT NULL
                 GROUP BY company_id, partner_id, served_product_id, month
                HAVING COUNT(*) >= %(product)s
                UNION ALL
                SELECT 'reason', v.company_id, v.partner_id,
                       NULL::varchar, NULL::integer, sr.%(reason)s,
                       v.month, COUNT(*), %(reason_threshold)s,
                       array_agg(v.record_id ORDER BY v.record_id)
                  FROM v
                  JOIN %(reasons)s sr ON sr.%(reason_visit)s = v.record_id
                 WHERE v.state = 'done'
                 GROUP BY v.company_id, v.partner_id, sr.%(reason)s, v.month
                HAVING COUNT(*) >= %(reason_threshold)s
            )
            -- The lines of the first three kinds share no visit: the kind
            -- and the first visit make a stable id. A visit given two
            -- reasons is in two lines of ``reason``, both perhaps starting
            -- with it: their reasons' order tells them apart. Ids stay in
            -- the int4 of every other id (XML-RPC refuses larger ones)
            -- while visit ids stay under 2^31 / 16; a 14th reason line
            -- starting with one visit would take an id above them all.
            SELECT CASE WHEN kind <> 'reason'
                        THEN record_ids[1]::bigint * 16
                             + CASE kind WHEN 'complaint' THEN 0
                                         WHEN 'source' THEN 1
                                         ELSE 2 END
                        WHEN rank < 13
                        THEN record_ids[1]::bigint * 16 + 3 + rank
                        ELSE reason_id::bigint * 34359738368 + record_ids[1]
                   END AS id,
                   kind, company_id, partner_id, source_name, product_id,
                   reason_id, month, count, threshold, record_ids
              FROM (SELECT lines.*,
                           ROW_NUMBER() OVER (PARTITION BY kind, record_ids[1]
                                              ORDER BY reason_id) - 1 AS rank
                      FROM lines) l
            """,
            cases=cases,
            complaint=REPEAT_THRESHOLDS["complaint"],
            source=REPEAT_THRESHOLDS["source"],
            product=REPEAT_THRESHOLDS["product"],
            reason_threshold=REPEAT_THRESHOLDS["reason"],
            reasons=SQL.identifier(tags.relation),
            reason_visit=SQL.identifier(tags.column1),
            reason=SQL.identifier(tags.column2),
        )

    def _record_ids(self):
        """The visits behind these lines, as the view grouped them."""
        self.env.flush_all()
        query = self._search([("id", "in", self.ids)])
        self.env.cr.execute(
            query.select(SQL("unnest(%s)", SQL.identifier(query.table, "record_ids")))
        )
        return sorted({record_id for (record_id,) in self.env.cr.fetchall()})

    def action_open_visits(self):
        """Open the visits behind the line."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Visits of the repeated issue"),
            "res_model": "visit.record",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", self._record_ids())],
            "context": {"create": False},
        }
