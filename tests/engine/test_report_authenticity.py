"""Who really sent a report message: DKIM signatures verified against keys Knot serves (tests/zones), aligned
with the From domain. The messages are signed in the test with tests/keys/dmarc-reporter.pem, whose public key
google.com and reports.test publish at reporter._domainkey."""

from email.message import EmailMessage
from pathlib import Path

import dkim

from odoo.addons.mail_domain_health.maildns import Resolver, verify_report_message
from odoo.addons.mail_domain_health.tests.support.dnsproxy import Fault, FaultProxy

KEY = (Path(__file__).resolve().parents[1] / "keys" / "dmarc-reporter.pem").read_bytes()


def message(sender: str = "noreply-dmarc-support@google.com", body: str = "A report.") -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "dmarc-reports@shop.reports.test"
    mail["Subject"] = "Report domain: shop.reports.test Submitter: google.com"
    mail["Message-ID"] = "<report-1@google.com>"
    mail.set_content(body)
    return mail.as_bytes()


def signed(raw: bytes, domain: str = "google.com", selector: str = "reporter") -> bytes:
    signature = dkim.sign(
        raw,
        selector.encode(),
        domain.encode(),
        KEY,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[b"from", b"to", b"subject", b"message-id"],
    )
    return signature + raw


def test_a_message_signed_by_its_from_domain_is_verified(resolver):
    found = verify_report_message(signed(message()), resolver=resolver)
    assert (found.code, found.signer, found.from_domain, found.verified) == (
        "verified",
        "google.com",
        "google.com",
        True,
    )


def test_an_unsigned_message_is_not_verified(resolver):
    found = verify_report_message(message(), resolver=resolver)
    assert (found.code, found.verified, found.from_domain) == ("unsigned", False, "google.com")


def test_a_valid_signature_of_another_organization_is_not_aligned(resolver):
    # The attacker signs with a key of his own domain, and writes Google's address in From.
    found = verify_report_message(signed(message(), domain="reports.test"), resolver=resolver)
    assert (found.code, found.signer, found.verified) == ("unaligned", None, False)
    assert "signed by reports.test" in found.detail


def test_a_changed_body_or_a_missing_key_does_not_verify(resolver):
    tampered = signed(message()).replace(b"A report.", b"A forged report.")
    assert verify_report_message(tampered, resolver=resolver).code == "bad_signature"
    no_key = signed(message(), selector="missing")
    assert verify_report_message(no_key, resolver=resolver).code == "bad_signature"


def test_a_message_without_a_single_from_address_is_not_verified(resolver):
    raw = signed(message()).replace(b"From: noreply-dmarc-support@google.com", b"From: a@google.com, b@evil.test")
    assert verify_report_message(raw, resolver=resolver).code == "no_from"


def test_a_silent_dns_is_a_dns_error_to_try_again_not_a_verdict(zone_server):
    with FaultProxy(zone_server.address) as proxy:
        proxy.add_rule("reporter._domainkey.google.com", Fault.DROP)
        resolver = Resolver([proxy.address], timeout=0.3, lifetime=0.6)
        found = verify_report_message(signed(message()), resolver=resolver, timeout=2.0)
    assert (found.code, found.verified) == ("dns_error", False)


def test_garbage_is_not_verified(resolver):
    for raw in (b"", b"\x00\xff" * 100, b"DKIM-Signature: v=1; d=google.com\r\nFrom: x@google.com\r\n\r\nbody"):
        assert not verify_report_message(raw, resolver=resolver).verified


def test_a_subdomain_signing_for_its_parent_is_aligned(resolver):
    raw = signed(message(sender="noreply@reports.test"), domain="reports.test")
    assert verify_report_message(raw, resolver=resolver).code == "verified"
    child = verify_report_message(
        signed(message(sender="dmarc@mail.reports.test"), domain="reports.test"), resolver=resolver
    )
    assert (child.code, child.signer, child.from_domain) == ("verified", "reports.test", "mail.reports.test")
