# Run by bench/run.sh inside `odoo shell` (`env` is given): schedules
# follow-up visits for N confirmed sale orders with the batch wizard and
# prints wall time, queries and peak memory of each step.
import os
import resource
import time

N = int(os.environ.get("CV_BENCH_N", "10000"))
cn = env.ref("base.cn")  # noqa: F821 (odoo shell)
env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))  # noqa: F821


def measure(label, func):
    queries = env.cr.sql_log_count
    start = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{label:<34} {elapsed:8.2f} s {env.cr.sql_log_count - queries:9d} queries   "
        f"peak RSS {peak:7.0f} MB"
    )
    return result


partners = measure(
    f"create {N} partners",
    lambda: env["res.partner"].create(
        [
            {
                "name": f"客户 {i}",
                "mobile": f"+86 138 {i // 10000:04d} {i % 10000:04d}",
                "country_id": cn.id,
            }
            for i in range(N)
        ]
    ),
)
# The orders' salesperson, whom "keep the owner" assigns the visits to (the
# shell's own user is the inactive superuser: nobody to give an activity to).
salesperson = env["res.users"].create(
    {
        "name": "Salesperson",
        "login": "bench_salesperson",
        "groups_id": [
            (4, env.ref("customer_visit.group_visit_user").id),
            (4, env.ref("sales_team.group_sale_salesman").id),
        ],
    }
)
orders = measure(
    f"create {N} confirmed orders",
    lambda: env["sale.order"].create(
        [
            {"partner_id": partner.id, "state": "sale", "user_id": salesperson.id}
            for partner in partners
        ]
    ),
)
visit_type = env.ref("customer_visit.visit_type_after_sale")
env.flush_all()
wizard = (
    env["visit.batch.wizard"]
    .with_context(active_model="sale.order", active_ids=orders.ids)
    .create({"type_id": visit_type.id, "channel": "phone"})
)
measure(f"preview {N} selected orders", wizard.action_preview)
print(f"  to create {wizard.to_create_count}, skipped {wizard.skipped_count}")
action = measure(
    f"create {wizard.to_create_count} visits",
    lambda: (wizard.action_confirm(), env.flush_all())[0],
)
visits = env["visit.record"].search(action["domain"])
activities = env["mail.activity"].search_count(
    [("res_model", "=", "visit.record"), ("res_id", "in", visits.ids)]
)
print(f"  visits {len(visits)}, plans {len(visits.plan_id)}, activities {activities}")
env.cr.rollback()
