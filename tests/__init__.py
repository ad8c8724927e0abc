from . import test_mail_domain_check, test_views
