"""The SPF conformance suites of openspf.org, every case, over real DNS.

RFC 7208 (release 2014.04) must pass whole. RFC 4408 (release 2009.10) runs as a
second table: where RFC 7208 deliberately changed the answer, the case is listed
by name in RFC7208_CHANGED with the reason, and must give the RFC 7208 answer.
Both come from pyspf's source distribution on PyPI, which scripts/setup
downloads (pinned, with its hash) into .cache/spf-suites/.

Each scenario of a suite is served by its own Knot DNS (one root zone holding
all of its names), behind a fault proxy that turns the suite's TIMEOUT entries
into queries that never get an answer.
"""

import os
from pathlib import Path

import pytest
import yaml

from odoo.addons.mail_domain_health.maildns import Resolver
from odoo.addons.mail_domain_health.maildns.spf import check_host
from odoo.addons.mail_domain_health.tests.support.dnsproxy import Fault, FaultProxy
from odoo.addons.mail_domain_health.tests.support.dnsserver import AuthoritativeServer

SUITES = Path(os.environ.get("MAILDNS_SPF_SUITES") or Path(__file__).resolve().parents[2] / ".cache" / "spf-suites")
RFC7208 = SUITES / "rfc7208-tests.yml"
RFC4408 = SUITES / "rfc4408-tests.yml"
# Types check_host() asks; a TIMEOUT name times out for each of them it has no record of.
QUERIED_TYPES = ("TXT", "A", "AAAA", "MX", "PTR")
ROOT_HEADER = """\
$ORIGIN .
$TTL 300
@ SOA ns.conformance.test. hostmaster.conformance.test. 1 3600 600 86400 300
@ NS ns.conformance.test.
"""


def load_scenarios(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as stream:
        return [document for document in yaml.safe_load_all(stream) if document]


def zone_name(name: str) -> str:
    """An absolute owner name, every character beyond letters, digits, '-' and '_' as \\DDD."""
    labels = name.rstrip(".").split(".")
    return "".join(_escape_label(label) + "." for label in labels)


def _escape_label(label: str) -> str:
    return "".join(
        char if char.isascii() and (char.isalnum() or char in "-_") else f"\\{ord(char):03d}" for char in label
    )


def txt_rdata(strings: str | list[str]) -> str:
    """TXT strings in zone syntax; the suite's \\xNN characters are the bytes it means.

    A TXT record without any string cannot be written in a zone file: it becomes one empty string.
    """
    if isinstance(strings, str):
        strings = [strings]
    strings = strings or [""]
    chunks = []
    for text in strings:
        raw = b"".join(bytes([ord(char)]) if ord(char) < 256 else char.encode() for char in text)
        # A character-string holds at most 255 bytes; longer text goes in several.
        pieces = [raw[start : start + 255] for start in range(0, len(raw), 255)] or [b""]
        chunks.extend('"' + "".join(_escape_byte(byte) for byte in piece) + '"' for piece in pieces)
    return " ".join(chunks)


def _escape_byte(byte: int) -> str:
    if 0x20 <= byte <= 0x7E and byte not in (0x22, 0x5C):
        return chr(byte)
    return f"\\{byte:03d}"


def served_records(entries: list) -> list[tuple[str, object]]:
    """(type, value) served for one name: SPF-type records are copied to TXT unless TXT is given or "TXT: NONE"."""
    records = [next(iter(entry.items())) for entry in entries if isinstance(entry, dict)]
    has_txt = any(rdtype == "TXT" for rdtype, _ in records)
    served = []
    for rdtype, value in records:
        if value == "NONE":
            continue
        served.append((rdtype, value))
        if rdtype == "SPF" and not has_txt:
            served.append(("TXT", value))
    return served


def record_lines(name: str, entries: list) -> list[str]:
    owner = zone_name(name)
    return [f"{owner} {rdtype} {rdata(rdtype, value)}" for rdtype, value in served_records(entries)]


def rdata(rdtype: str, value) -> str:
    if rdtype in ("TXT", "SPF"):
        return txt_rdata(value)
    if rdtype == "MX":
        preference, exchange = value
        return f"{preference} {zone_name(exchange) if exchange else '.'}"
    if rdtype in ("PTR", "CNAME"):
        return zone_name(value)
    return str(value)


def timeout_rules(zonedata: dict) -> list[tuple[str, str | None]]:
    """(name, type) pairs the proxy drops; type None means every type of a name with no record."""
    rules = []
    for name, entries in zonedata.items():
        if "TIMEOUT" not in entries:
            continue
        present = {rdtype for rdtype, _ in served_records(entries)}
        if not present:
            rules.append((name, None))
        else:
            rules.extend((name, rdtype) for rdtype in QUERIED_TYPES if rdtype not in present)
    return rules


def root_zone(zonedata: dict) -> str:
    lines = [line for name, entries in zonedata.items() for line in record_lines(name, entries)]
    return ROOT_HEADER + "\n".join(lines) + "\n"


def suite_cases(path: Path) -> tuple[list[dict], list]:
    """The scenarios of a suite file and one pytest case per test of theirs ("missing" when not downloaded)."""
    scenarios = load_scenarios(path) if path.exists() else []
    cases = [
        pytest.param(index, name, case, id=name)
        for index, scenario in enumerate(scenarios)
        for name, case in scenario["tests"].items()
    ]
    return scenarios, cases


RFC7208_SCENARIOS, RFC7208_CASES = suite_cases(RFC7208)
RFC4408_SCENARIOS, RFC4408_CASES = suite_cases(RFC4408)

# RFC 4408 cases for which RFC 7208 changed the answer on purpose. The RFC 4408 suite accepts several answers
# for each of them (the old one and the new); RFC 7208 keeps one, and the engine must give that one. Checked
# against the RFC 7208 suite by test_listed_differences_are_rfc7208s_answers.
RFC7208_CHANGED: dict[str, tuple[str, str]] = {
    "cidr6-0-ip4": ("neutral", "an ip6 mechanism never matches an IPv4 client, even at /0 (RFC 7208 5.6)"),
    "cidr6-ip4": ("neutral", "an ip6 mechanism never matches an IPv4 client (RFC 7208 5.6)"),
    "exists-dnserr": ("temperror", "a DNS error during an exists lookup is a temperror, not a no-match (5.7, 4.4)"),
    "multispf2": ("pass", "type 99 SPF records are no longer looked up: the single TXT record decides (3.1)"),
    "multitxt1": ("permerror", "two SPF records are a permerror, whatever their type (4.5)"),
    "mx-limit": ("permerror", "an mx mechanism with more than 10 exchanges is a permerror (4.6.4)"),
    "nospftxttimeout": ("temperror", "a TXT lookup that times out is a temperror, with no type 99 fallback (4.4)"),
    "spfonly": ("none", "a type 99 record alone is no SPF record any more (3.1)"),
    "spfoverride": ("fail", "the TXT record decides; a type 99 record does not override it (3.1)"),
    "spftimeout": ("fail", "a type 99 lookup is not made, so its timeout cannot matter: the TXT record decides (3.1)"),
    "txtonly": ("fail", "the TXT record is the SPF record (3.1)"),
    "txttimeout": ("temperror", "a TXT lookup that times out is a temperror (4.4)"),
}


class ScenarioServers:
    """One Knot server and proxy per scenario, started when first needed; the previous one is stopped."""

    def __init__(self, scenarios: list[dict]):
        self.scenarios = scenarios
        self.index: int | None = None
        self.server: AuthoritativeServer | None = None
        self.proxy: FaultProxy | None = None

    def address(self, index: int) -> str:
        if index != self.index:
            self.stop()
            zonedata = self.scenarios[index]["zonedata"]
            self.server = AuthoritativeServer({".": root_zone(zonedata)}).start()
            self.proxy = FaultProxy(self.server.address).start()
            for name, rdtype in timeout_rules(zonedata):
                self.proxy.add_rule(name, Fault.DROP, rdtype)
            self.index = index
        return self.proxy.address

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        if self.server is not None:
            self.server.stop()
        self.index = self.server = self.proxy = None


@pytest.fixture(scope="module")
def rfc7208_servers():
    servers = ScenarioServers(RFC7208_SCENARIOS)
    yield servers
    servers.stop()


@pytest.fixture(scope="module")
def rfc4408_servers():
    servers = ScenarioServers(RFC4408_SCENARIOS)
    yield servers
    servers.stop()


def run_case(address: str, case: dict):
    resolver = Resolver([address], timeout=0.4, lifetime=0.8)
    mailfrom, helo = case["mailfrom"], case["helo"]
    domain = mailfrom.rpartition("@")[2] if mailfrom else helo
    return check_host(case["host"], domain, mailfrom, helo=helo, resolver=resolver)


def assert_outcome(result, expected: list[str], case: dict) -> None:
    assert result.result in expected, f"{result.result} ({result.problem}); expected {expected}"
    if "explanation" in case and result.result == "fail":
        if case["explanation"] == "DEFAULT":
            assert result.explanation is None
        else:
            # DNS names are case-insensitive: the suite writes %{i} of IPv6 in upper-case nibbles,
            # RFC 7208 (7.4) in lower case.
            assert (result.explanation or "").lower() == case["explanation"].lower()


def expected_results(case: dict) -> list[str]:
    return case["result"] if isinstance(case["result"], list) else [case["result"]]


def test_both_suites_are_there():
    for path in (RFC7208, RFC4408):
        assert path.exists(), f"SPF suite not found at {path}: scripts/setup downloads it (or set MAILDNS_SPF_SUITES)"
    assert len(RFC7208_CASES) == 203
    assert len(RFC4408_CASES) == 191
    names_4408 = {param.id for param in RFC4408_CASES}
    assert set(RFC7208_CHANGED) <= names_4408, "every listed difference names a case of the RFC 4408 suite"


@pytest.mark.parametrize(("scenario", "name", "case"), RFC7208_CASES)
def test_rfc7208(rfc7208_servers, scenario: int, name: str, case: dict):
    result = run_case(rfc7208_servers.address(scenario), case)
    assert_outcome(result, expected_results(case), case)


@pytest.mark.parametrize(("scenario", "name", "case"), RFC4408_CASES)
def test_rfc4408(rfc4408_servers, scenario: int, name: str, case: dict):
    result = run_case(rfc4408_servers.address(scenario), case)
    if name in RFC7208_CHANGED:
        answer, reason = RFC7208_CHANGED[name]
        assert result.result == answer, f"{result.result} ({result.problem}); RFC 7208 answers {answer}: {reason}"
    assert_outcome(result, expected_results(case), case)


def test_listed_differences_are_rfc7208s_answers():
    """Each listed case is one where RFC 4408 allowed more than RFC 7208 does, and its answer is RFC 7208's."""
    rfc4408 = {param.id: param.values[2] for param in RFC4408_CASES}
    rfc7208 = {param.id: param.values[2] for param in RFC7208_CASES}
    narrowed = {
        name
        for name, case in rfc4408.items()
        if name in rfc7208 and set(expected_results(case)) != set(expected_results(rfc7208[name]))
    }
    assert narrowed == set(RFC7208_CHANGED)
    for name, (answer, _reason) in RFC7208_CHANGED.items():
        assert expected_results(rfc7208[name]) == [answer]
