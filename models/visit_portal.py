"""What the customer sees and does on the visit's portal page.

The page answers the type's script, rates each aspect on the domain's four
levels, takes an opinion, a signature where the type asks for one, a
callback slot chosen among the calling hours (shown as hours, in the
customer's language), or a wish not to be contacted again.  Every input is
checked here, on the server; the controller only reads the request.
"""

import functools
from collections import defaultdict
from datetime import datetime, timedelta

import pytz
from babel.dates import format_skeleton, get_day_names

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import babel_locale_parse

from .visit_dispatch import DIGITAL_CHANNELS
from .visit_record import CALLBACK_SLOT, SATISFACTION_FIELDS, SATISFACTION_LEVELS

# Slots offered to the customer: every half hour of the calling hours, from
# an hour from now, over the next working days.
SLOT_STEP = timedelta(minutes=30)
SLOT_NOTICE = timedelta(hours=1)
SLOT_DAYS = 7
SLOT_LOOKAHEAD = timedelta(days=21)
# The faces of the four levels, best first (Font Awesome, as on Odoo's
# rating pages the levels are buttons).
LEVEL_FACES = {
    "satisfied": ("fa-smile-o", "text-success"),
    "fairly_satisfied": ("fa-smile-o", "text-info"),
    "basically_satisfied": ("fa-meh-o", "text-warning"),
    "unsatisfied": ("fa-frown-o", "text-danger"),
}


def _hour_text(hours):
    """8.5 -> '08:30'."""
    minutes = round(hours * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class ResCompany(models.Model):
    _inherit = "res.company"

    visit_link_days = fields.Integer(
        string="Visit links work after closing (days)",
        default=30,
        help="A visit's portal link works while the visit is open, then so "
        "many days after it was closed or cancelled (to read and sign it); "
        "after that it answers like a wrong link. 0: not after closing.",
    )

    @api.constrains("visit_link_days")
    def _check_visit_link_days(self):
        for company in self:
            if company.visit_link_days < 0:
                raise ValidationError(
                    self.env._(
                        "%s: visit links cannot stop working before the visit "
                        "is closed (days after closing: at least 0).",
                        company.name,
                    )
                )


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    visit_link_days = fields.Integer(
        related="company_id.visit_link_days", readonly=False
    )


class VisitRecord(models.Model):
    _inherit = "visit.record"

    # ------------------------------------------------------------------
    # The link
    # ------------------------------------------------------------------
    def _portal_link_expired(self, now=None):
        """True when the visit closed more than the company's days ago."""
        self.ensure_one()
        if self.state in ("planned", "in_progress") or not self.date_done:
            return False
        now = now or fields.Datetime.now()
        return self.date_done + timedelta(days=self.company_id.visit_link_days) < now

    def get_portal_url(
        self,
        suffix=None,
        report_type=None,
        download=None,
        query_string=None,
        anchor=None,
    ):
        """The link speaks the customer's language: prefixed with it (Odoo's
        frontend routing) unless it is the default one."""
        url = super().get_portal_url(
            suffix=suffix,
            report_type=report_type,
            download=download,
            query_string=query_string,
            anchor=anchor,
        )
        lang = self._portal_url_lang()
        return f"/{lang}{url}" if lang else url

    def _portal_url_lang(self):
        """The URL code of the customer's language, when it is installed and
        not the default language of the frontend."""
        self.ensure_one()
        code = (self.contact_id or self.partner_id).lang
        # sudo: the default language is read whoever renders the link.
        default = (
            self.env["ir.default"]
            .sudo()
            # Cached: read once, not once per link of a batch of messages.
            ._get_model_defaults("res.partner")
            .get("lang")
            or "en_US"
        )
        if not code or code == default:
            return ""
        # Only an active language has a URL code.
        return self.env["res.lang"]._get_data(code=code).url_code or ""

    def _portal_can_answer(self):
        """The customer answers online the visits sent to them as a message
        (or planned for one), and those with a script to fill in; a call or
        a site visit is closed by its agent."""
        self.ensure_one()
        return bool(
            self.dispatch_channel
            or self.channel in (*DIGITAL_CHANNELS, "portal")
            or self.answer_ids
        )

    def _portal_opened(self):
        """The customer opened the link of a sent message: noted once."""
        self.ensure_one()
        if self.dispatch_date and not self.dispatch_opened:
            self.dispatch_opened = fields.Datetime.now()

    # ------------------------------------------------------------------
    # Calling hours, as the customer reads them
    # ------------------------------------------------------------------
    def _portal_lang(self):
        partner = self.contact_id or self.partner_id
        return self.env.context.get("lang") or partner.lang or "en_US"

    def _calling_hours_text(self, now=None):
        """The calendar's hours in the reader's language, days with the same
        hours grouped: 'Mon–Fri 08:30–11:00, 14:00–16:00'. A two-week
        calendar whose weeks differ says both, this week's first (the
        week of ``now`` in the calendar's time zone)."""
        self.ensure_one()
        calendar = self._visit_calendar()
        if not calendar:
            return ""
        attendances = calendar.attendance_ids.filtered(
            lambda attendance: (
                attendance.day_period != "lunch" and not attendance.display_type
            )
        )
        if not calendar.two_weeks_calendar:
            return self._hours_text(attendances)
        tz = pytz.timezone(calendar.tz or "UTC")
        today = pytz.utc.localize(now or fields.Datetime.now()).astimezone(tz).date()
        this_week = self.env["resource.calendar.attendance"].get_week_type(today)
        this, following = (
            self._hours_text(
                attendances.filtered(
                    lambda attendance, week=week: attendance.week_type == str(week)
                )
            )
            for week in (this_week, 1 - this_week)
        )
        if this == following:
            return this
        return self.env._(
            "This week: %(this_week)s. Next week: %(next_week)s.",
            this_week=this or self.env._("no calls"),
            next_week=following or self.env._("no calls"),
        )

    def _hours_text(self, attendances):
        """'Mon–Fri 08:30–11:00, 14:00–16:00' of these attendances."""
        locale = babel_locale_parse(self._portal_lang())
        day_names = get_day_names("abbreviated", locale=locale)
        hours = defaultdict(set)
        for attendance in attendances:
            hours[int(attendance.dayofweek)].add(
                (attendance.hour_from, attendance.hour_to)
            )
        groups = []  # [[first day, last day, hours]]
        for day in range(7):
            day_hours = tuple(sorted(hours.get(day, ())))
            if not day_hours:
                continue
            if groups and groups[-1][1] == day - 1 and groups[-1][2] == day_hours:
                groups[-1][1] = day
            else:
                groups.append([day, day, day_hours])
        # The locale's own list separator: ', ' in English, '、' in Chinese.
        middle = locale.list_patterns["standard"]["middle"]
        parts = []
        for first, last, day_hours in groups:
            days = day_names[first]
            if last > first:
                days = self.env._(
                    "%(first)s–%(last)s", first=day_names[first], last=day_names[last]
                )
            text = functools.reduce(
                lambda first, then: middle.format(first, then),
                (
                    f"{_hour_text(start)}–{_hour_text(stop)}"
                    for start, stop in day_hours
                ),
            )
            parts.append(self.env._("%(days)s %(hours)s", days=days, hours=text))
        return (
            functools.reduce(
                lambda first, then: self.env._(
                    "%(first)s; %(then)s", first=first, then=then
                ),
                parts,
            )
            if parts
            else ""
        )

    def _callback_slots(self, now=None):
        """[(day label, [(value, time label)])]: the half hours of the next
        working days' calling hours, local to the calendar, from an hour
        from now. ``value`` is what the page posts back (local time)."""
        self.ensure_one()
        calendar = self._visit_calendar()
        if not calendar:
            return []
        tz = pytz.timezone(calendar.tz or "UTC")
        now = pytz.utc.localize(now or fields.Datetime.now())
        earliest = now + SLOT_NOTICE
        intervals = calendar._work_intervals_batch(now, now + SLOT_LOOKAHEAD)[False]
        locale = babel_locale_parse(self._portal_lang())
        days = {}
        for begin, stop, _meta in intervals:
            begin, stop = begin.astimezone(tz), stop.astimezone(tz)
            # The first half hour at or after the interval's start and now.
            start = begin.replace(second=0, microsecond=0)
            while start < earliest or start.minute % 30:
                start += timedelta(minutes=1)
            start = tz.normalize(start)
            while start + CALLBACK_SLOT <= stop:
                day = start.date()
                if day not in days and len(days) >= SLOT_DAYS:
                    break
                days.setdefault(day, []).append(
                    (start.strftime("%Y-%m-%dT%H:%M"), start.strftime("%H:%M"))
                )
                start = tz.normalize(start + SLOT_STEP)
        return [
            (format_skeleton("MMMEd", day, locale=locale), slots)
            for day, slots in sorted(days.items())
        ]

    # ------------------------------------------------------------------
    # The four levels, as faces
    # ------------------------------------------------------------------
    def _portal_aspects(self):
        """[(field name, label, current level, its label)] of the aspects."""
        self.ensure_one()
        labels = dict(
            self._fields["satisfaction_product"]._description_selection(self.env)
        )
        return [
            (
                fname,
                self._fields[fname]._description_string(self.env),
                self[fname],
                labels.get(self[fname], ""),
            )
            for fname in SATISFACTION_FIELDS
        ]

    def _portal_levels(self):
        """[(level, label, face icon, colour)], best first."""
        labels = dict(
            self._fields["satisfaction_product"]._description_selection(self.env)
        )
        return [
            (level, labels[level], *LEVEL_FACES[level])
            for level, _label in SATISFACTION_LEVELS
        ]

    @api.model
    def _check_portal_ratings(self, ratings):
        """{aspect: level} from the page, every key and value known."""
        levels = dict(SATISFACTION_LEVELS)
        values = {}
        for key, raw in (ratings or {}).items():
            if key not in SATISFACTION_FIELDS:
                raise UserError(self.env._("Unknown aspect: %s", key))
            raw = (raw or "").strip()
            if raw and raw not in levels:
                raise UserError(
                    self.env._(
                        "“%s”: choose one of the faces.",
                        self._fields[key]._description_string(self.env),
                    )
                )
            values[key] = raw or False
        return values

    # ------------------------------------------------------------------
    # Not to be contacted again
    # ------------------------------------------------------------------
    def _portal_opt_out(self):
        """The customer confirmed they do not want to be contacted again:
        do-not-visit, and their address and numbers on Odoo's blacklists
        (the Dispatch job and every mailing respect them)."""
        self.ensure_one()
        partner = self.partner_id
        people = partner | self.contact_id
        self.message_post(
            body=self.env._("The customer asked not to be contacted again (portal).")
        )
        reason = self.env._("Asked not to be contacted (follow-up visit %s)", self.name)
        for person in people:
            if person.email_normalized:
                self.env["mail.blacklist"]._add(person.email_normalized, message=reason)
            numbers = {
                person._phone_format(number=number)
                for number in (person.mobile, person.phone)
                if number
            } - {False}
            if numbers:
                self.env["phone.blacklist"]._add(sorted(numbers), message=reason)
        partner.do_not_visit = True

    def _portal_check_slot(self, value):
        """The posted slot, a local 'YYYY-MM-DDTHH:MM' among the calling
        hours, as a naive local datetime."""
        try:
            return datetime.strptime(value or "", "%Y-%m-%dT%H:%M")
        except ValueError as error:
            raise UserError(self.env._("Choose a date and a time.")) from error
