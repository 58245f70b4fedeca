# Run by bench/run.sh inside `odoo shell` (`env` is given): the load test's
# data. CV_BENCH_AGENTS agents (login and password agent_<i>), each with
# CV_BENCH_VISITS due phone visits of a 2-question script.
import os
from datetime import timedelta

from odoo import Command, fields

AGENTS = int(os.environ.get("CV_BENCH_AGENTS", "20"))
VISITS = int(os.environ.get("CV_BENCH_VISITS", "150"))
env = env(
    context=dict(
        env.context,
        tracking_disable=True,
        mail_create_nolog=True,  # noqa: F821
        mail_create_nosubscribe=True,
    )
)
group = env.ref("customer_visit.group_visit_user")
agents = env["res.users"].create(
    [
        {
            "name": f"Agent {i}",
            "login": f"agent_{i}",
            "password": f"agent_{i}",
            "tz": "Asia/Shanghai",
            "groups_id": [Command.link(group.id)],
        }
        for i in range(AGENTS)
    ]
)
visit_type = env["visit.type"].create(
    {
        "name": "Load-test callback",
        "default_channel": "phone",
        "question_ids": [
            Command.create(
                {"name": "Is the product working?", "answer_kind": "yes_no"}
            ),
            Command.create({"name": "Rate the service", "answer_kind": "rating"}),
        ],
    }
)
partners = env["res.partner"].create(
    [
        {
            "name": f"客户 {i}",
            "mobile": f"+86 138 {i // 10000:04d} {i % 10000:04d}",
            "country_id": env.ref("base.cn").id,
        }
        for i in range(AGENTS * VISITS)
    ]
)
due = fields.Datetime.now() - timedelta(hours=1)
env["visit.record"].create(
    [
        {
            "partner_id": partner.id,
            "type_id": visit_type.id,
            "channel": "phone",
            "user_id": agents[i % AGENTS].id,
            "scheduled_date": due,
            "deadline": due + timedelta(days=2),
        }
        for i, partner in enumerate(partners)
    ]
)
env.cr.commit()
print(f"fixture: {AGENTS} agents, {AGENTS * VISITS} due visits")
