# Run by bench/run.sh inside `odoo shell` (`env` is given): the portal
# test's data. CV_BENCH_ANSWERS open e-mail visits already sent (as the
# Dispatch job leaves them), each of its own customer, with a 3-question
# script (yes/no, rating, text) and its access token; a few more to warm the
# workers up. Writes their ids, tokens and question ids as JSON to
# CV_BENCH_PORTAL_FILE.
import json
import os
from datetime import timedelta

from odoo import Command, fields

ANSWERS = int(os.environ.get("CV_BENCH_ANSWERS", "1000"))
WARMUP = 10
env = env(  # noqa: F821 (odoo shell)
    context=dict(
        env.context,  # noqa: F821
        # As the Generate job creates visits (models/visit_rule.py).
        tracking_disable=True,
        mail_create_nolog=True,
        mail_create_nosubscribe=True,
    )
)
agent = env["res.users"].create(
    {
        "name": "Agent",
        "login": "bench_portal_agent",
        "email": "agent@example.com",
        "groups_id": [Command.link(env.ref("customer_visit.group_visit_user").id)],
    }
)
visit_type = env["visit.type"].create(
    {
        "name": "Portal benchmark",
        "default_channel": "email",
        "question_ids": [
            Command.create(
                {
                    "name": "Is the product working?",
                    "answer_kind": "yes_no",
                    "problem_yes_no": "no",
                }
            ),
            Command.create({"name": "Rate the installer", "answer_kind": "rating"}),
            Command.create({"name": "Anything to add?", "answer_kind": "text"}),
        ],
    }
)
partners = env["res.partner"].create(
    [
        {
            "name": f"客户 {i}",
            "email": f"customer{i}@example.cn",
            "mobile": f"+86 138 {i // 10000:04d} {i % 10000:04d}",
            "country_id": env.ref("base.cn").id,
        }
        for i in range(ANSWERS + WARMUP)
    ]
)
sent = fields.Datetime.now() - timedelta(hours=3)
visits = env["visit.record"].create(
    [
        {
            "partner_id": partner.id,
            "type_id": visit_type.id,
            "channel": "email",
            "user_id": agent.id,
            "scheduled_date": sent,
            "deadline": sent + timedelta(days=7),
        }
        for partner in partners
    ]
)
visits.write(
    {"dispatch_state": "sent", "dispatch_channel": "email", "dispatch_date": sent}
)
rows = [
    {
        "id": visit.id,
        "token": visit._portal_ensure_token(),
        "questions": [
            {"id": answer.question_id.id, "kind": answer.answer_kind}
            for answer in visit.answer_ids
            if not answer.question_id.aspect
        ],
        # The aspects are items too: the page posts them as answers.
        "aspects": {
            answer.question_id.aspect: answer.question_id.id
            for answer in visit.answer_ids
            if answer.question_id.aspect
        },
    }
    for visit in visits
]
env.cr.commit()
with open(os.environ["CV_BENCH_PORTAL_FILE"], "w") as out:
    json.dump({"visits": rows[:ANSWERS], "warmup": rows[ANSWERS:]}, out)
print(
    f"fixture: {ANSWERS} open e-mail visits sent 3 hours ago, "
    f"{len(visit_type.question_ids)} questions each (+{WARMUP} to warm up)"
)
