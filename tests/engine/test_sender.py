"""Who sends Odoo's mail: the providers' SMTP hosts, and detect_sender() following Odoo's sending path.

Host names of servers of one's own resolve through the engine's Resolver against Knot serving
tests/zones/sender.test.zone.
"""

import pytest

from odoo.addons.mail_domain_health.maildns import InvalidProvider, Resolver
from odoo.addons.mail_domain_health.maildns.check import check_domain
from odoo.addons.mail_domain_health.maildns.messages import PLACEHOLDERS
from odoo.addons.mail_domain_health.maildns.providers import (
    AUTO,
    PROVIDER_CHOICES,
    PROVIDERS,
    SELF_HOSTED,
    SmtpServer,
    chosen_sender,
    detect_sender,
    get_provider,
    provider_for_smtp_host,
    resolver_addresses,
)
from odoo.addons.mail_domain_health.maildns.result import Status


def detect(resolver, servers=(), config=None, *, hosted_by_odoo=False):
    return detect_sender(list(servers), config, hosted_by_odoo=hosted_by_odoo, resolver=resolver)


@pytest.mark.parametrize(
    ("host", "provider"),
    [
        ("smtp.gmail.com", "google"),
        ("smtp-relay.gmail.com", "google"),
        ("aspmx.l.google.com", "google"),
        ("SMTP.GoogleMail.com.", "google"),
        ("smtp.office365.com", "microsoft"),
        ("contoso-com.mail.protection.outlook.com", "microsoft"),
        ("smtp-mail.outlook.com", "microsoft"),
        ("mail.example.com", None),
        ("notgmail.com", None),
        ("gmail.com.example.net", None),
        ("198.51.100.25", None),
    ],
)
def test_providers_are_known_by_their_smtp_hosts(host, provider):
    found = provider_for_smtp_host(host)
    assert (found.name if found else None) == provider


def test_choices_offer_detection_every_provider_and_a_server_of_ones_own():
    keys = [key for key, _ in PROVIDER_CHOICES]
    assert keys == [AUTO, *PROVIDERS, SELF_HOSTED]
    assert all(label for _, label in PROVIDER_CHOICES)


# The outgoing mail servers come first, the lowest sequence winning.


def test_first_outgoing_server_by_sequence_decides(resolver):
    servers = [SmtpServer("Relay", "relay.sender.test", 20), SmtpServer("Google", "smtp.gmail.com", 5)]
    found = detect(resolver, servers, "relay.sender.test")
    assert (found.provider_key, found.provider) == ("google", "google")
    assert found.reason_code == "sender.mail_server"
    assert found.reason_params == {"server": "Google", "host": "smtp.gmail.com", "provider": "Google Workspace"}
    assert (
        found.message == "Odoo sends through its outgoing mail server Google (smtp.gmail.com), run by Google Workspace."
    )


def test_equal_sequences_keep_the_order_given(resolver):
    servers = [SmtpServer("Microsoft", "smtp.office365.com"), SmtpServer("Google", "smtp.gmail.com")]
    assert detect(resolver, servers).provider == "microsoft"


def test_own_relay_is_checked_by_its_addresses(resolver):
    found = detect(resolver, [SmtpServer("Relay", "Relay.Sender.Test.")])
    assert (found.provider_key, found.provider) == ("self_hosted", "ip:198.51.100.25,2001:db8::25")
    assert found.reason_code == "sender.mail_server_relay"
    assert found.addresses == ("198.51.100.25", "2001:db8::25")
    assert not found.needs_addresses
    report = check_domain("self-hosted.check.test", provider=found.provider, dkim_selectors=["mail"], resolver=resolver)
    assert report.spf.sender_authorized is False
    assert "ip4:198.51.100.25 ip6:2001:db8::25" in report.spf.suggested_record


def test_private_addresses_of_a_relay_are_left_out(resolver):
    found = detect(resolver, [SmtpServer("Relay", "mixed.sender.test")])
    assert found.provider == "ip:198.51.100.26"


def test_relay_at_private_addresses_only_asks_for_the_public_ones(resolver):
    found = detect(resolver, [SmtpServer("LAN", "lan-relay.sender.test")])
    assert (found.provider_key, found.provider, found.needs_addresses) == ("self_hosted", None, True)
    assert found.reason_code == "sender.private_relay"
    assert found.reason_params == {"host": "lan-relay.sender.test", "addresses": "192.168.1.10, fd00::10"}


@pytest.mark.parametrize("host", ["no-address.sender.test", "nothere.sender.test"])
def test_relay_without_an_address_says_so(resolver, host):
    found = detect(resolver, [SmtpServer("Relay", host)])
    assert (found.reason_code, found.provider) == ("sender.unresolved", None)
    assert found.reason_params["host"] == host


def test_relay_whose_dns_fails_says_so():
    resolver = Resolver(["127.0.0.1:9"], timeout=0.2, lifetime=0.4)
    found = detect(resolver, [SmtpServer("Relay", "relay.sender.test")])
    assert found.reason_code == "sender.unresolved"
    assert "127.0.0.1:9" in found.reason_params["detail"]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1", "[::1]", "loopback.sender.test"])
def test_outgoing_server_on_this_machine_is_the_local_mail_server(resolver, host):
    found = detect(resolver, [SmtpServer("Local", host)])
    assert (found.reason_code, found.provider, found.needs_addresses) == ("sender.local_mta", None, True)


def test_an_address_as_host_needs_no_dns():
    def refuse(host):
        raise AssertionError(f"asked the DNS about {host}")

    found = detect_sender([SmtpServer("Relay", "198.51.100.30")], None, hosted_by_odoo=False, resolve=refuse)
    assert found.provider == "ip:198.51.100.30"


def test_resolution_goes_through_the_callable_given():
    asked = []

    def resolve(host):
        asked.append(host)
        return ["203.0.113.9"]

    found = detect_sender([], "mail.example.org", hosted_by_odoo=True, resolve=resolve)
    assert asked == ["mail.example.org"]
    assert (found.reason_code, found.provider) == ("sender.config_relay", "ip:203.0.113.9")


# Without outgoing servers: the configuration file's SMTP server, then Odoo's hosting, then this machine.


def test_configuration_file_server_of_a_provider(resolver):
    found = detect(resolver, [], "smtp.office365.com")
    assert (found.reason_code, found.provider) == ("sender.config_smtp", "microsoft")
    assert found.reason_params == {"host": "smtp.office365.com", "provider": "Microsoft 365"}


def test_configuration_file_relay_of_ones_own(resolver):
    found = detect(resolver, [], "relay.sender.test")
    assert (found.reason_code, found.provider) == ("sender.config_relay", "ip:198.51.100.25,2001:db8::25")


@pytest.mark.parametrize("config", [None, "", "localhost", "127.0.0.1"])
def test_database_hosted_by_odoo_sends_through_odoo(resolver, config):
    found = detect(resolver, [], config, hosted_by_odoo=True)
    assert (found.provider_key, found.provider, found.reason_code) == ("odoo", "odoo", "sender.odoo_hosted")


def test_outgoing_server_wins_over_odoo_hosting(resolver):
    found = detect(resolver, [SmtpServer("Google", "smtp.gmail.com")], "localhost", hosted_by_odoo=True)
    assert found.provider == "google"


@pytest.mark.parametrize("config", [None, "localhost", "127.0.0.1"])
def test_self_hosted_odoo_without_a_server_uses_its_own_machine(resolver, config):
    found = detect(resolver, [], config)
    assert (found.reason_code, found.provider_key, found.provider) == ("sender.local_mta", "self_hosted", None)
    assert found.reason_params == {"host": config or "localhost"}
    assert "give them in the settings" in found.message


def test_resolver_addresses_gives_both_families(resolver):
    resolve = resolver_addresses(resolver)
    assert resolve("relay.sender.test") == ["198.51.100.25", "2001:db8::25"]
    assert resolve("no-address.sender.test") == []


# What the administrator chose.


def test_chosen_provider(resolver):
    found = chosen_sender("google")
    assert (found.provider, found.reason_code, found.reason_params) == (
        "google",
        "sender.chosen",
        {"provider": "Google Workspace"},
    )


def test_chosen_server_of_ones_own_with_the_addresses_confirmed():
    found = chosen_sender("self_hosted", ["198.51.100.40", " 2001:db8::40 "])
    assert found.provider == "ip:198.51.100.40,2001:db8::40"
    assert found.reason_code == "sender.chosen_self_hosted"
    assert get_provider(found.provider).sender_ips == ("198.51.100.40", "2001:db8::40")


@pytest.mark.parametrize(
    ("key", "addresses"), [("auto", ()), ("sendmail", ()), ("self_hosted", ()), ("self_hosted", ["x"])]
)
def test_choice_that_names_no_sender_is_refused(key, addresses):
    with pytest.raises(InvalidProvider):
        chosen_sender(key, addresses)


def test_every_detection_carries_the_params_of_its_sentence(resolver):
    detections = [
        detect(resolver, [SmtpServer("Google", "smtp.gmail.com")]),
        detect(resolver, [SmtpServer("Relay", "relay.sender.test")]),
        detect(resolver, [], "smtp.gmail.com"),
        detect(resolver, [], "relay.sender.test"),
        detect(resolver, [], None),
        detect(resolver, [SmtpServer("LAN", "lan-relay.sender.test")]),
        detect(resolver, [SmtpServer("Relay", "nothere.sender.test")]),
        detect(resolver, [], None, hosted_by_odoo=True),
        chosen_sender("odoo"),
        chosen_sender("self_hosted", ["198.51.100.40"]),
    ]
    assert {found.reason_code for found in detections} == {code for code in PLACEHOLDERS if code.startswith("sender.")}
    for found in detections:
        assert set(found.reason_params) == PLACEHOLDERS[found.reason_code]
        assert found.to_dict()["message"] == found.message


def test_a_sender_of_unknown_addresses_is_not_judged_by_spf_and_its_dkim_is_probed(resolver):
    report = check_domain("google-only.check.test", provider="unknown", resolver=resolver)
    assert report.provider == "unknown"
    assert "spf.sender_not_authorized" not in report.codes()
    assert report.spf.sender_authorized is None
    assert report.spf.suggested_record is None
    assert report.spf.codes() == ["spf.sender_unknown"] and report.spf.status is Status.UNKNOWN
    # The domain has a key at google._domainkey: the search finds it among the common selectors.
    assert (report.dkim.selector, report.dkim.selector_source) == ("google", "common")
    assert report.dkim.status is Status.PASS
    assert report.status is Status.UNKNOWN
