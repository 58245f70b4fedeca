from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .visit_type import CHANNELS

UNITS = [
    ("hours", "Hours"),
    ("days", "Days"),
    ("working_days", "Working days"),
    ("weeks", "Weeks"),
    ("months", "Months"),
    ("years", "Years"),
]
# Rough length of each unit in hours, only to compare a deadline with its
# step when the rule is saved (a working day counts as 7/5 of a day).
UNIT_HOURS = {
    "hours": 1,
    "days": 24,
    "working_days": 24 * 7 / 5,
    "weeks": 24 * 7,
    "months": 24 * 365 / 12,
    "years": 24 * 365,
}


def shift(moment, amount, unit, calendar, at_end=False):
    """``moment`` + ``amount`` ``unit``, in naive UTC.

    ``calendar`` is a :class:`~.visit_calendar.WorkCalendar`.  Hours are
    absolute; days, weeks, months and years count on its wall clock (31
    March + 1 month = 30 April, same local time, across a DST change);
    working days on its local working days.
    """
    if not amount:
        return moment
    if unit == "working_days":
        return calendar.add_working_days(moment, amount, at_end=at_end)
    if unit == "hours":
        return moment + timedelta(hours=amount)
    return calendar.add_local(moment, relativedelta(**{unit: amount}))


class VisitRuleStep(models.Model):
    """One step of a rule's cadence: when, how, and by when (回访节点)."""

    _name = "visit.rule.step"
    _description = "Follow-up Rule Step"
    _order = "rule_id, sequence, id"

    rule_id = fields.Many2one(
        "visit.rule", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    delay = fields.Integer(
        string="After",
        required=True,
        default=1,
        help="Time after the reference date at which the visit is due.",
    )
    delay_unit = fields.Selection(UNITS, string="Unit", required=True, default="days")
    type_id = fields.Many2one("visit.type", string="Visit Type", required=True)
    channel = fields.Selection(
        CHANNELS,
        compute="_compute_channel",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
    )
    deadline_delay = fields.Integer(
        string="Deadline",
        help="Time after the reference date by which the visit must be done; "
        "0 for no deadline.",
    )
    deadline_unit = fields.Selection(
        UNITS, string="Deadline unit", required=True, default="days"
    )
    repeat_every = fields.Integer(
        help="Repeat the step every so many units (0: once).",
    )
    repeat_until = fields.Integer(
        help="Last repetition, in units after the reference date. 0 with a "
        "repetition: repeat while the record qualifies for the rule.",
    )
    summary = fields.Char(compute="_compute_summary")

    _sql_constraints = [
        (
            "delay_positive",
            "CHECK(delay > 0)",
            "A step comes after its reference date.",
        ),
        (
            "deadline_positive",
            "CHECK(deadline_delay >= 0)",
            "A deadline cannot be negative.",
        ),
        (
            "repeat_positive",
            "CHECK(repeat_every >= 0 AND repeat_until >= 0)",
            "Repetitions cannot be negative.",
        ),
    ]

    @api.depends("type_id")
    def _compute_channel(self):
        for step in self:
            step.channel = step.type_id.default_channel or step.channel or "phone"

    @api.depends_context("lang")
    @api.depends(
        "delay",
        "delay_unit",
        "deadline_delay",
        "deadline_unit",
        "repeat_every",
        "repeat_until",
        "channel",
        "type_id",
        "rule_id.date_field_id.field_description",
    )
    def _compute_summary(self):
        """The step in plain words: "Phone call 24 hours after Closed Date,
        done within 2 days, then every 12 months until 36"."""
        # Units as counted in a sentence ("3 months", 3个月), not as labelled.
        units = {
            "hours": self.env._("hours"),
            "days": self.env._("days"),
            "working_days": self.env._("working days"),
            "weeks": self.env._("weeks"),
            "months": self.env._("months"),
            "years": self.env._("years"),
        }
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for step in self:
            unit = units.get(step.delay_unit, "")
            text = self.env._(
                "%(channel)s %(delay)s %(unit)s after %(reference)s",
                channel=channels.get(step.channel, ""),
                delay=step.delay,
                unit=unit,
                reference=step.rule_id.date_field_id.field_description
                or self.env._("the record qualifies"),
            )
            if step.deadline_delay:
                text += self.env._(
                    ", done within %(deadline)s %(unit)s",
                    deadline=step.deadline_delay,
                    unit=units.get(step.deadline_unit, ""),
                )
            if step.repeat_every:
                text += self.env._(
                    ", then every %(every)s %(unit)s",
                    every=step.repeat_every,
                    unit=unit,
                )
                text += (
                    self.env._(" until %(until)s", until=step.repeat_until)
                    if step.repeat_until
                    else self.env._(" while the record qualifies")
                )
            step.summary = text

    @api.constrains(
        "delay",
        "delay_unit",
        "deadline_delay",
        "deadline_unit",
        "repeat_every",
        "repeat_until",
    )
    def _check_cadence(self):
        units = dict(self._fields["delay_unit"]._description_selection(self.env))
        for step in self:
            if step.delay <= 0:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: a step must come at least 1 (%(unit)s) "
                        "after the reference date (found %(delay)s).",
                        rule=step.rule_id.name,
                        unit=units[step.delay_unit],
                        delay=step.delay,
                    )
                )
            if step.deadline_delay and (
                step.deadline_delay * UNIT_HOURS[step.deadline_unit]
                < step.delay * UNIT_HOURS[step.delay_unit]
            ):
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: the deadline (+%(deadline)s %(deadline_unit)s) "
                        "comes before its step (+%(delay)s %(unit)s). Both count "
                        "from the reference date: give a later deadline.",
                        rule=step.rule_id.name,
                        deadline=step.deadline_delay,
                        deadline_unit=units[step.deadline_unit],
                        delay=step.delay,
                        unit=units[step.delay_unit],
                    )
                )
            if step.repeat_until and not step.repeat_every:
                raise ValidationError(
                    self.env._(
                        "Rule %s: say every how many units the step repeats.",
                        step.rule_id.name,
                    )
                )
            if step.repeat_until and step.repeat_until < step.delay:
                raise ValidationError(
                    self.env._(
                        "Rule %s: the last repetition comes before the step itself.",
                        step.rule_id.name,
                    )
                )

    def _occurrence_amounts(self, reference, horizon, calendar):
        """Offsets (in the step's unit) of the occurrences due by ``horizon``.

        A bounded repetition yields all its occurrences at once; an open one
        those whose date is not after ``horizon`` and the next one, so that a
        recurring plan always has a visit ahead and stays open.  The dates
        are those of :func:`shift` on ``calendar`` (a ``WorkCalendar``), in
        naive UTC like ``reference`` and ``horizon``.
        """
        self.ensure_one()
        if not self.repeat_every:
            return [self.delay]
        if self.repeat_until:
            return list(range(self.delay, self.repeat_until + 1, self.repeat_every))
        amounts = [self.delay]
        while shift(reference, amounts[-1], self.delay_unit, calendar) <= horizon:
            amounts.append(amounts[-1] + self.repeat_every)
        return amounts
