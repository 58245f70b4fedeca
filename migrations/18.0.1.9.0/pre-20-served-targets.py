"""Targets per served person (18.0.1.9.0): ``visit.target.init()`` makes
the targets' unique index once, now with the served person in it; drop the
one of 18.0.1.8.0 so that the update makes it with the new definition (the
old one would refuse a second person's target of the same indicator)."""


def migrate(cr, version):
    if version:
        cr.execute("DROP INDEX IF EXISTS visit_target_indicator_uniq")
