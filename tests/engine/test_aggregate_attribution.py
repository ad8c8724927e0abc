"""Who sends from each source IP of the reports, asked of the real DNS server (tests/zones/reports.test.zone).

The sample reports' sources: Odoo's, Google's and Microsoft's servers (their SPF includes as the
providers publish them), a server the shop's own SPF record lists, a newsletter service it forgot
(with a forward-confirmed reverse name) and a spoofer (whose reverse name does not point back).
"""

from pathlib import Path

import pytest

from odoo.addons.mail_domain_health.maildns import InvalidProvider, InvalidTarget, Resolver
from odoo.addons.mail_domain_health.maildns.aggregate import (
    attribute_ips,
    attribute_sources,
    parse_report,
    reverse_lookup,
    summarize,
)
from odoo.addons.mail_domain_health.tests.support.dnsproxy import Fault, FaultProxy

REPORTS = Path(__file__).resolve().parent / "reports"
SAMPLES = ("google.eml", "yahoo.com!shop.reports.test!1736899200!1736985599.xml.gz", "microsoft.eml", "rfc9990.eml")


@pytest.fixture(scope="module")
def reports():
    return [report for name in SAMPLES for report in parse_report((REPORTS / name).read_bytes())]


def who(attributions) -> dict[str, tuple]:
    return {
        ip: (found.source, found.authorized_by, found.reverse_name, found.reverse_confirmed)
        for ip, found in attributions.items()
    }


def test_each_source_is_attributed_to_the_spf_record_that_authorizes_it(reports, resolver):
    assert who(attribute_sources(reports, resolver=resolver)) == {
        "149.202.206.10": ("odoo", "_spf.odoo.com", None, False),
        "198.51.100.10": ("unknown", None, "mailer.reports.test", True),
        "209.85.220.69": ("google", "_spf.google.com", None, False),
        "198.51.100.20": ("domain", "shop.reports.test", None, False),
        "209.85.220.41": ("google", "_spf.google.com", None, False),
        "198.51.100.66": ("unknown", None, "dynamic-66.reports.test", False),
        "40.107.22.55": ("microsoft", "spf.protection.outlook.com", None, False),
        "2001:db8:7::25": ("unknown", None, None, False),
    }


def test_own_servers_come_before_the_domain_record(reports, resolver):
    found = attribute_sources(reports, resolver=resolver, own_ips=["198.51.100.16/28", "2001:db8:7::25"])
    assert (found["198.51.100.20"].source, found["198.51.100.20"].label) == ("own", "own servers")
    assert found["2001:db8:7::25"].source == "own"
    assert found["149.202.206.10"].source == "odoo"


def test_a_batch_asks_each_name_once(reports, resolver):
    attribute_sources(reports, resolver=resolver)
    asked = resolver.stats.lookups
    assert resolver.stats.messages_sent == asked
    attribute_sources(reports, resolver=resolver)
    assert (resolver.stats.lookups, resolver.stats.messages_sent) == (asked, asked)


def test_unanswered_dns_makes_an_error_not_an_unknown_sender(reports, zone_server):
    with FaultProxy(zone_server.address) as proxy:
        proxy.add_rule("_spf.odoo.com", Fault.SERVFAIL)
        resolver = Resolver([proxy.address], timeout=1.0, lifetime=2.0)
        found = attribute_sources(reports, resolver=resolver)
    assert (found["198.51.100.66"].source, found["198.51.100.66"].fault_code) == ("error", "dns.servfail")
    assert found["209.85.220.41"].source == "google"


def test_reverse_name_is_confirmed_only_when_it_points_back(resolver):
    assert reverse_lookup("198.51.100.10", resolver=resolver) == ("mailer.reports.test", True)
    assert reverse_lookup("198.51.100.66", resolver=resolver) == ("dynamic-66.reports.test", False)
    assert reverse_lookup("198.51.100.99", resolver=resolver) == (None, False)


def test_attribution_as_data_and_in_the_totals(reports, resolver):
    attributions = attribute_sources(reports, resolver=resolver)
    assert attributions["198.51.100.10"].to_dict() == {
        "source": "unknown",
        "label": "unknown",
        "authorized_by": None,
        "reverse_name": "mailer.reports.test",
        "reverse_confirmed": True,
        "fault_code": None,
    }
    record = reports[0].to_dict(attributions)["records"][0]
    assert (record["source_ip"], record["attribution"]["source"]) == ("149.202.206.10", "odoo")
    busiest = summarize(reports, attributions).sources[0]
    assert (busiest.ip, busiest.attribution.label) == ("149.202.206.10", "Odoo")


def test_bad_own_ip_and_no_reports(resolver):
    with pytest.raises(InvalidProvider, match="'192.0.2.300' is not an IP address or network"):
        attribute_sources([], resolver=resolver, own_ips=["192.0.2.300"])
    assert attribute_sources([], resolver=resolver) == {}
    assert resolver.stats.lookups == 0


def test_ips_stored_without_their_reports_are_attributed_as_within_them(reports, resolver):
    domains = {"149.202.206.10": ["shop.reports.test"], "198.51.100.20": ["shop.reports.test"]}
    found = attribute_ips(domains, resolver=resolver, own_ips=["2001:db8:7::/64"])
    assert {ip: attribution.source for ip, attribution in found.items()} == {
        "149.202.206.10": "odoo",
        "198.51.100.20": "domain",
    }
    assert found == {ip: attribute_sources(reports, resolver=resolver)[ip] for ip in domains}


def test_a_stored_ip_that_is_no_address_is_refused_before_any_dns(resolver):
    with pytest.raises(InvalidTarget, match="'mail.example' is not an IP address"):
        attribute_ips({"mail.example": ["shop.reports.test"]}, resolver=resolver)
    assert resolver.stats.lookups == 0
