"""The counted items' part of a visit's satisfaction is stored (18.0.1.9.0)
so that the cases average it with the aspects: made here at 0, which it is
for every visit without counted items (the post script computes the
others), rather than computed by the ORM for every visit at the update."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        ALTER TABLE visit_record
            ADD COLUMN IF NOT EXISTS satisfaction_item_total double precision,
            ADD COLUMN IF NOT EXISTS satisfaction_item_count integer
        """
    )
    cr.execute(
        """
        UPDATE visit_record
           SET satisfaction_item_total = 0, satisfaction_item_count = 0
         WHERE satisfaction_item_count IS NULL
        """
    )
