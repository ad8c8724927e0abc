"""tools/addresses.py: addresses and lists as Odoo stores them, read into what the engine takes."""

import pytest

from odoo.addons.mail_domain_health.tools.addresses import ascii_or_none, email_domain, raw_domain, split_list


@pytest.mark.parametrize(
    ("stored", "domain"),
    [
        ("jane@Example.COM", "example.com"),
        ('"Jane" <jane@example.com>', "example.com"),
        ("odd@local@example.org", "example.org"),
        ("jane@", None),
        ("no address", None),
        (False, None),
        (None, None),
    ],
)
def test_raw_domain_is_what_follows_the_last_at_sign(stored, domain):
    assert raw_domain(stored) == domain


def test_email_domain_names_an_internationalized_domain_by_its_a_labels():
    assert email_domain("info@Bäckerei-Müller.check.test") == "xn--bckerei-mller-bfb28a.check.test"


@pytest.mark.parametrize("stored", ["jane@exa mple.com", "jane@-bad-.com", "jane@" + "a" * 64 + ".com", False])
def test_email_domain_of_what_is_no_domain_is_none(stored):
    assert email_domain(stored) is None


def test_ascii_or_none_keeps_a_plain_domain_and_refuses_a_bad_one():
    assert ascii_or_none("example.com") == "example.com"
    assert ascii_or_none("exa mple.com") is None
    assert ascii_or_none("") is None


@pytest.mark.parametrize(
    ("typed", "items"),
    [
        ("s1, s2 s3,,s4", ["s1", "s2", "s3", "s4"]),
        ("  ", []),
        (False, []),
        (None, []),
    ],
)
def test_split_list_takes_commas_spaces_or_both(typed, items):
    assert split_list(typed) == items
