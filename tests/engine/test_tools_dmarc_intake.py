"""tools/dmarc_intake.py: what the alias for DMARC reports accepts from a stranger, and what it may cost."""

from email import message_from_bytes, policy

import pytest

from odoo.addons.mail_domain_health.tools.dmarc_intake import (
    DEFAULT_MAX_FILES,
    excerpt,
    is_own_domain,
    message_bytes,
    read_intake_bounds,
    same_organization_names,
    sending_domains,
    totals_by_source,
)


def test_bounds_default_and_read_and_refuse_out_of_range():
    bounds, reasons = read_intake_bounds({"dmarc_max_files": "", "dmarc_max_rows": "20", "dmarc_refused_bytes": "0"})
    assert bounds["dmarc_max_files"] == DEFAULT_MAX_FILES
    assert bounds["dmarc_max_rows"] == 20
    assert bounds["dmarc_refused_bytes"] == 0
    assert reasons == []
    bounds, reasons = read_intake_bounds({"dmarc_max_files": "1001", "dmarc_max_sender_reports": "many"})
    assert bounds["dmarc_max_files"] == DEFAULT_MAX_FILES
    assert [reason.split(" ", 1)[0] for reason in reasons] == ["dmarc_max_files", "dmarc_max_sender_reports"]


def test_own_domain_is_a_sending_domain_or_one_of_its_subdomains():
    owned = sending_domains(["Shop.Example.", None, "", "other.test"])
    assert owned == {"shop.example", "other.test"}
    assert is_own_domain("shop.example", owned)
    assert is_own_domain("News.Shop.Example.", owned)
    assert not is_own_domain("evilshop.example", owned)
    assert not is_own_domain("example", owned)
    assert not is_own_domain(None, owned)


def test_excerpt_keeps_the_first_bytes():
    assert excerpt(b"0123456789", 4) == b"0123"
    assert excerpt(memoryview(b"abc"), 10) == b"abc"


def _row(source_ip, result, messages):
    return {
        "source_ip": source_ip,
        "result": result,
        "messages": messages,
        "passed_messages": messages if result == "pass" else 0,
        "failed_messages": 0 if result == "pass" else messages,
        "auth_results": [{"type": "spf"}],
        "reasons": ["forwarded"],
    }


def test_rows_within_the_limit_are_kept_as_they_are():
    rows = [_row("192.0.2.1", "pass", 3), _row("192.0.2.1", "pass", 4)]
    assert totals_by_source(rows, 2) == (rows, 2)


def test_rows_over_the_limit_are_summed_by_source_and_result_largest_first():
    rows = [
        _row("192.0.2.1", "pass", 3),
        _row("192.0.2.2", "fail", 10),
        _row("192.0.2.1", "pass", 4),
        _row("192.0.2.1", "fail", 1),
        _row("192.0.2.3", "pass", 2),
    ]
    kept, count = totals_by_source(rows, 2)
    assert count == 5
    assert [(row["source_ip"], row["result"], row["messages"]) for row in kept] == [
        ("192.0.2.2", "fail", 10),
        ("192.0.2.1", "pass", 7),
    ]
    assert kept[1]["passed_messages"] == 7 and kept[1]["failed_messages"] == 0
    assert kept[1]["auth_results"] == [] and kept[1]["reasons"] == []
    # The rows given are left as they were.
    assert rows[0]["messages"] == 3


@pytest.mark.parametrize(
    ("signer", "domain", "same"),
    [
        ("example.com", "example.com", True),
        ("example.com", "mail.example.com", True),
        ("mail.example.com", "example.com", True),
        ("example.com", "badexample.com", False),
        (None, "example.com", False),
    ],
)
def test_same_organization_names(signer, domain, same):
    assert same_organization_names(signer, domain) is same


def test_message_bytes_keep_the_headers_as_they_came():
    headers = b"From: a@example.com\r\nSubject: a long subject\r\n  folded as it came\r\n"
    # As mail.thread.message_process parses what it receives.
    message = message_from_bytes(headers + b"\r\nbody\r\n", policy=policy.SMTP)
    assert message_bytes(message).startswith(headers)
    assert message_bytes(None) == b""
