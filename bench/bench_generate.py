# Run by bench/run.sh inside `odoo shell` (`env` is given): creates N
# sources (half closed helpdesk tickets, half confirmed sale orders), runs
# the Generate cron jobs with Odoo's cron runner in CV_BENCH_LANES cron
# worker processes (2, a server's default; 1 for a single worker), then
# schedules the same visits the naive way (one create and one
# activity_schedule() per record) on a copy of the data, and prints the
# figures.
import json
import os
import sys
import time
from datetime import timedelta

from odoo import Command

from odoo.addons.customer_visit.models.visit_rule import GENERATE_BATCH

N = int(os.environ.get("CV_BENCH_N", "1000"))
NAIVE_N = min(N, int(os.environ.get("CV_BENCH_NAIVE_N", "1000")))
env = env(
    context=dict(
        env.context,
        tracking_disable=True,
        mail_create_nolog=True,  # noqa: F821
        mail_create_nosubscribe=True,
        mail_notrack=True,
    )
)
cr = env.cr


def copy_rows(table, template_id, count, overrides):
    """Fixture only: clone one ORM-created row ``count`` times in SQL."""
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND "
        "column_name != 'id'",
        [table],
    )
    columns = [name for (name,) in cr.fetchall()]
    select = [overrides.get(name, f'"{name}"') for name in columns]
    names = ", ".join(f'"{name}"' for name in columns)
    cr.execute(
        f'INSERT INTO "{table}" ({names}) '
        f'SELECT {", ".join(select)} FROM "{table}", generate_series(1, %s) AS g WHERE id = %s',
        [count, template_id],
    )


def cron_worker(go_end, report_end):
    """A cron worker process: its own connections, Odoo's cron runner.

    Forked before the fixture is built (like the cron workers of a server,
    forked from a master that did no work), it waits for the ids of the
    Generate jobs to run, then runs jobs until none of them is ready.
    """
    import odoo.sql_db

    from odoo.addons.base.models.ir_cron import ir_cron as IrCron
    from odoo.addons.customer_visit.models.visit_rule import VisitRule

    # New connections: the parent's stay open (never used, never closed here).
    odoo.sql_db._Pool = None
    env.registry._db = odoo.sql_db.db_connect(cr.dbname)
    with os.fdopen(go_end, "rb") as go:
        line = go.readline()
    if not line:
        os._exit(0)  # the parent stopped before the cron run
    job_ids = tuple(json.loads(line))
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # peak RSS from here on
    batches = []
    original = VisitRule._generate_batch

    def timed(self, *args, **kwargs):
        started = time.perf_counter()
        result = original(self, *args, **kwargs)
        batches.append((time.perf_counter() - started, result[0]))
        return result

    VisitRule._generate_batch = timed
    queries_before, error = odoo.sql_db.sql_counter, None
    try:
        while True:
            IrCron._process_jobs(cr.dbname)
            with env.registry.cursor() as check:
                check.execute(
                    "SELECT count(*) FROM ir_cron WHERE id IN %s AND nextcall <= "
                    "now() AT TIME ZONE 'UTC'",
                    [job_ids],
                )
                if not check.fetchone()[0]:
                    break
            time.sleep(0.1)  # the other worker holds the last ready job
    except Exception as exc:  # noqa: BLE001 -- reported to the parent
        error = repr(exc)
    with open("/proc/self/status") as status:
        peak = (
            next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
            / 1024
        )
    os.write(
        report_end,
        json.dumps(
            {
                "batches": batches,
                "queries": odoo.sql_db.sql_counter - queries_before,
                "peak_mb": peak,
                "error": error,
            }
        ).encode(),
    )
    os._exit(0)


LANES = int(os.environ.get("CV_BENCH_LANES", "2"))
workers = []  # (pid, go pipe), then the reports are read from report pipes
reports_ends = []
if not os.environ.get("CV_BENCH_FIXTURE_ONLY"):
    cr.commit()
    for _lane in range(LANES):
        go_read, go_write = os.pipe()
        report_read, report_write = os.pipe()
        pid = os.fork()
        if not pid:
            os.close(go_write)
            os.close(report_read)
            cron_worker(go_read, report_write)
        os.close(go_read)
        os.close(report_write)
        workers.append((pid, go_write))
        reports_ends.append(report_read)


# ---------------------------------------------------------------- fixture
start = time.perf_counter()
cn = env.ref("base.cn")
agents = env["res.users"].create(
    [
        {
            "name": f"Agent {i}",
            "login": f"bench_agent_{i}",
            "groups_id": [Command.link(env.ref("customer_visit.group_visit_user").id)],
        }
        for i in range(5)
    ]
)
team = env["crm.team"].create(
    {"name": "Call centre", "member_ids": [Command.set(agents.ids)]}
)
half = N // 2
partners = env["res.partner"].create(
    [
        {
            "name": f"客户 {i}",
            "mobile": f"+86 138 {i // 10000:04d} {i % 10000:04d}",
            "country_id": cn.id,
        }
        for i in range(half + NAIVE_N)
    ]
)
closed = env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)
ticket = env["helpdesk.ticket"].create(
    {"name": "Repair", "description": "<p>Repair</p>", "partner_id": partners[0].id}
)
ticket.stage_id = closed
order = env["sale.order"].create({"partner_id": partners[0].id, "state": "sale"})
env.flush_all()
# partner_id of copy g is the g-th partner created above (ids are consecutive).
first = partners[0].id
copy_rows(
    "helpdesk_ticket",
    ticket.id,
    half + NAIVE_N - 1,
    {"partner_id": f"{first} + g", "number": "'B' || g"},
)
copy_rows(
    "sale_order",
    order.id,
    N - half - 1,
    {"partner_id": f"{first} + g", "name": "'SB' || g"},
)
env.invalidate_all()
print(
    f"fixture: {N} sources (+{NAIVE_N} tickets for the naive copy) in "
    f"{time.perf_counter() - start:.1f} s"
)
tickets = env["helpdesk.ticket"].search([("stage_id", "=", closed.id)], order="id")
naive_tickets, tickets = tickets[-NAIVE_N:], tickets[:-NAIVE_N]
visit_type = env.ref("customer_visit.visit_type_repair")
step = {
    "delay": 2,
    "delay_unit": "days",
    "type_id": visit_type.id,
    "channel": "phone",
    "deadline_delay": 7,
    "deadline_unit": "working_days",
}
common = {
    "start_date": "2000-01-01",
    "assignment": "round_robin",
    "team_id": team.id,
    "step_ids": [Command.create(step)],
}
Model = env["ir.model"]
rules = env["visit.rule"].create(
    [
        dict(
            common,
            name="Closed tickets",
            model_id=Model._get("helpdesk.ticket").id,
            domain=f"[('stage_id', '=', {closed.id}), ('id', 'not in', {naive_tickets.ids})]",
            date_field_id=env["ir.model.fields"]
            ._get("helpdesk.ticket", "closed_date")
            .id,
        ),
        dict(
            common,
            name="Confirmed orders",
            model_id=Model._get("sale.order").id,
            domain="[('state', '=', 'sale')]",
            date_field_id=env["ir.model.fields"]._get("sale.order", "date_order").id,
        ),
    ]
)
cr.commit()
if os.environ.get("CV_BENCH_FIXTURE_ONLY"):
    # bench/run.sh kill: the data only; the cron itself will plan it.
    print(f"fixture: {N} sources and {len(rules)} rules committed")
    sys.exit(0)

# ------------------------------------------------------------ the cron way
# Odoo's own cron runner (ir.cron._process_jobs) in LANES processes forked
# like the cron workers of a server started with --workers (two cron workers
# by default): each takes a ready Generate job, runs its batches (a commit
# after each, ten per turn) and comes back while a Generate job is ready.
# The other jobs are switched off so that they do not take the workers.
jobs = env.ref("customer_visit.ir_cron_visit_generate") | env.ref(
    "customer_visit.ir_cron_visit_generate_second"
)
env["ir.cron"].search([("id", "not in", jobs.ids)]).active = False
jobs[LANES:].active = False
jobs = jobs[:LANES]
jobs.write({"active": True})
cr.execute(
    "UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' - interval '1 minute' "
    "WHERE id IN %s",
    [tuple(jobs.ids)],
)
cr.commit()

start = time.perf_counter()
for _pid, go in workers:
    os.write(go, json.dumps(jobs.ids).encode() + b"\n")
    os.close(go)
reports = []
for (pid, _go), read_end in zip(workers, reports_ends, strict=True):
    with os.fdopen(read_end, "rb") as pipe:
        reports.append(json.loads(pipe.read() or b"{}"))
    os.waitpid(pid, 0)
elapsed = time.perf_counter() - start
if any(report.get("error") or "batches" not in report for report in reports):
    sys.exit(f"a cron worker failed: {reports}")
calls = [call for report in reports for call in report["batches"]]
done = sum(count for _seconds, count in calls)
queries = sum(report["queries"] for report in reports)
batch_times = [
    seconds for seconds, count in calls if count
]  # not the calls that found every rule taken
cr.rollback()  # a fresh snapshot: the workers committed
visits = env["visit.record"].search_count([("rule_step_id", "!=", False)])
activities = env["mail.activity"].search_count([("res_model", "=", "visit.record")])
peak = max(report["peak_mb"] for report in reports)
print(
    f"cron ({LANES} worker{'s' if LANES > 1 else ''}): {done} sources -> {visits} "
    f"visits, {activities} activities "
    f"in {elapsed:.1f} s ({len(calls)} calls); {visits / elapsed:.0f} visits/s, "
    f"{activities / elapsed:.0f} "
    f"activities/s, {queries * 1000 / max(visits, 1):.0f} queries per 1,000 visits, "
    f"peak RSS {peak:.0f} MB per worker"
)
ordered = sorted(batch_times)
print(
    f"batches of {GENERATE_BATCH}: {len(batch_times)}, fastest {ordered[0]:.1f} s, "
    "median "
    f"{ordered[len(ordered) // 2]:.1f} s, slowest {ordered[-1]:.1f} s"
)
Rule = env["visit.rule"]
again = Rule.search([])._generate_batch()
print(f"second run: {again[0]} sources planned, {again[1]} remaining")
cron_rate = visits / elapsed

# ------------------------------------------------- two generations at once
# Like a manual "Generate Now" during the cron: two cursors, small batches,
# first with the rule lock, then with the lock bypassed so that only the
# unique index stands between them.
import threading  # noqa: E402
from contextlib import nullcontext  # noqa: E402
from unittest.mock import patch  # noqa: E402

from odoo import SUPERUSER_ID, api  # noqa: E402
from odoo.tools import mute_logger  # noqa: E402

from odoo.addons.customer_visit.models.visit_rule import VisitRule  # noqa: E402


def generate_in_own_cursor(errors):
    try:
        with env.registry.cursor() as cursor:
            rules = api.Environment(cursor, SUPERUSER_ID, {})["visit.rule"].search([])
            while True:
                done_, remaining_ = rules._generate_batch(100)
                cursor.commit()
                if not done_ and not remaining_:
                    break
    except Exception as error:  # noqa: BLE001 -- reported below
        errors.append(error)


for label, bypass in (
    ("with the rule lock", False),
    ("lock bypassed, unique index only", True),
):
    copy_rows(
        "helpdesk_ticket",
        ticket.id,
        300,
        {"partner_id": f"{first} + g", "number": "'C' || g"},
    )
    cr.commit()
    errors = []
    # Without the lock, PostgreSQL refuses the duplicates: Odoo logs each
    # refused INSERT before the batch is retried source by source.
    with (
        patch.object(VisitRule, "_lock", return_value=True)
        if bypass
        else nullcontext(),
        mute_logger("odoo.sql_db"),
    ):
        threads = [
            threading.Thread(target=generate_in_own_cursor, args=(errors,))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    cr.execute(
        "SELECT count(*) FROM (SELECT 1 FROM visit_plan WHERE rule_id IS NOT NULL "
        "GROUP BY rule_id, rule_source_id HAVING count(*) > 1) AS dup"
    )
    duplicates = cr.fetchone()[0]
    cr.execute(
        "SELECT count(*) FROM helpdesk_ticket t WHERE t.stage_id = %s AND t.id NOT IN "
        "%s AND NOT EXISTS "
        "(SELECT 1 FROM visit_plan p WHERE p.rule_id = %s AND p.rule_source_id = t.id)",
        [closed.id, tuple(naive_tickets.ids), rules[0].id],
    )
    unplanned = cr.fetchone()[0]
    cr.execute("SELECT count(*) FROM visit_rule_skip")
    skipped = cr.fetchone()[0]
    print(
        f"two generations at once ({label}): {duplicates} duplicate plans, "
        f"{unplanned} tickets "
        f"left unplanned, {skipped} skipped, errors: {errors or 'none'}"
    )

# ----------------------------------------------------------- the naive way
activity_type = env.ref("customer_visit.mail_activity_type_visit")
calendar = env.company.resource_calendar_id
users = agents
start = time.perf_counter()
naive = 0
for i, source in enumerate(naive_tickets):
    if env["visit.plan"].search_count([("ticket_id", "=", source.id)]):
        continue
    due = calendar.plan_hours(
        0, source.closed_date + timedelta(days=2), compute_leaves=True
    )
    plan = env["visit.plan"].create(
        {
            "partner_id": source.partner_id.id,
            "ticket_id": source.id,
            "type_id": visit_type.id,
        }
    )
    visit = (
        env["visit.record"]
        .with_context(visit_skip_activities=True)
        .create(
            {
                "plan_id": plan.id,
                "partner_id": source.partner_id.id,
                "type_id": visit_type.id,
                "ticket_id": source.id,
                "channel": "phone",
                "user_id": users[i % len(users)].id,
                "scheduled_date": due,
                "deadline": calendar.plan_days(7, due, compute_leaves=True),
            }
        )
    )
    visit.activity_schedule(
        activity_type_id=activity_type.id,
        date_deadline=due.date(),
        user_id=visit.user_id.id,
    )
    naive += 1
naive_elapsed = time.perf_counter() - start
naive_rate = naive / naive_elapsed
print(f"naive: {naive} visits in {naive_elapsed:.1f} s; {naive_rate:.0f} visits/s")
print(
    f"| {N:,} | {LANES} | {elapsed:.1f} s | {cron_rate:.0f} | "
    f"{activities / elapsed:.0f} | "
    f"{queries * 1000 / max(visits, 1):.0f} | {peak:.0f} MB | {naive_rate:.0f} | "
    f"{cron_rate / naive_rate:.1f}× |"
)
cr.rollback()
