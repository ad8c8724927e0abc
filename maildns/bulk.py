"""The bulk-sender rules of Gmail, Yahoo and Outlook.com, as data, and a mailing's verdict against them.

Since February 2024 Gmail and Yahoo, and since May 2025 Outlook.com, hold anyone who sends them about 5,000
messages a day to these rules (SOURCES cites where each receiver publishes them). A mailing meets or breaks
them on its first send; bulk_verdict() says which, rule by rule, for a From address and the way its mail
goes out (a SendingPath: the sending service, or a server of one's own with its public addresses and its TLS
setting).

The verdict reads the engine's own domain check (check_domain: SPF, DKIM, DMARC and the address itself); it
never judges a record again. What no DNS answer can tell, the spam complaint rate, is said with where to read
it, not guessed. Sentences are codes and params of maildns.messages, like every finding.
"""

import ipaddress
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .check import DEFAULT_DOMAIN_TIMEOUT, check_domain
from .dns import Resolver
from .errors import InvalidTarget
from .providers import Provider, get_provider
from .result import DomainResult, Finding, Record, Status, worst


@dataclass(frozen=True)
class Source:
    """A receiver's published requirements."""

    key: str
    title: str
    url: str


SOURCES: dict[str, Source] = {
    source.key: source
    for source in (
        Source("google", "Google: Email sender guidelines", "https://support.google.com/a/answer/81126"),
        Source("google_faq", "Google: Email sender guidelines FAQ", "https://support.google.com/a/answer/14229414"),
        Source("yahoo", "Yahoo Sender Hub: Sender Best Practices", "https://senders.yahooinc.com/best-practices/"),
        Source(
            "microsoft",
            "Microsoft: Strengthening Email Ecosystem: Outlook's New Requirements for High-Volume Senders",
            "https://techcommunity.microsoft.com/blog/microsoftdefenderforoffice365blog/"
            "strengthening-email-ecosystem-outlook%E2%80%99s-new-requirements-for-high%E2%80%90volume-senders/4399730",
        ),
        Source(
            "rfc8058",
            "RFC 8058: Signaling One-Click Functionality for List Email Headers",
            "https://www.rfc-editor.org/rfc/rfc8058",
        ),
    )
}


@dataclass(frozen=True)
class Rule:
    """One bulk-sender rule: its key (the sentence of its title is `bulk.rule.<key>`), the receivers that
    require it and the sources that say so."""

    key: str
    receivers: tuple[str, ...]
    sources: tuple[str, ...]


# The receivers, by the key of their consequence sentences (bulk.receiver.<key>).
RECEIVERS = ("gmail", "yahoo", "outlook")
RULES: tuple[Rule, ...] = (
    Rule("own_domain", ("gmail", "yahoo", "outlook"), ("google", "yahoo", "microsoft")),
    Rule("spf", ("gmail", "yahoo", "outlook"), ("google", "yahoo", "microsoft")),
    Rule("dkim", ("gmail", "yahoo", "outlook"), ("google", "yahoo", "microsoft")),
    Rule("dmarc", ("gmail", "yahoo", "outlook"), ("google", "yahoo", "microsoft")),
    Rule("alignment", ("gmail", "yahoo", "outlook"), ("google", "yahoo", "microsoft")),
    Rule("reverse_dns", ("gmail", "yahoo"), ("google", "yahoo")),
    Rule("tls", ("gmail",), ("google",)),
    Rule("one_click", ("gmail", "yahoo"), ("google", "yahoo", "rfc8058")),
    Rule("spam_rate", ("gmail", "yahoo"), ("google", "google_faq", "yahoo")),
)
RULE_KEYS = tuple(rule.key for rule in RULES)
# The value of List-Unsubscribe-Post that asks for a one-click unsubscription (RFC 8058 3.1).
ONE_CLICK_POST = "List-Unsubscribe=One-Click"
# Where a sender reads what DNS cannot tell: the complaint rate each receiver sees.
SPAM_RATE_TOOLS = "Google Postmaster Tools (https://postmaster.google.com), Microsoft SNDS "
SPAM_RATE_TOOLS += (
    "(https://sendersupport.olc.protection.outlook.com/snds/), Yahoo Sender Hub (https://senders.yahooinc.com)"
)


@dataclass(frozen=True)
class SendingPath:
    """How a mailing's mail leaves: the sending service (a provider spec, as check_domain takes it), and for a
    server of one's own its host name, public addresses and whether the connection to it is encrypted (None:
    not known, as for a service whose own servers carry the mail on)."""

    provider: "str | Provider" = "odoo"
    server: str | None = None
    addresses: tuple[str, ...] = ()
    tls: bool | None = None


@dataclass(frozen=True)
class ReverseName:
    """The reverse DNS of one sending address: its PTR name and whether that name resolves back to it.
    fault: the DNS fault code when the DNS did not answer (then nothing is known)."""

    address: str
    name: str | None
    confirmed: bool
    fault: str | None = None


@dataclass(frozen=True)
class RuleResult:
    """How a mailing stands against one rule: its status, the finding that says why, the fix (None when
    nothing is to be done) and the sources of the rule."""

    rule: str
    status: Status
    finding: Finding
    fix: Finding | None = None
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "status": str(self.status),
            "finding": self.finding.to_dict(),
            "fix": self.fix.to_dict() if self.fix else None,
            "sources": [{"key": key, "title": SOURCES[key].title, "url": SOURCES[key].url} for key in self.sources],
        }


@dataclass(frozen=True)
class ReceiverOutcome:
    """What one receiver does with the mailing's mail, and the rules it holds against it."""

    receiver: str
    failed_rules: tuple[str, ...]

    @property
    def code(self) -> str:
        return f"bulk.receiver.{self.receiver}"


@dataclass
class BulkVerdict:
    """A mailing's verdict: one result per rule of RULES, in their order, and the domain's records to publish."""

    address: str
    domain: str
    rules: list[RuleResult] = field(default_factory=list)
    records_to_publish: list[Record] = field(default_factory=list)

    @property
    def status(self) -> Status:
        """fail when a rule fails, else error when one could not be told, else warn, else pass."""
        return worst(result.status for result in self.rules)

    def rule(self, key: str) -> RuleResult:
        return next(result for result in self.rules if result.rule == key)

    def receivers(self) -> list[ReceiverOutcome]:
        """The receivers whose rules the mailing fails, each with those rules (none when it fails none)."""
        failed = {result.rule for result in self.rules if result.status == Status.FAIL}
        outcomes = []
        for receiver in RECEIVERS:
            rules = tuple(rule.key for rule in RULES if rule.key in failed and receiver in rule.receivers)
            if rules:
                outcomes.append(ReceiverOutcome(receiver, rules))
        return outcomes

    def to_dict(self) -> dict:
        return {
            "address": self.address,
            "domain": self.domain,
            "status": str(self.status),
            "rules": [result.to_dict() for result in self.rules],
            "receivers": [
                {"receiver": outcome.receiver, "code": outcome.code, "failed_rules": list(outcome.failed_rules)}
                for outcome in self.receivers()
            ],
            "records_to_publish": [record.to_dict() for record in self.records_to_publish],
        }


def check_bulk(
    address: str,
    path: SendingPath,
    *,
    dkim_selectors: Iterable[str] | None = None,
    resolver: Resolver | None = None,
    timeout: float = DEFAULT_DOMAIN_TIMEOUT,
    unsubscribe_headers: Mapping[str, str] | None = None,
    reported_messages: Mapping[str, int] | None = None,
) -> BulkVerdict:
    """Check a mailing from `address` sent along `path` against the bulk-sender rules.

    Asks the DNS about the address's domain (check_domain) and about the reverse names of the path's
    addresses, all within `timeout` seconds; unsubscribe_headers and reported_messages: see bulk_verdict.
    Raises InvalidTarget when `address` is not an email address, InvalidProvider for a bad provider spec.
    """
    started = time.monotonic()
    resolver = resolver or Resolver()
    report = check_domain(
        address, provider=path.provider, dkim_selectors=dkim_selectors, resolver=resolver, timeout=timeout
    )
    reverse = forward_confirmed(path.addresses, resolver=resolver, deadline=started + timeout)
    return bulk_verdict(
        report, path, reverse=reverse, unsubscribe_headers=unsubscribe_headers, reported_messages=reported_messages
    )


def forward_confirmed(
    addresses: Iterable[str], *, resolver: Resolver, deadline: float | None = None
) -> list[ReverseName]:
    """Each address's PTR name and whether one of its names resolves back to the address (FCrDNS)."""
    found = []
    for text in addresses:
        address = ipaddress.ip_address(text)
        pointer = resolver.lookup(address.reverse_pointer, "PTR", deadline=deadline)
        if pointer.failed:
            found.append(ReverseName(text, None, False, pointer.fault_code))
            continue
        names = sorted(pointer.records) if pointer.answered else []
        confirmed = next((name for name in names if _resolves_to(name, address, resolver, deadline)), None)
        found.append(ReverseName(text, confirmed or (names[0] if names else None), confirmed is not None))
    return found


def bulk_verdict(
    report: DomainResult,
    path: SendingPath,
    *,
    reverse: Iterable[ReverseName] = (),
    unsubscribe_headers: Mapping[str, str] | None = None,
    reported_messages: Mapping[str, int] | None = None,
) -> BulkVerdict:
    """The verdict of a mailing from the check of its From address (check_domain of the address, for the
    path's provider), without DNS.

    reverse: forward_confirmed() of the path's addresses; unsubscribe_headers: the headers of a message of
    this mailing as it is really sent (None: not checked); reported_messages: messages each receiver reported
    in the domain's DMARC aggregate reports (said beside the spam rate, which DNS cannot tell).
    Raises InvalidTarget when the report is not of an email address.
    """
    if report.address is None:
        raise InvalidTarget(f"{report.target!r} is not an email address: a mailing is sent from an address")
    provider = get_provider(path.provider)
    domain = report.domain
    results = [
        _own_domain(report),
        _spf(report, provider),
        _dkim(report, provider),
        _dmarc(report),
        _alignment(report, provider),
        _reverse_dns(path, provider, list(reverse)),
        _tls(path, provider),
        _one_click(unsubscribe_headers),
        _spam_rate(reported_messages or {}),
    ]
    sources = {rule.key: rule.sources for rule in RULES}
    rules = [RuleResult(rule, status, finding, fix, sources[rule]) for rule, status, finding, fix in results]
    return BulkVerdict(report.address.address, domain, rules, report.records_to_publish())


_Result = tuple[str, Status, Finding, Finding | None]


def _result(rule: str, status: Status, outcome: str, params: Mapping, fix: Mapping | None = None) -> _Result:
    finding = Finding(f"bulk.{rule}.{outcome}", status, dict(params))
    return rule, status, finding, None if fix is None else Finding(f"bulk.fix.{rule}.{outcome}", status, dict(fix))


def _unknown(rule: str, domain: str) -> _Result:
    return _result(rule, Status.ERROR, "unknown", {"domain": domain})


def _own_domain(report: DomainResult) -> _Result:
    params = {"address": report.address.address, "domain": report.domain}
    if report.address.free_mail:
        return _result("own_domain", Status.FAIL, "free_mail", params, {"domain": report.domain})
    return _result("own_domain", Status.PASS, "pass", params)


def _spf(report: DomainResult, provider: Provider) -> _Result:
    params = {"domain": report.domain, "provider": provider.label}
    if report.spf.sender_authorized:
        return _result("spf", Status.PASS, "pass", params)
    if report.spf.status == Status.ERROR or report.spf.sender_authorized is None:
        return _unknown("spf", report.domain)
    return _result("spf", Status.FAIL, "fail", params, params)


def _dkim(report: DomainResult, provider: Provider) -> _Result:
    params = {"domain": report.domain, "provider": provider.label}
    status = report.dkim.status
    if status == Status.PASS:
        return _result("dkim", Status.PASS, "pass", params)
    if status in (Status.ERROR, Status.UNKNOWN):
        # An unknown selector is not a missing key: say it could not be checked, not "publish a key".
        return _unknown("dkim", report.domain)
    if status == Status.WARN:
        return _result("dkim", Status.WARN, "warn", params, params)
    return _result("dkim", Status.FAIL, "fail", params, params)


def _dmarc(report: DomainResult) -> _Result:
    dmarc = report.dmarc
    params = {"domain": report.domain}
    if dmarc.status == Status.ERROR:
        return _unknown("dmarc", report.domain)
    if dmarc.effective_policy not in ("none", "quarantine", "reject"):
        return _result("dmarc", Status.FAIL, "missing", params, params)
    if dmarc.effective_policy == "none":
        # Enough for the rules (p=none is their floor); the advice is the next step, not a failure.
        return _result("dmarc", Status.PASS, "policy_none", params, params)
    return _result("dmarc", Status.PASS, "pass", {**params, "policy": dmarc.effective_policy})


def _alignment(report: DomainResult, provider: Provider) -> _Result:
    params = {"domain": report.domain, "provider": provider.label}
    if report.dmarc.provider_can_pass:
        return _result("alignment", Status.PASS, "pass", params)
    if report.dmarc.provider_can_pass is None and report.status in (Status.ERROR, Status.UNKNOWN):
        return _unknown("alignment", report.domain)
    return _result("alignment", Status.FAIL, "fail", params, params)


def _reverse_dns(path: SendingPath, provider: Provider, reverse: list[ReverseName]) -> _Result:
    if not path.addresses:
        if provider.self_hosted or provider.name == "unknown":
            return _result("reverse_dns", Status.ERROR, "no_addresses", {}, {})
        # A service's own servers carry the mail to the receivers: their reverse names are its care.
        return _result("reverse_dns", Status.PASS, "provider", {"provider": provider.label})
    faults = [name for name in reverse if name.fault]
    missing = [name for name in reverse if not name.fault and not name.confirmed]
    if missing:
        listed = ", ".join(f"{name.address} ({name.name or '-'})" for name in missing)
        return _result("reverse_dns", Status.FAIL, "fail", {"addresses": listed}, {"addresses": listed})
    if faults or len(reverse) < len(path.addresses):
        return _result("reverse_dns", Status.ERROR, "no_answer", {"addresses": ", ".join(path.addresses)})
    listed = ", ".join(f"{name.address} ({name.name})" for name in reverse)
    return _result("reverse_dns", Status.PASS, "pass", {"addresses": listed})


def _tls(path: SendingPath, provider: Provider) -> _Result:
    server = path.server or provider.label
    if path.tls is False:
        return _result("tls", Status.WARN, "none", {"server": server}, {"server": server})
    if path.tls:
        return _result("tls", Status.PASS, "pass", {"server": server})
    return _result("tls", Status.INFO, "unknown", {"server": server})


def _one_click(headers: Mapping[str, str] | None) -> _Result:
    if headers is None:
        return _result("one_click", Status.INFO, "unchecked", {})
    lowered = {name.lower(): value for name, value in headers.items()}
    links = lowered.get("list-unsubscribe", "")
    post = lowered.get("list-unsubscribe-post", "").strip()
    # RFC 8058 3.1: an HTTPS URI among List-Unsubscribe's, and exactly this List-Unsubscribe-Post.
    if post == ONE_CLICK_POST and "<https://" in links.lower():
        return _result("one_click", Status.PASS, "pass", {})
    if post == ONE_CLICK_POST and "<http://" in links.lower():
        # Odoo builds the link from its base URL (web.base.url): a database served over plain HTTP.
        return _result("one_click", Status.FAIL, "not_https", {}, {})
    return _result("one_click", Status.FAIL, "missing", {}, {})


def _spam_rate(reported: Mapping[str, int]) -> _Result:
    if reported:
        listed = ", ".join(
            f"{receiver}: {count}" for receiver, count in sorted(reported.items(), key=lambda item: -item[1])
        )
        return _result("spam_rate", Status.INFO, "reported", {"receivers": listed, "tools": SPAM_RATE_TOOLS})
    return _result("spam_rate", Status.INFO, "unknown", {"tools": SPAM_RATE_TOOLS})


def _resolves_to(name: str, address, resolver: Resolver, deadline: float | None) -> bool:
    forward = resolver.lookup(name, "A" if address.version == 4 else "AAAA", deadline=deadline)
    for record in forward.records:
        try:
            if ipaddress.ip_address(record) == address:
                return True
        except ValueError:
            continue
    return False
