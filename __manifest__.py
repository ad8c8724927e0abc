{
    "name": "Mail Domain Health",
    "summary": "Check SPF, DKIM and DMARC of the domains Odoo sends mail from, "
    "and warn about addresses Odoo cannot send as",
    "version": "19.0.1.1.0",
    "category": "Productivity/Discuss",
    "website": "https://github.com/mail-domain-health/mail_domain_health",
    "author": "Mail Domain Health contributors",
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["mail", "bus"],
    "external_dependencies": {"python": ["dnspython", "dkimpy", "idna"]},
    "data": [
        "security/mail_domain_health_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/mail_domain_check_state_data.xml",
        "views/mail_domain_check_views.xml",
        "views/mail_dmarc_report_views.xml",
        "views/res_config_settings_views.xml",
        "views/res_company_views.xml",
        "views/res_users_views.xml",
        "views/res_partner_views.xml",
        "views/mail_domain_relay_fix_views.xml",
        "views/mail_domain_health_menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "mail_domain_health/static/src/js/*.js",
            "mail_domain_health/static/src/xml/*.xml",
        ],
        "web.assets_tests": [
            "mail_domain_health/static/tests/tours/*.js",
        ],
    },
}
