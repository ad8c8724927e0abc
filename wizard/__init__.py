from . import mail_domain_relay_fix
