# Run by bench/run.sh inside `odoo shell` (`env` is given): for each
# number of generation workers in CV_BENCH_LANES ("1,2": one worker, then
# two), creates N closed helpdesk tickets under one rule of their own and
# runs the Generate jobs with Odoo's cron runner in that many cron worker
# processes, all sharing the one rule; then schedules visits the naive way
# (one create and one activity_schedule() per record) on NAIVE_N more
# tickets, and prints the figures.
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


PHASES = [int(lanes) for lanes in os.environ.get("CV_BENCH_LANES", "2").split(",")]
workers = []  # (pid, go pipe), then the reports are read from report pipes
reports_ends = []
if not os.environ.get("CV_BENCH_FIXTURE_ONLY"):
    cr.commit()
    for _lane in range(sum(PHASES)):
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
closed = env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)
visit_type = env.ref("customer_visit.visit_type_repair")
step = {
    "delay": 2,
    "delay_unit": "days",
    "type_id": visit_type.id,
    "channel": "phone",
    "deadline_delay": 7,
    "deadline_unit": "working_days",
}


def sources(count, tag):
    """``count`` closed tickets, each of its own customer (no merge)."""
    partner = env["res.partner"].create(
        {"name": f"客户 {tag}", "mobile": "+86 138 0000 0000", "country_id": cn.id}
    )
    ticket = env["helpdesk.ticket"].create(
        {"name": "Repair", "description": "<p>Repair</p>", "partner_id": partner.id}
    )
    ticket.stage_id = closed
    env.flush_all()
    copy_rows("res_partner", partner.id, count - 1, {"name": f"'客户 {tag} ' || g"})
    # partner_id of copy g is the g-th partner copied above (consecutive ids).
    copy_rows(
        "helpdesk_ticket",
        ticket.id,
        count - 1,
        {"partner_id": f"{partner.id} + g", "number": f"'{tag}' || g"},
    )
    env.invalidate_all()
    cr.execute(
        "SELECT min(id), max(id) FROM helpdesk_ticket WHERE id >= %s", [ticket.id]
    )
    return cr.fetchone()


def one_rule(name, bounds):
    return env["visit.rule"].create(
        {
            "name": name,
            "start_date": "2000-01-01",
            "assignment": "round_robin",
            "team_id": team.id,
            "step_ids": [Command.create(step)],
            "model_id": env["ir.model"]._get("helpdesk.ticket").id,
            "domain": f"[('stage_id', '=', {closed.id}), ('id', '>=', {bounds[0]}), "
            f"('id', '<=', {bounds[1]})]",
            "date_field_id": env["ir.model.fields"]
            ._get("helpdesk.ticket", "closed_date")
            .id,
            "active": False,
        }
    )


rules = [
    one_rule(f"Closed tickets ({lanes})", sources(N, f"P{index}"))
    for index, lanes in enumerate(PHASES)
]
naive_bounds = sources(NAIVE_N, "N")
cr.commit()
print(
    f"fixture: {len(PHASES)} × {N} sources, one rule each "
    f"(+{NAIVE_N} tickets for the naive copy) in {time.perf_counter() - start:.1f} s"
)
if os.environ.get("CV_BENCH_FIXTURE_ONLY"):
    # bench/run.sh kill: the data only; the cron itself will plan it.
    rules[0].active = True
    cr.commit()
    print(f"fixture: {N} sources and 1 rule committed")
    sys.exit(0)

# ------------------------------------------------------------ the cron way
# Odoo's own cron runner (ir.cron._process_jobs) in processes forked like
# the cron workers of a server started with --workers: each takes a ready
# Generate job (one per worker of the setting, each on its own part of the
# rule), runs its batches (a commit after each, ten per turn) and comes
# back while a Generate job is ready. The other jobs are switched off.
Rule = env["visit.rule"]
results = {}
lane_pipes = list(zip(workers, reports_ends, strict=True))
for rule, lanes in zip(rules, PHASES, strict=True):
    env["ir.config_parameter"].set_param("customer_visit.generate_workers", lanes)
    env["ir.cron"]._visit_sync_worker_jobs()
    jobs = env["ir.cron"]._visit_generate_jobs()
    env["ir.cron"].search([("id", "not in", jobs.ids)]).active = False
    Rule.with_context(active_test=False).search([]).active = False
    rule.active = True
    jobs.write({"active": True})
    cr.execute(
        "UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' - interval '1 minute' "
        "WHERE id IN %s",
        [tuple(jobs.ids)],
    )
    cr.commit()
    phase, lane_pipes = lane_pipes[:lanes], lane_pipes[lanes:]
    start = time.perf_counter()
    for (_pid, go), _read in phase:
        os.write(go, json.dumps(jobs.ids).encode() + b"\n")
        os.close(go)
    reports = []
    for (pid, _go), read_end in phase:
        with os.fdopen(read_end, "rb") as pipe:
            reports.append(json.loads(pipe.read() or b"{}"))
        os.waitpid(pid, 0)
    elapsed = time.perf_counter() - start
    if any(report.get("error") or "batches" not in report for report in reports):
        sys.exit(f"a cron worker failed: {reports}")
    calls = [call for report in reports for call in report["batches"]]
    done = sum(count for _seconds, count in calls)
    queries = sum(report["queries"] for report in reports)
    batch_times = [seconds for seconds, count in calls if count]
    cr.rollback()  # a fresh snapshot: the workers committed
    cr.execute(
        "SELECT count(*) FROM visit_record r JOIN visit_plan p ON p.id = r.plan_id "
        "WHERE p.rule_id = %s",
        [rule.id],
    )
    visits = cr.fetchone()[0]
    cr.execute(
        "SELECT count(*) FROM (SELECT 1 FROM visit_plan WHERE rule_id = %s "
        "GROUP BY rule_source_id HAVING count(*) > 1) AS dup",
        [rule.id],
    )
    duplicates = cr.fetchone()[0]
    peak = max(report["peak_mb"] for report in reports)
    per_worker = sorted(
        sum(count for _s, count in report["batches"]) for report in reports
    )
    ordered = sorted(batch_times)
    print(
        f"cron, one rule, {lanes} worker{'s' if lanes > 1 else ''}: {done} sources "
        f"-> {visits} visits in {elapsed:.1f} s ({len(calls)} calls, sources per "
        f"worker {per_worker}); {visits / elapsed:.0f} visits/s, "
        f"{queries * 1000 / max(visits, 1):.0f} queries per 1,000 visits, peak RSS "
        f"{peak:.0f} MB per worker, {duplicates} duplicate plans; batches of "
        f"{GENERATE_BATCH}: fastest {ordered[0]:.1f} s, median "
        f"{ordered[len(ordered) // 2]:.1f} s, slowest {ordered[-1]:.1f} s"
    )
    results[lanes] = (elapsed, visits, queries, peak)
    again = rule._generate_batch()
    print(f"second run: {again[0]} sources planned, {again[1]} remaining")
    cr.rollback()
if 1 in results and 2 in results:
    print(
        f"2 workers / 1 worker on one rule of {N:,} sources: "
        f"{results[2][0] / results[1][0]:.2f} × the time"
    )
lanes = PHASES[-1]
elapsed, visits, queries, peak = results[lanes]
cron_rate = visits / elapsed
naive_tickets = env["helpdesk.ticket"].search(
    [("id", ">=", naive_bounds[0]), ("id", "<=", naive_bounds[1])], order="id"
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
    f"| {N:,} | {lanes} | {elapsed:.1f} s | {cron_rate:.0f} | "
    f"{queries * 1000 / max(visits, 1):.0f} | {peak:.0f} MB | {naive_rate:.0f} | "
    f"{cron_rate / naive_rate:.1f}× |"
)
cr.rollback()
