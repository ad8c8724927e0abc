"""tools/relay.py: which findings stop mail Odoo relays as a contact, and the domains an outgoing set-up names."""

from odoo.addons.mail_domain_health.maildns import address_verdict
from odoo.addons.mail_domain_health.tools.relay import (
    RELAY_FAILURE_CODES,
    domain_relay_fails,
    from_filter_value,
    named_domains,
    relay_failures,
)


def test_named_domains_reads_domains_and_addresses_of_the_from_filters_and_the_notifications_address():
    names = named_domains(
        ["Example.COM, news@Shop.Example", False, "bäckerei-müller.check.test", " , not a domain"],
        "notifications@Odoo.Example",
    )
    assert names == {"example.com", "shop.example", "xn--bckerei-mller-bfb28a.check.test", "odoo.example"}


def test_named_domains_without_filters_or_notifications_address_is_empty():
    assert named_domains([], None) == set()
    assert named_domains([False, ""]) == set()


def test_from_filter_value_names_each_domain_once_in_a_stable_order():
    assert from_filter_value(["b.example", "A.example", "a.example", None, ""]) == "a.example,b.example"
    assert from_filter_value([]) == ""


def test_a_domain_that_rejects_stops_mail_relayed_as_its_address_by_a_provider_that_cannot_pass():
    assert domain_relay_fails("strict.example", effective_policy="reject", provider_can_pass=False, sent_as=True)
    assert not domain_relay_fails("strict.example", effective_policy="none", provider_can_pass=False, sent_as=True)
    assert not domain_relay_fails("strict.example", effective_policy="reject", provider_can_pass=True, sent_as=True)


def test_mail_relayed_as_the_notifications_address_is_not_stopped_by_the_contacts_policy():
    assert not domain_relay_fails("strict.example", effective_policy="reject", provider_can_pass=False, sent_as=False)


def test_a_domain_that_is_no_domain_is_not_said_to_fail():
    assert not domain_relay_fails("exa mple", effective_policy="reject", provider_can_pass=False, sent_as=True)


def test_relay_failures_keeps_only_the_findings_that_stop_relayed_mail():
    problems = address_verdict(
        "jane@yahoo.com", effective_policy="reject", provider_can_pass=False, free_mail=True, sent_as=True
    )
    kept = relay_failures(problems)
    assert [problem.code for problem in kept] == ["address.dmarc_reject"]
    assert {problem.code for problem in problems} - RELAY_FAILURE_CODES
