"""Unreached policies move to visit types and fallback chains.

Until 18.0.1.0.0 a rule carried one fallback channel and its own attempts,
and each visit one fallback channel: keep them.  Every existing rule keeps
its own policy (it overrides its types'), its fallback channel becomes the
first of its chain, and every visit's fallback channel the first of its
chain, already taken when the visit used it.
"""


def _has_column(cr, table, column):
    cr.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
        [table, column],
    )
    return bool(cr.fetchone())


def migrate(cr, version):
    if not version:
        return
    cr.execute("UPDATE visit_rule SET override_unreached_policy = TRUE")
    if _has_column(cr, "visit_rule", "fallback_channel"):
        cr.execute(
            """
            INSERT INTO visit_fallback_step (rule_id, sequence, channel, create_uid, create_date,
                                             write_uid, write_date)
            SELECT id, 10, fallback_channel, 1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC'
              FROM visit_rule
             WHERE fallback_channel IS NOT NULL
            """
        )
    if _has_column(cr, "visit_record", "fallback_channel"):
        cr.execute(
            """
            UPDATE visit_record
               SET fallback_channels = fallback_channel,
                   fallback_step = CASE WHEN is_fallback_done THEN 1 ELSE 0 END
             WHERE fallback_channel IS NOT NULL
            """
        )
