# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Customer Follow-up Visits",
    "summary": "Plan, run and record customer follow-up visits (回访): "
    "calls and site visits after a sale, a repair or a complaint",
    "version": "18.0.1.0.0",
    "category": "Services/Follow-ups",
    "license": "AGPL-3",
    "author": "customer_visit contributors",
    "website": "https://github.com/customer-visit/customer_visit",
    "depends": [
        "mail",
        "contacts",
        "phone_validation",
        "sale_management",
        "helpdesk_mgmt",
    ],
    "external_dependencies": {"python": ["phonenumbers", "xlsxwriter"]},
    "data": [
        "security/customer_visit_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/mail_activity_type_data.xml",
        "data/visit_type_data.xml",
        "wizards/visit_plan_cancel_wizard_views.xml",
        "views/visit_type_views.xml",
        "views/visit_record_views.xml",
        "views/visit_plan_views.xml",
        "views/res_partner_views.xml",
        "views/sale_order_views.xml",
        "views/helpdesk_ticket_views.xml",
        "views/menus.xml",
    ],
    "demo": ["demo/visit_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "customer_visit/static/tests/tours/*.js",
        ],
    },
    "application": True,
    "installable": True,
}
