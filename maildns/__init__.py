"""maildns: check the SPF, DKIM and DMARC of the domains mail is sent from.

Pure Python, no Odoo: usable from a shell (python -m maildns), from a
monitoring system and from the mail_domain_health Odoo addon.
"""

from . import messages, spf
from .address import (
    RelayVerdict,
    UserVerdict,
    address_verdict,
    domain_relay_fails,
    free_mail_reason,
    is_free_mail,
    relay_verdict,
    user_verdict,
)
from .aggregate import (
    AggregateRecord,
    AggregateReport,
    Attribution,
    ReportError,
    attribute_ips,
    attribute_sources,
    parse_report,
)
from .aggregate.authenticity import ReportAuthenticity, verify_report_message
from .aggregate.parse import REPORT_SUFFIXES, sniff
from .bulk import RULES as BULK_RULES
from .bulk import SOURCES as BULK_SOURCES
from .bulk import BulkVerdict, ReverseName, SendingPath, bulk_verdict, check_bulk, forward_confirmed
from .check import DEFAULT_DOMAIN_TIMEOUT, check_domain, check_domains
from .dns import Lookup, Outcome, Resolver, parse_nameserver
from .errors import InvalidNameserver, InvalidProvider, InvalidTarget, MailDNSError
from .messages import MESSAGES, PLACEHOLDERS
from .names import is_public_dns_name, to_ascii, to_unicode
from .providers import (
    AUTO,
    PROVIDER_CHOICES,
    PROVIDERS,
    SELF_HOSTED,
    UNKNOWN_SENDER,
    Provider,
    SenderDetection,
    SmtpServer,
    chosen_sender,
    detect_sender,
    get_provider,
    provider_for_smtp_host,
    resolver_addresses,
)
from .result import DomainResult, Finding, Publication, Record, Status, is_fault, worst

__all__ = [
    "AUTO",
    "DEFAULT_DOMAIN_TIMEOUT",
    "MESSAGES",
    "PLACEHOLDERS",
    "PROVIDERS",
    "PROVIDER_CHOICES",
    "BULK_RULES",
    "BULK_SOURCES",
    "REPORT_SUFFIXES",
    "SELF_HOSTED",
    "UNKNOWN_SENDER",
    "AggregateRecord",
    "AggregateReport",
    "Attribution",
    "BulkVerdict",
    "DomainResult",
    "InvalidNameserver",
    "InvalidProvider",
    "InvalidTarget",
    "Lookup",
    "MailDNSError",
    "Outcome",
    "Finding",
    "Provider",
    "Publication",
    "Record",
    "RelayVerdict",
    "ReportAuthenticity",
    "ReportError",
    "Resolver",
    "ReverseName",
    "SendingPath",
    "SenderDetection",
    "SmtpServer",
    "Status",
    "UserVerdict",
    "address_verdict",
    "attribute_ips",
    "attribute_sources",
    "bulk_verdict",
    "check_bulk",
    "check_domain",
    "check_domains",
    "chosen_sender",
    "detect_sender",
    "domain_relay_fails",
    "forward_confirmed",
    "free_mail_reason",
    "get_provider",
    "is_fault",
    "is_free_mail",
    "is_public_dns_name",
    "messages",
    "parse_nameserver",
    "parse_report",
    "provider_for_smtp_host",
    "relay_verdict",
    "resolver_addresses",
    "sniff",
    "spf",
    "to_ascii",
    "to_unicode",
    "user_verdict",
    "verify_report_message",
    "worst",
]
