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
  or more times (visits done): the same repair done again.

Each line keeps the visits behind it, opened by its button.
"""

from odoo import fields, models
from odoo.tools import SQL

REPEAT_KINDS = [
    ("complaint", "Same customer complaining"),
    ("source", "Same source visited again"),
    ("product", "Same product served again"),
]
# How many times in a month make a repeated issue.
REPEAT_THRESHOLDS = {"complaint": 2, "source": 3, "product": 3}


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
                       month, COUNT(*) AS count, %(complaint)s AS threshold,
                       array_agg(record_id ORDER BY record_id) AS record_ids
                  FROM v WHERE is_complaint
                 GROUP BY company_id, partner_id, month
                HAVING COUNT(*) >= %(complaint)s
                UNION ALL
                SELECT 'source', company_id, MIN(partner_id),
                       MAX(source_name), NULL::integer,
                       month, COUNT(*), %(source)s,
                       array_agg(record_id ORDER BY record_id)
                  FROM v WHERE state = 'done' AND source_key IS NOT NULL
                 GROUP BY company_id, source_key, month
                HAVING COUNT(*) >= %(source)s
                UNION ALL
                SELECT 'product', company_id, partner_id,
                       NULL::varchar, served_product_id,
                       month, COUNT(*), %(product)s,
                       array_agg(record_id ORDER BY record_id)
                  FROM v WHERE state = 'done' AND served_product_id IS NOT NULL
                 GROUP BY company_id, partner_id, served_product_id, month
                HAVING COUNT(*) >= %(product)s
            )
            -- The lines of a kind share no visit: its first one and the
            -- kind make a stable id.
            SELECT record_ids[1] * 3 + CASE kind WHEN 'complaint' THEN 0
                                                 WHEN 'source' THEN 1
                                                 ELSE 2 END AS id,
                   kind, company_id, partner_id, source_name, product_id,
                   month, count, threshold, record_ids
              FROM lines
            """,
            cases=cases,
            complaint=REPEAT_THRESHOLDS["complaint"],
            source=REPEAT_THRESHOLDS["source"],
            product=REPEAT_THRESHOLDS["product"],
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
