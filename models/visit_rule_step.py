from datetime import timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .visit_calendar import local_midnight

ANCHORS = [
    ("date", "The reference date"),
    ("anniversary", "Each anniversary of it"),
    ("occasion", "Each date of an occasion list"),
]
DIRECTIONS = [("after", "After the date"), ("before", "Before the date")]
# How many occurrences ahead an open repetition looks for one in season.
SEASON_LOOKAHEAD = 400

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
    _inherit = ["visit.cadence.mixin"]
    _description = "Follow-up Rule Step"
    _order = "rule_id, sequence, id"

    rule_id = fields.Many2one(
        "visit.rule", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    anchor = fields.Selection(
        ANCHORS,
        string="Counted from",
        required=True,
        default="date",
        help="The reference date itself; each of its anniversaries (a "
        "birthday, a policy's start); or each date of an occasion list "
        "(festivals).",
    )
    direction = fields.Selection(
        DIRECTIONS,
        string="Before / after",
        required=True,
        default="after",
        help="Before: the visit is due that long before the date (3 days "
        "before the payment is due) and its deadline counts back the same "
        "way (0: the date itself).",
    )
    delay = fields.Integer(
        required=True,
        default=1,
        help="Time after (or before) the date at which the visit is due.",
    )
    occasion_id = fields.Many2one(
        "visit.occasion",
        string="Occasion list",
        help="The dated list (festivals, campaigns) the step visits on.",
    )
    anniversary_years = fields.Integer(
        string="For (years)",
        help="Anniversaries planned: so many years after the date; 0 while "
        "the record qualifies.",
    )
    month_ids = fields.Many2many(
        "visit.month",
        string="In months",
        help="The step applies only to visits falling due in these local "
        "months (peak season); empty: all year.",
    )
    repeat_until = fields.Integer(
        help="Last repetition, in units after the reference date. 0 with a "
        "repetition: repeat while the record qualifies for the rule.",
    )
    summary = fields.Char(compute="_compute_summary")

    _sql_constraints = [
        (
            "delay_positive",
            "CHECK(delay >= 0)",
            "A step's delay cannot be negative.",
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

    @api.depends_context("lang")
    @api.depends(
        "anchor",
        "direction",
        "delay",
        "delay_unit",
        "deadline_delay",
        "deadline_unit",
        "repeat_every",
        "repeat_until",
        "anniversary_years",
        "occasion_id.name",
        "month_ids",
        "channel",
        "type_id",
        "rule_id.date_field_id.field_description",
    )
    def _compute_summary(self):
        """The step in plain words: "Phone call 24 hours after Closed Date,
        done within 2 days, then every 12 months until 36"."""
        # Units as counted in a sentence ("1 month", "3 months", 3个月), not
        # as labelled: one term for 1 and one for other numbers (Chinese
        # translates both alike).
        plurals = {
            "hours": self.env._("hours"),
            "days": self.env._("days"),
            "working_days": self.env._("working days"),
            "weeks": self.env._("weeks"),
            "months": self.env._("months"),
            "years": self.env._("years"),
        }
        singulars = {
            "hours": self.env._("hour"),
            "days": self.env._("day"),
            "working_days": self.env._("working day"),
            "weeks": self.env._("week"),
            "months": self.env._("month"),
            "years": self.env._("year"),
        }

        def counted(amount, unit):
            return (singulars if amount == 1 else plurals).get(unit, "")

        channels = dict(self._fields["channel"]._description_selection(self.env))
        for step in self:
            # sudo: the label of the reference date, for agents too (they
            # may not read the field definitions); the rule's translated
            # label where its module has none in the reader's language.
            date_field = step.rule_id.date_field_id.sudo()
            reference = (
                date_field
                and step.rule_id._field_label(date_field.model, date_field.name)
            ) or self.env._("the record qualifies")
            if step.anchor == "anniversary":
                reference = self.env._("each anniversary of %s", reference)
            elif step.anchor == "occasion":
                reference = self.env._(
                    "each date of %s", step.occasion_id.name or self.env._("a list")
                )
            values = {
                "channel": channels.get(step.channel, ""),
                "delay": step.delay,
                "unit": counted(step.delay, step.delay_unit),
                "reference": reference,
            }
            if step.direction == "before":
                text = self.env._(
                    "%(channel)s %(delay)s %(unit)s before %(reference)s", **values
                )
            elif not step.delay:
                text = self.env._("%(channel)s on %(reference)s", **values)
            else:
                text = self.env._(
                    "%(channel)s %(delay)s %(unit)s after %(reference)s", **values
                )
            if step.direction == "before":
                text += (
                    self.env._(
                        ", done by %(deadline)s %(unit)s before",
                        deadline=step.deadline_delay,
                        unit=counted(step.deadline_delay, step.deadline_unit),
                    )
                    if step.deadline_delay
                    else self.env._(", done by the date itself")
                )
            elif step.deadline_delay:
                text += self.env._(
                    ", done within %(deadline)s %(unit)s",
                    deadline=step.deadline_delay,
                    unit=counted(step.deadline_delay, step.deadline_unit),
                )
            if step.anchor == "anniversary":
                text += (
                    self.env._(", for 1 year")
                    if step.anniversary_years == 1
                    else self.env._(", for %s years", step.anniversary_years)
                    if step.anniversary_years
                    else self.env._(", every year while the record qualifies")
                )
            elif step.repeat_every:
                text += self.env._(
                    ", then every %(every)s %(unit)s",
                    every=step.repeat_every,
                    unit=counted(step.repeat_every, step.delay_unit),
                )
                text += (
                    self.env._(" until %(until)s", until=step.repeat_until)
                    if step.repeat_until
                    else self.env._(" while the record qualifies")
                )
            if step.month_ids:
                text += self.env._(
                    ", only in %s", ", ".join(step.month_ids.sorted().mapped("name"))
                )
            step.summary = text

    @api.constrains(
        "anchor",
        "direction",
        "delay",
        "delay_unit",
        "deadline_delay",
        "deadline_unit",
        "repeat_every",
        "repeat_until",
        "occasion_id",
        "anniversary_years",
    )
    def _check_cadence(self):
        units = dict(self._fields["delay_unit"]._description_selection(self.env))
        for step in self:
            step._check_anchor()
            if step.delay < 0 or (
                step.delay == 0 and step.anchor == "date" and step.direction == "after"
            ):
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: a step must come at least 1 (%(unit)s) "
                        "after the reference date (found %(delay)s).",
                        rule=step.rule_id.name,
                        unit=units[step.delay_unit],
                        delay=step.delay,
                    )
                )
            step_hours = step.delay * UNIT_HOURS[step.delay_unit]
            deadline_hours = step.deadline_delay * UNIT_HOURS[step.deadline_unit]
            if step.direction == "before" and deadline_hours > step_hours:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: the deadline (%(deadline)s %(deadline_unit)s "
                        "before the date) comes before its step (%(delay)s %(unit)s "
                        "before). Both count back from the date: give a deadline "
                        "closer to it (0: the date itself).",
                        rule=step.rule_id.name,
                        deadline=step.deadline_delay,
                        deadline_unit=units[step.deadline_unit],
                        delay=step.delay,
                        unit=units[step.delay_unit],
                    )
                )
            if (
                step.direction == "after"
                and step.deadline_delay
                and deadline_hours < step_hours
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

    def _check_anchor(self):
        """What the step counts from must exist (a date field, an occasion
        list with dates ahead) and be counted once."""
        rule = self.rule_id.name
        if self.anniversary_years < 0:
            raise ValidationError(
                self.env._("Rule %s: anniversaries cannot be negative.", rule)
            )
        if self.repeat_every and (self.direction == "before" or self.anchor != "date"):
            raise ValidationError(
                self.env._(
                    "Rule %s: only a step after the reference date repeats; "
                    "anniversaries and occasions repeat by themselves.",
                    rule,
                )
            )
        if (
            self.anchor == "date"
            and self.direction == "before"
            and not self.rule_id.date_field_id
        ):
            raise ValidationError(
                self.env._(
                    "Rule %s: a step before a date needs the rule's reference "
                    "date (the payment's due date, the term's end).",
                    rule,
                )
            )
        if self.anchor == "anniversary":
            field = self.rule_id.date_field_id
            if field.ttype not in ("date", "datetime"):
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: anniversaries are counted on a date "
                        "field; %(field)s is not one. Choose the reference date "
                        "field of the rule (a birthday, a policy's start).",
                        rule=rule,
                        field=field.field_description
                        or self.env._("the rule has no reference date, which"),
                    )
                )
        if self.anchor == "occasion":
            if not self.occasion_id:
                raise ValidationError(
                    self.env._("Rule %s: choose the occasion list.", rule)
                )
            today = fields.Date.context_today(self)
            if not any(
                day >= today for day in self.occasion_id.date_ids.mapped("date")
            ):
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: the occasion list %(list)s has no date "
                        "from today on: add the coming dates first.",
                        rule=rule,
                        list=self.occasion_id.name,
                    )
                )

    def _is_open_ended(self):
        """Planned on and on while the record qualifies."""
        self.ensure_one()
        if self.anchor == "anniversary":
            return not self.anniversary_years
        if self.anchor == "occasion":
            return True
        return bool(self.repeat_every and not self.repeat_until)

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
        ahead = 0
        while ahead < SEASON_LOOKAHEAD:
            due = shift(reference, amounts[-1], self.delay_unit, calendar)
            if due > horizon:
                # One ahead, in season: the plan always has a visit to come.
                if self._in_season(due, calendar):
                    break
                ahead += 1
            amounts.append(amounts[-1] + self.repeat_every)
        return amounts

    def _in_season(self, due, calendar):
        if not self.month_ids:
            return True
        return calendar.to_local(due).month in self.month_ids.mapped("number")

    def _anchors(self, reference, calendar, since):
        """The dates the step counts from, in order: (occurrence, date),
        naive UTC, as a generator (the caller stops).

        The reference date itself (occurrence 0); its anniversaries
        (occurrence: the year count, 29 February falling on 28 February in
        other years) from the year before ``since`` on, up to the number of
        years; the dates of the occasion list (occurrence: the date line's
        id), at local midnight.
        """
        self.ensure_one()
        if self.anchor == "date":
            yield 0, reference
            return
        if self.anchor == "anniversary":
            local = calendar.to_local(reference)
            # Years before the one before ``since`` are long gone.
            year = max(1, calendar.to_local(since).year - local.year - 1)
            while not self.anniversary_years or year <= self.anniversary_years:
                yield year, calendar.to_utc(local + relativedelta(years=year))
                year += 1
            return
        tz = pytz.timezone(calendar.calendar.tz or "UTC")
        for line in self.occasion_id.date_ids.sorted("date"):
            yield line.id, local_midnight(tz, line.date)

    def _deadline_from(self, anchor, calendar, whole_day):
        """The deadline of the occurrence counted from ``anchor``."""
        if self.direction == "before":
            if self.deadline_unit == "working_days" and self.deadline_delay:
                # The end of that working day's work, as after a date.
                return shift(
                    anchor,
                    -self.deadline_delay,
                    self.deadline_unit,
                    calendar,
                    at_end=True,
                )
            deadline = shift(anchor, -self.deadline_delay, self.deadline_unit, calendar)
            if whole_day:
                # A day: done by its end, local time.
                deadline = calendar.add_local(deadline, relativedelta(days=1))
            return deadline
        if not self.deadline_delay:
            return False
        return shift(
            anchor, self.deadline_delay, self.deadline_unit, calendar, at_end=True
        )

    def _occurrences(self, reference, horizon, calendar, since, whole_day=False):
        """[(occurrence, due, deadline)] of the step, naive UTC.

        ``whole_day``: the dates are days (a date field, an occasion), so a
        step before one is done by the end of that local day.  Out of
        season occurrences are left out (their numbers are kept).
        """
        self.ensure_one()
        result = []
        if self.anchor == "date" and self.direction == "after":
            for occurrence, amount in enumerate(
                self._occurrence_amounts(reference, horizon, calendar)
            ):
                due = shift(reference, amount, self.delay_unit, calendar)
                deadline = False
                if self.deadline_delay:
                    base = shift(
                        reference, amount - self.delay, self.delay_unit, calendar
                    )
                    deadline = shift(
                        base,
                        self.deadline_delay,
                        self.deadline_unit,
                        calendar,
                        at_end=True,
                    )
                result.append((occurrence, due, deadline))
        else:
            whole_day = whole_day or self.anchor == "occasion"
            sign = -1 if self.direction == "before" else 1
            for occurrence, anchor in self._anchors(reference, calendar, since):
                due = shift(anchor, sign * self.delay, self.delay_unit, calendar)
                deadline = self._deadline_from(anchor, calendar, whole_day)
                if self.anchor != "date" and (deadline or due) < since:
                    continue  # an anniversary or occasion gone before it qualified
                result.append((occurrence, due, deadline))
                if due > horizon:
                    break  # one ahead: the plan has a visit to come
        return [item for item in result if self._in_season(item[1], calendar)]

    def _first_due(self, reference, horizon, calendar, since):
        """When the step first falls due for a record of reference date
        ``reference`` qualifying at ``since`` (naive UTC): the due date of
        its first occurrence as :meth:`_occurrences` counts them (the
        anniversary or occasion to come, in season), planned or not; False
        when none falls due."""
        self.ensure_one()
        occurrences = self._occurrences(
            reference,
            horizon,
            calendar,
            since,
            whole_day=self.rule_id.date_field_id.ttype == "date",
        )
        return occurrences[0][1] if occurrences else False
