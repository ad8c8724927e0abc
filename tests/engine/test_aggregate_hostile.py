"""Hostile report files: bombs, entity tricks, broken archives and oversized structures.

Each goes through parse_report with the default Limits and must be refused with its reason, under
MAX_PEAK_BYTES of memory (tracemalloc peak) and within MAX_SECONDS. The figures are printed at the
end of the run (see conftest.py).
"""

import base64
import gzip
import random
import struct
import time
import tracemalloc
import zlib

import pytest

from odoo.addons.mail_domain_health.maildns.aggregate import Limits, ReportError, parse_report

MEBIBYTE = 1024 * 1024
# The most a file may cost is a message just under its limit: the email package reads it at about
# eight times its size. Everything else stays within a few MiB.
MAX_PEAK_BYTES = 64 * MEBIBYTE
# tracemalloc, on while each case runs, slows Python code several times: the bound is for that.
MAX_SECONDS = 10.0
LIMITS = Limits()
HEAD = (
    b'<?xml version="1.0"?>\n<feedback><report_metadata><org_name>Hostile</org_name><email>x@hostile.test</email>'
    b"<report_id>1</report_id><date_range><begin>1736899200</begin><end>1736985599</end></date_range>"
    b"</report_metadata><policy_published><domain>shop.reports.test</domain><p>none</p></policy_published>\n"
)


def padded_deflate(prefix: bytes, size: int) -> tuple[bytes, int, int]:
    """A raw deflate stream of `prefix` then `size` bytes of padding, its CRC-32 and length, built in well under a
    second.

    After a full flush the compressor starts afresh: one compressed MiB of padding, repeated, is a valid
    stream. The padding is empty elements between runs of spaces: inside <extension> it is well-formed XML
    whose texts and elements are within their limits, so only the ratio or size limit stops it.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    padding = (b"<x/>" + b" " * 1020) * 1024
    block = compressor.compress(padding) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(prefix)
    for _ in range(size // MEBIBYTE):
        crc = zlib.crc32(padding, crc)
    stream = head + block * (size // MEBIBYTE) + compressor.flush(zlib.Z_FINISH)
    return stream, crc, len(prefix) + size


def gzip_bomb() -> bytes:
    stream, crc, size = padded_deflate(HEAD + b"<extension>", 1024 * MEBIBYTE)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + stream + struct.pack("<II", crc, size % 2**32)


def zip_archive(members: list[tuple[str, bytes, int, int]], directory_copies: int = 1) -> bytes:
    """A zip of (name, deflated data, crc, size) members, written by hand; the central directory can
    list the first member `directory_copies` times (overlapping entries, as non-recursive bombs do)."""
    local, directory = b"", b""
    for name, data, crc, size in members:
        encoded = name.encode()
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0)
        entry = struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0, 0
        )
        entry = entry[:-4] + struct.pack("<I", len(local))
        directory += (entry + encoded) * (directory_copies if not directory else 1)
        local += header + encoded + data
    count = min(len(members) * directory_copies, 0xFFFF)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), len(local), 0)
    return local + directory + end


def zip_bomb() -> bytes:
    return zip_archive([("report.xml", *padded_deflate(HEAD + b"<extension>", 1024 * MEBIBYTE))])


def overlapping_zip() -> bytes:
    member = ("report.xml", *padded_deflate(HEAD + b"<extension>", 16 * MEBIBYTE))
    return zip_archive([member], directory_copies=10_000)


def plausible_records(count: int, seed: int = 1) -> bytes:
    """Records with varied addresses and counts: they compress about 30 times, as real reports do."""
    generator = random.Random(seed)
    rows = []
    for _ in range(count):
        ip = ".".join(str(generator.randrange(1, 255)) for _ in range(4))
        rows.append(
            f"<record><row><source_ip>{ip}</source_ip><count>{generator.randrange(1, 9999)}</count>"
            "<policy_evaluated><disposition>none</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated>"
            "</row><identifiers><header_from>shop.reports.test</header_from></identifiers><auth_results><spf>"
            f"<domain>h{generator.randrange(10**6)}.test</domain><result>fail</result></spf></auth_results></record>\n"
        )
    return "".join(rows).encode()


def words(size: int, seed: int = 2) -> bytes:
    """`size` bytes of text from a small vocabulary: it compresses about 5 times, under the ratio limit."""
    generator = random.Random(seed)
    vocabulary = [f"w{index:02d}" for index in range(64)]
    block = " ".join(generator.choices(vocabulary, k=MEBIBYTE // 4)).encode()[:MEBIBYTE]
    return block * (size // MEBIBYTE)


def tagged_words(size: int) -> bytes:
    """`size` bytes of words in short elements: each text is short, only the XML's size stops it."""
    block = b"".join(b"<w>" + line + b"</w>" for line in words(MEBIBYTE).split(b" w00")[:-1])
    return block * (size // len(block) + 1)


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, 10)
    ]
    return b'<?xml version="1.0"?><!DOCTYPE feedback [' + "".join(entities).encode() + b"]><feedback>&lol9;</feedback>"


def nested_message(depth: int) -> bytes:
    lines = ["From: a@hostile.test", "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b0"', ""]
    for level in range(depth):
        lines += [f"--b{level}", f'Content-Type: multipart/mixed; boundary="b{level + 1}"', ""]
    return "\n".join(lines).encode()


# name -> (what the file is, how to build it, what the refusal says)
CASES = {
    "zip bomb": ("a report padded to 1 GiB in one deflated member", zip_bomb, "expands over 200 times"),
    "gzip bomb": ("a report padded to 1 GiB, gzip", gzip_bomb, "expands over 200 times"),
    "overlapping zip": ("10,000 directory entries on one 16 MiB member", overlapping_zip, "over 50 members"),
    "gzip of 80 MiB": (
        "80 MiB of text in short elements beside the records, compressing 5 times",
        lambda: gzip.compress(HEAD + tagged_words(80 * MEBIBYTE), 1, mtime=0),
        "the XML is over 64 MiB",
    ),
    "billion laughs": ("10 levels of entities, 10 each", billion_laughs, "DOCTYPE"),
    "external entity (file)": (
        "an entity reading /etc/passwd",
        lambda: b'<!DOCTYPE feedback [<!ENTITY x SYSTEM "file:///etc/passwd">]><feedback>&x;</feedback>',
        "DOCTYPE",
    ),
    "external entity (URL)": (
        "an external DTD and entity on the network",
        lambda: (
            b'<!DOCTYPE feedback SYSTEM "http://192.0.2.1/x.dtd" [<!ENTITY % p SYSTEM "http://192.0.2.1/p">%p;]>'
            b"<feedback/>"
        ),
        "DOCTYPE",
    ),
    "truncated zip": (
        "a real report's zip cut in half",
        lambda: _half(zip_archive([_deflated_member(HEAD + plausible_records(500) + b"</feedback>")])),
        "the zip archive is truncated",
    ),
    "truncated gzip": (
        "a real report's gzip cut in half",
        lambda: _half(gzip.compress(HEAD + plausible_records(500) + b"</feedback>", mtime=0)),
        "the gzip data is truncated",
    ),
    "deep nesting": (
        "1,000,000 nested elements",
        lambda: HEAD + b"<extension>" * 1_000_000,
        "<extension> holds over 100,000 elements",
    ),
    "1,000,001 elements": (
        "empty elements side by side in <extension>",
        lambda: HEAD + b"<extension>" + b"<x/>" * 1_000_001,
        "<extension> holds over 100,000 elements",
    ),
    "1,000,001 elements in a record": (
        "empty elements side by side in a record",
        lambda: HEAD + b"<record>" + b"<x/>" * 1_000_001,
        "<record> holds over 100,000 elements",
    ),
    "text without end": (
        "30 MiB of white space between two records",
        lambda: HEAD + plausible_records(2) + b" " * (30 * MEBIBYTE),
        "the text of an element is over 65,536 characters",
    ),
    "huge text": (
        "30 MiB of text in <org_name>",
        lambda: b"<feedback><report_metadata><org_name>" + words(30 * MEBIBYTE),
        "the text of an element is over 65,536 characters",
    ),
    "many headers": (
        "a message of 800,000 header lines",
        lambda: b"X-A: b\n" * 800_000 + b"\n",
        "over 10,000 header and boundary lines",
    ),
    "nested MIME": ("multiparts nested 100,000 deep", lambda: nested_message(100_000), "header and boundary lines"),
    "attachments": (
        "a message with 1,000 gzip attachments",
        lambda: _many_attachments(1_000),
        "over 50 report attachments",
    ),
    "largest message": (
        "a message of 6 MiB, its attachment random bytes",
        lambda: _message_of(6 * MEBIBYTE - 4096),
        "not XML",
    ),
    "oversized message": ("a message of 7 MiB", lambda: _message_of(7 * MEBIBYTE), "the message is over 6 MiB"),
    "oversized file": ("33 MiB of XML", lambda: HEAD + words(33 * MEBIBYTE), "the file is over 32 MiB"),
}


def _deflated_member(data: bytes) -> tuple[str, bytes, int, int]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return "report.xml", compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data)


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _message_of(size: int) -> bytes:
    head = (
        b'From: a@hostile.test\nContent-Type: application/gzip; name="r.xml.gz"\nContent-Transfer-Encoding: base64\n\n'
    )
    body = base64.encodebytes(gzip.compress(random.Random(3).randbytes(size * 3 // 4), 0, mtime=0))
    return (head + body)[:size]


def _many_attachments(count: int) -> bytes:
    attachment = base64.encodebytes(gzip.compress(b"<feedback/>", mtime=0)).decode()
    parts = [
        f'--b\nContent-Type: application/gzip; name="{index}.xml.gz"\nContent-Transfer-Encoding: base64\n\n{attachment}'
        for index in range(count)
    ]
    text = 'From: a@hostile.test\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n'
    return (text + "\n".join(parts) + "\n--b--\n").encode()


@pytest.mark.parametrize("name", CASES)
def test_hostile_file_is_refused_within_bounds(name, hostile_report_table):
    description, build, reason = CASES[name]
    data = build()
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ReportError) as raised:
            parse_report(data, limits=LIMITS)
    finally:
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    message = str(raised.value)
    hostile_report_table.append((f"{name}: {description}", len(data), peak, elapsed, message))
    assert reason in message
    assert peak < MAX_PEAK_BYTES, f"{name}: peak {peak // 1024} KiB"
    assert elapsed < MAX_SECONDS, f"{name}: {elapsed:.2f} s"
