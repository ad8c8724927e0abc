"""DMARC aggregate reports as data: what a reporter sent, in plain serialisable dataclasses."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import MailDNSError

RFC7489 = "rfc7489"
RFC9990 = "rfc9990"
RFC9990_NAMESPACE = "urn:ietf:params:xml:ns:dmarc-2.0"
_MEBIBYTE = 1024 * 1024


class ReportError(MailDNSError):
    """A file that is not a DMARC aggregate report, or one refused by a limit; the message says why."""


@dataclass(frozen=True)
class Limits:
    """What one file may cost before it is refused: its size, what it expands to, and how much it holds.

    The defaults are far above what reporters send (Google's largest reports hold a few thousand
    records in a few MB of XML) and low enough to keep a hostile file within a few tens of MB.
    """

    # The file as given: message, archive or XML.
    input_bytes: int = 32 * _MEBIBYTE
    # XML read from the file, all reports together, after decompression.
    xml_bytes: int = 64 * _MEBIBYTE
    # Decompressed bytes per compressed byte of a gzip stream or zip member, once past the first MiB.
    ratio: int = 200
    ratio_floor: int = _MEBIBYTE
    # Zip members, or report attachments of a message.
    members: int = 50
    # A whole email message: Python's email package holds it at about eight times its size.
    message_bytes: int = 6 * _MEBIBYTE
    # Header and boundary lines of a message: each costs the email parser an object.
    message_lines: int = 10_000
    # XML elements in one child of <feedback> (a record, the metadata, an extension): what one piece of the
    # report may cost before it is handed over. There is no limit on records: they stream to their consumer.
    elements: int = 100_000
    # One element's text, and the times a repeated element (dkim, spf, error, reason) occurs in one parent.
    text_bytes: int = 64 * 1024
    repeated: int = 200


@dataclass(frozen=True, slots=True)
class Skip:
    """A part of a file left out while the rest was read: what it is, and why."""

    what: str
    reason: str

    def to_dict(self) -> dict:
        return {"what": self.what, "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}"


@dataclass(frozen=True, slots=True)
class AuthResult:
    """One DKIM or SPF result of a record, uninterpreted with respect to DMARC."""

    method: str
    domain: str | None
    result: str | None
    selector: str | None = None
    scope: str | None = None
    human_result: str | None = None

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "domain": self.domain,
            "selector": self.selector,
            "scope": self.scope,
            "result": self.result,
            "human_result": self.human_result,
        }


@dataclass(frozen=True, slots=True)
class PolicyOverride:
    """Why the receiver applied another disposition than the policy asked (forwarded, mailing_list...)."""

    type: str | None
    comment: str | None = None

    def to_dict(self) -> dict:
        return {"type": self.type, "comment": self.comment}


# Not frozen: a frozen dataclass costs four times as much to make, and the parser makes one per record.
@dataclass(slots=True)
class AggregateRecord:
    """One row of a report: messages from one source IP that shared their results."""

    source_ip: str
    count: int
    disposition: str | None
    # The DMARC-aligned results (policy_evaluated): "pass" or "fail".
    dkim: str | None
    spf: str | None
    header_from: str | None
    envelope_from: str | None = None
    envelope_to: str | None = None
    auth_results: tuple[AuthResult, ...] = ()
    reasons: tuple[PolicyOverride, ...] = ()

    @property
    def passed(self) -> bool:
        """Whether these messages passed DMARC: an aligned DKIM or SPF pass."""
        return "pass" in (self.dkim, self.spf)

    def to_dict(self, attribution: "Attribution | None" = None) -> dict:
        return {
            "source_ip": self.source_ip,
            "count": self.count,
            "disposition": self.disposition,
            "dkim": self.dkim,
            "spf": self.spf,
            "reasons": [reason.to_dict() for reason in self.reasons],
            "header_from": self.header_from,
            "envelope_from": self.envelope_from,
            "envelope_to": self.envelope_to,
            "auth_results": [result.to_dict() for result in self.auth_results],
            "attribution": attribution.to_dict() if attribution else None,
        }


@dataclass(frozen=True)
class PublishedPolicy:
    """The DMARC policy the receiver found for the domain, as the report states it."""

    domain: str
    p: str | None = None
    sp: str | None = None
    np: str | None = None
    adkim: str | None = None
    aspf: str | None = None
    # RFC 9990's "t" tag; RFC 7489 reports carry pct= instead.
    testing: str | None = None
    pct: int | None = None
    fo: str | None = None
    discovery_method: str | None = None

    def to_dict(self) -> dict:
        return {
            "domain": self.domain,
            "adkim": self.adkim,
            "aspf": self.aspf,
            "p": self.p,
            "sp": self.sp,
            "np": self.np,
            "testing": self.testing,
            "pct": self.pct,
            "fo": self.fo,
            "discovery_method": self.discovery_method,
        }


@dataclass(frozen=True)
class AggregateReport:
    """One aggregate report: who sent it, for which period and policy, and its records."""

    org_name: str
    email: str | None
    report_id: str
    begin: datetime
    end: datetime
    policy: PublishedPolicy
    records: tuple[AggregateRecord, ...]
    # RFC7489 or RFC9990: the schema the report follows (its namespace, or fields only RFC 9990 has).
    format: str = RFC7489
    extra_contact_info: str | None = None
    errors: tuple[str, ...] = ()
    generator: str | None = None
    # Where the XML came from inside the file: a zip member or an attachment's name.
    source: str | None = None
    # What was left out: records that could not be read, members of the file that hold no report.
    skipped: tuple[Skip, ...] = ()
    # What is odd but read as written: a period before DMARC existed, in the future, ending before it begins.
    notes: tuple[str, ...] = ()

    @property
    def messages(self) -> int:
        return sum(record.count for record in self.records)

    @property
    def passed(self) -> int:
        """Messages that passed DMARC (an aligned DKIM or SPF pass)."""
        return sum(record.count for record in self.records if record.passed)

    def to_dict(self, attributions: "Mapping[str, Attribution] | None" = None) -> dict:
        """Plain data; each record carries its source's attribution when `attributions` (by IP) has one."""
        attributions = attributions or {}
        return {
            "org_name": self.org_name,
            "email": self.email,
            "extra_contact_info": self.extra_contact_info,
            "report_id": self.report_id,
            "begin": iso_utc(self.begin),
            "end": iso_utc(self.end),
            "format": self.format,
            "errors": list(self.errors),
            "generator": self.generator,
            "source": self.source,
            "skipped": [skip.to_dict() for skip in self.skipped],
            "notes": list(self.notes),
            "policy": self.policy.to_dict(),
            "records": [record.to_dict(attributions.get(record.source_ip)) for record in self.records],
            "messages": self.messages,
            "passed": self.passed,
        }


@dataclass(frozen=True, slots=True)
class ReportPart:
    """A report's records as they stream out of the parser, a batch at a time.

    `report` is the report without its records (records=()); on the report's last part it is complete
    but for them: its skipped records are known only once all are read.
    """

    report: AggregateReport
    records: tuple[AggregateRecord, ...]
    last: bool


@dataclass(frozen=True)
class Attribution:
    """Who sends from a source IP, by the SPF records that authorize it.

    `source` is a provider's name (odoo, google, microsoft), "own" for the configured own servers,
    "domain" when only the domain's own SPF record authorizes it, "unknown" when nothing does (a
    forgotten sender, or spoofing), and "error" when the DNS did not answer well enough to say.
    """

    ip: str
    source: str
    label: str
    # The SPF domain whose record authorizes the IP (_spf.google.com, example.com).
    authorized_by: str | None = None
    # The PTR name, and whether it resolves back to the IP (a forward-confirmed name).
    reverse_name: str | None = None
    reverse_confirmed: bool = False
    fault_code: str | None = None

    @property
    def known(self) -> bool:
        return self.source not in ("unknown", "error")

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "label": self.label,
            "authorized_by": self.authorized_by,
            "reverse_name": self.reverse_name,
            "reverse_confirmed": self.reverse_confirmed,
            "fault_code": self.fault_code,
        }


def iso_utc(moment: datetime) -> str:
    """2025-01-31T00:00:00Z"""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
