"""Who sends from each source IP of the reports: a provider, the own servers, the domain, or nobody known.

Each IP is evaluated with the engine's own check_host() against the SPF include of every provider,
then against the SPF record of each domain it sent for. One Resolver serves the whole batch, so the
providers' records and every other name are asked once.
"""

import ipaddress
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from ..dns import Resolver
from ..errors import InvalidProvider, InvalidTarget
from ..providers import PROVIDERS, Provider
from ..spf import check_host
from .model import AggregateReport, Attribution

DEFAULT_TIMEOUT = 10.0
DEFAULT_WORKERS = 32
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def attribute_sources(
    reports: Iterable[AggregateReport],
    *,
    resolver: Resolver,
    own_ips: Iterable[str] = (),
    providers: Iterable[Provider] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    workers: int = DEFAULT_WORKERS,
) -> dict[str, Attribution]:
    """An Attribution for every source IP of `reports`, keyed by the IP as the records give it.

    own_ips: addresses or networks (192.0.2.0/28) of the organization's own servers. providers:
    those whose SPF include is tried, PROVIDERS by default. timeout: seconds one IP may take.
    Raises InvalidProvider for an own IP that is not an address or a network.
    """
    return attribute_ips(
        _domains_by_ip(reports),
        resolver=resolver,
        own_ips=own_ips,
        providers=providers,
        timeout=timeout,
        workers=workers,
    )


def attribute_ips(
    domains_by_ip: Mapping[str, Sequence[str]],
    *,
    resolver: Resolver,
    own_ips: Iterable[str] = (),
    providers: Iterable[Provider] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    workers: int = DEFAULT_WORKERS,
) -> dict[str, Attribution]:
    """attribute_sources() for IPs known without their reports (rows stored by an application): each IP with
    the domains it sent mail as (the policy domain, the From domains), whose SPF records are tried after the
    own servers and the providers. Same arguments as attribute_sources(); raises InvalidTarget for a key that is
    not an IP address, and InvalidProvider for a bad own IP."""
    for ip in domains_by_ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise InvalidTarget(f"{ip!r} is not an IP address") from None
    networks = _networks(own_ips)
    includes = [provider for provider in (providers or PROVIDERS.values()) if provider.spf_include]
    domains = {ip: list(names) for ip, names in domains_by_ip.items()}
    if not domains:
        return {}

    def attribute(ip: str) -> Attribution:
        deadline = time.monotonic() + timeout
        return _attribute(ip, domains[ip], networks, includes, resolver=resolver, deadline=deadline)

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(domains)))) as pool:
        return dict(zip(domains, pool.map(attribute, domains), strict=True))


def _networks(own_ips: Iterable[str]) -> tuple[IPNetwork, ...]:
    if isinstance(own_ips, str):
        own_ips = [own_ips]
    networks = []
    for text in own_ips:
        try:
            networks.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise InvalidProvider(f"{text.strip()!r} is not an IP address or network") from None
    return tuple(networks)


def _domains_by_ip(reports: Iterable[AggregateReport]) -> dict[str, list[str]]:
    """Each source IP and the domains it sent mail as (the policy domain, the From domains), first met first."""
    domains: dict[str, list[str]] = defaultdict(list)
    for report in reports:
        for record in report.records:
            known = domains[record.source_ip]
            for domain in (report.policy.domain, record.header_from):
                if domain and domain not in known:
                    known.append(domain)
    return domains


def _attribute(
    ip: str,
    domains: list[str],
    networks: tuple[IPNetwork, ...],
    providers: list[Provider],
    *,
    resolver: Resolver,
    deadline: float,
) -> Attribution:
    reverse_name, confirmed = reverse_lookup(ip, resolver=resolver, deadline=deadline)
    found = {"reverse_name": reverse_name, "reverse_confirmed": confirmed}
    address = ipaddress.ip_address(ip)
    if any(address.version == network.version and address in network for network in networks):
        return Attribution(ip, "own", "own servers", **found)
    fault = None
    for provider in providers:
        result = check_host(
            ip, provider.spf_include, f"postmaster@{provider.spf_include}", resolver=resolver, deadline=deadline
        )
        if result.result == "pass":
            return Attribution(ip, provider.name, provider.label, authorized_by=provider.spf_include, **found)
        fault = fault or result.fault_code
    for domain in domains:
        result = check_host(ip, domain, f"postmaster@{domain}", resolver=resolver, deadline=deadline)
        if result.result == "pass":
            return Attribution(ip, "domain", f"SPF of {domain}", authorized_by=domain, **found)
        fault = fault or result.fault_code
    if fault:
        return Attribution(ip, "error", "not known: the DNS did not answer", fault_code=fault, **found)
    return Attribution(ip, "unknown", "unknown", **found)


def reverse_lookup(ip: str, *, resolver: Resolver, deadline: float | None = None) -> tuple[str | None, bool]:
    """The IP's PTR name, and whether that name's addresses include the IP (forward-confirmed)."""
    address = ipaddress.ip_address(ip)
    pointer = resolver.lookup(address.reverse_pointer, "PTR", deadline=deadline)
    names = sorted(pointer.records) if pointer.answered else []
    if not names:
        return None, False
    for name in names:
        forward = resolver.lookup(name, "A" if address.version == 4 else "AAAA", deadline=deadline)
        if any(_same_address(record, address) for record in forward.records):
            return name, True
    return names[0], False


def _same_address(text: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    try:
        return ipaddress.ip_address(text) == address
    except ValueError:
        return False
