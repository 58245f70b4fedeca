import io
from collections import defaultdict, namedtuple
from datetime import timedelta

import pytz
import xlsxwriter

from odoo import api, fields, models
from odoo.tools import SQL

from ..models.const import SATISFACTION_FIELDS

# Rows are read and written this many at a time, then the cache is dropped:
# memory stays flat whatever the number of visits.
CHUNK = 5000


# One column of the ledger: its key, title, width, kind (how it is written:
# text, number, datetime, date) and, for a selection of visit.record, the
# field whose labels it shows.
Column = namedtuple("Column", "key title width kind selection", defaults=(None,))
# Columns read from visit_record as they are stored (the others come from
# related models, see _chunk_rows).
STORED = (
    "name",
    "partner_id",
    "contact_id",
    "phone",
    "source_name",
    "sale_order_id",
    "type_id",
    "channel",
    "user_id",
    "scheduled_date",
    "date_done",
    "dispatch_channel",
    "dispatch_date",
    "answer_date",
    "state",
    "outcome",
    "unreached_reason_id",
    *SATISFACTION_FIELDS,
    "satisfaction_score",
    "is_rated",
    "opinion",
    "deadline",
    "round",
    "problem_description",
    "is_problem_open",
    "signed_by",
)
# The ledger sheet: a title row (period and filter), then the header row
# (frozen, with the autofilter), then the visits.
TITLE_ROW = 0
HEADER_ROW = 1
FIRST_ROW = 2
# Number formats: every rate is a fraction shown as a percentage, every
# average rounded to 2 decimals.
PERCENT = "0.00%"
DECIMAL = "0.00"
# Ledger downloads were attachments (before the ledger became an xlsx
# report): those left are removed by the daily autovacuum after this long.
DOWNLOAD_KEPT = timedelta(hours=1)


class VisitLedger(models.AbstractModel):
    """The visit ledger (回访台帐) as an xlsx workbook, written with xlsxwriter
    in constant-memory mode."""

    _name = "visit.ledger"
    _description = "Visit Ledger Export"

    @api.model
    def _columns(self):
        """The ledger's columns, in order: the one specification read by the
        sheet (header, width, value, format) and by the summary (labels)."""
        return [
            Column("name", self.env._("Number"), 16, "text"),
            Column("partner", self.env._("Customer"), 24, "text"),
            Column("contact", self.env._("Contact Person"), 16, "text"),
            Column("phone", self.env._("Phone"), 18, "text"),
            Column("source_name", self.env._("Source"), 22, "text"),
            Column("products", self.env._("Products"), 30, "text"),
            Column("quantity", self.env._("Quantity"), 10, "number"),
            Column("amount", self.env._("Amount"), 12, "amount"),
            Column("delivery", self.env._("Delivery date"), 12, "date"),
            Column("type", self.env._("Visit Type"), 18, "text"),
            Column("round", self.env._("Round"), 7, "integer"),
            # The channel used; the message channel it was planned for (a
            # message given to a call, or answered on the portal, keeps it).
            Column("channel", self.env._("Channel"), 12, "text", "channel"),
            Column(
                "dispatch_channel",
                self.env._("Message channel"),
                12,
                "text",
                "dispatch_channel",
            ),
            Column("agent", self.env._("Agent"), 16, "text"),
            Column("scheduled_date", self.env._("Scheduled"), 17, "datetime"),
            Column("deadline", self.env._("Deadline"), 17, "datetime"),
            Column("dispatch_date", self.env._("Sent on"), 17, "datetime"),
            Column("answer_date", self.env._("Answered on"), 17, "datetime"),
            Column("date_done", self.env._("Closed on"), 17, "datetime"),
            Column("state", self.env._("Status"), 11, "text", "state"),
            Column("outcome", self.env._("Outcome"), 12, "text", "outcome"),
            Column("unreached_reason", self.env._("Reason not reached"), 18, "text"),
            Column(
                "satisfaction_product",
                self.env._("Product quality"),
                12,
                "text",
                "satisfaction_product",
            ),
            Column(
                "satisfaction_service",
                self.env._("Service attitude"),
                12,
                "text",
                "satisfaction_service",
            ),
            Column(
                "satisfaction_timeliness",
                self.env._("Timeliness"),
                12,
                "text",
                "satisfaction_timeliness",
            ),
            Column(
                "satisfaction_result",
                self.env._("Result"),
                12,
                "text",
                "satisfaction_result",
            ),
            Column(
                "satisfaction_score", self.env._("Satisfaction Score"), 10, "average"
            ),
            Column("opinion", self.env._("Opinion"), 40, "text"),
            Column("open_problem", self.env._("Open problem"), 30, "text"),
            Column("tickets", self.env._("Complaint ticket"), 24, "text"),
            Column("signed_by", self.env._("Signed by"), 16, "text"),
        ]

    @api.model
    def _item_columns(self, ids):
        """One column per evaluation item answered in the visits ``ids``
        (per question version: a reworded item is a column of its own), in
        the order of the types and of their scripts; titled with the item's
        words, after its type's name when several types are exported."""
        if not ids:
            return []
        self.env["visit.answer"].flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT DISTINCT question_id FROM visit_answer
                    WHERE record_id = ANY(%s) AND is_skipped IS NOT TRUE""",
                list(ids),
            )
        )
        questions = (
            self.env["visit.type.question"]
            .with_context(active_test=False)
            .browse([question_id for (question_id,) in self.env.cr.fetchall()])
            # The aspects have their columns above.
            .filtered(lambda q: not q.aspect)
            .sorted(lambda q: (q.type_id.sequence, q.type_id.id, q.sequence, q.id))
        )
        several = len(questions.type_id) > 1
        return [
            Column(
                f"item_{question.id}",
                f"{question.type_id.name} – {question.name}"
                if several
                else question.name,
                16,
                "number" if question.answer_kind in ("rating", "nps") else "text",
                None,
            )
            for question in questions
        ]

    @api.model
    def _chunk_answers(self, ids, items):
        """{visit id: {item column key: answer}} of the visits ``ids`` for
        the item columns ``items``, in one query (and one for the choices'
        names): a level or yes/no in words, stars and points as numbers."""
        if not items:
            return {}
        question_ids = [int(column.key[len("item_") :]) for column in items]
        self.env.cr.execute(
            SQL(
                """SELECT record_id, question_id, value_yes_no, value_rating,
                          value_level, value_nps, option_id, value_text
                     FROM visit_answer
                    WHERE record_id = ANY(%s) AND question_id = ANY(%s)
                      AND is_skipped IS NOT TRUE""",
                list(ids),
                question_ids,
            )
        )
        rows = self.env.cr.fetchall()
        Answer = self.env["visit.answer"]
        words = {
            fname: dict(Answer._fields[fname]._description_selection(self.env))
            for fname in ("value_yes_no", "value_level")
        }
        options = {
            option.id: option.name
            for option in self.env["visit.question.option"]
            .with_context(active_test=False)
            .browse({row[6] for row in rows if row[6]})
        }
        answers = defaultdict(dict)
        for record_id, question_id, yes_no, rating, level, nps, option, text in rows:
            if level:
                value = words["value_level"].get(level, level)
            elif yes_no:
                value = words["value_yes_no"].get(yes_no, yes_no)
            elif rating:
                value = rating
            elif nps is not None:
                value = int(nps)
            elif option:
                value = options.get(option, "")
            else:
                value = text or ""
            answers[record_id][f"item_{question_id}"] = value
        return answers

    @api.model
    def _labels(self, columns):
        """{column key: {stored value: label}} of the selection columns."""
        Visit = self.env["visit.record"]
        return {
            column.key: dict(
                Visit._fields[column.selection]._description_selection(self.env)
            )
            for column in columns
            if column.selection
        }

    @api.model
    def _xlsx(self, domain, period=None, filter_label=None, case_domain=None):
        """Return the ledger of the visits matching ``domain`` as xlsx bytes.

        ``period`` and ``filter_label`` are the title's words for what was
        exported (e.g. ``2026-03`` and the company); without them the title
        says the span of the visits' scheduled dates and the selection.
        ``case_domain``: the ``visit.case`` rows the summary's indicators
        count (a report cycle's, its skipped cases included, its visits
        those of ``domain``); by default the cases of the exported visits."""
        output = io.BytesIO()
        # The options of the ledger's report (OCA report_xlsx), which writes
        # the same sheets for the list's Export and the monthly mail.
        report = self.env["report.customer_visit.report_visit_ledger"]
        workbook = xlsxwriter.Workbook(output, report.get_workbook_options())
        self._write_workbook(workbook, domain, period, filter_label, case_domain)
        workbook.close()
        return output.getvalue()

    @api.model
    def _write_workbook(
        self, workbook, domain, period=None, filter_label=None, case_domain=None
    ):
        """Write the ledger of the visits matching ``domain`` (see ``_xlsx``)
        into ``workbook``, an xlsxwriter workbook in constant-memory mode:
        its sheets and rows in order, each written once."""
        Visit = self.env["visit.record"]
        ids = Visit._search(domain, order="scheduled_date, id").get_result_ids()
        bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        formats = {
            "title": workbook.add_format({"bold": True, "font_size": 13}),
            "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "integer": workbook.add_format({"num_format": "0"}),
            "number": workbook.add_format({"num_format": "#,##0.##"}),
            "amount": workbook.add_format({"num_format": "#,##0.00"}),
            "average": workbook.add_format({"num_format": DECIMAL}),
            "percent": workbook.add_format({"num_format": PERCENT}),
        }
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        title = self._title(domain, ids, tz, period, filter_label)
        items = self._item_columns(ids)
        columns = self._columns() + items
        labels = self._labels(columns)
        self._write_summary(
            workbook.add_worksheet(self.env._("Summary")),
            bold,
            domain,
            len(ids),
            columns,
            labels,
            formats,
            title,
            case_domain=case_domain,
        )
        sheet = workbook.add_worksheet(self.env._("Ledger"))
        sheet.write_string(TITLE_ROW, 0, title, formats["title"])
        for col, column in enumerate(columns):
            sheet.set_column(col, col, column.width)
            sheet.write_string(HEADER_ROW, col, column.title, bold)
        # The header stays in view and filters every column; the number too.
        sheet.freeze_panes(FIRST_ROW, 1)
        sheet.autofilter(HEADER_ROW, 0, HEADER_ROW + max(len(ids), 1), len(columns) - 1)
        row = FIRST_ROW
        Visit.flush_model()
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            answers = self._chunk_answers(chunk, items)
            # _chunk_rows yields the rows in the order of the chunk's ids.
            for visit_id, values in zip(
                chunk, self._chunk_rows(chunk, labels), strict=True
            ):
                values.update(answers.get(visit_id, {}))
                self._write_row(sheet, row, columns, values, formats, tz)
                row += 1
            self.env.invalidate_all()

    @api.model
    def _title(self, domain, ids, tz, period=None, filter_label=None):
        """The title row: what the ledger covers (period) and which visits
        (filter), in words a reader of the file understands."""
        if not period:
            # An exclusive end ("<" the next day's midnight) is the day before.
            bounds = [
                fields.Datetime.to_datetime(term[2])
                - (timedelta(seconds=1) if term[1] == "<" else timedelta())
                for term in domain
                if isinstance(term, (list, tuple))
                and term[0] == "scheduled_date"
                and term[2]
            ]
            if not bounds and ids:
                bounds = [
                    value
                    for value in self.env["visit.record"]._read_group(
                        [("id", "in", ids)],
                        [],
                        ["scheduled_date:min", "scheduled_date:max"],
                    )[0]
                    if value
                ]
            # A cycle's bounds are the company's local midnights: read them
            # in its zone (the cron's user may have none).
            companies = [
                term[2]
                for term in domain
                if isinstance(term, (list, tuple))
                and term[0] == "company_id"
                and term[1] == "="
            ]
            if companies:
                tz = self.env["res.company"].browse(companies[0])._visit_tz()
            days = sorted(
                pytz.utc.localize(value).astimezone(tz).date() for value in bounds
            )
            if not days:
                period = "-"
            elif days[0] == days[-1]:
                period = fields.Date.to_string(days[0])
            else:
                period = (
                    f"{fields.Date.to_string(days[0])} – "
                    f"{fields.Date.to_string(days[-1])}"
                )
        if not filter_label:
            words = []
            for term in domain:
                if not isinstance(term, (list, tuple)):
                    continue
                fname, _operator, value = term
                if fname == "id":
                    words.append(self.env._("%s selected visits", len(ids)))
                elif fname == "company_id":
                    companies = self.env["res.company"].browse(value).exists()
                    words.append(", ".join(companies.mapped("name")))
                elif fname != "scheduled_date":
                    words.append(str(term))
            filter_label = "; ".join(words) or self.env._("All visits")
        return self.env._(
            "Visit ledger — period: %(period)s — filter: %(filter)s",
            period=period,
            filter=filter_label,
        )

    def _order_lines(self, orders):
        """{order id: (products, quantity)} in one query per chunk."""
        result = defaultdict(lambda: ["", 0.0])
        if not orders:
            return result
        groups = self.env["sale.order.line"]._read_group(
            [("order_id", "in", orders.ids), ("display_type", "=", False)],
            ["order_id", "product_id"],
            ["product_uom_qty:sum"],
        )
        for order, product, quantity in groups:
            entry = result[order.id]
            entry[0] = (
                f"{entry[0]}, {product.display_name}"
                if entry[0]
                else product.display_name
            )
            entry[1] += quantity
        return result

    def _chunk_rows(self, ids, labels):
        """The ledger rows of some visits, as {column key: value}: one SQL
        query for the visits (``ids`` already passed the record rules in
        ``_search``), one batch per related model for the names, no
        per-record ORM access."""
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM visit_record WHERE id = ANY(%s)",
                SQL(", ").join(SQL.identifier(fname) for fname in STORED),
                list(ids),
            )
        )
        rows = {
            row[0]: dict(zip(STORED, row[1:], strict=True))
            for row in self.env.cr.fetchall()
        }
        partner_ids = {r["partner_id"] for r in rows.values()} | {
            r["contact_id"] for r in rows.values() if r["contact_id"]
        }
        partners = {
            p.id: p.display_name for p in self.env["res.partner"].browse(partner_ids)
        }
        types = {
            t.id: t.name
            for t in self.env["visit.type"].browse(
                {r["type_id"] for r in rows.values()}
            )
        }
        users = {
            u.id: u.name
            for u in self.env["res.users"].browse(
                {r["user_id"] for r in rows.values() if r["user_id"]}
            )
        }
        reasons = {
            reason.id: reason.name
            for reason in self.env["visit.unreached.reason"].browse(
                {r["unreached_reason_id"] for r in rows.values()} - {None}
            )
        }
        orders = self.env["sale.order"].browse(
            {r["sale_order_id"] for r in rows.values() if r["sale_order_id"]}
        )
        lines = self._order_lines(orders)
        # sudo: only the numbers of the tickets raised from these visits,
        # which the user may read; agents need not be helpdesk users.
        tickets = defaultdict(list)
        for ticket in (
            self.env["helpdesk.ticket"]
            .sudo()
            .search([("origin_visit_id", "in", list(ids))], order="id")
        ):
            tickets[ticket.origin_visit_id.id].append(ticket.number or "")
        order_info = {o.id: (o.amount_total, o.commitment_date) for o in orders}
        for visit_id in ids:
            row = rows[visit_id]
            order_id = row["sale_order_id"]
            products, quantity = lines[order_id] if order_id else ("", 0.0)
            amount, delivery = order_info.get(order_id, ("", ""))
            values = {
                **row,
                "partner": partners.get(row["partner_id"], ""),
                "contact": partners.get(row["contact_id"], ""),
                "products": products,
                "quantity": quantity or "",
                "amount": amount,
                "delivery": delivery or "",
                "type": types.get(row["type_id"], ""),
                "agent": users.get(row["user_id"], ""),
                "unreached_reason": reasons.get(row["unreached_reason_id"], ""),
                "satisfaction_score": round(row["satisfaction_score"], 2)
                if row["is_rated"]
                else "",
                "open_problem": row["problem_description"]
                if row["is_problem_open"]
                else "",
                "tickets": ", ".join(tickets[visit_id]),
            }
            for key, options in labels.items():
                values[key] = options.get(row[key], "")
            yield values

    def _write_row(self, sheet, row, columns, values, formats, tz):
        for col, column in enumerate(columns):
            value = values.get(column.key)
            if value == "" or value is None or value is False:
                continue  # an empty cell costs nothing to leave out
            if column.kind in ("datetime", "date"):
                # Stored in UTC, shown in the user's time zone.
                local = pytz.utc.localize(value).astimezone(tz).replace(tzinfo=None)
                sheet.write_datetime(row, col, local, formats[column.kind])
            elif column.kind in ("number", "integer", "amount", "average"):
                sheet.write_number(row, col, value, formats[column.kind])
            else:
                # write_string, never write(): nothing a customer typed is
                # ever read as a formula or a URL.
                sheet.write_string(row, col, str(value))

    @api.autovacuum
    def _gc_downloads(self):
        """Remove the ledgers downloaded as attachments (before the ledger
        became an xlsx report, streamed and never kept) older than
        DOWNLOAD_KEPT."""
        # sudo: exports of every user are cleaned.
        self.env["ir.attachment"].sudo().search(
            [
                ("res_model", "=", self._name),
                ("create_date", "<", fields.Datetime.now() - DOWNLOAD_KEPT),
            ]
        ).unlink()

    def _write_summary(
        self,
        sheet,
        bold,
        domain,
        total,
        columns,
        labels,
        formats,
        title,
        case_domain=None,
    ):
        """Counts per state, success rate, average satisfaction: the states
        named as the ledger's *Status* column names them. Rates are
        fractions shown as percentages, averages rounded to 2 decimals."""
        Visit = self.env["visit.record"]
        sheet.set_column(0, 0, 34)
        sheet.set_column(1, 1, 14)
        sheet.write_string(0, 0, title, formats["title"])
        Case = self.env["visit.case"]
        # A cycle may owe skipped cases only: they are still summed up.
        # sudo: visit.case is readable by managers only (see below).
        if not total and (
            case_domain is None or not Case.sudo().search_count(case_domain, limit=1)
        ):
            sheet.write_string(1, 0, self.env._("No visit matches this selection."))
            return
        states = dict(Visit._read_group(domain, ["state"], ["__count"]))
        reached = states.get("done", 0)
        attempted = reached + states.get("failed", 0)
        averages = Visit._read_group(
            domain + [("is_rated", "=", True)],
            [],
            ["satisfaction_score:avg", "__count"],
        )[0]
        rows = [
            (self.env._("Visits"), total, "integer"),
            (labels["state"]["done"], reached, "integer"),
            (labels["state"]["failed"], states.get("failed", 0), "integer"),
            (
                self.env._("Open"),
                states.get("planned", 0) + states.get("in_progress", 0),
                "integer",
            ),
            (labels["state"]["cancelled"], states.get("cancelled", 0), "integer"),
            (
                self.env._("Success rate (reached / attempted)"),
                round(reached / attempted, 4) if attempted else "",
                "percent",
            ),
            (self.env._("Rated visits"), averages[1], "integer"),
            (
                self.env._("Average satisfaction (1-4)"),
                round(averages[0], 2) if averages[1] else "",
                "average",
            ),
        ]
        for offset, (label, value, kind) in enumerate(rows, start=1):
            sheet.write_string(offset, 0, label)
            if value == "":
                sheet.write_string(offset, 1, "-")
            else:
                sheet.write_number(offset, 1, value, formats[kind])
        # The indicators of these visits against the company's targets.
        Indicator = self.env["visit.indicator"]
        row = len(rows) + 2
        for col, title in enumerate(
            (
                self.env._("Indicator"),
                self.env._("For"),
                self.env._("Value"),
                self.env._("Target"),
                self.env._("Missed"),
            )
        ):
            sheet.write_string(row, col, title, bold)
        sheet.set_column(2, 4, 12)
        labels = Indicator._indicator_labels()
        if case_domain is None:
            # The cases of the exported visits (cancelled ones are not owed).
            # _search applies the user's record rules: the cases are those of
            # visits the user may read, so reading them needs no more than that.
            cases = [
                ("kind", "=", "visit"),
                ("record_id", "in", Visit._search(domain)),
            ]
            company = Visit.search(domain, limit=1).company_id
        else:
            # A report cycle's cases, skipped ones included, given by its
            # report (made by its managers or the report job).
            cases = case_domain
            # sudo: as below.
            company = Case.sudo().search(cases, limit=1).company_id
        company = company or self.env.company
        # sudo: visit.case is readable by managers only; an agent's export
        # is restricted to their own visits by the subquery above.
        for line in Indicator.sudo()._compute_domain(cases, company):
            row += 1
            sheet.write_string(row, 0, labels.get(line["indicator"], line["indicator"]))
            sheet.write_string(row, 1, line["label"] or "")
            # The indicators count percentages as 0-100: the ledger writes
            # every rate as a fraction, shown with a % format.
            percent = line["unit"] == "percent"
            kind = "integer" if line["unit"] == "count" else "average"
            for col, value in ((2, line["value"]), (3, line["target"])):
                if value is None:
                    continue
                if percent:
                    sheet.write_number(
                        row, col, round(value / 100, 4), formats["percent"]
                    )
                else:
                    sheet.write_number(row, col, round(value, 2), formats[kind])
            if line["is_missed"]:
                sheet.write_string(row, 4, self.env._("Yes"))
