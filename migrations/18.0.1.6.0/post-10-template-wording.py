"""The shipped e-mail and SMS templates' wording of 18.0.1.5.0 reaches
upgraded databases.

18.0.1.5.0 changed the wording of three shipped templates (the e-mail
asking a customer to read and sign a closed visit never invites an
answer; the Dispatch e-mail and SMS ask how "our service" went instead of
how "our <type name>" went) but the templates are ``noupdate``: a
database upgraded from 18.0.1.4.0 kept the earlier wording. Each one still
as 18.0.1.4.0 shipped it (in English, and each translation as shipped or
untranslated) is loaded again; an edited one is kept. The SMS asking to
sign, new in 18.0.1.5.0, is created by the update itself (a ``noupdate``
record that does not exist yet is created).
"""

from odoo import SUPERUSER_ID, api

from odoo.addons.customer_visit.migrations.template_refresh import refresh

# The bodies as 18.0.1.4.0 shipped them (their lines as they were, hence
# longer than the house's lines).
# ruff: noqa: E501
OLD = {
    "mail_template_visit_sign_request": (
        "mail_template",
        {
            "body_html": """
<div style="margin: 0px; padding: 0px;">
    <p style="margin: 0px; padding: 0px; font-size: 13px;">
        Dear <t t-out="(object.contact_id or object.partner_id).name or ''">Customer</t>,
        <br/><br/>
        Thank you for your time. Please read the record of our follow-up visit
        <strong t-out="object.name or ''">HF2026110001</strong>
        (<t t-out="object.type_id.name or ''">Repair follow-up</t>) and sign it, or answer its questions yourself:
        <br/><br/>
        <a t-att-href="object.get_portal_url()" style="background-color: #875A7B; padding: 8px 16px; color: #fff; border-radius: 5px; text-decoration: none;">Open the visit</a>
        <br/><br/>
        On the same page you can choose a time for us to call you back, or ask us not to contact you again.
        <br/><br/>
        Best regards,<br/>
        <t t-out="object.user_id.name or object.company_id.name or ''">The after-sales team</t>
    </p>
</div>
        """,
        },
    ),
    "mail_template_visit_dispatch": (
        "mail_template",
        {
            "body_html": """
<div style="margin: 0px; padding: 0px;">
    <p style="margin: 0px; padding: 0px; font-size: 13px;">
        Dear <t t-out="object.message_partner_id.name">Customer</t>,
        <br/><br/>
        We would like to know how our <t t-out="object.type_id.name">repair</t> went for you.
        A few questions take two minutes:
        <br/><br/>
        <t t-out="object.message_button">Answer now</t>
        <br/><br/>
        On the same page you can choose a time for us to call you instead, or ask us not to contact you again.
        <br/><br/>
        Best regards,<br/>
        <t t-out="object.message_sender_name">The after-sales team</t>
    </p>
</div>
        """,
        },
    ),
    "sms_template_visit_dispatch": (
        "sms_template",
        {
            "body": """{{ object.company_id.name }}: how did our {{ object.type_id.name }} go? Answer in 2 minutes: {{ object.message_link }}""",
        },
    ),
}
OLD_TRANSLATIONS = {
    "mail_template_visit_sign_request": {
        "zh_CN": """<div style="margin: 0px; padding: 0px;">
    <p style="margin: 0px; padding: 0px; font-size: 13px;">
        尊敬的 <t t-out="(object.contact_id or object.partner_id).name or ''">客户</t>：
        <br/><br/>
        感谢您抽出宝贵时间。请查阅我们的回访记录
        <strong t-out="object.name or ''">HF2026110001</strong>
        （<t t-out="object.type_id.name or ''">维修回访</t>）并签字确认，或直接在线回答回访问题：
        <br/><br/>
        <a t-att-href="object.get_portal_url()" style="background-color: #875A7B; padding: 8px 16px; color: #fff; border-radius: 5px; text-decoration: none;">查看回访</a>
        <br/><br/>
        在同一页面上，您还可以选择方便我们回电的时间，或要求我们不再联系您。
        <br/><br/>
        此致敬礼，<br/>
        <t t-out="object.user_id.name or object.company_id.name or ''">售后服务团队</t>
    </p>
</div>
        """,
    },
    "mail_template_visit_dispatch": {
        "zh_CN": """<div style="margin: 0px; padding: 0px;">
    <p style="margin: 0px; padding: 0px; font-size: 13px;">
        尊敬的<t t-out="object.message_partner_id.name">客户</t>，您好：
        <br/><br/>
        我们想了解本次<t t-out="object.type_id.name">维修</t>您是否满意。
        回答几个问题只需两分钟：
        <br/><br/>
        <t t-out="object.message_button">立即作答</t>
        <br/><br/>
        您也可以在同一页面选择方便我们致电的时间，或要求我们不再联系您。
        <br/><br/>
        此致敬礼！<br/>
        <t t-out="object.message_sender_name">售后服务团队</t>
    </p>
</div>
        """,
    },
    "sms_template_visit_dispatch": {
        "zh_CN": """【{{ object.company_id.name }}】您对本次{{ object.type_id.name }}满意吗？2分钟在线作答：{{ object.message_link }}""",
    },
}


def migrate(cr, version):
    if not version:
        return
    refresh(api.Environment(cr, SUPERUSER_ID, {}), OLD, OLD_TRANSLATIONS)
