"""The shipped visit types try an unanswered customer more than once.

Until this version seven of the nine shipped types allowed one attempt,
so a customer who did not answer once (*No answer*, *Switched off*: the
reasons that mean "retry later") failed the visit at once. The types are
shipped ``noupdate``: the upgrade raises the policy of those a company
left as shipped, and never one whose attempts it changed. Visits already
planned keep the policy they were planned with.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)

# xml id: (attempts as shipped before, attempts now, delay in hours now);
# the delay changes only with the attempts, and only if still as shipped (4).
POLICIES = {
    "visit_type_complaint": (3, 4, 4),
    "visit_type_repair": (1, 3, 4),
    "visit_type_after_sale": (1, 3, 24),
    "visit_type_survey": (1, 2, 4),
    "visit_type_discharge": (1, 3, 4),
    "visit_type_new_contract": (2, 3, 24),
    "visit_type_warranty": (1, 2, 24),
    "visit_type_relationship": (1, 2, 24),
    "visit_type_welfare": (1, 2, 24),
}
SHIPPED_DELAY = 4


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, (old, attempts, delay) in POLICIES.items():
        visit_type = env.ref(f"customer_visit.{xmlid}", raise_if_not_found=False)
        if not visit_type or visit_type.max_attempts != old:
            continue
        values = {"max_attempts": attempts}
        if visit_type.retry_delay_hours == SHIPPED_DELAY:
            values["retry_delay_hours"] = delay
        visit_type.write(values)
        _logger.info(
            "Visit type %s: %s attempts, %s hours apart (was %s attempts)",
            visit_type.name,
            attempts,
            visit_type.retry_delay_hours,
            old,
        )
