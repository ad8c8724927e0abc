from . import mailing_mailing
from . import mailing_mailing_bulk_check
from . import res_config_settings
