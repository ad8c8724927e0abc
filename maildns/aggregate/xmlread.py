"""A safe, streaming XML reader: expat without DTDs or entities, bounded in bytes, elements and depth.

Only the elements a schema names are kept, so memory follows what is read, not what is sent. The
document is decoded before expat sees it (declared encoding, invalid bytes replaced): reporters send
Latin-1 names in UTF-8 files, and one bad byte must not lose a report.
"""

import codecs
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from xml.parsers import expat

from .model import Limits, ReportError

# What to keep under an element: child name -> its own schema, or None for a leaf whose text is kept.
Schema = dict[str, "Schema | None"]

# Enough of the document's start to see a byte order mark or the encoding declaration.
_HEAD_BYTES = 1024
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
_UTF16_WITHOUT_BOM = {b"<\x00?\x00": "utf-16-le", b"\x00<\x00?": "utf-16-be"}
# Characters XML 1.0 forbids (C0 controls but tab and line ends): replaced, as invalid bytes are.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class Budget:
    """What one file has spent of its Limits so far; over a limit, it refuses the file."""

    limits: Limits
    xml_bytes: int = 0
    elements: int = 0
    records: int = 0

    def spend_xml(self, size: int) -> None:
        self.xml_bytes += size
        if self.xml_bytes > self.limits.xml_bytes:
            raise ReportError(f"refused: the XML is over {_mib(self.limits.xml_bytes)} once decompressed")

    def count_element(self, depth: int) -> None:
        self.elements += 1
        if self.elements > self.limits.elements:
            raise ReportError(f"refused: the XML holds over {self.limits.elements:,} elements")
        if depth >= self.limits.depth:
            raise ReportError(f"refused: the XML nests elements over {self.limits.depth} deep")

    def count_record(self) -> None:
        self.records += 1
        if self.records > self.limits.records:
            raise ReportError(f"refused: the file holds over {self.limits.records:,} records")


class Element:
    """A kept element: its text (leaves only, once closed) and its kept children by name, in document order."""

    # A plain class with slots: the reader makes one per kept element, which is most of its work.
    __slots__ = ("children", "name", "parts", "schema", "size", "text")

    def __init__(self, name: str, schema: Schema | None):
        self.name = name
        self.schema = schema
        self.parts: list[str] = []
        self.size = 0
        self.children: dict[str, list[Element]] = {}
        # Without surrounding white space; None when there is none.
        self.text: str | None = None

    def all(self, name: str) -> list["Element"]:
        return self.children.get(name, [])

    def first(self, name: str) -> "Element | None":
        found = self.children.get(name)
        return found[0] if found else None

    def text_of(self, name: str) -> str | None:
        found = self.children.get(name)
        return found[0].text if found else None


@dataclass(frozen=True)
class Document:
    """The root element as kept, and the namespace it declared."""

    root: Element
    namespace: str | None


def read_document(
    chunks: Iterable[bytes],
    *,
    root: str,
    schema: Schema,
    stream: str,
    on_stream: Callable[[Element], None],
    budget: Budget,
) -> Document:
    """Parse the XML in `chunks`, whose root element is `root` (possibly inside a stray xs:schema).

    Each `stream` child of the root goes to `on_stream` once closed and is not kept. Raises
    ReportError for anything that is not such a document, and for a DOCTYPE (no DTD is ever read).
    """
    reader = _Reader(root, schema, stream, on_stream, budget)
    parser = _parser(reader)
    chunks = _with_head(chunks, budget)
    head = next(chunks)
    decoder = _decoder(head)
    content = ending = False
    try:
        for chunk in itertools.chain([head], chunks):
            text = decoder.decode(chunk)
            content = content or bool(text.strip())
            parser.Parse(_FORBIDDEN.sub("\ufffd", text), False)
        ending = True
        parser.Parse(_FORBIDDEN.sub("\ufffd", decoder.decode(b"", True)), True)
    except expat.ExpatError as error:
        raise ReportError(_describe(error, reader, content=content, ending=ending)) from None
    if reader.root is None or not reader.done:
        raise ReportError(f"no <{root}> element in the XML")
    return Document(reader.root, reader.namespace)


class _Reader:
    """Expat's handlers: keep what the schema names, skip the rest, hand over streamed elements."""

    def __init__(self, root: str, schema: Schema, stream: str, on_stream: Callable[[Element], None], budget: Budget):
        self.root_name, self.schema, self.stream, self.on_stream = root, schema, stream, on_stream
        self.budget = budget
        # One entry per open element: the kept Element, or None for a skipped one.
        self.stack: list[Element | None] = []
        # 1 when the root sits inside a wrapper element (the xs:schema quirk).
        self.top = 0
        self.root: Element | None = None
        self.namespace: str | None = None
        self.prefix = ""
        self.done = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.budget.count_element(len(self.stack))
        parent = self.stack[-1] if self.stack else None
        if parent is not None:
            node = self._open_child(parent, name, attributes)
        elif len(self.stack) == self.top and self.root is None:
            node = self._open_root(name, attributes)
        else:
            node = None
        self.stack.append(node)

    def _open_root(self, name: str, attributes: dict[str, str]) -> Element | None:
        local = name.rpartition(":")[2]
        if local == "schema" and self.top == 0:
            self.top = 1
            return None
        if local != self.root_name:
            if self.top:
                return None
            raise ReportError(f"not a DMARC aggregate report: the root element is <{name}>, not <{self.root_name}>")
        self.prefix = name[: len(name) - len(local)]
        self.namespace = attributes.get("xmlns:" + self.prefix[:-1] if self.prefix else "xmlns")
        self.root = Element(local, self.schema)
        return self.root

    def _open_child(self, parent: Element, name: str, attributes: dict[str, str]) -> Element | None:
        schema = parent.schema
        if schema is None:
            return None
        local = self._local_name(name, attributes) if attributes or self.prefix or ":" in name else name
        if local not in schema:
            return None
        node = Element(local, schema[local])
        if local == self.stream and parent is self.root:
            self.budget.count_record()
            return node
        siblings = parent.children.setdefault(local, [])
        if len(siblings) >= self.budget.limits.repeated:
            raise ReportError(
                f"refused: <{local}> repeated over {self.budget.limits.repeated} times in <{parent.name}>"
            )
        siblings.append(node)
        return node

    def _local_name(self, name: str, attributes: dict[str, str]) -> str | None:
        """The name within the report's namespace; None for an extension's element (another namespace)."""
        prefix, colon, local = name.rpartition(":")
        if colon and prefix + ":" != self.prefix:
            return None
        if not self.prefix and attributes.get("xmlns", self.namespace) != self.namespace:
            return None
        return local

    def end(self, name: str) -> None:
        node = self.stack.pop()
        if node is None:
            return
        if node.schema is None:
            node.text = "".join(node.parts).strip() or None
        elif node is self.root:
            self.done = True
        elif node.name == self.stream and len(self.stack) == self.top + 1:
            self.on_stream(node)

    def characters(self, text: str) -> None:
        node = self.stack[-1] if self.stack else None
        if node is None or node.schema is not None:
            return
        node.size += len(text)
        if node.size > self.budget.limits.text_bytes:
            raise ReportError(
                f"refused: the text of <{node.name}> is over {self.budget.limits.text_bytes:,} characters"
            )
        node.parts.append(text)


def _parser(reader: _Reader) -> "expat.XMLParserType":
    # No namespace processing: an undeclared prefix (a stray xs:schema) must not end the parse.
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.characters
    # A DOCTYPE is where entities are declared (billion laughs, external files and URLs): reports never
    # have one, so the parse stops there, before expat reads a single declaration.
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _refuse_doctype(*_arguments) -> None:
    raise ReportError("refused: the XML has a DOCTYPE or entity declaration, which reports never have")


def _with_head(chunks: Iterable[bytes], budget: Budget) -> Iterator[bytes]:
    """`chunks` counted against the budget, the first one at least _HEAD_BYTES long (or all there is)."""
    iterator = iter(chunks)
    head = bytearray()
    for chunk in iterator:
        budget.spend_xml(len(chunk))
        head += chunk
        if len(head) >= _HEAD_BYTES:
            break
    yield bytes(head)
    for chunk in iterator:
        budget.spend_xml(len(chunk))
        yield chunk


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
    return codecs.getincrementaldecoder(encoding)(errors="replace")


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


def _describe(error: expat.ExpatError, reader: _Reader, *, content: bool, ending: bool) -> str:
    if not content:
        return "the report is empty"
    reason = f"{expat.ErrorString(error.code)} at line {error.lineno}, column {error.offset}"
    if reader.root is None and not reader.stack:
        return f"not XML: {reason}"
    if ending and reader.stack:
        return f"the XML ends before its elements do (truncated?): {reason}"
    return f"broken XML: {reason}"


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"
