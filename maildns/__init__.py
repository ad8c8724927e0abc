"""maildns: check the SPF, DKIM and DMARC of the domains mail is sent from.

Pure Python, no Odoo: usable from a shell (python -m maildns), from a
monitoring system and from the mail_domain_health Odoo addon.
"""

from .dns import Lookup, Outcome, Resolver
from .errors import InvalidNameserver, InvalidProvider, InvalidTarget, MailDNSError

__all__ = [
    "InvalidNameserver",
    "InvalidProvider",
    "InvalidTarget",
    "Lookup",
    "MailDNSError",
    "Outcome",
    "Resolver",
]
