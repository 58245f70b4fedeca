from odoo import api, fields, models
from odoo.exceptions import UserError


class VisitScoreReason(models.Model):
    """Why a customer gave a low score (waiting time, attitude, product
    quality…): a tag picked from a list, besides the opinion's own words,
    as core's ``crm.lost.reason``. A visit type offers some of them when
    an aspect or an item is rated below satisfied; the first tag with a
    team sends the complaint ticket to that team, and the indicators
    count them."""

    _name = "visit.score.reason"
    _description = "Reason for a Low Score"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    company_id = fields.Many2one(
        "res.company",
        help="Offered to this company's types only; to every company when empty.",
    )
    team_id = fields.Many2one(
        "helpdesk.ticket.team",
        string="Complaint team",
        check_company=True,
        help="A complaint tagged with this reason goes to this team (before "
        "the team of the opinion's subject and the type's team).",
    )

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "A reason for a low score is named once per company.",
        ),
    ]

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        # sudo: whether any visit (of any agent or company) was tagged with
        # these reasons; only a count is read, nothing is shown.
        used = (
            self.env["visit.record"]
            .sudo()
            ._read_group([("score_reason_ids", "in", self.ids)], ["score_reason_ids"])
        )
        if used:
            raise UserError(
                self.env._(
                    "%s tagged visits already: archive it instead of deleting "
                    "it, past visits and their figures keep it.",
                    ", ".join(f"“{reason.name}”" for (reason,) in used),
                )
            )
