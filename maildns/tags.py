"""The tag=value lists of DKIM key records and DMARC records (RFC 6376 section 3.2)."""

import re
from dataclasses import dataclass

_TAG_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Tags whose value is base64 data: folding white space inside it is removed, not kept as one space.
_BASE64_TAGS = ("p",)


@dataclass(frozen=True)
class TagList:
    """Tags in order of appearance (first occurrence wins) and what was wrong with the list.

    `malformed` holds one sentence per item that is not tag=value; `duplicates` the names that
    appeared more than once. Either makes the whole list invalid for DKIM (RFC 6376 3.2).
    """

    tags: dict[str, str]
    order: tuple[str, ...]
    malformed: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[str, ...]:
        """Every finding of the list, as sentences."""
        return self.malformed + tuple(f"the tag {name}= appears more than once" for name in self.duplicates)


def parse_tags(text: str) -> TagList:
    """Split "a=1; b = 2;" into tags; never raises, whatever the input."""
    tags: dict[str, str] = {}
    order: list[str] = []
    malformed: list[str] = []
    duplicates: list[str] = []
    for chunk in str(text).split(";"):
        item = chunk.strip()
        if not item:
            continue
        name, equals, value = item.partition("=")
        name = name.strip().lower()
        if not equals:
            malformed.append(f"{item!r} is not of the form tag=value")
            continue
        if not _TAG_NAME.match(name):
            malformed.append(f"{name!r} is not a valid tag name")
            continue
        if name in tags:
            duplicates.append(name)
            continue
        # Folding white space inside a value (long keys split over strings) carries no meaning.
        tags[name] = "".join(value.split()) if name in _BASE64_TAGS else " ".join(value.split())
        order.append(name)
    return TagList(tags, tuple(order), tuple(malformed), tuple(duplicates))
