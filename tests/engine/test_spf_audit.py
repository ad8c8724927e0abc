"""audit_spf() against Knot serving tests/zones/spf-audit.test.zone and the providers' zones."""

import pytest

from odoo.addons.mail_domain_health.maildns import Resolver
from odoo.addons.mail_domain_health.maildns.names import to_ascii
from odoo.addons.mail_domain_health.maildns.providers import get_provider
from odoo.addons.mail_domain_health.maildns.result import Status
from odoo.addons.mail_domain_health.maildns.spf import check_host
from odoo.addons.mail_domain_health.maildns.spf_audit import audit_spf
from odoo.addons.mail_domain_health.tests.support.dnsproxy import Fault, FaultProxy

ODOO = get_provider("odoo")
GOOGLE = get_provider("google")
MICROSOFT = get_provider("microsoft")
# An address in none of the fixture ranges.
STRANGER = "203.0.113.77"


def audit(name: str, resolver: Resolver, provider=ODOO):
    return audit_spf(f"{name}.spf-audit.test", provider, resolver=resolver)


def problem(report, code: str):
    matches = [item for item in report.findings if item.code == code]
    assert len(matches) == 1, f"expected one {code}, got {report.codes()}"
    return matches[0]


@pytest.fixture
def proxy(zone_server):
    with FaultProxy(zone_server.address) as running:
        yield running


@pytest.fixture
def proxied_resolver(proxy):
    return Resolver([proxy.address], timeout=0.3, lifetime=0.6)


def test_record_with_the_provider_passes(resolver):
    report = audit("odoo", resolver)
    assert report.status is Status.PASS
    assert report.record == "v=spf1 include:_spf.odoo.com ~all"
    assert report.sender_authorized is True
    assert report.dns_lookups == 1
    assert report.includes == ("_spf.odoo.com",)
    assert report.suggested_record is None


def test_missing_record_suggests_the_provider_include(resolver):
    report = audit("missing", resolver)
    found = problem(report, "spf.missing")
    assert found.status is Status.FAIL
    assert report.suggested_record == "v=spf1 include:_spf.odoo.com ~all"
    assert found.record.name == "missing.spf-audit.test"
    assert found.record.type == "TXT"
    assert found.record.value == report.suggested_record
    assert report.suggested_dns_lookups == 1
    assert report.sender_authorized is False


def test_missing_record_for_google_counts_its_nested_includes(resolver):
    report = audit("missing", resolver, GOOGLE)
    assert report.suggested_record == "v=spf1 include:_spf.google.com ~all"
    assert report.suggested_dns_lookups == 4


def test_record_without_the_provider_gets_it_inserted_first(resolver):
    report = audit("google-only", resolver)
    found = problem(report, "spf.sender_not_authorized")
    assert found.status is Status.FAIL
    assert report.suggested_record == "v=spf1 include:_spf.odoo.com include:_spf.google.com ~all"
    assert found.record.value == report.suggested_record
    assert report.dns_lookups == 4
    assert report.suggested_dns_lookups == 5
    assert "include:_spf.odoo.com" in found.message
    assert "more than the limit" not in found.message


def test_same_record_is_fine_for_google(resolver):
    report = audit("google-only", resolver, GOOGLE)
    assert report.status is Status.PASS
    assert report.includes == (
        "_spf.google.com",
        "_netblocks.google.com",
        "_netblocks2.google.com",
        "_netblocks3.google.com",
    )


def test_provider_found_through_nested_includes(resolver):
    report = audit("nested", resolver)
    assert report.sender_authorized is True
    assert report.status is Status.PASS
    assert report.dns_lookups == 3
    assert "_spf.odoo.com" in report.includes


def test_provider_found_through_redirect(resolver):
    report = audit("redirected", resolver)
    assert report.sender_authorized is True
    assert report.includes[0] == "_spf.redirected.spf-audit.test"
    # redirect, outlook's two includes and odoo's, as check_host() counts them.
    assert report.dns_lookups == 4
    result = check_host(STRANGER, "redirected.spf-audit.test", "a@redirected.spf-audit.test", resolver=resolver)
    assert (result.result, result.dns_lookups) == ("fail", 4)


def test_microsoft_found_through_redirect(resolver):
    report = audit("redirected", resolver, MICROSOFT)
    assert report.status is Status.PASS
    assert report.sender_authorized is True


def test_neutral_include_does_not_authorize(resolver):
    report = audit("neutral-include", resolver)
    problem(report, "spf.sender_not_authorized")
    # The "?include" would never decide once the provider's include comes first: it is not repeated.
    assert report.suggested_record == "v=spf1 include:_spf.odoo.com -all"


def test_include_after_all_is_never_reached(resolver):
    report = audit("after-all", resolver)
    problem(report, "spf.sender_not_authorized")
    assert report.dns_lookups == 0
    assert problem(report, "spf.all_not_last").params["ignored"] == "include:_spf.odoo.com"
    assert report.suggested_record == "v=spf1 include:_spf.odoo.com -all"
    assert report.suggested_dns_lookups == 1


def test_split_txt_strings_are_joined(resolver):
    report = audit("split", resolver)
    assert report.record == "v=spf1 include:_spf.odoo.com include:_spf.google.com -all"
    assert report.sender_authorized is True
    assert report.dns_lookups == 5


def test_multiple_records_fail(resolver):
    report = audit("multiple", resolver)
    found = problem(report, "spf.multiple_records")
    assert found.status is Status.FAIL
    assert "2 SPF records" in found.message
    assert report.sender_authorized is False


def test_syntax_error_gives_its_position(resolver):
    report = audit("syntax", resolver)
    found = problem(report, "spf.syntax")
    record = "v=spf1 include:_spf.odoo.com ip4:192.0.2.300 -all"
    assert report.record == record
    # The bad address starts after "ip4:"; the message counts characters from 1.
    assert f"at character {record.index('192.0.2.300') + 1}" in found.message
    assert "'192.0.2.300' is not an IPv4 address" in found.message
    assert report.status is Status.FAIL


def test_plus_all_fails_and_the_suggestion_softens_it(resolver):
    report = audit("plus-all", resolver)
    found = problem(report, "spf.allows_all")
    assert found.status is Status.FAIL
    assert report.suggested_record == "v=spf1 include:_spf.odoo.com ~all"
    assert found.record.value == report.suggested_record
    assert report.sender_authorized is True


def test_all_without_qualifier_allows_all(resolver):
    report = audit("bare-all", resolver)
    problem(report, "spf.allows_all")
    assert report.suggested_record == "v=spf1 include:_spf.odoo.com mx ~all"


def test_ptr_is_a_warning(resolver):
    report = audit("ptr", resolver)
    found = problem(report, "spf.ptr_used")
    assert found.status is Status.WARN
    assert report.status is Status.WARN


def test_nine_lookups_warn(resolver):
    report = audit("near", resolver)
    assert report.dns_lookups == 9
    assert problem(report, "spf.near_lookup_limit").status is Status.WARN
    assert report.status is Status.WARN


def test_lookups_counted_like_check_host(resolver):
    report = audit("near", resolver)
    result = check_host(STRANGER, "near.spf-audit.test", "someone@near.spf-audit.test", resolver=resolver)
    assert result.result == "softfail"
    assert result.dns_lookups == report.dns_lookups


def test_eleven_lookups_fail(resolver):
    report = audit("over", resolver)
    assert report.dns_lookups == 11
    assert problem(report, "spf.too_many_lookups").status is Status.FAIL
    assert "spf.near_lookup_limit" not in report.codes()
    result = check_host(STRANGER, "over.spf-audit.test", "someone@over.spf-audit.test", resolver=resolver)
    assert result.result == "permerror"


def test_merged_record_over_the_limit_is_announced(resolver):
    report = audit("merge-over", resolver)
    assert report.dns_lookups == 10
    problem(report, "spf.near_lookup_limit")
    problem(report, "spf.sender_not_authorized")
    assert report.suggested_dns_lookups == 11
    assert report.suggested_record.startswith("v=spf1 include:_spf.odoo.com include:_spf.google.com ")
    over = problem(report, "spf.suggested_over_limit")
    assert over.params == {"domain": "merge-over.spf-audit.test", "count": 11, "limit": 10}
    assert "11 DNS lookups, more than the limit of 10" in over.message


def test_three_void_lookups_fail(resolver):
    report = audit("void", resolver)
    assert report.void_lookups == 3
    found = problem(report, "spf.too_many_void_lookups")
    assert found.status is Status.FAIL
    assert "gone3.spf-audit.test" in found.message
    assert report.sender_authorized is True


def test_include_loop_is_over_the_lookup_limit(resolver):
    report = audit("loop", resolver)
    found = problem(report, "spf.include_loop")
    assert "loop" in found.message
    result = check_host(STRANGER, "loop.spf-audit.test", "someone@loop.spf-audit.test", resolver=resolver)
    assert result.result == "permerror"


def test_include_of_a_domain_without_spf_is_reported(resolver):
    report = audit("broken-include", resolver)
    found = problem(report, "spf.include_no_record")
    assert found.params["include"] == "nothing-here.spf-audit.test"
    assert (found.params["domain"], found.params["count"]) == ("broken-include.spf-audit.test", 0)
    assert report.void_lookups == 1


def test_self_hosted_addresses_pass_check_host(resolver):
    report = audit("self-hosted", resolver, get_provider("ip:192.0.2.20,2001:db8::20"))
    assert report.status is Status.PASS
    assert report.sender_authorized is True


def test_self_hosted_address_not_listed_is_not_authorized(resolver):
    report = audit("self-hosted", resolver, get_provider("ip:192.0.2.99"))
    found = problem(report, "spf.sender_not_authorized")
    assert report.suggested_record == "v=spf1 ip4:192.0.2.99 ip4:192.0.2.20 ip6:2001:db8::20 -all"
    assert found.record.value == report.suggested_record
    assert report.suggested_dns_lookups == 0


def test_international_domain_is_checked_as_a_labels(resolver):
    domain = to_ascii("Bücher.spf-audit.test")
    report = audit_spf(domain, ODOO, resolver=resolver)
    assert domain == "xn--bcher-kva.spf-audit.test"
    assert report.sender_authorized is True
    assert report.status is Status.PASS


@pytest.mark.parametrize(
    ("fault", "code"),
    [(Fault.SERVFAIL, "dns.servfail"), (Fault.DROP, "dns.timeout"), (Fault.REFUSED, "dns.refused")],
)
def test_dns_fault_on_the_record_is_an_error(proxy, proxied_resolver, fault, code):
    proxy.add_rule("faulty.spf-audit.test", fault, "TXT")
    report = audit("faulty", proxied_resolver)
    assert report.codes() == [code]
    assert report.status is Status.ERROR
    assert report.sender_authorized is None


def test_dns_fault_in_an_include_leaves_authorization_unknown(proxy, proxied_resolver):
    proxy.add_rule("_spf.include-fault.spf-audit.test", Fault.SERVFAIL, "TXT")
    report = audit("include-fault", proxied_resolver)
    assert report.codes() == ["dns.servfail"]
    assert report.status is Status.ERROR
    assert report.sender_authorized is None


def test_dns_fault_for_self_hosted_check_is_an_error(proxy, proxied_resolver):
    proxy.add_rule("self-hosted.spf-audit.test", Fault.SERVFAIL, "TXT")
    report = audit("self-hosted", proxied_resolver, get_provider("ip:192.0.2.20"))
    assert report.status is Status.ERROR
    assert "dns.servfail" in report.codes()


def test_odoo_servers_pass_check_host_through_nested_includes(resolver):
    result = check_host("149.202.206.10", "nested.spf-audit.test", "info@nested.spf-audit.test", resolver=resolver)
    assert result.result == "pass"
    assert result.mechanism == "include:_spf.nested.spf-audit.test"
    assert result.dns_lookups == 3


def test_other_servers_fail_check_host(resolver):
    result = check_host(STRANGER, "nested.spf-audit.test", "info@nested.spf-audit.test", resolver=resolver)
    assert result.result == "fail"
    assert result.mechanism == "-all"


def test_check_host_takes_an_international_domain(resolver):
    result = check_host("149.202.206.10", "bücher.spf-audit.test", "", helo="mail.example.org", resolver=resolver)
    assert result.result == "pass"
