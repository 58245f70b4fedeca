# Run by bench/run.sh inside `odoo shell` (`env` is given): exports N visits
# to the xlsx ledger and prints wall time and the process's peak memory.
# The N visits are inserted with SQL: the fixture is not what is measured.
import os
import resource
import time

import openpyxl  # noqa: F401  (read back below)

N = int(os.environ.get("CV_BENCH_N", "100000"))
partners = env["res.partner"].create(
    [{"name": f"客户 {i}", "mobile": "+86 138 0013 8000"} for i in range(1000)]
)  # noqa: F821
visit_type = env.ref("customer_visit.visit_type_repair")  # noqa: F821
env.flush_all()  # noqa: F821
env.cr.execute(  # noqa: F821
    """
    INSERT INTO visit_record (name, company_id, partner_id, type_id, channel, scheduled_date,
        date_done, state, round, outcome, satisfaction_product, satisfaction_service,
        satisfaction_score, is_rated, is_unsatisfied, opinion, source_name, signature_status,
        phone, create_uid, write_uid, create_date, write_date)
    SELECT 'HF' || to_char(now(), 'YYYYMM') || lpad(i::text, 6, '0'), %(company)s,
        (%(partners)s)[1 + i %% 1000], %(type)s, 'phone', now() - (i || ' minutes')::interval,
        now(), 'done', 1, 'reached',
        CASE WHEN i %% 10 = 0 THEN 'unsatisfied' ELSE 'satisfied' END, 'fairly_satisfied',
        CASE WHEN i %% 10 = 0 THEN 2.0 ELSE 3.5 END, true, i %% 10 = 0,
        '回访意见 ' || i || ': 服务很好 =1+1', 'HT' || i, 'phone_visit', '+86 138 0013 8000',
        1, 1, now(), now()
    FROM generate_series(1, %(n)s) AS i
    """,
    {
        "company": env.company.id,
        "partners": partners.ids,
        "type": visit_type.id,
        "n": N,
    },  # noqa: F821
)
env.cr.commit()  # noqa: F821
env.invalidate_all()  # noqa: F821

before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
data = env["visit.ledger"]._xlsx([("type_id", "=", visit_type.id)])  # noqa: F821
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(
    f"ledger of {N} visits: {elapsed:.1f} s, {len(data) / 1024 / 1024:.1f} MB xlsx, "
    f"peak RSS {peak:.0f} MB (before export {before:.0f} MB)"
)
