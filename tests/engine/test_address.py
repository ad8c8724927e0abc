"""Addresses Odoo cannot send as: a reject or quarantine DMARC policy, or a public free-mail service;
and the same verdict when Odoo rewrites the From, and from stored facts without DNS."""

from importlib import resources

import pytest

from odoo.addons.mail_domain_health.maildns import InvalidTarget
from odoo.addons.mail_domain_health.maildns.address import (
    FREE_MAIL_FILE,
    address_verdict,
    audit_address,
    domain_relay_fails,
    free_mail_domains,
    free_mail_reason,
    is_free_mail,
    relay_verdict,
    user_verdict,
)
from odoo.addons.mail_domain_health.maildns.check import check_domain, check_domains
from odoo.addons.mail_domain_health.maildns.dmarc import audit_dmarc
from odoo.addons.mail_domain_health.maildns.names import parse_target, to_ascii
from odoo.addons.mail_domain_health.maildns.providers import get_provider
from odoo.addons.mail_domain_health.maildns.result import DkimResult, DmarcResult, SpfResult, Status, worst

ZONE = "dmarc-scenarios.test"
ODOO = get_provider("odoo")


def address_report(resolver, address, *, authorized=False):
    target = parse_target(address)
    spf = SpfResult(sender_authorized=authorized)
    # No key anywhere: DKIM known not to pass, so the verdict rests on SPF.
    dkim = DkimResult(domainkey_exists=False)
    dmarc = audit_dmarc(target.domain, ODOO, spf=spf, dkim=dkim, resolver=resolver)
    return audit_address(target, dmarc)


@pytest.mark.parametrize("address", ["jo@yahoo.com", "jo@aol.com"])
def test_reject_free_mail_services_fail(resolver, address):
    report = address_report(resolver, address)
    assert report.codes() == ["address.free_mail_dmarc_reject", "address.free_mail"]
    assert report.status is Status.FAIL
    assert (report.address, report.free_mail) == (address, True)
    # What receivers do, then the fix: never "authorize Odoo" for a domain nobody here can change.
    assert "refuse" in report.findings[0].message
    assert "authorize the servers" not in report.findings[0].message
    assert "domain you manage" in report.findings[1].message


def test_company_domain_with_reject_fails_while_odoo_is_not_authorized(resolver):
    report = address_report(resolver, f"kim@own.{ZONE}")
    assert report.codes() == ["address.dmarc_reject"]
    assert "authorize the servers Odoo sends through" in report.findings[0].message


def test_company_domain_with_reject_is_fine_once_odoo_passes(resolver):
    assert address_report(resolver, f"kim@own.{ZONE}", authorized=True).codes() == []


def test_quarantine_warns(resolver):
    report = address_report(resolver, f"kim@quarantined.{ZONE}")
    assert report.codes() == ["address.dmarc_quarantine"]
    assert report.status is Status.WARN
    assert "spam" in report.findings[0].message


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
    report = audit_address(parse_target(address), DmarcResult(checked=False))
    assert report.codes() == ["address.free_mail"]
    assert report.free_mail is True
    assert "public email service" in report.findings[0].message


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
    (rewritten,) = report.address.findings
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
    assert verdict == report.address.findings


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


@pytest.mark.parametrize(
    ("policy", "codes"),
    [
        ("reject", ["address.free_mail_dmarc_reject", "address.free_mail"]),
        ("quarantine", ["address.free_mail_dmarc_quarantine", "address.free_mail"]),
        ("none", ["address.free_mail"]),
    ],
)
def test_free_mail_dmarc_says_what_receivers_do_and_leaves_the_fix_to_the_free_mail_finding(policy, codes):
    problems = address_verdict("jo@gmx.de", effective_policy=policy, provider_can_pass=False)
    assert [problem.code for problem in problems] == codes
    assert all("authorize the servers" not in problem.message for problem in problems)
    assert problems[-1].message.endswith("Give this user an address on a domain you manage.")


# What a user's banner judges: the address, and the domain's own findings when they stand against the mail.


def test_user_on_a_company_domain_sent_as_the_address_counts_the_domain_sending_findings():
    verdict = user_verdict(f"kim@own.{ZONE}", effective_policy="reject", provider_can_pass=False)
    assert [problem.code for problem in verdict.findings] == ["address.dmarc_reject"]
    assert (
        verdict.concerns("spf", "fail") and verdict.concerns("dkim", "unknown") and verdict.concerns("domain", "error")
    )
    assert verdict.concerns("spf", "warn")
    # The DMARC part is the address verdict's own; information and passes stand against nothing.
    assert not verdict.concerns("dmarc", "fail")
    assert not verdict.concerns("spf", "info")
    assert not verdict.concerns("dkim", "pass")


def test_user_whose_mail_odoo_rewrites_is_not_judged_by_the_domain_records():
    verdict = user_verdict(f"kim@own.{ZONE}", effective_policy="reject", provider_can_pass=False, sent_as=False)
    assert [problem.code for problem in verdict.findings] == ["address.rewritten"]
    assert not verdict.concerns("spf", "fail")


def test_user_on_free_mail_is_not_told_to_fix_records_that_are_not_the_company_s():
    verdict = user_verdict("jo@yahoo.com", effective_policy="reject", provider_can_pass=False)
    assert [problem.code for problem in verdict.findings] == ["address.free_mail_dmarc_reject", "address.free_mail"]
    assert not verdict.concerns("spf", "fail")


@pytest.mark.parametrize("text", ["jo@@example.com", "jo.@example.com", '"jo smith"@example.com'])
def test_an_address_the_engine_cannot_read_is_unknown_not_passed(text):
    verdict = user_verdict(text, effective_policy="reject", provider_can_pass=False)
    (problem,) = verdict.findings
    assert (problem.code, problem.status, problem.params) == ("address.invalid", Status.UNKNOWN, {"text": text})
    assert problem.message.startswith(f"{text} is not an email address the check can read")
    assert not verdict.concerns("spf", "fail")
    relay = relay_verdict(text, effective_policy="reject", provider_can_pass=False)
    assert (relay.fails, relay.notes) == (False, (problem,))


# Mail Odoo relays as a contact: what receivers do, with no advice meant for a user.


@pytest.mark.parametrize(
    ("address", "policy", "code", "status"),
    [
        (f"kim@own.{ZONE}", "reject", "relay.dmarc_reject", Status.FAIL),
        ("jo@yahoo.com", "reject", "relay.dmarc_reject", Status.FAIL),
        (f"kim@quarantined.{ZONE}", "quarantine", "relay.dmarc_quarantine", Status.WARN),
        ("jo@gmx.de", "quarantine", "relay.dmarc_quarantine", Status.WARN),
    ],
)
def test_relayed_mail_refused_or_junked_fails(address, policy, code, status):
    verdict = relay_verdict(address, effective_policy=policy, provider_can_pass=False)
    assert verdict.fails
    (failure,) = verdict.failures
    assert (failure.code, failure.status) == (code, status)
    assert f"the messages Odoo relays as {address}" in failure.message
    assert "user" not in failure.message
    # Being a public email service is no news for a contact: only what happens to the relayed mail is.
    assert verdict.notes == ()


def test_relayed_mail_the_notifications_address_carries_is_delivered_and_says_so():
    verdict = relay_verdict("jo@yahoo.com", effective_policy="reject", provider_can_pass=False, sent_as=False)
    assert not verdict.fails
    assert [problem.code for problem in verdict.notes] == ["address.rewritten"]


def test_relayed_mail_the_check_could_not_judge_is_not_said_to_fail():
    verdict = relay_verdict(f"kim@q.{ZONE}", effective_policy="quarantine", provider_can_pass=None)
    assert not verdict.fails
    assert [problem.code for problem in verdict.notes] == ["address.dmarc_unknown"]


@pytest.mark.parametrize(
    ("domain", "policy", "can_pass", "sent_as", "fails"),
    [
        ("yahoo.com", "reject", False, True, True),
        ("yahoo.com", "reject", False, False, False),
        ("q.example", "quarantine", False, True, True),
        ("q.example", "quarantine", None, True, False),
        ("strict.example", "reject", True, True, False),
        ("none.example", "none", False, True, False),
        ("unknown.example", None, None, True, False),
        # Not a domain: nothing of it can be judged, so nothing is said to fail.
        ("bad..example", "reject", False, True, False),
    ],
)
def test_domain_relay_fails(domain, policy, can_pass, sent_as, fails):
    assert domain_relay_fails(domain, effective_policy=policy, provider_can_pass=can_pass, sent_as=sent_as) is fails


def test_domain_relay_verdict_is_the_verdict_of_a_checked_contact(resolver):
    report = check_domain(f"kim@own.{ZONE}", resolver=resolver)
    stored = report.to_dict()["dmarc"]
    facts = {"effective_policy": stored["effective_policy"], "provider_can_pass": stored["provider_can_pass"]}
    assert domain_relay_fails(f"own.{ZONE}", sent_as=True, **facts) is True
    assert relay_verdict(f"kim@own.{ZONE}", **facts).failures[0].params == report.address.findings[0].params


# What the SPF, DKIM and DMARC parts of a public email service's check say.


def test_free_mail_parts_are_not_the_administrator_s_to_change(resolver):
    report = check_domain("yahoo.com", resolver=resolver)
    codes = report.codes()
    policy = report.dmarc.effective_policy
    for part in ("spf", "dkim"):
        reason = free_mail_reason("yahoo.com", part, effective_policy=policy, codes=codes)
        assert (reason.code, reason.status) == ("domain.free_mail_part", Status.INFO)
        assert reason.message == "Not yours to change: yahoo.com is a public email service."
    reason = free_mail_reason("yahoo.com", "dmarc", effective_policy=policy, codes=codes)
    assert (reason.code, reason.status, reason.params) == (
        "domain.free_mail_dmarc",
        Status.FAIL,
        {"domain": "yahoo.com", "policy": "reject"},
    )
    assert reason.message.startswith("yahoo.com enforces DMARC (p=reject): receivers refuse or junk")


def test_free_mail_dmarc_that_stops_nothing_is_not_said_to_be_enforced():
    reason = free_mail_reason("gmx.de", "dmarc", effective_policy="none", codes=["dmarc.provider_fails"])
    assert reason.code == "domain.free_mail_part"
    reason = free_mail_reason("gmx.de", "dmarc", effective_policy="quarantine", codes=["dmarc.provider_fails"])
    assert (reason.code, reason.status) == ("domain.free_mail_dmarc", Status.WARN)


def test_a_user_verdict_says_receivers_accept_an_address_nothing_stands_against():
    verdict = user_verdict("ops@good.check.test", effective_policy="reject", provider_can_pass=True)
    assert verdict.findings == ()
    (said,) = verdict.said()
    assert (said.code, said.status, dict(said.params)) == (
        "address.accepted",
        Status.PASS,
        {"address": "ops@good.check.test"},
    )
    assert said.message == "Receivers accept the mail Odoo sends as ops@good.check.test."


def test_a_user_verdict_with_findings_says_those_only():
    verdict = user_verdict("jo@yahoo.com", effective_policy="reject", provider_can_pass=False)
    assert verdict.said() == verdict.findings
    assert "address.accepted" not in {finding.code for finding in verdict.said()}
