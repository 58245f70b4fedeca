from odoo import fields, models, tools

from .const import CHANNELS, SATISFACTION_LEVELS


class VisitServedResult(models.Model):
    """What a served person (a technician, a doctor) sees of the closed
    visits of their own service: the customer's judgement and nothing of
    the call behind it (no phone, notes, recording, chatter, signed
    content). A view of its own, so that *My Results* grants no read on
    ``visit.record``."""

    _name = "visit.served.result"
    _description = "Result of a Service"
    _auto = False
    _order = "date_done desc, id desc"
    _depends = {
        "visit.record": [
            "name",
            "company_id",
            "partner_id",
            "type_id",
            "channel",
            "served_by_id",
            "served_department_id",
            "served_product_id",
            "state",
            "date_done",
            "satisfaction_product",
            "satisfaction_service",
            "satisfaction_timeliness",
            "satisfaction_result",
            "satisfaction_score",
            "is_rated",
            "is_unsatisfied",
            "opinion",
        ],
    }

    name = fields.Char(string="Visit", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    type_id = fields.Many2one("visit.type", string="Visit Type", readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    served_by_id = fields.Many2one("res.partner", string="Served by", readonly=True)
    served_department_id = fields.Many2one(
        "hr.department", string="Department served", readonly=True
    )
    served_product_id = fields.Many2one(
        "product.product", string="Product served", readonly=True
    )
    date_done = fields.Datetime(string="Closed on", readonly=True)
    satisfaction_product = fields.Selection(
        SATISFACTION_LEVELS, string="Product quality", readonly=True
    )
    satisfaction_service = fields.Selection(
        SATISFACTION_LEVELS, string="Service attitude", readonly=True
    )
    satisfaction_timeliness = fields.Selection(
        SATISFACTION_LEVELS, string="Timeliness", readonly=True
    )
    satisfaction_result = fields.Selection(
        SATISFACTION_LEVELS, string="Result", readonly=True
    )
    satisfaction_score = fields.Float(
        string="Satisfaction (1–4)", digits=(3, 2), aggregator="avg", readonly=True
    )
    is_unsatisfied = fields.Boolean(string="Unsatisfied", readonly=True)
    opinion = fields.Text(readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""
            CREATE VIEW {self._table} AS
            SELECT r.id, r.name, r.company_id, r.partner_id, r.type_id,
                   r.channel, r.served_by_id, r.served_department_id,
                   r.served_product_id, r.date_done,
                   r.satisfaction_product, r.satisfaction_service,
                   r.satisfaction_timeliness, r.satisfaction_result,
                   CASE WHEN r.is_rated THEN r.satisfaction_score END
                       AS satisfaction_score,
                   r.is_unsatisfied, r.opinion
              FROM visit_record r
             WHERE r.state = 'done' AND r.served_by_id IS NOT NULL
            """
        )
