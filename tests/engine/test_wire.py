"""The reply reader against dnspython's: same questions and answer texts on every well-formed reply,
and on any bytes at all a Reply or a WireError, never another exception."""

import dns.exception
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from conftest import FUZZ_EXAMPLES
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from odoo.addons.mail_domain_health.maildns import wire

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Labels mixing the plain characters with the ones presentation form escapes (dots, spaces, quotes, bytes
# over 127), in both cases, so the reader's shortcut and its dnspython path are both exercised.
labels = st.one_of(
    st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True),
    st.binary(min_size=1, max_size=12),
).map(lambda label: label.encode() if isinstance(label, str) else label)
names = st.lists(labels, min_size=0, max_size=5).map(lambda parts: dns.name.Name([*parts, b""]))
txt_strings = st.lists(st.binary(max_size=255), min_size=1, max_size=4)
rdatas = st.one_of(
    st.tuples(st.just("TXT"), txt_strings),
    st.tuples(st.just("SPF"), txt_strings),
    st.tuples(st.just("A"), st.ip_addresses(v=4).map(str)),
    st.tuples(st.just("AAAA"), st.ip_addresses(v=6).map(str)),
    st.tuples(st.just("CNAME"), names),
    st.tuples(st.just("PTR"), names),
    st.tuples(st.just("NS"), names),
    st.tuples(st.just("MX"), st.tuples(st.integers(0, 65535), names)),
    st.tuples(st.just("SOA"), names),
    st.tuples(st.just("CAA"), st.just('0 issue "ca.example"')),
)


def _rdata(kind: str, value) -> dns.rdata.Rdata:
    rdtype = dns.rdatatype.from_text(kind)
    if kind in ("TXT", "SPF"):
        return dns.rdata.from_wire(
            1, rdtype, b"".join(bytes((len(s),)) + s for s in value), 0, sum(map(len, value)) + len(value)
        )
    if kind in ("CNAME", "PTR", "NS"):
        return dns.rdata.from_text(1, rdtype, value.to_text())
    if kind == "MX":
        return dns.rdata.from_text(1, rdtype, f"{value[0]} {value[1].to_text()}")
    if kind == "SOA":
        return dns.rdata.from_text(1, rdtype, f"{value.to_text()} hostmaster.example. 1 2 3 4 5")
    return dns.rdata.from_text(1, rdtype, value)


def _expected_text(rdata: dns.rdata.Rdata) -> str:
    """What a Lookup records for an rdata: the definition maildns.dns.Lookup documents."""
    if rdata.rdtype in (dns.rdatatype.TXT, dns.rdatatype.SPF):
        return b"".join(rdata.strings).decode("utf-8", errors="replace")
    if rdata.rdtype == dns.rdatatype.MX:
        return rdata.exchange.to_text(omit_final_dot=True).lower()
    if rdata.rdtype in (dns.rdatatype.CNAME, dns.rdatatype.PTR, dns.rdatatype.NS):
        return rdata.target.to_text(omit_final_dot=True).lower()
    return rdata.to_text()


@FUZZ
@given(qname=names, records=st.lists(st.tuples(names, rdatas), max_size=6), rcode=st.sampled_from([0, 2, 3, 5, 16]))
@example(qname=dns.name.root, records=[(dns.name.root, ("MX", (0, dns.name.root)))], rcode=0)
def test_reader_agrees_with_dnspython(qname, records, rcode):
    singletons = [owner for owner, (kind, _value) in records if kind in ("CNAME", "SOA")]
    # Two CNAMEs (or SOAs) at one name are illegal, and dnspython keeps only the last: nothing to compare.
    assume(len(singletons) == len(set(singletons)))
    FUZZ_EXAMPLES["reply_reader_vs_dnspython"] += 1
    response = dns.message.make_response(dns.message.make_query(qname, "TXT", use_edns=0, payload=1232))
    response.set_rcode(rcode)
    for owner, (kind, value) in records:
        rdata = _rdata(kind, value)
        response.answer.append(dns.rrset.from_rdata(owner, 300, rdata))
    try:
        # Compression on, as servers send it: names in the answer point back into the question and each other.
        data = response.to_wire(max_size=65535)
    except dns.exception.TooBig:
        return
    theirs = dns.message.from_wire(data)
    ours = wire.parse_reply(data)
    assert ours.id == theirs.id and ours.flags == theirs.flags and ours.rcode == theirs.rcode()
    assert ours.questions == tuple(
        (q.name.to_text(omit_final_dot=True).lower(), q.rdtype, q.rdclass) for q in theirs.question
    )
    expected = [
        (rrset.name.to_text(omit_final_dot=True).lower(), rdata.rdtype, rdata.rdclass, _expected_text(rdata))
        for rrset in theirs.answer
        for rdata in rrset
    ]
    got = [(record.owner, record.rdtype, record.rdclass, record.text) for record in ours.answer]
    # dnspython merges the records of one RRset that came apart, dropping repeats; the reader keeps them all.
    assert len(got) == len(records)
    assert set(got) == set(expected)


@FUZZ
@given(
    seed=st.binary(min_size=0, max_size=600), cut=st.integers(0, 600), flips=st.lists(st.integers(0, 599), max_size=8)
)
def test_reader_on_damaged_replies(seed, cut, flips):
    FUZZ_EXAMPLES["reply_reader_on_damaged_bytes"] += 1
    response = dns.message.make_response(dns.message.make_query("mail.example.com", "TXT", use_edns=0))
    response.answer.append(dns.rrset.from_text("mail.example.com.", 300, "IN", "TXT", '"v=spf1 -all"'))
    response.answer.append(dns.rrset.from_text("mail.example.com.", 300, "IN", "MX", "10 mx.example.com."))
    data = bytearray(response.to_wire() + seed)[: cut + 12]
    for flip in flips:
        if flip < len(data):
            data[flip] ^= 0xFF
    try:
        reply = wire.parse_reply(bytes(data))
    except wire.WireError:
        return
    assert isinstance(reply, wire.Reply)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00" * 11, "shorter than a DNS header"),
        (b"\x00\x01\x80\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x10\x00\x01", "does not point backwards"),
        (b"\x00\x01\x80\x00\x00\x01\x00\x00\x00\x00\x00\x00\x40abc\x00\x00\x10\x00\x01", "unknown label type"),
        (
            b"\x00\x01\x80\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00\x10\x00\x01" + b"\x00\x00\x01\x00\x01",
            "cut short",
        ),
    ],
)
def test_reader_names_what_is_wrong(data, reason):
    with pytest.raises(wire.WireError, match=reason):
        wire.parse_reply(data)


def test_a_long_name_is_refused_before_it_is_sent():
    with pytest.raises(ValueError, match="255"):
        wire.name_to_wire(".".join(["a" * 63] * 4))
    assert wire.name_to_wire("Mail.Example.COM.") == b"\x04Mail\x07Example\x03COM\x00"
