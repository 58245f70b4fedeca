import io
from collections import defaultdict

import pytz
import xlsxwriter

from odoo import api, models
from odoo.tools import SQL

from ..models.visit_record import SATISFACTION_FIELDS

# Rows are read and written this many at a time, then the cache is dropped:
# memory stays flat whatever the number of visits.
CHUNK = 5000


class VisitLedger(models.AbstractModel):
    """The visit ledger (回访台帐) as an xlsx workbook, written with xlsxwriter
    in constant-memory mode."""

    _name = "visit.ledger"
    _description = "Visit Ledger Export"

    @api.model
    def _columns(self):
        _ = self.env._
        return [
            (_("Number"), 16), (_("Customer"), 24), (_("Contact Person"), 16), (_("Phone"), 18),
            (_("Source"), 22), (_("Products"), 30), (_("Quantity"), 10), (_("Amount"), 12),
            (_("Delivery date"), 12), (_("Visit Type"), 18), (_("Channel"), 12), (_("Agent"), 16),
            (_("Scheduled"), 17), (_("Closed on"), 17), (_("Status"), 11), (_("Outcome"), 12),
            (_("Reason not reached"), 18), (_("Product quality"), 12), (_("Service attitude"), 12),
            (_("Timeliness"), 12), (_("Result"), 12), (_("Satisfaction Score"), 10), (_("Opinion"), 40),
        ]

    @api.model
    def _xlsx(self, domain):
        """Return the ledger of the visits matching ``domain`` as xlsx bytes."""
        Visit = self.env["visit.record"]
        ids = Visit._search(domain, order="scheduled_date, id").get_result_ids()
        output = io.BytesIO()
        # constant_memory: rows go to a temp file as they are written.
        # strings_to_formulas off: a customer named "=HYPERLINK(...)" stays text.
        workbook = xlsxwriter.Workbook(
            output,
            {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        day_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self._write_summary(workbook.add_worksheet(self.env._("Summary")), bold, domain, len(ids))
        sheet = workbook.add_worksheet(self.env._("Ledger"))
        for col, (title, width) in enumerate(self._columns()):
            sheet.set_column(col, col, width)
            sheet.write_string(0, col, title, bold)
        sheet.freeze_panes(1, 1)
        labels = {
            fname: dict(Visit._fields[fname]._description_selection(self.env))
            for fname in ("channel", "state", "outcome", "unreached_reason", *SATISFACTION_FIELDS)
        }
        row = 1
        Visit.flush_model()
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        for start in range(0, len(ids), CHUNK):
            for values in self._chunk_rows(ids[start:start + CHUNK], labels):
                row = self._write_row(sheet, row, values, date_fmt, day_fmt, tz)
            self.env.invalidate_all()
        workbook.close()
        return output.getvalue()

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
            entry[0] = f"{entry[0]}, {product.display_name}" if entry[0] else product.display_name
            entry[1] += quantity
        return result

    def _chunk_rows(self, ids, labels):
        """The ledger rows of some visits: one SQL query for the visits
        (``ids`` already passed the record rules in ``_search``), one batch
        per related model for the names, no per-record ORM access."""
        self.env.cr.execute(
            SQL(
                """SELECT id, name, partner_id, contact_id, phone, source_name, sale_order_id,
                          type_id, channel, user_id, scheduled_date, date_done, state, outcome,
                          unreached_reason, satisfaction_product, satisfaction_service,
                          satisfaction_timeliness, satisfaction_result, satisfaction_score,
                          is_rated, opinion
                     FROM visit_record WHERE id = ANY(%s)""",
                list(ids),
            )
        )
        rows = {row[0]: row for row in self.env.cr.fetchall()}
        partner_ids = {r[2] for r in rows.values()} | {r[3] for r in rows.values() if r[3]}
        partners = {p.id: p.display_name for p in self.env["res.partner"].browse(partner_ids)}
        types = {t.id: t.name for t in self.env["visit.type"].browse({r[7] for r in rows.values()})}
        users = {u.id: u.name for u in self.env["res.users"].browse({r[9] for r in rows.values() if r[9]})}
        orders = self.env["sale.order"].browse({r[6] for r in rows.values() if r[6]})
        lines = self._order_lines(orders)
        order_info = {o.id: (o.amount_total, o.commitment_date) for o in orders}
        for visit_id in ids:
            (_id, name, partner_id, contact_id, phone, source_name, order_id, type_id, channel,
             user_id, scheduled, done, state, outcome, reason, sat_product, sat_service,
             sat_time, sat_result, score, is_rated, opinion) = rows[visit_id]
            products, quantity = lines[order_id] if order_id else ("", 0.0)
            amount, delivery = order_info.get(order_id, ("", ""))
            yield [
                name, partners.get(partner_id, ""), partners.get(contact_id, ""), phone or "",
                source_name or "", products, quantity or "", amount, delivery or "",
                types.get(type_id, ""), labels["channel"].get(channel, ""), users.get(user_id, ""),
                scheduled, done or "", labels["state"].get(state, ""),
                labels["outcome"].get(outcome, ""), labels["unreached_reason"].get(reason, ""),
                labels["satisfaction_product"].get(sat_product, ""),
                labels["satisfaction_service"].get(sat_service, ""),
                labels["satisfaction_timeliness"].get(sat_time, ""),
                labels["satisfaction_result"].get(sat_result, ""),
                score if is_rated else "", opinion or "",
            ]

    def _write_row(self, sheet, row, values, date_fmt, day_fmt, tz):
        for col, value in enumerate(values):
            if value == "" or value is None or value is False:
                continue  # an empty cell costs nothing to leave out
            if hasattr(value, "year"):
                # Stored in UTC, shown in the user's time zone.
                local = pytz.utc.localize(value).astimezone(tz).replace(tzinfo=None)
                sheet.write_datetime(row, col, local, day_fmt if col == 8 else date_fmt)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(row, col, value)
            else:
                # write_string, never write(): nothing a customer typed is
                # ever read as a formula or a URL.
                sheet.write_string(row, col, str(value))
        return row + 1

    def _write_summary(self, sheet, bold, domain, total):
        """Counts per state and outcome, success rate, average satisfaction."""
        _ = self.env._
        Visit = self.env["visit.record"]
        sheet.set_column(0, 0, 34)
        sheet.set_column(1, 1, 14)
        sheet.write_string(0, 0, _("Visit ledger"), bold)
        sheet.write_string(0, 1, "", bold)
        if not total:
            sheet.write_string(1, 0, _("No visit matches this selection."))
            return
        states = dict(Visit._read_group(domain, ["state"], ["__count"]))
        reached = states.get("done", 0)
        attempted = reached + states.get("failed", 0)
        averages = Visit._read_group(
            domain + [("is_rated", "=", True)], [], ["satisfaction_score:avg", "__count"]
        )[0]
        rows = [
            (_("Visits"), total),
            (_("Done"), reached),
            (_("Failed"), states.get("failed", 0)),
            (_("Open"), states.get("planned", 0) + states.get("in_progress", 0)),
            (_("Cancelled"), states.get("cancelled", 0)),
            (_("Success rate (reached / attempted)"), reached / attempted if attempted else ""),
            (_("Rated visits"), averages[1]),
            (_("Average satisfaction (1-4)"), averages[0] if averages[1] else ""),
        ]
        for offset, (label, value) in enumerate(rows, start=1):
            sheet.write_string(offset, 0, label)
            if value == "":
                sheet.write_string(offset, 1, "-")
            else:
                sheet.write_number(offset, 1, value)
        # The indicators of these visits against the company's targets.
        Indicator = self.env["visit.indicator"]
        row = len(rows) + 2
        for col, title in enumerate((_("Indicator"), _("For"), _("Value"), _("Target"), _("Missed"))):
            sheet.write_string(row, col, title, bold)
        sheet.set_column(2, 4, 12)
        labels = Indicator._indicator_labels()
        # The cases of the exported visits (cancelled ones are not owed).
        # _search applies the user's record rules: the cases are those of
        # visits the user may read, so reading them needs no more than that.
        cases = [("kind", "=", "visit"), ("record_id", "in", Visit._search(domain))]
        company = Visit.search(domain, limit=1).company_id or self.env.company
        # sudo: visit.case is readable by managers only; an agent's export
        # is restricted to their own visits by the subquery above.
        for line in Indicator.sudo()._compute_domain(cases, company):
            row += 1
            sheet.write_string(row, 0, labels.get(line["indicator"], line["indicator"]))
            sheet.write_string(row, 1, line["label"] or "")
            if line["value"] is not None:
                sheet.write_number(row, 2, line["value"])
            if line["target"] is not None:
                sheet.write_number(row, 3, line["target"])
            if line["is_missed"]:
                sheet.write_string(row, 4, _("Yes"))
