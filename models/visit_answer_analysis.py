from odoo import fields, models
from odoo.tools import SQL

from .const import SATISFACTION_LEVELS, SATISFACTION_SCORES

# The kinds of items whose answers are counted: the scales (an average, a
# satisfied share) and the closed answers (a distribution only).
SCALE_KINDS = ("scale4", "rating", "nps")
COUNTED_KINDS = (*SCALE_KINDS, "yes_no", "choice")
# The highest score of each scale (the lowest is 1, 0 for NPS).
SCALE_MAX = {"scale4": 4, "rating": 5, "nps": 10}
SCALE_MIN = {"scale4": 1, "rating": 1, "nps": 0}
# One vocabulary of the answers' levels, whatever the scale: the 4-level
# scale's keys, the stars and the NPS points (one key per number), yes/no.
ANSWER_LEVELS = [
    *SATISFACTION_LEVELS,
    *[(str(point), str(point)) for point in range(11)],
    ("yes", "Yes"),
    ("no", "No"),
]
# The order a distribution lists the levels of each kind in, best first.
LEVEL_ORDER = {
    "scale4": [key for key, _label in SATISFACTION_LEVELS],
    "rating": [str(point) for point in range(5, 0, -1)],
    "nps": [str(point) for point in range(10, -1, -1)],
    "yes_no": ["yes", "no"],
}


def answer_level(alias=None):
    """An answer's level whatever its kind (a 4-level key, stars, points,
    yes or no), as SQL on ``visit_answer`` (as ``alias``): the view's
    ``level`` and the index that gives PostgreSQL its statistics."""

    def column(name):
        return SQL.identifier(alias, name) if alias else SQL.identifier(name)

    return SQL(
        "CASE %s WHEN 'scale4' THEN %s WHEN 'rating' THEN NULLIF(%s, 0)::varchar "
        "WHEN 'nps' THEN %s WHEN 'yes_no' THEN %s END",
        column("answer_kind"),
        column("value_level"),
        column("value_rating"),
        column("value_nps"),
        column("value_yes_no"),
    )


class VisitAnswerAnalysis(models.Model):
    """What customers answered, item by item: one row per answer given (not
    skipped, not empty) to a scale, yes/no or choice item of a visit done.

    A row counts in the period of its visit's due day (``date``, the day
    ``visit.case`` and every indicator count the visit in). ``score`` is the
    answer on its scale (NULL for yes/no and choices), ``is_satisfied`` 1
    for the top two levels of the 4-level scale, 4-5 stars and 9-10 points
    (0 for the other levels, NULL for yes/no and choices), ``nps_point``
    100 for an NPS promoter (9-10), 0 for a passive (7-8), -100 for a
    detractor (0-6): its average over any group is that group's NPS.
    Statistics are per item as asked: per question version (a reworded
    question is a new item, under its new wording)."""

    _name = "visit.answer.analysis"
    _description = "Follow-up Answer Analysis"
    _auto = False
    _rec_name = "question_id"
    _order = "date desc, record_id desc, id"
    # What the view reads: flushed before every query on it.
    _depends = {
        "visit.answer": [
            "record_id",
            "question_id",
            "value_yes_no",
            "value_rating",
            "value_level",
            "value_nps",
            "option_id",
            "is_skipped",
            "answer_kind",
        ],
        "visit.record": [
            "company_id",
            "type_id",
            "user_id",
            "partner_id",
            "served_by_id",
            "served_department_id",
            "state",
            "due_date",
            "scheduled_date",
        ],
        "res.company": ["partner_id", "resource_calendar_id"],
        "res.partner": ["tz"],
        "resource.calendar": ["tz"],
    }

    record_id = fields.Many2one("visit.record", string="Visit", readonly=True)
    type_id = fields.Many2one("visit.type", string="Visit Type", readonly=True)
    question_id = fields.Many2one("visit.type.question", string="Item", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="Agent", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    served_by_id = fields.Many2one(
        "res.partner",
        string="Served by",
        readonly=True,
        help="Whose work the customer judged (the technician, doctor...).",
    )
    served_department_id = fields.Many2one(
        "hr.department", string="Department served", readonly=True
    )
    date = fields.Date(
        string="Due day",
        readonly=True,
        help="The visit's due day in the company's time zone: the day that "
        "decides the period its answers count in, as for every indicator.",
    )
    answer_kind = fields.Selection(
        selection="_selection_answer_kind", string="Item kind", readonly=True
    )
    level = fields.Selection(ANSWER_LEVELS, string="Answer", readonly=True)
    option_id = fields.Many2one("visit.question.option", string="Choice", readonly=True)
    score = fields.Float(
        string="Average",
        aggregator="avg",
        digits=(5, 2),
        readonly=True,
        help="The answer on its scale (1-4, 1-5 stars, 0-10): empty for "
        "yes/no and choices.",
    )
    is_satisfied = fields.Integer(
        string="Satisfied",
        readonly=True,
        help="1 for the top two levels of the 4-level scale, 4 or 5 stars and "
        "9 or 10 points; 0 below; empty for yes/no and choices.",
    )
    satisfied_rate = fields.Float(
        string="Satisfied share (%)",
        aggregator="avg",
        digits=(5, 2),
        readonly=True,
        help="100 for a satisfied answer, 0 for another answer on a scale: "
        "its average over any group is that group's satisfied share.",
    )
    nps_point = fields.Float(
        string="NPS",
        aggregator="avg",
        digits=(5, 2),
        readonly=True,
        help="100 for a promoter (9-10), 0 for a passive (7-8), -100 for a "
        "detractor (0-6): its average is the Net Promoter Score.",
    )
    answer_count = fields.Integer(string="Answers", readonly=True)

    def init(self):
        # The statistics of the answers' level, an expression of the view:
        # without them PostgreSQL expects a group per answer and sorts a
        # million answers on disk to count them per item and level; with
        # them it hashes the forty groups in memory (bench/run.sh items:
        # the grouping 2.2 s -> 1.0 s). The index must be the view's very
        # expression; changing it needs the old index dropped.
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS visit_answer_level_index "
                "ON visit_answer ((%s))",
                answer_level(),
            )
        )

    def _selection_answer_kind(self):
        # The items' own vocabulary, translated.
        return (
            self.env["visit.type.question"]
            ._fields["answer_kind"]
            ._description_selection(self.env)
        )

    @property
    def _table_query(self):
        levels = SQL(" ").join(
            SQL("WHEN %s THEN %s", level, SATISFACTION_SCORES[level])
            for level, _label in SATISFACTION_LEVELS
        )
        top_two = [key for key, _label in SATISFACTION_LEVELS[:2]]
        # The company's time zone, as visit.case has it.
        tz = SQL("COALESCE(NULLIF(cal.tz, ''), NULLIF(cp.tz, ''), 'UTC')")
        return SQL(
            """
            SELECT a.id,
                   a.record_id,
                   r.type_id,
                   a.question_id,
                   r.company_id,
                   r.user_id,
                   r.partner_id,
                   r.served_by_id,
                   r.served_department_id,
                   (COALESCE(r.due_date, r.scheduled_date)
                        AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date AS date,
                   a.answer_kind,
                   v.level,
                   a.option_id,
                   v.score,
                   CASE WHEN v.score IS NOT NULL
                        THEN (CASE a.answer_kind
                                  WHEN 'scale4' THEN v.level IN %(top_two)s
                                  WHEN 'rating' THEN v.score >= 4
                                  ELSE v.score >= 9 END)::int
                   END AS is_satisfied,
                   CASE WHEN v.score IS NOT NULL
                        THEN 100 * (CASE a.answer_kind
                                          WHEN 'scale4' THEN v.level IN %(top_two)s
                                          WHEN 'rating' THEN v.score >= 4
                                          ELSE v.score >= 9 END)::int::float8
                   END AS satisfied_rate,
                   CASE WHEN a.answer_kind = 'nps'
                        THEN (CASE WHEN v.score >= 9 THEN 100
                                   WHEN v.score >= 7 THEN 0
                                   ELSE -100 END)::float8
                   END AS nps_point,
                   1 AS answer_count
              FROM visit_answer a
              JOIN visit_record r ON r.id = a.record_id
              JOIN res_company c ON c.id = r.company_id
              JOIN res_partner cp ON cp.id = c.partner_id
         LEFT JOIN resource_calendar cal ON cal.id = c.resource_calendar_id
             CROSS JOIN LATERAL (
                   SELECT %(level)s AS level,
                          CASE a.answer_kind
                               WHEN 'scale4' THEN (CASE a.value_level %(levels)s END)
                               WHEN 'rating' THEN NULLIF(a.value_rating, 0)
                               WHEN 'nps' THEN a.value_nps::int
                          END::float8 AS score
             ) v
             WHERE r.state = 'done'
               AND a.is_skipped IS NOT TRUE
               AND a.answer_kind IN %(kinds)s
               AND (v.level IS NOT NULL
                    OR (a.answer_kind = 'choice' AND a.option_id IS NOT NULL))
            """,
            tz=tz,
            level=answer_level("a"),
            levels=levels,
            top_two=tuple(top_two),
            kinds=COUNTED_KINDS,
        )
