from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

# Charts: drawn here as coordinates, written as SVG by the QWeb template
# (wkhtmltopdf runs no JavaScript). Sizes in CSS pixels: the A4 page is
# about 840 of them wide once wkhtmltopdf has shrunk it; the legend on the
# right leaves room for the longest indicator label.
TREND_CYCLES = 6
TREND_WIDTH, TREND_HEIGHT = 800, 240
TREND_LEFT, TREND_RIGHT, TREND_TOP, TREND_BOTTOM = 44, 240, 18, 36
TREND_SERIES = (("callback_rate", "#1f6fb5"), ("success_rate", "#e07b00"))
MIX_WIDTH, MIX_ROW, MIX_LABEL, MIX_BAR = 800, 24, 150, 520
MIX_COLOR = "#4a9a5b"
# The items' bars: plain blocks of CSS widths (wkhtmltopdf's WebKit has no
# flexbox to rely on), a distribution's levels best first, green to red.
ITEM_BAR = 200
SHARE_BAR = 80
LEVEL_COLORS = ("#2e7d32", "#7cb342", "#fbc02d", "#fb8c00", "#e53935")


class ReportVisitMonthly(models.AbstractModel):
    """The periodic follow-up report (PDF) of one report cycle of a company:
    its values are built here from the company and the cycle's days, as core
    report models build theirs, for the report job and for the company's
    visit managers (Preview, Print)."""

    _name = "report.customer_visit.report_visit_monthly"
    _description = "Monthly Follow-up Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        """The values of the report of the company ``docids`` over the local
        days ``data["date_from"]`` to ``data["date_to"]`` (ISO dates), or
        of the kept report cycle ``data["run_id"]``. Only the company's
        visit managers (and the report job) get them."""
        data = data or {}
        if data.get("run_id"):
            run = self.env["visit.report.run"].browse(data["run_id"])
            # Only the company's visit managers read a kept report.
            run.check_access("read")
            company, date_from, date_to = run.company_id, run.date_from, run.date_to
        else:
            company = self.env["res.company"].browse(docids)
            date_from = fields.Date.to_date(data.get("date_from"))
            date_to = fields.Date.to_date(data.get("date_to"))
            if len(company) != 1 or not (date_from and date_to):
                raise UserError(
                    self.env._(
                        "The monthly report is opened from Follow-ups ▸ Monthly "
                        "Reports: choose a report there and click Preview or "
                        "Print."
                    )
                )
            self._check_company_access(company)
        return dict(
            self._report_data(date_from, date_to, company),
            doc_ids=company.ids,
            doc_model="res.company",
            docs=company,
        )

    @api.model
    def _check_company_access(self, company):
        """Refuse whoever may not read the reports of ``company``: who reads
        its kept reports (its visit managers) reads a report of any of its
        cycles."""
        self.env["visit.report.run"].check_access("read")
        # The companies of the session, as the kept reports' record rule.
        if not self.env.su and company not in self.env.companies:
            raise AccessError(
                self.env._(
                    "You cannot read the follow-up reports of %s: ask one of "
                    "its visit managers.",
                    company.name,
                )
            )

    @api.model
    def _cycle(self, date_from, date_to, company):
        """What the report of the local days ``date_from`` to ``date_to``
        (both included) of ``company`` covers and is named: the cycle's cases
        (``case_domain``, of ``visit.case``), the visits among them
        (``domain``, of ``visit.record``), its ``label`` and ``period``."""
        if date_to < date_from:
            raise UserError(
                self.env._(
                    "The report period ends on %(date_to)s, before it starts on "
                    "%(date_from)s: choose an end on or after the start.",
                    date_from=fields.Date.to_string(date_from),
                    date_to=fields.Date.to_string(date_to),
                )
            )
        # The cycle's cases as visit.case counts them (by the local day they
        # fall due, skipped cases included): every figure, list and the
        # ledger of the report read these, as the indicators do.
        case_domain = self.env["visit.indicator"]._period_domain(
            date_from, date_to, company
        )
        return {
            "domain": self.env["visit.case"]._record_domain(case_domain),
            "case_domain": case_domain,
            "date_from": fields.Date.to_string(date_from),
            "date_to": fields.Date.to_string(date_to),
            "label": self._cycle_label(date_from, date_to),
            "period": "%s – %s"
            % (fields.Date.to_string(date_from), fields.Date.to_string(date_to)),
        }

    @api.model
    def _summary(self, date_from, date_to, company):
        """The cycle (see ``_cycle``) with its indicator ``lines`` and the
        figures its kept report and its mail give: ``visit_count`` and
        ``missed_count``."""
        Indicator = self.env["visit.indicator"]
        cycle = self._cycle(date_from, date_to, company)
        lines = Indicator._compute(date_from, date_to, company)
        return dict(
            cycle,
            lines=lines,
            visit_count=self.env["visit.record"].search_count(cycle["domain"]),
            missed_count=Indicator._missed_target_count(lines),
        )

    @api.model
    def _report_data(self, date_from, date_to, company):
        """Everything the report of the local days ``date_from`` to
        ``date_to`` (both included) of ``company`` shows, as plain data:
        its summary (see ``_summary``), indicators, charts and lists."""
        Visit = self.env["visit.record"]
        Indicator = self.env["visit.indicator"]
        summary = self._summary(date_from, date_to, company)
        domain, lines = summary["domain"], summary["lines"]
        labels = Indicator._indicator_labels()
        categories = dict(
            Visit._fields["opinion_category"]._description_selection(self.env)
        )
        classified = [
            (categories.get(category, self.env._("Not classified")), count)
            for category, count in Visit._read_group(
                domain + [("opinion", "!=", False)], ["opinion_category"], ["__count"]
            )
        ]
        unsatisfied = Visit.search(domain + [("is_unsatisfied", "=", True)], limit=500)
        return {
            **summary,
            "lines": [
                dict(
                    line,
                    indicator_label=labels.get(line["indicator"], line["indicator"]),
                )
                for line in lines
            ],
            "classified": classified,
            "unsatisfied": [
                {
                    "number": visit.name,
                    "customer": visit.partner_id.display_name,
                    "opinion": visit.opinion or "",
                    "done": ", ".join(
                        filter(
                            None,
                            [
                                visit.complaint_ticket_ids
                                and self.env._(
                                    "complaint %s",
                                    ", ".join(
                                        visit.complaint_ticket_ids.mapped(
                                            "display_name"
                                        )
                                    ),
                                ),
                                visit.next_record_ids
                                and self.env._(
                                    "round %s planned",
                                    max(visit.next_record_ids.mapped("round")),
                                ),
                                visit.is_problem_solved
                                and self.env._("problem answered"),
                            ],
                        )
                    )
                    or self.env._("nothing yet"),
                }
                for visit in unsatisfied
            ],
            "trend_chart": self._trend_chart(
                date_from, date_to, company, lines, labels
            ),
            "channel_chart": dict(
                self._channel_chart(lines), title=labels.get("channel_mix")
            ),
            "item_tables": self._item_tables(lines),
        }

    @api.model
    def _cycle_label(self, date_from, date_to, short=False):
        """``2026-03`` for a calendar month, else ``2026-02-23 – 2026-03-22``
        (``short``: ``02-23–03-22``, for a chart's axis)."""
        if date_from.day == 1 and date_to == date_from + relativedelta(
            months=1, days=-1
        ):
            return date_from.strftime("%Y-%m")
        if short:
            return "%s–%s" % (date_from.strftime("%m-%d"), date_to.strftime("%m-%d"))
        return "%s – %s" % (
            fields.Date.to_string(date_from),
            fields.Date.to_string(date_to),
        )

    @api.model
    def _overall(self, lines, indicator):
        """The all-types, all-rules line of ``indicator`` (or an empty dict)."""
        return next(
            (
                line
                for line in lines
                if line["indicator"] == indicator
                and not line["type_id"]
                and not line.get("rule_id")
            ),
            {},
        )

    @api.model
    def _trend_chart(self, date_from, date_to, company, lines, labels):
        """Callback and success rates of this cycle and the five before it
        (cycles of the company's current setting, the one just before this
        cycle cut to end the day before it), as a line chart."""
        periods = [(date_from, date_to, lines)]
        while len(periods) < TREND_CYCLES:
            end = periods[0][0] - timedelta(days=1)
            start = company._visit_report_cycle(day=end).date_from
            periods.insert(
                0,
                (start, end, self.env["visit.indicator"]._compute(start, end, company)),
            )
        plot_width = TREND_WIDTH - TREND_LEFT - TREND_RIGHT
        plot_height = TREND_HEIGHT - TREND_TOP - TREND_BOTTOM
        step = plot_width / len(periods)

        def x(index):
            return round(TREND_LEFT + step * (index + 0.5), 1)

        def y(value):
            return round(
                TREND_TOP + plot_height * (1 - min(max(value, 0.0), 100.0) / 100.0), 1
            )

        series = []
        for position, (indicator, color) in enumerate(TREND_SERIES):
            segments, points, segment = [], [], []
            for index, (_start, _end, period_lines) in enumerate(periods):
                value = self._overall(period_lines, indicator).get("value")
                if value is None:
                    # No visit to divide by: a gap, not a fall to zero.
                    if segment:
                        segments.append(segment)
                    segment = []
                    continue
                segment.append("%s,%s" % (x(index), y(value)))
                points.append({"x": x(index), "y": y(value), "label": "%g" % value})
            if segment:
                segments.append(segment)
            target = self._overall(lines, indicator).get("target")
            series.append(
                {
                    "label": labels.get(indicator, indicator),
                    "color": color,
                    "polylines": [" ".join(segment) for segment in segments],
                    "points": points,
                    "target_y": y(target) if target is not None else None,
                    "legend_y": TREND_TOP + 14 + 22 * position,
                }
            )
        return {
            "width": TREND_WIDTH,
            "height": TREND_HEIGHT,
            "left": TREND_LEFT,
            "right": TREND_WIDTH - TREND_RIGHT,
            "bottom": TREND_TOP + plot_height,
            "legend_x": TREND_WIDTH - TREND_RIGHT + 14,
            "grid": [
                {"y": y(value), "label": "%s %%" % value}
                for value in (0, 25, 50, 75, 100)
            ],
            "columns": [
                {"x": x(index), "label": self._cycle_label(start, end, short=True)}
                for index, (start, end, _lines) in enumerate(periods)
            ],
            "series": series,
            "target_label": self.env._("Target"),
        }

    @api.model
    def _item_tables(self, lines):
        """The evaluation items of the cycle, a table per type (see
        ``visit.indicator._item_tables``), with the widths of their bars in
        pixels: each level's share of the distribution's bar, the satisfied
        share's bar."""
        tables = self.env["visit.indicator"]._item_tables(lines)
        for table in tables:
            for item in table["items"]:
                levels = item["distribution"]
                item["bars"] = [
                    {
                        "width": round(ITEM_BAR * (level["share"] or 0) / 100.0, 1),
                        "color": self._level_color(index, len(levels)),
                        "label": level["level"],
                    }
                    for index, level in enumerate(levels)
                    if level["share"]
                ]
                satisfied = item["satisfied"]
                item["satisfied_width"] = (
                    round(SHARE_BAR * satisfied["value"] / 100.0, 1)
                    if satisfied and satisfied["value"] is not None
                    else None
                )
        return {"tables": tables, "bar": ITEM_BAR, "share_bar": SHARE_BAR}

    @api.model
    def _level_color(self, index, count):
        """The colour of the ``index``-th of ``count`` levels, best first:
        the palette's ends for the best and the worst."""
        if count <= 1:
            return LEVEL_COLORS[0]
        return LEVEL_COLORS[round(index * (len(LEVEL_COLORS) - 1) / (count - 1))]

    @api.model
    def _channel_chart(self, lines):
        """Visits done per channel (the ``channel_mix`` lines of the
        indicators), as a bar chart."""
        counts = sorted(
            (
                (line["label"], line["value"])
                for line in lines
                if line["indicator"] == "channel_mix" and line["value"]
            ),
            key=lambda item: -item[1],
        )
        total = sum(count for _label, count in counts)
        biggest = max((count for _label, count in counts), default=0)
        bars = []
        for index, (label, count) in enumerate(counts):
            width = round(MIX_BAR * count / biggest, 1)
            bars.append(
                {
                    "label": label,
                    "y": MIX_ROW * index + 3,
                    "text_y": round(MIX_ROW * index + MIX_ROW * 0.65, 1),
                    "width": width,
                    "value_x": MIX_LABEL + width + 6,
                    "value": "%s (%s %%)" % (count, round(100.0 * count / total, 1)),
                }
            )
        return {
            "width": MIX_WIDTH,
            "height": max(len(bars), 1) * MIX_ROW,
            "label_x": MIX_LABEL - 8,
            "bar_x": MIX_LABEL,
            "bar_height": MIX_ROW - 6,
            "color": MIX_COLOR,
            "bars": bars,
        }
