"""Load test driver: CV_BENCH_AGENTS agents, each in its own thread and HTTP
session, open their due visits and log outcomes over JSON-RPC for
CV_BENCH_SECONDS seconds, as the web client does; then every outcome the
server acknowledged is looked up in the database.

Usage (bench/run.sh load does it): python3 bench_load.py URL DB
"""

import json
import os
import statistics
import sys
import threading
import time
import urllib.request
from http.cookiejar import CookieJar

import psycopg2

URL, DB = sys.argv[1], sys.argv[2]
AGENTS = int(os.environ.get("CV_BENCH_AGENTS", "20"))
SECONDS = float(os.environ.get("CV_BENCH_SECONDS", "60"))
THINK = float(os.environ.get("CV_BENCH_THINK", "0"))  # seconds between two requests

lock = threading.Lock()
latencies, errors, confirmed, per_call = [], [], {}, {}


class Agent:
    def __init__(self, index):
        self.index = index
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar())
        )
        self.uid = None

    def rpc(self, path, params, timed=True):
        label = f"{params.get('model', path)}.{params.get('method', '')}".strip(".")
        body = json.dumps(
            {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
        ).encode()
        request = urllib.request.Request(
            URL + path, body, {"Content-Type": "application/json"}
        )
        start = time.perf_counter()
        with self.opener.open(request, timeout=60) as response:
            reply = json.load(response)
        elapsed = time.perf_counter() - start
        if timed:
            with lock:
                latencies.append(elapsed)
                per_call.setdefault(label, []).append(elapsed)
        if "error" in reply:
            raise RuntimeError(
                reply["error"]["data"].get("message") or reply["error"]["message"]
            )
        if THINK:
            time.sleep(THINK)
        return reply["result"]

    def call(self, model, method, *args, **kwargs):
        return self.rpc(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def run(self, deadline):
        login = f"agent_{self.index}"
        self.uid = self.rpc(
            "/web/session/authenticate",
            {"db": DB, "login": login, "password": login},
            timed=False,
        )["uid"]
        # Warm-up, not timed: each worker loads the registry on its first call.
        self.rpc(
            "/web/dataset/call_kw",
            {
                "model": "visit.record",
                "method": "search_count",
                "args": [[]],
                "kwargs": {},
            },
            timed=False,
        )
        done = 0
        while time.perf_counter() < deadline:
            try:
                due = self.call(
                    "visit.record",
                    "search_read",
                    [("user_id", "=", self.uid), ("state", "=", "planned")],
                    ["name", "partner_id", "phone", "scheduled_date"],
                    limit=20,
                    order="scheduled_date, id",
                )
                if not due:
                    return
                visit = due[0]
                answers = self.call(
                    "visit.answer",
                    "search_read",
                    [("record_id", "=", visit["id"])],
                    ["question_id", "answer_kind"],
                )
                opinion = f"load {self.index}-{done}"
                context = {"active_model": "visit.record", "active_id": visit["id"]}
                wizard = self.call(
                    "visit.outcome.wizard",
                    "create",
                    {
                        "outcome": "reached",
                        "satisfaction_service": "satisfied",
                        "opinion": opinion,
                        "answer_ids": [
                            [
                                0,
                                0,
                                {
                                    "question_id": a["question_id"][0],
                                    **(
                                        {"value_yes_no": "yes"}
                                        if a["answer_kind"] == "yes_no"
                                        else {"value_rating": 5}
                                    ),
                                },
                            ]
                            for a in answers
                        ],
                    },
                    context=context,
                )
                self.call(
                    "visit.outcome.wizard", "action_confirm", [wizard], context=context
                )
                with lock:
                    confirmed[visit["id"]] = opinion
                done += 1
            except Exception as error:  # noqa: BLE001 -- counted and reported
                with lock:
                    errors.append(f"agent {self.index}: {error}")


def main():
    agents = [Agent(i) for i in range(AGENTS)]
    start = time.perf_counter()
    deadline = start + SECONDS
    threads = [threading.Thread(target=agent.run, args=(deadline,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start

    connection = psycopg2.connect(dbname=DB)
    with connection, connection.cursor() as cr:
        cr.execute(
            "SELECT id, opinion, state FROM visit_record WHERE id = ANY(%s)",
            [list(confirmed)],
        )
        stored = {row[0]: row[1:] for row in cr.fetchall()}
        cr.execute(
            "SELECT count(*) FROM visit_answer WHERE record_id = ANY(%s) AND "
            "(value_yes_no IS NOT NULL OR value_rating IS NOT NULL)",
            [list(confirmed)],
        )
        answered = cr.fetchone()[0]
    connection.close()
    lost = [
        vid
        for vid, opinion in confirmed.items()
        if stored.get(vid) != (opinion, "done")
    ]
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1] if ordered else 0
    print(
        f"{AGENTS} agents for {elapsed:.0f} s (think time {THINK:g} s): "
        f"{len(latencies)} requests, "
        f"{len(latencies) / elapsed:.1f} requests/s, {len(confirmed)} outcomes logged "
        f"({len(confirmed) / elapsed:.1f}/s)"
    )
    print(
        f"latency p50 {statistics.median(ordered) * 1000:.0f} ms, p95 "
        f"{p95 * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms; errors: {len(errors)}"
    )
    for label, values in sorted(per_call.items()):
        values.sort()
        print(
            f"  {label:<38} {len(values):5d} calls, p50 "
            f"{statistics.median(values) * 1000:4.0f} ms, "
            f"p95 {values[int(len(values) * 0.95) - 1] * 1000:4.0f} ms"
        )
    for error in errors[:5]:
        print("  ", error)
    print(
        f"check: {len(confirmed) - len(lost)} of {len(confirmed)} acknowledged "
        "outcomes are in the database "
        f"(done, with their opinion), {answered} of {2 * len(confirmed)} script answers"
    )
    return 1 if errors or lost or answered != 2 * len(confirmed) else 0


if __name__ == "__main__":
    sys.exit(main())
