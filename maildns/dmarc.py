"""DMARC: policy discovery by the DNS tree walk of RFC 9989, tag validation, the policy and alignment."""

import re
from dataclasses import dataclass

from .address import is_free_mail
from .dns import Lookup, Outcome, Resolver
from .errors import InvalidTarget
from .names import to_ascii
from .providers import Provider
from .result import DkimResult, DmarcResult, Record, SpfResult, Status
from .tags import parse_tags

POLICIES = ("none", "quarantine", "reject")
# RFC 9989 section 4.10: after the domain itself, the walk goes on from at most seven labels from the root.
MAX_WALK_LABELS = 7
MAX_NAME_LENGTH = 253
OBSOLETE_TAGS = ("pct", "rf", "ri")
KNOWN_TAGS = ("v", "p", "sp", "np", "adkim", "aspf", "rua", "ruf", "fo", "psd", "t", *OBSOLETE_TAGS)
FAILURE_OPTIONS = ("0", "1", "d", "s")
SUGGESTED_RECORD = "v=DMARC1; p=none"
NOT_DMARC = "it does not start with v=DMARC1 (exactly so), so receivers ignore it"
# v=DMARC1 first, its value exactly so (the tag name and the spaces around "=" are free).
_VERSION = re.compile(r"^[vV][ \t]*=[ \t]*DMARC1[ \t]*(;|$)")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
# With t=y, receivers apply the policy one step below the one published.
_TESTING_STEP_DOWN = {"reject": "quarantine", "quarantine": "none", "none": "none"}


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a record: a sentence and how much it matters."""

    message: str
    status: Status


@dataclass(frozen=True)
class DmarcRecord:
    """A DMARC record as receivers apply it.

    `policy` is None when receivers apply no DMARC at all with this record; a record whose
    policy tags are broken but that asks for reports acts as p=none (RFC 9989 section 4.10.1).
    """

    tags: dict[str, str]
    policy: str | None
    subdomain_policy: str | None
    nonexistent_policy: str | None
    adkim: str
    aspf: str
    psd: str
    testing: bool
    findings: tuple[Finding, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class FoundRecord:
    """A single DMARC record at `domain` (the name under _dmarc.)."""

    domain: str
    text: str
    record: DmarcRecord


def is_dmarc_record(text: str) -> bool:
    """Whether a TXT string is a DMARC record: it starts with v=DMARC1."""
    return bool(_VERSION.match(text.strip()))


def parse_dmarc(text: str) -> DmarcRecord:
    """Validate a DMARC record's tags; never raises."""
    parsed = parse_tags(text)
    tags = parsed.tags
    findings: list[Finding] = []
    if not is_dmarc_record(text):
        findings.append(Finding(NOT_DMARC, Status.FAIL))
    # RFC 6376 makes a tag list with a repeated tag invalid as a whole; DMARC records use that syntax.
    findings += [
        Finding(f"the tag {name}= appears twice, so receivers may ignore the record", Status.FAIL)
        for name in parsed.duplicates
    ]
    findings += [Finding(f"{error}, which receivers skip", Status.WARN) for error in parsed.malformed]
    policies, policy_problems = _policies(tags)
    findings += policy_problems
    findings += _value_problems(tags)
    notes = _tag_notes(tags, parsed.order)
    testing = tags.get("t", "n").lower() == "y"
    if testing:
        notes.append("t=y: the owner is testing, so receivers apply the policy one step below the one published")
    return DmarcRecord(
        tags=tags,
        policy=policies[0],
        subdomain_policy=policies[1],
        nonexistent_policy=policies[2],
        adkim=_choice(tags, "adkim", ("r", "s"), "r"),
        aspf=_choice(tags, "aspf", ("r", "s"), "r"),
        psd=_choice(tags, "psd", ("y", "n", "u"), "u"),
        testing=testing,
        findings=tuple(findings),
        notes=tuple(notes),
    )


def _policies(tags: dict[str, str]) -> tuple[tuple[str | None, str | None, str | None], list[Finding]]:
    """(p, sp, np) as receivers apply them, and what is wrong with them."""
    values = {name: tags[name].lower() for name in ("p", "sp", "np") if name in tags}
    broken = [name for name, value in values.items() if value not in POLICIES]
    reports = _has_report_address(tags)
    fallback = "receivers treat the record as p=none" if reports else "receivers ignore the whole record"
    findings = [
        Finding(f"{name}={tags[name]} is not none, quarantine or reject, so {fallback}", Status.FAIL) for name in broken
    ]
    if "p" not in values:
        # A record without p= that asks for reports is a valid monitoring record (RFC 9989); without rua= it is void.
        status = Status.WARN if reports else Status.FAIL
        findings.append(Finding(f"it has no p= policy, so {fallback}; write p=none explicitly", status))
        broken.append("p")
    if broken:
        return ("none" if reports else None, None, None), findings
    return (values["p"], values.get("sp"), values.get("np")), findings


def _has_report_address(tags: dict[str, str]) -> bool:
    return any(_URI.match(uri) for uri in _uris(tags.get("rua", "")))


def _uris(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _value_problems(tags: dict[str, str]) -> list[Finding]:
    findings = []
    for name, allowed in (("adkim", ("r", "s")), ("aspf", ("r", "s")), ("psd", ("y", "n", "u")), ("t", ("y", "n"))):
        if name in tags and tags[name].lower() not in allowed:
            choices = " or ".join(allowed)
            findings.append(Finding(f"{name}={tags[name]} must be {choices}, so receivers ignore it", Status.WARN))
    for name in ("rua", "ruf"):
        for uri in _uris(tags.get(name, "")):
            address = uri.split("!", 1)[0]
            if not address.lower().startswith("mailto:") or "@" not in address:
                message = f"{name}= address {uri!r} is not a mailto: address, the only kind every receiver supports"
                findings.append(Finding(message, Status.WARN))
    options = tags.get("fo", "0").lower().split(":")
    if any(option.strip() not in FAILURE_OPTIONS for option in options):
        message = f"fo={tags['fo']} holds options other than 0, 1, d and s, which receivers skip"
        findings.append(Finding(message, Status.WARN))
    return findings


def _tag_notes(tags: dict[str, str], order: tuple[str, ...]) -> list[str]:
    notes = []
    for name in order:
        if name in OBSOLETE_TAGS:
            notes.append(f"{name}= was removed by RFC 9989: current receivers ignore it; older ones may still use it")
        elif name not in KNOWN_TAGS:
            notes.append(f"{name}= is not a DMARC tag: receivers ignore it")
    if any("!" in uri for name in ("rua", "ruf") for uri in _uris(tags.get(name, ""))):
        notes.append("the !size suffix of a report address is obsolete: receivers ignore it")
    if "fo" in tags and "ruf" not in tags:
        notes.append("fo= has no effect without ruf=")
    return notes


def _choice(tags: dict[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = tags.get(name, default).lower()
    return value if value in allowed else default


def walk_names(domain: str) -> list[str]:
    """The names the tree walk asks, in order: the domain, then its ancestors from seven labels up."""
    labels = domain.split(".")
    names = [domain]
    start = min(len(labels) - 1, MAX_WALK_LABELS)
    for count in range(start, 0, -1):
        names.append(".".join(labels[-count:]))
    return names


def organizational_domain(domain: str, found: list[FoundRecord]) -> str:
    """The Organizational Domain of `domain` from the records of a walk, longest name first (RFC 9989 4.10.2)."""
    for item in found:
        if item.record.psd == "n":
            return item.domain
        if item.record.psd == "y" and item.domain != domain:
            return ".".join(domain.split(".")[-(item.domain.count(".") + 2) :])
    return found[-1].domain if found else domain


def audit_dmarc(
    domain: str,
    provider: Provider,
    *,
    spf: SpfResult,
    dkim: DkimResult,
    resolver: Resolver,
    deadline: float | None = None,
    report_address: str | None = None,
) -> DmarcResult:
    """Find the DMARC policy that applies to `domain` and judge whether the provider's mail passes it.

    report_address: an address (local@ascii-domain) that should receive the domain's aggregate reports; the
    record to publish then carries it as rua=mailto:, with the consent record its domain needs, if any.
    """
    report = DmarcResult()
    found = _walk(domain, report, report_address, resolver=resolver, deadline=deadline)
    if found is None:
        return report
    applied = _applied_record(domain, found)
    # With a record of its own, the domain is taken as its organizational domain: the provider's
    # identifiers are this very domain, so no walk for relaxed alignment is needed (RFC 9989 4.10.2).
    own = bool(found) and found[0].domain == domain
    report.organizational_domain = domain if own else organizational_domain(domain, found)
    if applied is None:
        if not report.findings:
            _missing(report, domain, report_address)
            _ask_report_consent(report, domain, report_address, resolver=resolver, deadline=deadline)
    else:
        _apply(report, domain, applied, report_address, resolver=resolver, deadline=deadline)
    _judge_alignment(report, domain, provider, spf, dkim)
    return report


def _walk(
    domain: str, report: DmarcResult, report_address: str | None, *, resolver: Resolver, deadline: float | None
) -> list[FoundRecord] | None:
    """The single records met on the walk, longest name first; None when the DNS failed to answer."""
    found: list[FoundRecord] = []
    for name in walk_names(domain):
        if len(f"_dmarc.{name}") > MAX_NAME_LENGTH:
            # A name too long to exist holds no record, as a receiver concludes without asking.
            continue
        lookup = resolver.lookup(f"_dmarc.{name}", "TXT", deadline=deadline)
        if lookup.failed:
            report.add(lookup.fault_code, Status.ERROR, lookup.fault_params)
            return None
        item = _record_at(name, lookup, report, report_address)
        if item is not None:
            found.append(item)
            # The domain's own record ends the walk (4.10.1); a psd= tag ends it anywhere (4.10).
            if name == domain or item.record.psd in ("y", "n"):
                break
    return found


def _record_at(name: str, lookup: Lookup, report: DmarcResult, report_address: str | None) -> FoundRecord | None:
    texts = [text for text in lookup.records if is_dmarc_record(text)]
    if len(texts) > 1:
        # Several records at one name count as none there (RFC 9989 section 4.10).
        report.add("dmarc.multiple_records", Status.FAIL, {"domain": name, "count": len(texts)})
        return None
    if texts:
        return FoundRecord(name, texts[0], parse_dmarc(texts[0]))
    lookalikes = [text for text in lookup.records if "v=dmarc1" in text.replace(" ", "").lower()]
    if lookalikes:
        fix = Record(f"_dmarc.{name}", "TXT", suggested_record(lookalikes[0], report_address=report_address))
        report.add("dmarc.syntax", Status.FAIL, {"domain": name, "detail": NOT_DMARC}, fix)
    return None


def _applied_record(domain: str, found: list[FoundRecord]) -> FoundRecord | None:
    """The domain's own record, else its organizational domain's, else its public suffix domain's (4.10.1)."""
    if found and found[0].domain == domain:
        return found[0]
    organization = organizational_domain(domain, found)
    for item in found:
        if item.domain == organization:
            return item
    if found and found[-1].record.psd == "y":
        return found[-1]
    return None


def _missing(report: DmarcResult, domain: str, report_address: str | None) -> None:
    text = suggested_record(SUGGESTED_RECORD, report_address=report_address)
    report.add("dmarc.missing", Status.WARN, {"domain": domain}, Record(f"_dmarc.{domain}", "TXT", text))


def _apply(
    report: DmarcResult,
    domain: str,
    found: FoundRecord,
    report_address: str | None,
    *,
    resolver: Resolver,
    deadline: float | None,
) -> None:
    record = found.record
    report.record, report.record_domain = found.text, found.domain
    report.policy, report.subdomain_policy = record.policy, record.subdomain_policy
    report.nonexistent_policy = record.nonexistent_policy
    report.effective_policy = _effective_policy(domain, found, resolver=resolver, deadline=deadline)
    report.testing = record.testing
    report.obsolete_tags = tuple(tag for tag in OBSOLETE_TAGS if tag in record.tags)
    report.strict_alignment = record.adkim == "s" or record.aspf == "s"
    report.notes = tuple(f"_dmarc.{found.domain}: {note}." for note in record.notes)
    fix = Record(f"_dmarc.{found.domain}", "TXT", suggested_record(found.text, report_address=report_address))
    for finding in record.findings:
        report.add("dmarc.syntax", finding.status, {"domain": found.domain, "detail": finding.message}, fix)
    if report.effective_policy == "none":
        # A monitoring policy: receivers deliver what fails, so anyone can still send as the domain.
        report.add("dmarc.policy_none", Status.WARN, {"domain": domain, "record_domain": found.domain})
    _check_report_destinations(report, found, resolver=resolver, deadline=deadline)
    if report_address and report_address.lower() not in _report_addresses(record.tags.get("rua", "")):
        params = {"domain": found.domain, "address": report_address}
        report.add("dmarc.report_address", Status.INFO, params, fix)
        _ask_report_consent(report, found.domain, report_address, resolver=resolver, deadline=deadline)


def _report_addresses(value: str) -> set[str]:
    """The addresses of a rua= or ruf= value, lower case, without mailto: and the obsolete !size suffix."""
    addresses = set()
    for uri in _uris(value):
        address = uri.split("!", 1)[0]
        if address.lower().startswith("mailto:"):
            addresses.add(address[len("mailto:") :].partition("?")[0].lower())
    return addresses


def _ask_report_consent(
    report: DmarcResult, domain: str, report_address: str | None, *, resolver: Resolver, deadline: float | None
) -> None:
    """The consent record an address of another organization must publish before receivers send it the reports
    of `domain` (RFC 7489 section 7.1): a finding for information, since the domain's mail is not at stake."""
    if not report_address:
        return
    host = report_address.rpartition("@")[2].lower()
    name = f"{domain}._report._dmarc.{host}"
    if host == domain or host.endswith("." + domain) or len(name) > MAX_NAME_LENGTH:
        return
    # The organization first, as for the record's own destinations: its lookups are shared by every domain.
    if _same_organization(domain, host, resolver=resolver, deadline=deadline):
        return
    if _authorized(domain, host, resolver=resolver, deadline=deadline) is not False:
        return
    params = {"domain": domain, "destination": host}
    report.add("dmarc.report_consent", Status.INFO, params, Record(name, "TXT", "v=DMARC1"))


def _effective_policy(domain: str, found: FoundRecord, *, resolver: Resolver, deadline: float | None) -> str | None:
    record = found.record
    if record.policy is None:
        return None
    policy = record.policy
    if found.domain != domain:
        policy = record.subdomain_policy or record.policy
        # np= only matters for a name that does not exist; the existence lookup is shared with the SPF check.
        if record.nonexistent_policy and record.nonexistent_policy != policy:
            if resolver.lookup(domain, "TXT", deadline=deadline).outcome is Outcome.NXDOMAIN:
                policy = record.nonexistent_policy
    return _TESTING_STEP_DOWN[policy] if record.testing else policy


def _check_report_destinations(
    report: DmarcResult, found: FoundRecord, *, resolver: Resolver, deadline: float | None
) -> None:
    """Warn about each rua=/ruf= destination of another organization that has not agreed to take the reports.

    Receivers send reports there only when it publishes <domain>._report._dmarc.<destination> TXT v=DMARC1
    (RFC 7489 section 7.1, RFC 9990 section 4). A destination whose DNS does not answer is not judged.
    """
    for host, tags in _report_destinations(found).items():
        # The organization first: its lookups are the tree walk's, shared by every domain, where the consent
        # record's name is the domain's own.
        if _same_organization(found.domain, host, resolver=resolver, deadline=deadline):
            continue
        if _authorized(found.domain, host, resolver=resolver, deadline=deadline) is not False:
            continue
        params = {"domain": found.domain, "destination": host, "tags": " and ".join(tags)}
        fix = Record(f"{found.domain}._report._dmarc.{host}", "TXT", "v=DMARC1")
        report.add("dmarc.rua_unauthorized", Status.WARN, params, fix)


def _report_destinations(found: FoundRecord) -> dict[str, list[str]]:
    """The hosts of the record's mailto: addresses outside the domain itself, each with the tags naming it."""
    hosts: dict[str, list[str]] = {}
    for tag in ("rua", "ruf"):
        for uri in _uris(found.record.tags.get(tag, "")):
            address = uri.split("!", 1)[0]
            if not address.lower().startswith("mailto:") or "@" not in address:
                continue
            try:
                host = to_ascii(address.rpartition("@")[2].partition("?")[0])
            except InvalidTarget:
                continue
            # A name too long to ask can never be authorized; the syntax check has its own say on it.
            outside = host != found.domain and not host.endswith("." + found.domain)
            if outside and len(f"{found.domain}._report._dmarc.{host}") <= MAX_NAME_LENGTH:
                hosts.setdefault(host, [])
                if f"{tag}=" not in hosts[host]:
                    hosts[host].append(f"{tag}=")
    return hosts


def _authorized(domain: str, host: str, *, resolver: Resolver, deadline: float | None) -> bool | None:
    """Whether `host` publishes its consent to receive the reports of `domain`; None when the DNS did not say."""
    lookup = resolver.lookup(f"{domain}._report._dmarc.{host}", "TXT", deadline=deadline)
    if lookup.failed:
        return None
    return any(is_dmarc_record(text) for text in lookup.records)


def _same_organization(domain: str, host: str, *, resolver: Resolver, deadline: float | None) -> bool:
    """Whether both names have one Organizational Domain (RFC 9989 4.10.2); True when the DNS cannot tell."""
    organizations = {_organization(name, resolver=resolver, deadline=deadline) for name in (domain, host)}
    return None in organizations or len(organizations) == 1


def _organization(name: str, *, resolver: Resolver, deadline: float | None) -> str | None:
    """The Organizational Domain of `name` by the tree walk, which goes on past a record at the name itself."""
    found: list[FoundRecord] = []
    for candidate in walk_names(name):
        if len(f"_dmarc.{candidate}") > MAX_NAME_LENGTH:
            continue
        lookup = resolver.lookup(f"_dmarc.{candidate}", "TXT", deadline=deadline)
        if lookup.failed:
            return None
        texts = [text for text in lookup.records if is_dmarc_record(text)]
        if len(texts) == 1:
            found.append(FoundRecord(candidate, texts[0], parse_dmarc(texts[0])))
            if found[-1].record.psd in ("y", "n"):
                break
    return organizational_domain(name, found)


def suggested_record(text: str, *, report_address: str | None = None) -> str:
    """The record `text` with its broken parts dropped or set to their safe value, to publish in its place.

    report_address: an address to add to rua= when the record does not send its reports there yet.
    """
    tags = parse_tags(text).tags
    parts = ["v=DMARC1", f"p={_policy_or(tags, 'p', 'none')}"]
    for name in ("sp", "np"):
        if tags.get(name, "").lower() in POLICIES:
            parts.append(f"{name}={tags[name].lower()}")
    for name in ("adkim", "aspf", "t", "psd", "fo"):
        if name in tags and not _value_problems({name: tags[name]}):
            parts.append(f"{name}={tags[name].lower()}")
    for name in ("rua", "ruf"):
        uris = [uri for uri in _uris(tags.get(name, "")) if not _value_problems({name: uri})]
        if name == "rua" and report_address and report_address.lower() not in _report_addresses(",".join(uris)):
            uris.append(f"mailto:{report_address}")
        if uris:
            parts.append(f"{name}={','.join(uris)}")
    return "; ".join(parts)


def _policy_or(tags: dict[str, str], name: str, default: str) -> str:
    value = tags.get(name, "").lower()
    return value if value in POLICIES else default


def _judge_alignment(report: DmarcResult, domain: str, provider: Provider, spf: SpfResult, dkim: DkimResult) -> None:
    # With the bounce address on the checked domain, an SPF pass is aligned even under aspf=s; with a bounce
    # address elsewhere (the provider's domain, or a subdomain the check cannot name), DKIM alone is judged.
    report.return_path = provider.return_path
    report.spf_aligned = spf.sender_authorized if provider.spf_aligns else False
    report.dkim_aligned = _dkim_aligned(dkim)
    verdicts = (report.spf_aligned, report.dkim_aligned)
    report.provider_can_pass = True if True in verdicts else (False if None not in verdicts else None)
    if is_free_mail(domain):
        # Only the service's own servers pass its DMARC, whatever sends as it and whatever its DNS shows.
        report.provider_can_pass = False
    enforced = report.effective_policy in ("quarantine", "reject")
    params = {"domain": domain, "provider": provider.label, "policy": report.effective_policy}
    if report.provider_can_pass is False and enforced:
        outcome = "reject" if report.effective_policy == "reject" else "quarantine"
        # The policy is sound, but the provider's mail fails it: what receivers do with that mail is the verdict.
        status = Status.FAIL if outcome == "reject" else Status.WARN
        dkim_only = not provider.spf_aligns and not is_free_mail(domain)
        report.add("dmarc.provider_fails_dkim" if dkim_only else "dmarc.provider_fails", status, params)
    elif report.provider_can_pass is None and enforced and Status.ERROR not in (spf.status, dkim.status):
        report.add("dmarc.provider_unknown", Status.UNKNOWN, params)


def _dkim_aligned(dkim: DkimResult) -> bool | None:
    """Whether the provider's DKIM signature passes aligned; None when unknown."""
    if not dkim.checked or dkim.domainkey_exists is False or "dkim.not_searched" in dkim.codes():
        return False
    if not dkim.selectors_checked or dkim.status in (Status.ERROR, Status.UNKNOWN):
        return None
    # The key sits under this domain's _domainkey, so the signature's d= is the domain itself: aligned
    # under adkim=s as well as r. A key under 1024 bits (fail) is ignored by receivers.
    return dkim.status in (Status.PASS, Status.WARN)


def organization_of(name: str, *, resolver: Resolver, deadline: float | None = None) -> str | None:
    """The Organizational Domain of `name` by the DNS tree walk (RFC 9989 4.10.2); None when the DNS fails."""
    return _organization(name, resolver=resolver, deadline=deadline)
