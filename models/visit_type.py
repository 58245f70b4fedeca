from odoo import fields, models

# Stable keys, translated labels.  Shared by types, plans, records and
# attempts so that every place speaks of the same channels.
CHANNELS = [
    ("onsite", "On-site"),
    ("phone", "Phone"),
    ("letter", "Letter"),
    ("sms", "SMS"),
    ("email", "Email"),
    ("questionnaire", "Questionnaire"),
    ("meeting", "Meeting"),
    ("portal", "Customer portal"),
]


class VisitType(models.Model):
    """A kind of follow-up (回访类型): complaint, repair, after-sale..."""

    _name = "visit.type"
    _description = "Visit Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        help="Short technical code, used by rules and integrations.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    description = fields.Text(translate=True)
    default_channel = fields.Selection(CHANNELS, required=True, default="phone")
    signature_required = fields.Boolean(
        help="On-site visits of this type are valid only with the customer's "
        "signature.",
    )
    review_required = fields.Boolean(
        help="Done visits of this type wait for a supervisor's review.",
    )
    question_ids = fields.One2many(
        "visit.type.question", "type_id", string="Script", copy=True
    )
    complaint_team_id = fields.Many2one(
        "helpdesk.ticket.team",
        string="Team for dissatisfaction",
        help="An unsatisfied customer gets a helpdesk ticket for this team; "
        "when it is closed, the customer is visited again to confirm.",
    )
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty to share this type between companies.",
    )

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "The code of a visit type must be unique per company.",
        ),
    ]
