from . import mailing_bulk_confirm
