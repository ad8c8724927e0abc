from . import test_i18n
from . import test_mailing_bulk_rules
from . import test_tours
