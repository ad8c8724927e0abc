{
    "name": "Mail Domain Health for Email Marketing",
    "summary": "Check each mailing against the bulk-sender rules of Gmail, Yahoo and Outlook.com before it goes out",
    "version": "19.0.1.0.0",
    "category": "Marketing/Email Marketing",
    "website": "https://github.com/mail-domain-health/mail_domain_health",
    "author": "Mail Domain Health contributors",
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["mail_domain_health", "mass_mailing"],
    "external_dependencies": {"python": ["dnspython", "idna"]},
    "auto_install": True,
    "data": [
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/mailing_mailing_views.xml",
        "views/mailing_bulk_confirm_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "mail_domain_health_mass_mailing/static/tests/tours/*.js",
        ],
    },
}
