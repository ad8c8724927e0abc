"""`maildns report`: the reports and their totals, as text and JSON, and its exit statuses."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPORTS = Path(__file__).resolve().parent / "reports"
GOOGLE = str(REPORTS / "google.eml")
YAHOO = str(REPORTS / "yahoo.com!shop.reports.test!1736899200!1736985599.xml.gz")
EXCHANGE = str(REPORTS / "exchange.eml")
OFFLINE = ["--no-attribution", "--nameserver", "127.0.0.1:9", "--timeout", "0.2"]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "odoo.addons.mail_domain_health.maildns", "report", *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        input=stdin,
        timeout=60,
    )


@pytest.fixture
def dns_args(zone_server):
    return ["--nameserver", zone_server.address, "--timeout", "1"]


def test_reports_and_totals_with_who_sends(dns_args):
    result = run(GOOGLE, YAHOO, EXCHANGE, *dns_args)
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert "Report 4713245309183744256 from google.com <noreply-dmarc-support@google.com>" in text
    assert "  shop.reports.test, 2025-01-15T00:00:00Z to 2025-01-15T23:59:59Z, RFC 7489" in text
    assert "Totals: 4 reports, 295 messages, 224 passed DMARC (75.9%)" in text
    rows = {
        line.split()[0]: line for line in text.splitlines() if line.startswith("  ") and line.split()[0][0].isdigit()
    }
    assert rows["149.202.206.10"].split()[1:6] == ["Odoo", "194", "194", "194", "none"]
    assert "unknown, mailer.reports.test " in rows["198.51.100.10"]
    assert "unknown, dynamic-66.reports.test (unconfirmed)" in rows["198.51.100.66"]
    assert "SPF of shop.reports.test" in rows["198.51.100.20"]


def test_json_is_one_object_per_report_with_stable_keys(dns_args):
    result = run(YAHOO, "--json", "--own-ip", "198.51.100.64/26", *dns_args)
    (report,) = json.loads(result.stdout)
    assert {"org_name", "email", "report_id", "begin", "end", "policy", "records", "messages", "passed"} <= set(report)
    assert (report["begin"], report["end"], report["messages"], report["passed"]) == (
        "2025-01-15T00:00:00Z",
        "2025-01-15T23:59:59Z",
        52,
        49,
    )
    assert {"domain", "adkim", "aspf", "p", "sp", "np", "testing"} <= set(report["policy"])
    spoofed = report["records"][2]
    assert set(spoofed) >= {"source_ip", "count", "disposition", "dkim", "spf", "header_from", "envelope_from"}
    assert spoofed["auth_results"] == [
        {
            "method": "spf",
            "domain": "shop.reports.test",
            "selector": None,
            "scope": None,
            "result": "softfail",
            "human_result": None,
        }
    ]
    assert spoofed["attribution"]["source"] == "own"


def test_offline_run_asks_no_dns():
    result = run(GOOGLE, "--json", *OFFLINE)
    assert result.returncode == 0
    assert {record["attribution"] for record in json.loads(result.stdout)[0]["records"]} == {None}
    text = run(GOOGLE, *OFFLINE).stdout.decode()
    assert "  149.202.206.10  -" in text


def test_a_file_that_is_no_report_exits_65_with_one_line_and_the_others_printed(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a report\n")
    result = run(GOOGLE, str(junk), *OFFLINE)
    assert result.returncode == 65
    assert result.stderr.decode().splitlines() == [
        f"maildns: {junk}: not a report: neither XML, gzip, zip nor an email message"
    ]
    assert "Totals: 1 report, 193 messages" in result.stdout.decode()


def test_the_same_report_twice_is_counted_once():
    text = run(GOOGLE, str(REPORTS / "google.com!shop.reports.test!1736899200!1736985599.zip"), *OFFLINE).stdout
    assert "Totals: 1 report, 193 messages" in text.decode()
    assert "Skipped 1 report met twice (same reporter and report id)." in text.decode()


def test_standard_input():
    result = run("-", *OFFLINE, stdin=(REPORTS / "microsoft.eml").read_bytes())
    assert "Totals: 1 report, 47 messages, 43 passed DMARC (91.5%)" in result.stdout.decode()


def test_what_was_skipped_and_noted_is_said_in_the_text_and_the_json(tmp_path):
    bad = tmp_path / "bad-record.xml"
    bad.write_bytes(
        (REPORTS / "xml" / "aol.xml")
        .read_bytes()
        .replace(b"<row>", b"<row><source_ip></source_ip>", 1)
        .replace(b"</record>", b"</record><record><row><source_ip>192.0.2.8</source_ip><count>2</count></row></record>")
    )
    files = [str(REPORTS / "quirks" / "macos.zip"), str(REPORTS / "xml" / "rfc9990-appendix-b.xml"), str(bad)]
    result = run(*files, *OFFLINE)
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert "  skipped zip member __MACOSX/: it is a folder\n" in text
    assert "  note: the period begins on 1979-08-07, before DMARC reports existed (2012)\n" in text
    assert "  skipped record 1: the record: <source_ip> is empty\n" in text
    assert "Totals: 3 reports, 318 messages" in text
    reports = json.loads(run(*files, "--json", *OFFLINE).stdout)
    assert [report["skipped"] for report in reports][2] == [
        {"what": "record 1", "reason": "the record: <source_ip> is empty"}
    ]
    assert reports[1]["notes"] == ["the period begins on 1979-08-07, before DMARC reports existed (2012)"]


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x05\x06" + bytes(18),
        (REPORTS / "quirks" / "nameless-member.zip").read_bytes()[:300],
        b"\x1f\x8b" + bytes(40),
        b"From: a\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/zip\n\nPK\x03\x04",
        b"\xff\xfe<\x00",
    ],
)
def test_any_file_exits_0_or_65(tmp_path, data):
    path = tmp_path / "file"
    path.write_bytes(data)
    result = run(str(path), *OFFLINE)
    assert result.returncode in (0, 65), result.stderr
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.xml.gz"], "maildns: missing.xml.gz: no such readable file"),
        ([str(REPORTS)], f"maildns: {REPORTS}: no such readable file"),
        ([GOOGLE, "--own-ip", "mail.example.com"], "maildns: 'mail.example.com' is not an IP address or network"),
        ([GOOGLE, "--timeout", "0"], "give a number of seconds between 0 and 300"),
        ([], "the following arguments are required: FILE"),
    ],
)
def test_bad_usage_exits_64(args, message):
    result = run(*args)
    assert result.returncode == 64
    assert message in result.stderr.decode()
    assert len(result.stderr.decode().splitlines()) == 1
