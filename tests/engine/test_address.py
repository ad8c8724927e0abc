"""Addresses Odoo cannot send as: a reject or quarantine DMARC policy, or a public free-mail service;
and the same verdict when Odoo rewrites the From, and from stored facts without DNS."""

from importlib import resources

import pytest

from odoo.addons.mail_domain_health.maildns import InvalidTarget
from odoo.addons.mail_domain_health.maildns.address import (
    FREE_MAIL_FILE,
    address_verdict,
    audit_address,
    free_mail_domains,
    is_free_mail,
)
from odoo.addons.mail_domain_health.maildns.check import check_domain, check_domains
from odoo.addons.mail_domain_health.maildns.dmarc import audit_dmarc
from odoo.addons.mail_domain_health.maildns.names import parse_target, to_ascii
from odoo.addons.mail_domain_health.maildns.providers import get_provider
from odoo.addons.mail_domain_health.maildns.report import DkimReport, DmarcReport, SpfReport, Status, worst

ZONE = "dmarc-scenarios.test"
ODOO = get_provider("odoo")


def address_report(resolver, address, *, authorized=False):
    target = parse_target(address)
    spf = SpfReport(sender_authorized=authorized)
    # No key anywhere: DKIM known not to pass, so the verdict rests on SPF.
    dkim = DkimReport(domainkey_exists=False)
    dmarc = audit_dmarc(target.domain, ODOO, spf=spf, dkim=dkim, resolver=resolver)
    return audit_address(target, dmarc)


@pytest.mark.parametrize("address", ["jo@yahoo.com", "jo@aol.com"])
def test_reject_free_mail_services_fail(resolver, address):
    report = address_report(resolver, address)
    assert report.codes() == ["address.dmarc_reject", "address.free_mail"]
    assert report.status is Status.FAIL
    assert (report.address, report.free_mail) == (address, True)
    assert "refuse" in report.problems[0].message
    assert "domain you manage" in report.problems[0].message


def test_company_domain_with_reject_fails_while_odoo_is_not_authorized(resolver):
    report = address_report(resolver, f"kim@own.{ZONE}")
    assert report.codes() == ["address.dmarc_reject"]
    assert "authorize the servers Odoo sends through" in report.problems[0].message


def test_company_domain_with_reject_is_fine_once_odoo_passes(resolver):
    assert address_report(resolver, f"kim@own.{ZONE}", authorized=True).codes() == []


def test_quarantine_warns(resolver):
    report = address_report(resolver, f"kim@quarantined.{ZONE}")
    assert report.codes() == ["address.dmarc_quarantine"]
    assert report.status is Status.WARN
    assert "spam" in report.problems[0].message


def test_subdomain_address_is_judged_by_the_organization_sp(resolver):
    assert address_report(resolver, f"kim@shop.corp.{ZONE}").codes() == ["address.dmarc_quarantine"]


def test_testing_reject_policy_only_quarantines(resolver):
    assert address_report(resolver, f"kim@testing.{ZONE}").codes() == ["address.dmarc_quarantine"]


@pytest.mark.parametrize("label", ["nothing", "corp", "badp"])
def test_no_enforcing_policy_means_no_address_problem(resolver, label):
    report = address_report(resolver, f"kim@{label}.{ZONE}")
    assert report.codes() == []
    assert report.status is Status.PASS


@pytest.mark.parametrize("address", ["jo@gmail.com", "jo@hotmail.fr", "jo@GMX.de", "jo@mail.yahoo.co.jp"])
def test_free_mail_is_known_without_dns(address):
    report = audit_address(parse_target(address), DmarcReport(checked=False))
    assert report.codes() == ["address.free_mail"]
    assert report.free_mail is True
    assert "public email service" in report.problems[0].message


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("gmail.com", True),
        ("googlemail.com", True),
        ("outlook.com", True),
        ("yahoo.co.uk", True),
        ("yahoo.com.br", True),
        ("icloud.com", True),
        ("proton.me", True),
        ("web.de", True),
        ("qq.com", True),
        ("laposte.net", True),
        ("GMAIL.COM.", True),
        ("mx.mail.ru", True),
        ("example.com", False),
        ("notgmail.com", False),
        ("gmail.com.example", False),
        ("com", False),
        ("co.uk", False),
    ],
)
def test_is_free_mail(domain, expected):
    assert is_free_mail(domain) is expected


def test_shipped_list_holds_valid_unique_domains_and_is_read_once():
    text = (
        resources.files("odoo.addons.mail_domain_health.maildns").joinpath(FREE_MAIL_FILE).read_text(encoding="utf-8")
    )
    entries = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert len(entries) == len(set(entries)) == len(free_mail_domains())
    assert all(to_ascii(entry) == entry and "." in entry for entry in entries)
    assert {"gmail.com", "hotmail.com", "yahoo.fr", "aol.com", "gmx.net", "yandex.ru"} <= free_mail_domains()
    free_mail_domains.cache_clear()
    for _ in range(3):
        free_mail_domains()
    assert free_mail_domains.cache_info().misses == 1


# How the mail goes out: as the address itself, or rewritten to Odoo's notifications address.


def test_rewritten_from_makes_the_domain_policy_irrelevant(resolver):
    report = check_domain(f"kim@own.{ZONE}", resolver=resolver, sent_as=False)
    assert report.address.codes() == ["address.rewritten"]
    (rewritten,) = report.address.problems
    assert rewritten.status is Status.INFO
    assert rewritten.params == {"address": f"kim@own.{ZONE}", "domain": f"own.{ZONE}"}
    assert "notifications address" in rewritten.message
    # An INFO finding changes no verdict.
    assert report.address.status is Status.PASS


def test_rewritten_free_mail_address_still_warns_it_is_public(resolver):
    report = check_domain("jo@yahoo.com", resolver=resolver, sent_as=False)
    assert report.address.codes() == ["address.rewritten", "address.free_mail"]
    assert report.address.status is Status.WARN


def test_bulk_run_passes_the_sending_context_to_every_address(resolver):
    reports = check_domains([f"kim@own.{ZONE}", f"kim@quarantined.{ZONE}"], resolver=resolver, sent_as=False)
    assert [report.address.codes() for report in reports] == [["address.rewritten"], ["address.rewritten"]]


@pytest.mark.parametrize("address", ["jo@yahoo.com", f"kim@own.{ZONE}", f"kim@quarantined.{ZONE}", "jo@gmail.com"])
@pytest.mark.parametrize("sent_as", [True, False])
def test_verdict_from_stored_facts_is_the_verdict_of_the_check(resolver, address, sent_as):
    report = check_domain(address, resolver=resolver, sent_as=sent_as)
    stored = report.to_dict()
    verdict = address_verdict(
        address,
        effective_policy=stored["dmarc"]["effective_policy"],
        provider_can_pass=stored["dmarc"]["provider_can_pass"],
        free_mail=stored["address"]["free_mail"],
        sent_as=sent_as,
    )
    assert verdict == report.address.problems


@pytest.mark.parametrize(
    ("policy", "can_pass", "sent_as", "codes"),
    [
        ("reject", False, True, ["address.dmarc_reject"]),
        ("reject", None, True, ["address.dmarc_unknown"]),
        ("quarantine", None, True, ["address.dmarc_unknown"]),
        ("none", None, True, []),
        ("reject", True, True, []),
        ("quarantine", False, True, ["address.dmarc_quarantine"]),
        ("none", False, True, []),
        (None, None, True, []),
        ("reject", False, False, ["address.rewritten"]),
        ("quarantine", None, False, ["address.rewritten"]),
    ],
)
def test_address_verdict_without_dns(policy, can_pass, sent_as, codes):
    problems = address_verdict("Kim@Example.COM", effective_policy=policy, provider_can_pass=can_pass, sent_as=sent_as)
    assert [problem.code for problem in problems] == codes
    expected = {"address": "Kim@example.com", "domain": "example.com"}
    unknown = {**expected, "policy": policy}
    assert all(problem.params == (unknown if problem.status is Status.UNKNOWN else expected) for problem in problems)


def test_address_verdict_looks_free_mail_up_unless_told():
    assert [
        problem.code for problem in address_verdict("jo@gmx.de", effective_policy=None, provider_can_pass=None)
    ] == ["address.free_mail"]
    assert address_verdict("jo@gmx.de", effective_policy=None, provider_can_pass=None, free_mail=False) == []


@pytest.mark.parametrize("text", ["example.com", "jo@", "a@b@c.example", ""])
def test_address_verdict_needs_an_address(text):
    with pytest.raises(InvalidTarget):
        address_verdict(text, effective_policy=None, provider_can_pass=None)


def test_info_counts_as_pass_in_every_verdict():
    assert worst([Status.INFO]) is Status.PASS
    assert worst([Status.INFO, Status.WARN]) is Status.WARN
    assert worst([]) is Status.PASS
