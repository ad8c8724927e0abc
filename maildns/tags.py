"""The tag=value lists of DKIM key records and DMARC records (RFC 6376 section 3.2)."""

import re
from dataclasses import dataclass

_TAG_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class TagList:
    """Tags in order of appearance (first occurrence wins) and what was wrong with the list."""

    tags: dict[str, str]
    order: tuple[str, ...]
    errors: tuple[str, ...]


def parse_tags(text: str) -> TagList:
    """Split "a=1; b = 2;" into tags; never raises, whatever the input."""
    tags: dict[str, str] = {}
    order: list[str] = []
    errors: list[str] = []
    for chunk in str(text).split(";"):
        item = chunk.strip()
        if not item:
            continue
        name, equals, value = item.partition("=")
        name = name.strip().lower()
        if not equals:
            errors.append(f"{item!r} is not of the form tag=value")
            continue
        if not _TAG_NAME.match(name):
            errors.append(f"{name!r} is not a valid tag name")
            continue
        if name in tags:
            errors.append(f"the tag {name}= appears more than once")
            continue
        # Folding white space inside a value (long keys split over strings) carries no meaning.
        tags[name] = " ".join(value.split()) if name != "p" else "".join(value.split())
        order.append(name)
    return TagList(tags, tuple(order), tuple(errors))
