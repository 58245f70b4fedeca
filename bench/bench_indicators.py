# Run by bench/run.sh inside `odoo shell` (`env` is given): the indicators
# of one report cycle, the Follow-ups dashboard's data and the monthly
# report (PDF + xlsx) over N visits and N/5 cases a rule could not plan.
# The fixture is inserted with SQL: it is not what is measured.
import json
import os
import time
from datetime import timedelta

N = int(os.environ.get("CV_BENCH_N", "100000"))
SKIPS = N // 5
env = env(context=dict(env.context, tracking_disable=True))  # noqa: F821
if os.environ.get("CV_REPORT_URL"):
    env["ir.config_parameter"].set_param("report.url", os.environ["CV_REPORT_URL"])
company = env.company
company.resource_calendar_id.tz = "Asia/Shanghai"
partners = env["res.partner"].create(
    [{"name": f"客户 {i}", "mobile": "+86 138 0013 8000"} for i in range(1000)]
)
types = env["visit.type"].search([], limit=5)
# Whom and what the visits judged: 100 technicians, 20 products.
technicians = env["res.partner"].create([{"name": f"技师 {i}"} for i in range(100)])
products = env["product.product"].create([{"name": f"Product {i}"} for i in range(20)])
users = env["res.users"].create(
    [
        {
            "name": f"Agent {i}",
            "login": f"bench_agent_{i}",
            "company_id": company.id,
            "company_ids": [(6, 0, company.ids)],
        }
        for i in range(20)
    ]
)
rule = env["visit.rule"].create(
    {
        "name": "Bench rule",
        "model_id": env["ir.model"]._get_id("helpdesk.ticket"),
        "active": False,
        "step_ids": [
            (0, 0, {"type_id": types[0].id, "delay": 1, "delay_unit": "days"})
        ],
    }
)
# The last whole cycle: every visit and skipped case of the fixture is due in it.
current = company._visit_report_cycle(day=company._visit_today())
cycle = company._visit_report_cycle(day=current.date_from - timedelta(days=1))
start_utc, stop_utc = company._visit_utc_bounds(cycle.date_from, cycle.date_to)
span_minutes = int((stop_utc - start_utc).total_seconds() // 60)
env.flush_all()
env.cr.execute(
    """
    INSERT INTO visit_record (name, company_id, partner_id, type_id, user_id, channel, scheduled_date,
        deadline, date_done, state, round, outcome, unreached_reason_id, satisfaction_product,
        satisfaction_service, satisfaction_score, is_rated, is_unsatisfied, is_problem_open,
        signature_status, phone, max_attempts, served_by_id, served_product_id, create_uid,
        write_uid, create_date, write_date)
    SELECT 'HF' || lpad(i::text, 8, '0'), %(company)s,
        (%(partners)s)[1 + i %% 1000], (%(types)s)[1 + i %% %(ntypes)s], (%(users)s)[1 + i %% 20],
        (ARRAY['phone', 'onsite', 'letter', 'sms', 'email'])[1 + i %% 5],
        %(start)s + ((i * 7919) %% %(span)s || ' minutes')::interval,
        %(start)s + ((i * 7919) %% %(span)s || ' minutes')::interval + interval '2 days',
        CASE WHEN i %% 10 < 7 THEN %(start)s + ((i * 7919) %% %(span)s || ' minutes')::interval END,
        CASE WHEN i %% 10 < 6 THEN 'done' WHEN i %% 10 = 6 THEN 'failed'
             WHEN i %% 10 = 9 THEN 'cancelled' ELSE 'planned' END,
        1,
        CASE WHEN i %% 10 < 6 THEN 'reached' WHEN i %% 10 = 6 THEN 'not_reached' END,
        CASE WHEN i %% 10 = 6 THEN (%(reasons)s)[1 + i %% 3] END,
        CASE WHEN i %% 10 < 4 THEN (ARRAY['satisfied', 'fairly_satisfied', 'unsatisfied'])[1 + i %% 3] END,
        CASE WHEN i %% 10 < 5 THEN 'satisfied' END,
        CASE WHEN i %% 10 < 5 THEN 3.0 ELSE 0 END, i %% 10 < 5, i %% 10 < 4 AND i %% 3 = 2,
        i %% 10 < 4 AND i %% 3 = 2,
        CASE WHEN i %% 5 = 1 AND i %% 2 = 0 THEN 'signed' WHEN i %% 5 = 0 THEN 'phone_visit'
             ELSE 'not_required' END,
        '+86 138 0013 8000', 1, (%(technicians)s)[1 + i %% 100], (%(products)s)[1 + i %% 20],
        1, 1, now(), now()
    FROM generate_series(1, %(n)s) AS i
    """,
    {
        "company": company.id,
        "partners": partners.ids,
        "types": types.ids,
        "ntypes": len(types),
        "users": users.ids,
        "technicians": technicians.ids,
        "products": products.ids,
        "reasons": [
            env.ref(f"customer_visit.visit_unreached_reason_{name}").id
            for name in ("no_answer", "refused", "void_number")
        ],
        "start": start_utc,
        "span": span_minutes,
        "n": N,
    },
)
env.cr.execute(
    """
    INSERT INTO visit_rule_skip (rule_id, company_id, res_id, reason, type_id, channel,
        due_date, is_qualifying, create_uid, write_uid, create_date, write_date)
    SELECT %(rule)s, %(company)s, i,
        (ARRAY['no_partner', 'do_not_visit', 'no_assignee', 'error'])[1 + i %% 4], %(type)s, 'phone',
        %(start)s + ((i * 104729) %% %(span)s || ' minutes')::interval, i %% 7 != 0, 1, 1, now(), now()
    FROM generate_series(1, %(n)s) AS i
    """,
    {
        "rule": rule.id,
        "company": company.id,
        "type": types[0].id,
        "start": start_utc,
        "span": span_minutes,
        "n": SKIPS,
    },
)
env.cr.execute("ANALYZE visit_record; ANALYZE visit_rule_skip")
env.cr.commit()
env.invalidate_all()
in_cycle = env["visit.case"].search_count(
    [("date", ">=", cycle.date_from), ("date", "<=", cycle.date_to)]
)
print(
    f"fixture: {N} visits, {SKIPS} skipped cases; {in_cycle} cases in the cycle "
    f"{cycle.date_from} – {cycle.date_to}"
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


lines = timed(
    "indicators of the cycle",
    lambda: env["visit.indicator"]._compute(cycle.date_from, cycle.date_to, company),
)
page = timed(
    "indicators page (RPC method)",
    lambda: env["visit.indicator"].get_indicator_page(
        date_from=str(cycle.date_from), date_to=str(cycle.date_to)
    ),
)
served = next(section for section in page["sections"] if section["key"] == "served")
print(f"  served section: {len(served['groups'])} people and products served")
rate = next(
    line["value"]
    for line in lines
    if line["indicator"] == "callback_rate" and not line["type_id"]
)
print(f"  {len(lines)} figures; callback rate {rate} %")


def dashboard_data():
    """Every pivot and list of the published Follow-ups dashboards, read as
    the spreadsheet reads them (one _read_group per pivot)."""
    reads = 0
    for dashboard in env["spreadsheet.dashboard"].search(
        [("name", "ilike", "Follow-up")]
    ):
        data = json.loads(dashboard.spreadsheet_data or "{}")
        for pivot in data.get("pivots", {}).values():
            model = env[pivot["model"]]
            domain = pivot.get("domain") or []
            if isinstance(domain, str):
                domain = []
            rows = [
                d["fieldName"]
                + (":" + d["granularity"] if d.get("granularity") else "")
                for d in pivot.get("rows", []) + pivot.get("columns", [])
            ]
            measures = [
                f"{m['fieldName']}:{m.get('aggregator') or model._fields[m['fieldName']].aggregator or 'count'}"
                if m["fieldName"] != "__count"
                else "__count"
                for m in pivot.get("measures", [])
            ]
            model._read_group(domain, rows, measures)
            reads += 1
        for sheet in data.get("sheets", []):
            for figure in sheet.get("figures", []):
                chart = figure.get("data", {})
                if figure.get("tag") == "chart" and chart.get("type", "").startswith(
                    "odoo_"
                ):
                    meta = chart["metaData"]
                    model = env[meta["resModel"]]
                    measure = meta["measure"]
                    aggregate = (
                        "__count"
                        if measure == "__count"
                        else f"{measure}:{model._fields[measure].aggregator or 'sum'}"
                    )
                    model._read_group(
                        chart["searchParams"].get("domain") or [],
                        meta["groupBy"],
                        [aggregate],
                    )
                    reads += 1
        for spreadsheet_list in data.get("lists", {}).values():
            env[spreadsheet_list["model"]].search_read(
                spreadsheet_list.get("domain") or [],
                spreadsheet_list.get("columns", []),
                limit=100,
            )
            reads += 1
    return reads


if "spreadsheet.dashboard" in env:
    reads = timed("dashboard data (every pivot and list)", dashboard_data)
    print(f"  {reads} pivots, charts and lists read (whole table, no period filter)")


def monthly_report():
    sent = company._send_visit_monthly_report(cycle.date_from, cycle.date_to)
    return sent


mail = timed("monthly report (PDF + xlsx, mailed)", monthly_report, repeat=1)
sizes = ", ".join(f"{a.name} {a.file_size / 1024:.0f} kB" for a in mail.attachment_ids)
print(f"  attachments: {sizes}")
