"""DKIM keys, DMARC discovery and the address verdicts, over the real DNS server."""

import pytest

from maildns.address import audit_address, is_free_mail
from maildns.dkim import audit_dkim
from maildns.dmarc import audit_dmarc, parse_dmarc, walk_names
from maildns.names import parse_target
from maildns.providers import get_provider
from maildns.report import DkimReport, DmarcReport, SpfReport, Status
from maildns.tags import parse_tags

ODOO = get_provider("odoo")
OWN_SERVER = get_provider("ip:192.0.2.25")


def dkim(resolver, domain, provider=OWN_SERVER, selectors=("mail",)):
    return audit_dkim(domain, provider, selectors, resolver=resolver)


def dmarc(resolver, domain, *, authorized=False):
    return audit_dmarc(domain, ODOO, spf=SpfReport(sender_authorized=authorized), dkim=DkimReport(), resolver=resolver)


@pytest.mark.parametrize(
    ("domain", "key_type", "bits", "codes", "status"),
    [
        ("rsa1024.keys.test", "rsa", 1024, ["dkim.weak_key"], Status.WARN),
        ("rsa512.keys.test", "rsa", 512, ["dkim.weak_key"], Status.FAIL),
        ("ed.keys.test", "ed25519", 256, [], Status.PASS),
    ],
)
def test_key_type_and_size(resolver, domain, key_type, bits, codes, status):
    report = dkim(resolver, domain)
    assert (report.key_type, report.key_bits) == (key_type, bits)
    assert report.codes() == codes
    assert report.status is status


@pytest.mark.parametrize(
    ("domain", "code"),
    [
        ("revoked.keys.test", "dkim.revoked"),
        ("badb64.keys.test", "dkim.syntax"),
        ("notakey.keys.test", "dkim.syntax"),
        ("unknownk.keys.test", "dkim.syntax"),
        ("vlast.keys.test", "dkim.syntax"),
        ("bare.keys.test", "dkim.missing"),
    ],
)
def test_unusable_keys_fail(resolver, domain, code):
    report = dkim(resolver, domain)
    assert report.codes() == [code]
    assert report.status is Status.FAIL


def test_odoo_selector_pointing_elsewhere_is_wrong_target(resolver):
    report = dkim(resolver, "wrong.keys.test", ODOO, None)
    assert "dkim.wrong_target" in report.codes()
    fix = next(problem.record for problem in report.problems if problem.code == "dkim.wrong_target")
    assert (fix.name, fix.type, fix.value) == ("odoo._domainkey.wrong.keys.test", "CNAME", "odoo._domainkey.odoo.com.")


def test_missing_google_key_says_where_to_get_it(resolver):
    report = dkim(resolver, "bare.keys.test", get_provider("google"), None)
    assert report.codes() == ["dkim.missing"]
    assert "admin console" in report.problems[0].message


def test_domainkey_probe_tells_empty_non_terminal_from_nothing(resolver):
    assert dkim(resolver, "probe.keys.test", selectors=()).domainkey_exists is True
    assert dkim(resolver, "bare.keys.test", selectors=()).domainkey_exists is False


def test_tag_list_parser_reports_duplicates_and_garbage():
    parsed = parse_tags(" v = DKIM1 ; p=AB CD; p=x; junk;;")
    assert parsed.tags == {"v": "DKIM1", "p": "ABCD"}
    assert len(parsed.errors) == 2


def test_invalid_policy_is_a_failing_syntax_problem(resolver):
    report = dmarc(resolver, "badp.keys.test")
    assert report.codes() == ["dmarc.syntax"]
    assert report.status is Status.FAIL
    assert report.problems[0].record.value == "v=DMARC1; p=none"


def test_lesser_tag_problems_warn_and_obsolete_tags_pass(resolver):
    report = dmarc(resolver, "badrua.keys.test")
    assert set(report.codes()) == {"dmarc.syntax"}
    assert report.status is Status.WARN
    assert len(report.problems) == 2  # sp=maybe, rua not mailto; pct is only obsolete
    assert report.obsolete_tags == ("pct",)


def test_two_records_at_one_name_count_as_none(resolver):
    assert dmarc(resolver, "two.keys.test").codes() == ["dmarc.missing"]


def test_aliased_record_is_followed(resolver):
    report = dmarc(resolver, "aliased.keys.test")
    assert (report.policy, report.subdomain_policy, report.effective_policy) == ("quarantine", "reject", "quarantine")


def test_deep_name_finds_the_organisation_record_with_its_sp(resolver):
    report = dmarc(resolver, "a.b.c.d.e.f.g.h.org.keys.test")
    assert report.record_domain == "org.keys.test"
    assert report.effective_policy == "quarantine"


def test_tree_walk_asks_at_most_eight_names():
    names = walk_names("a.b.c.d.e.f.g.h.org.keys.test")
    assert names[0] == "a.b.c.d.e.f.g.h.org.keys.test"
    assert names[1] == "e.f.g.h.org.keys.test"
    assert names[-1] == "test"
    assert len(names) == 8


def test_provider_alignment_follows_spf(resolver):
    assert dmarc(resolver, "quarantined.keys.test", authorized=True).provider_can_pass is True
    refused = dmarc(resolver, "quarantined.keys.test")
    assert refused.provider_can_pass is False
    assert "quarantine" in refused.advice


def test_parse_dmarc_never_raises_on_garbage():
    for text in ("", ";;;", "v=DMARC1", "v=DMARC1; p", "\x00\xff=;=", "v=DMARC1; p=REJECT; fo=2:x"):
        record = parse_dmarc(text)
        assert record.policy in (None, "reject")


def test_quarantine_address_warns_unless_the_provider_passes(resolver):
    target = parse_target("kim@quarantined.keys.test")
    assert audit_address(target, dmarc(resolver, "quarantined.keys.test")).codes() == ["address.dmarc_quarantine"]
    assert audit_address(target, dmarc(resolver, "quarantined.keys.test", authorized=True)).codes() == []


def test_free_mail_is_known_offline_with_subdomains():
    assert is_free_mail("gmail.com") and is_free_mail("mail.yahoo.co.jp") and is_free_mail("GMX.de")
    assert not is_free_mail("example.com") and not is_free_mail("com")
    report = audit_address(parse_target("jo@hotmail.fr"), DmarcReport())
    assert report.codes() == ["address.free_mail"]
