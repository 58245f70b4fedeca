from odoo import api, fields, models
from odoo.tools import SQL

from .const import (
    CHANNELS,
    SATISFACTION_FIELDS,
    SATISFACTION_LEVELS,
    SATISFACTION_SCORES,
)
from .visit_planner import SKIP_REASONS

# Scores are 1 to 4, NULL when the aspect was not rated: read as empty.
SCORE_FIELDS = (
    "satisfaction_score",
    "score_product",
    "score_service",
    "score_timeliness",
    "score_result",
)
CASE_STATES = [
    ("planned", "Planned"),
    ("in_progress", "In Progress"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("skipped", "Not planned"),
]


def _rate_field(string, help_text):
    """A rate as a measure of the Analysis (see the rates below)."""
    return fields.Float(
        string=string, aggregator="avg", digits=(5, 2), readonly=True, help=help_text
    )


class VisitCase(models.Model):
    """What a company owes: one row per visit that is not cancelled and per
    case a rule owed but could not plan (its *Skipped* line).

    A case is owed from its due date on (a visit's scheduled time before
    any attempt: retries do not move it), or once closed (a visit done
    early counts as owed and visited, in the period of its due date); a
    skipped case only while its source still qualifies.  Every
    figure of the indicators, the dashboard and the monthly report reads
    this view, so they all count the same cases.  Satisfaction scores are
    NULL for unrated visits: averages are over rated visits only.  The
    digital channels' figures count a visit planned for a message on its
    *message day* (``dispatch_day``), not on its due day.
    """

    _name = "visit.case"
    _description = "Follow-up Case"
    _auto = False
    _rec_name = "name"
    _order = "due_date desc, id desc"
    # What the view reads: flushed before every query on it.
    _depends = {
        "visit.record": [
            "name",
            "company_id",
            "plan_id",
            "type_id",
            "user_id",
            "team_id",
            "partner_id",
            "served_by_id",
            "served_department_id",
            "served_product_id",
            "channel",
            "source_model",
            "scheduled_date",
            "due_date",
            "is_open",
            "deadline",
            "state",
            "unreached_reason_id",
            "signature_status",
            "is_problem_open",
            "is_unsatisfied",
            "is_rated",
            "round",
            "date_done",
            "dispatch_channel",
            "dispatch_state",
            "dispatch_date",
            "answer_date",
            *SATISFACTION_FIELDS,
            "satisfaction_item_total",
            "satisfaction_item_count",
        ],
        "visit.plan": ["rule_id"],
        "visit.rule.skip": [
            "res_id",
            "company_id",
            "rule_id",
            "type_id",
            "partner_id",
            "channel",
            "due_date",
            "reason",
            "is_qualifying",
        ],
        "visit.rule": ["model_name"],
        "res.company": ["partner_id", "resource_calendar_id"],
        "res.partner": ["tz"],
        "resource.calendar": ["tz"],
    }

    kind = fields.Selection(
        [("visit", "Visit"), ("skipped", "Not planned")], readonly=True
    )
    record_id = fields.Many2one("visit.record", string="Visit", readonly=True)
    skip_id = fields.Many2one("visit.rule.skip", string="Skipped record", readonly=True)
    name = fields.Char(string="Case", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    rule_id = fields.Many2one("visit.rule", readonly=True)
    type_id = fields.Many2one("visit.type", string="Visit Type", readonly=True)
    user_id = fields.Many2one("res.users", string="Agent", readonly=True)
    team_id = fields.Many2one("crm.team", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    served_by_id = fields.Many2one(
        "res.partner",
        string="Served by",
        readonly=True,
        help="Whose work the customer judged (empty for a case not planned).",
    )
    served_department_id = fields.Many2one(
        "hr.department", string="Department served", readonly=True
    )
    served_product_id = fields.Many2one(
        "product.product", string="Product served", readonly=True
    )
    channel = fields.Selection(CHANNELS, readonly=True)
    source_model = fields.Char(string="Source kind", readonly=True)
    due_date = fields.Datetime(string="Due", readonly=True)
    date = fields.Date(
        string="Due day",
        readonly=True,
        help="The due date's day in the company's time zone: the day that "
        "decides the period a case counts in.",
    )
    state = fields.Selection(CASE_STATES, readonly=True)
    skip_reason = fields.Selection(
        SKIP_REASONS, string="Why not planned", readonly=True
    )
    unreached_reason_id = fields.Many2one(
        "visit.unreached.reason", string="Reason not reached", readonly=True
    )
    signature_status = fields.Selection(
        [
            ("signed", "Signed"),
            ("phone_visit", "Phone visit"),
            ("missing", "Signature missing"),
            ("not_required", "Not required"),
        ],
        readonly=True,
    )
    is_owed = fields.Boolean(string="Is owed", readonly=True)
    is_overdue = fields.Boolean(string="Overdue", readonly=True)
    is_problem_open = fields.Boolean(string="Problem open", readonly=True)
    is_unsatisfied = fields.Boolean(string="Unsatisfied", readonly=True)
    is_rated = fields.Boolean(string="Rated", readonly=True)
    round = fields.Integer(readonly=True)
    plan_id = fields.Many2one("visit.plan", readonly=True)
    date_done = fields.Datetime(string="Closed on", readonly=True)
    owed_count = fields.Integer(string="Owed", readonly=True)
    visited_count = fields.Integer(string="Visited", readonly=True)
    attempted_count = fields.Integer(string="Attempted", readonly=True)
    reached_count = fields.Integer(string="Reached", readonly=True)
    failed_count = fields.Integer(string="Failed", readonly=True)
    skipped_count = fields.Integer(string="Not planned", readonly=True)
    signed_count = fields.Integer(string="Signed", readonly=True)
    onsite_done_count = fields.Integer(string="On-site visits done", readonly=True)
    overdue_count = fields.Integer(string="Overdue visits", readonly=True)
    problem_count = fields.Integer(string="Open problems", readonly=True)
    problem_done = fields.Datetime(
        string="Open problem since",
        readonly=True,
        help="When the visit of an open problem was closed (empty without one).",
    )
    satisfaction_score = fields.Float(
        string="Satisfaction (1-4)",
        aggregator="avg",
        digits=(3, 2),
        readonly=True,
        help="Average of the aspects and the counted items answered, on the "
        "aspects' 1-4 scale (as the visit's); empty when not rated.",
    )
    score_product = fields.Float(
        string="Product quality (1-4)", aggregator="avg", digits=(3, 2), readonly=True
    )
    score_service = fields.Float(
        string="Service attitude (1-4)", aggregator="avg", digits=(3, 2), readonly=True
    )
    score_timeliness = fields.Float(
        string="Timeliness (1-4)", aggregator="avg", digits=(3, 2), readonly=True
    )
    score_result = fields.Float(
        string="Result (1-4)", aggregator="avg", digits=(3, 2), readonly=True
    )
    # Rates as measures of the Analysis: 100 or 0 on the cases a rate
    # divides by, NULL elsewhere, so their average over any group is the
    # rate of that group, as the indicators compute it.
    callback_rate = _rate_field("Callback rate (%)", "Owed cases visited / owed cases.")
    success_rate = _rate_field(
        "Success rate (%)", "Visits reached / visits attempted (done or failed)."
    )
    signed_rate = _rate_field("Signed share (%)", "Signed visits done / visits done.")
    unsatisfied_rate = _rate_field(
        "Unsatisfied share (%)",
        "Rated visits with an aspect rated unsatisfied / rated visits.",
    )
    response_rate = _rate_field(
        "Response rate (%)", "Messages answered on the portal / messages sent."
    )
    # Digital channels: what became of the message of a visit planned for
    # e-mail, SMS or a questionnaire (empty for the other cases).
    dispatch_channel = fields.Selection(
        selection="_selection_dispatch_channel",
        string="Message channel",
        readonly=True,
    )
    dispatch_date = fields.Datetime(string="Sent on", readonly=True)
    answer_date = fields.Datetime(string="Answered on", readonly=True)
    dispatch_day = fields.Date(
        string="Message day",
        readonly=True,
        help="The day the message was sent in the company's time zone, or the "
        "visit's due day when it never was (given to a call before): the day "
        "that decides the period of the digital channels' figures.",
    )
    digital_count = fields.Integer(string="Planned for a message", readonly=True)
    sent_count = fields.Integer(string="Messages sent", readonly=True)
    answered_count = fields.Integer(string="Messages answered", readonly=True)
    answered_day_count = fields.Integer(
        string="Answered within 24 hours", readonly=True
    )
    answered_week_count = fields.Integer(string="Answered within 7 days", readonly=True)
    fell_back_count = fields.Integer(string="Given to a call", readonly=True)

    def _read_format(self, fnames, load="_classic_read"):
        # A Float reads NULL as 0.0; a score is never 0, so 0.0 is "not
        # rated" and is read as empty, as read_group's averages are.
        result = super()._read_format(fnames, load=load)
        scores = [fname for fname in fnames if fname in SCORE_FIELDS]
        for values in result:
            for fname in scores:
                if not values.get(fname):
                    values[fname] = False
        return result

    def _selection_dispatch_channel(self):
        # The visit's own vocabulary (the Dispatch job's), translated.
        return (
            self.env["visit.record"]
            ._fields["dispatch_channel"]
            ._description_selection(self.env)
        )

    @property
    def _table_query(self):
        def score(column):
            whens = SQL(" ").join(
                SQL("WHEN %s THEN %s", level, SATISFACTION_SCORES[level])
                for level, _label in SATISFACTION_LEVELS
            )
            return SQL("(CASE %s %s END)", SQL.identifier("r", column), whens)

        scores = [score(fname) for fname in SATISFACTION_FIELDS]
        answered = SQL(" + ").join(
            SQL("(CASE WHEN %s IS NULL THEN 0 ELSE 1 END)", s) for s in scores
        )
        total = SQL(" + ").join(SQL("COALESCE(%s, 0)", s) for s in scores)
        # The company's time zone, as res.company._visit_tz() has it.
        tz = SQL("COALESCE(NULLIF(cal.tz, ''), NULLIF(cp.tz, ''), 'UTC')")
        # The statement's time, not the transaction's: a long transaction
        # (a cron batch, a test) still sees what became due meanwhile.
        now = SQL("(statement_timestamp() AT TIME ZONE 'UTC')")
        return SQL(
            """
            SELECT r.id * 2 AS id,
                   'visit' AS kind,
                   r.id AS record_id,
                   NULL::integer AS skip_id,
                   r.name AS name,
                   r.company_id,
                   p.rule_id,
                   r.type_id,
                   r.user_id,
                   r.team_id,
                   r.partner_id,
                   r.served_by_id,
                   r.served_department_id,
                   r.served_product_id,
                   r.channel,
                   r.source_model,
                   COALESCE(r.due_date, r.scheduled_date) AS due_date,
                   (COALESCE(r.due_date, r.scheduled_date)
                        AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date AS date,
                   r.state,
                   NULL AS skip_reason,
                   r.unreached_reason_id,
                   r.signature_status,
                   o.is_owed,
                   (r.deadline < %(now)s
                        AND r.is_open) IS TRUE
                        AS is_overdue,
                   r.is_problem_open IS TRUE AS is_problem_open,
                   r.is_unsatisfied IS TRUE AS is_unsatisfied,
                   r.is_rated IS TRUE AS is_rated,
                   r.round,
                   r.plan_id,
                   r.date_done,
                   o.is_owed::int AS owed_count,
                   (o.is_owed AND r.state = 'done')::int AS visited_count,
                   (r.state IN ('done', 'failed'))::int AS attempted_count,
                   (r.state = 'done')::int AS reached_count,
                   (r.state = 'failed')::int AS failed_count,
                   0 AS skipped_count,
                   (r.state = 'done' AND r.signature_status = 'signed')::int
                        AS signed_count,
                   (r.state = 'done' AND r.channel = 'onsite')::int
                        AS onsite_done_count,
                   ((r.deadline < %(now)s
                        AND r.is_open) IS TRUE)::int
                        AS overdue_count,
                   (r.is_problem_open IS TRUE)::int AS problem_count,
                   CASE WHEN r.is_problem_open THEN r.date_done END AS problem_done,
                   CASE WHEN %(answered)s + r.satisfaction_item_count > 0
                        THEN (%(total)s + r.satisfaction_item_total)::numeric
                             / (%(answered)s + r.satisfaction_item_count)
                   END AS satisfaction_score,
                   %(s0)s AS score_product,
                   %(s1)s AS score_service,
                   %(s2)s AS score_timeliness,
                   %(s3)s AS score_result,
                   CASE WHEN o.is_owed
                        THEN 100.0 * (r.state = 'done')::int END AS callback_rate,
                   CASE WHEN r.state IN ('done', 'failed')
                        THEN 100.0 * (r.state = 'done')::int END AS success_rate,
                   CASE WHEN r.state = 'done'
                        THEN 100.0 * ((r.signature_status = 'signed') IS TRUE)::int
                   END AS signed_rate,
                   CASE WHEN r.is_rated
                        THEN 100.0 * (r.is_unsatisfied IS TRUE)::int
                   END AS unsatisfied_rate,
                   CASE WHEN d.is_sent
                        THEN 100.0 * d.is_answered::int END AS response_rate,
                   r.dispatch_channel,
                   r.dispatch_date,
                   r.answer_date,
                   CASE WHEN r.dispatch_channel IS NOT NULL
                        THEN (COALESCE(r.dispatch_date, r.due_date, r.scheduled_date)
                              AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date
                   END AS dispatch_day,
                   (r.dispatch_channel IS NOT NULL)::int AS digital_count,
                   d.is_sent::int AS sent_count,
                   d.is_answered::int AS answered_count,
                   (d.is_answered AND r.answer_date
                        <= r.dispatch_date + interval '24 hours')::int
                        AS answered_day_count,
                   (d.is_answered AND r.answer_date
                        <= r.dispatch_date + interval '7 days')::int
                        AS answered_week_count,
                   ((r.dispatch_channel IS NOT NULL
                        AND r.dispatch_state IN ('bounced', 'fell_back'))
                        IS TRUE)::int AS fell_back_count
              FROM visit_record r
              JOIN res_company c ON c.id = r.company_id
              JOIN res_partner cp ON cp.id = c.partner_id
         LEFT JOIN resource_calendar cal ON cal.id = c.resource_calendar_id
         LEFT JOIN visit_plan p ON p.id = r.plan_id
             CROSS JOIN LATERAL (
                   SELECT (r.state IN ('done', 'failed')
                           OR COALESCE(r.due_date, r.scheduled_date) <= %(now)s)
                          AS is_owed
             ) o
             CROSS JOIN LATERAL (
                   -- An answer from before the message (a reopened visit
                   -- sent again) does not answer it.
                   SELECT (r.dispatch_channel IS NOT NULL
                           AND r.dispatch_date IS NOT NULL) AS is_sent,
                          (r.dispatch_channel IS NOT NULL
                           AND r.answer_date >= r.dispatch_date) IS TRUE
                          AS is_answered
             ) d
             WHERE r.state != 'cancelled'
            UNION ALL
            SELECT s.id * 2 + 1 AS id,
                   'skipped' AS kind,
                   NULL::integer AS record_id,
                   s.id AS skip_id,
                   rule.model_name || ' #' || s.res_id AS name,
                   s.company_id,
                   s.rule_id,
                   s.type_id,
                   NULL::integer AS user_id,
                   NULL::integer AS team_id,
                   s.partner_id,
                   NULL::integer AS served_by_id,
                   NULL::integer AS served_department_id,
                   NULL::integer AS served_product_id,
                   s.channel,
                   rule.model_name AS source_model,
                   COALESCE(s.due_date, s.create_date) AS due_date,
                   (COALESCE(s.due_date, s.create_date)
                        AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date AS date,
                   'skipped' AS state,
                   s.reason AS skip_reason,
                   NULL::integer AS unreached_reason_id,
                   NULL AS signature_status,
                   o.is_owed,
                   FALSE AS is_overdue,
                   FALSE AS is_problem_open,
                   FALSE AS is_unsatisfied,
                   FALSE AS is_rated,
                   NULL::integer AS round,
                   NULL::integer AS plan_id,
                   NULL::timestamp AS date_done,
                   o.is_owed::int AS owed_count,
                   0 AS visited_count,
                   0 AS attempted_count,
                   0 AS reached_count,
                   0 AS failed_count,
                   o.is_owed::int AS skipped_count,
                   0 AS signed_count,
                   0 AS onsite_done_count,
                   0 AS overdue_count,
                   0 AS problem_count,
                   NULL::timestamp AS problem_done,
                   NULL::numeric AS satisfaction_score,
                   NULL::numeric AS score_product,
                   NULL::numeric AS score_service,
                   NULL::numeric AS score_timeliness,
                   NULL::numeric AS score_result,
                   CASE WHEN o.is_owed THEN 0.0 END AS callback_rate,
                   NULL::numeric AS success_rate,
                   NULL::numeric AS signed_rate,
                   NULL::numeric AS unsatisfied_rate,
                   NULL::numeric AS response_rate,
                   NULL::varchar AS dispatch_channel,
                   NULL::timestamp AS dispatch_date,
                   NULL::timestamp AS answer_date,
                   NULL::date AS dispatch_day,
                   0 AS digital_count,
                   0 AS sent_count,
                   0 AS answered_count,
                   0 AS answered_day_count,
                   0 AS answered_week_count,
                   0 AS fell_back_count
              FROM visit_rule_skip s
              JOIN visit_rule rule ON rule.id = s.rule_id
              JOIN res_company c ON c.id = s.company_id
              JOIN res_partner cp ON cp.id = c.partner_id
         LEFT JOIN resource_calendar cal ON cal.id = c.resource_calendar_id
             CROSS JOIN LATERAL (
                   SELECT (s.is_qualifying
                           AND COALESCE(s.due_date, s.create_date) <= %(now)s)
                          AS is_owed
             ) o
            """,
            tz=tz,
            now=now,
            answered=answered,
            total=total,
            s0=scores[0],
            s1=scores[1],
            s2=scores[2],
            s3=scores[3],
        )

    @api.model
    def _record_domain(self, domain):
        """A ``visit.record`` domain of the visits behind the cases of
        ``domain`` (a period's: the visits counted in it, whatever their
        scheduled date), read through the user's access to the cases."""
        query = self._search(domain + [("kind", "=", "visit")])
        return [("id", "in", query.subselect(SQL.identifier(query.table, "record_id")))]

    def action_open(self):
        """Open the visit, or the rule's skipped line, behind the case."""
        self.ensure_one()
        if self.record_id:
            return {
                "type": "ir.actions.act_window",
                "res_model": "visit.record",
                "res_id": self.record_id.id,
                "view_mode": "form",
                "views": [(False, "form")],
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": "visit.rule",
            "res_id": self.skip_id.rule_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
