"""Report destinations: a rua=/ruf= address of another organization must have agreed to take the reports.

Served by Knot from tests/zones/reports.test.zone: receivers send reports to another organization's
address only when it publishes <domain>._report._dmarc.<destination> TXT "v=DMARC1" (RFC 7489 7.1,
RFC 9990 4); without it they send none, and the domain owner never sees a report.
"""

import pytest

from odoo.addons.mail_domain_health.maildns import InvalidTarget, Resolver, check_domain
from odoo.addons.mail_domain_health.maildns.result import Record, Status
from odoo.addons.mail_domain_health.tests.support.dnsproxy import Fault, FaultProxy

ZONE = "reports.test"


def destination_problems(resolver, label: str) -> list:
    report = check_domain(f"{label}.{ZONE}", resolver=resolver)
    return [problem for problem in report.dmarc.findings if problem.code == "dmarc.rua_unauthorized"]


@pytest.mark.parametrize(
    "label",
    [
        # Reports to the domain itself, and to a name under it.
        "self",
        # To a sibling in the same organization (the record at org.reports.test makes it theirs).
        "sales.org",
        # To a collector that published its consent for this domain, and to one that takes anyone's.
        "agreed",
        "anyone",
    ],
)
def test_destinations_that_may_receive_the_reports_raise_nothing(resolver, label):
    assert destination_problems(resolver, label) == []


def test_a_collector_that_never_agreed_gets_the_record_to_publish(resolver):
    (problem,) = destination_problems(resolver, "refused")
    assert problem.status is Status.WARN
    assert problem.record == Record("refused.reports.test._report._dmarc.collector.reports.test", "TXT", "v=DMARC1")
    assert problem.params == {"domain": "refused.reports.test", "destination": "collector.reports.test", "tags": "rua="}
    assert "collector.reports.test, which has not agreed to receive them" in problem.message


def test_a_consent_record_that_is_not_dmarc_does_not_count(resolver):
    (problem,) = destination_problems(resolver, "wrong")
    assert problem.params["destination"] == "collector.reports.test"


def test_failure_report_addresses_are_checked_too_each_destination_once(resolver):
    (problem,) = destination_problems(resolver, "failures")
    assert (problem.params["destination"], problem.params["tags"]) == ("collector.reports.test", "ruf=")


def test_the_record_to_publish_is_listed_and_the_domain_only_warns(resolver):
    report = check_domain(f"refused.{ZONE}", resolver=resolver)
    assert report.dmarc.status is Status.WARN
    assert Record("refused.reports.test._report._dmarc.collector.reports.test", "TXT", "v=DMARC1") in (
        report.records_to_publish()
    )


def test_an_unanswered_destination_is_not_judged(zone_server):
    with FaultProxy(zone_server.address) as proxy:
        proxy.add_rule("faulty.reports.test._report._dmarc.collector.reports.test", Fault.SERVFAIL)
        resolver = Resolver([proxy.address], timeout=1.0, lifetime=2.0)
        report = check_domain(f"faulty.{ZONE}", resolver=resolver)
    assert "dmarc.rua_unauthorized" not in report.codes()
    # Only its monitoring policy is said of it: p=none.
    assert report.dmarc.codes() == ["dmarc.policy_none"]


# Where the domain's own reports should go (check_domain's dmarc_rua): an application that receives them, such
# as Odoo's alias for DMARC reports, gives its address, and the records to publish carry it.


def published(report) -> dict[str, str]:
    return {record.name: record.value for record in report.records_to_publish()}


def info(report) -> dict[str, dict]:
    return {problem.code: problem for problem in report.dmarc.findings if problem.status is Status.INFO}


def test_a_domain_without_dmarc_gets_a_record_that_sends_its_reports_to_the_address_and_the_consent_to_publish(
    resolver,
):
    report = check_domain(f"mailer.{ZONE}", resolver=resolver, dmarc_rua="dmarc-reports@collector.reports.test")
    records = published(report)
    assert records["_dmarc.mailer.reports.test"] == "v=DMARC1; p=none; rua=mailto:dmarc-reports@collector.reports.test"
    assert records["mailer.reports.test._report._dmarc.collector.reports.test"] == "v=DMARC1"
    consent = info(report)["dmarc.report_consent"]
    assert consent.params == {"domain": "mailer.reports.test", "destination": "collector.reports.test"}
    assert "publish this TXT record in the DNS zone of collector.reports.test" in consent.message
    # Information only: the verdict on the domain's mail is the one without an address.
    assert report.dmarc.status is Status.WARN
    assert report.dmarc.codes() == ["dmarc.missing", "dmarc.report_consent"]


def test_a_record_without_the_address_gets_it_added_beside_its_own(resolver):
    report = check_domain(f"shop.{ZONE}", resolver=resolver, dmarc_rua="Dmarc-Reports@Shop.Reports.Test")
    added = info(report)["dmarc.report_address"]
    assert added.params == {"domain": "shop.reports.test", "address": "Dmarc-Reports@shop.reports.test"}
    assert added.record == Record(
        "_dmarc.shop.reports.test",
        "TXT",
        "v=DMARC1; p=none; rua=mailto:dmarc@shop.reports.test,mailto:Dmarc-Reports@shop.reports.test",
    )
    # An address at the domain itself needs no consent, and the part's findings are those without the address.
    assert "dmarc.report_consent" not in report.codes()
    assert report.dmarc.codes() == ["dmarc.policy_none", "dmarc.report_address"]


def test_a_record_that_already_sends_reports_to_the_address_asks_for_nothing(resolver):
    report = check_domain(f"shop.{ZONE}", resolver=resolver, dmarc_rua="DMARC@shop.reports.test")
    assert info(report) == {}
    assert not [record for record in report.records_to_publish() if "_dmarc." in record.name]


@pytest.mark.parametrize(
    ("label", "address"),
    [
        # A collector that already agreed for this domain, one that takes anyone's, and one of the same organization.
        ("agreed", "odoo@collector.reports.test"),
        ("anyone", "odoo@open-collector.reports.test"),
        ("sales.org", "odoo@it.org.reports.test"),
    ],
)
def test_no_consent_is_asked_of_an_address_that_may_already_receive_the_reports(resolver, label, address):
    report = check_domain(f"{label}.{ZONE}", resolver=resolver, dmarc_rua=address)
    assert list(info(report)) == ["dmarc.report_address"]


@pytest.mark.parametrize(
    ("label", "value"),
    [
        # A record with a broken tag, and one receivers do not take for DMARC (v=dmarc1).
        ("badsp", "v=DMARC1; p=reject; rua=mailto:r@example.test"),
        ("lowercase", "v=DMARC1; p=reject; rua=mailto:dmarc@lowercase.dmarc-scenarios.test,mailto:r@example.test"),
    ],
)
def test_the_record_that_repairs_a_broken_one_carries_the_address(resolver, label, value):
    report = check_domain(f"{label}.dmarc-scenarios.test", resolver=resolver, dmarc_rua="r@example.test")
    assert published(report)[f"_dmarc.{label}.dmarc-scenarios.test"] == value


@pytest.mark.parametrize("address", ["collector.reports.test", "a,b@collector.reports.test", "a!10m@x.test", "@x.test"])
def test_a_report_address_that_a_record_cannot_carry_is_refused_before_any_dns(resolver, address):
    with pytest.raises(InvalidTarget):
        check_domain(f"shop.{ZONE}", resolver=resolver, dmarc_rua=address)
    assert resolver.stats.lookups == 0
