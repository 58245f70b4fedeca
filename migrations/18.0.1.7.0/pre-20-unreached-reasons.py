"""Visits and attempts link to their reason not reached instead of storing
its code.

Until 18.0.1.6.0 a visit's ``unreached_reason`` and an attempt's
``result`` held a reason's ``code`` (a dynamic selection read from the
reasons' table). The new columns are made and filled here, before the
models load, with a join on the code: ``visit_record.unreached_reason_id``
and ``visit_attempt.reason_id`` (the attempt's ``result`` becomes
``not_reached``). A code no reason has any more (none should) is not lost:
it gets an archived reason of its own, retried as unknown codes were.
Odoo drops the old ``unreached_reason`` column with its field.
"""

from odoo.tools import SQL
from odoo.tools.sql import column_exists, table_exists


def migrate(cr, version):
    if not version or not table_exists(cr, "visit_unreached_reason"):
        return
    codes = [
        SQL(
            "SELECT result FROM visit_attempt "
            "WHERE result NOT IN ('reached', 'not_reached')"
        )
    ]
    if has_reason := column_exists(cr, "visit_record", "unreached_reason"):
        codes.append(
            SQL(
                "SELECT unreached_reason FROM visit_record "
                "WHERE unreached_reason IS NOT NULL"
            )
        )
    # A code no reason has: an archived reason of its own (unknown codes
    # were retried).
    cr.execute(
        SQL(
            """
            INSERT INTO visit_unreached_reason
                   (name, code, sequence, active, behaviour, create_date, write_date)
            SELECT jsonb_build_object('en_US', lost.code), lost.code, 100, FALSE,
                   'retry', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
              FROM (%s) AS lost(code)
             WHERE NOT EXISTS (
                   SELECT 1 FROM visit_unreached_reason reason
                    WHERE reason.code = lost.code
                   )
            """,
            SQL(" UNION ").join(codes),
        )
    )
    cr.execute("ALTER TABLE visit_attempt ADD COLUMN IF NOT EXISTS reason_id integer")
    cr.execute(
        """
        UPDATE visit_attempt attempt
           SET reason_id = reason.id,
               result = 'not_reached'
          FROM visit_unreached_reason reason
         WHERE reason.code = attempt.result
           AND attempt.reason_id IS NULL
           AND attempt.result != 'reached'
        """
    )
    cr.execute(
        "ALTER TABLE visit_record ADD COLUMN IF NOT EXISTS unreached_reason_id integer"
    )
    if has_reason:
        cr.execute(
            """
            UPDATE visit_record visit
               SET unreached_reason_id = reason.id
              FROM visit_unreached_reason reason
             WHERE reason.code = visit.unreached_reason
            """
        )
