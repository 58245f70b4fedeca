"""The machine's speed, printed before each benchmark, so that figures of
different days can be compared: the same code took 3 times as long on one
day's machine as on another's (README, Benchmarks).

Two fixed workloads, each the median of 5 runs: pure Python (dictionaries,
strings and a sort, as Odoo's ORM spends its time) and 2,000 round trips of
``SELECT 1`` to the benchmark's PostgreSQL (PGHOST, PGPORT, PGUSER).
"""

import os
import statistics
import time

import psycopg2


def python_workload():
    rows = {}
    for i in range(200_000):
        key = f"visit.record,{i % 5000}"
        rows.setdefault(key, []).append(str(i))
    return sorted(rows, key=lambda key: len(rows[key]))


def postgres_workload(cr):
    for _ in range(2000):
        cr.execute("SELECT 1")
        cr.fetchone()


def median_ms(function, *args):
    times = []
    for _ in range(5):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


connection = psycopg2.connect(dbname="postgres")
with connection.cursor() as cr:
    sql_ms = median_ms(postgres_workload, cr)
connection.close()
print(
    f"machine: {os.cpu_count()} cores; reference Python workload "
    f"{median_ms(python_workload):.0f} ms, 2,000 PostgreSQL round trips "
    f"{sql_ms:.0f} ms (medians of 5; lower is faster)"
)
