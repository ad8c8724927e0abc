"""DMARC aggregate reports (RFC 7489 and RFC 9990): parse them safely, attribute their senders, total them."""

from .attribution import attribute_ips, attribute_sources, reverse_lookup
from .model import (
    AggregateRecord,
    AggregateReport,
    Attribution,
    AuthResult,
    Limits,
    PolicyOverride,
    PublishedPolicy,
    ReportError,
    ReportPart,
    Skip,
    iso_utc,
)
from .parse import parse_report, stream_reports
from .summary import SourceTotal, Tally, Totals, summarize

__all__ = [
    "AggregateRecord",
    "AggregateReport",
    "Attribution",
    "AuthResult",
    "Limits",
    "PolicyOverride",
    "PublishedPolicy",
    "ReportError",
    "ReportPart",
    "Skip",
    "SourceTotal",
    "Tally",
    "Totals",
    "attribute_ips",
    "attribute_sources",
    "iso_utc",
    "parse_report",
    "reverse_lookup",
    "stream_reports",
    "summarize",
]
