"""maildns: check the SPF, DKIM and DMARC of the domains mail is sent from.

Pure Python, no Odoo: usable from a shell (python -m maildns), from a
monitoring system and from the mail_domain_health Odoo addon.
"""

from . import messages, spf
from .address import address_verdict
from .aggregate import AggregateReport, Attribution, ReportError, attribute_sources, parse_report
from .bulk import RULES as BULK_RULES
from .bulk import SOURCES as BULK_SOURCES
from .bulk import BulkVerdict, ReverseName, SendingPath, bulk_verdict, check_bulk, forward_confirmed
from .check import check_domain, check_domains
from .dns import Lookup, Outcome, Resolver
from .errors import InvalidNameserver, InvalidProvider, InvalidTarget, MailDNSError
from .names import is_public_dns_name
from .providers import (
    PROVIDER_CHOICES,
    PROVIDERS,
    Provider,
    SenderDetection,
    SmtpServer,
    chosen_sender,
    detect_sender,
    get_provider,
    provider_for_smtp_host,
    resolver_addresses,
)
from .report import DomainReport, Problem, Record, Status

__all__ = [
    "PROVIDERS",
    "PROVIDER_CHOICES",
    "BULK_RULES",
    "BULK_SOURCES",
    "AggregateReport",
    "Attribution",
    "BulkVerdict",
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
    "ReverseName",
    "SendingPath",
    "SenderDetection",
    "SmtpServer",
    "Status",
    "address_verdict",
    "attribute_sources",
    "bulk_verdict",
    "check_bulk",
    "check_domain",
    "check_domains",
    "chosen_sender",
    "detect_sender",
    "forward_confirmed",
    "get_provider",
    "is_public_dns_name",
    "messages",
    "parse_report",
    "provider_for_smtp_host",
    "resolver_addresses",
    "spf",
]
