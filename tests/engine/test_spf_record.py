"""SPF records and macros without DNS: the grammar of RFC 7208 and the examples of its section 7.4."""

import ipaddress

import pytest

from odoo.addons.mail_domain_health.maildns.errors import InvalidTarget, MailDNSError
from odoo.addons.mail_domain_health.maildns.spf import (
    MacroContext,
    Mechanism,
    Modifier,
    SpfSyntaxError,
    check_host,
    expand,
    expand_domain,
    is_spf_record,
    parse_domain_spec,
    parse_macro_string,
    parse_record,
    select_records,
)


def test_terms_are_typed_and_kept_in_order():
    record = parse_record(
        "v=spf1 -ip4:192.0.2.0/24 ~a:mail.example.com/28//64 mx ?include:_spf.example.net "
        "exists:%{i}.bl.example.org ip6:2001:db8::/32 ptr redirect=_spf.example.com "
        "exp=why.example.com x-note=%{d}"
    )
    kinds = [(type(term).__name__, term.name) for term in record.terms]
    assert kinds == [
        ("Mechanism", "ip4"),
        ("Mechanism", "a"),
        ("Mechanism", "mx"),
        ("Mechanism", "include"),
        ("Mechanism", "exists"),
        ("Mechanism", "ip6"),
        ("Mechanism", "ptr"),
        ("Modifier", "redirect"),
        ("Modifier", "exp"),
        ("Modifier", "x-note"),
    ]
    ip4, a, mx = record.mechanisms[:3]
    assert (ip4.qualifier, ip4.result, str(ip4.network)) == ("-", "fail", "192.0.2.0/24")
    assert (a.qualifier, a.domain, a.cidr4, a.cidr6) == ("~", "mail.example.com", 28, 64)
    assert (mx.qualifier, mx.domain, mx.cidr4, mx.cidr6) == ("+", None, 32, 128)
    assert record.redirect.value == "_spf.example.com"
    assert record.explanation.value == "why.example.com"
    assert [term.queries_dns for term in record.terms] == [
        False,
        True,
        True,
        True,
        True,
        False,
        True,
        True,
        False,
        False,
    ]


def test_mechanism_names_and_version_are_case_insensitive():
    record = parse_record("V=SPF1 -ALL")
    assert isinstance(record.terms[0], Mechanism)
    assert record.terms[0].name == "all"
    assert isinstance(parse_record("v=spf1 REDIRECT=example.com").terms[0], Modifier)


@pytest.mark.parametrize(
    ("record", "position", "reason"),
    [
        ("v=spf1 ip4:192.0.2.1 -all moo", 26, "unknown mechanism 'moo'"),
        ("v=spf1 a/33", 8, "CIDR length /33"),
        ("v=spf1 ip4:1.2.3", 11, "'1.2.3' is not an IPv4 address"),
        ("v=spf1 include:", 15, "a domain is required"),
        ("v=spf1 a:example.com%x", 20, "'%' must be followed"),
        ("v=spf1 exists:%{r}.example.com", 16, "unknown macro letter 'r'"),
        ("v=spf1 exp=a.example.com exp=b.example.com", 25, "'exp=' appears more than once"),
        ("v=spf1 a:museum", 9, "not a domain"),
        ("v=spf1 1up=foo", 7, "not a modifier name"),
        ("v=spf1 a:caf\u00e9.example.com", 12, "printable ASCII"),
        ("v=spf1 -all:x", 11, "'all' takes no argument"),
    ],
)
def test_syntax_errors_carry_their_position(record, position, reason):
    with pytest.raises(SpfSyntaxError) as caught:
        parse_record(record)
    assert caught.value.position == position
    assert reason in caught.value.reason
    assert f"at character {position + 1}" in str(caught.value)
    assert isinstance(caught.value, MailDNSError)


@pytest.mark.parametrize(
    ("text", "selected"),
    [
        ("v=spf1", True),
        ("v=spf1 -all", True),
        ("V=SpF1 ~all", True),
        ("v=spf10 -all", False),
        ("v=spf1mx", False),
        ("spf1 -all", False),
        (" v=spf1 -all", False),
    ],
)
def test_record_selection(text, selected):
    assert is_spf_record(text) is selected


def test_select_records_keeps_only_spf():
    texts = ["google-site-verification=abc", "v=spf1 -all", "v=spf10", "v=spf1 mx"]
    assert select_records(texts) == ("v=spf1 -all", "v=spf1 mx")


def context(ip: str = "192.0.2.3") -> MacroContext:
    return MacroContext(
        sender="strong-bad@email.example.com",
        local_part="strong-bad",
        sender_domain="email.example.com",
        domain="email.example.com",
        ip=ipaddress.ip_address(ip),
        helo="mx.example.org",
    )


@pytest.mark.parametrize(
    ("macro", "expansion"),
    [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
    ],
)
def test_rfc7208_macro_examples(macro, expansion):
    assert expand(parse_macro_string(macro), context()) == expansion


def test_rfc7208_ipv6_macro_example():
    tokens = parse_macro_string("%{ir}.%{v}._spf.%{d2}")
    assert expand(tokens, context("2001:db8::cb01")) == (
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
    )


def test_escapes_and_url_encoding():
    tokens = parse_macro_string("%%%_%-%{S}", explanation=True)
    assert expand(tokens, context()) == "% %20strong-bad%40email.example.com"


def test_explanation_letters_only_in_explanations():
    with pytest.raises(SpfSyntaxError):
        parse_macro_string("%{c}")
    assert expand(parse_macro_string("from %{c} via %{r}", explanation=True), context()) == "from 192.0.2.3 via unknown"


def test_expanded_domain_is_cut_from_the_left_to_253_characters():
    tokens = parse_domain_spec("%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com.")
    full = ".".join(["email.example.com"] * 14 + ["example.com"])
    assert len(full) == 263
    # Whole labels go, from the left, until the name fits: "email." and "example." here.
    assert expand_domain(tokens, context()) == full.removeprefix("email.example.")


def test_zero_parts_is_a_syntax_error():
    with pytest.raises(SpfSyntaxError):
        parse_macro_string("%{d0}")


def test_bad_ip_is_rejected_before_any_dns():
    with pytest.raises(InvalidTarget):
        check_host("not-an-ip", "example.com", "a@example.com")
