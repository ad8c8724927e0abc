"""The SPF record the engine suggests is what receivers evaluate as meant.

Each scenario of tests/zones/suggest.test.zone has a <label>-fixed twin holding the record the engine
must suggest; check_host() over that twin (Knot serving it) shows receivers authorize every server the
owner meant and no other, and the twin itself needs no suggestion.
"""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from odoo.addons.mail_domain_health.maildns.providers import get_provider
from odoo.addons.mail_domain_health.maildns.result import Status
from odoo.addons.mail_domain_health.maildns.spf import Modifier, SpfSyntaxError, check_host, parse_record, parse_term
from odoo.addons.mail_domain_health.maildns.spf_audit import _after_all, _term_key, audit_spf, suggest_record

ZONE = "suggest.test"
ODOO_SERVER = "149.202.206.10"
STRANGER = "203.0.113.77"

# label, provider, the codes found, the servers the owner meant to authorize (besides the provider's)
SCENARIOS = [
    ("all-first", "odoo", ["spf.all_not_last", "spf.sender_not_authorized"], ["198.51.100.7"]),
    ("all-middle", "odoo", ["spf.all_not_last"], ["198.51.100.8"]),
    ("two-alls", "odoo", ["spf.all_not_last", "spf.sender_not_authorized"], ["198.51.100.9"]),
    ("neutral-odoo", "odoo", ["spf.sender_not_authorized"], ["198.51.100.10"]),
    ("twice", "odoo", ["spf.allows_all"], []),
    ("redirect-only", "odoo", ["spf.sender_not_authorized"], ["198.51.100.11"]),
    ("modifier-first", "odoo", ["spf.sender_not_authorized"], ["198.51.100.12", "198.51.100.11"]),
    ("own-after-all", "ip:198.51.100.13", ["spf.all_not_last", "spf.sender_not_authorized"], []),
]


def txt(resolver, name):
    (record,) = resolver.lookup(name, "TXT").records
    return record


@pytest.mark.parametrize(("label", "provider", "codes", "meant"), SCENARIOS, ids=[row[0] for row in SCENARIOS])
def test_suggestion_is_the_record_receivers_read_as_meant(resolver, label, provider, codes, meant):
    sender = get_provider(provider)
    report = audit_spf(f"{label}.{ZONE}", sender, resolver=resolver)
    assert sorted(report.codes()) == codes
    fixed = f"{label}-fixed.{ZONE}"
    assert report.suggested_record == txt(resolver, fixed)
    # Every problem a record fixes carries the suggestion.
    assert {problem.record.value for problem in report.findings if problem.record} == {report.suggested_record}
    # The suggestion repeats no term and puts nothing after "all".
    terms = report.suggested_record.split()[1:]
    assert len(terms) == len(set(terms))
    mechanisms = [term for term in terms if "=" not in term]
    assert not any(term.endswith("all") for term in mechanisms[:-1])
    servers = [*(sender.sender_ips or [ODOO_SERVER]), *meant]
    for server in servers:
        assert check_host(server, fixed, f"info@{fixed}", resolver=resolver).result == "pass", server
    assert check_host(STRANGER, fixed, f"info@{fixed}", resolver=resolver).result in ("fail", "softfail")
    twin = audit_spf(fixed, sender, resolver=resolver)
    assert twin.suggested_record is None and twin.status is Status.PASS, twin.codes()


def test_all_not_last_says_which_terms_receivers_never_read(resolver):
    report = audit_spf(f"all-middle.{ZONE}", get_provider("odoo"), resolver=resolver)
    (found,) = report.findings
    assert found.status is Status.WARN
    assert found.params == {"domain": f"all-middle.{ZONE}", "all": "~all", "ignored": "ip4:198.51.100.8"}
    assert "never see ip4:198.51.100.8" in found.message
    # The walk counts what receivers evaluate; the suggestion's count is that of the record suggested.
    assert (report.dns_lookups, report.suggested_dns_lookups) == (1, 1)


def test_the_provider_is_authorized_by_its_own_terms_first():
    record = parse_record("v=spf1 -include:_spf.odoo.com a mx ~all")
    assert suggest_record(record, get_provider("odoo")) == "v=spf1 include:_spf.odoo.com a mx ~all"
    own = parse_record("v=spf1 ip4:198.51.100.20/32 ip6:2001:DB8::20 -all")
    assert suggest_record(own, get_provider("ip:198.51.100.20,2001:db8::20,198.51.100.21")) == (
        "v=spf1 ip4:198.51.100.20 ip6:2001:db8::20 ip4:198.51.100.21 -all"
    )


def test_a_record_read_as_written_needs_no_suggestion():
    for text in ("v=spf1 include:_spf.odoo.com -all", "v=spf1 redirect=_spf.example.com", "v=spf1 a a -all"):
        assert suggest_record(parse_record(text)) is None


TERMS = st.sampled_from(
    [
        "a",
        "-a",
        "mx/24",
        "ptr",
        "ip4:198.51.100.1",
        "~ip4:198.51.100.1/32",
        "ip6:2001:DB8::1",
        "include:_spf.odoo.com",
        "?include:_spf.odoo.com",
        "-include:_SPF.odoo.com.",
        "include:spf.example.com",
        "exists:%{i}.e.example.com",
        "all",
        "-all",
        "~all",
        "+all",
        "redirect=r.example.com",
        "exp=e.example.com",
    ]
)


@settings(max_examples=400, deadline=None)
@given(terms=st.lists(TERMS, max_size=8), provider=st.sampled_from([None, "odoo", "ip:198.51.100.1,2001:db8::1"]))
def test_any_suggestion_parses_repeats_nothing_and_ends_with_all(terms, provider):
    try:
        record = parse_record(" ".join(["v=spf1", *terms]))
    except SpfSyntaxError:
        assume(False)
    sender = get_provider(provider) if provider else None
    suggested = suggest_record(record, sender)
    if suggested is None:
        assert sender is None and not _after_all(record) and "+all" not in terms and "all" not in terms
        return
    fixed = parse_record(suggested)
    keys = [_term_key(term) for term in fixed.mechanisms if term.name != "all"]
    assert len(keys) == len(set(keys))
    assert all(term.name != "all" for term in fixed.mechanisms[:-1])
    assert all(term.qualifier != "+" for term in fixed.mechanisms if term.name == "all")
    original = {_term_key(term) for term in record.mechanisms if term.name != "all"}
    added = {_term_key(parse_term(text)) for text in sender.spf_mechanism().split()} if sender else set()
    assert set(keys) == original | added
    if sender:
        assert suggested.split()[1 : 1 + len(added)] == sender.spf_mechanism().split()
    assert [term.text for term in fixed.terms if isinstance(term, Modifier)] == [
        term.text for term in record.terms if isinstance(term, Modifier)
    ]
