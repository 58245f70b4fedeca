# Run by bench/run.sh lifecycle inside `odoo shell` (`env` is given), once
# per step (CV_LIFECYCLE_STEP):
#   data      plan what the demo rules owe, log a few outcomes (more data)
#   snapshot  write a fingerprint of every visit, plan, answer and attempt
#   compare   compare the fingerprint with the snapshot, after the update
#   uninstall uninstall the addon, then check what it leaves behind
import hashlib
import json
import os
import sys

STEP = os.environ["CV_LIFECYCLE_STEP"]
SNAPSHOT = os.environ["CV_LIFECYCLE_FILE"]
env = env  # noqa: F821, PLW0127 -- given by odoo shell
cr = env.cr

TABLES = {
    "visit_record": "id, name, state, partner_id, user_id, plan_id, scheduled_date, deadline, outcome, "
    "opinion, satisfaction_service, signature_hash, rule_step_id, occurrence",
    "visit_plan": "id, name, state, partner_id, rule_id, rule_source_id, sale_order_id, ticket_id",
    "visit_answer": "id, record_id, question_id, value_yes_no, value_rating, value_text",
    "visit_attempt": "id, record_id, result, date, user_id",
    "visit_rule": "id, domain, coverage, sample_percent",
}


def fingerprint():
    result = {}
    for table, columns in TABLES.items():
        cr.execute(f"SELECT {columns} FROM {table} ORDER BY id")  # noqa: S608 -- constant names
        rows = cr.fetchall()
        result[table] = [len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()]
    return result


def others():
    """Partners, orders and tickets that the addon did not create."""
    counts = {}
    for model in ("res.partner", "sale.order", "helpdesk.ticket"):
        cr.execute(
            f"SELECT count(*) FROM {env[model]._table} t WHERE NOT EXISTS (SELECT 1 FROM ir_model_data d "  # noqa: S608
            "WHERE d.model = %s AND d.res_id = t.id AND d.module = 'customer_visit')",
            [model],
        )
        counts[model] = cr.fetchone()[0]
    return counts


if STEP == "data":
    # More than the demo: 500 visits of the demo customers, then what the
    # demo rules owe.
    customers = env["visit.record"].search([]).partner_id
    env["visit.record"].create(
        [
            {
                "partner_id": customers[i % len(customers)].id,
                "type_id": env.ref("customer_visit.visit_type_repair").id,
                "channel": "phone",
                "user_id": env.ref("base.user_admin").id,
            }
            for i in range(500)
        ]
    )
    env["visit.rule"].search([])._generate_batch()
    logged = 0
    for visit in env["visit.record"].search(
        [("state", "=", "planned"), ("channel", "=", "phone")], limit=20
    ):
        if set(visit.type_id.question_ids.mapped("answer_kind")) - {
            "yes_no",
            "rating",
            "text",
        }:
            continue  # a choice question: keep the script simple
        wizard = (
            env["visit.outcome.wizard"]
            .with_context(active_model="visit.record", active_id=visit.id)
            .create(
                {
                    "outcome": "reached",
                    "satisfaction_service": "satisfied",
                    "opinion": "Upgrade check",
                }
            )
        )
        for answer in wizard.answer_ids:
            answer.write(
                {"value_yes_no": "yes"}
                if answer.answer_kind == "yes_no"
                else {"value_rating": 5}
                if answer.answer_kind == "rating"
                else {"value_text": "ok"}
            )
        wizard.action_confirm()
        logged += 1
    cr.commit()
    print(f"outcomes logged: {logged}")
    print(
        f"data: {env['visit.record'].search_count([])} visits, "
        f"{env['visit.plan'].search_count([])} plans"
    )
elif STEP == "snapshot":
    with open(SNAPSHOT, "w") as file:
        json.dump({"fingerprint": fingerprint(), "others": others()}, file)
    print("snapshot:", ", ".join(f"{t} {n}" for t, (n, _h) in fingerprint().items()))
elif STEP == "compare":
    with open(SNAPSHOT) as file:
        before = json.load(file)
    after = fingerprint()
    changed = [
        table for table in TABLES if before["fingerprint"][table] != after[table]
    ]
    print(
        "after the update:",
        ", ".join(f"{t} {n}" for t, (n, _h) in after.items()),
        f"- {'identical' if not changed else 'CHANGED: ' + ', '.join(changed)}",
    )
    sys.exit(1 if changed else 0)
elif STEP == "uninstall":
    with open(SNAPSHOT) as file:
        before = json.load(file)
    module = env["ir.module.module"].search([("name", "=", "customer_visit")])
    module.button_immediate_uninstall()
    env.invalidate_all()
    problems = []
    cr.execute(
        "SELECT model, count(*) FROM ir_model_data WHERE module = 'customer_visit' "
        "GROUP BY model"
    )
    left = dict(cr.fetchall())
    # Demo customers still referenced by visits the users made are kept, as
    # Odoo keeps any record it cannot delete (plans restrict their partner).
    kept_partners = left.pop("res.partner", 0)
    if left:
        problems.append(f"records of the addon left: {left}")
    cr.execute(
        "SELECT count(*) FROM ir_cron c JOIN ir_act_server s ON s.id = "
        "c.ir_actions_server_id "
        "WHERE s.model_name LIKE 'visit.%%'"
    )
    if crons := cr.fetchone()[0]:
        problems.append(f"{crons} crons left")
    cr.execute(
        "SELECT count(*) FROM ir_ui_menu WHERE action LIKE 'ir.actions.act_window,%%' "
        "AND "
        "split_part(action, ',', 2)::int NOT IN (SELECT id FROM ir_act_window)"
    )
    if menus := cr.fetchone()[0]:
        problems.append(f"{menus} menus pointing to deleted actions")
    cr.execute(
        "SELECT count(*) FROM mail_activity_type WHERE res_model LIKE 'visit.%%'"
    )
    if types := cr.fetchone()[0]:
        problems.append(f"{types} activity types left")
    cr.execute("SELECT count(*) FROM mail_activity WHERE res_model LIKE 'visit.%%'")
    if activities := cr.fetchone()[0]:
        problems.append(f"{activities} activities left")
    cr.execute(
        "SELECT to_regclass('visit_record') IS NULL AND to_regclass('visit_plan') IS "
        "NULL"
    )
    if not cr.fetchone()[0]:
        problems.append("tables left")
    # What stays: partners, orders and tickets, and their views still open.
    if others() != before["others"]:
        problems.append(
            f"partners, orders or tickets lost: {before['others']} -> {others()}"
        )
    for model in ("res.partner", "sale.order", "helpdesk.ticket"):
        env[model].get_views([(False, "form"), (False, "list")])
        record = env[model].search([], limit=1)
        record.read(list(record._fields)[:50])
        record.write({"name": record.name})
    for field in ("visit_phone", "do_not_visit", "visit_count"):
        if field in env["res.partner"]._fields:
            problems.append(f"res.partner.{field} left")
    cr.commit()
    print(
        "uninstall:",
        "; ".join(problems)
        if problems
        else f"clean (no record, cron, menu, activity type, activity or table of the addon left; "
        f"{', '.join(f'{m} {n}' for m, n in others().items())} kept and usable; "
        f"{kept_partners} demo customers kept, still referenced when their visits "
        "were dropped)",
    )
    sys.exit(1 if problems else 0)
