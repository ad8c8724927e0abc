"""Check whole domains (or addresses): SPF, DKIM, DMARC and the address itself.

check_domain() and check_domains() take how the mail goes out: `provider`
(who sends: see maildns.providers, and detect_sender() to find it as Odoo
would) and, for addresses, `sent_as` (whether Odoo sends as the address
itself or rewrites the From to its notifications address; see
maildns.address). `dmarc_rua` is an address that should receive the
domains' DMARC aggregate reports: the DMARC record to publish carries it.
"""

import time
from collections.abc import Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

from .address import audit_address, is_free_mail
from .dkim import audit_dkim
from .dmarc import audit_dmarc
from .dns import Outcome, Resolver
from .errors import InvalidTarget
from .names import Target, parse_target
from .providers import Provider, get_provider
from .result import DkimResult, DmarcResult, DomainResult, Finding, SpfResult, Status
from .spf_audit import audit_spf

# Seconds one domain may take, all lookups included: a slow domain ends as "error", it never stalls a run.
DEFAULT_DOMAIN_TIMEOUT = 15.0
DEFAULT_WORKERS = 32


def check_domain(
    target: str,
    *,
    provider: "str | Provider" = "odoo",
    dkim_selectors: Iterable[str] | None = None,
    resolver: Resolver | None = None,
    timeout: float = DEFAULT_DOMAIN_TIMEOUT,
    sent_as: bool = True,
    dmarc_rua: str | None = None,
    reported_selectors: Iterable[str] = (),
) -> DomainResult:
    """Check one domain or email address.

    dkim_selectors: the selectors to check (default: the provider's; for a provider whose selector is not
    fixed, the key is searched, first at `reported_selectors`: those receivers reported for the domain in
    their DMARC aggregate reports, then at common ones).
    sent_as: for an address, whether Odoo sends as the address itself (False: it rewrites the From to
    its notifications address, and the address's DMARC policy no longer applies).
    dmarc_rua: an address that should receive the domain's DMARC aggregate reports. The DMARC record to
    publish then carries it as rua=mailto: (dmarc.report_address when the record lacks it), and the consent
    record its domain must publish when it belongs to another organization (dmarc.report_consent).
    Raises InvalidTarget or InvalidProvider for bad input; DNS faults are reported, never raised.
    """
    parsed = parse_target(target)
    sender = get_provider(provider)
    selectors = _selectors(dkim_selectors)
    rua = _report_address(dmarc_rua)
    reported = {parsed.domain: _selectors(reported_selectors) or ()}
    return _check(parsed, sender, selectors, resolver or Resolver(), timeout, sent_as, rua, reported)


def check_domains(
    targets: Iterable[str],
    *,
    provider: "str | Provider" = "odoo",
    dkim_selectors: Iterable[str] | None = None,
    resolver: Resolver | None = None,
    timeout: float = DEFAULT_DOMAIN_TIMEOUT,
    workers: int = DEFAULT_WORKERS,
    sent_as: bool = True,
    dmarc_rua: str | None = None,
    reported_selectors: Mapping[str, Iterable[str]] | None = None,
    dkim_search_domains: Collection[str] | None = None,
) -> list[DomainResult]:
    """Check many targets concurrently, in the order given, sharing one DNS cache (sent_as and dmarc_rua: see
    check_domain; dmarc_rua is the same for every target). reported_selectors: per domain (A-labels), the DKIM
    selectors receivers reported for it, searched first when the provider's selector is not fixed.
    dkim_search_domains: the domains (A-labels) the sender may sign for, whose key is searched when its selector
    is not fixed (None: every target). A server signs only for the domains it was set up for: the key found at
    a common selector of another domain (a contact's) is that domain's own, so the sender is taken not to sign
    there (dkim.not_searched).

    Every target is validated before any DNS is asked, so bad input raises
    InvalidTarget without a partial run.
    """
    parsed = [parse_target(target) for target in targets]
    sender = get_provider(provider)
    selectors = _selectors(dkim_selectors)
    rua = _report_address(dmarc_rua)
    reported = {domain.lower(): _selectors(found) or () for domain, found in (reported_selectors or {}).items()}
    searched = None if dkim_search_domains is None else frozenset(name.lower() for name in dkim_search_domains)
    shared = resolver or Resolver()
    if not parsed:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(parsed)))) as pool:
        return list(
            pool.map(
                lambda item: _check(item, sender, selectors, shared, timeout, sent_as, rua, reported, searched), parsed
            )
        )


def _selectors(dkim_selectors: Iterable[str] | None) -> tuple[str, ...] | None:
    if dkim_selectors is None:
        return None
    if isinstance(dkim_selectors, str):
        dkim_selectors = [dkim_selectors]
    return tuple(selector.strip().lower() for selector in dkim_selectors if selector and selector.strip())


def _report_address(text: str | None) -> str | None:
    """The aggregate report address as a DMARC record writes it (local@A-labels); InvalidTarget for no address."""
    if text is None:
        return None
    target = parse_target(text)
    if not target.is_address:
        raise InvalidTarget(f"{text.strip()!r}: reports go to an email address, not to a domain")
    if any(char in target.address for char in ",;!"):
        # They separate the addresses, the tags and the size limit of a DMARC record.
        raise InvalidTarget(f"{text.strip()!r}: a report address cannot hold a comma, a semicolon or '!'")
    return target.address


def _check(
    target: Target,
    provider: Provider,
    selectors: tuple[str, ...] | None,
    resolver: Resolver,
    timeout: float,
    sent_as: bool,
    dmarc_rua: str | None = None,
    reported: Mapping[str, tuple[str, ...]] | None = None,
    searched: frozenset[str] | None = None,
) -> DomainResult:
    started = time.monotonic()
    deadline = started + timeout
    domain = target.domain
    existence = resolver.lookup(domain, "TXT", deadline=deadline)
    if existence.outcome is Outcome.NXDOMAIN:
        report = _not_found(target, provider, sent_as)
    else:
        spf = audit_spf(domain, provider, resolver=resolver, deadline=deadline)
        found = (reported or {}).get(domain, ())
        search = searched is None or domain in searched
        dkim = audit_dkim(
            domain, provider, selectors, resolver=resolver, deadline=deadline, reported=found, search=search
        )
        dmarc = audit_dmarc(
            domain, provider, spf=spf, dkim=dkim, resolver=resolver, deadline=deadline, report_address=dmarc_rua
        )
        report = DomainResult(target.text, domain, provider.name, spf, dkim, dmarc)
        if is_free_mail(domain):
            # Whatever sends Odoo's mail and whatever the service's DNS shows, only its own servers pass.
            report.findings.append(Finding("domain.free_mail", Status.FAIL, {"domain": domain}))
        if target.is_address:
            report.address = audit_address(target, dmarc, sent_as=sent_as)
    report.elapsed = time.monotonic() - started
    return report


def _not_found(target: Target, provider: Provider, sent_as: bool) -> DomainResult:
    report = DomainResult(
        target.text,
        target.domain,
        provider.name,
        SpfResult(checked=False),
        DkimResult(checked=False),
        DmarcResult(checked=False),
    )
    report.findings.append(Finding("domain.not_found", Status.FAIL, {"domain": target.domain}))
    if target.is_address:
        report.address = audit_address(target, report.dmarc, sent_as=sent_as)
    return report
