"""Fixtures of the engine's tests: a real DNS server, and the tables printed when the run ends.

The engine is imported as the addon has it, odoo.addons.mail_domain_health.maildns: scripts/setup installs the
addon in editable mode, and its `__init__` imports the Odoo parts only where Odoo is.
"""

from collections import Counter

import pytest

from odoo.addons.mail_domain_health.maildns import Resolver
from odoo.addons.mail_domain_health.tests.support.dnsserver import AuthoritativeServer, load_zone_dir


@pytest.fixture(scope="session")
def zone_server():
    """Knot DNS serving every zone file of tests/zones/ on 127.0.0.1."""
    with AuthoritativeServer(load_zone_dir()) as server:
        yield server


@pytest.fixture
def resolver(zone_server):
    """A fresh Resolver (an empty cache) asking only the test server."""
    return Resolver([zone_server.address], timeout=1.0, lifetime=3.0)


_FAULT_ROWS: list[tuple[str, int, int, float]] = []
_HOSTILE_ROWS: list[tuple[str, int, int, float, str, str]] = []
# Examples hypothesis ran per parser, printed when the run ends.
FUZZ_EXAMPLES: Counter[str] = Counter()
_REPORT_ROWS: list[tuple[str, int, int, float, str]] = []


@pytest.fixture
def fault_table():
    """Rows (fault, runs, correct outcomes, worst seconds) printed when the run ends."""
    return _FAULT_ROWS


@pytest.fixture
def hostile_table():
    """Rows (domain, messages sent, peak bytes, seconds, status, SPF result) printed when the run ends."""
    return _HOSTILE_ROWS


# Outcomes of the SPF conformance cases, per suite: {"rfc7208": Counter({"passed": 203}), ...}.
_CONFORMANCE: dict[str, Counter[str]] = {}


def pytest_runtest_logreport(report):
    if report.when == "call" and "test_spf_conformance.py::test_rfc" in report.nodeid:
        suite = report.nodeid.split("::test_", 1)[1].split("[", 1)[0]
        _CONFORMANCE.setdefault(suite, Counter())[report.outcome] += 1


@pytest.fixture
def hostile_report_table():
    """Rows (file, size in bytes, peak bytes, seconds, why it was refused) printed when the run ends."""
    return _REPORT_ROWS


def _write_report_table(terminalreporter):
    width = max(len(row[0]) for row in _REPORT_ROWS) + 2
    terminalreporter.write_line("")
    terminalreporter.write_line("Hostile aggregate report files through parse_report (default limits):")
    terminalreporter.write_line(f"{'file':<{width}}{'bytes':>12}{'peak KiB':>10}{'seconds':>9}  refused because")
    for name, size, peak, elapsed, reason in _REPORT_ROWS:
        terminalreporter.write_line(f"{name:<{width}}{size:>12,}{peak // 1024:>10}{elapsed:>9.2f}  {reason}")


def pytest_terminal_summary(terminalreporter):
    if _REPORT_ROWS:
        _write_report_table(terminalreporter)
    if _CONFORMANCE:
        from test_spf_conformance import RFC4408_CASES, RFC7208_CASES, RFC7208_CHANGED

        totals = {"rfc7208": len(RFC7208_CASES), "rfc4408": len(RFC4408_CASES)}
        terminalreporter.write_line("")
        terminalreporter.write_line("SPF conformance suites over Knot (cases passed of the suite's):")
        for suite, outcomes in sorted(_CONFORMANCE.items(), reverse=True):
            note = f", {len(RFC7208_CHANGED)} of them answered as RFC 7208 changed them" if suite == "rfc4408" else ""
            terminalreporter.write_line(
                f"  {suite.upper()}: {outcomes['passed']}/{totals[suite]} passed, {outcomes['failed']} failed{note}"
            )
    if _HOSTILE_ROWS:
        terminalreporter.write_line("")
        terminalreporter.write_line("Hostile records through check_domain (deadline 5 s):")
        terminalreporter.write_line(f"{'domain':<16}{'queries':>8}{'peak KiB':>10}{'seconds':>9}  {'status':<8}spf")
        for name, messages, peak, elapsed, status, spf in _HOSTILE_ROWS:
            terminalreporter.write_line(f"{name:<16}{messages:>8}{peak // 1024:>10}{elapsed:>9.2f}  {status:<8}{spf}")
    if FUZZ_EXAMPLES:
        terminalreporter.write_line("")
        terminalreporter.write_line("Parser fuzzing (hypothesis), examples run:")
        for parser, count in sorted(FUZZ_EXAMPLES.items()):
            terminalreporter.write_line(f"{parser:<32}{count:>6}")
    if not _FAULT_ROWS:
        return
    terminalreporter.write_line("")
    terminalreporter.write_line("DNS faults through check_domains (deadline 2 s per domain):")
    terminalreporter.write_line(f"{'fault':<16}{'runs':>6}{'correct':>9}{'worst s':>9}")
    for fault, runs, correct, worst in _FAULT_ROWS:
        terminalreporter.write_line(f"{fault:<16}{runs:>6}{correct:>9}{worst:>9.2f}")
