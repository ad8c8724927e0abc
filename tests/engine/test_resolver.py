"""The Resolver against a real Knot DNS server: outcomes, aliases, TCP, cache."""

import time

import pytest

from odoo.addons.mail_domain_health.maildns import InvalidNameserver, Outcome, Resolver
from odoo.addons.mail_domain_health.maildns import dns as engine_dns
from odoo.addons.mail_domain_health.maildns.dns import parse_nameserver
from odoo.addons.mail_domain_health.tests.support.dnsproxy import Fault, FaultProxy


def test_txt_strings_are_joined(resolver):
    lookup = resolver.lookup("resolver.test", "TXT")
    assert lookup.outcome is Outcome.ANSWER
    assert lookup.records == ("v=spf1 -all",)


def test_mx_gives_lower_case_exchanges(resolver):
    lookup = resolver.lookup("resolver.test", "MX")
    assert sorted(lookup.records) == ["mx1.resolver.test", "mx2.resolver.test"]


def test_missing_name_is_nxdomain_and_void(resolver):
    lookup = resolver.lookup("absent.resolver.test", "TXT")
    assert lookup.outcome is Outcome.NXDOMAIN
    assert lookup.void and not lookup.failed


def test_existing_name_without_the_type_is_nodata(resolver):
    lookup = resolver.lookup("mx1.resolver.test", "TXT")
    assert lookup.outcome is Outcome.NODATA
    assert lookup.void


def test_empty_non_terminal_is_nodata_not_nxdomain(resolver):
    assert resolver.lookup("deep.resolver.test", "TXT").outcome is Outcome.NODATA


def test_alias_inside_the_zone_is_followed(resolver):
    lookup = resolver.lookup("alias.resolver.test", "A")
    assert lookup.records == ("192.0.2.10",)
    assert lookup.cnames == ("mx1.resolver.test",)


def test_alias_out_of_the_zone_is_chased(resolver):
    lookup = resolver.lookup("away.resolver.test", "TXT")
    assert lookup.outcome is Outcome.ANSWER
    assert lookup.records == ("reached through an alias",)
    assert lookup.cnames == ("target.elsewhere.test",)


def test_alias_to_nothing_is_nxdomain(resolver):
    lookup = resolver.lookup("dangling.resolver.test", "TXT")
    assert lookup.outcome is Outcome.NXDOMAIN
    assert lookup.cnames == ("nothing-here.resolver.test",)


def test_alias_loop_is_an_error_not_a_hang(resolver):
    lookup = resolver.lookup("loop-a.resolver.test", "TXT")
    assert lookup.outcome is Outcome.ERROR
    assert "loop" in lookup.detail


def test_truncated_answer_is_retried_over_tcp(resolver):
    lookup = resolver.lookup("big.resolver.test", "TXT")
    assert lookup.outcome is Outcome.ANSWER
    assert len(lookup.records) == 12
    assert resolver.stats.tcp_fallbacks == 1


def test_international_name_goes_out_as_a_label(resolver):
    lookup = resolver.lookup("bücher.resolver.test", "TXT")
    assert lookup.records == ("international",)
    again = resolver.lookup("xn--bcher-kva.resolver.test", "TXT")
    assert again == lookup
    assert resolver.stats.lookups == 1


def test_each_name_and_type_is_asked_once(resolver):
    for _ in range(5):
        resolver.lookup("resolver.test", "TXT")
        resolver.lookup("RESOLVER.TEST.", "TXT")
    assert resolver.stats.lookups == 1
    assert resolver.stats.messages_sent == 1
    assert resolver.stats.cache_hits == 9


def test_silent_server_is_a_timeout_within_the_lifetime():
    # Nothing listens on port 9 (discard) of 127.0.0.1 over UDP in the tests' machine.
    resolver = Resolver(["127.0.0.1:9"], timeout=0.2, lifetime=0.5)
    started = time.monotonic()
    lookup = resolver.lookup("resolver.test", "TXT")
    assert lookup.failed
    assert lookup.outcome in (Outcome.TIMEOUT, Outcome.REFUSED)
    assert time.monotonic() - started < 2


def test_deadline_in_the_past_sends_nothing(zone_server):
    resolver = Resolver([zone_server.address])
    lookup = resolver.lookup("resolver.test", "TXT", deadline=time.monotonic() - 1)
    assert lookup.outcome is Outcome.TIMEOUT
    assert resolver.stats.messages_sent == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.1", ("192.0.2.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("[2001:db8::1]:53", ("2001:db8::1", 53)),
        ("2001:db8::1", ("2001:db8::1", 53)),
        ("ns.example.com", ("ns.example.com", 53)),
    ],
)
def test_nameserver_forms(text, expected):
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize("text", ["", "  ", "host:port", "127.0.0.1:0", "127.0.0.1:70000", "[::1", ":53"])
def test_bad_nameserver_is_rejected_with_a_message(text):
    with pytest.raises(InvalidNameserver):
        parse_nameserver(text)


def test_a_failure_is_cached_for_a_while_then_asked_again(zone_server, monkeypatch):
    monkeypatch.setattr(engine_dns, "FAILURE_TTL", 0.5)
    with FaultProxy(zone_server.address) as proxy:
        resolver = Resolver([proxy.address], timeout=0.2, lifetime=0.2)
        proxy.add_rule("good.check.test", Fault.DROP, "TXT")
        assert resolver.lookup("good.check.test", "TXT").outcome is Outcome.TIMEOUT
        proxy.clear_rules()
        # Within the TTL the failure is shared, as a domain's several checks need.
        assert resolver.lookup("good.check.test", "TXT").outcome is Outcome.TIMEOUT
        time.sleep(0.6)
        assert resolver.lookup("good.check.test", "TXT").answered
        # An answer stays for the whole run.
        assert resolver.lookup("good.check.test", "TXT").answered
        assert proxy.queries[("good.check.test", "TXT", "udp")] == 2


# Rotation over the nameservers: which faults are worth another server, and for how long.


def test_refusing_server_is_passed_over_for_the_next_one(zone_server):
    with FaultProxy(zone_server.address) as proxy:
        proxy.add_rule("good.check.test", Fault.REFUSED, "TXT")
        resolver = Resolver([proxy.address, zone_server.address], timeout=0.5, lifetime=2.0)
        lookup = resolver.lookup("good.check.test", "TXT")
    assert lookup.answered
    assert resolver.stats.messages_sent == 2


def test_servfail_everywhere_is_asked_once_at_each_server(zone_server):
    with FaultProxy(zone_server.address) as first, FaultProxy(zone_server.address) as second:
        for proxy in (first, second):
            proxy.add_rule("good.check.test", Fault.SERVFAIL, "TXT")
        resolver = Resolver([first.address, second.address], timeout=0.5, lifetime=2.0)
        lookup = resolver.lookup("good.check.test", "TXT")
    assert lookup.outcome is Outcome.SERVFAIL
    assert "SERVFAIL" in lookup.detail
    assert resolver.stats.messages_sent == 2


def test_silent_server_is_asked_again_until_the_lifetime_ends(zone_server):
    with FaultProxy(zone_server.address) as proxy:
        proxy.add_rule("good.check.test", Fault.DROP, "TXT")
        resolver = Resolver([proxy.address], timeout=0.2, lifetime=0.7)
        lookup = resolver.lookup("good.check.test", "TXT")
    assert lookup.outcome is Outcome.TIMEOUT
    assert resolver.stats.messages_sent >= 3


def test_unreachable_server_is_tried_for_two_rounds():
    # Nothing listens on port 9 of 127.0.0.1: the kernel refuses the datagram, the socket raises.
    resolver = Resolver(["127.0.0.1:9"], timeout=0.5, lifetime=3.0)
    lookup = resolver.lookup("resolver.test", "TXT")
    assert lookup.failed
    assert resolver.stats.messages_sent == 2
