"""Whatever the input, every parser gives a result or its documented error, never another exception."""

import base64
import gzip
import io
import json
import quopri
import zipfile

import pytest
from conftest import FUZZ_EXAMPLES
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from reports.build import samples, xml, zipped

from odoo.addons.mail_domain_health.maildns.aggregate import ReportError, parse_report
from odoo.addons.mail_domain_health.maildns.aggregate.parse import REPORT_TYPES
from odoo.addons.mail_domain_health.maildns.dkim import InvalidKey, parse_key_record
from odoo.addons.mail_domain_health.maildns.dmarc import parse_dmarc
from odoo.addons.mail_domain_health.maildns.errors import MailDNSError
from odoo.addons.mail_domain_health.maildns.names import _validate, parse_target, to_ascii
from odoo.addons.mail_domain_health.maildns.spf import SpfSyntaxError, parse_record, select_records
from odoo.addons.mail_domain_health.maildns.tags import parse_tags

EXAMPLES = 400
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SPF_WORDS = st.sampled_from(
    [
        "v=spf1",
        "include:",
        "a",
        "mx",
        "ptr",
        "ip4:",
        "ip6:",
        "exists:",
        "all",
        "-all",
        "~",
        "?",
        "+",
        "redirect=",
        "exp=",
        "%{i}",
        "%{d2r}",
        "%%",
        "%_",
        "/24",
        "//64",
        "192.0.2.1",
        "2001:db8::",
        ".example.com",
        " ",
        ":",
        "=",
    ]
)
spf_texts = st.one_of(st.text(max_size=80), st.lists(SPF_WORDS, max_size=12).map("".join))
tag_texts = st.one_of(
    st.text(max_size=80),
    st.lists(
        st.sampled_from(["v=DMARC1", "v=DKIM1", "p=", "reject", "k=rsa", "sp=none", ";", " ", "=", "rua=mailto:"]),
        max_size=10,
    ).map("".join),
)


@FUZZ
@given(spf_texts)
def test_spf_parser(text):
    FUZZ_EXAMPLES["spf_parser"] += 1
    try:
        record = parse_record(text)
    except SpfSyntaxError as error:
        assert error.position >= 0
    else:
        assert record is not None
    assert isinstance(select_records([text, text]), tuple)


@FUZZ
@given(tag_texts)
def test_dmarc_parser(text):
    FUZZ_EXAMPLES["dmarc_parser"] += 1
    record = parse_dmarc(text)
    assert record.policy in (None, "none", "quarantine", "reject")


@FUZZ
@given(tag_texts)
def test_dkim_key_parser(text):
    FUZZ_EXAMPLES["dkim_key_parser"] += 1
    try:
        key = parse_key_record(text)
    except InvalidKey:
        return
    assert key.revoked or key.key_bits


@FUZZ
@given(st.binary(max_size=300))
def test_dkim_key_parser_on_binary_keys(data):
    FUZZ_EXAMPLES["dkim_key_parser_on_binary_keys"] += 1
    import base64

    try:
        parse_key_record("v=DKIM1; p=" + base64.b64encode(data).decode())
    except InvalidKey:
        pass


@FUZZ
@given(tag_texts)
def test_tag_parser(text):
    FUZZ_EXAMPLES["tag_parser"] += 1
    parsed = parse_tags(text)
    assert all(name == name.lower() for name in parsed.tags)


@FUZZ
@given(st.one_of(st.text(max_size=300), st.emails().map(str)))
def test_target_parser(text):
    FUZZ_EXAMPLES["target_parser"] += 1
    try:
        target = parse_target(text)
    except MailDNSError:
        return
    assert target.domain == target.domain.lower()
    assert len(target.domain) <= 253


ascii_names = st.one_of(
    st.text(alphabet="aZ09-_.", max_size=80),
    st.lists(st.text(alphabet="abcXYZ019-_", min_size=0, max_size=64), min_size=1, max_size=6).map(".".join),
    st.from_regex(r"\A[a-zA-Z0-9_-]{1,70}(\.[a-zA-Z0-9_-]{1,70}){1,4}\.?\Z"),
)


@FUZZ
@given(ascii_names)
@example("a" * 63 + ".com")
@example("a" * 64 + ".com")
@example(".".join(["a" * 63] * 3 + ["b" * 61]))  # 253 characters: the longest name
@example(".".join(["a" * 63] * 3 + ["b" * 62]))  # 254: one too many
@example("192.0.2.1")
@example("Example.COM.")
def test_domain_shortcut_agrees_with_the_full_validation(text):
    FUZZ_EXAMPLES["domain_shortcut"] += 1
    try:
        expected = _validate(text, text.strip().removesuffix(".") if not text.endswith("..") else text.strip())
    except MailDNSError as error:
        expected = error
    try:
        got = to_ascii(text)
    except MailDNSError as error:
        got = error
    if isinstance(expected, MailDNSError):
        assert isinstance(got, MailDNSError), (text, got)
    else:
        assert got == expected


# Aggregate reports: real samples in every packaging, damaged; random XML made of the report's own
# element names; and plain random bytes.
REPORT_SAMPLES = [*samples().values(), *(xml(name) for name in ("yahoo", "google", "microsoft", "rfc9990"))]
REPORT_WORDS = [
    "feedback",
    "report_metadata",
    "org_name",
    "report_id",
    "date_range",
    "begin",
    "end",
    "policy_published",
    "domain",
    "p",
    "record",
    "row",
    "source_ip",
    "count",
    "policy_evaluated",
    "identifiers",
    "auth_results",
    "dkim",
    "spf",
    "result",
    "scope",
    "xs:schema",
]
_report_tokens = st.one_of(
    st.sampled_from(REPORT_WORDS).map(lambda name: f"<{name}>"),
    st.sampled_from(REPORT_WORDS).map(lambda name: f"</{name}>"),
    st.sampled_from(["192.0.2.1", "2001:db8::1", "17", "1736899200", "pass", "PASS", "none", "&amp;", "\x00", "é"]),
)
random_feedback = st.lists(_report_tokens, max_size=60).map(lambda tokens: "".join(tokens).encode("utf-8"))


@st.composite
def damaged_samples(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(REPORT_SAMPLES)))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data)))
        removed = draw(st.integers(0, 16))
        data[position : position + removed] = draw(st.binary(max_size=8))
    if draw(st.booleans()):
        del data[draw(st.integers(0, len(data))) :]
    return bytes(data)


@FUZZ
@given(st.one_of(damaged_samples(), random_feedback, st.binary(max_size=300)))
def test_aggregate_report_parser(data):
    FUZZ_EXAMPLES["aggregate_report_parser"] += 1
    try:
        reports = parse_report(data)
    except ReportError as error:
        assert str(error)
        return
    for report in reports:
        json.dumps(report.to_dict())
        assert report.messages >= report.passed >= 0


# Aggregate reports' containers: zip archives, gzip streams and MIME messages built from random parts
# (names, members, encodings, headers), around real reports, broken ones and random bytes.
_payloads = st.one_of(
    st.sampled_from([xml("aol"), xml("rfc9990"), b"", b"\x00\x05\x16\x07Mac OS X", b"<feedback/>"]),
    damaged_samples(),
    st.binary(max_size=200),
)
_member_names = st.one_of(
    st.sampled_from(["", "/", "report.xml", "__MACOSX/", "__MACOSX/._report.xml", "._report.xml", "a/b/", "r.xml.gz"]),
    st.text(max_size=20),
)


@st.composite
def zip_files(draw) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for _ in range(draw(st.integers(0, 4))):
            info = zipfile.ZipInfo(draw(_member_names), (2025, 1, 16, 0, 0, 0))
            info.compress_type = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
            archive.writestr(info, draw(_payloads))
    data = bytearray(buffer.getvalue())
    for _ in range(draw(st.integers(0, 2))):
        position = draw(st.integers(0, max(0, len(data) - 1)))
        data[position : position + 1] = draw(st.binary(max_size=3))
    return bytes(data)


@st.composite
def gzip_files(draw) -> bytes:
    data = gzip.compress(draw(_payloads), mtime=0)
    if draw(st.booleans()):
        data += draw(st.one_of(st.binary(max_size=20), st.just(data)))
    return data[: draw(st.integers(0, len(data)))] if draw(st.booleans()) else data


_header_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(['application/gzip; name="r.xml.gz"', "text/xml; charset=utf-16", "multipart/mixed", "x/y;;;"]),
)


@st.composite
def messages(draw) -> bytes:
    boundary = draw(st.sampled_from(["b", "=_b", "", "--"]))
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        payload = draw(st.one_of(_payloads, zip_files(), gzip_files()))
        encoding = draw(st.sampled_from(["base64", "quoted-printable", "7bit", "x-unknown", "binary"]))
        body = base64.encodebytes(payload) if encoding == "base64" else quopri.encodestring(payload)
        content_type = draw(
            st.one_of(st.sampled_from(sorted(REPORT_TYPES) + ["application/octet-stream"]), _header_values)
        )
        name = draw(_member_names)
        headers = (
            f'Content-Type: {content_type}; name="{name}"\nContent-Transfer-Encoding: {encoding}\n'
            f"Content-Disposition: attachment; filename*={draw(st.sampled_from(['', 'utf-8', 'x-bad']))}''{name}\n"
        )
        parts.append(headers.encode("utf-8", "replace") + b"\n" + body)
    head = (
        f'From: {draw(st.text(max_size=10))}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="{boundary}"\n'
    )
    text = (
        head.encode("utf-8", "replace")
        + b"\n"
        + b"".join(b"--" + boundary.encode() + b"\n" + part + b"\n" for part in parts)
    )
    return text + (b"--" + boundary.encode() + b"--\n" if draw(st.booleans()) else b"")


# Archives with one name twice are among the hostile inputs: zipfile's warning while building them says nothing.
@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")
@FUZZ
@given(st.one_of(zip_files(), gzip_files(), messages()))
@example(zipped({"": b""}))
@example(zipped({"": xml("aol"), "__MACOSX/._r.xml": b"\x00\x05\x16\x07"}))
def test_aggregate_report_containers(data):
    FUZZ_EXAMPLES["aggregate_report_containers"] += 1
    try:
        reports = parse_report(data)
    except ReportError as error:
        assert str(error)
        return
    for report in reports:
        json.dumps(report.to_dict())
        assert all(skip.what and skip.reason for skip in report.skipped)
