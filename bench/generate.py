"""Generate N mail domains with realistic SPF, DKIM and DMARC set-ups as one Knot zone.

Shapes, by domain number: shared provider includes (Odoo, Google, Microsoft,
served from tests/zones), a per-domain include nested over Google's, redirects
to a shared record, domains without SPF; DKIM as a CNAME to Odoo's key, as a
pasted TXT key, or missing; DMARC at the domain, CNAMEd to a shared policy,
or only at the parent (found by the tree walk).
"""

import random
from dataclasses import dataclass

ORIGIN = "bench.test"
KEY = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzQEltef5Kth5HQG4PXpSUDZA2mnbl5B8XQOxthhsPcKDceasURZszSK5ZxmHwE8"
    "sjfXT2QGwWTFVwBGVH2L5SjUdsDqu8Jr/oOrw/XUjqQQkgPL8ydS7TGtB41bWHw1L1Z4e8sZy0MveamG65b8+9q++lU28oaZuIR6pGKN"
    "utVIAHk6ZtZlGQotAiU85XwiMODN7/hAVOo9vV4YwTAER+yHjbhVTCeyW4nvegh4sLDakILUd6hiN6Gw82V/j1QBzLEbvy6eawAHs9ch8"
    "EFdRR6vRmStIHcb4DeqqBsDMQBNWMvgfQtnTC3SdXiDgR+A/cR3xiD8rnJZFJSvuiEV5yQIDAQAB"
)


@dataclass(frozen=True)
class Generated:
    domains: list[str]
    zone: str
    # Longest chain of lookups that must follow one another, per domain (SPF include depth, alias hops).
    critical_path: dict[str, int]


def generate(count: int, *, seed: int = 7) -> Generated:
    rng = random.Random(seed)
    lines = [
        f"$ORIGIN {ORIGIN}.",
        "$TTL 300",
        f"@ SOA ns.{ORIGIN}. hostmaster.{ORIGIN}. 1 3600 600 86400 300",
        f"@ NS ns.{ORIGIN}.",
        "ns A 127.0.0.1",
        '_dmarc TXT "v=DMARC1; p=none; rua=mailto:dmarc@bench.test"',
        '_dmarc.policy TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@bench.test"',
        '_spf.shared TXT "v=spf1 include:_spf.odoo.com include:spf.protection.outlook.com -all"',
    ]
    domains, paths = [], {}
    for index in range(count):
        label = f"d{index:05d}"
        name = f"{label}.{ORIGIN}"
        domains.append(name)
        spf_depth = _spf(lines, label, rng.random(), index)
        dkim_depth = _dkim(lines, label, rng.random())
        dmarc_depth = _dmarc(lines, label, rng.random())
        paths[name] = max(spf_depth, dkim_depth, dmarc_depth)
    return Generated(domains, "\n".join(lines) + "\n", paths)


def _spf(lines: list[str], label: str, draw: float, index: int) -> int:
    if draw < 0.55:
        lines.append(f'{label} TXT "v=spf1 include:_spf.{label}.{ORIGIN} include:_spf.odoo.com ~all"')
        lines.append(f'_spf.{label} TXT "v=spf1 ip4:198.51.100.{index % 250} include:_spf.google.com ~all"')
        return 4  # domain, its include, Google's include, Google's nested netblocks
    if draw < 0.75:
        lines.append(f'{label} TXT "v=spf1 include:spf.protection.outlook.com ~all"')
        return 3
    if draw < 0.85:
        lines.append(f'{label} TXT "v=spf1 redirect=_spf.shared.{ORIGIN}"')
        return 4
    lines.append(f"{label} A 192.0.2.{index % 250}")
    return 1


def _dkim(lines: list[str], label: str, draw: float) -> int:
    if draw < 0.7:
        lines.append(f"odoo._domainkey.{label} CNAME odoo._domainkey.odoo.com.")
        return 2  # the alias leaves the zone: its target is asked separately
    if draw < 0.85:
        lines.append(f'odoo._domainkey.{label} TXT "v=DKIM1; k=rsa; p={KEY[:200]}" "{KEY[200:]}"')
    return 1


def _dmarc(lines: list[str], label: str, draw: float) -> int:
    if draw < 0.5:
        lines.append(f'_dmarc.{label} TXT "v=DMARC1; p=reject; rua=mailto:dmarc@{label}.{ORIGIN}"')
        return 1
    if draw < 0.8:
        lines.append(f"_dmarc.{label} CNAME _dmarc.policy.{ORIGIN}.")
        return 1
    return 2  # nothing at the domain: the tree walk asks the parent
