from odoo import Command, api, fields, models


class VisitRuleTemplate(models.Model):
    """A common policy a manager starts a rule from (回访规则模板).

    Shipped as data a company edits and translates: its records, filter,
    cadence and independence are copied into a new rule, which the manager
    then adjusts. Filters are checked as a rule's are (visit.rule owns
    which records qualify).
    """

    _name = "visit.rule.template"
    _description = "Follow-up Rule Template"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    description = fields.Text(translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", index=True, help="Empty: shared by every company."
    )
    model_id = fields.Many2one(
        "ir.model",
        string="Applies to",
        required=True,
        ondelete="cascade",
        domain="[('transient', '=', False), ('model', 'not like', 'visit.%')]",
    )
    model_name = fields.Char(related="model_id.model", string="Model")
    date_field_id = fields.Many2one(
        "ir.model.fields",
        string="Reference date",
        ondelete="set null",
        domain="[('model_id', '=', model_id), ('ttype', 'in', ('date', 'datetime'))]",
        help="The steps count from this date. Empty: from the moment the "
        "record first qualifies.",
    )
    domain = fields.Char(
        string="Qualifying records",
        default="[]",
        help="Which records owe a visit: a closed ticket, a confirmed order...",
        groups="customer_visit.group_visit_manager",
    )
    exclude_salesperson = fields.Boolean(
        string="Never the salesperson",
        help="Rules made from it never give a visit to the salesperson of its "
        "source; they go to the least loaded agent of a team.",
    )
    step_ids = fields.One2many(
        "visit.rule.template.step", "template_id", string="Cadence", copy=True
    )

    @api.constrains("model_id", "domain", "date_field_id")
    def _check_source(self):
        # The rule owns which records may qualify: a template is checked
        # as the rule it makes would be, with the rights of who saves it.
        Rule = self.env["visit.rule"]
        for template in self:
            Rule.new(
                {
                    "name": template.name,
                    "model_id": template.model_id.id,
                    "domain": template.domain,
                    "exclude_domain": "[]",
                    "date_field_id": template.date_field_id.id,
                }
            )._check_source()

    def _rule_values(self):
        """The values of a new rule made from this template."""
        self.ensure_one()
        return {
            "name": self.name,
            "model_id": self.model_id.id,
            "date_field_id": self.date_field_id.id,
            "domain": self.domain or "[]",
            "exclude_salesperson": self.exclude_salesperson,
            "step_ids": [Command.clear()]
            + [
                Command.create(
                    {
                        "sequence": index,
                        "type_id": step.type_id.id,
                        "channel": step.channel,
                        "delay": step.delay,
                        "delay_unit": step.delay_unit,
                        "deadline_delay": step.deadline_delay,
                        "deadline_unit": step.deadline_unit,
                        "repeat_every": step.repeat_every,
                    }
                )
                for index, step in enumerate(self.step_ids, 1)
            ],
        }


class VisitRuleTemplateStep(models.Model):
    """One step of a template's cadence, copied into each rule made from it."""

    _name = "visit.rule.template.step"
    _inherit = ["visit.cadence.mixin"]
    _description = "Follow-up Rule Template Step"
    _order = "template_id, sequence, id"
    _check_company_auto = True

    template_id = fields.Many2one(
        "visit.rule.template", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="template_id.company_id")
    sequence = fields.Integer(default=10)
    type_id = fields.Many2one(check_company=True)
    delay = fields.Integer(
        required=True,
        default=1,
        help="Time after the date at which the visit is due.",
    )

    _sql_constraints = [
        (
            "delay_positive",
            "CHECK(delay >= 0 AND deadline_delay >= 0 AND repeat_every >= 0)",
            "A step's delay, deadline and repetition cannot be negative.",
        ),
    ]
