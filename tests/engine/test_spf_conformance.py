"""The RFC 7208 test suite (openspf.org, release 2014.04), every case, over real DNS.

Each scenario of the suite is served by its own Knot DNS (one root zone holding
all of its names), behind a fault proxy that turns the suite's TIMEOUT entries
into queries that never get an answer.
"""

import os
from pathlib import Path

import pytest
import yaml
from dnsproxy import Fault, FaultProxy
from dnsserver import AuthoritativeServer

from maildns import Resolver
from maildns.spf import check_host

SUITE = Path(
    os.environ.get("MAILDNS_SPF_SUITE")
    or Path(__file__).resolve().parents[3] / "shared" / "conformance/spf/rfc7208-tests.yml"
)
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


SCENARIOS = load_scenarios(SUITE) if SUITE.exists() else []
CASES = [
    pytest.param(index, case, id=name)
    for index, scenario in enumerate(SCENARIOS)
    for name, case in scenario["tests"].items()
]


class ScenarioServers:
    """One Knot server and proxy per scenario, started when first needed; the previous one is stopped."""

    def __init__(self):
        self.index: int | None = None
        self.server: AuthoritativeServer | None = None
        self.proxy: FaultProxy | None = None

    def address(self, index: int) -> str:
        if index != self.index:
            self.stop()
            zonedata = SCENARIOS[index]["zonedata"]
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
def scenario_servers():
    servers = ScenarioServers()
    yield servers
    servers.stop()


def test_the_whole_suite_is_there():
    assert SUITE.exists(), f"RFC 7208 suite not found at {SUITE} (set MAILDNS_SPF_SUITE)"
    assert len(CASES) == 203


@pytest.mark.parametrize(("scenario", "case"), CASES)
def test_rfc7208(scenario_servers, scenario: int, case: dict):
    resolver = Resolver([scenario_servers.address(scenario)], timeout=0.4, lifetime=0.8)
    mailfrom, helo = case["mailfrom"], case["helo"]
    domain = mailfrom.rpartition("@")[2] if mailfrom else helo
    result = check_host(case["host"], domain, mailfrom, helo=helo, resolver=resolver)
    expected = case["result"] if isinstance(case["result"], list) else [case["result"]]
    assert result.result in expected, f"{result.result} ({result.problem}); expected {expected}"
    if "explanation" in case and result.result == "fail":
        if case["explanation"] == "DEFAULT":
            assert result.explanation is None
        else:
            # DNS names are case-insensitive: the suite writes %{i} of IPv6 in upper-case nibbles,
            # RFC 7208 (7.4) in lower case.
            assert (result.explanation or "").lower() == case["explanation"].lower()
