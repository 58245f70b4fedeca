"""Portal load test driver: CV_BENCH_CLIENTS customers' browsers, each in
its own thread and HTTP session, take the next open visit, GET its page by
its tokenized link (the csrf_token read from the answer form), then POST the
answer form as the page does: two faces, the script and an opinion. A 303
to the page with ``message=answered`` acknowledges the answer (not followed).
Then every acknowledged answer is looked up in the database, and every
visit not acknowledged must be left as it was.

Usage (bench/run.sh portal does it): python3 bench_portal.py URL DB [LOG]
(the visits from CV_BENCH_PORTAL_FILE, written by bench_portal_fixture.py;
LOG: the server's log with werkzeug's request lines, for the server side's
figures). CV_BENCH_THINK: seconds a customer spends on the page between the
GET and the POST (0).
"""

import json
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import psycopg2

URL, DB = sys.argv[1], sys.argv[2]
LOG = sys.argv[3] if len(sys.argv) > 3 else None
THINK = float(os.environ.get("CV_BENCH_THINK", "0"))
CLIENTS = int(os.environ.get("CV_BENCH_CLIENTS", "20"))
WORKERS = int(os.environ.get("CV_BENCH_HTTP_WORKERS", "2"))
with open(os.environ["CV_BENCH_PORTAL_FILE"]) as fixture:
    FIXTURE = json.load(fixture)
TARGET_P95 = 0.5  # seconds, the POST
ANSWER_OF_KIND = {"yes_no": "yes", "rating": "4", "text": "fine"}
CSRF = re.compile(
    r'<form[^>]*o_visit_answer_form[^>]*>\s*<input[^>]*name="csrf_token"[^>]*value="([^"]+)"'
)

lock = threading.Lock()
get_times, post_times, errors, acknowledged = [], [], [], {}
queue = list(FIXTURE["visits"])


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """The 303 after the answer is the acknowledgement: not followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Customer:
    def __init__(self, index):
        self.index = index
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect()
        )

    def request(self, url, data=None):
        """(status, headers, body, seconds); an HTTP error is a status."""
        start = time.perf_counter()
        try:
            with self.opener.open(url, data, timeout=60) as response:
                status, headers, body = (
                    response.status,
                    response.headers,
                    response.read(),
                )
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        return status, headers, body, time.perf_counter() - start

    def page(self, visit):
        url = f"{URL}/my/visits/{visit['id']}?access_token={visit['token']}"
        return self.request(url)

    def answer(self, visit):
        status, _headers, body, seconds = self.page(visit)
        with lock:
            get_times.append(seconds)
        if status != 200:
            raise RuntimeError(f"GET {status}")
        match = CSRF.search(body.decode())
        if not match:
            raise RuntimeError("GET 200 without the answer form")
        if THINK:
            time.sleep(THINK)
        opinion = f"bench {visit['id']}: 很好"
        form = {
            "csrf_token": match.group(1),
            f"answer_{visit['aspects']['product']}": "satisfied",
            f"answer_{visit['aspects']['service']}": "fairly_satisfied",
            "opinion": opinion,
            **{
                f"answer_{question['id']}": ANSWER_OF_KIND[question["kind"]]
                for question in visit["questions"]
            },
        }
        url = f"{URL}/my/visits/{visit['id']}/answer?access_token={visit['token']}"
        status, headers, _body, seconds = self.request(
            url, urllib.parse.urlencode(form).encode()
        )
        with lock:
            post_times.append(seconds)
        location = headers.get("Location", "") if headers else ""
        if status != 303 or "message=answered" not in location:
            raise RuntimeError(f"POST {status} {location}".strip())
        with lock:
            acknowledged[visit["id"]] = opinion

    def run(self):
        while True:
            with lock:
                if not queue:
                    return
                visit = queue.pop(0)
            try:
                self.answer(visit)
            except Exception as error:  # noqa: BLE001 -- counted and reported
                with lock:
                    errors.append((visit["id"], f"client {self.index}: {error}"))


def percentile(ordered, share):
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def figures(label, values):
    ordered = sorted(values)
    if not ordered:
        return f"{label}: none"
    return (
        f"{label}: {len(ordered)} requests, p50 {percentile(ordered, 0.5) * 1000:.0f} ms, "
        f"p95 {percentile(ordered, 0.95) * 1000:.0f} ms, p99 "
        f"{percentile(ordered, 0.99) * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
    )


# werkzeug's request line: ... "POST /my/visits/7/answer?... HTTP/1.1" 303 -
# <queries> <seconds in SQL> <seconds outside SQL>
REQUEST_LINE = re.compile(
    r'"(GET|POST) /my/visits/(\d+)(/answer)?\?\S* HTTP/[\d.]+" (\d+) - (\d+) ([\d.]+) ([\d.]+)'
)


def server_side():
    """{route: [(queries, SQL s, other s)]} of the timed requests, from LOG."""
    routes = {}
    if not LOG or not os.path.exists(LOG):
        return routes
    timed = {visit["id"] for visit in FIXTURE["visits"]}
    with open(LOG, errors="replace") as log:
        for line in log:
            match = REQUEST_LINE.search(line)
            if not match or int(match.group(2)) not in timed:
                continue
            method, _id, answer, _status, count, sql, other = match.groups()
            route = "POST answer" if answer else "GET page   "
            routes.setdefault(route, []).append((int(count), float(sql), float(other)))
    return routes


def check(connection):
    """(stored, half_written, unacknowledged_done) from the database."""
    ids = [visit["id"] for visit in FIXTURE["visits"]]
    questions = {visit["id"]: len(visit["questions"]) for visit in FIXTURE["visits"]}
    with connection, connection.cursor() as cr:
        cr.execute(
            """
            SELECT r.id, r.state, r.channel, r.answer_date IS NOT NULL,
                   r.satisfaction_product, r.satisfaction_service, r.opinion,
                   r.dispatch_state, r.outcome,
                   (SELECT count(*) FROM visit_answer a WHERE a.record_id = r.id
                       AND (a.value_yes_no = 'yes' OR a.value_rating = 4
                            OR a.value_text = 'fine')),
                   (SELECT count(*) FROM visit_answer a WHERE a.record_id = r.id
                       AND (a.value_yes_no IS NOT NULL OR a.value_rating > 0
                            OR a.value_text IS NOT NULL)),
                   (SELECT count(*) FROM mail_message m WHERE m.model = 'visit.record'
                       AND m.res_id = r.id
                       AND m.body LIKE '%%answered the visit on the portal%%')
              FROM visit_record r WHERE r.id = ANY(%s)
            """,
            [ids],
        )
        rows = {row[0]: row[1:] for row in cr.fetchall()}
    stored, half, done_unacknowledged = 0, [], []
    for visit_id, row in rows.items():
        (
            state,
            channel,
            answered,
            product,
            service,
            opinion,
            dispatch,
            outcome,
            right_answers,
            any_answers,
            notes,
        ) = row
        complete = (
            state == "done"
            and channel == "portal"
            and answered
            and product == "satisfied"
            and service == "fairly_satisfied"
            and dispatch == "answered"
            and outcome == "reached"
            and right_answers == questions[visit_id]
            and notes == 1
        )
        untouched = (
            state == "planned"
            and channel == "email"
            and not answered
            and not product
            and not service
            and not opinion
            and dispatch == "sent"
            and not any_answers
            and not notes
        )
        if visit_id in acknowledged:
            if complete and opinion == acknowledged[visit_id]:
                stored += 1
            else:
                half.append((visit_id, row))
        elif complete:
            done_unacknowledged.append(visit_id)
        elif not untouched:
            half.append((visit_id, row))
    return stored, half, done_unacknowledged


def main():
    # Warm-up, not timed: each worker loads the registry on its first call.
    warm = [Customer(-1 - i) for i in range(len(FIXTURE["warmup"]))]
    threads = [
        threading.Thread(target=customer.page, args=(visit,))
        for customer, visit in zip(warm, FIXTURE["warmup"], strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    load_before = os.getloadavg()[0]
    customers = [Customer(i) for i in range(CLIENTS)]
    start = time.perf_counter()
    threads = [threading.Thread(target=customer.run) for customer in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    load_after = os.getloadavg()[0]

    connection = psycopg2.connect(dbname=DB)
    stored, half, done_unacknowledged = check(connection)
    connection.close()

    answers = len(FIXTURE["visits"])
    requests = len(get_times) + len(post_times)
    p95 = percentile(sorted(post_times), 0.95)
    print()
    print(
        f"=== Portal: {answers} customers answering, {CLIENTS} at a time, {WORKERS} workers ==="
    )
    print(
        f"{elapsed:.1f} s: {len(acknowledged)} answers acknowledged "
        f"({len(acknowledged) / elapsed:.1f} answers/s), {requests} requests "
        f"({requests / elapsed:.1f}/s); errors: {len(errors)}"
    )
    print(figures("POST answer", post_times))
    print(figures("GET page   ", get_times))
    print(
        f"server time per request ({WORKERS} workers busy all along): at most "
        f"{WORKERS * elapsed / max(requests, 1) * 1000:.0f} ms; load average "
        f"{load_before:.1f} before, {load_after:.1f} after, {os.cpu_count()} cores"
    )
    for route, values in sorted(server_side().items(), reverse=True):
        count = len(values)
        print(
            f"  server side, {route}: {sum(v[0] for v in values) / count:.0f} queries, "
            f"{sum(v[1] for v in values) / count * 1000:.0f} ms in SQL + "
            f"{sum(v[2] for v in values) / count * 1000:.0f} ms outside SQL per request "
            f"(mean of {count})"
        )
    if THINK:
        print(f"  think time {THINK:g} s between a customer's GET and POST")
    for _visit_id, error in errors[:5]:
        print("  ", error)
    print(
        f"check: {stored} of {len(acknowledged)} acknowledged answers are in the "
        "database (done, channel portal, answered on, the faces, opinion and "
        f"script, one note); {len(half)} half-written, {len(done_unacknowledged)} "
        "done without an acknowledgement"
    )
    for visit_id, row in half[:5]:
        print(f"  half-written visit {visit_id}: {row}")
    print(
        f"target (0 errors, POST p95 < {TARGET_P95 * 1000:.0f} ms): "
        + (
            "target met"
            if not errors and p95 < TARGET_P95
            else f"target missed ({len(errors)} errors, p95 {p95 * 1000:.0f} ms)"
        )
    )
    wrong = stored != len(acknowledged) or half or done_unacknowledged
    return 1 if wrong or errors else 0


if __name__ == "__main__":
    sys.exit(main())
