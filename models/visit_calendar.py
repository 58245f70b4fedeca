"""Working days and calling hours of a ``resource.calendar``, for many dates.

The scheduler places thousands of visits per run.  Asking the calendar
for each visit (``plan_days``, ``_work_intervals_batch``) would cost
queries and interval arithmetic per visit, so the work intervals of the
whole period are read once, with the calendar's own method (attendances
minus its leaves and public holidays), and looked up with bisection.
"""

import bisect
from datetime import datetime, time, timedelta

import pytz

from odoo.tools import format_datetime

# How far beyond the last date asked for the intervals are read at once.
MARGIN = timedelta(days=62)


def labelled_time(env, value, tz_name):
    """A stored (naive UTC) datetime as a reader in ``tz_name`` reads it, to
    the minute, in ``env``'s language and labelled with the zone:
    '2026-12-07 14:00 (Asia/Shanghai)'. Times written into messages and
    sheets outlive the reader's session zone, so they say which they are."""
    if not value:
        return ""
    text = format_datetime(env, value, tz=tz_name, dt_format="yyyy-MM-dd HH:mm")
    return f"{text} ({tz_name})"


def to_naive_utc(value):
    return value.astimezone(pytz.utc).replace(tzinfo=None)


def local_midnight(tz, day):
    """The start of the local day ``day`` in ``tz``, in naive UTC."""
    return to_naive_utc(tz.localize(datetime.combine(day, time.min)))


class WorkCalendar:
    """Work intervals of one calendar between two dates, in naive UTC."""

    def __init__(self, calendar, start, stop):
        self.calendar = calendar
        self.tz = pytz.timezone(calendar.tz or "UTC")
        self.start = self.stop = start
        self.intervals = []  # [(start, stop)] sorted, naive UTC
        self.days = {}  # local date -> [(start, stop)]
        self.day_list = []  # sorted local dates that have work
        self._read(start - timedelta(days=1), stop + MARGIN)

    def _read(self, start, stop):
        aware = self.calendar._work_intervals_batch(
            pytz.utc.localize(start), pytz.utc.localize(stop)
        )[False]
        intervals = [
            (to_naive_utc(begin), to_naive_utc(end)) for begin, end, _meta in aware
        ]
        self.intervals = sorted(set(self.intervals) | set(intervals))
        self.days = {}
        for begin, end in self.intervals:
            day = pytz.utc.localize(begin).astimezone(self.tz).date()
            self.days.setdefault(day, []).append((begin, end))
        self.day_list = sorted(self.days)
        self.start, self.stop = min(self.start, start), max(self.stop, stop)

    def _ensure(self, moment):
        if moment < self.start + timedelta(days=1):
            # An earlier moment than any asked so far (a cache shared by a
            # batch): read back to it, or it would land on the first interval read.
            self._read(moment - timedelta(days=1), self.start + timedelta(days=1))
        if moment >= self.stop - timedelta(days=14):
            self._read(self.stop - timedelta(days=1), moment + MARGIN)
        if not self.intervals:
            raise ValueError(f"The calendar {self.calendar.name} has no working time.")

    def _local_date(self, moment):
        return pytz.utc.localize(moment).astimezone(self.tz).date()

    def to_local(self, moment):
        """Naive UTC ``moment`` as a naive wall time of the calendar's zone."""
        return pytz.utc.localize(moment).astimezone(self.tz).replace(tzinfo=None)

    def to_utc(self, local):
        """Naive wall time of the calendar's zone as naive UTC.

        A wall time the clocks skip (spring forward) moves on by the gap
        (02:30 becomes 03:30); one they show twice (fall back) is the first.
        """
        try:
            aware = self.tz.localize(local, is_dst=None)
        except pytz.NonExistentTimeError:
            aware = self.tz.normalize(self.tz.localize(local, is_dst=False))
        except pytz.AmbiguousTimeError:
            aware = self.tz.localize(local, is_dst=True)
        return to_naive_utc(aware)

    def add_local(self, moment, delta):
        """``moment`` (naive UTC) + ``delta`` (a relativedelta) counted on the
        calendar's wall clock: +1 month from 31 March 09:00 is 30 April
        09:00 local, whatever the offset or a DST change in between."""
        return self.to_utc(self.to_local(moment) + delta)

    def place(self, moment):
        """The first moment at or after ``moment`` inside working hours."""
        self._ensure(moment)
        index = bisect.bisect_right(self.intervals, (moment, datetime.max))
        # The interval starting before the moment may still contain it.
        if index and self.intervals[index - 1][1] > moment:
            return moment
        while index >= len(self.intervals):
            self._ensure(self.stop)
        return self.intervals[index][0]

    def nth_working_day(self, moment, count):
        """The ``count``-th working day after the day of ``moment`` (local),
        or before it for a negative ``count``."""
        day = self._local_date(moment)
        # The day itself first: counted from a moment before (or far after)
        # what was read, the days next to it must be there, or the count
        # would start from the first day read (weeks late for an old date).
        self._ensure(moment)
        if count < 0:
            # Before the day (3 working days before a due date): read back.
            self._ensure(moment - timedelta(days=-count * 2 + 14))
            index = bisect.bisect_left(self.day_list, day) + count
            while index < 0:
                self._ensure(self.start + timedelta(days=count * 2 - 14))
                index = bisect.bisect_left(self.day_list, day) + count
            return self.day_list[index]
        # Working days are at most a few per week: read far enough ahead.
        self._ensure(moment + timedelta(days=count * 2 + 14))
        index = bisect.bisect_right(self.day_list, day) + count - 1
        while index >= len(self.day_list):
            self._ensure(self.stop + timedelta(days=count))
        return self.day_list[index]

    def add_working_days(self, moment, count, at_end=False):
        """``moment`` + ``count`` working days.

        A step lands on that day at the reference's time of day when it is
        inside working hours, else when work starts that day; a deadline
        (``at_end``) is the end of that day's work.
        """
        day = self.nth_working_day(moment, count)
        intervals = self.days[day]
        if at_end:
            return intervals[-1][1]
        wanted = self.to_utc(datetime.combine(day, self.to_local(moment).time()))
        for begin, end in intervals:
            if begin <= wanted < end:
                return wanted
        return intervals[0][0]
