"""DMARC aggregate reports: every shape reporters send, their quirks, and a clear ReportError for the rest.

The samples of tests/engine/reports/ are built by its build.py from the XML of reports/xml/, in the
packaging each reporter uses.
"""

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from reports.build import samples, zipped

from odoo.addons.mail_domain_health.maildns import MailDNSError
from odoo.addons.mail_domain_health.maildns.aggregate import Limits, ReportError, parse_report, summarize

REPORTS = Path(__file__).resolve().parent / "reports"
PERIOD = "shop.reports.test!1736899200!1736985599"


def sample(name: str) -> bytes:
    return (REPORTS / name).read_bytes()


def feedback(records: str = "", *, metadata: str = "", policy: str = "<p>none</p>", root: str = "<feedback>") -> bytes:
    """A small report; the parts a test is about replace the defaults."""
    metadata = metadata or (
        "<org_name>Example</org_name><email>dmarc@example.test</email><report_id>r-1</report_id>"
        "<date_range><begin>1736899200</begin><end>1736985599</end></date_range>"
    )
    records = records or record()
    end = "</" + root[1:].split()[0].rstrip(">") + ">"
    text = (
        f"{root}<report_metadata>{metadata}</report_metadata>"
        f"<policy_published><domain>shop.reports.test</domain>{policy}</policy_published>{records}{end}"
    )
    return text.encode()


def record(ip: str = "192.0.2.1", count: str = "3", auth: str = "", identifiers: str = "") -> str:
    return (
        f"<record><row><source_ip>{ip}</source_ip><count>{count}</count><policy_evaluated>"
        "<disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row>"
        f"<identifiers>{identifiers or '<header_from>shop.reports.test</header_from>'}</identifiers>"
        f"<auth_results>{auth}</auth_results></record>"
    )


def refused(data: bytes, **options) -> str:
    with pytest.raises(ReportError) as raised:
        parse_report(data, **options)
    return str(raised.value)


# The samples, as each reporter packages them: (org_name, report_id, format, records, messages, passed).
SAMPLES = {
    f"yahoo.com!{PERIOD}.xml.gz": [("Yahoo", "1736985600.408816", "rfc7489", 3, 52, 49)],
    f"google.com!{PERIOD}.zip": [("google.com", "4713245309183744256", "rfc7489", 4, 193, 129)],
    "google.eml": [("google.com", "4713245309183744256", "rfc7489", 4, 193, 129)],
    "aol.eml": [("AOL", "1736985600.116245", "rfc7489", 1, 5, 5)],
    "microsoft.eml": [("Enterprise Outlook", "b07c9b1b3b2e4a4d8f0e3c1d2a5b6c7d", "rfc7489", 3, 47, 43)],
    "rfc9990.eml": [("mail.receiver.test", "<2025-01-15.shop.reports.test@mail.receiver.test>", "rfc9990", 2, 33, 27)],
    "exchange.eml": [
        ("Example Receiver", "shop.reports.test-20250115", "rfc7489", 1, 3, 3),
        ("Enterprise Outlook", "b07c9b1b3b2e4a4d8f0e3c1d2a5b6c7d", "rfc7489", 3, 47, 43),
    ],
    "xml/rfc9990.xml": [
        ("mail.receiver.test", "<2025-01-15.shop.reports.test@mail.receiver.test>", "rfc9990", 2, 33, 27)
    ],
    "xml/rfc9990-appendix-b.xml": [("Sample Reporter", "3v98abbp8ya9n3va8yr8oa3ya", "rfc9990", 1, 123, 123)],
    # Reporters' quirks, each read as its reporter meant it (see reports/build.py).
    "quirks/macos.zip": [("google.com", "4713245309183744256", "rfc7489", 4, 193, 129)],
    "quirks/nameless-member.zip": [("AOL", "1736985600.116245", "rfc7489", 1, 5, 5)],
    "quirks/xs-schema-left-open.xml": [("AOL", "1736985600.116245", "rfc7489", 1, 5, 5)],
    "quirks/xs-schema-undeclared.xml": [("AOL", "1736985600.116245", "rfc7489", 1, 5, 5)],
    "quirks/bom-line-break-declaration.xml": [("AOL", "1736985600.116245", "rfc7489", 1, 5, 5)],
    "quirks/utf-16.xml": [("AOL", "1736985600.116245", "rfc7489", 1, 5, 5)],
    "quirks/address-in-angle-brackets.xml": [("AOL", "1736985600.116245", "rfc7489", 1, 5, 5)],
}


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_parses_to_its_reports(name):
    reports = parse_report(sample(name), filename=Path(name).name)
    found = [
        (report.org_name, report.report_id, report.format, len(report.records), report.messages, report.passed)
        for report in reports
    ]
    assert found == SAMPLES[name]


def test_samples_are_the_build_of_their_xml():
    assert {name: sample(name) for name in samples()} == samples()


def test_yahoo_gzip_keeps_pct_and_leaves_what_yahoo_omits_as_none():
    (report,) = parse_report(sample(f"yahoo.com!{PERIOD}.xml.gz"))
    assert (report.policy.p, report.policy.pct, report.policy.sp, report.policy.testing) == ("none", 100, None, None)
    assert report.begin == datetime(2025, 1, 15, tzinfo=UTC)
    spf = report.records[0].auth_results[-1]
    assert (spf.method, spf.domain, spf.scope, spf.result) == ("spf", "shop.reports.test", None, "pass")
    assert report.records[0].envelope_from is None


def test_google_zip_keeps_the_override_reason_and_contact():
    (report,) = parse_report(sample(f"google.com!{PERIOD}.zip"))
    forwarded = next(record for record in report.records if record.reasons)
    assert [reason.type for reason in forwarded.reasons] == ["forwarded"]
    assert (forwarded.dkim, forwarded.spf, forwarded.passed) == ("pass", "fail", True)
    assert report.extra_contact_info == "https://support.google.com/a/answer/2466580"
    assert report.source == f"google.com!{PERIOD}.xml"


def test_microsoft_quoted_printable_xml_in_a_message():
    (report,) = parse_report(sample("microsoft.eml"))
    first = report.records[0]
    assert (first.envelope_to, first.envelope_from) == ("customer.example-tenant.test", "shop.reports.test")
    assert [(result.method, result.selector, result.scope) for result in first.auth_results] == [
        ("dkim", "selector1", None),
        ("spf", None, "mfrom"),
    ]
    assert report.policy.fo == "0"
    assert report.records[-1].source_ip == "2001:db8:7::25"


def test_rfc9990_report_with_its_namespace_and_extensions():
    (report,) = parse_report(sample("xml/rfc9990.xml"))
    policy = report.policy
    assert (policy.p, policy.sp, policy.np, policy.testing, policy.discovery_method) == (
        "quarantine",
        "quarantine",
        "reject",
        "n",
        "treewalk",
    )
    assert report.generator == "Example DMARC Reporter 2.1"
    assert report.records[0].disposition == "pass"
    failed = report.records[1].auth_results[0]
    assert (failed.selector, failed.result, failed.human_result) == ("default", "fail", "signature did not verify")
    # The extension's elements (arc:...) are not the report's: nothing of them is read.
    assert len(report.records) == 2


def test_zip_with_two_reports_in_a_message_gives_both():
    reports = parse_report(sample("exchange.eml"))
    assert [report.source for report in reports] == [
        f"receiver.example-isp.test!{PERIOD}.xml",
        f"enterprise.protection.outlook.com!{PERIOD}.xml",
    ]


def test_report_as_data_has_stable_keys():
    (report,) = parse_report(sample("xml/rfc9990.xml"))
    data = report.to_dict()
    assert {"org_name", "email", "report_id", "begin", "end", "policy", "records", "messages", "passed"} <= set(data)
    assert (data["begin"], data["end"]) == ("2025-01-15T00:00:00Z", "2025-01-15T23:59:59Z")
    assert {"domain", "adkim", "aspf", "p", "sp", "np", "testing"} <= set(data["policy"])
    assert {
        "source_ip",
        "count",
        "disposition",
        "dkim",
        "spf",
        "header_from",
        "envelope_from",
        "auth_results",
        "attribution",
    } <= set(data["records"][0])
    assert set(data["records"][0]["auth_results"][0]) >= {"domain", "selector", "scope", "result"}
    assert (data["messages"], data["passed"]) == (33, 27)


def test_totals_per_source_over_reports():
    reports = parse_report(sample("google.eml")) + parse_report(sample(f"yahoo.com!{PERIOD}.xml.gz"))
    totals = summarize(reports)
    assert (totals.reports, totals.messages, totals.passed) == (2, 245, 178)
    odoo = totals.sources[0]
    assert (odoo.ip, odoo.messages, odoo.spf_aligned, odoo.dkim_aligned, odoo.dispositions) == (
        "149.202.206.10",
        160,
        160,
        160,
        {"none": 160},
    )
    assert round(totals.pass_rate, 3) == 0.727


# Reporters' quirks.


def test_stray_xs_schema_wrapper_with_an_undeclared_prefix():
    wrapped = b'<?xml version="1.0"?>\n<xs:schema>' + feedback() + b"</xs:schema>"
    assert parse_report(wrapped)[0].records[0].source_ip == "192.0.2.1"


def test_stray_xs_schema_wrapper_with_its_namespace():
    start = b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">'
    assert parse_report(start + feedback() + b"</xs:schema>")[0].org_name == "Example"


def test_optional_elements_missing():
    metadata = (
        "<org_name>Minimal</org_name><report_id>7</report_id><date_range><begin>1</begin><end>2</end></date_range>"
    )
    bare = "<record><row><source_ip>192.0.2.7</source_ip><count>1</count></row></record>"
    (early,) = parse_report(feedback(bare, metadata=metadata, policy=""))
    assert early.begin == datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert early.notes == ("the period begins on 1970-01-01, before DMARC reports existed (2012)",)
    metadata = metadata.replace("<begin>1</begin><end>2</end>", "<begin>1736899200</begin><end>1736985599</end>")
    (report,) = parse_report(feedback(bare, metadata=metadata, policy=""))
    (only,) = report.records
    assert (report.email, report.policy.p, only.disposition, only.dkim, only.header_from, only.auth_results) == (
        None,
        None,
        None,
        None,
        None,
        (),
    )
    assert report.messages == 1 and report.passed == 0


def test_helo_scope_without_a_domain_is_kept():
    auth = (
        "<spf><scope>helo</scope><result>pass</result></spf>"
        "<spf><domain>shop.reports.test</domain><result>fail</result></spf>"
    )
    (report,) = parse_report(feedback(record(auth=auth)))
    helo, mfrom = report.records[0].auth_results
    assert (helo.domain, helo.scope, helo.result) == (None, "helo", "pass")
    assert (mfrom.domain, mfrom.result) == ("shop.reports.test", "fail")


def test_upper_case_values_are_read_in_lower_case():
    data = feedback(policy="<adkim>R</adkim><p>Reject</p>").replace(b"<dkim>pass</dkim>", b"<dkim>PASS</dkim>")
    data = data.replace(b"<disposition>none</disposition>", b"<disposition>None</disposition>")
    (report,) = parse_report(data)
    assert (report.policy.adkim, report.policy.p) == ("r", "reject")
    assert (report.records[0].disposition, report.records[0].dkim, report.passed) == ("none", "pass", 3)


def test_invalid_utf8_bytes_are_replaced_not_fatal():
    data = feedback().replace(b"<org_name>Example</org_name>", b"<org_name>Soci\xe9t\xe9 \xff</org_name>")
    assert parse_report(data)[0].org_name == "Soci\ufffdt\ufffd \ufffd"


def test_declared_latin1_is_decoded():
    data = b'<?xml version="1.0" encoding="ISO-8859-1"?>' + feedback().replace(b"Example", b"Soci\xe9t\xe9")
    assert parse_report(data)[0].org_name == "Société"


def test_utf16_and_byte_order_marks():
    text = '<?xml version="1.0" encoding="UTF-16"?>' + feedback().decode()
    assert parse_report(text.encode("utf-16"))[0].org_name == "Example"
    assert parse_report(text.encode("utf-16-le"))[0].org_name == "Example"
    assert parse_report(b"\xef\xbb\xbf" + feedback())[0].org_name == "Example"


def test_control_characters_in_text_do_not_lose_the_report():
    data = feedback().replace(b"Example", b"Exa\x00mple\x07")
    assert parse_report(data)[0].org_name == "Exa\ufffdmple\ufffd"


def test_a_bytes_codec_as_declared_encoding_is_read_as_utf8():
    data = b'<?xml version="1.0" encoding="zlib_codec"?>' + feedback()
    assert parse_report(data)[0].org_name == "Example"


def test_prefixed_namespace_and_old_draft_identities():
    data = feedback().replace(b"<", b"<d:").replace(b"<d:/", b"</d:")
    data = data.replace(b"<d:feedback>", b'<d:feedback xmlns:d="urn:ietf:params:xml:ns:dmarc-2.0">')
    assert parse_report(data)[0].format == "rfc9990"
    identities = record().replace("identifiers>", "identities>")
    assert parse_report(feedback(identities))[0].records[0].header_from == "shop.reports.test"


def test_org_name_missing_falls_back_to_the_contact_domain():
    metadata = (
        "<email>noreply@reporter.test</email><report_id>1</report_id>"
        "<date_range><begin>1736899200.0</begin><end>1736985599</end></date_range>"
    )
    assert parse_report(feedback(metadata=metadata))[0].org_name == "reporter.test"


def test_concatenated_gzip_members_and_trailing_bytes():
    data = feedback()
    cut = len(data) // 2
    joined = gzip.compress(data[:cut], mtime=0) + gzip.compress(data[cut:], mtime=0) + b"\x00\x00"
    assert parse_report(joined)[0].records[0].count == 3


def test_zip_members_other_than_xml_are_left_out_and_said_so():
    (report,) = parse_report(zipped({"README.txt": b"hello", "report.xml": feedback()}))
    assert [str(skip) for skip in report.skipped] == ["zip member README.txt: it is not XML once unpacked"]
    assert len(parse_report(zipped({"report": feedback()}))) == 1


def test_macos_resource_forks_are_skipped_and_the_reports_beside_them_read():
    (report,) = parse_report(sample("quirks/macos.zip"))
    assert [skip.reason for skip in report.skipped] == [
        "it is a folder",
        "it is a macOS resource fork, not a file (__MACOSX)",
    ]
    assert report.to_dict()["skipped"][1]["what"].startswith("zip member __MACOSX/._google.com!")


def test_a_zip_of_nothing_but_parts_that_hold_no_report_says_what_each_is():
    reason = refused(zipped({"__MACOSX/._report.xml": b"\x00\x05\x16\x07", "": b"", "notes.txt": b"hi"}))
    assert reason == (
        "the zip archive holds no report: zip member __MACOSX/._report.xml: it is a macOS resource fork, not a "
        "file (__MACOSX); a zip member without a name: it is empty; zip member notes.txt: it is not XML once unpacked"
    )


def test_an_address_in_angle_brackets_is_read_as_the_address():
    (report,) = parse_report(sample("quirks/address-in-angle-brackets.xml"))
    assert report.email == "dmarchelp@yahooinc.com"
    assert "not well-formed" in refused(feedback(metadata="<org_name>E</org_name><email><a b@c></email>"))


def test_the_rfc_9990_sample_is_read_as_written_with_a_note_on_its_date():
    (report,) = parse_report(sample("xml/rfc9990-appendix-b.xml"))
    assert (report.begin, report.end) == (
        datetime(1979, 8, 7, tzinfo=UTC),
        datetime(1979, 8, 7, 23, 59, 59, tzinfo=UTC),
    )
    assert report.records[0].disposition == "pass"
    assert report.to_dict()["notes"] == ["the period begins on 1979-08-07, before DMARC reports existed (2012)"]


@pytest.mark.parametrize(
    ("begin", "end", "notes"),
    [
        ("0", "86399", ["the period begins on 1970-01-01, before DMARC reports existed (2012)"]),
        ("1736899200", "4102444800", ["the period ends on 2100-01-01, in the future"]),
        ("1736985599", "1736899200", ["the period ends before it begins"]),
        ("1736899200.5", "1736985599.0", []),
    ],
)
def test_odd_periods_are_read_as_written_and_noted(begin, end, notes):
    metadata = (
        "<org_name>Example</org_name><report_id>r</report_id>"
        f"<date_range><begin>{begin}</begin><end>{end}</end></date_range>"
    )
    (report,) = parse_report(feedback(metadata=metadata))
    assert int(report.begin.timestamp()) == int(float(begin))
    assert list(report.notes) == notes


def test_a_period_no_date_can_hold_is_refused():
    metadata = "<org_name>E</org_name><report_id>r</report_id><date_range><begin>999999999999</begin><end>1</end>"
    assert "after the year 9999" in refused(feedback(metadata=metadata + "</date_range>"))


def test_octet_stream_attachment_is_read_by_its_first_bytes():
    payload = gzip.compress(feedback(), mtime=0)
    parts = [("application/octet-stream", "attachment.bin", payload), ("application/pdf", "notice.pdf", b"%PDF")]
    assert len(parse_report(_message(parts))) == 1


# What is not a report, each with its reason.


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"  \n\t", "the file is empty"),
        (b"hello, world", "not a report: neither XML, gzip, zip nor an email message"),
        (b"<html><body>hi</body></html>", "the root element is <html>, not <feedback>"),
        (b"<feedback>", "truncated"),
        (b"<<<", "not XML"),
        (b"<feedback></feedback>", "the report has no <report_metadata>"),
        (feedback().replace(b"<domain>shop.reports.test</domain>", b""), "policy_published has no <domain>"),
        (feedback().replace(b"<begin>1736899200</begin>", b"<begin>yesterday</begin>"), "is not a number of seconds"),
        (feedback() + b"<feedback/>", "broken XML: junk after document element"),
        (b"<?xml version='1.0'?><!DOCTYPE feedback><feedback/>", "DOCTYPE"),
        (b"<feedback><report_metadata>&nbsp;</report_metadata></feedback>", "undefined entity"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff", "the gzip data is corrupt"),
        (gzip.compress(feedback(), mtime=0)[:-30], "the gzip data is truncated"),
        (b"PK\x03\x04 the rest is lost", "the zip archive is truncated: it has no end record"),
        (b"PK\x05\x06" + bytes(18), "the zip archive is empty"),
        (b"From: a@example.test\nSubject: hi\n\nno attachment here\n", "the message holds no report"),
    ],
)
def test_not_a_report_says_why(data, reason):
    assert reason in refused(data)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (record(ip="192.0.2.300"), "source_ip '192.0.2.300' is not an IP address"),
        (record(ip=""), "the record: <source_ip> is empty"),
        (record(count="-1"), "count '-1' is not a number of messages"),
        (record(count=""), "the record: <count> is empty"),
        ("<record><identifiers/></record>", "it has no <row>"),
    ],
)
def test_a_record_that_cannot_be_read_is_skipped_and_the_report_keeps_the_others(bad, reason):
    (report,) = parse_report(feedback(record(ip="192.0.2.1") + bad + record(ip="192.0.2.3")))
    assert [found.source_ip for found in report.records] == ["192.0.2.1", "192.0.2.3"]
    assert [(skip.what, skip.reason) for skip in report.skipped] == [("record 2", reason)]
    assert report.to_dict()["skipped"] == [{"what": "record 2", "reason": reason}]


def test_a_report_whose_records_are_all_unreadable_is_kept_with_its_reasons():
    (report,) = parse_report(feedback(record(ip="") + record(count="many")))
    assert (report.records, len(report.skipped), report.messages) == ((), 2, 0)


def test_a_report_lists_its_first_100_unreadable_records_and_counts_the_others():
    (report,) = parse_report(feedback(record(ip="192.0.2.1") + record(ip="") * 250))
    assert len(report.records) == 1 and len(report.skipped) == 101
    assert report.skipped[99].what == "record 101"
    assert str(report.skipped[100]) == "150 more records: they could not be read either (the first 100 are listed)"


def test_a_broken_attachment_is_named():
    message = _message([("application/gzip", "report.xml.gz", b"\x1f\x8bnot gzip")])
    assert refused(message).startswith("attachment report.xml.gz: the gzip data is corrupt")


def test_an_encrypted_zip_member_is_refused():
    data = bytearray(zipped({"report.xml": feedback()}))
    # The encryption flag, in the member's local header and in the central directory.
    for offset in (6, data.rfind(b"PK\x01\x02") + 8):
        data[offset] |= 0x1
    assert "encrypted" in refused(bytes(data))


def test_report_error_is_the_engines_value_error():
    assert issubclass(ReportError, MailDNSError) and issubclass(ReportError, ValueError)


# Limits: each refuses with its reason (tests/engine/test_aggregate_hostile.py has the real bombs).


@pytest.mark.parametrize(
    ("limits", "data", "reason"),
    [
        (Limits(input_bytes=100), feedback(), "the file is over"),
        (Limits(xml_bytes=2048), feedback(record() * 20), "the XML is over"),
        (Limits(elements=10), feedback(record() * 3), "<record> holds over 10 elements"),
        (
            Limits(text_bytes=100),
            feedback(metadata="<org_name>" + "x" * 101 + "</org_name>"),
            "the text of an element is over 100 characters",
        ),
    ],
)
def test_each_limit_refuses_with_its_reason(limits, data, reason):
    assert reason in refused(data, limits=limits)


def test_a_record_over_the_repeated_limit_is_skipped():
    data = feedback(record(auth="<dkim/><dkim/><dkim/>") + record(ip="192.0.2.9"))
    (report,) = parse_report(data, limits=Limits(repeated=2))
    assert [found.source_ip for found in report.records] == ["192.0.2.9"]
    assert [str(skip) for skip in report.skipped] == ["record 1: it gives over 2 authentication results"]


def test_member_and_ratio_limits():
    archive = zipped({"a.xml": feedback(), "b.xml": feedback()})
    assert "holds over 1 members" in refused(archive, limits=Limits(members=1))
    padded = feedback(record() * 2000)
    assert "expands over 5 times" in refused(gzip.compress(padded), limits=Limits(ratio=5, ratio_floor=1024))
    message = _message([("text/xml", f"{index}.xml", feedback()) for index in range(3)])
    assert "over 2 report attachments" in refused(message, limits=Limits(members=2))


def _message(parts: list[tuple[str, str, bytes]]) -> bytes:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "reports@receiver.test"
    message["Subject"] = "Report Domain: shop.reports.test"
    message.set_content("An aggregate report.")
    for content_type, name, data in parts:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()
