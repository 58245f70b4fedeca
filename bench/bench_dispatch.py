# Run by bench/run.sh inside `odoo shell` (`env` is given): the Dispatch
# job on N visits falling due at once (half SMS, a quarter e-mail, a quarter
# questionnaire), called as the cron runner calls it -- one batch per call,
# a commit after each -- until it sends nothing; then again on fresh data
# with batches of 100, 500 and 1000 to show the queries per visit stay flat.
#
# Nothing leaves the process: the SMS provider (IAP) is answered here the
# way tests/test_dispatch.py's mock does, and SMTP is a session that accepts
# every message. Odoo sends both at once (the job does not queue them):
# each SMS is handed to IAP inside the batch, each e-mail to SMTP right
# after the batch's commit; both are timed here at zero network cost.
#
# CV_BENCH_N visits (10000); CV_BENCH_BATCH the main run's batch (500);
# CV_BENCH_SIZES the batch sizes compared ("100,500,1000"); CV_BENCH_IAP_MS
# a delay per IAP call, to see what the provider's round trip costs (0);
# CV_BENCH_PROFILE=1 prints cProfile's heaviest functions of one batch.
#
# This process is one worker (the Job workers setting at 1). With
# CV_BENCH_WORKERS_FILE, it then leaves N more due visits for the run of a
# real server's cron workers (bench/bench_dispatch_workers.py): the
# setting at CV_BENCH_WORKERS (2), one Dispatch job per worker, every
# scheduled action put off a day so that nothing starts before the
# benchmark triggers the Dispatch jobs, and the mail and SMS queues' jobs
# switched off (their sending needs an SMTP server and IAP, outside).
import cProfile
import io
import json
import os
import pstats
import resource
import smtplib
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from unittest.mock import patch

import odoo.sql_db
from odoo import SUPERUSER_ID, api, fields

from odoo.addons.base.models.ir_cron import MAX_BATCH_PER_CRON_JOB
from odoo.addons.customer_visit.models.ir_cron import WORKERS_PARAM
from odoo.addons.sms.tools.sms_api import SmsApi

N = int(os.environ.get("CV_BENCH_N", "10000"))
BATCH = int(os.environ.get("CV_BENCH_BATCH", "500"))
SIZES = [int(s) for s in os.environ.get("CV_BENCH_SIZES", "100,500,1000").split(",")]
IAP_DELAY = float(os.environ.get("CV_BENCH_IAP_MS", "0")) / 1000
PROFILE = os.environ.get("CV_BENCH_PROFILE") == "1"
TARGET_SECONDS = 30 * N / 10000  # 30 s for 10,000
WORKERS_FILE = os.environ.get("CV_BENCH_WORKERS_FILE")
WORKERS = int(os.environ.get("CV_BENCH_WORKERS", "2"))
cr = env.cr  # noqa: F821 (odoo shell)


def queries():
    return odoo.sql_db.sql_counter


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds(pid=None):
    """CPU time of this process, or of process ``pid`` (a PostgreSQL backend
    on this machine), user and system."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields_ = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields_[11]) + int(fields_[12])) / os.sysconf("SC_CLK_TCK")


def load_average():
    return os.getloadavg()[0]


# ------------------------------------------------------------ the outside
iap = Counter()


def contact_iap(_api, endpoint, params, timeout=15):
    """IAP's SMS endpoint: every number accepted (tests/test_dispatch.py)."""
    iap["calls"] += 1
    if IAP_DELAY:
        time.sleep(IAP_DELAY)
    result = []
    for message in params["messages"]:
        for number in message["numbers"]:
            iap["numbers"] += 1
            result.append({"uuid": number["uuid"], "state": "success", "credit": 1})
    return result


smtp = Counter()


class AcceptingSMTP:
    """An SMTP session that takes every message and sends none."""

    def __init__(self, *args, **kwargs):
        smtp["connections"] += 1

    def send_message(self, message, smtp_from, smtp_to_list):
        smtp["messages"] += 1

    def __getattr__(self, name):  # ehlo, starttls, login, quit, ...
        return lambda *args, **kwargs: (250, b"OK")


# ------------------------------------------------------------ the fixture
start = time.perf_counter()
fixture_env = env(  # noqa: F821
    context=dict(
        env.context,  # noqa: F821
        # As the Generate job creates visits (models/visit_rule.py).
        tracking_disable=True,
        mail_create_nolog=True,
        mail_create_nosubscribe=True,
    )
)
cn = fixture_env.ref("base.cn")
# One worker: this process sends every part.
fixture_env["ir.config_parameter"].set_param(WORKERS_PARAM, 1)
fixture_env["ir.cron"]._visit_sync_worker_jobs()
agent = fixture_env["res.users"].create(
    {
        "name": "Agent",
        "login": "bench_dispatch_agent",
        "email": "agent@example.com",
        "groups_id": [(4, fixture_env.ref("customer_visit.group_visit_user").id)],
    }
)
visit_type = fixture_env["visit.type"].create(
    {"name": "Dispatch benchmark", "default_channel": "email"}
)
CHANNELS = ("sms", "email", "sms", "questionnaire")
# By pairs of visits: the part of each of 2 workers (the id's parity) gets
# the same mix of channels.
serial = 0


def due_visits(count):
    """``count`` visits due an hour ago, each of its own customer with a
    valid e-mail and Chinese mobile; created 1,000 at a time."""
    global serial
    first, serial = serial, serial + count
    due = fields.Datetime.now() - timedelta(hours=1)
    visits = fixture_env["visit.record"]
    for chunk in range(first, first + count, 1000):
        indexes = range(chunk, min(chunk + 1000, first + count))
        partners = fixture_env["res.partner"].create(
            [
                {
                    "name": f"客户 {i}",
                    "email": f"customer{i}@example.cn",
                    "mobile": f"+86 138 {i // 10000:04d} {i % 10000:04d}",
                    "country_id": cn.id,
                }
                for i in indexes
            ]
        )
        visits |= fixture_env["visit.record"].create(
            [
                {
                    "partner_id": partner.id,
                    "type_id": visit_type.id,
                    "channel": CHANNELS[i // 2 % 4],
                    "user_id": agent.id,
                    "scheduled_date": due,
                    "deadline": due + timedelta(days=7),
                }
                for i, partner in zip(indexes, partners, strict=True)
            ]
        )
    fallen = visits.filtered("dispatch_state")
    if fallen:
        sys.exit(f"fixture: {len(fallen)} visits given to a call at planning time")
    cr.commit()
    fixture_env.invalidate_all()
    return visits.ids


main_ids = due_visits(N)
print(
    f"fixture: {N} due visits ({N // 2} SMS, {N - N // 2} e-mail and "
    f"questionnaire) in {time.perf_counter() - start:.1f} s"
)

# ------------------------------------------------- where the time goes
# Inclusive time and queries of the steps of a batch (nested steps count in
# their callers too).
steps = defaultdict(lambda: [0, 0.0, 0])  # calls, seconds, queries


def timed_step(cls, name, label):
    original = getattr(cls, name, None)
    if original is None:  # a step of another version of the job
        return patch.object(cls, "_name", cls._name)

    def wrapper(*args, **kwargs):
        before, started = queries(), time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            step = steps[label]
            step[0] += 1
            step[1] += time.perf_counter() - started
            step[2] += queries() - before

    return patch.object(cls, name, wrapper)


registry = env.registry  # noqa: F821
STEPS = [
    ("visit.record", "_check_undelivered", "_check_undelivered"),
    ("visit.record", "_follow_up_unanswered", "_follow_up_unanswered"),
    ("visit.record", "_dispatch_due_ids", "_dispatch_due_ids"),
    ("visit.record", "_dispatch", "_dispatch (the loop)"),
    ("visit.record", "_dispatch_blacklist", "  _dispatch_blacklist"),
    ("visit.record", "_send_messages", "  _send_messages"),
    ("visit.record", "_portal_ensure_token", "    _portal_ensure_token"),
    ("visit.record", "_queue_mail", "    _queue_mail (mass-mail composer)"),
    (
        "mail.compose.message",
        "_action_send_mail_mass_mail",
        "      composer mass mail",
    ),
    ("visit.record", "_queue_sms", "    _queue_sms"),
    ("visit.record", "_message_log_batch", "      log messages"),
    ("sms.sms", "create", "      sms.sms create"),
    ("visit.record", "_notify_in_bulk", "      the adapter (both channels)"),
    ("mail.notification", "create", "      mail.notification create"),
    ("visit.record", "message_post_with_source", "    message_post_with_source"),
    ("mail.compose.message", "create", "      mail.compose.message create"),
    ("mail.compose.message", "_action_send_mail", "      composer _action_send_mail"),
    (
        "mail.compose.message",
        "_generate_template_for_composer",
        "        template rendering",
    ),
    (
        "mail.compose.message",
        "_prepare_mail_values",
        "        composer _prepare_mail_values",
    ),
    ("visit.record", "_message_sms_with_template", "    _message_sms_with_template"),
    ("sms.template", "_render_field", "      SMS template rendering"),
    ("visit.record", "message_post", "    message_post (both)"),
    ("visit.record", "_notify_thread", "      _notify_thread"),
    ("visit.record", "_notify_thread_by_email", "        _notify_thread_by_email"),
    ("mail.mail", "create", "          mail.mail create"),
    ("visit.record", "_notify_thread_by_sms", "        _notify_thread_by_sms"),
    ("sms.sms", "send", "          sms.sms send (IAP)"),
    ("visit.record", "write", "  visit.record write"),
    ("mail.mail", "send", "mail.mail send (after commit)"),
]
patches = [timed_step(registry[model], name, label) for model, name, label in STEPS] + [
    patch.object(SmsApi, "_contact_iap", contact_iap),
    patch.object(smtplib, "SMTP", AcceptingSMTP),
    patch.object(smtplib, "SMTP_SSL", AcceptingSMTP),
]
for each in patches:
    each.start()


# -------------------------------------------------------- the cron's way
def run_job(batch_size, profile=False):
    """_cron_dispatch until it sends nothing, a commit after each call, a
    new environment every MAX_BATCH_PER_CRON_JOB calls (as ir.cron's
    _run_job). [(visits, call s, commit s, call queries, commit queries)]."""
    batches = []
    job_env = None
    profiler = cProfile.Profile() if profile else None
    while True:
        if len(batches) % MAX_BATCH_PER_CRON_JOB == 0:
            job_env = api.Environment(cr, SUPERUSER_ID, {})
            job_env.invalidate_all()
        q0, t0 = queries(), time.perf_counter()
        if profiler and len(batches) == 1:  # the second batch: warm
            sent = profiler.runcall(
                job_env["visit.record"]._cron_dispatch, batch_size=batch_size
            )
        else:
            sent = job_env["visit.record"]._cron_dispatch(batch_size=batch_size)
        q1, t1 = queries(), time.perf_counter()
        cr.commit()  # runs Odoo's after-commit hooks: the e-mails go out
        q2, t2 = queries(), time.perf_counter()
        if not sent:
            return batches, profiler
        batches.append((sent, t1 - t0, t2 - t1, q1 - q0, q2 - q1))


steps.clear()
cr.execute("SELECT pg_backend_pid()")
backend = cr.fetchone()[0]
load_before, cpu_before, db_cpu_before = (
    load_average(),
    cpu_seconds(),
    cpu_seconds(backend),
)
started = time.perf_counter()
main, profiler = run_job(BATCH, profile=PROFILE)
elapsed = time.perf_counter() - started
cpu_used, db_cpu_used = cpu_seconds() - cpu_before, cpu_seconds(backend) - db_cpu_before
load_after = load_average()
main_steps = {label: list(values) for label, values in steps.items()}
main_iap, main_smtp = dict(iap), dict(smtp)

sizes = {}
for size in SIZES:
    # Three full batches on data of their own; the first one warms up.
    ids = due_visits(3 * size)
    batches, _p = run_job(size)
    sizes[size] = (batches, ids)


# ------------------------------------------------------------ the checks
def message_counts(ids):
    """Per visit of ``ids``: its dispatch state and channel, then the
    mail.mail and sms.sms rows to its customer, and those to anybody,
    among the messages of the visit."""
    cr.execute(
        """
        SELECT r.id, r.dispatch_state, r.dispatch_channel,
               (SELECT count(*) FROM mail_mail m
                  JOIN mail_message msg ON msg.id = m.mail_message_id
                  JOIN mail_mail_res_partner_rel rel ON rel.mail_mail_id = m.id
                 WHERE msg.model = 'visit.record' AND msg.res_id = r.id
                   AND rel.res_partner_id = r.partner_id),
               (SELECT count(*) FROM sms_sms s
                  JOIN mail_message msg ON msg.id = s.mail_message_id
                 WHERE msg.model = 'visit.record' AND msg.res_id = r.id
                   AND s.partner_id = r.partner_id),
               (SELECT count(*) FROM mail_mail m
                  JOIN mail_message msg ON msg.id = m.mail_message_id
                 WHERE msg.model = 'visit.record' AND msg.res_id = r.id)
               + (SELECT count(*) FROM sms_sms s
                  JOIN mail_message msg ON msg.id = s.mail_message_id
                 WHERE msg.model = 'visit.record' AND msg.res_id = r.id)
          FROM visit_record r
         WHERE r.id = ANY(%s)
        """,
        [ids],
    )
    return cr.fetchall()


all_ids = main_ids + [i for _b, ids in sizes.values() for i in ids]
rows = message_counts(all_ids)
not_sent = [r for r in rows if r[1] != "sent"]
email_rows = [r for r in rows if r[2] in ("email", "questionnaire")]
sms_rows = [r for r in rows if r[2] == "sms"]
# Exactly one message per visit, by its channel, to its customer.
wrong = [
    r
    for r in rows
    if r[5] != 1 or (r[3], r[4]) != ((0, 1) if r[2] == "sms" else (1, 0))
]
cr.execute(
    """SELECT count(*) FROM mail_mail m JOIN mail_message msg ON msg.id = m.mail_message_id
        WHERE msg.model = 'visit.record' AND msg.res_id = ANY(%s)""",
    [all_ids],
)
mails = cr.fetchone()[0]
cr.execute(
    """SELECT s.state, count(*) FROM sms_sms s JOIN mail_message msg ON msg.id = s.mail_message_id
        WHERE msg.model = 'visit.record' AND msg.res_id = ANY(%s) GROUP BY s.state""",
    [all_ids],
)
sms_states = dict(cr.fetchall())
cr.execute(
    """SELECT m.state, count(*) FROM mail_mail m JOIN mail_message msg ON msg.id = m.mail_message_id
        WHERE msg.model = 'visit.record' AND msg.res_id = ANY(%s) GROUP BY m.state""",
    [all_ids],
)
mail_states = dict(cr.fetchall())


# ------------------------------------------------------------ the figures
def per_batch_line(label, batch):
    sent, call_s, commit_s, call_q, commit_q = batch
    return (
        f"  {label:<22} {sent:5d} visits  {call_s:6.2f} s + {commit_s:5.2f} s commit  "
        f"{call_q:6d} + {commit_q:5d} queries  ({(call_q + commit_q) / sent:5.1f} per visit)"
    )


done = sum(b[0] for b in main)
call_times = [b[1] for b in main]
batch_times = [b[1] + b[2] for b in main]
call_total = sum(call_times)
print()
print(f"=== Dispatch: {done} of {N} due visits queued, batches of {BATCH} ===")
print(
    f"total {elapsed:.1f} s ({done / elapsed:.0f} visits/s): {call_total:.1f} s in "
    f"_cron_dispatch, {sum(b[2] for b in main):.1f} s in the commits (with Odoo's "
    "after-commit hooks: e-mails sent at once go out there)"
)
print(
    f"{len(main)} batches: median {statistics.median(batch_times):.2f} s, max "
    f"{max(batch_times):.2f} s (call alone: median "
    f"{statistics.median(call_times):.2f} s, max {max(call_times):.2f} s)"
)
print(
    f"CPU: {cpu_used:.1f} s in this process (Odoo's Python), {db_cpu_used:.1f} s in "
    f"its PostgreSQL backend (the commits' e-mail sending uses other connections); "
    f"load average {load_before:.1f} before, {load_after:.1f} after, {os.cpu_count()} cores"
)
print(per_batch_line("first batch", main[0]))
print(per_batch_line("last batch", main[-1]))
print(
    f"queries: {sum(b[3] + b[4] for b in main)} in all, "
    f"{sum(b[3] + b[4] for b in main) / done:.1f} per visit"
)
print("queries per batch by batch size (the 2nd and 3rd batch of fresh data):")
for size, (batches, _ids) in sizes.items():
    warm = batches[1:]
    q = statistics.mean(b[3] + b[4] for b in warm)
    s = statistics.mean(b[1] + b[2] for b in warm)
    print(
        f"  batch {size:5d}: {q:8.0f} queries per batch, {q / size:5.1f} per visit, "
        f"{s:6.2f} s per batch ({size / s:4.0f} visits/s)"
    )
print(
    f"messages: {mails} mail.mail ({', '.join(f'{k} {v}' for k, v in sorted(mail_states.items()))}) "
    f"for {len(email_rows)} e-mail and questionnaire visits; "
    f"{sum(sms_states.values())} sms.sms "
    f"({', '.join(f'{k} {v}' for k, v in sorted(sms_states.items()))}) for {len(sms_rows)} SMS visits"
)
queued_sms = sms_states.get("outgoing", 0)
print(
    f"  SMS: {queued_sms} queued (state outgoing, for Odoo's SMS queue), "
    f"{sum(sms_states.values()) - queued_sms} handed to the provider by the job "
    f"itself: {main_iap.get('calls', 0)} IAP calls for {main_iap.get('numbers', 0)} "
    "numbers in the main run (IAP mocked in the process, "
    f"{IAP_DELAY * 1000:.0f} ms per call)"
)
print(
    f"  e-mail: {mail_states.get('outgoing', 0)} queued (state outgoing), "
    f"{main_smtp.get('messages', 0)} handed to SMTP by Odoo right after the "
    f"commits over {main_smtp.get('connections', 0)} connections in the main run "
    "(an accepting SMTP session in the process, nothing leaves)"
)
print(
    f"check: {len(all_ids) - len(not_sent)} of {len(all_ids)} visits sent, "
    f"{len(all_ids) - len(wrong)} with exactly one message "
    f"(one mail.mail or one sms.sms to the customer); {len(wrong)} wrong"
)
main_set = set(main_ids)
main_mails = sum(r[3] for r in rows if r[0] in main_set)
main_sms = sum(r[4] for r in rows if r[0] in main_set)
print(
    f"main run: {main_mails} mail.mail + {main_sms} sms.sms = "
    f"{main_mails + main_sms} messages for {N} visits"
)
print(f"peak RSS {peak_mb():.0f} MB")
print(
    f"target (everything queued in < {TARGET_SECONDS:.0f} s): "
    f"{'target met' if elapsed < TARGET_SECONDS else 'target missed'} ({elapsed:.1f} s)"
)
print()
print(
    f"where the time goes (main run, {done} visits; inclusive, nested steps indented):"
)
print(
    f"  {'step':<40} {'calls':>6} {'seconds':>8} {'ms/visit':>9} {'queries':>8} {'q/visit':>8}"
)
for _model, _name, label in STEPS:
    if label in main_steps:
        calls, seconds, q = main_steps[label]
        print(
            f"  {label:<40} {calls:6d} {seconds:8.1f} {seconds * 1000 / done:9.2f} "
            f"{q:8d} {q / done:8.1f}"
        )
if profiler:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
    print("cProfile of the second batch (cumulative):")
    print(out.getvalue())
for each in patches:
    each.stop()
for label, rows_ in (("not sent", not_sent), ("wrong", wrong)):
    for row in rows_[:5]:
        print(f"  {label}: {row}")
if not_sent or wrong or main_mails + main_sms != N:
    sys.exit(1)


# ------------------------------------------- for the cron workers' run
if WORKERS_FILE:
    start = time.perf_counter()
    visit_type = fixture_env["visit.type"].create(
        {"name": "Dispatch benchmark (cron workers)", "default_channel": "email"}
    )
    worker_ids = due_visits(N)
    fixture_env["ir.config_parameter"].set_param(WORKERS_PARAM, WORKERS)
    fixture_env["ir.cron"]._visit_sync_worker_jobs()
    crons = fixture_env["ir.cron"].search([])
    crons.write({"nextcall": fields.Datetime.now() + timedelta(days=1)})
    (
        fixture_env.ref("mail.ir_cron_mail_scheduler_action")
        | fixture_env.ref("sms.ir_cron_sms_scheduler_action")
    ).active = False
    jobs = fixture_env["ir.cron"]._visit_dispatch_jobs().filtered("active")
    cr.commit()
    with open(WORKERS_FILE, "w") as out:
        json.dump(
            {
                "ids": worker_ids,
                "type": visit_type.id,
                "jobs": jobs.ids,
                "workers": WORKERS,
            },
            out,
        )
    print(
        f"\nfixture for the cron workers: {N} more due visits, {len(jobs)} Dispatch "
        f"jobs, in {time.perf_counter() - start:.1f} s"
    )
