"""The bulk-sender rules of Gmail, Yahoo and Outlook.com against mailings' From addresses and sending paths.

The From domains are served by Knot from tests/zones/bulk.test.zone (and yahoo.com.zone); the reverse names of
the servers of one's own from tests/zones/113.0.203.in-addr.arpa.zone.
"""

import pytest

from odoo.addons.mail_domain_health.maildns import (
    BULK_RULES,
    BULK_SOURCES,
    InvalidTarget,
    Resolver,
    SendingPath,
    Status,
    bulk_verdict,
    check_bulk,
    check_domain,
)
from odoo.addons.mail_domain_health.maildns.bulk import forward_confirmed
from odoo.addons.mail_domain_health.maildns.messages import MESSAGES

ONE_CLICK = {
    "List-Unsubscribe": "<https://shop.example/mailing/1/unsubscribe_oneclick?email=a%40b.test&hash_token=x>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def statuses(verdict):
    return {result.rule: result.status for result in verdict.rules}


def test_a_mailing_from_yahoo_fails_and_says_what_each_receiver_does(resolver):
    verdict = check_bulk("news@yahoo.com", SendingPath("odoo"), resolver=resolver, unsubscribe_headers=ONE_CLICK)

    assert verdict.status == Status.FAIL
    found = statuses(verdict)
    assert found["own_domain"] == Status.FAIL
    assert found["spf"] == Status.FAIL
    assert found["alignment"] == Status.FAIL
    assert verdict.rule("own_domain").finding.code == "bulk.own_domain.free_mail"
    assert (
        verdict.rule("own_domain").fix.message
        == "Send the mailing from an address on a domain of your own, not on yahoo.com."
    )
    receivers = {outcome.receiver: outcome.failed_rules for outcome in verdict.receivers()}
    assert set(receivers) == {"gmail", "yahoo", "outlook"}
    assert receivers["outlook"] == ("own_domain", "spf", "dkim", "alignment")
    # No records are offered for a domain one does not control... but the verdict says what fails regardless.
    assert verdict.to_dict()["receivers"][0]["code"] == "bulk.receiver.gmail"


def test_spf_without_dkim_fails_the_dkim_rule(resolver):
    verdict = check_bulk(
        "news@spf-only.bulk.test", SendingPath("odoo"), resolver=resolver, unsubscribe_headers=ONE_CLICK
    )

    found = statuses(verdict)
    assert found["spf"] == Status.PASS
    assert found["dkim"] == Status.FAIL
    assert verdict.status == Status.FAIL
    fix = verdict.rule("dkim").fix
    assert fix.code == "bulk.fix.dkim.fail"
    assert "spf-only.bulk.test" in fix.message
    # The record that fixes it comes from the domain check: Odoo's DKIM CNAME.
    assert ("odoo._domainkey.spf-only.bulk.test", "CNAME") in {(r.name, r.type) for r in verdict.records_to_publish}
    assert [outcome.failed_rules for outcome in verdict.receivers()] == [("dkim",), ("dkim",), ("dkim",)]


def test_a_domain_with_p_none_passes_with_the_advice_to_enforce(resolver):
    verdict = check_bulk("news@news.bulk.test", SendingPath("odoo"), resolver=resolver, unsubscribe_headers=ONE_CLICK)

    assert verdict.status == Status.PASS
    dmarc = verdict.rule("dmarc")
    assert (dmarc.status, dmarc.finding.code, dmarc.fix.code) == (
        Status.PASS,
        "bulk.dmarc.policy_none",
        "bulk.fix.dmarc.policy_none",
    )
    assert "p=quarantine" in dmarc.fix.message
    assert verdict.receivers() == []


def test_an_enforced_policy_needs_no_advice(resolver):
    verdict = check_bulk("news@shop.bulk.test", SendingPath("odoo"), resolver=resolver, unsubscribe_headers=ONE_CLICK)

    assert verdict.rule("dmarc").fix is None
    assert verdict.rule("dmarc").finding.params == {"domain": "shop.bulk.test", "policy": "quarantine"}
    assert verdict.status == Status.PASS


def test_a_server_without_tls_is_warned(resolver):
    path = SendingPath("ip:203.0.113.25", server="mail.bulk.test", addresses=("203.0.113.25",), tls=False)
    verdict = check_bulk(
        "news@own.bulk.test", path, dkim_selectors=["mail"], resolver=resolver, unsubscribe_headers=ONE_CLICK
    )

    assert verdict.rule("tls").status == Status.WARN
    assert verdict.rule("tls").fix.message == (
        "Set the outgoing mail server mail.bulk.test to use TLS (STARTTLS or SSL/TLS)."
    )
    assert verdict.rule("reverse_dns").status == Status.PASS
    assert verdict.status == Status.WARN


def test_reverse_dns_of_the_servers_addresses_is_forward_confirmed(resolver):
    found = forward_confirmed(["203.0.113.25", "203.0.113.26", "203.0.113.27"], resolver=resolver)
    assert [(name.address, name.name, name.confirmed) for name in found] == [
        ("203.0.113.25", "mail.bulk.test", True),
        ("203.0.113.26", "dyn-26.bulk.test", False),
        ("203.0.113.27", None, False),
    ]

    path = SendingPath(
        "ip:203.0.113.25,203.0.113.26", server="relay.bulk.test", addresses=("203.0.113.25", "203.0.113.26"), tls=True
    )
    verdict = check_bulk(
        "news@own.bulk.test", path, dkim_selectors=["mail"], resolver=resolver, unsubscribe_headers=ONE_CLICK
    )
    reverse = verdict.rule("reverse_dns")
    assert reverse.status == Status.FAIL
    assert reverse.finding.params == {"addresses": "203.0.113.26 (dyn-26.bulk.test)"}
    assert [outcome.receiver for outcome in verdict.receivers()] == ["gmail", "yahoo"]


def test_a_service_s_servers_are_its_care_and_unknown_addresses_are_said(resolver):
    report = check_domain("news@news.bulk.test", provider="odoo", resolver=resolver)
    assert bulk_verdict(report, SendingPath("odoo")).rule("reverse_dns").finding.code == "bulk.reverse_dns.provider"
    unknown = check_domain("news@news.bulk.test", provider="unknown", resolver=resolver)
    result = bulk_verdict(unknown, SendingPath("unknown")).rule("reverse_dns")
    assert (result.status, result.finding.code) == (Status.ERROR, "bulk.reverse_dns.no_addresses")


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (None, Status.INFO),
        (ONE_CLICK, Status.PASS),
        ({"List-Unsubscribe": "<mailto:unsubscribe@shop.example>"}, Status.FAIL),
        ({"List-Unsubscribe": ONE_CLICK["List-Unsubscribe"]}, Status.FAIL),
        (
            {"list-unsubscribe": ONE_CLICK["List-Unsubscribe"], "list-unsubscribe-post": "List-Unsubscribe=One-Click"},
            Status.PASS,
        ),
        ({}, Status.FAIL),
        ({**ONE_CLICK, "List-Unsubscribe": "<http://shop.example/mailing/1/unsubscribe_oneclick>"}, Status.FAIL),
    ],
)
def test_one_click_unsubscribe_is_read_from_the_headers_given(resolver, headers, status):
    report = check_domain("news@news.bulk.test", provider="odoo", resolver=resolver)
    assert bulk_verdict(report, SendingPath("odoo"), unsubscribe_headers=headers).rule("one_click").status == status


def test_the_spam_rate_is_said_not_guessed_with_where_to_read_it(resolver):
    report = check_domain("news@news.bulk.test", provider="odoo", resolver=resolver)
    rate = bulk_verdict(report, SendingPath("odoo")).rule("spam_rate")
    assert rate.status == Status.INFO
    assert "Google Postmaster Tools" in rate.finding.message and "Microsoft SNDS" in rate.finding.message
    assert "0.1%, never at 0.3%" in rate.finding.message

    reported = bulk_verdict(report, SendingPath("odoo"), reported_messages={"Yahoo": 52, "google.com": 193})
    finding = reported.rule("spam_rate").finding
    assert finding.code == "bulk.spam_rate.reported"
    assert finding.params["receivers"] == "google.com: 193, Yahoo: 52"


def test_faults_make_unknown_rules_not_failures(zone_server):

    silent = Resolver(["127.0.0.1:9"], timeout=0.2, lifetime=0.4)
    verdict = check_bulk("news@news.bulk.test", SendingPath("odoo"), resolver=silent, timeout=1.0)
    found = statuses(verdict)
    assert found["spf"] == found["dkim"] == found["dmarc"] == Status.ERROR
    assert verdict.status == Status.ERROR
    assert verdict.receivers() == []


def test_every_rule_cites_its_sources_and_has_a_title():
    assert {key for rule in BULK_RULES for key in rule.sources} <= set(BULK_SOURCES)
    for rule in BULK_RULES:
        assert f"bulk.rule.{rule.key}" in MESSAGES
        assert any(key in rule.sources for key in ("google", "yahoo", "microsoft"))
    assert all(source.url.startswith("https://") for source in BULK_SOURCES.values())


def test_a_domain_is_no_mailing_address(resolver):
    report = check_domain("news.bulk.test", provider="odoo", resolver=resolver)
    with pytest.raises(InvalidTarget):
        bulk_verdict(report, SendingPath("odoo"))


def test_every_bulk_sentence_is_used_with_exactly_its_params(zone_server, resolver):
    silent = Resolver(["127.0.0.1:9"], timeout=0.2, lifetime=0.4)
    own = SendingPath(
        "ip:203.0.113.25,203.0.113.26", server="relay.bulk.test", addresses=("203.0.113.25", "203.0.113.26")
    )
    verdicts = [
        check_bulk("news@yahoo.com", SendingPath("odoo"), resolver=resolver, unsubscribe_headers={}),
        check_bulk("news@news.bulk.test", SendingPath("odoo"), resolver=resolver, unsubscribe_headers=ONE_CLICK),
        check_bulk(
            "news@news.bulk.test",
            SendingPath("odoo"),
            resolver=resolver,
            unsubscribe_headers={**ONE_CLICK, "List-Unsubscribe": "<http://shop.example/unsubscribe_oneclick>"},
        ),
        check_bulk("news@shop.bulk.test", SendingPath("odoo"), resolver=resolver, reported_messages={"Yahoo": 3}),
        check_bulk("news@bare.check.test", SendingPath("unknown"), resolver=resolver),
        check_bulk("news@own.bulk.test", own, dkim_selectors=["mail"], resolver=resolver),
        check_bulk(
            "news@rsa1024.dkim-scenarios.test",
            SendingPath("ip:203.0.113.25", addresses=("203.0.113.25",), tls=True),
            dkim_selectors=["mail"],
            resolver=resolver,
        ),
        check_bulk(
            "news@news.bulk.test",
            SendingPath("ip:203.0.113.25", addresses=("203.0.113.25",)),
            resolver=silent,
            timeout=1.0,
        ),
        check_bulk("news@news.bulk.test", SendingPath("odoo", tls=False), resolver=silent, timeout=1.0),
    ]
    used = {}
    for verdict in verdicts:
        for result in verdict.rules:
            for problem in (result.finding, result.fix):
                if problem is not None:
                    assert problem.message == MESSAGES[problem.code] % problem.params
                    used[problem.code] = problem
        for outcome in verdict.receivers():
            used[outcome.code] = outcome
    titles = {f"bulk.rule.{rule.key}" for rule in BULK_RULES}
    expected = {code for code in MESSAGES if code.startswith("bulk.")} - titles
    assert set(used) == expected


def test_an_unknown_sender_or_selector_is_unknown_never_a_failure(resolver):
    unknown = check_domain("news@news.bulk.test", provider="unknown", resolver=resolver)
    verdict = bulk_verdict(unknown, SendingPath("unknown"))
    for rule in ("dkim", "alignment"):
        assert verdict.rule(rule).finding.code == f"bulk.{rule}.unknown", rule
        assert verdict.rule(rule).status != Status.FAIL, rule
