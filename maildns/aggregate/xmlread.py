"""A safe, streaming XML reader: expat through ElementTree's C parser, without DTDs or entities, bounded in
bytes, in elements per child of the root, and in text.

The elements are built in C, and Python never sees them one by one: between two pieces of text, the root's
children that are complete are handed over and taken out of the tree, and the one still open is measured,
so memory follows a piece of text and one child of the root (a record), not the report. A DOCTYPE is
refused in the text, before expat reads it. The document is decoded before expat sees it (declared
encoding, invalid bytes replaced): reporters send Latin-1 names in UTF-8 files, and one bad byte must not
lose a report.
"""

import codecs
import re
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from itertools import islice
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from .model import Limits, ReportError

# Enough of the document's start to see a byte order mark, the encoding declaration and the first element.
_HEAD_BYTES = 4096
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
_UTF16_WITHOUT_BOM = {b"<\x00?\x00": "utf-16-le", b"\x00<\x00?": "utf-16-be"}
# Characters XML 1.0 forbids (C0 controls but tab and line ends): replaced, as invalid bytes are.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CONTROL_BYTES = bytes(set(range(0x20)) - {0x09, 0x0A, 0x0D})
# A DOCTYPE is where entities are declared (billion laughs, external files and URLs): reports never have
# one, so the text is refused where it shows one, before expat reads it.
_DOCTYPE = "<!DOCTYPE"
# The first start tag of the document, after its declaration, comments and processing instructions.
_FIRST_TAG = re.compile(r"\A(?:\s|<\?[^>]*\?>|<!--.*?-->)*<([A-Za-z_][\w.-]*(?::[\w.-]+)?)([^<>]*)>", re.DOTALL)
_PREFIX_USED = re.compile(r"</?([A-Za-z_][\w.-]*):[A-Za-z_]|\s([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*\s*=")
_PREFIX_DECLARED = re.compile(r"xmlns:([A-Za-z_][\w.-]*)\s*=")
# Text fed at a time until the root element is found: each element before it costs an event.
_PIECE = 512
_RECORDS_PIECE = 8192
# The end of the text, enough to tell it closes the report when a wrapper around it is left open.
_TAIL = 256
_ADDRESS_AS_TAG = re.compile(r"<email>\s*<([^<>\s/=\"']{1,200}@[^<>\s/=\"']{1,200})>\s*</email>")
# A prefix a reporter used without declaring it (a stray xs:schema, xsi:schemaLocation) is declared for it.
_UNDECLARED_NAMESPACE = "urn:x-maildns:undeclared:"


@dataclass
class Budget:
    """What one file has spent of its Limits so far; over a limit, it refuses the file."""

    limits: Limits
    xml_bytes: int = 0

    def spend_xml(self, size: int) -> None:
        self.xml_bytes += size
        if self.xml_bytes > self.limits.xml_bytes:
            raise ReportError(f"refused: the XML is over {_mib(self.limits.xml_bytes)} once decompressed")


class Document:
    """One XML document read as it streams: `children()` hands over each child of its root once complete.

    The root is `root` (in any namespace, possibly inside a stray <xs:schema> wrapper); `namespace` is
    its namespace, "{uri}" or "", known once the first child is handed over.
    """

    def __init__(self, chunks: Iterable[bytes], *, root: str, budget: Budget):
        self._chunks = chunks
        self._root_name = root
        self._budget = budget
        self.namespace = ""
        self.root: Element | None = None

    def children(self) -> Iterator[Element]:
        """Each child of the root, complete, in document order, taken out of the tree."""
        # Start events only until the root is found, then none: the elements are built in C, and Python
        # sees the root's children alone, between two pieces of text.
        parser = XMLPullParser(events=("start",))
        reader = _Reader(self, parser)
        content = ending = False
        tail = ""
        try:
            for text in _texts(self._chunks, self._budget):
                content = content or (bool(text) and not text.isspace())
                for piece in self._pieces(text):
                    parser.feed(piece)
                    yield from reader.complete(final=False)
                tail = (tail + text)[-_TAIL:]
            ending = True
            parser.close()
        except ParseError as error:
            # A wrapper left open around a complete report (a known reporter's quirk) is no loss.
            left_open = reader.wrapper is not None and self.root is not None and _ends(tail, self._root_name)
            if not (ending and left_open):
                raise ReportError(_describe(error, self, reader, content=content, ending=ending)) from None
        yield from reader.complete(final=True)
        if self.root is None:
            raise ReportError(f"no <{self._root_name}> element in the XML")

    def _pieces(self, text: str) -> Iterator[str]:
        """`text` by pieces: small ones until the root is found, so that events stop soon after it, then pieces
        of a few records, so that few elements are alive at a time (the garbage collector visits them all)."""
        start = 0
        while start < len(text):
            size = _PIECE if self.root is None else _RECORDS_PIECE
            yield text[start : start + size]
            start += size


class _Reader:
    """Between two pieces of text: finds the root, hands its complete children over, bounds the open one."""

    def __init__(self, document: Document, parser: XMLPullParser):
        self.document, self.parser = document, parser
        self.limit = document._budget.limits.elements
        self.queue = _event_queue(parser)
        self.wrapper: Element | None = None
        self.first: Element | None = None

    def complete(self, *, final: bool) -> Iterator[Element]:
        queue, document = self.queue, self.document
        # feed() queues the parse error it met after the events before it.
        error = queue.pop() if queue and isinstance(queue[-1], BaseException) else None
        if document.root is None:
            for _event, element in queue:
                if self._found_root(element):
                    break
        queue.clear()
        if error is not None:
            raise error
        if self.wrapper is not None:
            # Beside the report inside its wrapper: nothing to keep.
            for element in self.wrapper[:-1]:
                if element is not document.root:
                    self.wrapper.remove(element)
            _bound(self.wrapper, self.limit)
        root = document.root
        if root is None:
            return
        if not final:
            _bound(root, self.limit)
        # All but the last child are complete: another began after each closed.
        complete = root[:] if final else root[:-1]
        del root[: len(complete)]
        yield from complete

    def _found_root(self, element: Element) -> bool:
        document = self.document
        namespace, _, local = element.tag[1:].rpartition("}") if element.tag[:1] == "{" else ("", "", element.tag)
        if self.first is None:
            self.first = element
            if local == "schema":
                self.wrapper = element
                return False
        elif self.wrapper is None or not any(child is element for child in self.wrapper):
            # Only a child of the wrapper can be the report.
            return False
        if local != document._root_name:
            if self.wrapper is not None:
                return False
            raise ReportError(
                f"not a DMARC aggregate report: the root element is <{local}>, not <{document._root_name}>"
            )
        document.root = element
        document.namespace = "{" + namespace + "}" if namespace else ""
        # No more events: what follows is built in C and read from the tree. (Without this private switch,
        # the events still come, and are cleared unread.)
        with suppress(AttributeError):
            self.parser._parser._setevents(self.queue, ())
        return True


def _bound(parent: Element, limit: int) -> None:
    """Refuses the file when the open last child of `parent` is over `limit` elements."""
    if len(parent) and len(list(islice(parent[-1].iter(), limit + 1))) > limit:
        raise ReportError(f"refused: <{_local(parent[-1].tag)}> holds over {limit:,} elements")


def _ends(tail: str, root: str) -> bool:
    """Whether the text ends with the end tag of `root`."""
    return re.search(rf"</(?:[\w.-]+:)?{re.escape(root)}\s*>\s*\Z", tail) is not None


def _event_queue(parser: XMLPullParser) -> deque:
    queue = getattr(parser, "_events_queue", None)
    if not isinstance(queue, deque):
        raise RuntimeError("xml.etree.ElementTree.XMLPullParser keeps its events elsewhere in this Python")
    return queue


def _texts(chunks: Iterable[bytes], budget: Budget) -> Iterator[str]:
    """The document as text, decoded, its forbidden characters replaced, refused at a DOCTYPE or a long text."""
    iterator = iter(chunks)
    head = bytearray()
    for chunk in iterator:
        budget.spend_xml(len(chunk))
        head += chunk
        if len(head) >= _HEAD_BYTES:
            break
    decoder = _decoder(bytes(head))
    limit = budget.limits.text_bytes
    # Characters since the last "<", carried from chunk to chunk: a text (or a run of white space) longer
    # than the limit is refused before expat gathers it.
    run = 0
    tail = ""
    first = True
    for chunk in _chain(bytes(head), iterator, budget):
        text = decoder.decode(chunk, chunk is None)
        if first:
            text, first = _repaired_head(text), False
        if _DOCTYPE in tail + text[: len(_DOCTYPE)] or _DOCTYPE in text:
            _refuse_doctype()
        first_open, last = text.find("<"), text.rfind("<")
        if last < 0:
            run += len(text)
        elif run + first_open > limit or (len(text) > limit and _longest_text(text) > limit):
            raise _text_over(limit)
        else:
            run = len(text) - last - 1
        if run > limit:
            raise _text_over(limit)
        tail = text[-len(_DOCTYPE) :]
        yield _allowed(text)


def _allowed(text: str) -> str:
    """`text` with the characters XML forbids replaced; a pure ASCII text is checked in C, ten times faster."""
    if text.isascii():
        ascii_bytes = text.encode("ascii")
        if len(ascii_bytes.translate(None, _CONTROL_BYTES)) == len(ascii_bytes):
            return text
    return _FORBIDDEN.sub("\ufffd", text)


def _chain(head: bytes, iterator: Iterator[bytes], budget: Budget) -> Iterator[bytes | None]:
    yield head
    for chunk in iterator:
        budget.spend_xml(len(chunk))
        yield chunk
    # The end: the decoder gives what it held back.
    yield None


def _longest_text(text: str) -> int:
    """The longest stretch of `text` between two "<": a text, with the tag before it."""
    return max(map(len, text.split("<")))


def _text_over(limit: int) -> ReportError:
    return ReportError(f"refused: the text of an element is over {limit:,} characters")


def _repaired_head(text: str) -> str:
    """The document's start as its reporter meant it: its XML declaration first, its prefixes declared, and its
    contact address as text.

    White space or a byte order mark before `<?xml` makes expat refuse the declaration; a prefix used and
    never declared (xs:schema, xsi:schemaLocation) makes it refuse the element; an address written in angle
    brackets (<email><dmarc@example.com></email>) reads as a tag that is never closed.
    """
    if "<email><" in text:
        text = _ADDRESS_AS_TAG.sub(r"<email>\1</email>", text, count=1)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<?xml"):
        text = stripped
    first = _FIRST_TAG.match(text)
    head = text[:_HEAD_BYTES]
    if first is None or ":" not in head:
        return text
    declared = set(_PREFIX_DECLARED.findall(head)) | {"xml", "xmlns"}
    used = {prefix for pair in _PREFIX_USED.findall(head) for prefix in pair if prefix}
    missing = sorted(used - declared)
    if not missing:
        return text
    declarations = "".join(f' xmlns:{prefix}="{_UNDECLARED_NAMESPACE}{prefix}"' for prefix in missing)
    at = first.end(1)
    return text[:at] + declarations + text[at:]


def _refuse_doctype() -> None:
    raise ReportError("refused: the XML has a DOCTYPE or entity declaration, which reports never have")


def _decoder(head: bytes) -> codecs.IncrementalDecoder:
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        encoding = "utf-16"
    elif head[:4] in _UTF16_WITHOUT_BOM:
        encoding = _UTF16_WITHOUT_BOM[head[:4]]
    else:
        declared = _DECLARED_ENCODING.match(head)
        encoding = _text_encoding(declared.group(1).decode("ascii")) if declared else "utf-8"
    return _Decoder(codecs.getincrementaldecoder(encoding)(errors="replace"))


class _Decoder:
    """An incremental decoder whose last call is decode(None, True)."""

    def __init__(self, decoder: codecs.IncrementalDecoder):
        self._decoder = decoder

    def decode(self, chunk: bytes | None, final: bool) -> str:
        return self._decoder.decode(chunk or b"", final)


def _text_encoding(name: str) -> str:
    """The codec for a declared encoding: a character set Python knows, else UTF-8."""
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return "utf-8"
    # Only character sets: a declaration naming a bytes codec (zlib_codec, base64_codec) would have
    # the decoder decompress or transform the document.
    if canonical in ("utf-8", "ascii", "latin-1", "utf-16", "utf-16-le", "utf-16-be"):
        return canonical
    return canonical if canonical.startswith(("iso8859-", "cp125")) else "utf-8"


def _describe(error: ParseError, document: Document, reader: _Reader, *, content: bool, ending: bool) -> str:
    if not content:
        return "the report is empty"
    line, column = error.position
    reason = f"{str(error).split(':')[0]} at line {line}, column {column}"
    if reader.first is None:
        return f"not XML: {reason}"
    if ending:
        return f"the XML ends before its elements do (truncated?): {reason}"
    return f"broken XML: {reason}"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"
