import logging
from collections import namedtuple
from datetime import datetime, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import date_utils
from odoo.tools.misc import format_date

from .visit_calendar import local_midnight

_logger = logging.getLogger(__name__)

REPORT_CYCLES = [
    ("month", "Calendar month"),
    ("cutoff", "Cut-off day"),
]

ReportCycle = namedtuple("ReportCycle", "date_from date_to send_date")


def report_cycle(kind, send_day, cutoff_day, day=None, after=None):
    """The report cycle containing the local date ``day``, or, given the
    last day ``after`` of a cycle, the cycle after it: from the day after
    ``after`` to the end of the cycle containing that day (so a change of
    setting never loses nor repeats a day).

    ``kind`` ``month``: calendar months, sent on day ``send_day`` of the next
    month; ``cutoff``: from day ``cutoff_day`` + 1 of a month to day
    ``cutoff_day`` of the next, sent the day after. Both days are 1-28.
    Returns a ``ReportCycle(date_from, date_to, send_date)``.
    """
    if after:
        day = after + timedelta(days=1)
    if kind == "cutoff":
        date_to = day.replace(day=cutoff_day)
        if day.day > cutoff_day:
            date_to = (day + relativedelta(months=1)).replace(day=cutoff_day)
        date_from = date_to - relativedelta(months=1) + timedelta(days=1)
        send_date = date_to + timedelta(days=1)
    else:
        date_from, date_to = date_utils.get_month(day)
        send_date = date_to + timedelta(days=send_day)
    return ReportCycle(day if after else date_from, date_to, send_date)


class ResCompany(models.Model):
    _inherit = "res.company"

    visit_report_cycle = fields.Selection(
        REPORT_CYCLES,
        string="Follow-up report cycle",
        required=True,
        default="month",
        help="Calendar month: the report covers the previous month and is sent "
        "on the send day of the next month. Cut-off day: the report covers "
        "the day after the previous month's cut-off to this month's cut-off "
        "and is sent the day after the cut-off.",
    )
    visit_served_see_own = fields.Boolean(
        string="Served people see their own results",
        help="The people whose work the customers judged (technicians, "
        "doctors, salespeople who are users) see the closed visits of their "
        "own service under My Results, read-only; never another's.",
    )
    visit_report_day = fields.Integer(
        string="Report send day",
        default=7,
        help="Day of the month (1-28) on which managers receive the previous "
        "month's follow-up report and ledger.",
    )
    visit_report_cutoff_day = fields.Integer(
        string="Report cut-off day",
        default=25,
        help="Last day (1-28) of each report cycle: with 22, a cycle runs from "
        "the 23rd of the previous month to the 22nd, sent on the 23rd.",
    )
    visit_report_last_end = fields.Date(
        string="Last report up to",
        readonly=True,
        copy=False,
        help="The last day of the last report sent: the next report starts "
        "the day after, so every day is in exactly one report.",
    )
    visit_report_next = fields.Char(
        string="Next report",
        compute="_compute_visit_report_next",
    )
    visit_min_interval_days = fields.Integer(
        string="Contact interval (days)",
        default=0,
        help="At most one follow-up visit per customer within this many days, "
        "across all rules: visits due closer together are merged. 0: no limit.",
    )

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

    def _visit_tz(self):
        """The time zone of the company's follow-up days: its working
        calendar's, else its address's, else UTC."""
        self.ensure_one()
        return pytz.timezone(
            self.resource_calendar_id.tz or self.partner_id.tz or "UTC"
        )

    def _visit_tz_of(self, partner):
        """The time zone a customer reads times in: the contact's, else
        their company's, else their country's when it has one; else the
        company's (_visit_tz)."""
        self.ensure_one()
        tz = partner.tz or partner.commercial_partner_id.tz
        if not tz:
            country = partner.country_id or partner.commercial_partner_id.country_id
            zones = pytz.country_timezones.get(country.code or "", [])
            # A country of one zone, or China (one official time, 北京时间,
            # though tz data also lists Asia/Urumqi): the customer's time.
            if len(zones) == 1 or (country.code == "CN" and zones):
                tz = zones[0]
        return pytz.timezone(tz) if tz else self._visit_tz()

    def _visit_utc_bounds(self, date_from, date_to):
        """Naive UTC ``[start, stop)`` of the local days ``date_from`` to
        ``date_to`` (both included) in the company's time zone."""
        tz = self._visit_tz()
        return local_midnight(tz, date_from), local_midnight(
            tz, date_to + timedelta(days=1)
        )

    def _visit_today(self):
        """Today in the company's time zone."""
        return datetime.now(pytz.utc).astimezone(self._visit_tz()).date()

    @api.constrains("visit_min_interval_days")
    def _check_visit_min_interval_days(self):
        if any(company.visit_min_interval_days < 0 for company in self):
            raise ValidationError(
                self.env._("The contact interval cannot be negative.")
            )

    @api.constrains("visit_report_day", "visit_report_cutoff_day")
    def _check_visit_report_day(self):
        for company in self:
            if not 1 <= company.visit_report_day <= 28:
                raise ValidationError(
                    self.env._(
                        "The monthly report day is a day from 1 to 28 (every "
                        "month has it), not %s.",
                        company.visit_report_day,
                    )
                )
            if not 1 <= company.visit_report_cutoff_day <= 28:
                raise ValidationError(
                    self.env._(
                        "The report cut-off day is a day from 1 to 28 (every "
                        "month has it), not %s.",
                        company.visit_report_cutoff_day,
                    )
                )

    def _visit_report_cycle(self, day=None, after=None):
        """The company's report cycle containing ``day``, or the cycle after
        the one that ended on ``after``; see :func:`report_cycle`."""
        self.ensure_one()
        return report_cycle(
            self.visit_report_cycle,
            self.visit_report_day,
            self.visit_report_cutoff_day,
            day=day,
            after=after,
        )

    def _visit_report_due_cycles(self, today):
        """The cycles to send on the local day ``today``, oldest first: every
        cycle ended and due since the last one sent; for a company that never
        sent one, only the latest due cycle."""
        self.ensure_one()

        def is_due(cycle):
            return cycle.date_to < today and cycle.send_date <= today

        if self.visit_report_last_end:
            cycles = []
            cycle = self._visit_report_cycle(after=self.visit_report_last_end)
            while is_due(cycle):
                cycles.append(cycle)
                cycle = self._visit_report_cycle(after=cycle.date_to)
            return cycles
        cycle = self._visit_report_cycle(day=today)
        # The cycle of today has not ended; the one before is due unless its
        # send day is still to come; the one before that always is.
        for _step in range(3):
            if is_due(cycle):
                return [cycle]
            cycle = self._visit_report_cycle(day=cycle.date_from - timedelta(days=1))
        return []

    def _visit_report_next_cycle(self, today):
        """The next cycle the cron sends, and the day it goes out (today when
        its send day has passed: a missed send goes out at the next run)."""
        self.ensure_one()
        if self.visit_report_last_end:
            cycle = self._visit_report_cycle(after=self.visit_report_last_end)
        else:
            due = self._visit_report_due_cycles(today)
            cycle = due[-1] if due else self._visit_report_cycle(day=today)
        return cycle._replace(send_date=max(cycle.send_date, today))

    @api.depends(
        "visit_report_cycle",
        "visit_report_day",
        "visit_report_cutoff_day",
        "visit_report_last_end",
        "resource_calendar_id.tz",
        "partner_id.tz",
    )
    @api.depends_context("lang")
    def _compute_visit_report_next(self):
        for company in self:
            if not (
                1 <= company.visit_report_day <= 28
                and 1 <= company.visit_report_cutoff_day <= 28
            ):
                # Being edited with a day out of range: the constraint says why.
                company.visit_report_next = False
                continue
            cycle = company._visit_report_next_cycle(company._visit_today())
            company.visit_report_next = self.env._(
                "Next report: %(date_from)s – %(date_to)s, sent on %(send_date)s",
                date_from=format_date(self.env, cycle.date_from),
                date_to=format_date(self.env, cycle.date_to),
                send_date=format_date(self.env, cycle.send_date),
            )

    @api.model
    def _cron_send_visit_monthly_report(self):
        """Mail each company's managers the report (PDF) and ledger (xlsx) of
        every report cycle that has ended and is due on the company's local
        today and was not sent yet, oldest first, each once."""
        # Every company sends its own report (a handful of records).
        for company in self.search([]):  # pylint: disable=no-search-all
            for cycle in company._visit_report_due_cycles(company._visit_today()):
                try:
                    # One cycle sent and marked sent, or neither.
                    with self.env.cr.savepoint():
                        company._send_visit_monthly_report(
                            cycle.date_from, cycle.date_to
                        )
                        company.visit_report_last_end = cycle.date_to
                except Exception:
                    # The other companies still get theirs; this one is
                    # tried again, from the same cycle, at the next run.
                    _logger.exception(
                        "Company %s: follow-up report %s - %s not sent",
                        company.id,
                        cycle.date_from,
                        cycle.date_to,
                    )
                    break

    def _send_visit_monthly_report(self, date_from, date_to):
        """Queue the mail of the report and ledger of the local days
        ``date_from`` to ``date_to`` (both included) to the company's visit
        managers, in their language, and keep both files in a
        ``visit.report.run`` that only those managers read; return the mail."""
        self.ensure_one()
        Run = self.env["visit.report.run"]
        return Run._prepare_cycle(self, date_from, date_to)._send_report_mail()

    def _visit_report_recipients(self):
        """The users who receive the company's follow-up report: its visit
        managers with an e-mail address."""
        self.ensure_one()
        return self.env.ref("customer_visit.group_visit_manager").users.filtered(
            lambda user: self in user.company_ids and user.email and not user.share
        )

    def _visit_report_lang(self):
        """The language of the report: the recipients' when they share one,
        else the company's."""
        langs = set(self._visit_report_recipients().mapped("lang"))
        return langs.pop() if len(langs) == 1 else self.partner_id.lang or self.env.lang

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        if any(vals.get("visit_served_see_own") for vals in vals_list):
            companies._visit_sync_served_group()
        return companies

    def write(self, vals):
        result = super().write(vals)
        if "visit_served_see_own" in vals:
            self._visit_sync_served_group()
        return result

    @api.model
    def _visit_sync_served_group(self):
        """*My Results* is given to every internal user while a company
        lets the people served see their results (its record rule then
        shows each their own closed visits of such a company), and taken
        back when none does."""
        group = self.env.ref("customer_visit.group_visit_served", False)
        if not group:
            return  # installing: the group is not loaded yet
        # sudo: the setting of any company decides; only settings change it.
        shared = bool(
            self.sudo().search_count([("visit_served_see_own", "=", True)], limit=1)
        )
        # sudo: the employees' implied groups follow the setting (as a
        # res.config.settings implied group does).
        employees = self.env.ref("base.group_user").sudo()
        if shared:
            employees._apply_group(group)
        else:
            employees._remove_group(group.sudo())
