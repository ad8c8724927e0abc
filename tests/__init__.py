from . import test_i18n
from . import test_mail_domain_check
from . import test_contact_relay
from . import test_views
from . import test_rpc_access
from . import test_queue_job
from . import test_tours
from . import test_dmarc_reports
