from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .const import SERVED_FIELDS
from .visit_answer_analysis import SCALE_KINDS, SCALE_MAX, SCALE_MIN

# The targetable figures of the indicator registry (labels and order).
from .visit_indicator import INDICATOR_OF, INDICATORS

# Indicators whose target is a ceiling by default; the others are floors.
CAPS = ("channel_share",)
TARGET_PERIODS = [("cycle", "Report cycle"), ("year", "Calendar year to date")]
SIGNATURE_BASES = [("onsite", "On-site visits done"), ("all", "All visits done")]
# The figures of evaluation items: per type, or per item of a type.
ITEM_INDICATORS = ("item_average", "item_satisfied_share", "item_nps")
# The figures of whom or what was served: for one person, or for each.
SERVED_INDICATORS = (
    "served_callback_rate",
    "served_satisfaction",
    "served_satisfied_share",
)
# The scale of the averages of the aspects (visit.case's satisfaction).
SATISFACTION_SCALE = (1, 4)


def _hundredths(percentage):
    """A percentage in whole hundredths: figures and targets are compared
    as shown (2 decimals), so 94.99999… computed for 95 % counts as 95 %."""
    return round(percentage * 100)


class VisitTarget(models.Model):
    """A company's target for one indicator, as a policy writes it: a floor
    or a cap, over the report cycle or the calendar year, optionally per
    visit type; a channel share over any set of channels; a per-agent
    floor with a bonus threshold; a served person's own floors."""

    _name = "visit.target"
    _description = "Follow-up Target"
    _order = "company_id, indicator, type_id, served_by_id, id"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    type_id = fields.Many2one(
        "visit.type", string="Visit Type", help="Leave empty for all types."
    )
    indicator = fields.Selection(INDICATORS, required=True)
    question_id = fields.Many2one(
        "visit.type.question",
        string="Item",
        domain="[('type_id', '=', type_id), "
        "('answer_kind', 'in', ('scale4', 'rating', 'nps'))]",
        ondelete="cascade",
        help="An evaluation item of the visit type: the target of that item "
        "alone (else of every item of the type, or of all types).",
    )
    served_by_id = fields.Many2one(
        "res.partner",
        string="Served by",
        ondelete="cascade",
        index="btree_not_null",
        help="The person whose work is judged (technician, doctor, "
        "salesperson): the target of that person alone; leave empty for "
        "every person, department and product served.",
    )
    served_department_id = fields.Many2one(
        "hr.department",
        string="Department served",
        ondelete="cascade",
        index="btree_not_null",
        help="The department whose work is judged: the target of that "
        "department alone.",
    )
    served_product_id = fields.Many2one(
        "product.product",
        string="Product served",
        ondelete="cascade",
        index="btree_not_null",
        help="The product the service was about: the target of that product alone.",
    )
    value = fields.Float(
        string="Target",
        required=True,
        help="Inclusive: a floor of 90 % is met at 90 % or more, a ceiling of "
        "70 % at 70 % or less. A percentage, an average on the item's scale "
        "(1-4, 1-5 stars, 0-10) or an NPS from -100 to 100.",
    )
    is_cap = fields.Boolean(
        string="Ceiling",
        compute="_compute_is_cap",
        store=True,
        readonly=False,
        precompute=True,
        help="Missed when the figure is above the target (else when below).",
    )
    channel_ids = fields.Many2many(
        "ir.model.fields.selection",
        string="Channels",
        domain=[
            ("field_id.model", "=", "visit.record"),
            ("field_id.name", "=", "channel"),
        ],
        help="The channels whose share of the visits done is measured "
        "(phone + letter, on-site + letter...).",
    )
    period = fields.Selection(
        TARGET_PERIODS,
        required=True,
        default="cycle",
        help="Measured over the report cycle, or over the calendar year up "
        "to the cycle's last day.",
    )
    signature_base = fields.Selection(
        SIGNATURE_BASES,
        string="Signed share of",
        default="onsite",
    )
    bonus_value = fields.Float(
        string="Bonus from (%)",
        help="Per-agent callback rate: at this figure or above the agent earns "
        "the bonus (inclusive: 95 % or more, as 达到95%以上 reads); 0 for none.",
    )
    name = fields.Char(compute="_compute_name")

    _sql_constraints = [
        (
            "value_range",
            "CHECK(value >= -100 AND value <= 100)",
            "A target goes from -100 (an NPS) to 100 (a percentage).",
        ),
        (
            "bonus_range",
            "CHECK(bonus_value >= 0 AND bonus_value <= 100)",
            "A bonus threshold is a percentage from 0 to 100.",
        ),
    ]

    def init(self):
        # One target per indicator, type, item, served person, department
        # or product and company,
        # except channel shares: a policy caps several sets of channels. Made
        # once: a change of its definition drops the old one in a migration
        # (18.0.1.9.0/pre-20-served-targets).
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS visit_target_indicator_uniq
                   ON visit_target (company_id, COALESCE(type_id, 0),
                                    COALESCE(question_id, 0),
                                    COALESCE(served_by_id, 0),
                                    COALESCE(served_department_id, 0),
                                    COALESCE(served_product_id, 0),
                                    indicator, period,
                                    COALESCE(signature_base, ''))
                WHERE indicator != 'channel_share'"""
        )

    @api.depends("indicator")
    def _compute_is_cap(self):
        for target in self:
            target.is_cap = target.indicator in CAPS

    @api.depends(
        "indicator",
        "channel_ids",
        "type_id",
        "question_id",
        "served_by_id",
        "served_department_id",
        "served_product_id",
        "value",
        "is_cap",
        "signature_base",
    )
    def _compute_name(self):
        labels = dict(self._fields["indicator"]._description_selection(self.env))
        bases = dict(self._fields["signature_base"]._description_selection(self.env))
        for target in self:
            label = labels.get(target.indicator, "")
            if target.indicator == "channel_share":
                label = " + ".join(target.channel_ids.mapped("name"))
            elif target.indicator == "signature_share":
                label = f"{label} ({bases.get(target.signature_base, '')})"
            if target.type_id:
                label = f"{label} – {target.type_id.name}"
            if target.question_id:
                label = f"{label} – {target.question_id.name}"
            for served in target._served_records():
                label = f"{label} – {served.display_name}"
            sign = "≤" if target.is_cap else "≥"
            unit = " %" if INDICATOR_OF[target.indicator].unit == "percent" else ""
            target.name = f"{label} {sign} {target.value:g}{unit}"

    @api.model_create_multi
    def create(self, vals_list):
        # A target of an item is the target of its type.
        questions = self.env["visit.type.question"].browse(
            [vals["question_id"] for vals in vals_list if vals.get("question_id")]
        )
        type_of = {question.id: question.type_id.id for question in questions}
        for vals in vals_list:
            if vals.get("question_id") and not vals.get("type_id"):
                vals["type_id"] = type_of[vals["question_id"]]
        return super().create(vals_list)

    @api.onchange("question_id")
    def _onchange_question_id(self):
        if self.question_id:
            self.type_id = self.question_id.type_id

    def _scale(self):
        """(lowest, highest) value of the target's figure."""
        self.ensure_one()
        if self.indicator == "item_nps":
            return -100, 100
        if self.indicator == "served_satisfaction":
            return SATISFACTION_SCALE
        if self.indicator == "item_average":
            kind = self.question_id.answer_kind
            if kind in SCALE_MAX:
                return SCALE_MIN[kind], SCALE_MAX[kind]
            # Every rated item of a type or of all types: stars at most.
            return 1, SCALE_MAX["rating"]
        return 0, 100

    @api.constrains("value", "bonus_value", "indicator", "question_id")
    def _check_value(self):
        for target in self:
            low, high = target._scale()
            if not low <= target.value <= high:
                raise ValidationError(
                    self.env._(
                        "The target %(target)s is outside its scale: give a value "
                        "from %(low)s to %(high)s, not %(value)s.",
                        target=target.name,
                        low=low,
                        high=high,
                        value=target.value,
                    )
                )
            if not 0 <= target.bonus_value <= 100:
                raise ValidationError(
                    self.env._(
                        "A bonus threshold is a percentage from 0 to 100, not %s.",
                        target.bonus_value,
                    )
                )
            if target.bonus_value and target.indicator != "agent_callback_rate":
                raise ValidationError(
                    self.env._(
                        "Only the callback rate per agent has a bonus threshold."
                    )
                )
            if target.bonus_value and target.bonus_value < target.value:
                raise ValidationError(
                    self.env._(
                        "The bonus threshold (%(bonus)s %%) is below the target itself "
                        "(%(value)s %%): give a higher one, or 0 for no bonus.",
                        bonus=target.bonus_value,
                        value=target.value,
                    )
                )

    @api.constrains("indicator", "type_id", "question_id")
    def _check_question(self):
        for target in self.filtered("question_id"):
            if target.indicator not in ITEM_INDICATORS:
                raise ValidationError(
                    self.env._(
                        "Only the averages, satisfied shares and NPS of items have "
                        "a target per item: clear the item of %s.",
                        target.name,
                    )
                )
            if target.question_id.answer_kind not in SCALE_KINDS:
                raise ValidationError(
                    self.env._(
                        "The item “%s” is not rated (4 levels, stars or 0-10): "
                        "it has no average, satisfied share or NPS to aim at.",
                        target.question_id.name,
                    )
                )
            if target.indicator == "item_nps" and (
                target.question_id.answer_kind != "nps"
            ):
                raise ValidationError(
                    self.env._(
                        "The item “%s” is not answered from 0 to 10: it has no NPS.",
                        target.question_id.name,
                    )
                )
            if target.type_id != target.question_id.type_id:
                raise ValidationError(
                    self.env._(
                        "The item “%(item)s” is asked in %(type)s: choose that "
                        "visit type for its target.",
                        item=target.question_id.name,
                        type=target.question_id.type_id.name,
                    )
                )

    def _served_records(self):
        """Whom or what this target is for alone: a person, a department or
        a product (at most one), else nothing (everybody served)."""
        self.ensure_one()
        return [self[fname] for fname in SERVED_FIELDS if self[fname]]

    @api.constrains(
        "indicator",
        "served_by_id",
        "served_department_id",
        "served_product_id",
        "type_id",
        "question_id",
    )
    def _check_served(self):
        for target in self:
            if len(target._served_records()) > 1:
                raise ValidationError(
                    self.env._(
                        "%s: a target is for one person, one department or one "
                        "product served; keep one of them.",
                        target.name,
                    )
                )
            if target._served_records() and target.indicator not in SERVED_INDICATORS:
                raise ValidationError(
                    self.env._(
                        "Only the callback rate, the satisfaction and the satisfied "
                        "share per served person, department or product have a "
                        "target of their own: clear whom or what %s is for.",
                        target.name,
                    )
                )
            if target.indicator in SERVED_INDICATORS and target.type_id:
                raise ValidationError(
                    self.env._(
                        "The figures per served person count every visit type: "
                        "clear the visit type of %s.",
                        target.name,
                    )
                )

    @api.constrains("indicator", "channel_ids", "period")
    def _check_channels(self):
        for target in self:
            if target.period == "year" and target.indicator not in (
                "channel_share",
                "signature_share",
            ):
                raise ValidationError(
                    self.env._(
                        "Only channel shares and signed shares are measured over the "
                        "calendar year; measure the other indicators over the report "
                        "cycle."
                    )
                )
            if target.indicator == "channel_share" and not target.channel_ids:
                raise ValidationError(
                    self.env._(
                        "A channel share target needs at least one channel "
                        "(for example phone and letter)."
                    )
                )

    def _is_missed(self, figure):
        """Whether ``figure`` (a percentage) misses the target. Floors and
        ceilings are inclusive: a figure equal to the target meets it."""
        self.ensure_one()
        figure, value = _hundredths(figure), _hundredths(self.value)
        return figure > value if self.is_cap else figure < value

    def _status(self, figure):
        """'missed', 'met' or 'bonus' (at the bonus threshold or above it:
        inclusive, as policies write 95 % or more)."""
        self.ensure_one()
        if self._is_missed(figure):
            return "missed"
        if self.bonus_value and _hundredths(figure) >= _hundredths(self.bonus_value):
            return "bonus"
        return "met"
