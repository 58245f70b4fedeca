# Run by bench/run.sh inside `odoo shell` (`env` is given): the per-item
# statistics of one report cycle over N done visits of a 10-item card on
# the 4-level scale (10 N answers), then the Indicators page with its items
# and the Answers Analysis pivot. The fixture is inserted with SQL: it is
# not what is measured.
import os
import time
from datetime import timedelta

from odoo import Command

N = int(os.environ.get("CV_BENCH_N", "100000"))
ITEMS = 10
env = env(context=dict(env.context, tracking_disable=True))  # noqa: F821
company = env.company
company.resource_calendar_id.tz = "Asia/Shanghai"
partners = env["res.partner"].create(
    [{"name": f"客户 {i}", "mobile": "+86 138 0013 8000"} for i in range(1000)]
)
# Whom and what the visits judged: 100 technicians, 20 products.
technicians = env["res.partner"].create([{"name": f"技师 {i}"} for i in range(100)])
products = env["product.product"].create([{"name": f"Product {i}"} for i in range(20)])
users = env["res.users"].create(
    [
        {
            "name": f"Agent {i}",
            "login": f"bench_item_agent_{i}",
            "company_id": company.id,
            "company_ids": [(6, 0, company.ids)],
        }
        for i in range(20)
    ]
)
card = env["visit.type"].create(
    {
        "name": "Power card",
        "default_channel": "phone",
        "question_ids": [
            Command.create(
                {"name": f"Item {i}", "sequence": i, "answer_kind": "scale4"}
            )
            for i in range(1, ITEMS + 1)
        ],
    }
)
# A utility scoring its own 10-item card drops the four aspects it starts with.
card.question_ids.filtered("aspect").unlink()
# The last whole cycle: every visit of the fixture is due in it.
current = company._visit_report_cycle(day=company._visit_today())
cycle = company._visit_report_cycle(day=current.date_from - timedelta(days=1))
start_utc, stop_utc = company._visit_utc_bounds(cycle.date_from, cycle.date_to)
span_minutes = int((stop_utc - start_utc).total_seconds() // 60)
env.flush_all()
started = time.perf_counter()
env.cr.execute(
    """
    INSERT INTO visit_record (name, company_id, partner_id, type_id, user_id, channel,
        scheduled_date, due_date, deadline, date_done, state, round, outcome,
        signature_status, phone, max_attempts, served_by_id, served_product_id,
        create_uid, write_uid, create_date, write_date)
    SELECT 'HI' || lpad(i::text, 8, '0'), %(company)s,
        (%(partners)s)[1 + i %% 1000], %(type)s, (%(users)s)[1 + i %% 20], 'phone',
        %(start)s + ((i * 7919) %% %(span)s || ' minutes')::interval,
        %(start)s + ((i * 7919) %% %(span)s || ' minutes')::interval,
        %(start)s + ((i * 7919) %% %(span)s || ' minutes')::interval + interval '2 days',
        %(start)s + ((i * 7919) %% %(span)s || ' minutes')::interval,
        'done', 1, 'reached', 'not_required', '+86 138 0013 8000', 1,
        (%(technicians)s)[1 + i %% 100], (%(products)s)[1 + i %% 20], 1, 1, now(), now()
    FROM generate_series(1, %(n)s) AS i
    """,
    {
        "company": company.id,
        "partners": partners.ids,
        "type": card.id,
        "users": users.ids,
        "technicians": technicians.ids,
        "products": products.ids,
        "start": start_utc,
        "span": span_minutes,
        "n": N,
    },
)
# Each visit answers every item; the level cycles with the visit and the item.
env.cr.execute(
    """
    INSERT INTO visit_answer (record_id, question_id, company_id, sequence, answer_kind,
        is_skipped, value_level, create_uid, write_uid, create_date, write_date)
    SELECT r.id, q.id, r.company_id, q.sequence, q.answer_kind, FALSE,
        (ARRAY['satisfied', 'fairly_satisfied', 'basically_satisfied',
               'unsatisfied'])[1 + (r.id + q.sequence) %% 4],
        1, 1, now(), now()
    FROM visit_record r
    JOIN visit_type_question q ON q.type_id = r.type_id
    WHERE r.type_id = %(type)s
    """,
    {"type": card.id},
)
answers = env.cr.rowcount
env.cr.execute("ANALYZE visit_record; ANALYZE visit_answer")
env.cr.commit()
env.invalidate_all()
print(
    f"fixture: {N} done visits, {answers} answers of {ITEMS} items inserted in "
    f"{time.perf_counter() - started:.1f} s; cycle {cycle.date_from} – {cycle.date_to}"
)


def timed(label, function, repeat=3):
    best, queries = None, None
    for _index in range(repeat):
        env.invalidate_all()
        before = env.cr.sql_log_count
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
        queries = env.cr.sql_log_count - before
    print(f"{label}: {best:.2f} s (best of {repeat}), {queries} queries")
    return result


Indicator = env["visit.indicator"]
domain = Indicator._period_domain(cycle.date_from, cycle.date_to, company)
lines = timed(
    "per-item statistics of the cycle (items section)",
    lambda: Indicator._compute_domain(domain, company, sections={"items"}),
)
averages = [line for line in lines if line["indicator"] == "item_average"]
shares = [line for line in lines if line["indicator"] == "item_satisfied_share"]
print(
    f"  {len(lines)} lines; item 1: average {averages[0]['value']}, satisfied "
    f"{shares[0]['value']} % of {shares[0]['denominator']} answers"
)
page = timed(
    "indicators page with the items (RPC method)",
    lambda: Indicator.get_indicator_page(
        date_from=str(cycle.date_from), date_to=str(cycle.date_to)
    ),
)
served = next(section for section in page["sections"] if section["key"] == "served")
print(f"  served section: {len(served['groups'])} people and products served")
timed(
    "Answers Analysis pivot (item x answer, the cycle)",
    lambda: env["visit.answer.analysis"]._read_group(
        [("date", ">=", cycle.date_from), ("date", "<=", cycle.date_to)],
        ["question_id", "level"],
        ["__count", "score:avg", "satisfied_rate:avg"],
    ),
)
if os.environ.get("CV_BENCH_EXPLAIN"):
    # The plan of the items' GROUP BY, to see where its time goes.
    from odoo.tools import SQL

    query = env["visit.answer.analysis"]._search(domain)
    env.cr.execute(
        SQL(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT question_id, level, option_id, "
            "COUNT(*), SUM(score), SUM(is_satisfied), SUM(nps_point) "
            "FROM %s WHERE %s GROUP BY 1, 2, 3",
            query.from_clause,
            query.where_clause,
        )
    )
    print("\n".join(row[0] for row in env.cr.fetchall()))
