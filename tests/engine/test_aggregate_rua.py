"""Report destinations: a rua=/ruf= address of another organization must have agreed to take the reports.

Served by Knot from tests/zones/reports.test.zone: receivers send reports to another organization's
address only when it publishes <domain>._report._dmarc.<destination> TXT "v=DMARC1" (RFC 7489 7.1,
RFC 9990 4); without it they send none, and the domain owner never sees a report.
"""

import pytest
from dnsproxy import Fault, FaultProxy

from maildns import Resolver, check_domain
from maildns.report import Record, Status

ZONE = "reports.test"


def destination_problems(resolver, label: str) -> list:
    report = check_domain(f"{label}.{ZONE}", resolver=resolver)
    return [problem for problem in report.dmarc.problems if problem.code == "dmarc.rua_unauthorized"]


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
