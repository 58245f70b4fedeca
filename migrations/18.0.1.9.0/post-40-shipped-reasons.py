"""The shipped types are ``noupdate``: a database installed before reasons for
low scores existed kept its types without them. Each shipped type that
offers none gets the reasons it ships with, as a new database has them."""

from odoo import SUPERUSER_ID, Command, api

# {shipped type: the reasons it offers} as data/visit_type_data.xml has them.
SHIPPED_REASONS = {
    "visit_type_complaint": (
        "attitude",
        "waiting_time",
        "not_solved",
        "communication",
    ),
    "visit_type_repair": (
        "product_quality",
        "attitude",
        "waiting_time",
        "not_solved",
        "price",
    ),
    "visit_type_after_sale": (
        "product_quality",
        "attitude",
        "waiting_time",
        "price",
        "communication",
    ),
    "visit_type_discharge": ("attitude", "waiting_time", "communication", "price"),
}


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    for type_xmlid, reasons in SHIPPED_REASONS.items():
        visit_type = env.ref(f"customer_visit.{type_xmlid}", raise_if_not_found=False)
        if not visit_type or visit_type.score_reason_ids:
            continue
        offered = [
            env.ref(
                f"customer_visit.visit_score_reason_{key}", raise_if_not_found=False
            )
            for key in reasons
        ]
        visit_type.score_reason_ids = [
            Command.set([reason.id for reason in offered if reason])
        ]
