"""The SPF part of a domain check: the record, its limits, the provider, the record to publish.

The record to publish comes from suggest_record(): what receivers evaluate as
the owner meant (the provider's terms first and once, nothing after "all",
modifiers last). spf.all_not_last says when terms follow "all" in the record
published, since receivers never read them.
"""

from dataclasses import dataclass, field

from .dns import Lookup, Resolver
from .providers import Provider
from .result import Record, SpfResult, Status
from .spf import (
    MAX_DNS_LOOKUPS,
    MAX_VOID_LOOKUPS,
    MacroExpand,
    MacroToken,
    Mechanism,
    Modifier,
    SpfRecord,
    SpfSyntaxError,
    Term,
    check_host,
    parse_record,
    parse_term,
    select_records,
    valid_domain,
)

# From this many lookups on, one more include breaks the record: worth a warning.
NEAR_LOOKUP_LIMIT = 9
# A record tree is walked no further than this: enough to know it is far over the limit.
MAX_WALKED_LOOKUPS = 100


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
    # Includes and redirects receivers cannot follow: (finding code, its params but the checked domain).
    broken: list[tuple[str, dict[str, str | int]]] = field(default_factory=list)
    # Includes or redirects back to a record being evaluated: check_host() runs out of lookups.
    loops: list[str] = field(default_factory=list)
    faults: list[Lookup] = field(default_factory=list)


def audit_spf(
    domain: str,
    provider: Provider,
    *,
    resolver: Resolver,
    deadline: float | None = None,
) -> SpfResult:
    """Check `domain`'s SPF record for `provider` (domain as A-labels); DNS faults become findings."""
    report = SpfResult()
    lookup = resolver.lookup(domain, "TXT", deadline=deadline)
    if lookup.failed:
        _add_fault(report, lookup)
        return report
    records = select_records(lookup.records)
    if not records and not _judges_sender(provider):
        _report_unjudged(report, domain, provider)
    elif not records:
        _report_missing(report, domain, provider, resolver, deadline)
    elif len(records) > 1:
        _report_multiple(report, domain, records)
    else:
        _audit_record(report, domain, records[0], provider, resolver, deadline)
    return report


def _report_missing(
    report: SpfResult, domain: str, provider: Provider, resolver: Resolver, deadline: float | None
) -> None:
    report.sender_authorized = False
    report.suggested_record = f"v=spf1 {provider.spf_mechanism()} ~all"
    report.suggested_dns_lookups = provider_lookups(provider, resolver=resolver, deadline=deadline)
    params = {"domain": domain, "provider": provider.label}
    report.add("spf.missing", Status.FAIL, params, Record(domain, "TXT", report.suggested_record))


def _judges_sender(provider: Provider) -> bool:
    """Whether the SPF record of the checked domain decides for this sender's mail: its bounce address is on
    the domain, and the servers are known (an include, or the addresses of a server of one's own)."""
    return provider.spf_aligns and bool(provider.spf_include or provider.sender_ips)


def _report_unjudged(report: SpfResult, domain: str, provider: Provider) -> None:
    """Say why the record is not judged for the sender: its bounce address is elsewhere (SPF is checked
    against another domain, and an include here could never align), or its servers are not known."""
    params = {"domain": domain, "provider": provider.label}
    if not provider.spf_aligns:
        report.add("spf.return_path_elsewhere", Status.INFO, params)
    else:
        report.add("spf.sender_unknown", Status.UNKNOWN, params)


def _report_multiple(report: SpfResult, domain: str, records: tuple[str, ...]) -> None:
    report.record = records[0]
    report.sender_authorized = False
    listed = "; ".join(f'"{record}"' for record in records)
    report.add("spf.multiple_records", Status.FAIL, {"domain": domain, "count": len(records), "records": listed})


def _audit_record(
    report: SpfResult, domain: str, text: str, provider: Provider, resolver: Resolver, deadline: float | None
) -> None:
    report.record = text
    try:
        record = parse_record(text)
    except SpfSyntaxError as error:
        _report_syntax_error(report, domain, error)
        return
    tree = walk_record(record, domain, resolver=resolver, deadline=deadline)
    _report_tree(report, domain, tree)
    if _judges_sender(provider):
        report.sender_authorized = _sender_authorized(domain, provider, tree, resolver, deadline, report)
    else:
        _report_unjudged(report, domain, provider)
    missing_provider = report.sender_authorized is False
    suggested = suggest_record(record, provider if missing_provider else None)
    fix = None
    if suggested is not None:
        report.suggested_record = suggested
        walked = walk_record(parse_record(suggested), domain, resolver=resolver, deadline=deadline)
        report.suggested_dns_lookups = walked.dns_lookups
        fix = Record(domain, "TXT", suggested)
    _report_all_not_last(report, domain, record, fix)
    _report_allows_all(report, domain, tree, fix if _top_level_pass_all(record) else None)
    if missing_provider:
        _report_not_authorized(report, domain, provider, fix)
    _report_suggestion_over_limit(report, domain)


def _report_syntax_error(report: SpfResult, domain: str, error: SpfSyntaxError) -> None:
    report.sender_authorized = False
    params = {"domain": domain, "position": error.position + 1, "detail": error.reason}
    report.add("spf.syntax", Status.FAIL, params)


def _report_tree(report: SpfResult, domain: str, tree: RecordTree) -> None:
    report.dns_lookups = tree.dns_lookups
    report.void_lookups = tree.void_lookups
    report.includes = tuple(tree.includes)
    for lookup in tree.faults:
        _add_fault(report, lookup)
    for code, params in tree.broken:
        report.add(code, Status.FAIL, {"domain": domain, **params})
    _report_limits(report, domain, tree)


def _report_limits(report: SpfResult, domain: str, tree: RecordTree) -> None:
    counted = {"domain": domain, "count": tree.dns_lookups, "limit": MAX_DNS_LOOKUPS}
    if tree.loops:
        loop = {"domain": domain, "loop": ", ".join(tree.loops), "limit": MAX_DNS_LOOKUPS}
        report.add("spf.include_loop", Status.FAIL, loop)
    elif tree.dns_lookups > MAX_DNS_LOOKUPS:
        report.add("spf.too_many_lookups", Status.FAIL, counted)
    elif tree.dns_lookups >= NEAR_LOOKUP_LIMIT:
        report.add("spf.near_lookup_limit", Status.WARN, counted)
    if tree.void_lookups > MAX_VOID_LOOKUPS:
        names = ", ".join(tree.void_names)
        void = {"domain": domain, "count": tree.void_lookups, "names": names, "limit": MAX_VOID_LOOKUPS}
        report.add("spf.too_many_void_lookups", Status.FAIL, void)
    if tree.ptr_domains:
        where = ", ".join(dict.fromkeys(tree.ptr_domains))
        report.add("spf.ptr_used", Status.WARN, {"domain": domain, "where": where})


def _report_all_not_last(report: SpfResult, domain: str, record: SpfRecord, fix: Record | None) -> None:
    ignored = _after_all(record)
    if ignored:
        final = next(term.text for term in record.mechanisms if term.name == "all")
        params = {"domain": domain, "all": final, "ignored": " ".join(term.text for term in ignored)}
        report.add("spf.all_not_last", Status.WARN, params, fix)


def _report_allows_all(report: SpfResult, domain: str, tree: RecordTree, fix: Record | None) -> None:
    if tree.allows_all:
        where = ", ".join(dict.fromkeys(tree.allows_all))
        report.add("spf.allows_all", Status.FAIL, {"domain": domain, "where": where}, fix)


def _report_not_authorized(report: SpfResult, domain: str, provider: Provider, fix: Record | None) -> None:
    params = {"domain": domain, "provider": provider.label, "mechanism": provider.spf_mechanism()}
    report.add("spf.sender_not_authorized", Status.FAIL, params, fix)


def _report_suggestion_over_limit(report: SpfResult, domain: str) -> None:
    lookups = report.suggested_dns_lookups
    if lookups is not None and lookups > MAX_DNS_LOOKUPS:
        params = {"domain": domain, "count": lookups, "limit": MAX_DNS_LOOKUPS}
        report.add("spf.suggested_over_limit", Status.WARN, params)


def _sender_authorized(
    domain: str, provider: Provider, tree: RecordTree, resolver: Resolver, deadline: float | None, report: SpfResult
) -> bool | None:
    """True or False; None when a DNS fault leaves it unknown (reported on `report`)."""
    if provider.spf_include:
        if any(include in tree.authorizing for include in provider.authorizing_includes()):
            return True
        return None if tree.faults else False
    outcomes = []
    for address in provider.sender_ips:
        result = check_host(address, domain, f"postmaster@{domain}", resolver=resolver, deadline=deadline)
        if result.result == "temperror":
            if result.fault is not None:
                _add_fault(report, result.fault)
            outcomes.append(None)
        else:
            outcomes.append(result.result == "pass")
    if False in outcomes:
        return False
    return None if None in outcomes else True


def suggest_record(record: SpfRecord, provider: Provider | None = None) -> str | None:
    """The record to publish in place of `record` so that receivers evaluate it as meant; None when it
    already is. `provider`: a provider whose servers the record must authorize and does not.

    Receivers take the first mechanism that matches and stop reading at "all", so the suggestion puts
    the provider's terms first (no earlier term can decide before them), keeps every other mechanism in
    its order but once (a later copy of a mechanism, under any qualifier, can never decide: the first
    one already matched or did not), turns "+all" into "~all", ends the mechanisms with the first "all"
    (the terms written after it were meant to count; a later "all" is dropped), and puts the modifiers
    (redirect=, exp=) after them.
    """
    if provider is None and not _top_level_pass_all(record) and not _after_all(record):
        return None
    added = provider.spf_mechanism().split() if provider is not None else []
    seen = {_term_key(parse_term(text)) for text in added}
    mechanisms: list[str] = []
    final: str | None = None
    for term in record.mechanisms:
        if term.name == "all":
            final = final or ("~all" if term.qualifier == "+" else term.text)
        elif _term_key(term) not in seen:
            seen.add(_term_key(term))
            mechanisms.append(term.text)
    modifiers = [term.text for term in record.terms if isinstance(term, Modifier)]
    return " ".join(["v=spf1", *added, *mechanisms, *([final] if final else []), *modifiers])


def _term_key(term: Mechanism) -> tuple:
    """What a mechanism matches, whatever its qualifier and spelling (ip4:192.0.2.1 is ip4:192.0.2.1/32)."""
    domain = term.domain.lower().removesuffix(".") if term.domain is not None else None
    return term.name, domain, str(term.network) if term.network is not None else None, term.cidr4, term.cidr6


def _after_all(record: SpfRecord) -> tuple[Mechanism, ...]:
    """The mechanisms written after the first "all", which receivers never read."""
    names = [term.name for term in record.mechanisms]
    return record.mechanisms[names.index("all") + 1 :] if "all" in names else ()


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
        tree.broken.append(("spf.include_not_domain", {"include": target}))
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
        tree.broken.append(("spf.include_no_record", {"include": target, "count": len(records)}))
        return None
    try:
        return parse_record(records[0])
    except SpfSyntaxError as error:
        params = {"include": target, "position": error.position + 1, "detail": error.reason}
        tree.broken.append(("spf.include_syntax", params))
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


def _add_fault(report: SpfResult, lookup: Lookup) -> None:
    report.add_once(lookup.fault_code or "dns.error", Status.ERROR, lookup.fault_params)
