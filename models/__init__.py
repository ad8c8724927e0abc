from . import mail_domain_check
from . import mail_domain_check_problem
from . import mail_dmarc_report
from . import mail_dmarc_report_row
from . import res_company
from . import res_config_settings
from . import res_partner
from . import res_users
