"""Every DNS fault the proxy can inject, seen through check_domains: a code, never an exception, on time.

The table of outcomes is printed at the end of the run (see conftest.py).
"""

import time

import pytest

from odoo.addons.mail_domain_health.maildns import Resolver, check_domains
from odoo.addons.mail_domain_health.maildns.result import Status
from odoo.addons.mail_domain_health.tests.support.dnsproxy import Fault, FaultProxy

RUNS = 3
DEADLINE = 2.0
# Slack over the deadline: thread start-up and the last answer in flight.
SLACK = 1.0
DOMAIN = "good.check.test"
NAMES = (DOMAIN, f"_dmarc.{DOMAIN}", f"odoo._domainkey.{DOMAIN}")

# fault -> (expected overall status, code that must be reported, or None)
EXPECTED = {
    Fault.DROP: (Status.ERROR, "dns.timeout"),
    Fault.SERVFAIL: (Status.ERROR, "dns.servfail"),
    Fault.REFUSED: (Status.ERROR, "dns.refused"),
    Fault.GARBAGE: (Status.ERROR, "dns.error"),
    # Forged replies (another id, another question) come first and are dropped; the real answer is used.
    Fault.WRONG_ID: (Status.PASS, None),
    Fault.WRONG_QUESTION: (Status.PASS, None),
    # A truncated UDP answer is retried over TCP, which the proxy serves whole.
    Fault.TRUNCATE: (Status.PASS, None),
    # Late, but within the deadline: the answer is used.
    Fault.DELAY: (Status.PASS, None),
}


@pytest.mark.parametrize("fault", list(EXPECTED), ids=str)
def test_fault_becomes_a_result_within_the_deadline(zone_server, fault_table, fault):
    expected_status, expected_code = EXPECTED[fault]
    correct, worst = 0, 0.0
    with FaultProxy(zone_server.address) as proxy:
        for name in NAMES:
            proxy.add_rule(name, fault, delay=0.3)
        for _ in range(RUNS):
            resolver = Resolver([proxy.address], timeout=0.5, lifetime=1.0)
            started = time.monotonic()
            (report,) = check_domains([DOMAIN], resolver=resolver, timeout=DEADLINE)
            elapsed = time.monotonic() - started
            worst = max(worst, elapsed)
            codes = report.codes()
            if report.status is expected_status and (expected_code is None or expected_code in codes):
                correct += 1
            assert elapsed < DEADLINE + SLACK, f"{fault}: {elapsed:.2f} s"
    fault_table.append((str(fault), RUNS, correct, worst))
    assert correct == RUNS, f"{fault}: {report.status} {report.codes()}"


def test_alias_loop_is_an_error_and_ends(resolver, fault_table):
    started = time.monotonic()
    lookup = resolver.lookup("loop-a.resolver.test", "TXT")
    elapsed = time.monotonic() - started
    fault_table.append(("cname loop", 1, int(lookup.outcome == "error"), elapsed))
    assert lookup.outcome == "error"
