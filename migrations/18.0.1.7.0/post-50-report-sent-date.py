"""Reports kept before *Sent on* existed were sent when they were made (this
ran at every update from ``visit.report.run.init()``; once is enough)."""


def migrate(cr, version):
    if version:
        cr.execute(
            "UPDATE visit_report_run SET sent_date = create_date "
            "WHERE sent_date IS NULL AND state = 'sent'"
        )
