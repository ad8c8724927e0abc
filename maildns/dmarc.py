"""DMARC: discovery by the DNS tree walk of RFC 9989, tag validation, policy and alignment."""

from dataclasses import dataclass

from .dns import Lookup, Resolver
from .providers import Provider
from .report import DkimReport, DmarcReport, Record, SpfReport, Status
from .tags import parse_tags

POLICIES = ("none", "quarantine", "reject")
# RFC 9989 section 4.10: after the domain itself, the walk starts at most seven labels from the root.
MAX_WALK_LABELS = 7
OBSOLETE_TAGS = ("pct", "rf", "ri")
SUGGESTED_RECORD = "v=DMARC1; p=none"


@dataclass(frozen=True)
class DmarcRecord:
    """A parsed DMARC record: usable when `policy` is set."""

    tags: dict[str, str]
    policy: str | None
    subdomain_policy: str | None
    nonexistent_policy: str | None
    adkim: str
    aspf: str
    psd: str | None
    problems: tuple[tuple[str, Status], ...]


def is_dmarc_record(text: str) -> bool:
    head = text.lstrip().split(";", 1)[0].replace(" ", "").lower()
    return head == "v=dmarc1"


def parse_dmarc(text: str) -> DmarcRecord:
    """Validate a DMARC record's tags; never raises. Problems are (message, severity) pairs."""
    parsed = parse_tags(text)
    tags = parsed.tags
    problems = [(f"{error}", Status.WARN) for error in parsed.errors]
    policy = _policy(tags, "p", problems, required=True)
    subdomain = _policy(tags, "sp", problems)
    nonexistent = _policy(tags, "np", problems)
    for name in ("adkim", "aspf"):
        if tags.get(name, "r") not in ("r", "s"):
            problems.append((f"{name}={tags[name]} must be r (relaxed) or s (strict)", Status.WARN))
    for name in ("rua", "ruf"):
        for uri in filter(None, (part.strip() for part in tags.get(name, "").split(","))):
            if not uri.lower().startswith("mailto:") or "@" not in uri:
                problems.append((f"{name}= address {uri!r} is not a mailto: address", Status.WARN))
    if tags.get("psd", "u") not in ("y", "n", "u"):
        problems.append((f"psd={tags['psd']} must be y, n or u", Status.WARN))
    if tags.get("t", "n") not in ("y", "n"):
        problems.append((f"t={tags['t']} must be y or n", Status.WARN))
    if any(option not in ("0", "1", "d", "s") for option in tags.get("fo", "0").split(":")):
        problems.append((f"fo={tags['fo']} holds options other than 0, 1, d and s", Status.WARN))
    return DmarcRecord(
        tags=tags,
        policy=policy,
        subdomain_policy=subdomain,
        nonexistent_policy=nonexistent,
        adkim=tags.get("adkim", "r"),
        aspf=tags.get("aspf", "r"),
        psd=tags.get("psd"),
        problems=tuple(problems),
    )


def _policy(tags: dict[str, str], name: str, problems: list, *, required: bool = False) -> str | None:
    value = tags.get(name)
    if value is None:
        if required:
            problems.append(("the record has no p= policy, so receivers ignore it", Status.FAIL))
        return None
    if value.lower() in POLICIES:
        return value.lower()
    severity = Status.FAIL if required else Status.WARN
    problems.append((f"{name}={value} is not none, quarantine or reject", severity))
    return None


def walk_names(domain: str) -> list[str]:
    """The names the tree walk asks, in order: the domain, then its ancestors from seven labels up."""
    labels = domain.split(".")
    names = [domain]
    start = min(len(labels) - 1, MAX_WALK_LABELS)
    for count in range(start, 0, -1):
        names.append(".".join(labels[-count:]))
    return names


def audit_dmarc(
    domain: str,
    provider: Provider,
    *,
    spf: SpfReport,
    dkim: DkimReport,
    resolver: Resolver,
    deadline: float | None = None,
) -> DmarcReport:
    """Find the DMARC policy that applies to `domain` and judge whether the provider's mail passes it."""
    report = DmarcReport()
    for name in walk_names(domain):
        lookup = resolver.lookup(f"_dmarc.{name}", "TXT", deadline=deadline)
        if lookup.failed:
            report.add(lookup.fault_code, _fault_message(lookup), Status.ERROR)
            return report
        records = [text for text in lookup.records if is_dmarc_record(text)]
        # Several records at one name count as none there (RFC 9989 section 4.10).
        if len(records) == 1:
            _apply(report, domain, name, records[0])
            break
    else:
        report.add(
            "dmarc.missing",
            f"{domain} publishes no DMARC policy: receivers decide alone what to do with mail that fails. "
            "Publish p=none to receive reports, then move to quarantine or reject once they show all your mail passes.",
            Status.WARN,
            Record(f"_dmarc.{domain}", "TXT", SUGGESTED_RECORD),
        )
    _judge_alignment(report, domain, provider, spf, dkim)
    return report


def _apply(report: DmarcReport, domain: str, record_domain: str, text: str) -> None:
    parsed = parse_dmarc(text)
    report.record, report.record_domain = text, record_domain
    report.policy, report.subdomain_policy = parsed.policy, parsed.subdomain_policy
    if record_domain == domain:
        report.effective_policy = parsed.policy
    else:
        report.effective_policy = parsed.subdomain_policy or parsed.policy
    report.obsolete_tags = tuple(tag for tag in OBSOLETE_TAGS if tag in parsed.tags)
    report.strict_alignment = parsed.adkim == "s" or parsed.aspf == "s"
    for message, severity in parsed.problems:
        fix = Record(f"_dmarc.{record_domain}", "TXT", SUGGESTED_RECORD) if severity is Status.FAIL else None
        report.add("dmarc.syntax", f"The DMARC record of {record_domain}: {message}.", severity, fix)


def _judge_alignment(report: DmarcReport, domain: str, provider: Provider, spf: SpfReport, dkim: DkimReport) -> None:
    # The bounce address (Return-Path) is on the checked domain itself, so SPF aligns strictly when it passes.
    report.spf_aligned = spf.sender_authorized
    dkim_usable = dkim.checked and dkim.selector is not None and dkim.status in (Status.PASS, Status.WARN)
    report.dkim_aligned = dkim_usable if dkim.status is not Status.ERROR else None
    known = [value for value in (report.spf_aligned, report.dkim_aligned) if value is not None]
    report.provider_can_pass = True if any(known) else (False if known else None)
    if report.provider_can_pass is False and report.effective_policy in ("quarantine", "reject"):
        report.advice = (
            f"Neither SPF nor DKIM of {domain} authorizes {provider.label}: with p={report.effective_policy}, "
            f"receivers {'reject' if report.effective_policy == 'reject' else 'quarantine'} its mail."
        )


def _fault_message(lookup: Lookup) -> str:
    return (
        f"The DNS did not answer for {lookup.name} ({lookup.outcome}): the DMARC result is unknown. {lookup.detail}"
    ).strip()
