"""The command line: output, exit status and bad input, run as `python -m odoo.addons.mail_domain_health.maildns`."""

import json
import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "odoo.addons.mail_domain_health.maildns", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def dns_args(zone_server):
    return ["--nameserver", zone_server.address, "--timeout", "1"]


def test_good_domain_exits_zero_with_a_summary(dns_args):
    result = run("check", "good.check.test", *dns_args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "good.check.test: PASS" in result.stdout


def test_failing_domain_exits_two_and_prints_the_records_to_publish(dns_args):
    result = run("check", "google-only.check.test", *dns_args)
    assert result.returncode == 2
    assert "Publish these records:" in result.stdout
    assert 'google-only.check.test. TXT "v=spf1 include:_spf.odoo.com include:_spf.google.com ~all"' in result.stdout
    assert "odoo._domainkey.google-only.check.test. CNAME odoo._domainkey.odoo.com." in result.stdout


def test_inherited_dmarc_policy_says_where_it_comes_from(dns_args):
    result = run("check", "sub.good.check.test", *dns_args)
    assert "policy of good.check.test, the organizational domain" in result.stdout


def test_dmarc_testing_mode_shows_the_policy_applied_and_the_notes(dns_args):
    result = run("check", "testing.dmarc-scenarios.test", *dns_args)
    dmarc = result.stdout.split("  DMARC", 1)[1]
    assert "applied as p=quarantine (t=y: testing)" in dmarc
    assert "note: _dmarc.testing.dmarc-scenarios.test: t=y" in dmarc


def test_warning_domain_exits_one(dns_args):
    assert run("check", "pasted.check.test", *dns_args).returncode == 1


def test_worst_target_decides_the_exit_status(dns_args):
    assert run("check", "good.check.test", "pasted.check.test", "bare.check.test", *dns_args).returncode == 2


def test_unanswered_dns_exits_three():
    # Port 9 on 127.0.0.1: nothing answers there.
    result = run("check", "good.check.test", "--nameserver", "127.0.0.1:9", "--timeout", "0.2", "--deadline", "1")
    assert result.returncode == 3
    assert "ERROR" in result.stdout


def test_json_output_is_an_array_of_reports(dns_args):
    result = run("check", "good.check.test", "jane@yahoo.com", "--json", *dns_args)
    reports = json.loads(result.stdout)
    assert [report["target"] for report in reports] == ["good.check.test", "jane@yahoo.com"]
    assert set(reports[0]) >= {"target", "domain", "provider", "status", "spf", "dkim", "dmarc"}
    assert set(reports[0]["spf"]) >= {
        "status",
        "record",
        "dns_lookups",
        "void_lookups",
        "sender_authorized",
        "suggested_record",
        "findings",
    }
    assert set(reports[0]["dkim"]) >= {"status", "selector", "cname_target", "key_type", "key_bits", "findings"}
    assert set(reports[0]["dmarc"]) >= {
        "status",
        "record",
        "record_domain",
        "policy",
        "subdomain_policy",
        "effective_policy",
        "findings",
    }
    assert "address" not in reports[0]
    assert reports[1]["address"]["free_mail"] is True
    codes = [problem["code"] for problem in reports[1]["address"]["findings"]]
    assert "address.free_mail_dmarc_reject" in codes


def test_spf_command_prints_the_check_host_result(dns_args):
    result = run("spf", "self-hosted.check.test", "--ip", "192.0.2.25", *dns_args)
    assert result.returncode == 0
    assert result.stdout.startswith("pass:")
    refused = run("spf", "self-hosted.check.test", "--ip", "192.0.2.26", *dns_args)
    assert refused.returncode == 2
    assert refused.stdout.startswith("fail:")


@pytest.mark.parametrize(
    "args",
    [
        ["check", ""],
        ["check", "   "],
        ["check", "a" * 64 + ".example"],
        ["check", "a@b@c.example"],
        ["check", "192.0.2.1"],
        ["check", "example"],
        ["check", "good.check.test", "--provider", "nobody"],
        ["check", "good.check.test", "--provider", "ip:not-an-ip"],
        ["check", "good.check.test", "--timeout", "-1"],
        ["check", "good.check.test", "--nameserver", "host:port"],
        ["check", "good.check.test", "--bogus-flag"],
        ["check"],
        [],
        ["spf", "example.com", "--ip", "999.1.1.1"],
        ["spf", "example.com"],
    ],
)
def test_bad_input_is_one_line_and_exit_64(args):
    result = run(*args)
    assert result.returncode == 64, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("maildns: ")
    assert "Traceback" not in result.stderr


def test_help_reads_well():
    result = run("check", "--help")
    assert result.returncode == 0
    assert "--provider" in result.stdout and "--dkim-selector" in result.stdout
