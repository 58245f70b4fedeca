"""The files of the reports sent move from the company to the report.

Before this version the follow-up report (PDF) and the visit ledger (xlsx)
mailed each report cycle were attached to the company, which every
employee can read: anyone could find them and download them. They are
moved to a ``visit.report.run`` of their company and period, which only
the company's visit managers read. A file whose period cannot be read from
its name is deleted (the managers received it by mail).

The addon's files are recognised by their names, as the addon wrote them
in every installed language: ``Follow-up report 2026-03.pdf``, ``Visit
ledger 2026-02-23_2026-03-22.xlsx``.
"""

import logging
import re
from collections import defaultdict
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, api
from odoo.tools.translate import code_translations

from odoo.addons.customer_visit.models.visit_record import XLSX_MIMETYPE

_logger = logging.getLogger(__name__)

PATTERNS = ("Follow-up report %s.pdf", "Visit ledger %s.xlsx")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})$")


def _name_patterns(env):
    """The regular expressions of the files' names, in every language."""
    langs = [lang for lang, _name in env["res.lang"].get_installed()]
    patterns = set(PATTERNS)
    for lang in langs:
        translations = code_translations.get_python_translations("customer_visit", lang)
        patterns.update(translations.get(pattern) or pattern for pattern in PATTERNS)
    return [
        re.compile("^%s$" % re.escape(pattern).replace("%s", "(.+)"))
        for pattern in patterns
    ]


def _period(label):
    """(date_from, date_to) of a file's label, or None."""
    if match := MONTH.match(label):
        start = date(int(match[1]), int(match[2]), 1)
        return start, start + relativedelta(months=1, days=-1)
    if match := RANGE.match(label):
        return date.fromisoformat(match[1]), date.fromisoformat(match[2])
    return None


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    patterns = _name_patterns(env)
    attachments = env["ir.attachment"].search(
        [
            ("res_model", "=", "res.company"),
            ("res_field", "=", False),
            ("mimetype", "in", ("application/pdf", XLSX_MIMETYPE)),
        ]
    )
    groups = defaultdict(lambda: env["ir.attachment"])
    orphans = env["ir.attachment"]
    for attachment in attachments:
        label = next(
            (
                match[1]
                for pattern in patterns
                if (match := pattern.match(attachment.name or ""))
            ),
            None,
        )
        if label is None:
            continue  # not a file of the addon
        period = _period(label)
        if period is None:
            orphans |= attachment
            continue
        groups[attachment.res_id, label, period] |= attachment
    moved = runs = 0
    for (company_id, label, (date_from, date_to)), files in groups.items():
        company = env["res.company"].browse(company_id).exists()
        if not company:
            orphans |= files
            continue
        run = env["visit.report.run"].create(
            {
                "name": "Follow-up report %s" % label.replace("_", " – "),
                "company_id": company.id,
                "date_from": date_from,
                "date_to": date_to,
            }
        )
        files.write({"res_model": run._name, "res_id": run.id})
        moved += len(files)
        runs += 1
    if orphans:
        orphans.unlink()
    _logger.info(
        "Follow-up reports: %s files moved to %s reports sent, %s deleted",
        moved,
        runs,
        len(orphans),
    )
