"""Whatever the input, every parser gives a result or its documented error, never another exception."""

import json

from conftest import FUZZ_EXAMPLES
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from reports.build import samples, xml

from maildns.aggregate import ReportError, parse_report
from maildns.dkim import InvalidKey, parse_key_record
from maildns.dmarc import parse_dmarc
from maildns.errors import MailDNSError
from maildns.names import _validate, parse_target, to_ascii
from maildns.spf import SpfSyntaxError, parse_record, select_records
from maildns.tags import parse_tags

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
