# Run by bench/run.sh after bench_dispatch.py: the Dispatch jobs of a real
# server, one per cron worker (Odoo's prefork server, --max-cron-threads
# cron processes), on the due visits bench_dispatch.py left for them.
# Triggered here the way Odoo triggers a job (a row in ir_cron_trigger and
# a NOTIFY on cron_trigger); the clock stops once every visit is marked
# sent, that is once the workers have committed their messages, queued.
#
#   python3 bench_dispatch_workers.py DB SERVER_LOG
# CV_BENCH_WORKERS_FILE: what bench_dispatch.py left (visit ids, job ids).
import json
import os
import sys
import time

import psycopg2

db, server_log = sys.argv[1:3]
with open(os.environ["CV_BENCH_WORKERS_FILE"]) as fixture_file:
    fixture = json.load(fixture_file)
ids, jobs, workers = fixture["ids"], fixture["jobs"], fixture["workers"]
target = 30 * len(ids) / 10000  # 30 s for 10,000

connection = psycopg2.connect(dbname=db)
connection.autocommit = True
cr = connection.cursor()


def unsent_by_part():
    # By the visits' type, an index scan: a poll must not load the machine.
    cr.execute(
        """SELECT MOD(id, %s), count(*) FILTER (WHERE dispatch_state IS NULL)
             FROM visit_record WHERE type_id = %s GROUP BY 1""",
        [workers, fixture["type"]],
    )
    return dict(cr.fetchall())


load_before = os.getloadavg()[0]
started = time.perf_counter()
cr.execute(
    """INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, create_date,
                                    write_uid, write_date)
       SELECT id, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC',
              1, now() AT TIME ZONE 'UTC'
         FROM ir_cron WHERE id = ANY(%s)""",
    [jobs],
)
# Odoo's cron workers listen on the postgres database, told which
# database has work (ir.cron._notifydb).
with psycopg2.connect(dbname="postgres") as notify:
    notify.cursor().execute("NOTIFY cron_trigger, %s", [db])
finished = {}
while len(finished) < workers:
    elapsed = time.perf_counter() - started
    unsent = unsent_by_part()
    for part in range(workers):
        # A part with no visit at all is done from the start.
        if not unsent.get(part) and part not in finished:
            finished[part] = elapsed
    if elapsed > 20 * target:
        sys.exit(f"the cron workers stopped: {unsent} visits left per part")
    time.sleep(0.5)
elapsed = max(finished.values())
load_after = os.getloadavg()[0]

# Exactly one message per visit, queued, by its channel, to its customer.
cr.execute(
    """SELECT r.channel, count(DISTINCT m.id), count(DISTINCT s.id)
         FROM visit_record r
         LEFT JOIN mail_message msg ON msg.model = 'visit.record' AND msg.res_id = r.id
         LEFT JOIN mail_mail m ON m.mail_message_id = msg.id AND m.state = 'outgoing'
         LEFT JOIN sms_sms s ON s.mail_message_id = msg.id AND s.state = 'outgoing'
                            AND s.partner_id = r.partner_id
        WHERE r.id = ANY(%s)
        GROUP BY r.id, r.channel""",
    [ids],
)
per_visit = cr.fetchall()
wrong = [row for row in per_visit if row[1:] != ((0, 1) if row[0] == "sms" else (1, 0))]
emails = sum(mails for _channel, mails, _sms in per_visit)
texts = sum(sms for _channel, _mails, sms in per_visit)
cr.execute(
    "SELECT count(*) FROM visit_record WHERE id = ANY(%s) AND dispatch_state = 'sent'",
    [ids],
)
sent = cr.fetchone()[0]
cr.execute(
    """SELECT cron_id, count(*), sum(done) FROM ir_cron_progress
        WHERE cron_id = ANY(%s) AND done > 0 GROUP BY cron_id ORDER BY cron_id""",
    [jobs],
)
calls = cr.fetchall()
with open(server_log) as log:
    errors = [line.rstrip() for line in log if " ERROR " in line or "Traceback" in line]

print()
print(
    f"=== Dispatch by {workers} cron workers of a server: {sent} of {len(ids)} visits ==="
)
print(
    f"total {elapsed:.1f} s ({len(ids) / elapsed:.0f} visits/s), from the trigger to "
    "the last batch committed; "
    + ", ".join(
        f"part {part} done after {at:.1f} s" for part, at in sorted(finished.items())
    )
)
print(
    "calls per job: "
    + ", ".join(
        f"job {cron}: {count} batches, {done} visits" for cron, count, done in calls
    )
)
print(
    f"messages queued: {emails} mail.mail for the e-mail and questionnaire visits, "
    f"{texts} sms.sms for the SMS visits; load average {load_before:.1f} before, "
    f"{load_after:.1f} after, {os.cpu_count()} cores"
)
print(
    f"check: {len(per_visit) - len(wrong)} of {len(ids)} visits with exactly one "
    f"message (one mail.mail or one sms.sms to the customer); {len(wrong)} wrong"
)
print(f"server log: {len(errors)} errors")
for line in errors[:10]:
    print(f"  {line}")
print(
    f"target (everything queued in < {target:.0f} s): "
    f"{'target met' if elapsed < target else 'target missed'} ({elapsed:.1f} s)"
)
if sent != len(ids) or wrong or len(per_visit) != len(ids) or errors:
    sys.exit(1)
