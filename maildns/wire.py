"""The DNS wire format, for the one shape of exchange a Resolver has: one question out, one reply in.

A checking run reads thousands of small replies and needs little of each: the header, the question
(to match the reply to its query) and the answer section's records as text. dnspython's Message
parses every record of every section into objects, which cost more than the rest of a lookup's
own work together; this reads only what is needed, and checks the rest of the reply for sound
structure (lengths, names, compression pointers) so that a garbled reply is refused, not half read.
Record types the checks do not read are rendered by dnspython, as before.
"""

import re
import struct
from dataclasses import dataclass

import dns.exception
import dns.ipv6
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

OPCODE_QUERY = 0
FLAG_QR = 0x8000
FLAG_TC = 0x0200
FLAG_RD = 0x0100
RCODE_NOERROR = 0
RCODE_FORMERR = 1
RCODE_SERVFAIL = 2
RCODE_NXDOMAIN = 3
RCODE_NOTIMP = 4
RCODE_REFUSED = 5
CLASS_IN = 1
TYPE_A = 1
TYPE_NS = 2
TYPE_CNAME = 5
TYPE_PTR = 12
TYPE_MX = 15
TYPE_TXT = 16
TYPE_AAAA = 28
TYPE_OPT = 41
TYPE_SPF = 99
EDNS_PAYLOAD = 1232

_HEADER = struct.Struct("!HHHHHH")
_RR_FIXED = struct.Struct("!HHIH")
# Labels read from the wire are 1 to 63 bytes already: only their characters need checking.
_PLAIN_JOINED = re.compile(rb"[A-Za-z0-9_.-]+")
_PLAIN_NAME = re.compile(r"(?:[A-Za-z0-9_-]{1,63}\.){0,126}[A-Za-z0-9_-]{1,63}\.?")
_NAME_TYPES = (TYPE_NS, TYPE_CNAME, TYPE_PTR)


class WireError(ValueError):
    """A reply that is not a well-formed DNS message."""


@dataclass(frozen=True, slots=True)
class Record:
    """One answer record: owner and text in lower-case presentation form, without the final dot."""

    owner: str
    rdtype: int
    rdclass: int
    text: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What a Resolver reads of a reply: its header, its questions, as (name, type, class), and its answer."""

    id: int
    flags: int
    rcode: int
    questions: tuple[tuple[str, int, int], ...]
    answer: tuple[Record, ...]

    @property
    def opcode(self) -> int:
        return (self.flags >> 11) & 0xF

    @property
    def truncated(self) -> bool:
        return bool(self.flags & FLAG_TC)


def name_to_wire(name: str) -> bytes:
    """The wire form of a name in presentation form; raises ValueError if it is not a valid DNS name."""
    if _PLAIN_NAME.fullmatch(name):
        wire = b"".join(bytes((len(label),)) + label.encode("ascii") for label in name.rstrip(".").split("."))
        if len(wire) + 1 > 255:
            raise ValueError("the name is longer than 255 bytes")
        return wire + b"\x00"
    try:
        return dns.name.from_text(name).to_wire()
    except (dns.exception.DNSException, UnicodeError) as error:
        raise ValueError(str(error) or type(error).__name__) from None


def make_query(query_id: int, qname_wire: bytes, rdtype: int) -> bytes:
    """A query with recursion desired and EDNS (a 1232-byte payload, as DNS Flag Day 2020 advises)."""
    header = _HEADER.pack(query_id, FLAG_RD, 1, 0, 0, 1)
    question = qname_wire + struct.pack("!HH", rdtype, CLASS_IN)
    opt = b"\x00" + _RR_FIXED.pack(TYPE_OPT, EDNS_PAYLOAD, 0, 0)
    return header + question + opt


def parse_reply(wire: bytes) -> Reply:
    """Read a reply; raise WireError if it is not a well-formed DNS message.

    A truncated reply (TC set) is read up to its questions only: the records after them may be cut
    mid-way, and the caller asks again over TCP anyway.
    """
    if len(wire) < _HEADER.size:
        raise WireError("shorter than a DNS header")
    query_id, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(wire)
    offset = _HEADER.size
    questions = []
    for _ in range(qdcount):
        name, offset = read_name(wire, offset)
        if offset + 4 > len(wire):
            raise WireError("a question is cut short")
        questions.append((name, *struct.unpack_from("!HH", wire, offset)))
        offset += 4
    rcode = flags & 0xF
    if flags & FLAG_TC:
        return Reply(query_id, flags, rcode, tuple(questions), ())
    answer = []
    for _ in range(ancount):
        owner, rdtype, rdclass, _fixed, start, offset = _read_record(wire, offset)
        answer.append(Record(owner, rdtype, rdclass, _rdata_text(wire, rdtype, rdclass, start, offset)))
    for _ in range(nscount):
        offset = _read_record(wire, offset)[-1]
    for _ in range(arcount):
        _owner, rdtype, _rdclass, fixed, _start, offset = _read_record(wire, offset)
        if rdtype == TYPE_OPT:
            # The extended RCODE's upper eight bits are the first byte of the OPT record's TTL (RFC 6891 6.1.3).
            rcode |= wire[fixed + 4] << 4
    return Reply(query_id, flags, rcode, tuple(questions), tuple(answer))


def read_name(wire: bytes, offset: int) -> tuple[str, int]:
    """The name at `offset`, as lower-case presentation text without the final dot, and the offset after it.

    Compression pointers must point backwards, each before the last, so a pointer loop cannot be built.
    """
    labels: list[bytes] = []
    length = 1
    end = None
    limit = offset
    size = len(wire)
    while True:
        if offset >= size:
            raise WireError("a name runs past the end of the message")
        count = wire[offset]
        if count == 0:
            offset += 1
            break
        if count >= 0xC0:
            if offset + 1 >= size:
                raise WireError("a compression pointer is cut short")
            pointer = ((count & 0x3F) << 8) | wire[offset + 1]
            if end is None:
                end = offset + 2
            if pointer >= limit:
                raise WireError("a compression pointer does not point backwards")
            limit = offset = pointer
            continue
        if count > 63:
            raise WireError("unknown label type")
        label = wire[offset + 1 : offset + 1 + count]
        if len(label) != count:
            raise WireError("a label runs past the end of the message")
        length += count + 1
        if length > 255:
            raise WireError("a name is longer than 255 bytes")
        labels.append(label)
        offset += count + 1
    return _name_text(labels), end if end is not None else offset


def _name_text(labels: list[bytes]) -> str:
    if not labels:
        # The root: dnspython writes it "." even when asked to leave the final dot out.
        return "."
    joined = b".".join(labels)
    # Plain characters, and no dot but the separators (a dot inside a label is written escaped).
    if _PLAIN_JOINED.fullmatch(joined) and joined.count(b".") == len(labels) - 1:
        return joined.decode("ascii").lower()
    # Escapes for dots, spaces and bytes outside printable ASCII: dnspython's presentation form.
    return dns.name.Name([*labels, b""]).to_text(omit_final_dot=True).lower()


def _read_record(wire: bytes, offset: int) -> tuple[str, int, int, int, int, int]:
    """One resource record's owner, type and class, where its fixed fields start, and its data's bounds
    (the end of the data is where the next record starts)."""
    owner, fixed = read_name(wire, offset)
    if fixed + _RR_FIXED.size > len(wire):
        raise WireError("a record is cut short")
    rdtype, rdclass, _ttl, rdlength = _RR_FIXED.unpack_from(wire, fixed)
    start = fixed + _RR_FIXED.size
    end = start + rdlength
    if end > len(wire):
        raise WireError("a record's data runs past the end of the message")
    return owner, rdtype, rdclass, fixed, start, end


def _rdata_text(wire: bytes, rdtype: int, rdclass: int, start: int, end: int) -> str:
    """An answer record's data as the checks read it (see maildns.dns.Lookup)."""
    if rdtype in (TYPE_TXT, TYPE_SPF):
        return _txt(wire, start, end)
    if rdtype == TYPE_A and rdclass == CLASS_IN:
        if end - start != 4:
            raise WireError("an A record is not 4 bytes")
        return ".".join(map(str, wire[start:end]))
    if rdtype == TYPE_AAAA and rdclass == CLASS_IN:
        if end - start != 16:
            raise WireError("an AAAA record is not 16 bytes")
        return dns.ipv6.inet_ntoa(wire[start:end])
    if rdtype in _NAME_TYPES or rdtype == TYPE_MX:
        name_start = start + 2 if rdtype == TYPE_MX else start
        target, after = read_name(wire, name_start) if name_start <= end else ("", -1)
        if after != end:
            raise WireError(f"a {dns.rdatatype.to_text(rdtype)} record's name does not fill its data")
        return target
    try:
        rdata = dns.rdata.from_wire(rdclass, rdtype, wire, start, end - start)
    except (dns.exception.DNSException, ValueError, UnicodeError, EOFError) as error:
        raise WireError(f"a {dns.rdatatype.to_text(rdtype)} record does not parse: {error}") from None
    return rdata.to_text()


def _txt(wire: bytes, start: int, end: int) -> str:
    """A TXT record's strings joined without separator, as SPF, DKIM and DMARC read them (RFC 7208 3.3)."""
    strings = []
    offset = start
    while offset < end:
        count = wire[offset]
        offset += 1
        if offset + count > end:
            raise WireError("a TXT string runs past its record")
        strings.append(wire[offset : offset + count])
        offset += count
    if not strings:
        raise WireError("a TXT record without a string")
    return b"".join(strings).decode("utf-8", errors="replace")
