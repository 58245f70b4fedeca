"""The shipped Dispatch templates print plain field paths; one Dispatch
job per worker.

Odoo renders a template made only of the model's allowed expressions
(``mail_allowed_qweb_expressions``) without QWeb or safe_eval, which is
most of the cost of a batch of thousands of messages. The templates are
noupdate data, which an update leaves alone: the fields that changed
(the body, the sender, the addressee, the language) are loaded again
here from the module's file when they are still as shipped, and each
translation of the body that is still as shipped (or untranslated) from
the module's translation files; a template a company edited is kept as it
is, and still renders, through QWeb.
"""

from odoo import SUPERUSER_ID, api

from odoo.addons.customer_visit.migrations.template_refresh import refresh

# The fields as 18.0.1.3.0 shipped them, in English (the body's lines as
# they were, hence longer than the house's lines).
# ruff: noqa: E501
OLD = {
    "mail_template_visit_dispatch": (
        "mail_template",
        {
            "email_from": "{{ (object.user_id.email_formatted or "
            "object.company_id.email_formatted or user.email_formatted) }}",
            "partner_to": "{{ (object.contact_id or object.partner_id).id }}",
            "lang": "{{ (object.contact_id or object.partner_id).lang }}",
            "body_html": """
<div style="margin: 0px; padding: 0px;">
    <p style="margin: 0px; padding: 0px; font-size: 13px;">
        Dear <t t-out="(object.contact_id or object.partner_id).name or ''">Customer</t>,
        <br /><br />
        We would like to know how our <t t-out="object.type_id.name or ''">repair</t> went for you.
        A few questions take two minutes:
        <br /><br />
        <a t-att-href="object.get_portal_url()" style="background-color: #875A7B; padding: 8px 16px; color: #fff; border-radius: 5px; text-decoration: none;">Answer now</a>
        <br /><br />
        On the same page you can choose a time for us to call you instead, or ask us not to contact you again.
        <br /><br />
        Best regards,<br />
        <t t-out="object.user_id.name or object.company_id.name or ''">The after-sales team</t>
    </p>
</div>
""",
        },
    ),
    "sms_template_visit_dispatch": (
        "sms_template",
        {
            "lang": "{{ (object.contact_id or object.partner_id).lang }}",
            "body": "{{ object.company_id.name }}: how did our "
            "{{ object.type_id.name }} go? Answer in 2 minutes: "
            "{{ object.get_base_url() + object.get_portal_url() }}",
        },
    ),
}
# Their translations as 18.0.1.3.0 shipped them.
OLD_TRANSLATIONS = {
    "mail_template_visit_dispatch": {
        "zh_CN": """
<div style="margin: 0px; padding: 0px;">
    <p style="margin: 0px; padding: 0px; font-size: 13px;">
        尊敬的<t t-out="(object.contact_id or object.partner_id).name or ''">客户</t>，您好：
        <br/><br/>
        我们想了解本次<t t-out="object.type_id.name or ''">维修</t>您是否满意。
        回答几个问题只需两分钟：
        <br/><br/>
        <a t-att-href="object.get_portal_url()" style="background-color: #875A7B; padding: 8px 16px; color: #fff; border-radius: 5px; text-decoration: none;">立即作答</a>
        <br/><br/>
        您也可以在同一页面选择方便我们致电的时间，或要求我们不再联系您。
        <br/><br/>
        此致敬礼！<br/>
        <t t-out="object.user_id.name or object.company_id.name or ''">售后服务团队</t>
    </p>
</div>
""",
    },
    "sms_template_visit_dispatch": {
        "zh_CN": "【{{ object.company_id.name }}】您对本次{{ object.type_id.name }}"
        "满意吗？2分钟在线作答：{{ object.get_base_url() + object.get_portal_url() }}",
    },
}


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    refresh(env, OLD, OLD_TRANSLATIONS)
    env["ir.cron"]._visit_sync_worker_jobs()
