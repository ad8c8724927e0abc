"""Validation and normalisation of the domains and addresses a user types.

to_ascii() and parse_target() raise InvalidTarget with a message saying what is
wrong; is_public_dns_name() tells, without raising, whether a name can be one
of the public DNS (not localhost, a .local or .internal name, an address...).
"""

import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import idna

from .errors import InvalidTarget

MAX_LABEL = 63
MAX_NAME = 253

# Host names are letters, digits and hyphens; underscores are allowed as well
# because service names (_dmarc, _domainkey, _spf) are legitimate targets.
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
# Scripts whose letters look alike ("a" and Cyrillic "а"): one label mixing them is a look-alike.
# Other mixes are ordinary (Japanese mixes kanji, kana and Latin letters).
_CONFUSABLE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})
# An ASCII name in its usual shape, which the full validation would only lower-case: the nightly run
# normalises the domain of every user and contact, so this case is worth its shortcut.
_PLAIN_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_PLAIN_NAME = re.compile(rf"{_PLAIN_LABEL}(?:\.{_PLAIN_LABEL})+", re.IGNORECASE | re.ASCII)
# Names that never reach the public DNS, whatever is under them:
# - localhost and invalid: RFC 6761 (6.3, 6.4) lets software treat them as special;
# - local: multicast DNS (RFC 6762), and intranet, internal, private, corp, home, lan, the names that
#   RFC 6762 appendix G lists as used privately; ICANN reserved internal for private use (2024) and
#   will never delegate corp or home;
# - home.arpa: home networks (RFC 8375); onion: Tor (RFC 7686); alt: non-DNS names (RFC 9476).
# test and example stay public: RFC 6761 (6.2, 6.5) asks software not to treat them specially, and a
# resolver may well answer for them (this engine's own tests serve .test zones).
PRIVATE_SUFFIXES = (
    "localhost",
    "invalid",
    "local",
    "internal",
    "intranet",
    "private",
    "corp",
    "home",
    "lan",
    "home.arpa",
    "onion",
    "alt",
)


@dataclass(frozen=True)
class Target:
    """What a user asked to check: a domain, or an address on a domain."""

    text: str
    domain: str
    address: str | None = None

    @property
    def is_address(self) -> bool:
        return self.address is not None


def to_ascii(name: str) -> str:
    """Return `name` as lower-case A-labels, without a trailing dot.

    Raises InvalidTarget when it is not a usable DNS name.
    """
    if not isinstance(name, str):
        raise InvalidTarget("a domain must be text")
    text = name.strip()
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1]
    if _PLAIN_NAME.fullmatch(text) and len(text) <= MAX_NAME and not text.rpartition(".")[2].isdigit():
        return text.lower()
    return _validate(name, text)


def to_unicode(name: str) -> str:
    """Return `name` as people write it: each A-label ("xn--...") decoded to Unicode, the rest as it is. A label
    that does not decode is left as it is: this only shows a name, it never judges one."""
    labels = []
    for label in name.split("."):
        if label[:4].lower() == "xn--":
            try:
                label = idna.decode(label)
            except (idna.IDNAError, UnicodeError):
                pass
        labels.append(label)
    return ".".join(labels)


def is_public_dns_name(name: str, extra_suffixes: Iterable[str] = ()) -> bool:
    """Whether `name` can be a name of the public DNS: a valid domain of two labels or more, not under a
    special-use or private suffix (PRIVATE_SUFFIXES, and `extra_suffixes`, names a site keeps private).

    Never raises for `name`: anything that is not a domain (an IP address, "localhost") is not public.
    Raises InvalidTarget for an extra suffix that is not a name.
    """
    try:
        ascii_name = to_ascii(name)
    except InvalidTarget:
        return False
    private = PRIVATE_SUFFIXES + tuple(_suffix(suffix) for suffix in extra_suffixes)
    return not any(ascii_name == suffix or ascii_name.endswith("." + suffix) for suffix in private)


def _suffix(text: str) -> str:
    """A suffix as A-labels; one label ("corp") is a suffix too."""
    stripped = text.strip().strip(".")
    if not stripped:
        raise InvalidTarget(f"{text!r}: an empty suffix")
    return ".".join(_label_to_ascii(label, text) for label in stripped.split("."))


def _validate(name: str, text: str) -> str:
    """to_ascii() of any text: every rule checked, with the message of the first one broken."""
    if not text:
        raise InvalidTarget("empty domain")
    if any(ch.isspace() for ch in text):
        raise InvalidTarget(f"{name!r}: a domain cannot contain spaces")
    _reject_ip_literal(text)
    labels = text.split(".")
    ascii_labels = [_label_to_ascii(label, name) for label in labels]
    result = ".".join(ascii_labels)
    if len(result) > MAX_NAME:
        raise InvalidTarget(f"{name!r}: a domain is at most {MAX_NAME} characters")
    if len(ascii_labels) < 2:
        raise InvalidTarget(f"{name!r}: not a domain (it has no dot)")
    if ascii_labels[-1].isdigit():
        raise InvalidTarget(f"{name!r}: a top-level domain is never all digits")
    return result


def _reject_ip_literal(text: str) -> None:
    candidate = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        ipaddress.ip_address(candidate.removeprefix("IPv6:"))
    except ValueError:
        return
    raise InvalidTarget(f"{text!r}: an IP address is not a domain")


def _label_to_ascii(label: str, name: str) -> str:
    if not label:
        raise InvalidTarget(f"{name!r}: empty label (two dots in a row?)")
    lowered = label.lower()
    if lowered.isascii():
        ascii_label = lowered
    else:
        scripts = _scripts(lowered) & _CONFUSABLE_SCRIPTS
        if len(scripts) > 1:
            # "pаypal" with a Cyrillic "а" reads as a Latin name: a look-alike, never a real company domain.
            raise InvalidTarget(
                f"{name!r}: label {label!r} mixes scripts ({', '.join(sorted(scripts))}), as look-alike domains do"
            )
        try:
            ascii_label = idna.alabel(lowered).decode("ascii")
        except (idna.IDNAError, UnicodeError) as error:
            raise InvalidTarget(f"{name!r}: {label!r} is not a valid international label ({error})") from None
    if len(ascii_label) > MAX_LABEL:
        raise InvalidTarget(f"{name!r}: label {label!r} is longer than {MAX_LABEL} characters")
    if not set(ascii_label) <= _LABEL_CHARS:
        raise InvalidTarget(f"{name!r}: label {label!r} may hold only letters, digits, '-' and '_'")
    if ascii_label.startswith("-") or ascii_label.endswith("-"):
        raise InvalidTarget(f"{name!r}: label {label!r} cannot start or end with '-'")
    return ascii_label


def _scripts(label: str) -> set[str]:
    """The scripts of a label's letters, by the first word of their Unicode names (LATIN, CYRILLIC, ...)."""
    scripts = set()
    for char in label:
        if char.isalpha():
            scripts.add(unicodedata.name(char, "UNKNOWN").split()[0])
    return scripts


def parse_target(text: str) -> Target:
    """Parse a domain or an email address into a Target.

    Raises InvalidTarget with a message saying what is wrong.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidTarget("empty target: give a domain or an email address")
    stripped = text.strip()
    if "@" not in stripped:
        return Target(text=stripped, domain=to_ascii(stripped))
    local, _, domain = stripped.rpartition("@")
    if not local:
        raise InvalidTarget(f"{stripped!r}: the address has nothing before '@'")
    if "@" in local:
        raise InvalidTarget(f"{stripped!r}: an address has exactly one '@'")
    if local.startswith('"') or any(ch.isspace() for ch in local):
        raise InvalidTarget(f"{stripped!r}: quoted or spaced local parts are not supported")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidTarget(f"{stripped!r}: the part before '@' has a misplaced dot")
    if len(local) > 64:
        raise InvalidTarget(f"{stripped!r}: the part before '@' is longer than 64 characters")
    ascii_domain = to_ascii(domain)
    return Target(text=stripped, domain=ascii_domain, address=f"{local}@{ascii_domain}")
