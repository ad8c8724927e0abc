"""Every finding has its sentence in maildns.messages, filled from its params alone.

The scenario zones (served by Knot) and the DNS fault proxy produce every code the engine emits;
each problem must carry exactly the params its template names, and every template must be used.
"""

import pytest

from odoo.addons.mail_domain_health.maildns import (
    Resolver,
    address_verdict,
    free_mail_reason,
    is_fault,
    relay_verdict,
    user_verdict,
)
from odoo.addons.mail_domain_health.maildns.check import check_domain, check_domains
from odoo.addons.mail_domain_health.maildns.messages import MESSAGES, PLACEHOLDERS, render
from odoo.addons.mail_domain_health.maildns.result import Finding, Status
from odoo.addons.mail_domain_health.tests.support.dnsproxy import Fault, FaultProxy

# (target, provider, DKIM selectors) whose reports, taken together, hold every code of the table.
SCENARIOS = [
    ("nothere.check.test", "odoo", None),
    ("google-only.check.test", "odoo", None),
    ("bare.check.test", "odoo", None),
    ("pasted.check.test", "odoo", None),
    ("multiple.spf-audit.test", "odoo", None),
    ("syntax.spf-audit.test", "odoo", None),
    ("broken-include.spf-audit.test", "odoo", None),
    ("loop.spf-audit.test", "odoo", None),
    ("over.spf-audit.test", "odoo", None),
    ("near.spf-audit.test", "odoo", None),
    ("merge-over.spf-audit.test", "odoo", None),
    ("void.spf-audit.test", "odoo", None),
    ("ptr.spf-audit.test", "odoo", None),
    ("plus-all.spf-audit.test", "odoo", None),
    ("include-not-domain.messages.test", "odoo", None),
    ("include-syntax.messages.test", "odoo", None),
    ("all-middle.suggest.test", "odoo", None),
    ("odoo-elsewhere.dkim-scenarios.test", "odoo", None),
    ("vendor.dkim-chain.test", "odoo", None),
    ("ms-one.dkim-scenarios.test", "microsoft", None),
    ("ms-nokey.dkim-scenarios.test", "microsoft", None),
    ("google-nothing.dkim-scenarios.test", "google", None),
    ("revoked.dkim-scenarios.test", "ip:192.0.2.25", ["mail"]),
    ("rsa1024.dkim-scenarios.test", "ip:192.0.2.25", ["mail"]),
    ("badb64.dkim-scenarios.test", "ip:192.0.2.25", ["mail"]),
    ("two.dmarc-scenarios.test", "odoo", None),
    ("lowercase.dmarc-scenarios.test", "odoo", None),
    ("refused.reports.test", "odoo", None),
    ("self-hosted.check.test", "ip:192.0.2.25", None),
    ("jo@yahoo.com", "odoo", None),
    ("kim@quarantined.dmarc-scenarios.test", "odoo", None),
    ("kim@own.dmarc-scenarios.test", "odoo", None),
    ("sendgrid-no-dkim.providers.test", "sendgrid", None),
    ("brevo-spf-only.providers.test", "brevo", None),
    ("mailgun-no-include.providers.test", "mailgun", None),
    ("own-default.providers.test", "ip:198.51.100.25", None),
    ("kim@own-rare.providers.test", "unknown", None),
]
FAULTS = [Fault.DROP, Fault.SERVFAIL, Fault.REFUSED, Fault.GARBAGE]


@pytest.fixture(scope="module")
def emitted(zone_server) -> list[Finding]:
    """Every problem of every scenario, and of a domain behind each DNS fault."""
    resolver = Resolver([zone_server.address], timeout=1.0, lifetime=3.0)
    problems = []
    for target, provider, selectors in SCENARIOS:
        report = check_domain(target, provider=provider, dkim_selectors=selectors, resolver=resolver)
        problems += report.all_findings()
    # A contact's domain: the key of a sender without a fixed selector is not searched there.
    (contact,) = check_domains(
        ["mailgun-ok.providers.test"], provider="mailgun", resolver=resolver, dkim_search_domains=[]
    )
    problems += contact.all_findings()
    # Odoo rewrites the From to its notifications address.
    problems += check_domain("kim@own.dmarc-scenarios.test", resolver=resolver, sent_as=False).all_findings()
    # The domain's aggregate reports should go to an address of another organization.
    rua = "dmarc-reports@collector.reports.test"
    problems += check_domain("self.reports.test", resolver=resolver, dmarc_rua=rua).all_findings()
    # From stored facts: a public email service under quarantine, mail relayed as contacts, an address the engine
    # cannot read, and what the parts of a public email service's check say.
    problems += address_verdict("jo@gmx.de", effective_policy="quarantine", provider_can_pass=False)
    for policy in ("reject", "quarantine"):
        problems += relay_verdict(
            "kim@own.dmarc-scenarios.test", effective_policy=policy, provider_can_pass=False
        ).failures
    problems += user_verdict("jo@@gmx.de", effective_policy=None, provider_can_pass=None).findings
    # A user's address nothing stands against: what is said of it.
    problems += user_verdict("ops@good.check.test", effective_policy="reject", provider_can_pass=True).said()
    yahoo = check_domain("yahoo.com", resolver=resolver)
    for part in ("spf", "dmarc"):
        problems.append(
            free_mail_reason("yahoo.com", part, effective_policy=yahoo.dmarc.effective_policy, codes=yahoo.codes())
        )
    for fault in FAULTS:
        with FaultProxy(zone_server.address) as proxy:
            proxy.add_rule("good.check.test", fault, "TXT")
            faulty = Resolver([proxy.address], timeout=0.3, lifetime=0.6)
            problems += check_domain("good.check.test", resolver=faulty, timeout=2.0).all_findings()
    return problems


def test_every_code_of_the_table_is_emitted_and_every_emitted_code_has_a_sentence(emitted):
    # The reason codes of sender detections (sender.*) are covered by test_sender.py, the bulk-sender rules'
    # sentences (bulk.*) by test_bulk.py, how records go in (publish.*) by test_the_records_to_publish_...; a
    # part's sentence (part.*) is what the screens say of a part that has only DNS faults, which are findings.
    problem_codes = {code for code in MESSAGES if not code.startswith(("sender.", "bulk.", "publish.", "part."))}
    assert {problem.code for problem in emitted} == problem_codes


def test_each_problem_carries_exactly_the_params_of_its_sentence(emitted):
    for problem in emitted:
        assert set(problem.params) == PLACEHOLDERS[problem.code], problem.code
        assert all(isinstance(value, str | int) for value in problem.params.values()), problem.code
        assert problem.message == render(problem.code, problem.params)


def test_the_json_form_carries_code_and_params(emitted):
    for problem in emitted:
        data = problem.to_dict()
        assert (data["code"], data["params"], data["message"]) == (problem.code, problem.params, problem.message)


def test_another_language_renders_from_code_and_params_alone(emitted):
    french = {code: template.replace("The ", "Le ", 1) for code, template in MESSAGES.items()}
    for problem in emitted:
        assert french[problem.code] % problem.params


def test_the_records_to_publish_say_how_they_go_in_with_every_publish_sentence(zone_server):
    resolver = Resolver([zone_server.address], timeout=1.0, lifetime=3.0)
    publications = check_domain("google-only.check.test", resolver=resolver).publications()
    publications += check_domain(
        "self.reports.test", resolver=resolver, dmarc_rua="dmarc-reports@collector.reports.test"
    ).publications()
    assert {publication.code for publication in publications} == {
        code for code in MESSAGES if code.startswith("publish.")
    }
    for publication in publications:
        assert set(publication.params) == PLACEHOLDERS[publication.code]
        assert publication.message == render(publication.code, publication.params)


def test_dns_faults_are_told_apart_from_findings_about_the_domain(emitted):
    faults = {problem.code for problem in emitted if problem.is_fault}
    assert faults == {"dns.timeout", "dns.refused", "dns.servfail", "dns.error"}
    assert all(is_fault(code) == (code in faults) for code in {problem.code for problem in emitted})


def test_a_problem_without_a_sentence_or_with_other_params_is_refused():
    with pytest.raises(ValueError, match="no message"):
        Finding("spf.unheard_of", Status.FAIL, {})
    with pytest.raises(ValueError, match="params"):
        Finding("domain.not_found", Status.FAIL, {"domain": "example.com", "extra": 1})


def test_dns_faults_say_which_server_failed(emitted):
    faults = {problem.code: problem for problem in emitted if problem.code.startswith("dns.")}
    assert faults["dns.servfail"].message.startswith("The name servers of good.check.test failed to answer")
    for code in ("dns.timeout", "dns.refused", "dns.error"):
        assert faults[code].message.startswith(f"The DNS server {faults[code].params['nameserver']} ")
        assert faults[code].params["nameserver"].startswith("127.0.0.1:")


def test_an_unreachable_nameserver_is_named_once_per_report():
    resolver = Resolver(["127.0.0.1:9"], timeout=0.2, lifetime=0.5)
    report = check_domain("good.check.test", resolver=resolver, timeout=1.0)
    assert report.status is Status.ERROR
    (fault,) = report.faults()
    assert fault.code == "dns.refused"
    assert fault.params["nameserver"] == "127.0.0.1:9"
    assert "The DNS server 127.0.0.1:9 refused to answer" in fault.message
