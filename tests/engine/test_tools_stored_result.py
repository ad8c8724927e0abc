"""tools/stored_result.py: the run's DNS work and the rows a check record stores, against Knot."""

import json

import pytest

from odoo.addons.mail_domain_health.maildns import Resolver, Status, check_domain
from odoo.addons.mail_domain_health.tools.check_settings import CheckSettings, Sender
from odoo.addons.mail_domain_health.tools.stored_result import (
    finding_values,
    policy_or_false,
    resolve_domains,
    resolve_or_log,
    same_result,
    zone_lines,
)


def _settings(**changes) -> CheckSettings:
    return CheckSettings(timeout=3.0, sender=Sender(provider="odoo", spec="odoo"), **changes)


def test_resolve_domains_answers_in_the_order_asked(resolver):
    names = ["strict.check.test", "bare.check.test", "good.check.test"]
    reports = resolve_domains(names, _settings(), resolver)
    assert [report.domain for report in reports] == names
    assert [report.status for report in reports] == [Status.PASS, Status.FAIL, Status.PASS]


def test_a_domain_whose_reports_reach_odoo_gets_a_dmarc_record_carrying_the_alias(resolver):
    names = ["bare.check.test", "google-only.check.test"]
    reports = resolve_domains(names, _settings(dmarc_rua={"bare.check.test": "dmarc@shop.example"}), resolver)
    (with_alias,) = [record for record in reports[0].records_to_publish() if record.name.startswith("_dmarc.")]
    (without,) = [record for record in reports[1].records_to_publish() if record.name.startswith("_dmarc.")]
    assert "rua=mailto:dmarc@shop.example" in with_alias.value
    assert "dmarc@shop.example" not in without.value


def test_resolve_or_log_logs_a_failed_batch_and_gives_none(zone_server, caplog):
    resolver = Resolver([zone_server.address], timeout=1.0, lifetime=3.0)
    # Settings without a sender: the engine cannot be asked, which is a bug the run logs and survives.
    assert resolve_or_log(["good.check.test"], settings=CheckSettings(timeout=3.0), resolver=resolver) is None
    assert "checking 1 domains failed" in caplog.text


def test_the_stored_result_is_the_same_whatever_time_it_took(resolver):
    data = check_domain("good.check.test", resolver=resolver).to_dict()
    stored = json.loads(json.dumps({**data, "elapsed": 0.5}))
    assert same_result(stored, {**data, "elapsed": 1.5})
    assert not same_result(stored, {**data, "status": "fail"})
    assert not same_result(None, data)
    assert not same_result({}, data)


@pytest.mark.parametrize(("value", "stored"), [("reject", "reject"), ("none", "none"), (None, False), ("bogus", False)])
def test_policy_or_false(value, stored):
    assert policy_or_false(value) == stored


def test_zone_lines_and_problem_values_of_a_domain_with_nothing_published(resolver):
    report = check_domain("bare.check.test", resolver=resolver)
    assert zone_lines(report.records_to_publish()).splitlines() == [
        'bare.check.test. TXT "v=spf1 include:_spf.odoo.com ~all"',
        "odoo._domainkey.bare.check.test. CNAME odoo._domainkey.odoo.com.",
        '_dmarc.bare.check.test. TXT "v=DMARC1; p=none"',
    ]
    values = finding_values(report)
    assert [(row["sequence"], row["part"], row["code"], row["severity"], row["record_name"]) for row in values] == [
        (0, "spf", "spf.missing", "fail", "bare.check.test"),
        (1, "dkim", "dkim.missing", "fail", "odoo._domainkey.bare.check.test"),
        (2, "dmarc", "dmarc.missing", "warn", "_dmarc.bare.check.test"),
    ]
    assert values[1]["record_type"] == "CNAME"
    assert values[1]["record_value"] == "odoo._domainkey.odoo.com."
    assert all(row["message"] and isinstance(row["params"], dict) for row in values)
