"""A DNS server that never answers, and one that refuses everything, both on loopback: a whole check, and the
sender's detection, end within the deadline they are given, with the fault as a code.

The silent server reads every question over UDP and TCP and answers none (or truncates over UDP, so that the
question goes again over TCP, where it gets no answer): what a resolver meets at an address where nothing
answers, without a packet leaving the machine.
"""

import time

import pytest
from test_cli import run

from odoo.addons.mail_domain_health.maildns import Resolver, check_domain
from odoo.addons.mail_domain_health.maildns.providers import SmtpServer, detect_sender, resolver_addresses
from odoo.addons.mail_domain_health.maildns.result import Status
from odoo.addons.mail_domain_health.tests.support.dnsproxy import ANY_NAME, Fault, FaultProxy, SilentServer

DEADLINE = 1.5
# Thread start-up and the last answer in flight.
SLACK = 0.5
DOMAIN = "good.check.test"


@pytest.mark.parametrize("truncate_udp", [False, True], ids=["udp", "tcp"])
def test_a_whole_check_ends_at_its_deadline_when_the_dns_never_answers(truncate_udp):
    with SilentServer(truncate_udp=truncate_udp) as silent:
        # Each answer may take longer than the whole check: the deadline is what bounds it.
        resolver = Resolver([silent.address], timeout=5.0, lifetime=10.0)
        started = time.monotonic()
        report = check_domain(DOMAIN, resolver=resolver, timeout=DEADLINE)
        elapsed = time.monotonic() - started
        transport = "tcp" if truncate_udp else "udp"
        assert silent.questions[transport] > 0, "the questions were to reach the silent server"
    assert elapsed < DEADLINE + SLACK, f"{elapsed:.2f} s"
    assert report.status is Status.ERROR
    assert "dns.timeout" in report.codes()
    assert report.timed_out(), "worth asking again with more time"


def test_a_server_that_refuses_everything_ends_the_check_at_once(zone_server):
    with FaultProxy(zone_server.address) as proxy:
        proxy.add_rule(ANY_NAME, Fault.REFUSED)
        started = time.monotonic()
        report = check_domain(DOMAIN, resolver=Resolver([proxy.address], timeout=5.0), timeout=DEADLINE)
        elapsed = time.monotonic() - started
    assert elapsed < 0.5, f"{elapsed:.2f} s"
    assert report.status is Status.ERROR
    assert {problem.code for problem in report.faults()} == {"dns.refused"}
    assert not report.timed_out(), "a refusal is an answer: more time would not change it"


def test_the_senders_host_is_resolved_within_the_deadline():
    with SilentServer() as silent:
        resolver = Resolver([silent.address], timeout=5.0, lifetime=10.0)
        started = time.monotonic()
        detection = detect_sender(
            [SmtpServer("Company relay", "smtp.relay.check.test", sequence=10)],
            None,
            hosted_by_odoo=False,
            resolve=resolver_addresses(resolver, deadline=started + DEADLINE),
        )
        elapsed = time.monotonic() - started
    assert elapsed < DEADLINE + SLACK, f"{elapsed:.2f} s: A and AAAA share the deadline"
    assert detection.reason_code == "sender.unresolved"
    assert detection.provider is None


def test_the_command_line_deadline_bounds_a_target_over_a_silent_server():
    with SilentServer() as silent:
        started = time.monotonic()
        result = run("check", DOMAIN, "--nameserver", silent.address, "--timeout", "5", "--deadline", str(DEADLINE))
        elapsed = time.monotonic() - started
    # The interpreter's start-up on top of the deadline.
    assert elapsed < DEADLINE + 2.0, f"{elapsed:.2f} s"
    assert result.returncode == 3, result.stdout + result.stderr
    assert "dns.timeout" in result.stdout
