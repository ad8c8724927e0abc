from . import mailing_mailing
from . import res_config_settings
