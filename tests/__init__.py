import importlib.util

# The helpers of support/ (the test DNS server, its fault proxy, the Odoo process drivers) import no Odoo: the
# engine's tests, the process tests and the benchmarks import them as odoo.addons.mail_domain_health.tests.support
# in a Python without Odoo. The test modules below need Odoo itself.
if importlib.util.find_spec("odoo.tests"):
    from . import test_i18n
    from . import test_mail_domain_check
    from . import test_contact_relay
    from . import test_views
    from . import test_rpc_access
    from . import test_queue_job
    from . import test_tours
    from . import test_dmarc_reports
    from . import test_relays
    from . import test_self_hosted_tour
    from . import test_screens_stay_true
    from . import test_dmarc_report_security
