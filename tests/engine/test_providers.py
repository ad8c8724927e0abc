"""The relays of the catalogue (maildns.providers) against the test zones: a domain set up as each provider's
documentation says passes; a mistake its customers make fails, with that provider's fix. And what the check
could not judge is never a pass."""

import io
import json

import pytest

from odoo.addons.mail_domain_health.maildns import PROVIDER_CHOICES, PROVIDERS, SmtpServer, detect_sender, get_provider
from odoo.addons.mail_domain_health.maildns.check import check_domain, check_domains
from odoo.addons.mail_domain_health.maildns.cli import main
from odoo.addons.mail_domain_health.maildns.result import Status

ZONE = "providers.test"
OWN = "ip:198.51.100.25"
CATALOGUE = ("sendgrid", "mailgun", "amazon_ses", "brevo", "mailjet", "postmark", "zoho", "ovh", "ionos")


@pytest.mark.parametrize(
    ("label", "provider", "selectors"),
    [
        ("sendgrid-ok", "sendgrid", None),
        ("brevo-ok", "brevo", None),
        ("mailgun-ok", "mailgun", None),
        # Easy DKIM's tokens are the account's: receivers' reports name them (see the test below), or the
        # administrator does.
        ("amazon-ses-ok", "amazon_ses", ["4xkqnqzcm2nfrkvtlbsdvkeqfsjtqzd3", "ymq3bc6ep5mqkmm5ym7nx6zxgtyvvdtq"]),
        ("mailjet-ok", "mailjet", None),
        ("postmark-ok", "postmark", ["20240101120000pm"]),
        ("zoho-ok", "zoho", None),
        ("ovh-ok", "ovh", ["ovhmo4321-selector1", "ovhmo4321-selector2"]),
        ("ionos-ok", "ionos", None),
    ],
)
def test_a_domain_set_up_as_the_provider_documents_passes(resolver, label, provider, selectors):
    report = check_domain(f"{label}.{ZONE}", provider=provider, dkim_selectors=selectors, resolver=resolver)
    assert report.status is Status.PASS, report.codes()
    assert report.dmarc.provider_can_pass is True
    assert report.records_to_publish() == []


@pytest.mark.parametrize("provider", ["brevo", "sendgrid", "amazon_ses"])
def test_where_the_bounce_address_is_not_the_domain_dkim_alone_carries_dmarc(resolver, provider):
    label = {"brevo": "brevo-ok", "sendgrid": "sendgrid-ok", "amazon_ses": "amazon-ses-ok"}[provider]
    found = {"amazon-ses-ok.providers.test": ["4xkqnqzcm2nfrkvtlbsdvkeqfsjtqzd3"]}
    report = check_domain(
        f"{label}.{ZONE}", provider=provider, resolver=resolver, reported_selectors=found.get(f"{label}.{ZONE}", ())
    )
    assert (report.dmarc.spf_aligned, report.dmarc.dkim_aligned) == (False, True)
    assert report.dmarc.return_path == get_provider(provider).return_path != "customer"
    # Nobody is told to add an include that could never align.
    assert report.spf.codes() == ["spf.return_path_elsewhere"] and report.spf.status is Status.PASS
    assert report.spf.suggested_record is None


def test_brevo_with_an_spf_include_in_place_of_its_dkim_records_fails_with_its_cnames(resolver):
    report = check_domain(f"brevo-spf-only.{ZONE}", provider="brevo", resolver=resolver)
    assert report.dmarc.codes() == ["dmarc.provider_fails_dkim"] and report.dmarc.status is Status.FAIL
    assert [(record.name, record.value) for record in report.records_to_publish()] == [
        ("brevo1._domainkey.brevo-spf-only.providers.test", "b1.brevo-spf-only-providers-test.dkim.brevo.com."),
        ("brevo2._domainkey.brevo-spf-only.providers.test", "b2.brevo-spf-only-providers-test.dkim.brevo.com."),
    ]
    assert "spf.sender_not_authorized" not in report.codes()


def test_sendgrid_without_its_dkim_cnames_under_reject_fails(resolver):
    report = check_domain(f"sendgrid-no-dkim.{ZONE}", provider="sendgrid", resolver=resolver)
    assert report.status is Status.FAIL
    assert report.dkim.codes() == ["dkim.missing_cname", "dkim.missing_cname"]
    assert report.dmarc.codes() == ["dmarc.provider_fails_dkim"]
    # The records' shape, as SendGrid's console shows them: the account's own numbers are the administrator's.
    assert [record.value for record in report.records_to_publish()] == [
        "s1.domainkey.u<account>.wl<number>.sendgrid.net.",
        "s2.domainkey.u<account>.wl<number>.sendgrid.net.",
    ]


def test_amazon_ses_with_its_include_but_no_easy_dkim_fails(resolver):
    report = check_domain(f"amazon-ses-spf-only.{ZONE}", provider="amazon_ses", resolver=resolver)
    assert report.dkim.codes() == ["dkim.no_key"]
    assert report.dmarc.codes() == ["dmarc.provider_fails_dkim"] and report.status is Status.FAIL


def test_mailgun_without_its_include_and_its_key_misplaced_fails_with_the_include(resolver):
    report = check_domain(f"mailgun-no-include.{ZONE}", provider="mailgun", resolver=resolver)
    assert report.spf.codes() == ["spf.sender_not_authorized"]
    assert report.spf.suggested_record == "v=spf1 include:mailgun.org include:_spf.google.com ~all"
    assert report.dkim.codes() == ["dkim.no_key"]
    assert report.dmarc.codes() == ["dmarc.provider_fails"] and report.status is Status.FAIL


def test_mailjet_key_cut_short_fails(resolver):
    report = check_domain(f"mailjet-cut-key.{ZONE}", provider="mailjet", resolver=resolver)
    assert report.dkim.codes() == ["dkim.syntax"]
    assert report.dmarc.codes() == ["dmarc.provider_fails_dkim"] and report.status is Status.FAIL


def test_zoho_without_its_include_fails_spf_but_passes_dmarc_by_dkim(resolver):
    report = check_domain(f"zoho-no-include.{ZONE}", provider="zoho", resolver=resolver)
    assert report.spf.codes() == ["spf.sender_not_authorized"]
    assert report.spf.suggested_record == "v=spf1 include:zoho.com include:_spf.google.com -all"
    assert (report.dkim.selector, report.dkim.selector_source) == ("zmail", "common")
    assert report.dmarc.provider_can_pass is True and report.dmarc.status is Status.PASS


def test_zoho_regional_include_authorizes_it(resolver):
    report = check_domain(f"zoho-ok.{ZONE}", provider="zoho", resolver=resolver)
    assert report.spf.sender_authorized is True


def test_ionos_without_its_dkim_cnames_fails_dkim_with_its_records(resolver):
    report = check_domain(f"ionos-no-dkim.{ZONE}", provider="ionos", resolver=resolver)
    assert report.spf.sender_authorized is True and report.dmarc.provider_can_pass is True
    assert [(record.name, record.value) for record in report.records_to_publish()] == [
        ("s1-ionos._domainkey.ionos-no-dkim.providers.test", "s1.dkim.ionos.com."),
        ("s2-ionos._domainkey.ionos-no-dkim.providers.test", "s2.dkim.ionos.com."),
    ]


# DKIM selectors nobody wrote down.


@pytest.mark.parametrize(("label", "selector"), [("own-default", "default"), ("own-mail", "mail")])
def test_a_key_at_a_common_selector_is_found_without_being_named(resolver, label, selector):
    report = check_domain(f"{label}.{ZONE}", provider=OWN, resolver=resolver)
    assert (report.dkim.selector, report.dkim.selector_source) == (selector, "common")
    assert report.dkim.selectors_checked == (selector,)
    assert "dkim.selector_found" in report.dkim.codes()
    assert report.status is Status.PASS


def test_the_selector_receivers_reported_is_asked_first(resolver):
    unnamed = check_domain(f"own-rare.{ZONE}", provider=OWN, resolver=resolver)
    assert unnamed.dkim.codes() == ["dkim.selector_unknown"] and unnamed.dkim.status is Status.UNKNOWN
    # What strangers' reports name is asked only when it can be a selector.
    hostile = ["bad selector", "a" * 64, "x." * 120 + "x", "X2023Q4"]
    reported = check_domain(f"own-rare.{ZONE}", provider=OWN, resolver=resolver, reported_selectors=hostile)
    assert (reported.dkim.selector, reported.dkim.selector_source) == ("x2023q4", "reported")
    assert reported.dkim.selectors_tried[0] == "x2023q4"
    assert reported.status is Status.PASS


def test_amazon_ses_tokens_are_found_from_the_reports(resolver):
    found = {"amazon-ses-ok.providers.test": ["2lsppj5vlqjttj2vq4mxefd3y2vbfh7o"]}
    (report,) = check_domains(
        [f"amazon-ses-ok.{ZONE}"], provider="amazon_ses", resolver=resolver, reported_selectors=found
    )
    assert report.dkim.selector_source == "reported" and report.status is Status.PASS
    (alone,) = check_domains([f"amazon-ses-ok.{ZONE}"], provider="amazon_ses", resolver=resolver)
    assert alone.dkim.status is Status.UNKNOWN and alone.dmarc.codes() == ["dmarc.provider_unknown"]


# Unknown is never green.


def test_a_server_of_unknown_addresses_is_never_a_pass(resolver):
    report = check_domain(f"own-rare.{ZONE}", provider="unknown", resolver=resolver)
    statuses = (report.spf.status, report.dkim.status, report.dmarc.status, report.status)
    assert statuses == (Status.UNKNOWN,) * 4
    assert report.dmarc.codes() == ["dmarc.provider_unknown"]
    address = check_domain(f"kim@own-rare.{ZONE}", provider="unknown", resolver=resolver)
    # The user's verdict is the domain's: not known, rather than "receivers refuse".
    assert address.address.codes() == ["address.dmarc_unknown"]


@pytest.mark.parametrize("provider", ["unknown", "google", OWN, "brevo"])
def test_a_public_mail_domain_fails_whatever_sends(resolver, provider):
    report = check_domain("jo@yahoo.com", provider=provider, resolver=resolver)
    assert report.status is Status.FAIL
    assert "domain.free_mail" in [problem.code for problem in report.findings]
    assert report.dmarc.provider_can_pass is False
    assert report.address.codes() == ["address.free_mail_dmarc_reject", "address.free_mail"]


def test_cli_never_prints_pass_for_what_it_did_not_check(zone_server):
    out = io.StringIO()
    code = main(
        [
            "check",
            "yahoo.com",
            f"own-rare.{ZONE}",
            "--provider",
            "unknown",
            "--json",
            "--nameserver",
            zone_server.address,
        ],
        stdout=out,
    )
    reports = json.loads(out.getvalue())
    assert code == 2
    assert [report["status"] for report in reports] == ["fail", "unknown"]
    assert [reports[1][part]["status"] for part in ("spf", "dkim", "dmarc")] == ["unknown"] * 3
    text = io.StringIO()
    assert (
        main(["check", f"own-rare.{ZONE}", "--provider", "unknown", "--nameserver", zone_server.address], stdout=text)
        == 3
    )
    assert "PASS" not in text.getvalue()


# Who sends: the catalogue's keys, and the SMTP hosts that name them.


def test_every_provider_of_the_catalogue_is_offered_and_accepted():
    offered = [key for key, _label in PROVIDER_CHOICES]
    for key in CATALOGUE:
        assert key in PROVIDERS and key in offered
        assert get_provider(key).source


@pytest.mark.parametrize(
    ("host", "provider"),
    [
        ("smtp.sendgrid.net", "sendgrid"),
        ("smtp.eu.mailgun.org", "mailgun"),
        ("email-smtp.eu-west-1.amazonaws.com", "amazon_ses"),
        ("smtp-relay.brevo.com", "brevo"),
        ("smtp-relay.sendinblue.com", "brevo"),
        ("in-v3.mailjet.com", "mailjet"),
        ("smtp.postmarkapp.com", "postmark"),
        ("smtppro.zoho.eu", "zoho"),
        ("ssl0.ovh.net", "ovh"),
        ("pro2.mail.ovh.net", "ovh"),
        ("smtp.ionos.fr", "ionos"),
        # A hosting company's machines are not its mail service.
        ("ec2-203-0-113-9.compute-1.amazonaws.com", None),
        ("vps-1234.vps.ovh.net", None),
    ],
)
def test_detect_sender_knows_the_provider_from_the_outgoing_servers_host(resolver, host, provider):
    found = detect_sender([SmtpServer("Relay", host)], None, hosted_by_odoo=False, resolve=lambda name: ["203.0.113.9"])
    expected = provider or "self_hosted"
    assert (found.provider_key, found.reason_code) == (
        expected,
        "sender.mail_server" if provider else "sender.mail_server_relay",
    )


def test_a_contacts_own_key_is_not_taken_for_the_senders(resolver):
    # own-mail.providers.test has a key at "mail": its owner's. Checked as a contact's domain, a server of one's
    # own is not taken to sign with it, and receivers refuse what it relays as that domain.
    (contact,) = check_domains(
        [f"kim@own-mail.{ZONE}"], provider="ip:203.0.113.9", resolver=resolver, dkim_search_domains=[]
    )
    assert contact.dkim.codes() == ["dkim.not_searched"] and contact.dkim.status is Status.FAIL
    assert contact.dmarc.provider_can_pass is False
    assert contact.address.codes() == ["address.dmarc_reject"]
    (own,) = check_domains(
        [f"kim@own-mail.{ZONE}"], provider="ip:203.0.113.9", resolver=resolver, dkim_search_domains=[f"own-mail.{ZONE}"]
    )
    assert own.dkim.selector == "mail" and own.dmarc.provider_can_pass is True
