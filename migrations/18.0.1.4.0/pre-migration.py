"""The shipped Dispatch templates print plain field paths.

Odoo renders a template made only of the model's allowed expressions
(``mail_allowed_qweb_expressions``) without QWeb or safe_eval, which is
most of the cost of a batch of thousands of messages. The templates are
noupdate data: one still as shipped is released for this update, so that
the new version replaces it (its translations too, in the post-migration);
one a company edited is kept as it is, and still renders, through QWeb.
"""

import logging
import re

_logger = logging.getLogger(__name__)

# The fields as 18.0.1.3.0 shipped them, in English.
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
TRANSLATED = ("body_html", "body")


def _normal(value):
    """The text without its layout: white space and ``<br/>``'s spelling
    are what storing it changes."""
    return re.sub(r"\s+", "", re.sub(r"<br\s*/?>", "<br>", value or ""))


def migrate(cr, version):
    if not version:
        return
    for name, (table, old) in OLD.items():
        cr.execute(
            "SELECT res_id FROM ir_model_data"
            " WHERE module = 'customer_visit' AND name = %s AND noupdate",
            [name],
        )
        row = cr.fetchone()
        if not row:
            continue
        columns = ", ".join(
            f"{field}->>'en_US'" if field in TRANSLATED else field for field in old
        )
        cr.execute(f"SELECT {columns} FROM {table} WHERE id = %s", [row[0]])  # noqa: S608
        current = cr.fetchone()
        if current is None:
            continue
        if all(
            _normal(value) == _normal(old_value)
            for value, old_value in zip(current, old.values(), strict=True)
        ):
            cr.execute(
                "UPDATE ir_model_data SET noupdate = FALSE"
                " WHERE module = 'customer_visit' AND name = %s",
                [name],
            )
        else:
            _logger.info(
                "customer_visit: %s was edited, kept as it is (rendered by QWeb)", name
            )
