"""A rule's template is a record: the key a rule kept becomes its id.

Until 18.0.1.6.0 the templates were a list of keys (``repair``, ``sale``,
...) in the code; they are now the ``visit.rule.template`` records the
module ships, which a company edits and translates. A rule that stored the
key of its template (a ``template`` column) points to the shipped record
of that key; a key with no shipped record is left as it was.
"""

import logging

from odoo.tools.sql import column_exists

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version or not column_exists(cr, "visit_rule", "template"):
        return
    cr.execute(
        """
        UPDATE visit_rule rule
           SET template_id = data.res_id
          FROM ir_model_data data
         WHERE data.module = 'customer_visit'
           AND data.model = 'visit.rule.template'
           AND data.name = 'visit_rule_template_' || rule.template
           AND rule.template_id IS NULL
        """
    )
    _logger.info("customer_visit: %s rules point to their template", cr.rowcount)
