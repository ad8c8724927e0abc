from . import test_mail_domain_check
from . import test_views
