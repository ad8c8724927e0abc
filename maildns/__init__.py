"""maildns: check the SPF, DKIM and DMARC of the domains mail is sent from.

Pure Python, no Odoo: usable from a shell (python -m maildns), from a
monitoring system and from the mail_domain_health Odoo addon.
"""

from . import messages, spf
from .aggregate import AggregateReport, Attribution, ReportError, attribute_sources, parse_report
from .check import check_domain, check_domains
from .dns import Lookup, Outcome, Resolver
from .errors import InvalidNameserver, InvalidProvider, InvalidTarget, MailDNSError
from .providers import PROVIDERS, Provider, get_provider
from .report import DomainReport, Problem, Record, Status

__all__ = [
    "PROVIDERS",
    "AggregateReport",
    "Attribution",
    "DomainReport",
    "InvalidNameserver",
    "InvalidProvider",
    "InvalidTarget",
    "Lookup",
    "MailDNSError",
    "Outcome",
    "Problem",
    "Provider",
    "Record",
    "ReportError",
    "Resolver",
    "Status",
    "attribute_sources",
    "check_domain",
    "check_domains",
    "get_provider",
    "messages",
    "parse_report",
    "spf",
]
