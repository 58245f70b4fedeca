"""What the customer sees and does on the visit's portal page.

The page answers the type's script, rates each aspect on the domain's four
levels, takes an opinion, a signature where the type asks for one, a
callback slot chosen among the calling hours (shown as hours, in the
customer's language), or a wish not to be contacted again.  Every input is
checked here, on the server; the controller only reads the request.
"""

import functools
import re
from collections import defaultdict
from datetime import datetime, timedelta

import pytz
from babel.dates import format_skeleton, get_day_names

from odoo import SUPERUSER_ID, Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import consteq
from odoo.tools.misc import babel_locale_parse

from .const import ASPECT_FIELDS, DIGITAL_CHANNELS, OPEN_STATES
from .visit_answer import NPS_VALUES
from .visit_calendar import labelled_time
from .visit_portal_fields import employee_only_fields
from .visit_record import (
    CALLBACK_SLOT,
    SATISFACTION_FIELDS,
    SATISFACTION_LEVELS,
    SIGNATURE_MAX_SIDE,
)

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


# What the customer may send, checked again on the server whatever the page
# allows: a longer text, a NUL byte (PostgreSQL refuses it) or a bigger image
# is a clear 400, never a server error.
OPINION_MAX = 4000
ANSWER_MAX = 2000
SIGNER_MAX = 128
# A drawn signature is a few tens of kB; its pixels are counted from the
# image header before anything is decoded (an image of 100000 × 100000
# pixels fits in a few kB and would take 40 GB once decoded).
SIGNATURE_MAX_CHARS = 1024 * 1024
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What a portal user may read of a visit over RPC: what the page shows them.
# Every other field, of any slice now or later, is the employees' (review,
# open problem, team, plan, tokens of the other visits of their company, the
# agent and the users who wrote it: the page shows the agent's name only).
PORTAL_READABLE_FIELDS = {
    "id",
    "display_name",
    "name",
    "partner_id",
    "contact_id",
    "company_id",
    "type_id",
    "scheduled_date",
    "deadline",
    "state",
    "outcome",
    "channel",
    "answer_ids",
    *SATISFACTION_FIELDS,
    "is_rated",
    "opinion",
    "signature",
    "signed_by",
    "signed_on",
    "signature_status",
    # Whether the sheet the customer signed is still as signed: theirs to
    # know (a digest, no content), and the form's modifiers test it.
    "signature_hash",
    "is_signature_valid",
    "access_url",
    "access_warning",
    "create_date",
    "write_date",
    # Flags and counts the back office's views test in their modifiers
    # (is_overdue is computed from the deadline, as the reader).
    "is_overdue",
    "is_open",
    "is_locked",
    "is_confirmation",
    "is_unsatisfied",
    "complaint_ticket_count",
}


def _hour_text(hours):
    """8.5 -> '08:30'."""
    minutes = round(hours * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class VisitRecord(models.Model):
    _inherit = "visit.record"

    # ------------------------------------------------------------------
    # The link
    # ------------------------------------------------------------------
    @api.model
    def _setup_fields(self):
        res = super()._setup_fields()
        employee_only_fields(self, PORTAL_READABLE_FIELDS)
        # The customer's link is read by the server (links, mails), never
        # over RPC: whoever holds it acts as the customer.
        self._fields["access_token"].groups = "base.group_system"
        return res

    def write(self, vals):
        reopened = (
            self.filtered(lambda rec: rec.state not in OPEN_STATES)
            if vals.get("state") in OPEN_STATES
            else self.browse()
        )
        res = super().write(vals)
        if reopened:
            # A reopened visit gets a new link: the one of its earlier round
            # expired with it and must not work again.
            # sudo: the link is readable and writable by the server only;
            # the reopening itself was checked (a protected state).
            reopened.sudo().access_token = False
        return res

    def _portal_link_expired(self, now=None):
        """True when the visit closed more than the company's days ago."""
        self.ensure_one()
        if self.state in OPEN_STATES:
            return False
        # A visit closed without a closing date (cancelled before the date
        # was kept, or closed by a data fix) counts from its last change:
        # never from nothing, or its link would work forever.
        closed_on = self.date_done or self.write_date or fields.Datetime.now()
        now = now or fields.Datetime.now()
        return closed_on + timedelta(days=self.company_id.visit_link_days) < now

    # ------------------------------------------------------------------
    # Who acts as the customer
    # ------------------------------------------------------------------
    def _portal_customer(self, access_token=None):
        """The partner acting as this visit's customer, or AccessError.

        Called on the visit as the request's user (not sudo): the holder of
        the visit's valid link acts as its customer; a signed-in portal user
        of the customer's company acts as themself; an employee never does,
        even with the link (the back office's Log Outcome is theirs), and
        neither does anyone else.
        """
        self.ensure_one()
        user = self.env.user
        # sudo: the token and the customer are read to check the caller,
        # who may have no right on visits; nothing read is returned.
        visit = self.sudo().exists()
        if not visit or not user.share:
            raise AccessError(
                self.env._("Only the customer acts on the visit's portal page.")
            )
        if (
            not user._is_public()
            and user.commercial_partner_id == visit.partner_id.commercial_partner_id
            and visit.state != "cancelled"
        ):
            return user.partner_id
        if (
            isinstance(access_token, str)
            and visit.access_token
            and consteq(visit.access_token, access_token)
            and not visit._portal_link_expired()
        ):
            return visit.partner_id
        raise AccessError(
            self.env._("Only the customer acts on the visit's portal page.")
        )

    def _portal_identified(self, customer):
        """Whether ``customer`` (from _portal_customer) counts as identified:
        signed in as themself, or holding the link of a type whose link
        counts as proof of identity."""
        self.ensure_one()
        user = self.env.user
        signed_in = not user._is_public() and customer == user.partner_id
        # sudo: the type's setting, whoever asks.
        return bool(signed_in or self.sudo().type_id.link_confirms_identity)

    def _portal_sudo(self):
        """This visit for the customer's action, once _portal_customer
        allowed it.

        sudo, as the superuser (as portal.mixin's _document_check_access
        gives the record): the customer has no right on visits, and what
        closing creates (tickets, activity notes) must be neither assigned
        to nor authored by the public user. The customer's own messages and
        tracked changes name the customer explicitly.
        """
        self.ensure_one()
        return self.with_user(SUPERUSER_ID)

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

    def _portal_can_answer(self, identified=False):
        """The customer answers online the visits sent to them as a message
        (or planned for one), and those with a script to fill in; a call or
        a site visit is closed by its agent. A type that needs the
        customer's identity confirmed is answered online only by an
        ``identified`` customer (see _portal_identified)."""
        self.ensure_one()
        if self.type_id.identity_required and not identified:
            return False
        return bool(
            self.dispatch_channel
            or self.channel in (*DIGITAL_CHANNELS, "portal")
            # Items of its own: every visit rates the aspects.
            or self.answer_ids.filtered(lambda answer: not answer.question_id.aspect)
        )

    def _portal_opened(self):
        """The customer acted on the page of a sent message: noted once.

        Not when the page is merely fetched: mail scanners and link
        previews open every link of a message. The customer's first action
        (an answer, a callback time, a signature, an opt-out) counts.
        """
        self.ensure_one()
        if self.dispatch_date and not self.dispatch_opened:
            self.dispatch_opened = fields.Datetime.now()

    # ------------------------------------------------------------------
    # Calling hours, as the customer reads them
    # ------------------------------------------------------------------
    def _portal_lang(self):
        partner = self.contact_id or self.partner_id
        return self.env.context.get("lang") or partner.lang or "en_US"

    def _portal_tz(self):
        """The zone the customer reads times in: theirs where known, else
        the company's (as the printed sheet)."""
        self.ensure_one()
        return self.company_id._visit_tz_of(self.contact_id or self.partner_id)

    def _portal_when(self, value):
        """A stored (UTC) datetime as the customer reads it, to the minute
        and labelled with the zone: '2026-12-07 14:00 (Asia/Shanghai)', the
        sheet's wording."""
        self.ensure_one()
        if not value:
            return ""
        return labelled_time(
            self.with_context(lang=self._portal_lang()).env,
            value,
            self._portal_tz().zone,
        )

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
        working days' calling hours, from an hour from now, as the customer
        reads them (days and times in the customer's zone, _portal_tz).
        ``value`` is what the page posts back (the customer's local time)."""
        self.ensure_one()
        calendar = self._visit_calendar()
        if not calendar:
            return []
        tz = pytz.timezone(calendar.tz or "UTC")
        reader_tz = self._portal_tz()
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
                local = start.astimezone(reader_tz)
                day = local.date()
                if day not in days and len(days) >= SLOT_DAYS:
                    break
                days.setdefault(day, []).append(
                    (local.strftime("%Y-%m-%dT%H:%M"), local.strftime("%H:%M"))
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
        """[(answer, its item's wording, level, its label)] of the aspects
        rated, as the page shows them once answered."""
        self.ensure_one()
        return [
            (answer, answer.question, answer.value_level, answer._display_value())
            for answer in self.answer_ids
            if answer.question_id.aspect
            and answer.value_level
            and not answer.is_skipped
        ]

    def _portal_item_groups(self):
        """[(heading, answers)]: the aspects under how satisfied the
        customer is, then the other items of the script."""
        self.ensure_one()
        aspects = self.answer_ids.filtered(lambda answer: answer.question_id.aspect)
        groups = [
            (self.env._("How satisfied are you?"), aspects),
            (self.env._("Questions"), self.answer_ids - aspects),
        ]
        return [(heading, answers) for heading, answers in groups if answers]

    def _portal_levels(self):
        """[(level, label, face icon, colour)], best first."""
        labels = dict(
            self._fields["satisfaction_product"]._description_selection(self.env)
        )
        return [
            (level, labels[level], *LEVEL_FACES[level])
            for level, _label in SATISFACTION_LEVELS
        ]

    def _portal_ratings_as_answers(self, ratings):
        """{question id: level} of ``ratings`` ({aspect field: level}, as
        the page's ``rating_<field>`` keys name them): the answers to the
        type's items of those aspects, every key and value known."""
        self.ensure_one()
        levels = dict(SATISFACTION_LEVELS)
        items = {
            ASPECT_FIELDS[answer.question_id.aspect]: answer.question_id
            for answer in self.answer_ids
            if answer.question_id.aspect
        }
        values = {}
        for key, raw in (ratings or {}).items():
            if key not in items:
                raise UserError(self.env._("Unknown aspect: %s", key))
            raw = raw if isinstance(raw, str) else ""
            if raw.strip() and raw.strip() not in levels:
                raise UserError(
                    self.env._("“%s”: choose one of the faces.", items[key].name)
                )
            values[str(items[key].id)] = raw.strip()
        return values

    # ------------------------------------------------------------------
    # Not to be contacted again
    # ------------------------------------------------------------------
    def _portal_opt_out(self, access_token=None):
        """The customer confirmed they do not want to be contacted again:
        do-not-visit, and their address and numbers on Odoo's blacklists
        (the Dispatch job and every mailing respect them)."""
        self.ensure_one()
        customer = self._portal_customer(access_token)
        visit = self._portal_sudo()
        partner = visit.partner_id
        people = partner | visit.contact_id
        visit._portal_opened()
        visit.message_post(
            body=self.env._("The customer asked not to be contacted again (portal)."),
            author_id=customer.id,
        )
        reason = self.env._(
            "Asked not to be contacted (follow-up visit %s)", visit.name
        )
        for person in people:
            if person.email_normalized:
                visit.env["mail.blacklist"]._add(
                    person.email_normalized, message=reason
                )
            numbers = {
                person._phone_format(number=number)
                for number in (person.mobile, person.phone)
                if number
            } - {False}
            if numbers:
                visit.env["phone.blacklist"]._add(sorted(numbers), message=reason)
        partner.do_not_visit = True

    # ------------------------------------------------------------------
    # A callback time
    # ------------------------------------------------------------------
    def _portal_check_slot(self, value):
        """The posted slot, one of those the page offered (_callback_slots),
        as a naive local datetime of the customer's zone (_portal_tz)."""
        self.ensure_one()
        offered = {
            slot for _day, slots in self._callback_slots() for slot, _label in slots
        }
        if not isinstance(value, str) or value not in offered:
            raise UserError(
                self.env._(
                    "Choose one of the times offered: we call during our calling "
                    "hours (%s), over the next days.",
                    self._calling_hours_text(),
                )
            )
        return datetime.strptime(value, "%Y-%m-%dT%H:%M")

    def _portal_pick_callback(self, slot, access_token=None):
        """The customer picks one of the offered slots (``slot``, as posted):
        the visit becomes a call at that time."""
        self.ensure_one()
        customer = self._portal_customer(access_token)
        visit = self._portal_sudo()
        visit._check_open()
        local_start = visit._portal_check_slot(slot)
        start = visit._portal_tz().localize(local_start)
        scheduled = start.astimezone(pytz.utc).replace(tzinfo=None)
        values = {"scheduled_date": scheduled, "channel": "phone"}
        if visit.dispatch_state == "sent":
            # The customer chose a call: no reminder, no "no answer".
            values["dispatch_state"] = "fell_back"
        if visit.deadline and visit.deadline < scheduled:
            values["deadline"] = scheduled + CALLBACK_SLOT
        visit._portal_opened()
        visit.write(values)
        # The agent's to-do falls on the call's day, as the agent counts days.
        visit._visit_activities().write(
            {"date_deadline": visit._assignee_day(scheduled)}
        )
        visit.message_post(
            body=self.env._(
                "The customer asked to be called on %s.",
                visit._portal_when(scheduled),
            ),
            author_id=customer.id,
        )

    # ------------------------------------------------------------------
    # Answers and signature
    # ------------------------------------------------------------------
    @api.model
    def _check_portal_text(self, value, limit, message):
        """``value`` as posted, stripped: a string of at most ``limit``
        characters without NUL or control characters (newlines and tabs
        allowed), else UserError(``message``)."""
        if value is None or value is False:
            return ""
        if not isinstance(value, str) or len(value) > limit:
            raise UserError(message)
        if CONTROL_CHARS.search(value):
            raise UserError(message)
        return value.strip()

    def _portal_answer_commands(self, raw_answers):
        """The commands writing the script's answers the page sent
        ({question id: raw value}), each checked against its kind, and
        whether anything was answered."""
        self.ensure_one()
        known = {str(answer.question_id.id): answer for answer in self.answer_ids}
        if unknown := set(raw_answers) - set(known):
            raise UserError(
                self.env._("Unknown questions: %s", ", ".join(sorted(unknown)))
            )
        parsed = []
        for key, answer in known.items():
            question = answer.question_id
            raw = self._check_portal_text(
                raw_answers.get(key),
                ANSWER_MAX,
                self.env._(
                    "“%(question)s”: the answer is too long (at most %(limit)s "
                    "characters) or holds characters that are not text.",
                    question=question.name,
                    limit=ANSWER_MAX,
                ),
            )
            parsed.append((answer, self._portal_answer_values(question, raw)))
        # An item is asked when its condition holds on the answers sent
        # (the page hides the others; checked here whatever it sent): one
        # not asked is stored so, its values cleared.
        shown = self.env["visit.type.question"]._shown_of(
            [
                (
                    answer.question_id,
                    values["value_yes_no"],
                    answer.question_id.option_ids.browse(values["option_id"]),
                )
                for answer, values in parsed
            ]
        )
        commands = []
        answered = False
        for answer, values in parsed:
            question = answer.question_id
            if question.id not in shown:
                cleared = dict.fromkeys(values, False) | {"value_rating": 0}
                commands.append(
                    Command.update(answer.id, cleared | {"is_skipped": True})
                )
                continue
            if question.is_required and not any(values.values()):
                raise UserError(self.env._("“%s” needs an answer.", question.name))
            answered = answered or any(values.values())
            commands.append(Command.update(answer.id, values | {"is_skipped": False}))
        return commands, answered

    @api.model
    def _portal_answer_values(self, question, raw):
        """The answer's values of ``raw`` (the page's text) for ``question``,
        refused when it is not one its kind offers."""
        values = {
            "value_yes_no": False,
            "value_rating": 0,
            "value_level": False,
            "value_nps": False,
            "value_text": False,
            "option_id": False,
        }
        kind = question.answer_kind
        if kind == "yes_no":
            if raw not in ("", "yes", "no"):
                raise UserError(self.env._("“%s”: answer yes or no.", question.name))
            values["value_yes_no"] = raw or False
        elif kind == "rating":
            if raw and raw not in ("1", "2", "3", "4", "5"):
                raise UserError(
                    self.env._("“%s”: give a rating from 1 to 5.", question.name)
                )
            values["value_rating"] = int(raw or 0)
        elif kind == "scale4":
            if raw and raw not in dict(SATISFACTION_LEVELS):
                raise UserError(
                    self.env._("“%s”: choose one of the faces.", question.name)
                )
            values["value_level"] = raw or False
        elif kind == "nps":
            if raw and raw not in dict(NPS_VALUES):
                raise UserError(
                    self.env._(
                        "“%s”: choose a number from 0 (not at all likely) "
                        "to 10 (extremely likely).",
                        question.name,
                    )
                )
            values["value_nps"] = raw or False
        elif kind == "choice":
            # The id of one of the choices the page offered, no other.
            options = {str(option.id): option for option in question.option_ids}
            if raw and raw not in options:
                raise UserError(
                    self.env._("“%s”: pick one of the choices offered.", question.name)
                )
            values["option_id"] = options[raw].id if raw else False
        else:
            values["value_text"] = raw or False
        return values

    def _portal_answer(
        self, raw_answers, opinion, ratings=None, access_token=None, reasons=None
    ):
        """The customer answers the script, its aspects too (also accepted
        by field name in ``ratings``: {aspect field: level}) and may say why
        a score is low (``reasons``: ids of the type's reasons, as posted):
        the visit is done via the
        portal, with the consequences of an agent's outcome (a ticket when
        unsatisfied, a next round for a problem)."""
        self.ensure_one()
        customer = self._portal_customer(access_token)
        identified = self._portal_identified(customer)
        visit = self._portal_sudo()
        if visit.state not in OPEN_STATES:
            raise UserError(
                self.env._("This visit is already closed: thank you, nothing to do.")
            )
        if visit.signature_hash:
            raise UserError(
                self.env._("You signed this visit already: thank you, nothing to do.")
            )
        if not visit._portal_can_answer(identified):
            raise UserError(
                self.env._("This visit is answered with our agent, not online.")
            )
        # An aspect posted by its field's name is its item's answer.
        raw_answers = {
            **visit._portal_ratings_as_answers(ratings),
            **(raw_answers or {}),
        }
        if visit.partner_id._visit_opted_out():
            raise UserError(
                self.env._("You asked not to be contacted: this visit is closed.")
            )
        commands, answered = visit._portal_answer_commands(raw_answers)
        # The ids of reasons the page offered, no other.
        offered = {str(reason.id): reason for reason in visit.type_id.score_reason_ids}
        if any(raw not in offered for raw in reasons or ()):
            raise UserError(
                self.env._("Pick the reasons among the ones offered on the page.")
            )
        score_reasons = self.env["visit.score.reason"].union(
            *(offered[raw] for raw in reasons or ())
        )
        opinion = self._check_portal_text(
            opinion,
            OPINION_MAX,
            self.env._(
                "Your opinion is too long (at most %s characters) or holds "
                "characters that are not text.",
                OPINION_MAX,
            ),
        )
        if not answered and not opinion:
            raise UserError(self.env._("Answer at least one question first."))
        now = fields.Datetime.now()
        visit._portal_opened()
        # The changes are the customer's (Odoo's tracking message).
        visit._track_set_author(customer)
        visit.write(
            {
                "answer_ids": commands,
                "opinion": opinion or visit.opinion,
                # Refused by the visit when nothing is rated below satisfied.
                "score_reason_ids": [Command.set(score_reasons.ids)],
                "answer_date": now,
                "dispatch_state": "answered"
                if visit.dispatch_state == "sent"
                else visit.dispatch_state,
                "outcome": "reached",
                "unreached_reason_id": False,
                "channel": "portal",
                # Holding the link proves who answers only where the type
                # says so (a compliance type asks more: a call, a sign-in).
                "identity_confirmed": identified,
                "answered_by_id": customer.id,
            }
        )
        note = self.env._("The customer answered the visit on the portal.")
        # The note goes with the closed activity's message, one message
        # where two were posted; a visit with no activity gets it alone.
        had_activity = bool(visit._visit_activities() or visit._escalation_activities())
        visit.with_context(visit_close_feedback=note).action_done()
        if not had_activity:
            visit.message_post(body=note, author_id=customer.id)

    @api.model
    def _check_portal_signature(self, signature):
        """Refuse what is not a reasonably small PNG or JPEG image, reading
        only its header (before any pixel is decoded)."""
        message = self.env._(
            "The signature must be an image (PNG or JPEG) of at most "
            "%(side)s × %(side)s pixels.",
            side=SIGNATURE_MAX_SIDE,
        )
        if (
            not isinstance(signature, str)
            or not signature
            or len(signature) > SIGNATURE_MAX_CHARS
        ):
            raise UserError(message)
        # The image itself is checked as in the back office (header first).
        try:
            self._check_signature_image(signature)
        except ValidationError as error:
            raise UserError(message) from error

    def _portal_sign(self, name, signature, access_token=None):
        """The customer signs the visit's sheet on the portal."""
        self.ensure_one()
        self._portal_customer(access_token)
        name = self._check_portal_text(
            name,
            SIGNER_MAX,
            self.env._("Give your name (at most %s characters).", SIGNER_MAX),
        )
        if not name:
            raise UserError(
                self.env._("Give your name (at most %s characters).", SIGNER_MAX)
            )
        self._check_portal_signature(signature)
        visit = self._portal_sudo()
        visit._sign(name, signature)
        visit._portal_opened()
