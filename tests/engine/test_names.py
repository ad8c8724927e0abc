"""What a user may type as a target, and the messages for what they may not."""

import pytest

from odoo.addons.mail_domain_health.maildns import InvalidTarget
from odoo.addons.mail_domain_health.maildns.names import is_public_dns_name, parse_target, to_ascii, to_unicode


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("  example.com  ", "example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
        ("日本語ドメイン.jp", "xn--eckwd4c7c5976acvb2w6i.jp"),
        ("_dmarc.example.com", "_dmarc.example.com"),
        ("a" * 63 + ".example", "a" * 63 + ".example"),
    ],
)
def test_domains_are_normalised_to_a_labels(text, expected):
    assert to_ascii(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("a" * 64 + ".example", "longer than 63"),
        (".".join(["abcdefghij"] * 24) + ".example", "at most 253"),
        ("example", "no dot"),
        ("exa mple.com", "spaces"),
        ("example..com", "empty label"),
        ("192.0.2.1", "IP address"),
        ("[2001:db8::1]", "IP address"),
        ("-bad.example", "start or end"),
        ("bad!.example", "only letters"),
        ("example.123", "all digits"),
        ("p\u0430ypal.com", "mixes scripts"),
    ],
)
def test_bad_domains_say_what_is_wrong(text, fragment):
    with pytest.raises(InvalidTarget, match=fragment):
        to_ascii(text)


def test_address_target_keeps_the_local_part():
    target = parse_target("Jane.Doe@Example.COM")
    assert target.is_address
    assert target.domain == "example.com"
    assert target.address == "Jane.Doe@example.com"


def test_domain_target_has_no_address():
    target = parse_target("example.com")
    assert not target.is_address
    assert target.domain == "example.com"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a@b@example.com", "exactly one"),
        ("@example.com", "nothing before"),
        ('"quoted"@example.com', "quoted"),
        ("jane..doe@example.com", "misplaced dot"),
        ("jane@", "empty"),
        ("jane@localhost", "no dot"),
        ("x" * 65 + "@example.com", "64"),
    ],
)
def test_bad_addresses_say_what_is_wrong(text, fragment):
    with pytest.raises(InvalidTarget, match=fragment):
        parse_target(text)


def test_invalid_target_is_a_value_error():
    with pytest.raises(ValueError):
        parse_target("")


# Which names can be asked of the public DNS (a sending host, an alias domain).


@pytest.mark.parametrize(
    "name",
    [
        "example.com",
        "Mail.Example.COM.",
        "smtp.gmail.com",
        "bücher.example",
        "_dmarc.example.org",
        # RFC 6761 asks software not to treat test and example names specially.
        "good.check.test",
        "mail.acme.example",
        # Only the last labels count: a label named like a private suffix elsewhere is fine.
        "local.example.com",
        "corp.example.net",
    ],
)
def test_public_names(name):
    assert is_public_dns_name(name) is True


@pytest.mark.parametrize(
    "name",
    [
        "localhost",
        "mail.localhost",
        "printer.local",
        "nas.home.arpa",
        "erp.internal",
        "mail.lan",
        "gw.corp",
        "router.home",
        "files.intranet",
        "db.private",
        "anything.invalid",
        "hidden.onion",
        "name.alt",
        "mailserver",
        "192.0.2.25",
        "::1",
        "a..b",
        "",
    ],
)
def test_private_special_and_malformed_names_are_not_public(name):
    assert is_public_dns_name(name) is False


def test_a_site_can_name_its_own_private_suffixes():
    assert is_public_dns_name("mail.ad.acme.com", ["ad.acme.com"]) is False
    assert is_public_dns_name("mail.ad.acme.com", ["AD.Acme.com."]) is False
    assert is_public_dns_name("mail.acme.com", ["ad.acme.com"]) is True
    assert is_public_dns_name("srv.büro", ["büro"]) is False


def test_a_suffix_that_is_no_name_is_refused():
    with pytest.raises(InvalidTarget):
        is_public_dns_name("mail.acme.com", ["."])


def test_to_unicode_shows_a_names_labels_as_written():
    assert to_unicode("xn--bckerei-mller-bfb28a.example") == "bäckerei-müller.example"
    assert to_unicode("_dmarc.xn--bcher-kva.example") == "_dmarc.bücher.example"
    assert to_unicode("plain.example") == "plain.example"
    # Not a valid A-label: shown as it is, never raised.
    assert to_unicode("xn--zz-.example") == "xn--zz-.example"
    assert to_ascii(to_unicode("xn--bcher-kva.example")) == "xn--bcher-kva.example"
