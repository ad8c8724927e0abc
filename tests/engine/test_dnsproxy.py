"""The fault proxy itself: each fault as the Resolver sees it, over real sockets."""

import time

import pytest

from odoo.addons.mail_domain_health.maildns import Outcome, Resolver
from odoo.addons.mail_domain_health.tests.support.dnsproxy import Fault, FaultProxy

NAME = "odoo.spf-audit.test"


@pytest.fixture
def proxy(zone_server):
    with FaultProxy(zone_server.address) as running:
        yield running


@pytest.fixture
def through_proxy(proxy):
    return Resolver([proxy.address], timeout=0.3, lifetime=0.6)


def test_unmatched_queries_are_forwarded(proxy, through_proxy):
    lookup = through_proxy.lookup(NAME, "TXT")
    assert lookup.records == ("v=spf1 include:_spf.odoo.com ~all",)
    assert proxy.queries[(NAME, "TXT", "udp")] == 1


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [
        (Fault.DROP, Outcome.TIMEOUT),
        (Fault.SERVFAIL, Outcome.SERVFAIL),
        (Fault.REFUSED, Outcome.REFUSED),
    ],
)
def test_fault_outcomes(proxy, through_proxy, fault, outcome):
    proxy.add_rule(NAME, fault, "TXT")
    assert through_proxy.lookup(NAME, "TXT").outcome is outcome


def test_garbage_alone_is_an_error_that_says_replies_were_ignored(proxy, through_proxy):
    proxy.add_rule(NAME, Fault.GARBAGE, "TXT")
    lookup = through_proxy.lookup(NAME, "TXT")
    assert lookup.outcome is Outcome.ERROR
    assert "ignored" in lookup.detail
    assert through_proxy.stats.ignored_replies >= 1


@pytest.mark.parametrize("fault", [Fault.WRONG_ID, Fault.WRONG_QUESTION])
def test_forged_reply_is_dropped_and_the_real_answer_taken(proxy, through_proxy, fault):
    proxy.add_rule(NAME, fault, "TXT")
    lookup = through_proxy.lookup(NAME, "TXT")
    assert lookup.records == ("v=spf1 include:_spf.odoo.com ~all",)
    assert through_proxy.stats.ignored_replies == 1
    assert through_proxy.stats.messages_sent == 1


def test_rule_is_per_type(proxy, through_proxy):
    proxy.add_rule(NAME, Fault.SERVFAIL, "A")
    assert through_proxy.lookup(NAME, "TXT").answered


def test_truncated_udp_answer_is_retried_over_tcp(proxy, through_proxy):
    proxy.add_rule(NAME, Fault.TRUNCATE, "TXT")
    lookup = through_proxy.lookup(NAME, "TXT")
    assert lookup.answered
    assert through_proxy.stats.tcp_fallbacks == 1
    assert proxy.queries[(NAME, "TXT", "tcp")] == 1


def test_delay_answers_late(proxy, zone_server):
    proxy.add_rule(NAME, Fault.DELAY, "TXT", delay=0.3)
    patient = Resolver([proxy.address], timeout=1.0, lifetime=2.0)
    started = time.monotonic()
    assert patient.lookup(NAME, "TXT").answered
    assert time.monotonic() - started >= 0.3
    hasty = Resolver([proxy.address], timeout=0.1, lifetime=0.2)
    assert hasty.lookup(NAME, "TXT").outcome is Outcome.TIMEOUT
