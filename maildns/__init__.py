"""maildns: check the SPF, DKIM and DMARC of the domains mail is sent from.

Pure Python, no Odoo: usable from a shell (python -m maildns), from a
monitoring system and from the mail_domain_health Odoo addon.
"""

from . import messages, spf
from .address import address_verdict
from .aggregate import AggregateReport, Attribution, ReportError, attribute_sources, parse_report
from .check import check_domain, check_domains
from .dns import Lookup, Outcome, Resolver
from .errors import InvalidNameserver, InvalidProvider, InvalidTarget, MailDNSError
from .names import is_public_dns_name
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
    "address_verdict",
    "attribute_sources",
    "check_domain",
    "check_domains",
    "get_provider",
    "is_public_dns_name",
    "messages",
    "parse_report",
    "spf",
]
