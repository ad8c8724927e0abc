"""DMARC: discovery by the RFC 9989 tree walk, the policy that applies, and alignment, over the real DNS server."""

import pytest

from odoo.addons.mail_domain_health.maildns import Resolver
from odoo.addons.mail_domain_health.maildns.dmarc import (
    FoundRecord,
    audit_dmarc,
    organizational_domain,
    parse_dmarc,
    suggested_record,
    walk_names,
)
from odoo.addons.mail_domain_health.maildns.providers import get_provider
from odoo.addons.mail_domain_health.maildns.result import DkimResult, SpfResult, Status
from odoo.addons.mail_domain_health.tests.support.dnsproxy import Fault, FaultProxy

ZONE = "dmarc-scenarios.test"
ODOO = get_provider("odoo")
SIGNED = DkimResult(selector="odoo", selectors_checked=("odoo",))


def dmarc(resolver, label, *, authorized=False, dkim=None):
    spf = SpfResult(sender_authorized=authorized)
    return audit_dmarc(f"{label}.{ZONE}", ODOO, spf=spf, dkim=dkim or SIGNED, resolver=resolver)


@pytest.fixture
def proxy(zone_server):
    with FaultProxy(zone_server.address) as running:
        yield running


def policies(report):
    return report.policy, report.subdomain_policy, report.effective_policy


# Where the record is found.


def test_own_record_applies_with_its_p(resolver):
    report = dmarc(resolver, "own")
    assert report.status is Status.PASS
    assert report.record.startswith("v=DMARC1; p=reject")
    assert report.record_domain == report.organizational_domain == f"own.{ZONE}"
    assert policies(report) == ("reject", None, "reject")


def test_subdomain_gets_the_organization_sp(resolver):
    report = dmarc(resolver, "shop.corp")
    assert report.record_domain == report.organizational_domain == f"corp.{ZONE}"
    assert policies(report) == ("none", "quarantine", "quarantine")
    assert report.codes() == []


def test_organization_itself_gets_p_not_sp(resolver):
    assert dmarc(resolver, "corp").effective_policy == "none"


def test_non_existent_subdomain_gets_np(resolver):
    report = dmarc(resolver, "ghost.corp")
    assert report.record_domain == f"corp.{ZONE}"
    assert (report.nonexistent_policy, report.effective_policy) == ("reject", "reject")


def test_deep_name_walks_at_most_eight_names_to_the_organization(proxy):
    resolver = Resolver([proxy.address], timeout=1.0, lifetime=2.0)
    report = dmarc(resolver, "a.b.c.d.e.f.g.h.corp")
    assert report.record_domain == f"corp.{ZONE}"
    assert report.effective_policy == "quarantine"
    asked = {name for (name, rdtype, _) in proxy.queries if name.startswith("_dmarc.")}
    assert asked == {f"_dmarc.{name}" for name in walk_names(f"a.b.c.d.e.f.g.h.corp.{ZONE}")}
    assert len(asked) == 8


def test_name_too_long_for_a_record_of_its_own_is_covered_by_its_organization(resolver):
    label = f"{'a' * 60}.{'b' * 60}.{'c' * 60}.{'d' * 38}.corp"
    assert len(f"_dmarc.{label}.{ZONE}") > 253 >= len(f"{label}.{ZONE}")
    report = dmarc(resolver, label)
    assert report.codes() == []
    # The name does not exist: np= applies.
    assert (report.record_domain, report.effective_policy) == (f"corp.{ZONE}", "reject")


def test_walk_passes_over_a_department_record_to_the_organization(resolver):
    # sales.corp has a record without psd=: the organizational domain is corp, the record with the fewest labels.
    report = dmarc(resolver, "eu.sales.corp")
    assert report.organizational_domain == report.record_domain == f"corp.{ZONE}"
    assert report.effective_policy == "quarantine"


def test_department_record_applies_to_its_own_name(resolver):
    report = dmarc(resolver, "sales.corp")
    assert (report.record_domain, report.effective_policy) == (f"sales.corp.{ZONE}", "reject")


def test_psd_n_makes_the_department_the_organization(resolver):
    report = dmarc(resolver, "team.unit.group")
    assert report.organizational_domain == report.record_domain == f"unit.group.{ZONE}"
    assert report.effective_policy == "reject"


def test_public_suffix_domain_policy_applies_below_a_registration_without_record(resolver):
    report = dmarc(resolver, "mail.bare.registry")
    assert report.organizational_domain == f"bare.registry.{ZONE}"
    assert report.record_domain == f"registry.{ZONE}"
    assert report.effective_policy == "quarantine"


def test_registration_record_wins_over_its_public_suffix_domain(resolver):
    report = dmarc(resolver, "mail.member.registry")
    assert report.organizational_domain == report.record_domain == f"member.registry.{ZONE}"
    assert report.effective_policy == "reject"


def test_aliased_record_is_followed(resolver):
    report = dmarc(resolver, "aliased")
    assert report.record_domain == f"aliased.{ZONE}"
    assert policies(report) == ("quarantine", "reject", "quarantine")


def test_record_in_two_strings_is_joined(resolver):
    report = dmarc(resolver, "split")
    assert report.policy == "reject"
    assert report.codes() == []


def test_missing_record_warns_with_a_monitoring_record_to_publish(resolver):
    report = dmarc(resolver, "nothing")
    assert report.codes() == ["dmarc.missing"]
    assert report.status is Status.WARN
    fix = report.findings[0].record
    assert (fix.name, fix.type, fix.value) == (f"_dmarc.nothing.{ZONE}", "TXT", "v=DMARC1; p=none")
    assert "quarantine or reject" in report.findings[0].message
    assert report.effective_policy is None


# Records receivers ignore or read otherwise.


def test_two_records_at_one_name_count_as_none(resolver):
    report = dmarc(resolver, "two")
    assert report.codes() == ["dmarc.multiple_records"]
    assert report.status is Status.FAIL
    assert "2 DMARC records" in report.findings[0].message
    assert report.record is None and report.effective_policy is None


def test_lower_case_version_is_ignored_and_repaired(resolver):
    report = dmarc(resolver, "lowercase")
    assert report.codes() == ["dmarc.syntax"]
    assert report.status is Status.FAIL
    assert report.record is None
    assert report.findings[0].record.value == f"v=DMARC1; p=reject; rua=mailto:dmarc@lowercase.{ZONE}"


def test_invalid_policy_without_reports_makes_the_record_void(resolver):
    report = dmarc(resolver, "badp")
    assert report.codes() == ["dmarc.syntax"]
    assert report.status is Status.FAIL
    assert (report.policy, report.effective_policy) == (None, None)
    assert report.findings[0].record.value == "v=DMARC1; p=none"


def test_invalid_policy_with_reports_acts_as_none(resolver):
    report = dmarc(resolver, "badp-reports")
    assert report.status is Status.FAIL
    assert report.effective_policy == "none"
    assert report.findings[0].record.value == f"v=DMARC1; p=none; rua=mailto:dmarc@badp-reports.{ZONE}"


def test_record_without_p_but_with_reports_is_a_monitoring_record(resolver):
    report = dmarc(resolver, "nop-reports")
    assert report.codes() == ["dmarc.syntax", "dmarc.policy_none"]
    assert report.status is Status.WARN
    assert report.effective_policy == "none"


def test_invalid_subdomain_policy_voids_the_strict_policy(resolver):
    report = dmarc(resolver, "badsp")
    assert report.status is Status.FAIL
    assert report.effective_policy is None
    assert report.findings[0].record.value == "v=DMARC1; p=reject"


def test_repeated_tag_fails(resolver):
    report = dmarc(resolver, "duplicate")
    assert report.codes() == ["dmarc.syntax"]
    assert report.status is Status.FAIL
    assert "twice" in report.findings[0].message


def test_lesser_problems_warn_and_obsolete_or_unknown_tags_are_notes(resolver):
    report = dmarc(resolver, "lesser")
    assert report.status is Status.WARN
    assert set(report.codes()) == {"dmarc.syntax"}
    messages = " ".join(problem.message for problem in report.findings)
    assert "adkim=x" in messages and "https://reports.example/x" in messages and "fo=2" in messages
    assert len(report.findings) == 3
    assert report.obsolete_tags == ("pct", "ri")
    notes = " ".join(report.notes)
    assert "pct= was removed by RFC 9989" in notes and "colour= is not a DMARC tag" in notes
    assert report.effective_policy == "quarantine"


def test_testing_mode_applies_one_step_below(resolver):
    report = dmarc(resolver, "testing")
    assert report.testing is True
    assert (report.policy, report.effective_policy) == ("reject", "quarantine")


# Whether the provider's mail passes.


def test_provider_passes_through_spf_alone(resolver):
    report = dmarc(resolver, "quarantined", authorized=True, dkim=DkimResult())
    assert (report.spf_aligned, report.dkim_aligned, report.provider_can_pass) == (True, None, True)
    assert "dmarc.provider_fails" not in report.codes()


def test_provider_passes_through_dkim_even_under_strict_alignment(resolver):
    report = dmarc(resolver, "strict", dkim=SIGNED)
    assert report.strict_alignment is True
    assert (report.spf_aligned, report.dkim_aligned, report.provider_can_pass) == (False, True, True)


def test_provider_with_neither_is_told_what_receivers_do(resolver):
    failing = DkimResult(selector="odoo", selectors_checked=("odoo",))
    failing.add("dkim.missing_key", Status.FAIL, {"name": "odoo._domainkey.example.com", "provider": "Odoo"})
    report = dmarc(resolver, "quarantined", dkim=failing)
    assert (report.dkim_aligned, report.provider_can_pass) == (False, False)
    # Under p=quarantine the provider's mail is junked: a warning that says so, with its params.
    problem = next(problem for problem in report.findings if problem.code == "dmarc.provider_fails")
    assert (problem.status, problem.params["policy"]) == (Status.WARN, "quarantine")


def test_unknown_dkim_leaves_the_verdict_open(resolver):
    report = dmarc(resolver, "quarantined", dkim=DkimResult())
    assert (report.spf_aligned, report.dkim_aligned, report.provider_can_pass) == (False, None, None)
    # Not a pass: the policy is enforced and nothing could tell whether the mail passes it.
    assert report.codes() == ["dmarc.provider_unknown"]
    assert report.status is Status.UNKNOWN


# DNS faults become problems, never exceptions.


@pytest.mark.parametrize(
    ("name", "fault", "code"),
    [
        (f"_dmarc.faulty.{ZONE}", Fault.SERVFAIL, "dns.servfail"),
        (f"_dmarc.faulty.{ZONE}", Fault.DROP, "dns.timeout"),
        # The record of under.faulty is looked for up the tree: the walk breaks at faulty.
        (f"_dmarc.faulty.{ZONE}", Fault.REFUSED, "dns.refused"),
    ],
)
def test_dns_fault_is_an_error_without_a_verdict(proxy, name, fault, code):
    proxy.add_rule(name, fault)
    resolver = Resolver([proxy.address], timeout=0.3, lifetime=0.6)
    for label in ("faulty", "under.faulty"):
        report = dmarc(resolver, label)
        assert report.codes() == [code]
        assert report.status is Status.ERROR
        assert report.record is None and report.provider_can_pass is None


def test_fault_above_a_domain_with_its_own_record_does_not_matter(proxy):
    proxy.add_rule(f"_dmarc.{ZONE}", Fault.SERVFAIL)
    resolver = Resolver([proxy.address], timeout=0.3, lifetime=0.6)
    assert dmarc(resolver, "own").codes() == []
    assert dmarc(resolver, "nothing").codes() == ["dns.servfail"]


# The parts alone, no DNS.


def test_walk_names_shorten_long_names_to_seven_labels():
    names = walk_names("a.b.c.d.e.f.g.h.i.j.mail.example.com")
    assert names == [
        "a.b.c.d.e.f.g.h.i.j.mail.example.com",
        "g.h.i.j.mail.example.com",
        "h.i.j.mail.example.com",
        "i.j.mail.example.com",
        "j.mail.example.com",
        "mail.example.com",
        "example.com",
        "com",
    ]
    assert walk_names("mail.example.com") == ["mail.example.com", "example.com", "com"]
    assert walk_names("com") == ["com"]


def test_organizational_domain_rules():
    def found(name, record):
        return FoundRecord(name, record, parse_dmarc(record))

    plain, psd_n, psd_y = "v=DMARC1; p=none", "v=DMARC1; p=none; psd=n", "v=DMARC1; p=none; psd=y"
    start = "a.mail.example.com"
    assert organizational_domain(start, [found("mail.example.com", plain), found("example.com", plain)]) == (
        "example.com"
    )
    assert organizational_domain(start, [found("mail.example.com", psd_n)]) == "mail.example.com"
    assert organizational_domain(start, [found("com", psd_y)]) == "example.com"
    assert organizational_domain(start, []) == start


@pytest.mark.parametrize(
    ("text", "policy", "subdomain", "nonexistent"),
    [
        ("v=DMARC1; p=reject", "reject", None, None),
        ("v=DMARC1;p=QUARANTINE;sp=none;np=reject", "quarantine", "none", "reject"),
        ("v = DMARC1 ; p = none ;", "none", None, None),
        ("v=DMARC1; p=block", None, None, None),
        ("v=DMARC1; p=block; rua=mailto:a@example.com", "none", None, None),
        ("v=DMARC1; p=reject; np=never; rua=mailto:a@example.com", "none", None, None),
        ("v=DMARC1; rua=mailto:a@example.com", "none", None, None),
        ("v=DMARC1", None, None, None),
        ("v=dmarc1; p=reject", "reject", None, None),
    ],
)
def test_parse_policies(text, policy, subdomain, nonexistent):
    record = parse_dmarc(text)
    assert (record.policy, record.subdomain_policy, record.nonexistent_policy) == (policy, subdomain, nonexistent)


def test_parse_reports_a_record_not_starting_with_the_version():
    assert parse_dmarc("p=reject; v=DMARC1").findings[0].status is Status.FAIL
    assert parse_dmarc("v=dmarc1; p=reject").findings[0].status is Status.FAIL
    assert parse_dmarc("v=DMARC1; p=reject").findings == ()


def test_parse_accepts_every_valid_tag_value_silently():
    record = parse_dmarc(
        "v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; fo=d:s; psd=n; t=n; "
        "rua=mailto:a@example.com,mailto:b@example.net; ruf=mailto:f@example.com"
    )
    assert record.findings == ()
    assert record.notes == ()
    assert (record.adkim, record.aspf, record.psd, record.testing) == ("s", "r", "n", False)


def test_parse_notes_obsolete_size_suffix_and_fo_without_ruf():
    record = parse_dmarc("v=DMARC1; p=none; rua=mailto:a@example.com!10m; fo=1")
    assert record.findings == ()
    assert any("!size" in note for note in record.notes)
    assert any("fo= has no effect" in note for note in record.notes)


@pytest.mark.parametrize("text", ["", ";;;", "v=DMARC1; p", "\x00\xff=;=", "v=DMARC1; p=REJECT; fo=2:x", "=" * 300])
def test_parse_never_raises(text):
    record = parse_dmarc(text)
    assert record.policy in (None, "none", "quarantine", "reject")


def test_suggested_record_keeps_what_is_valid():
    assert suggested_record("v=DMARC1; p=block; sp=reject; adkim=q; aspf=s; rua=mailto:a@x.example, https://y") == (
        "v=DMARC1; p=none; sp=reject; aspf=s; rua=mailto:a@x.example"
    )
