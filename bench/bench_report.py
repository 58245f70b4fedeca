# Run by bench/run.sh inside `odoo shell` (`env` is given): prints 200 signed
# visit sheets in one PDF with wkhtmltopdf and reports time and size.
import base64
import io
import os
import time

from PIL import Image

N = int(os.environ.get("CV_BENCH_N", "200"))
env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))  # noqa: F821
env["ir.config_parameter"].set_param("report.url", os.environ["CV_REPORT_URL"])

image = Image.new("RGB", (240, 80), "white")
for x in range(20, 220):
    image.putpixel((x, 40 + (x % 9)), (0, 0, 0))
buffer = io.BytesIO()
image.save(buffer, format="PNG")
signature = base64.b64encode(buffer.getvalue())

partners = env["res.partner"].create(
    [{"name": f"客户 {i}", "mobile": "+86 138 0013 8000"} for i in range(N)]
)
visit_type = env.ref("customer_visit.visit_type_after_sale")
visits = env["visit.record"].create(
    [
        {
            "partner_id": p.id,
            "type_id": visit_type.id,
            "outcome": "reached",
            "satisfaction_product": "satisfied",
            "satisfaction_service": "fairly_satisfied",
            "opinion": "安装及时，师傅服务态度很好。The installer was on time.",
        }
        for p in partners
    ]
)
for visit in visits:
    visit._sign(visit.partner_id.name, signature)
visits.action_done()
env.cr.commit()

start = time.perf_counter()
pdf, _kind = env["ir.actions.report"]._render_qweb_pdf(
    "customer_visit.visit_record_report_sheet", visits.ids
)
elapsed = time.perf_counter() - start
print(
    f"{N} signed visit sheets in one PDF: {elapsed:.1f} s, "
    f"{len(pdf) / 1024 / 1024:.1f} MB"
)
