"""The results of a check, as plain data that serialises to JSON.

Every finding is a Finding: a stable `code`, a `status`, the `params` its
sentence needs and, where one fixes it, a Record to publish. Its English
`message` is rendered from maildns.messages by code and params; a user
interface in another language renders its own sentence from the same two.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum

from .messages import PLACEHOLDERS, render
from .spf import is_spf_record

# The codes of DNS faults: the DNS failing to answer, which says nothing about the domain's records.
FAULT_PREFIX = "dns."


def is_fault(code: str) -> bool:
    """Whether the finding `code` is a DNS fault (a server that did not answer) rather than a fact about the
    domain: a result holding faults only is no news about the domain."""
    return code.startswith(FAULT_PREFIX)


class Status(StrEnum):
    """How a finding, a part or a whole report stands.

    INFO is for findings only: a fact worth showing (how the mail goes out) that changes no verdict.
    Parts and reports are pass, warn, unknown, error or fail; an INFO finding leaves them at pass.
    UNKNOWN is what the check could not judge for want of a fact only the administrator has (the public
    addresses of a server of one's own, a DKIM selector nobody published where it can be found): never
    a pass, and the finding says what to give. ERROR is the DNS failing to answer.
    """

    INFO = "info"
    PASS = "pass"
    WARN = "warn"
    UNKNOWN = "unknown"
    ERROR = "error"
    FAIL = "fail"


# fail outranks error: a known failure is worse news than an unknown answer. A part left unjudged outranks
# a warning: its verdict, the one that matters, is missing.
_RANK = {Status.INFO: -1, Status.PASS: 0, Status.WARN: 1, Status.UNKNOWN: 2, Status.ERROR: 3, Status.FAIL: 4}


def worst(statuses) -> Status:
    """The overall status of several: fail, else error, else unknown, else warn, else pass (info counts as
    pass)."""
    return max((Status.PASS, *statuses), key=_RANK.__getitem__)


@dataclass(frozen=True)
class Record:
    """A DNS record to publish."""

    name: str
    type: str
    value: str

    def to_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "value": self.value}


@dataclass(frozen=True)
class Finding:
    """One finding: a stable code, its status, the params of its sentence and, where one fixes it, a record.

    Raises ValueError when `code` has no sentence in maildns.messages or `params` are not exactly the
    placeholders of that sentence: the table and the findings cannot drift apart.
    """

    code: str
    status: Status
    params: Mapping[str, str | int] = field(default_factory=dict, hash=False)
    record: Record | None = None

    def __post_init__(self):
        expected = PLACEHOLDERS.get(self.code)
        if expected is None:
            raise ValueError(f"no message for finding code {self.code!r}: add it to maildns.messages")
        if set(self.params) != expected:
            raise ValueError(f"{self.code}: params {sorted(self.params)} are not the message's {sorted(expected)}")

    @property
    def message(self) -> str:
        """The English sentence, rendered from maildns.messages."""
        return render(self.code, self.params)

    @property
    def is_fault(self) -> bool:
        """Whether this finding is a DNS fault (see is_fault())."""
        return is_fault(self.code)

    def to_dict(self) -> dict:
        data = {"code": self.code, "message": self.message, "status": str(self.status), "params": dict(self.params)}
        if self.record is not None:
            data["record"] = self.record.to_dict()
        return data


@dataclass(frozen=True)
class Publication:
    """A record to publish and what it does to the domain's records: `code` says it (publish.add: added beside
    them; publish.replace_spf, publish.replace_dmarc: in place of the record found, `replaces`, since a second
    SPF or DMARC record would void both), with the params of its sentence in maildns.messages."""

    record: Record
    code: str = "publish.add"
    replaces: str | None = None

    @property
    def params(self) -> dict[str, str]:
        return {"record": self.replaces} if self.replaces is not None else {}

    @property
    def message(self) -> str:
        return render(self.code, self.params)

    def to_dict(self) -> dict:
        return {**self.record.to_dict(), "code": self.code, "params": self.params}


@dataclass
class _Part:
    findings: list[Finding] = field(default_factory=list)
    # False when the part could not be checked at all (the domain does not exist).
    checked: bool = True

    @property
    def status(self) -> Status:
        if not self.checked:
            return Status.FAIL
        return worst(finding.status for finding in self.findings)

    def add(self, code: str, status: Status, params: Mapping[str, str | int], record: Record | None = None) -> Finding:
        finding = Finding(code, status, dict(params), record)
        self.findings.append(finding)
        return finding

    def add_once(
        self, code: str, status: Status, params: Mapping[str, str | int], record: Record | None = None
    ) -> Finding:
        """add(), unless the very same finding is already there (one DNS fault met by several lookups)."""
        finding = Finding(code, status, dict(params), record)
        if finding not in self.findings:
            self.findings.append(finding)
        return finding

    def codes(self) -> list[str]:
        return [finding.code for finding in self.findings]

    def to_dict(self) -> dict:
        data = {"status": str(self.status)}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "findings":
                value = [finding.to_dict() for finding in value]
            elif isinstance(value, tuple):
                value = list(value)
            data[item.name] = value
        return data


@dataclass
class SpfResult(_Part):
    record: str | None = None
    dns_lookups: int = 0
    void_lookups: int = 0
    sender_authorized: bool | None = None
    suggested_record: str | None = None
    suggested_dns_lookups: int | None = None
    includes: tuple[str, ...] = ()


@dataclass
class DkimResult(_Part):
    selector: str | None = None
    record: str | None = None
    cname_target: str | None = None
    key_type: str | None = None
    key_bits: int | None = None
    selectors_checked: tuple[str, ...] = ()
    # Without a selector: whether anything exists under _domainkey (None when not probed).
    domainkey_exists: bool | None = None
    # Where the selectors checked come from: "given" (the caller's), "provider" (fixed by the provider),
    # "reported" (by receivers, in DMARC aggregate reports) or "common" (found among common selectors).
    selector_source: str | None = None
    # The selectors asked while searching for the key of a sender whose selector is not fixed.
    selectors_tried: tuple[str, ...] = ()


@dataclass
class DmarcResult(_Part):
    record: str | None = None
    record_domain: str | None = None
    policy: str | None = None
    subdomain_policy: str | None = None
    effective_policy: str | None = None
    spf_aligned: bool | None = None
    dkim_aligned: bool | None = None
    provider_can_pass: bool | None = None
    # Where the provider's bounce address (Return-Path) is: "customer" (the checked domain), "subdomain"
    # (a subdomain its own records set up) or "provider" (its own domain, so SPF never aligns).
    return_path: str | None = None
    strict_alignment: bool = False
    obsolete_tags: tuple[str, ...] = ()
    # Found by the RFC 9989 tree walk (psd= tags, else the shortest name with a record).
    organizational_domain: str | None = None
    nonexistent_policy: str | None = None
    # t=y: receivers apply one step below the published policy, as effective_policy shows.
    testing: bool = False
    # What receivers ignore in the record (obsolete or unknown tags), as sentences.
    notes: tuple[str, ...] = ()


@dataclass
class AddressResult(_Part):
    address: str | None = None
    free_mail: bool = False


@dataclass
class DomainResult:
    """Everything known about one target after a check."""

    target: str
    domain: str
    provider: str
    spf: SpfResult
    dkim: DkimResult
    dmarc: DmarcResult
    address: AddressResult | None = None
    findings: list[Finding] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def parts(self) -> list[_Part]:
        return [part for part in (self.spf, self.dkim, self.dmarc, self.address) if part is not None]

    @property
    def status(self) -> Status:
        return worst([finding.status for finding in self.findings] + [part.status for part in self.parts])

    def all_findings(self) -> list[Finding]:
        return self.findings + [finding for part in self.parts for finding in part.findings]

    def codes(self) -> list[str]:
        return [finding.code for finding in self.all_findings()]

    def faults(self) -> list[Finding]:
        """The DNS faults met, each named once: SPF, DKIM and DMARC asking a server that refuses is one fault."""
        distinct: dict[tuple, Finding] = {}
        for finding in self.all_findings():
            if finding.is_fault:
                distinct.setdefault((finding.code, finding.params["nameserver"], finding.params["detail"]), finding)
        return list(distinct.values())

    def timed_out(self) -> bool:
        """Whether the DNS left part of this result unanswered for lack of time: worth asking again, longer."""
        return any(finding.code == "dns.timeout" for finding in self.all_findings())

    def records_to_publish(self) -> list[Record]:
        """The records that fix the findings, each name and type once."""
        seen: dict[tuple[str, str], Record] = {}
        for finding in self.all_findings():
            if finding.record is not None:
                seen.setdefault((finding.record.name, finding.record.type), finding.record)
        return list(seen.values())

    def publications(self) -> list[Publication]:
        """records_to_publish(), each saying whether it is added or replaces the domain's SPF or DMARC record."""
        return [self._publication(record) for record in self.records_to_publish()]

    def _publication(self, record: Record) -> Publication:
        if record.type != "TXT":
            return Publication(record)
        if record.name == self.domain and is_spf_record(record.value) and self.spf.record:
            return Publication(record, "publish.replace_spf", self.spf.record)
        dmarc_name = f"_dmarc.{self.dmarc.record_domain}" if self.dmarc.record_domain else None
        if record.name == dmarc_name and self.dmarc.record:
            return Publication(record, "publish.replace_dmarc", self.dmarc.record)
        return Publication(record)

    def to_dict(self) -> dict:
        data = {
            "target": self.target,
            "domain": self.domain,
            "provider": self.provider,
            "status": str(self.status),
            "findings": [finding.to_dict() for finding in self.findings],
            "spf": self.spf.to_dict(),
            "dkim": self.dkim.to_dict(),
            "dmarc": self.dmarc.to_dict(),
            "records_to_publish": [publication.to_dict() for publication in self.publications()],
            "elapsed": round(self.elapsed, 3),
        }
        if self.address is not None:
            data["address"] = self.address.to_dict()
        return data
