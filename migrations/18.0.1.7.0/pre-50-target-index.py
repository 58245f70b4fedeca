"""The targets' unique index is made once by ``visit.target.init()`` (it was
dropped and made again at every update): drop the one an earlier version
made, so that the update makes it with today's definition."""


def migrate(cr, version):
    if version:
        cr.execute("DROP INDEX IF EXISTS visit_target_indicator_uniq")
