{
    "name": "Mail Domain Health",
    "summary": "Check SPF, DKIM and DMARC of the domains Odoo sends mail from, "
    "and warn about addresses Odoo cannot send as",
    "version": "19.0.1.0.0",
    "category": "Productivity/Discuss",
    "website": "https://github.com/mail-domain-health/mail_domain_health",
    "author": "Mail Domain Health contributors",
    "maintainers": [],
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["mail"],
    "external_dependencies": {"python": ["dnspython", "idna"]},
    "data": [],
    "installable": True,
    "application": False,
}
