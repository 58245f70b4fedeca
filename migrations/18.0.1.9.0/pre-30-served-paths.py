"""Served paths (18.0.1.9.0): a rule's *Served by* and *Product served*
were fields of its source (many2ones to ir.model.fields); they are now
dotted paths of field names. Each rule's field becomes the path made of
its name alone (``user_id``), before the update loads the new fields; the
old columns go, on the rules and on the (transient) batch wizards."""

from odoo.tools import SQL, sql

OLD_TO_NEW = {
    "served_by_field_id": "served_by_path",
    "served_product_field_id": "served_product_path",
}


def migrate(cr, version):
    if not version:
        return
    for old, new in OLD_TO_NEW.items():
        if not sql.column_exists(cr, "visit_rule", old):
            continue
        if not sql.column_exists(cr, "visit_rule", new):
            sql.create_column(cr, "visit_rule", new, "varchar")
        cr.execute(
            SQL(
                """
                UPDATE visit_rule AS rule
                   SET %(new)s = field.name
                  FROM ir_model_fields AS field
                 WHERE field.id = rule.%(old)s
                   AND rule.%(new)s IS NULL
                """,
                new=SQL.identifier(new),
                old=SQL.identifier(old),
            )
        )
        cr.execute(SQL("ALTER TABLE visit_rule DROP COLUMN %s", SQL.identifier(old)))
    for old in OLD_TO_NEW:
        if sql.column_exists(cr, "visit_batch_wizard", old):
            cr.execute(
                SQL(
                    "ALTER TABLE visit_batch_wizard DROP COLUMN %s",
                    SQL.identifier(old),
                )
            )
