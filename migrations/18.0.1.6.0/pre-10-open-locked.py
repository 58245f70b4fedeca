"""A visit's stored ``is_open`` and ``is_locked``, filled in SQL.

Odoo would compute the two new stored fields in Python for every visit of
the table at the update; the columns are made and filled here from the
state and the signature instead, as their computes would (see
visit.record._open_and_locked_of), and Odoo leaves existing columns as
they are.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        ALTER TABLE visit_record
            ADD COLUMN IF NOT EXISTS is_open boolean,
            ADD COLUMN IF NOT EXISTS is_locked boolean
        """
    )
    cr.execute(
        """
        UPDATE visit_record
           SET is_open = state IN ('planned', 'in_progress'),
               is_locked = state NOT IN ('planned', 'in_progress')
                           OR signature_hash IS NOT NULL
        """
    )
