"""One file into its aggregate reports: XML, gzip, zip, or an email message that carries them.

Archives are read as streams, never whole into memory: every byte out of a decompressor is counted
against the file's Limits as it comes, so a bomb is refused after its first megabytes.
"""

import email
import email.errors
import email.policy
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Generator, Iterator
from dataclasses import replace
from email.message import Message
from itertools import chain

from .feedback import BATCH, stream_feedback
from .model import AggregateRecord, AggregateReport, Limits, ReportError, ReportPart, Skip
from .xmlread import Budget

CHUNK = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"
# A zip archive starts with a member, or, empty, with its end record.
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_ZIP_END = b"PK\x05\x06"
# The end record is 22 bytes, after at most a 65,535-byte comment.
_ZIP_END_SEARCH = 22 + 65_535
# Bytes of central directory allowed per member: a name and its extra fields, generously.
_ZIP_DIRECTORY_PER_MEMBER = 1024
_XML_START = (b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00<")
_HEADER = re.compile(rb"(From |[A-Za-z0-9-]{1,76}:)")
# Lines that cost the email parser an object: a header, or a MIME boundary.
_STRUCTURE_LINE = re.compile(rb"^(?:--|[A-Za-z0-9-]{1,76}:)", re.MULTILINE)
# How real reporters label the attachment (RFC 7489 7.2.1.1, RFC 9990 5.1, and what is seen in the wild).
REPORT_TYPES = frozenset(
    {
        "application/gzip",
        "application/x-gzip",
        "application/zip",
        "application/x-zip-compressed",
        "application/x-zip",
        "text/xml",
        "application/xml",
    }
)
REPORT_SUFFIXES = (".xml", ".xml.gz", ".gz", ".zip")


def parse_report(data: bytes, *, filename: str | None = None, limits: Limits | None = None) -> list[AggregateReport]:
    """The aggregate reports in one file: XML, gzip, zip (one or more XML), or an email message with them.

    `filename` names the report's source when the file itself holds the XML. What the file holds beside
    its reports (a folder, a macOS resource fork, a member that is not XML) is left out and listed in the
    first report's `skipped`, after the records each report skipped. Raises ReportError when the file is
    not a report, is broken, or is over one of `limits`; nothing else, whatever the bytes.
    """
    reports: list[AggregateReport] = []
    records: list[AggregateRecord] = []
    left_out: list[Skip] = []
    for part in stream_reports(data, filename=filename, limits=limits):
        if isinstance(part, Skip):
            left_out.append(part)
            continue
        records.extend(part.records)
        if part.last:
            reports.append(replace(part.report, records=tuple(records)))
            records = []
    if left_out and reports:
        reports[0] = replace(reports[0], skipped=(*reports[0].skipped, *left_out))
    return reports


def stream_reports(
    data: bytes, *, filename: str | None = None, limits: Limits | None = None, batch: int = BATCH
) -> Iterator[ReportPart | Skip]:
    """The reports of one file as they are read: their records by parts of at most `batch`, each report
    ending with a part whose `last` is true, and a Skip for each part of the file left out.

    Memory follows a batch, not the report. Raises ReportError as parse_report does, possibly after
    parts of the file were handed over: a consumer that keeps them undoes them then.
    """
    limits = limits or Limits()
    if len(data) > limits.input_bytes:
        raise ReportError(f"refused: the file is over {limits.input_bytes / 1024 / 1024:g} MiB")
    return _parse(bytes(data), filename, Budget(limits), batch, in_message=False)


def _parse(
    data: bytes, name: str | None, budget: Budget, batch: int, *, in_message: bool
) -> Iterator[ReportPart | Skip]:
    kind = sniff(data)
    if kind == "gzip":
        return stream_feedback(_gunzip(data, budget.limits), budget=budget, source=name, batch=batch)
    if kind == "zip":
        return _zip_reports(data, budget, batch)
    if kind == "xml":
        return stream_feedback(_slices(data), budget=budget, source=name, batch=batch)
    if kind == "message" and not in_message:
        return _parse_message(data, budget, batch)
    if kind == "empty":
        raise ReportError("the file is empty")
    raise ReportError("not a report: neither XML, gzip, zip nor an email message")


def sniff(data: bytes) -> str:
    """What the bytes are: gzip, zip, xml, message, empty, or unknown."""
    if data.startswith(GZIP_MAGIC):
        return "gzip"
    if data.startswith(ZIP_MAGIC):
        return "zip"
    start = data[:1024].lstrip()
    if data.startswith(_XML_START) or start.startswith(b"<"):
        return "xml"
    if _HEADER.match(start):
        return "message"
    return "empty" if not start else "unknown"


def _slices(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), CHUNK):
        yield bytes(view[start : start + CHUNK])


def _gunzip(data: bytes, limits: Limits) -> Iterator[bytes]:
    """The decompressed bytes of a gzip file, member after member, in chunks."""
    remaining = data
    # gzip(1) reads concatenated members as one file, and ignores what follows the last one.
    while remaining.startswith(GZIP_MAGIC):
        remaining = yield from _inflate(remaining, zlib.MAX_WBITS | 16, limits, "the gzip data")


def _inflate(data: bytes, wbits: int, limits: Limits, what: str) -> Generator[bytes, None, bytes]:
    """The decompressed chunks of the deflate (or gzip) stream that starts `data`; returns what follows it.

    Input goes in by slices of CHUNK bytes, so neither the input left over nor the output is ever
    more than a chunk, and the ratio is checked against the bytes read so far.
    """
    decompressor = zlib.decompressobj(wbits)
    view = memoryview(data)
    position = produced = 0
    pending = b""
    try:
        while not decompressor.eof:
            if not pending and position < len(view):
                pending = view[position : position + CHUNK]
                position += len(pending)
            chunk = decompressor.decompress(pending, CHUNK)
            pending = decompressor.unconsumed_tail
            if not chunk and not pending and position >= len(view) and not decompressor.eof:
                raise ReportError(f"{what} is truncated")
            produced += len(chunk)
            _check_ratio(produced, position - len(pending), limits, what)
            if chunk:
                yield chunk
    except zlib.error as error:
        raise ReportError(f"{what} is corrupt: {error}") from None
    return decompressor.unused_data + bytes(view[position:])


def _check_ratio(produced: int, consumed: int, limits: Limits, what: str) -> None:
    if produced > limits.ratio_floor and produced > limits.ratio * consumed:
        raise ReportError(f"refused: {what} expands over {limits.ratio} times its size (a decompression bomb)")


def _zip_reports(data: bytes, budget: Budget, batch: int) -> Iterator[ReportPart | Skip]:
    """The reports of each member of a zip archive; members that hold none are skipped, each said so."""
    members = _open_zip(data, budget.limits).infolist()
    if not members:
        raise ReportError("the zip archive is empty")
    skipped: list[Skip] = []
    read = 0
    for info in members:
        what = f"zip member {info.filename}" if info.filename else "a zip member without a name"
        reason = _not_a_report(info)
        chunks: Iterator[bytes] = iter(())
        if reason is None:
            chunks = _member_chunks(data, info, budget.limits)
            head = next((chunk for chunk in chunks if chunk), b"")
            chunks = chain([head], chunks)
            if sniff(head) != "xml":
                reason = "it is not XML once unpacked"
        if reason is not None:
            skipped.append(Skip(what, reason))
            yield skipped[-1]
            continue
        read += 1
        yield from stream_feedback(chunks, budget=budget, source=info.filename, batch=batch)
    if not read:
        raise ReportError("the zip archive holds no report: " + "; ".join(map(str, skipped)))


def _not_a_report(info: zipfile.ZipInfo) -> str | None:
    """Why a member cannot be a report by its listing alone, or None."""
    # Perl's IO::Compress::Zip writes a nameless member for a string zipped without a name: it may be one.
    if info.filename and info.filename.endswith("/"):
        return "it is a folder"
    parts = info.filename.split("/")
    if "__MACOSX" in parts or parts[-1].startswith("._"):
        return "it is a macOS resource fork, not a file (__MACOSX)"
    if info.file_size == 0:
        return "it is empty"
    return None


def _open_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    """The archive's listing; zipfile reads the central directory, the members are read by _member_chunks."""
    # zipfile reads the whole central directory when it opens an archive: its size is checked first,
    # from the end record, so that a directory of a million entries is never read.
    end = data.rfind(_ZIP_END, max(0, len(data) - _ZIP_END_SEARCH))
    if end < 0 or len(data) < end + 22:
        raise ReportError("the zip archive is truncated: it has no end record")
    entries, directory_size = struct.unpack_from("<HI", data, end + 10)
    if entries > limits.members or directory_size > limits.members * _ZIP_DIRECTORY_PER_MEMBER:
        raise ReportError(f"refused: the zip archive holds over {limits.members} members")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    # A name flagged UTF-8 that is not (UnicodeDecodeError) is a ValueError too.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, ValueError) as error:
        raise ReportError(f"a broken zip archive: {error}") from None


def _member_chunks(data: bytes, info: zipfile.ZipInfo, limits: Limits) -> Iterator[bytes]:
    """A member's bytes, inflated here rather than by zipfile: the same bounded stream as gzip's."""
    what = f"zip member {info.filename or '(without a name)'}"
    if info.flag_bits & 0x1:
        raise ReportError(f"{what} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ReportError(f"{what}: compression method {info.compress_type} is not stored or deflated")
    start = _member_start(data, info, what)
    compressed = memoryview(data)[start : start + info.compress_size]
    if len(compressed) < info.compress_size:
        raise ReportError(f"{what} is truncated")
    crc = 0
    if info.compress_type == zipfile.ZIP_STORED:
        chunks = (bytes(compressed[offset : offset + CHUNK]) for offset in range(0, len(compressed), CHUNK))
    else:
        chunks = _inflate(compressed, -zlib.MAX_WBITS, limits, what)
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
        yield chunk
    if crc != info.CRC:
        raise ReportError(f"{what} is corrupt: its CRC-32 does not match")


def _member_start(data: bytes, info: zipfile.ZipInfo, what: str) -> int:
    """Where a member's data starts: after its local header, whose name and extra lengths are its own."""
    offset = info.header_offset
    if offset < 0 or offset + 30 > len(data) or data[offset : offset + 4] != b"PK\x03\x04":
        raise ReportError(f"{what}: its local header is missing")
    name_length, extra_length = struct.unpack_from("<HH", data, offset + 26)
    return offset + 30 + name_length + extra_length


def _parse_message(data: bytes, budget: Budget, batch: int) -> Iterator[ReportPart | Skip]:
    attachments = _attachments(data, budget.limits)
    if not attachments:
        raise ReportError("the message holds no report: no XML, gzip or zip attachment")
    for name, payload in attachments:
        try:
            yield from _parse(payload, name, budget, batch, in_message=True)
        except ReportError as error:
            raise ReportError(f"attachment {name}: {error}") from None


def _attachments(data: bytes, limits: Limits) -> list[tuple[str, bytes]]:
    """The name and decoded content of each part that holds a report."""
    if len(data) > limits.message_bytes:
        raise ReportError(f"refused: the message is over {limits.message_bytes / 1024 / 1024:g} MiB")
    _check_message_shape(data, limits)
    try:
        message = email.message_from_bytes(data, policy=email.policy.compat32)
        parts = [part for part in message.walk() if not part.is_multipart()]
    except RecursionError:
        raise ReportError("refused: the message nests its parts too deeply") from None
    found = [attachment for part in parts if (attachment := _report_part(part)) is not None]
    if len(found) > limits.members:
        raise ReportError(f"refused: the message holds over {limits.members} report attachments")
    return found


def _check_message_shape(data: bytes, limits: Limits) -> None:
    for count, _line in enumerate(_STRUCTURE_LINE.finditer(data), 1):
        if count > limits.message_lines:
            raise ReportError(f"refused: the message has over {limits.message_lines:,} header and boundary lines")


def _report_part(part: Message) -> tuple[str, bytes] | None:
    """A part's name and content when it holds a report: by its type or name, else by its first bytes."""
    try:
        content_type = part.get_content_type()
        name = part.get_filename() or content_type
        payload = part.get_payload(decode=True)
    except (LookupError, ValueError, TypeError, email.errors.MessageError):
        return None
    if not isinstance(payload, bytes):
        return None
    if content_type in REPORT_TYPES or name.lower().endswith(REPORT_SUFFIXES):
        return name, payload
    if content_type == "application/octet-stream" and sniff(payload) in ("gzip", "zip", "xml"):
        return name, payload
    return None
