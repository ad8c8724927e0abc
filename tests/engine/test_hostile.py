"""Hostile records: what a domain owner (or an attacker) can publish, served for real by Knot.

Huge TXT records, SPF include loops, self-redirects, deep and wide include trees,
macros that expand past DNS limits, control and non-ASCII bytes, broken DMARC
and DKIM records. Each case runs check_domain (and check_host where SPF
evaluation is the point) and must end in a result with the right code, within
its deadline, asking a bounded number of questions and using bounded memory.
The figures are printed at the end of the run (see conftest.py).
"""

import random
import string
import time
import tracemalloc

import pytest

from odoo.addons.mail_domain_health.maildns import Resolver, check_domain
from odoo.addons.mail_domain_health.maildns.spf import MAX_DNS_LOOKUPS, check_host
from odoo.addons.mail_domain_health.tests.support.dnsproxy import FaultProxy
from odoo.addons.mail_domain_health.tests.support.dnsserver import AuthoritativeServer, load_zone_dir, zone_head

ZONE = "hostile.test"
DEADLINE = 5.0
# Per case: the questions check_domain may send. The SPF evaluation stops at 10 DNS-querying terms and
# the audit's walk of the include tree at 100; DKIM and DMARC add a few; retries over TCP count too.
MAX_MESSAGES = 130
MAX_PEAK_BYTES = 16 * 1024 * 1024
ODOO_IP = "149.202.206.10"


def _strings(text: str, size: int = 250) -> str:
    """`text` as the quoted character-strings of one TXT record (at most 255 bytes each)."""
    return " ".join(f'"{text[start : start + size]}"' for start in range(0, len(text), size))


def _noise(seed: int, length: int) -> str:
    generator = random.Random(seed)
    return "".join(generator.choice(string.ascii_letters + string.digits) for _ in range(length))


def _zone() -> str:
    lines = zone_head(ZONE)
    # One TXT record of 240 strings (60 kB) beside the SPF record: only TCP can carry the answer.
    lines.append(f"huge-txt TXT {_strings(_noise(1, 60_000))}")
    lines.append('huge-txt TXT "v=spf1 include:_spf.odoo.com -all"')
    # 300 records at one name, one of them SPF.
    lines += [f'many-records TXT "verification-{index}={_noise(index, 120)}"' for index in range(300)]
    lines.append('many-records TXT "v=spf1 include:_spf.odoo.com -all"')
    # An SPF record of 40 kB: 2,500 ip4 terms, then Odoo's include.
    terms = " ".join(f"ip4:198.51.{index // 250}.{index % 250}" for index in range(2_500))
    lines.append(f"huge-spf TXT {_strings(f'v=spf1 {terms} include:_spf.odoo.com -all')}")
    # Include loops, a self-redirect, a self-include.
    lines.append(f'loop-a TXT "v=spf1 include:loop-b.{ZONE} -all"')
    lines.append(f'loop-b TXT "v=spf1 include:loop-a.{ZONE} -all"')
    lines.append(f'self-redirect TXT "v=spf1 redirect=self-redirect.{ZONE}"')
    lines.append(f'self-include TXT "v=spf1 include:self-include.{ZONE} -all"')
    # A chain of 60 includes, and a record with 200 includes side by side.
    for depth in range(60):
        lines.append(f'deep{depth} TXT "v=spf1 include:deep{depth + 1}.{ZONE} -all"')
    lines.append('deep60 TXT "v=spf1 include:_spf.odoo.com -all"')
    wide = " ".join(f"include:leaf{index}.{ZONE}" for index in range(200))
    lines.append(f"wide TXT {_strings(f'v=spf1 {wide} include:_spf.odoo.com -all')}")
    lines += [f'leaf{index} TXT "v=spf1 ip4:203.0.113.{index % 250} -all"' for index in range(200)]
    # Macros that expand far past 253 bytes, and one per term, 40 times.
    lines.append('macro-huge TXT "v=spf1 exists:%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{d}.%{d}.%{d}.%{d}.%{d} -all"')
    repeated = " ".join("exists:%{ir}.%{l1r+-}.%{d}.%{d}.%{d}.%{d}" for _ in range(40))
    lines.append(f"macro-many TXT {_strings(f'v=spf1 {repeated} -all')}")
    # Control and non-ASCII bytes inside SPF, DMARC and DKIM records.
    lines.append('control TXT "v=spf1 ip4:192.0.2.1\\007\\000 include:_spf.odoo.com -all"')
    lines.append('control TXT "google-site-verification=\\255\\254\\000"')
    lines.append('_dmarc.control TXT "v=DMARC1;\\000 p=reject\\027"')
    lines.append('non-ascii TXT "v=spf1 a:b\\195\\188cher.example include:_spf.odoo.com -all"')
    # DMARC: duplicate and unknown tags; a record of 30 kB; DKIM keys that are not keys.
    lines.append('dmarc-dup TXT "v=spf1 include:_spf.odoo.com -all"')
    lines.append('_dmarc.dmarc-dup TXT "v=DMARC1; p=reject; p=none; sp=none; sp=reject; x-foo=1; zz=2"')
    lines.append('dmarc-huge TXT "v=spf1 include:_spf.odoo.com -all"')
    huge_tags = "; ".join(f"x{index}={_noise(index, 20)}" for index in range(1_200))
    lines.append(f"_dmarc.dmarc-huge TXT {_strings(f'v=DMARC1; p=quarantine; {huge_tags}')}")
    lines.append('dkim-bad TXT "v=spf1 include:_spf.odoo.com -all"')
    lines.append('odoo._domainkey.dkim-bad TXT "v=DKIM1; k=rsa; p=!!not*base64@@"')
    lines.append('dkim-notkey TXT "v=spf1 include:_spf.odoo.com -all"')
    lines.append('odoo._domainkey.dkim-notkey TXT "v=DKIM1; k=rsa; p=bm90IGEga2V5LCBqdXN0IHNvbWUgdGV4dA=="')
    lines.append('dkim-huge TXT "v=spf1 include:_spf.odoo.com -all"')
    key = _noise(7, 40_000).replace("0", "+")
    lines.append(f"odoo._domainkey.dkim-huge TXT {_strings(f'v=DKIM1; k=rsa; p={key}')}")
    # 100 MX records behind an SPF "mx": past the limit of 10 names for one mechanism.
    lines.append('mx-many TXT "v=spf1 mx include:_spf.odoo.com -all"')
    lines += [f"mx-many MX {index} mx{index}.{ZONE}." for index in range(100)]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def hostile_server():
    with AuthoritativeServer({**load_zone_dir(), f"{ZONE}.": _zone()}) as server:
        yield server


def _measure(server, run):
    resolver = Resolver([server.address], timeout=1.0, lifetime=3.0)
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = run(resolver)
    finally:
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result, resolver.stats.messages_sent, peak, elapsed


# name -> (codes the domain report must contain, SPF result for Odoo's servers)
DOMAINS = {
    "huge-txt": ((), "pass"),
    "many-records": ((), "pass"),
    "huge-spf": ((), "pass"),
    "loop-a": (("spf.include_loop",), "permerror"),
    "self-redirect": (("spf.include_loop",), "permerror"),
    "self-include": (("spf.include_loop",), "permerror"),
    "deep0": (("spf.too_many_lookups",), "permerror"),
    "wide": (("spf.too_many_lookups",), "permerror"),
    "macro-huge": ((), "fail"),
    "macro-many": (("spf.too_many_lookups",), "permerror"),
    "control": (("spf.syntax", "dmarc.syntax"), "permerror"),
    "non-ascii": (("spf.syntax",), "permerror"),
    "dmarc-dup": (("dmarc.syntax",), "pass"),
    "dmarc-huge": ((), "pass"),
    "dkim-bad": (("dkim.syntax",), "pass"),
    "dkim-notkey": (("dkim.syntax",), "pass"),
    "dkim-huge": (("dkim.syntax",), "pass"),
    "mx-many": ((), "permerror"),
}


@pytest.mark.parametrize("name", list(DOMAINS))
def test_hostile_domain_ends_in_a_bounded_result(hostile_server, hostile_table, name):
    codes, spf_result = DOMAINS[name]
    domain = f"{name}.{ZONE}"
    report, messages, peak, elapsed = _measure(
        hostile_server, lambda resolver: check_domain(domain, resolver=resolver, timeout=DEADLINE)
    )
    verdict, spf_messages, spf_peak, spf_elapsed = _measure(
        hostile_server, lambda resolver: check_host(ODOO_IP, domain, f"bounce@{domain}", resolver=resolver)
    )
    hostile_table.append((name, messages, peak, elapsed, str(report.status), verdict.result))
    assert not any(code.startswith("dns.") for code in report.codes()), report.codes()
    for code in codes:
        assert code in report.codes(), (name, report.codes())
    assert verdict.result == spf_result, (name, verdict.result, verdict.problem)
    assert verdict.dns_lookups <= MAX_DNS_LOOKUPS + 1
    assert messages <= MAX_MESSAGES, messages
    # check_host alone: the record, at most 10 DNS-querying terms, and the names behind them.
    assert spf_messages <= 2 * (MAX_DNS_LOOKUPS + 1) + 12, spf_messages
    assert max(peak, spf_peak) < MAX_PEAK_BYTES, (peak, spf_peak)
    assert max(elapsed, spf_elapsed) < DEADLINE


def test_huge_answers_come_over_tcp(hostile_server):
    resolver = Resolver([hostile_server.address], timeout=1.0, lifetime=3.0)
    lookup = resolver.lookup(f"huge-txt.{ZONE}", "TXT")
    assert lookup.answered
    assert max(len(record) for record in lookup.records) == 60_000
    assert resolver.stats.tcp_fallbacks == 1


def test_expanded_macro_is_cut_to_a_dns_name(hostile_server):
    local_part = "x" * 60
    with FaultProxy(hostile_server.address) as proxy:
        resolver = Resolver([proxy.address], timeout=1.0, lifetime=3.0)
        verdict = check_host(ODOO_IP, f"macro-huge.{ZONE}", f"{local_part}@macro-huge.{ZONE}", resolver=resolver)
    # RFC 7208 7.3: labels are dropped from the left until the name fits in 253 bytes, then asked once.
    assert verdict.result == "fail"
    asked = [name for (name, rdtype, _) in proxy.queries if rdtype == "A"]
    assert len(asked) == 1
    assert local_part in asked[0]
    assert len(asked[0]) <= 253
