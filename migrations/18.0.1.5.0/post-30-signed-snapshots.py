"""Signed visits get the snapshot a signed sheet is printed from.

Before this version a signature's hash covered the answers by question id
only, so a question reworded later changed what the printed sheet showed
beside the customer's answer. Each visit signed before the upgrade whose
hash still matches the content it covered gets its snapshot now (the
questions as worded at the upgrade, the closest known to what was signed)
and a hash of that snapshot: it keeps validating. A visit whose hash did
not match any more keeps its old hash and no snapshot: it shows as not
matching, as it did.
"""

import hashlib
import json
import logging

from odoo import SUPERUSER_ID, api, fields

_logger = logging.getLogger(__name__)

SATISFACTION_FIELDS = (
    "satisfaction_product",
    "satisfaction_service",
    "satisfaction_timeliness",
    "satisfaction_result",
)


def legacy_digest(visit):
    """The hash 18.0.1.4.0 stored at signing (its formula, kept here)."""
    answers = [
        [
            answer.question_id.id,
            answer.value_yes_no or "",
            answer.value_rating or 0,
            answer.value_text or "",
        ]
        for answer in visit.answer_ids.sorted(lambda a: (a.sequence, a.question_id.id))
    ]
    content = {
        "number": visit.name,
        "partner": visit.partner_id.id,
        "outcome": visit.outcome or "",
        "reason": visit.unreached_reason_id.code or "",
        "identity_confirmed": bool(visit.identity_confirmed),
        "satisfaction": [visit[fname] or "" for fname in SATISFACTION_FIELDS],
        "opinion": visit.opinion or "",
        "answers": answers,
        "signed_by": visit.signed_by or "",
        "signed_on": fields.Datetime.to_string(visit.signed_on) or "",
        "signature": hashlib.sha256(visit._signature_image()).hexdigest(),
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def freeze_legacy_signatures(env):
    """Snapshot every signed visit without one whose old hash matches;
    return (frozen, left as not matching)."""
    visits = env["visit.record"].search(
        [("signature_hash", "!=", False), ("signed_content", "=", False)]
    )
    frozen = mismatched = 0
    for visit in visits:
        if legacy_digest(visit) != visit.signature_hash:
            mismatched += 1
            _logger.warning(
                "Visit %s: its signature did not match before the upgrade; "
                "left without a snapshot",
                visit.name,
            )
            continue
        content = visit._signed_content()
        # In SQL: write() refuses any change of a signed visit's content.
        env.cr.execute(
            "UPDATE visit_record SET signed_content = %s, signature_hash = %s "
            "WHERE id = %s",
            [content, visit._content_digest(content), visit.id],
        )
        frozen += 1
    visits.invalidate_recordset(["signed_content", "signature_hash"])
    return frozen, mismatched


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    frozen, mismatched = freeze_legacy_signatures(env)
    _logger.info(
        "Signed visits: %s snapshots made, %s left as not matching", frozen, mismatched
    )
