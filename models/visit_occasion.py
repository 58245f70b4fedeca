from odoo import api, fields, models


class VisitOccasion(models.Model):
    """A dated list a company keeps (节日): Spring Festival and Mid-Autumn
    fall on other days each year, so their dates are listed, not computed.
    A rule step counted from an occasion list visits on each of its dates."""

    _name = "visit.occasion"
    _description = "Follow-up Occasion List"
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", help="Empty: shared by every company.")
    date_ids = fields.One2many(
        "visit.occasion.date", "occasion_id", string="Dates", copy=True
    )
    next_date = fields.Date(compute="_compute_next_date")

    @api.depends("date_ids.date")
    def _compute_next_date(self):
        today = fields.Date.context_today(self)
        for occasion in self:
            ahead = [day for day in occasion.date_ids.mapped("date") if day >= today]
            occasion.next_date = min(ahead, default=False)


class VisitOccasionDate(models.Model):
    _name = "visit.occasion.date"
    _description = "Follow-up Occasion Date"
    _order = "date, id"

    occasion_id = fields.Many2one(
        "visit.occasion",
        string="Occasion list",
        required=True,
        ondelete="cascade",
        index=True,
    )
    name = fields.Char(string="Occasion", translate=True)
    date = fields.Date(required=True)

    _sql_constraints = [
        (
            "occasion_date_uniq",
            "unique(occasion_id, date)",
            "A date is listed once per occasion list.",
        ),
    ]


class VisitMonth(models.Model):
    """The twelve months, for steps that apply only in some of them
    (peak and off season)."""

    _name = "visit.month"
    _description = "Month"
    _order = "number"

    name = fields.Char(required=True, translate=True)
    number = fields.Integer(required=True)

    _sql_constraints = [
        ("number_uniq", "unique(number)", "Each month once."),
        ("number_range", "CHECK(number BETWEEN 1 AND 12)", "Months are 1 to 12."),
    ]
