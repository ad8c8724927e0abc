"""check_domain and check_domains end to end, over the real DNS server."""

import time

import pytest

from odoo.addons.mail_domain_health.maildns import InvalidProvider, InvalidTarget, Resolver
from odoo.addons.mail_domain_health.maildns.check import check_domain, check_domains
from odoo.addons.mail_domain_health.maildns.result import Status
from odoo.addons.mail_domain_health.tests.support.dnsproxy import Fault, FaultProxy

ODOO_DKIM = "odoo._domainkey.odoo.com"


def test_domain_ready_for_odoo_passes(resolver):
    report = check_domain("good.check.test", resolver=resolver)
    assert report.codes() == []
    assert report.status is Status.PASS
    assert report.spf.sender_authorized is True
    assert report.dkim.cname_target == ODOO_DKIM
    assert (report.dkim.key_type, report.dkim.key_bits) == ("rsa", 2048)
    assert report.dmarc.policy == "quarantine"
    assert report.dmarc.record_domain == "good.check.test"
    assert report.records_to_publish() == []


def test_domain_without_odoo_gets_the_records_to_publish(resolver):
    report = check_domain("google-only.check.test", resolver=resolver)
    assert report.status is Status.FAIL
    assert {"spf.sender_not_authorized", "dkim.missing", "dmarc.missing"} <= set(report.codes())
    published = {(record.name, record.type): record.value for record in report.records_to_publish()}
    assert published[("google-only.check.test", "TXT")] == ("v=spf1 include:_spf.odoo.com include:_spf.google.com ~all")
    assert published[("odoo._domainkey.google-only.check.test", "CNAME")].rstrip(".") == ODOO_DKIM


def test_domain_without_spf_gets_a_new_record(resolver):
    report = check_domain("bare.check.test", resolver=resolver)
    assert "spf.missing" in report.spf.codes()
    assert report.spf.suggested_record == "v=spf1 include:_spf.odoo.com ~all"


def test_key_pasted_instead_of_the_cname_warns(resolver):
    report = check_domain("pasted.check.test", resolver=resolver)
    assert report.dkim.codes() == ["dkim.not_cname"]
    assert report.status is Status.WARN


def test_unknown_domain_is_not_found(resolver):
    report = check_domain("nothere.check.test", resolver=resolver)
    assert report.codes() == ["domain.not_found"]
    assert report.status is Status.FAIL
    assert report.to_dict()["spf"]["checked"] is False


def test_subdomain_uses_the_organisation_dmarc_record(resolver):
    report = check_domain("sub.good.check.test", resolver=resolver)
    assert report.dmarc.record_domain == "good.check.test"
    assert report.dmarc.effective_policy == "quarantine"
    assert "dmarc.missing" not in report.codes()


def test_google_provider_is_judged_on_its_own_include_and_selector(resolver):
    report = check_domain("google-only.check.test", provider="google", resolver=resolver)
    assert report.spf.sender_authorized is True
    assert report.dkim.selector == "google"
    assert report.dkim.status is Status.PASS
    assert report.codes() == ["dmarc.missing"]


def test_microsoft_provider_with_both_selectors_passes(resolver):
    report = check_domain("ms.check.test", provider="microsoft", resolver=resolver)
    assert report.status is Status.PASS, report.codes()
    assert report.dmarc.policy == "reject"


def test_self_hosted_server_is_checked_by_its_address(resolver):
    allowed = check_domain(
        "self-hosted.check.test", provider="ip:192.0.2.25", dkim_selectors=["mail"], resolver=resolver
    )
    refused = check_domain(
        "self-hosted.check.test", provider="ip:192.0.2.99", dkim_selectors=["mail"], resolver=resolver
    )
    assert allowed.spf.sender_authorized is True
    assert refused.spf.sender_authorized is False
    assert "spf.sender_not_authorized" in refused.codes()
    assert refused.spf.suggested_record == "v=spf1 ip4:192.0.2.99 ip4:192.0.2.25 -all"


def test_address_on_a_reject_free_mail_domain_fails(resolver):
    report = check_domain("Jane.Doe@yahoo.com", resolver=resolver)
    assert report.address is not None
    assert report.address.free_mail is True
    assert {"address.free_mail_dmarc_reject", "address.free_mail"} <= set(report.address.codes())
    assert report.to_dict()["address"]["status"] == "fail"


def test_address_on_a_good_company_domain_has_no_address_problem(resolver):
    report = check_domain("jane@good.check.test", resolver=resolver)
    assert report.address.codes() == []
    assert report.to_dict()["target"] == "jane@good.check.test"


def test_bulk_run_keeps_order_and_asks_each_name_once(resolver):
    targets = ["good.check.test", "sub.good.check.test", "pasted.check.test", "jane@good.check.test"]
    reports = check_domains(targets, resolver=resolver)
    assert [report.target for report in reports] == targets
    # Four targets share _spf.odoo.com and odoo._domainkey.odoo.com: every (name, type) went out once.
    assert resolver.stats.messages_sent == resolver.stats.lookups
    assert resolver.stats.cache_hits > 0


def test_bad_target_in_a_bulk_run_raises_before_any_dns(resolver):
    with pytest.raises(InvalidTarget):
        check_domains(["good.check.test", "a@b@c"], resolver=resolver)
    assert resolver.stats.lookups == 0


def test_unknown_provider_is_rejected():
    with pytest.raises(InvalidProvider):
        check_domain("good.check.test", provider="sendmail-on-a-toaster")


def test_silent_domain_ends_as_an_error_within_its_deadline(zone_server):
    with FaultProxy(zone_server.address) as proxy:
        for name in ("good.check.test", "_dmarc.good.check.test", "odoo._domainkey.good.check.test"):
            proxy.add_rule(name, Fault.DROP)
        resolver = Resolver([proxy.address], timeout=0.3, lifetime=0.6)
        started = time.monotonic()
        slow, fine = check_domains(["good.check.test", "pasted.check.test"], resolver=resolver, timeout=2.0)
        elapsed = time.monotonic() - started
    assert slow.status is Status.ERROR
    assert "dns.timeout" in slow.codes()
    assert fine.status is Status.WARN
    assert elapsed < 3.0


# Each record to publish says whether it goes beside the domain's records or in place of one of them.


def test_a_new_spf_record_replaces_the_one_found(resolver):
    report = check_domain("google-only.check.test", resolver=resolver)
    spf, dkim, dmarc = report.publications()
    assert (spf.code, spf.replaces) == ("publish.replace_spf", "v=spf1 include:_spf.google.com ~all")
    assert spf.message == "Replace your current SPF record v=spf1 include:_spf.google.com ~all with:"
    assert (dkim.code, dkim.params, dkim.message) == ("publish.add", {}, "Add:")
    # No DMARC record yet: the one to publish is added.
    assert (dmarc.record.name, dmarc.code) == ("_dmarc.google-only.check.test", "publish.add")
    assert [publication.record for publication in report.publications()] == report.records_to_publish()


def test_a_dmarc_record_given_the_reports_address_replaces_the_one_found(resolver):
    report = check_domain("self.reports.test", resolver=resolver, dmarc_rua="dmarc-reports@collector.reports.test")
    by_name = {publication.record.name: publication for publication in report.publications()}
    dmarc = by_name["_dmarc.self.reports.test"]
    assert (dmarc.code, dmarc.replaces) == ("publish.replace_dmarc", report.dmarc.record)
    # The consent record lives in another organization's zone: added there.
    assert by_name["self.reports.test._report._dmarc.collector.reports.test"].code == "publish.add"


def test_records_of_a_domain_without_spf_or_dmarc_are_added(resolver):
    report = check_domain("bare.check.test", resolver=resolver)
    assert {publication.code for publication in report.publications()} == {"publish.add"}


def test_the_stored_result_says_how_each_record_goes_in(resolver):
    stored = check_domain("google-only.check.test", resolver=resolver).to_dict()["records_to_publish"]
    assert stored[0] == {
        "name": "google-only.check.test",
        "type": "TXT",
        "value": "v=spf1 include:_spf.odoo.com include:_spf.google.com ~all",
        "code": "publish.replace_spf",
        "params": {"record": "v=spf1 include:_spf.google.com ~all"},
    }
    assert (stored[1]["code"], stored[1]["params"]) == ("publish.add", {})
