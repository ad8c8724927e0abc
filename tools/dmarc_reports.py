"""From a message the mail gateway received to the values of DMARC report records, and the settings of reports.

No ORM here: the model reads the message and the parameters, and writes what these functions return.
"""

import math
from collections.abc import Iterable, Mapping

from lxml import html

from ..maildns import PROVIDERS, REPORT_SUFFIXES, AggregateRecord, AggregateReport, sniff

# Days a report is kept before the autovacuum removes it.
DEFAULT_KEEP_DAYS = 180
MAX_KEEP_DAYS = 3650
# An alert when, in one report, more than this share of the messages of Odoo's servers failed DMARC...
DEFAULT_ODOO_FAIL_PERCENT = 5.0
# ...or when a source no SPF record authorizes sent more than this many messages as the domain.
DEFAULT_UNKNOWN_MESSAGES = 20
MAX_UNKNOWN_MESSAGES = 10_000_000
# Who sends from a source IP, as the engine attributes it (maildns.aggregate.Attribution.source).
SOURCES = [
    ("pending", "Not attributed yet"),
    *((provider.name, provider.label) for provider in PROVIDERS.values()),
    ("own", "Own servers"),
    ("domain", "The domain's SPF record"),
    ("unknown", "Unknown"),
    ("error", "DNS error"),
]
# The attribution of the servers Odoo sends through, by the sending provider of the checks' settings; a sender
# whose public addresses are not known yet ("unknown") has none: no row is taken for Odoo's.
SENDER_SOURCE = {"self_hosted": "own", "unknown": None}
_FILENAME_LENGTH = 200


def report_files(attachments: Iterable, body: str | None) -> list[tuple[str, bytes]]:
    """The files of a received message that may hold reports: its attachments that look like one, else its body.

    `attachments` are the (name, content, info) of the mail gateway's message_parse(): content is text for
    text/* parts (text/xml reports), decoded with the part's charset, and bytes for the others.
    """
    files = []
    for name, content, info in attachments:
        data = _as_bytes(content, (info or {}).get("encoding"))
        name = (name or "attachment")[:_FILENAME_LENGTH]
        if name.lower().endswith(REPORT_SUFFIXES) or sniff(data) in ("gzip", "zip", "xml"):
            files.append((name, data))
    if files:
        return files
    # A few reporters write the XML in the message's text; the gateway made it HTML (text in a <pre>).
    text = body_text(body)
    return [("body.xml", text.encode())] if sniff(text.encode()) == "xml" else []


def body_text(body: str | None) -> str:
    """The text of a message body as the gateway stores it (HTML), without its markup."""
    if not body or not body.strip():
        return ""
    try:
        return html.fromstring(body).text_content().strip()
    except (ValueError, html.etree.ParserError):
        return ""


def _as_bytes(content: str | bytes | None, encoding: str | None) -> bytes:
    if isinstance(content, bytes):
        return content
    if not content:
        return b""
    # Back to the part's own charset, the one its XML declaration names.
    try:
        return content.encode(encoding or "utf-8", errors="replace")
    except LookupError:
        return content.encode("utf-8", errors="replace")


def report_values(report: AggregateReport) -> dict:
    """A report record's own values (without its rows) from a parsed report."""
    policy = report.policy
    return {
        "state": "ok",
        "org_name": report.org_name,
        "email": report.email,
        "extra_contact_info": report.extra_contact_info,
        "report_id": report.report_id,
        # Odoo stores naive UTC datetimes.
        "date_begin": report.begin.replace(tzinfo=None),
        "date_end": report.end.replace(tzinfo=None),
        "domain": policy.domain,
        "policy_p": policy.p,
        "policy_sp": policy.sp,
        "policy_np": policy.np,
        "policy_adkim": policy.adkim,
        "policy_aspf": policy.aspf,
        "policy_pct": policy.pct,
        "policy_testing": policy.testing,
        "policy_fo": policy.fo,
        "report_format": report.format,
        "generator": report.generator,
        "reporter_errors": "\n".join(report.errors) or False,
        "source_name": report.source,
        "messages": report.messages,
        "passed_messages": report.passed,
    }


def row_values(record: AggregateRecord, report: AggregateReport) -> dict:
    """A row's values: one record of a report, dated by the report's first day for the graphs."""
    return {
        "date": report.begin.date(),
        "source_ip": record.source_ip,
        "messages": record.count,
        "passed_messages": record.count if record.passed else 0,
        "failed_messages": 0 if record.passed else record.count,
        "result": "pass" if record.passed else "unauthenticated",
        "disposition": record.disposition,
        "dkim": record.dkim,
        "spf": record.spf,
        "header_from": record.header_from,
        "envelope_from": record.envelope_from,
        "envelope_to": record.envelope_to,
        "auth_results": [result.to_dict() for result in record.auth_results],
        "reasons": [reason.to_dict() for reason in record.reasons],
    }


def attribution_values(attribution, sender_source: str | None) -> dict:
    """What a row stores of its source's attribution; `sender_source` is the attribution of Odoo's servers."""
    known = {key for key, _label in SOURCES}
    source = attribution.source if attribution.source in known else "unknown"
    return {
        "source": source,
        "authorized_by": attribution.authorized_by,
        "reverse_name": attribution.reverse_name,
        "reverse_confirmed": attribution.reverse_confirmed,
        "sent_by_odoo": sender_source is not None and source == sender_source,
    }


def read_report_settings(params: Mapping[str, str | bool | None]) -> tuple[dict, list[str]]:
    """The reports' settings from the parameters (keys without the prefix), and why any value was left out."""
    reasons = []
    keep_days = _number(params.get("dmarc_keep_days"), int, DEFAULT_KEEP_DAYS, is_keep_days, reasons, "days to keep")
    fail_percent = _number(
        params.get("dmarc_odoo_fail_percent"), float, DEFAULT_ODOO_FAIL_PERCENT, is_percent, reasons, "alert percent"
    )
    unknown_messages = _number(
        params.get("dmarc_unknown_messages"), int, DEFAULT_UNKNOWN_MESSAGES, is_message_count, reasons, "alert count"
    )
    settings = {"keep_days": keep_days, "odoo_fail_percent": fail_percent, "unknown_messages": unknown_messages}
    return settings, reasons


def _number(raw, kind, default, valid, reasons: list[str], what: str):
    if raw in (None, False, ""):
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not valid(value):
        reasons.append(f"{what} {raw!r} left out: out of range; {default} used")
        return default
    return value


def is_keep_days(value: int) -> bool:
    return 0 < value <= MAX_KEEP_DAYS


def is_percent(value: float) -> bool:
    return math.isfinite(value) and 0 <= value <= 100


def is_message_count(value: int) -> bool:
    return 0 < value <= MAX_UNKNOWN_MESSAGES
