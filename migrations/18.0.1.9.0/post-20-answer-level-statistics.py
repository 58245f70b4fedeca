"""The answers' level has an index of its own (18.0.1.9.0,
``visit.answer.analysis.init()``): gather its statistics now, so that the
per-item statistics are hashed in memory from the first request after the
update, not only after the next automatic ANALYZE."""


def migrate(cr, version):
    if version:
        cr.execute("ANALYZE visit_answer")
