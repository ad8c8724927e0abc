"""The SPF part of a domain check: the record, its limits, the provider, the record to publish."""

from dataclasses import dataclass, field

from .dns import Lookup, Resolver
from .providers import Provider
from .report import Record, SpfReport, Status
from .spf import (
    MAX_DNS_LOOKUPS,
    MAX_VOID_LOOKUPS,
    MacroExpand,
    MacroToken,
    Mechanism,
    SpfRecord,
    SpfSyntaxError,
    Term,
    check_host,
    parse_record,
    select_records,
    valid_domain,
)

# From this many lookups on, one more include breaks the record: worth a warning.
NEAR_LOOKUP_LIMIT = 9
# A record tree is walked no further than this: enough to know it is far over the limit.
MAX_WALKED_LOOKUPS = 100
_FAULT_ADVICE = "the SPF check could not be completed; try again later, or check the domain's name servers."


@dataclass
class RecordTree:
    """What evaluating a record and everything it includes costs, counted the way check_host() counts.

    The count is for a sender that matches nothing before "all": every DNS-querying term up to the
    first "all" (terms after it are never evaluated), and redirect= when there is no "all".
    Void lookups are counted as for an IPv4 sender (A queries for "a").
    """

    dns_lookups: int = 0
    void_lookups: int = 0
    includes: list[str] = field(default_factory=list)
    # Domains reached through "+include" and redirect only: their servers pass.
    authorizing: set[str] = field(default_factory=set)
    void_names: list[str] = field(default_factory=list)
    ptr_domains: list[str] = field(default_factory=list)
    # Where a "+all" is reached on a passing path: every server passes.
    allows_all: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    # Includes or redirects back to a record being evaluated: check_host() runs out of lookups.
    loops: list[str] = field(default_factory=list)
    faults: list[Lookup] = field(default_factory=list)


def audit_spf(
    domain: str,
    provider: Provider,
    *,
    resolver: Resolver,
    deadline: float | None = None,
) -> SpfReport:
    """Check `domain`'s SPF record for `provider` (domain as A-labels); DNS faults become problems."""
    report = SpfReport()
    lookup = resolver.lookup(domain, "TXT", deadline=deadline)
    if lookup.failed:
        _add_fault(report, lookup)
        return report
    records = select_records(lookup.records)
    if not records:
        _report_missing(report, domain, provider, resolver, deadline)
    elif len(records) > 1:
        _report_multiple(report, domain, records)
    else:
        _audit_record(report, domain, records[0], provider, resolver, deadline)
    return report


def _report_missing(
    report: SpfReport, domain: str, provider: Provider, resolver: Resolver, deadline: float | None
) -> None:
    report.sender_authorized = False
    report.suggested_record = f"v=spf1 {provider.spf_mechanism()} ~all"
    report.suggested_dns_lookups = provider_lookups(provider, resolver=resolver, deadline=deadline)
    report.add(
        "spf.missing",
        f"{domain} has no SPF record: publish this TXT record so that receivers accept the mail "
        f"{provider.label} sends for you.",
        Status.FAIL,
        Record(domain, "TXT", report.suggested_record),
    )


def _report_multiple(report: SpfReport, domain: str, records: tuple[str, ...]) -> None:
    report.record = records[0]
    report.sender_authorized = False
    listed = "; ".join(f'"{record}"' for record in records)
    report.add(
        "spf.multiple_records",
        f"{domain} has {len(records)} SPF records ({listed}); receivers then reject all of them (permerror). "
        "Merge them into a single TXT record starting with v=spf1 and delete the others.",
        Status.FAIL,
    )


def _audit_record(
    report: SpfReport, domain: str, text: str, provider: Provider, resolver: Resolver, deadline: float | None
) -> None:
    report.record = text
    try:
        record = parse_record(text)
    except SpfSyntaxError as error:
        _report_syntax_error(report, domain, error)
        return
    tree = walk_record(record, domain, resolver=resolver, deadline=deadline)
    _report_tree(report, domain, tree)
    report.sender_authorized = _sender_authorized(domain, provider, tree, resolver, deadline, report)
    missing_provider = report.sender_authorized is False
    suggested = _suggest(record, provider, missing_provider)
    fix = None
    if suggested is not None:
        added = provider_lookups(provider, resolver=resolver, deadline=deadline) if missing_provider else 0
        report.suggested_record = suggested
        report.suggested_dns_lookups = tree.dns_lookups + added
        fix = Record(domain, "TXT", suggested)
    _report_allows_all(report, domain, tree, fix if _top_level_pass_all(record) else None)
    if missing_provider:
        _report_not_authorized(report, domain, provider, fix)


def _report_syntax_error(report: SpfReport, domain: str, error: SpfSyntaxError) -> None:
    report.sender_authorized = False
    report.add(
        "spf.syntax",
        f"The SPF record of {domain} has an error at character {error.position + 1}: {error.reason}. "
        "Receivers treat the whole record as a permanent error: correct it.",
        Status.FAIL,
    )


def _report_tree(report: SpfReport, domain: str, tree: RecordTree) -> None:
    report.dns_lookups = tree.dns_lookups
    report.void_lookups = tree.void_lookups
    report.includes = tuple(tree.includes)
    for lookup in tree.faults:
        _add_fault(report, lookup)
    for message in tree.broken:
        report.add("spf.syntax", message, Status.FAIL)
    _report_limits(report, domain, tree)


def _report_limits(report: SpfReport, domain: str, tree: RecordTree) -> None:
    if tree.loops:
        report.add(
            "spf.too_many_lookups",
            f"The SPF record of {domain} loops ({', '.join(tree.loops)}): receivers follow it until they pass "
            f"{MAX_DNS_LOOKUPS} DNS lookups and return a permanent error. Remove the include or redirect that "
            "closes the loop.",
            Status.FAIL,
        )
    elif tree.dns_lookups > MAX_DNS_LOOKUPS:
        report.add(
            "spf.too_many_lookups",
            f"The SPF record of {domain} needs {tree.dns_lookups} DNS lookups, more than the limit of "
            f"{MAX_DNS_LOOKUPS}: receivers return a permanent error. Remove includes you no longer use, "
            "or replace them with ip4:/ip6: ranges.",
            Status.FAIL,
        )
    elif tree.dns_lookups >= NEAR_LOOKUP_LIMIT:
        report.add(
            "spf.near_lookup_limit",
            f"The SPF record of {domain} needs {tree.dns_lookups} DNS lookups, close to the limit of "
            f"{MAX_DNS_LOOKUPS}: one more include would break it. Remove includes you no longer use.",
            Status.WARN,
        )
    if tree.void_lookups > MAX_VOID_LOOKUPS:
        report.add(
            "spf.too_many_void_lookups",
            f"{tree.void_lookups} lookups of the SPF record of {domain} find nothing "
            f"({', '.join(tree.void_names)}), more than the limit of {MAX_VOID_LOOKUPS}: receivers return a "
            "permanent error. Remove the terms that point to names without records.",
            Status.FAIL,
        )
    if tree.ptr_domains:
        report.add(
            "spf.ptr_used",
            f"The SPF record of {', '.join(dict.fromkeys(tree.ptr_domains))} uses the ptr mechanism, which is slow, "
            "unreliable and discouraged (RFC 7208, 5.5): replace it with ip4:, ip6: or a: terms.",
            Status.WARN,
        )


def _report_allows_all(report: SpfReport, domain: str, tree: RecordTree, fix: Record | None) -> None:
    if not tree.allows_all:
        return
    where = ", ".join(dict.fromkeys(tree.allows_all))
    report.add(
        "spf.allows_all",
        f"The SPF record of {domain} authorizes every server on the Internet to send as {domain} "
        f"(+all in {where}): end the record with ~all or -all instead.",
        Status.FAIL,
        fix,
    )


def _report_not_authorized(report: SpfReport, domain: str, provider: Provider, fix: Record | None) -> None:
    message = (
        f"The SPF record of {domain} does not authorize {provider.label}'s servers: "
        f"add {provider.spf_mechanism()} right after v=spf1."
    )
    lookups = report.suggested_dns_lookups
    if lookups is not None and lookups > MAX_DNS_LOOKUPS:
        message += (
            f" The merged record would need {lookups} DNS lookups, more than the limit of {MAX_DNS_LOOKUPS}: "
            "remove includes you no longer use, or replace them with ip4:/ip6: ranges, before publishing it."
        )
    report.add("spf.sender_not_authorized", message, Status.FAIL, fix)


def _sender_authorized(
    domain: str, provider: Provider, tree: RecordTree, resolver: Resolver, deadline: float | None, report: SpfReport
) -> bool | None:
    """True or False; None when a DNS fault leaves it unknown (reported on `report`)."""
    if provider.spf_include:
        if provider.spf_include.lower() in tree.authorizing:
            return True
        return None if tree.faults else False
    outcomes = []
    for address in provider.sender_ips:
        result = check_host(address, domain, f"postmaster@{domain}", resolver=resolver, deadline=deadline)
        if result.result == "temperror":
            report.add(
                result.fault_code or "dns.error",
                f"Evaluating SPF for {address} hit a DNS fault ({result.problem}): {_FAULT_ADVICE}",
                Status.ERROR,
            )
            outcomes.append(None)
        else:
            outcomes.append(result.result == "pass")
    if False in outcomes:
        return False
    return None if None in outcomes else True


def _suggest(record: SpfRecord, provider: Provider, add_provider: bool) -> str | None:
    """The record with the provider's term first and "+all" turned into "~all"; None when nothing changes."""
    terms = [provider.spf_mechanism()] if add_provider else []
    changed = add_provider
    for term in record.terms:
        if _is_pass_all(term):
            terms.append("~all")
            changed = True
        else:
            terms.append(term.text)
    return "v=spf1 " + " ".join(terms) if changed else None


def _is_pass_all(term: Term) -> bool:
    return isinstance(term, Mechanism) and term.name == "all" and term.qualifier == "+"


def _top_level_pass_all(record: SpfRecord) -> bool:
    return any(_is_pass_all(term) for term in record.terms)


def provider_lookups(provider: Provider, *, resolver: Resolver, deadline: float | None = None) -> int:
    """DNS lookups that the provider's SPF term adds to a record (its include and what that includes)."""
    if not provider.spf_include:
        return 0
    tree = RecordTree(dns_lookups=1)
    _follow(provider.spf_include, tree, (), authorizing=True, resolver=resolver, deadline=deadline)
    return tree.dns_lookups


def walk_record(record: SpfRecord, domain: str, *, resolver: Resolver, deadline: float | None = None) -> RecordTree:
    """Count the lookups of `record` and of every record it includes or redirects to."""
    tree = RecordTree()
    _walk(record, domain, tree, (domain.lower(),), authorizing=True, resolver=resolver, deadline=deadline)
    return tree


def _walk(
    record: SpfRecord,
    domain: str,
    tree: RecordTree,
    path: tuple[str, ...],
    *,
    authorizing: bool,
    resolver: Resolver,
    deadline: float | None,
) -> None:
    for mechanism in record.mechanisms:
        if mechanism.name == "all":
            if authorizing and mechanism.qualifier == "+":
                tree.allows_all.append(domain)
            # Nothing after "all" is evaluated, redirect= included.
            return
        if mechanism.name == "ptr":
            tree.ptr_domains.append(domain)
        if not mechanism.queries_dns:
            continue
        tree.dns_lookups += 1
        if tree.dns_lookups > MAX_WALKED_LOOKUPS:
            return
        target = domain if mechanism.domain_spec is None else _literal(mechanism.domain_spec)
        if target is None:
            continue
        if mechanism.name == "include":
            passing = authorizing and mechanism.qualifier == "+"
            _follow(target, tree, path, authorizing=passing, resolver=resolver, deadline=deadline)
        elif mechanism.name in ("a", "mx", "exists"):
            _count_void(target, "MX" if mechanism.name == "mx" else "A", tree, resolver, deadline)
    if record.redirect is not None:
        tree.dns_lookups += 1
        target = _literal(record.redirect.tokens)
        if target is not None:
            _follow(target, tree, path, authorizing=authorizing, resolver=resolver, deadline=deadline)


def _follow(
    target: str,
    tree: RecordTree,
    path: tuple[str, ...],
    *,
    authorizing: bool,
    resolver: Resolver,
    deadline: float | None,
) -> None:
    """Walk the record of an include or redirect target."""
    target = target.lower()
    if target not in tree.includes:
        tree.includes.append(target)
    if authorizing:
        tree.authorizing.add(target)
    if target in path:
        tree.loops.append(f"{path[-1]} -> {target}")
        return
    record = _fetch_record(target, tree, resolver, deadline)
    if record is not None:
        _walk(record, target, tree, path + (target,), authorizing=authorizing, resolver=resolver, deadline=deadline)


def _fetch_record(target: str, tree: RecordTree, resolver: Resolver, deadline: float | None) -> SpfRecord | None:
    if not valid_domain(target, multi_label=False):
        tree.broken.append(f"{target!r} in an include or redirect is not a domain: receivers return a permanent error.")
        return None
    lookup = resolver.lookup(target, "TXT", deadline=deadline)
    if lookup.failed:
        tree.faults.append(lookup)
        return None
    if lookup.void:
        tree.void_lookups += 1
        tree.void_names.append(target)
    records = select_records(lookup.records)
    if len(records) != 1:
        found = "no SPF record" if not records else f"{len(records)} SPF records"
        tree.broken.append(
            f"{target} (included or redirected to) has {found}: receivers return a permanent error. "
            "Remove that term or correct its target."
        )
        return None
    try:
        return parse_record(records[0])
    except SpfSyntaxError as error:
        tree.broken.append(
            f"The SPF record of {target} (included or redirected to) has an error at character "
            f"{error.position + 1}: {error.reason}. Receivers return a permanent error."
        )
        return None


def _count_void(target: str, rdtype: str, tree: RecordTree, resolver: Resolver, deadline: float | None) -> None:
    if not valid_domain(target, multi_label=False):
        return
    lookup = resolver.lookup(target, rdtype, deadline=deadline)
    if lookup.failed:
        tree.faults.append(lookup)
    elif lookup.void:
        tree.void_lookups += 1
        tree.void_names.append(target)


def _literal(tokens: tuple[MacroToken, ...]) -> str | None:
    """A domain-spec without macros as a name; None when it depends on the sender (macros)."""
    if any(isinstance(token, MacroExpand) for token in tokens):
        return None
    return "".join(tokens).removesuffix(".").lower()


def _add_fault(report: SpfReport, lookup: Lookup) -> None:
    code = lookup.fault_code or "dns.error"
    if code in report.codes():
        return
    report.add(
        code,
        f"The DNS lookup of {lookup.name} ({lookup.rdtype}) failed ({lookup.outcome}): {_FAULT_ADVICE}",
        Status.ERROR,
    )
