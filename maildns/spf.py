"""Sender Policy Framework (RFC 7208): records, macros and check_host().

parse_record() reads a record into typed terms and raises SpfSyntaxError with
the character offset of the first error. check_host() evaluates a domain's
policy for one sending address, with every limit of section 4.6.4; DNS faults
come back as "temperror", never as exceptions.
"""

import ipaddress
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import dns.reversename

from .dns import Lookup, Resolver
from .errors import InvalidTarget, MailDNSError
from .names import to_ascii

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

RESULTS = ("pass", "fail", "softfail", "neutral", "none", "permerror", "temperror")
QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
# Terms that make check_host() query DNS; at most MAX_DNS_LOOKUPS of them per check (4.6.4).
DNS_TERMS = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
MAX_DNS_LOOKUPS = 10
MAX_VOID_LOOKUPS = 2
# Per "mx" (address lookups of its exchanges) and per "ptr" or %{p} (names checked).
MAX_NAME_LOOKUPS = 10
MAX_DOMAIN_LENGTH = 253
MAX_LABEL_LENGTH = 63

_VERSION = "v=spf1"
_MACRO_LETTERS = frozenset("slodipvh")
_EXPLANATION_ONLY_LETTERS = frozenset("crt")
_DELIMITERS = frozenset(".-+,/_=")
_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9._-]*)=(.*)", re.DOTALL)
_MECHANISM_NAME = re.compile(r"[A-Za-z0-9._-]*")
_TOPLABEL = re.compile(
    r"\.(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])\.?\Z",
)
_DUAL_CIDR = re.compile(r"(?P<spec>.*?)(?:/(?P<cidr4>\d+))?(?://(?P<cidr6>\d+))?\Z", re.DOTALL)
_ADDRESS_CIDR = re.compile(r"(?P<address>[^/]*)(?:/(?P<cidr>\d+))?\Z", re.DOTALL)


class SpfSyntaxError(MailDNSError):
    """An SPF record or macro string that does not follow RFC 7208's grammar."""

    def __init__(self, reason: str, position: int):
        super().__init__(f"{reason} (at character {position + 1})")
        self.reason = reason
        # Offset of the offending character in the record, counted from 0.
        self.position = position


# --- Macros (section 7) --------------------------------------------------------------------------


@dataclass(frozen=True)
class MacroExpand:
    """One %{...} of a macro string."""

    letter: str
    digits: int | None = None
    reverse: bool = False
    delimiters: str = ""

    @property
    def url_escaped(self) -> bool:
        return self.letter.isupper()


MacroToken = str | MacroExpand


def parse_macro_string(text: str, *, explanation: bool = False, offset: int = 0) -> tuple[MacroToken, ...]:
    """Split a macro string into literal text and macro expansions.

    explanation: the text of an explanation record (spaces and the letters c, r, t allowed).
    offset: where `text` starts in the record, for the position of errors.
    """
    tokens: list[MacroToken] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "%":
            if not (0x21 <= ord(char) <= 0x7E or (explanation and char == " ")):
                raise SpfSyntaxError(f"character {char!r} is not allowed here", offset + index)
            tokens.append(char)
            index += 1
            continue
        following = text[index + 1 : index + 2]
        if following in ("%", "_", "-"):
            tokens.append({"%": "%", "_": " ", "-": "%20"}[following])
            index += 2
        elif following == "{":
            macro, index = _parse_macro_expand(text, index, explanation=explanation, offset=offset)
            tokens.append(macro)
        else:
            raise SpfSyntaxError("'%' must be followed by '{', '%', '_' or '-'", offset + index)
    return _merge_literals(tokens)


def _parse_macro_expand(text: str, start: int, *, explanation: bool, offset: int) -> tuple[MacroExpand, int]:
    end = text.find("}", start)
    if end < 0:
        raise SpfSyntaxError("macro '%{' is not closed by '}'", offset + start)
    body = text[start + 2 : end]
    match = re.fullmatch(r"([A-Za-z])(\d*)([rR]?)(.*)", body, re.DOTALL)
    if not match:
        raise SpfSyntaxError("a macro is '%{' letter [digits] [r] [delimiters] '}'", offset + start)
    letter, digits, reverse, delimiters = match.groups()
    allowed = _MACRO_LETTERS | (_EXPLANATION_ONLY_LETTERS if explanation else frozenset())
    if letter.lower() not in allowed:
        where = "" if explanation else " (c, r and t only in explanations)"
        raise SpfSyntaxError(f"unknown macro letter {letter!r}{where}", offset + start + 2)
    if digits and int(digits) == 0:
        raise SpfSyntaxError("the number of parts in a macro cannot be zero", offset + start + 3)
    if not set(delimiters) <= _DELIMITERS:
        raise SpfSyntaxError("macro delimiters are . - + , / _ =", offset + start + 2 + len(letter + digits + reverse))
    macro = MacroExpand(letter, int(digits) if digits else None, bool(reverse), delimiters)
    return macro, end + 1


def _merge_literals(tokens: list[MacroToken]) -> tuple[MacroToken, ...]:
    merged: list[MacroToken] = []
    for token in tokens:
        if isinstance(token, str) and merged and isinstance(merged[-1], str):
            merged[-1] += token
        else:
            merged.append(token)
    return tuple(merged)


@dataclass(frozen=True)
class MacroContext:
    """What the macro letters stand for in one evaluation."""

    sender: str
    local_part: str
    sender_domain: str
    domain: str
    ip: IPAddress
    helo: str
    # %{p} needs DNS: computed only when a macro asks for it.
    validated_name: Callable[[], str] = field(default=lambda: "unknown")
    receiver: str = "unknown"

    def value(self, letter: str) -> str:
        letter = letter.lower()
        if letter == "p":
            return self.validated_name()
        if letter == "t":
            return str(int(time.time()))
        values = {
            "s": self.sender,
            "l": self.local_part,
            "o": self.sender_domain,
            "d": self.domain,
            "i": _dotted_address(self.ip),
            "v": "in-addr" if self.ip.version == 4 else "ip6",
            "h": self.helo,
            "c": str(self.ip),
            "r": self.receiver,
        }
        return values[letter]


def expand(tokens: Iterable[MacroToken], context: MacroContext) -> str:
    """The text of a parsed macro string in `context`."""
    return "".join(token if isinstance(token, str) else _expand_one(token, context) for token in tokens)


def expand_domain(tokens: Iterable[MacroToken], context: MacroContext) -> str:
    """Expand a domain-spec: trailing dot dropped, left labels cut to fit 253 characters (7.3)."""
    name = expand(tokens, context).removesuffix(".")
    while len(name) > MAX_DOMAIN_LENGTH and "." in name:
        name = name.split(".", 1)[1]
    return name


def _expand_one(macro: MacroExpand, context: MacroContext) -> str:
    value = context.value(macro.letter)
    if macro.digits is not None or macro.reverse or macro.delimiters:
        parts = re.split("[" + re.escape(macro.delimiters or ".") + "]", value)
        if macro.reverse:
            parts.reverse()
        if macro.digits is not None:
            parts = parts[-macro.digits :]
        value = ".".join(parts)
    if macro.url_escaped:
        value = urllib.parse.quote(value, safe="")
    return value


def _dotted_address(ip: IPAddress) -> str:
    if ip.version == 4:
        return str(ip)
    return ".".join(ip.exploded.replace(":", ""))


# --- Records (sections 4.5, 4.6 and 5) -----------------------------------------------------------


@dataclass(frozen=True)
class Mechanism:
    """A directive: a qualifier and a mechanism with its arguments."""

    qualifier: str
    name: str
    text: str
    position: int
    # The domain-spec as written, and parsed; None when the mechanism has none.
    domain: str | None = None
    domain_spec: tuple[MacroToken, ...] | None = None
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    cidr4: int = 32
    cidr6: int = 128

    @property
    def result(self) -> str:
        return QUALIFIERS[self.qualifier]

    @property
    def queries_dns(self) -> bool:
        return self.name in DNS_TERMS


@dataclass(frozen=True)
class Modifier:
    """A name=value term: redirect, exp or one this implementation ignores."""

    name: str
    value: str
    text: str
    position: int
    tokens: tuple[MacroToken, ...] = ()

    @property
    def queries_dns(self) -> bool:
        return self.name in DNS_TERMS


Term = Mechanism | Modifier


@dataclass(frozen=True)
class SpfRecord:
    """A parsed SPF record, terms in the order written."""

    text: str
    terms: tuple[Term, ...]

    @property
    def mechanisms(self) -> tuple[Mechanism, ...]:
        return tuple(term for term in self.terms if isinstance(term, Mechanism))

    @property
    def redirect(self) -> Modifier | None:
        return self._modifier("redirect")

    @property
    def explanation(self) -> Modifier | None:
        return self._modifier("exp")

    def _modifier(self, name: str) -> Modifier | None:
        return next((term for term in self.terms if isinstance(term, Modifier) and term.name == name), None)


def is_spf_record(text: str) -> bool:
    """True for a TXT string that is an SPF record: "v=spf1" (any case) then a space or the end."""
    return text[: len(_VERSION)].lower() == _VERSION and text[len(_VERSION) : len(_VERSION) + 1] in ("", " ")


def select_records(texts: Iterable[str]) -> tuple[str, ...]:
    """The SPF records among a name's TXT records (4.5): a domain must have exactly one."""
    return tuple(text for text in texts if is_spf_record(text))


# A provider's record (_spf.google.com, _spf.odoo.com...) is included by thousands of domains in
# one run; the parsed record is immutable, so each distinct text is parsed once. The bound keeps a
# sweep's memory flat however many distinct records it meets.
@lru_cache(maxsize=2048)
def parse_record(text: str) -> SpfRecord:
    """Parse an SPF record; raises SpfSyntaxError with the position of the first error."""
    if not is_spf_record(text):
        raise SpfSyntaxError("an SPF record starts with 'v=spf1' followed by a space", 0)
    for index, char in enumerate(text):
        if not 0x20 <= ord(char) <= 0x7E:
            raise SpfSyntaxError(f"character {char!r} is not allowed: SPF records are printable ASCII", index)
    terms = []
    seen: dict[str, int] = {}
    for match in re.finditer(r"[^ ]+", text[len(_VERSION) :]):
        position = len(_VERSION) + match.start()
        term = parse_term(match.group(), position)
        if isinstance(term, Modifier) and term.name in ("redirect", "exp"):
            if term.name in seen:
                raise SpfSyntaxError(f"'{term.name}=' appears more than once", position)
            seen[term.name] = position
        terms.append(term)
    return SpfRecord(text, tuple(terms))


def parse_term(text: str, position: int = 0) -> Term:
    """Parse one term of a record; `position` is its offset in the record."""
    modifier = _MODIFIER.fullmatch(text)
    if modifier:
        return _parse_modifier(text, modifier.group(1).lower(), modifier.group(2), position)
    return _parse_mechanism(text, position)


def _parse_modifier(text: str, name: str, value: str, position: int) -> Modifier:
    value_at = position + text.index("=") + 1
    if name in ("redirect", "exp"):
        if not value:
            raise SpfSyntaxError(f"'{name}=' needs a domain", value_at)
        tokens = parse_domain_spec(value, value_at)
    else:
        tokens = parse_macro_string(value, offset=value_at)
    return Modifier(name, value, text, position, tokens)


def _parse_mechanism(text: str, position: int) -> Mechanism:
    qualifier = text[0] if text[0] in QUALIFIERS else "+"
    body = text[1:] if text[0] in QUALIFIERS else text
    body_at = position + len(text) - len(body)
    name = _MECHANISM_NAME.match(body).group()
    if "=" in body and not re.search(r"[:/]", body.split("=", 1)[0]):
        raise SpfSyntaxError(f"{body.split('=', 1)[0]!r} is not a modifier name: it must start with a letter", body_at)
    if name.lower() not in MECHANISMS:
        shown = re.split(r"[:/=]", body, maxsplit=1)[0] or body
        raise SpfSyntaxError(f"unknown mechanism {shown!r}", body_at)
    name = name.lower()
    rest = body[len(name) :]
    rest_at = body_at + len(name)
    parser = _MECHANISM_PARSERS[name]
    return parser(qualifier, name, text, position, rest, rest_at)


def _parse_all(qualifier: str, name: str, text: str, position: int, rest: str, rest_at: int) -> Mechanism:
    if rest:
        raise SpfSyntaxError("'all' takes no argument", rest_at)
    return Mechanism(qualifier, name, text, position)


def _parse_domain_only(qualifier: str, name: str, text: str, position: int, rest: str, rest_at: int) -> Mechanism:
    """include:domain, exists:domain (required) and ptr[:domain] (optional); no CIDR length."""
    if not rest and name == "ptr":
        return Mechanism(qualifier, name, text, position)
    if not rest.startswith(":"):
        raise SpfSyntaxError(f"'{name}' must be followed by ':' and a domain", rest_at)
    tokens = parse_domain_spec(rest[1:], rest_at + 1)
    return Mechanism(qualifier, name, text, position, domain=rest[1:], domain_spec=tokens)


def _parse_address_mechanism(qualifier: str, name: str, text: str, position: int, rest: str, rest_at: int) -> Mechanism:
    """a[:domain][/cidr4][//cidr6] and mx[...] alike."""
    if rest.startswith(":"):
        match = _DUAL_CIDR.fullmatch(rest[1:])
        spec = match.group("spec")
        tokens = parse_domain_spec(spec, rest_at + 1)
    else:
        match = re.fullmatch(r"(?P<spec>)(?:/(?P<cidr4>\d+))?(?://(?P<cidr6>\d+))?", rest)
        if not match:
            raise SpfSyntaxError(f"'{name}' is followed by ':domain', '/cidr4' or '//cidr6'", rest_at)
        spec, tokens = None, None
    cidr_at = rest_at + (match.end("spec") + 1 if rest.startswith(":") else 0)
    cidr4 = _cidr(match.group("cidr4"), 32, cidr_at)
    cidr6 = _cidr(match.group("cidr6"), 128, cidr_at)
    return Mechanism(qualifier, name, text, position, domain=spec, domain_spec=tokens, cidr4=cidr4, cidr6=cidr6)


def _parse_network(qualifier: str, name: str, text: str, position: int, rest: str, rest_at: int) -> Mechanism:
    """ip4:address[/cidr] and ip6:address[/cidr]."""
    version = 4 if name == "ip4" else 6
    match = _ADDRESS_CIDR.fullmatch(rest[1:]) if rest.startswith(":") else None
    if match is None:
        raise SpfSyntaxError(f"'{name}' must be followed by ':' and an IPv{version} address", rest_at)
    longest = 32 if version == 4 else 128
    prefix = _cidr(match.group("cidr"), longest, rest_at + 1 + match.end("address"))
    try:
        address = ipaddress.ip_address(match.group("address"))
    except ValueError:
        address = None
    if address is None or address.version != version or "%" in match.group("address"):
        raise SpfSyntaxError(f"{match.group('address')!r} is not an IPv{version} address", rest_at + 1)
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return Mechanism(qualifier, name, text, position, network=network, cidr4=prefix, cidr6=prefix)


_MECHANISM_PARSERS = {
    "all": _parse_all,
    "include": _parse_domain_only,
    "exists": _parse_domain_only,
    "ptr": _parse_domain_only,
    "a": _parse_address_mechanism,
    "mx": _parse_address_mechanism,
    "ip4": _parse_network,
    "ip6": _parse_network,
}


def _cidr(digits: str | None, longest: int, position: int) -> int:
    if digits is None:
        return longest
    if (digits.startswith("0") and digits != "0") or int(digits) > longest:
        raise SpfSyntaxError(f"CIDR length /{digits} is not a number from 0 to {longest}", position)
    return int(digits)


def parse_domain_spec(text: str, offset: int = 0) -> tuple[MacroToken, ...]:
    """Parse a domain-spec: a macro string ending in a macro or in '.' and a top label (7.1)."""
    if not text:
        raise SpfSyntaxError("a domain is required here", offset)
    tokens = parse_macro_string(text, offset=offset)
    if isinstance(tokens[-1], MacroExpand) or text.endswith(("%%", "%_", "%-")):
        return tokens
    if not _TOPLABEL.search(text):
        raise SpfSyntaxError(
            f"{text!r} is not a domain: it must end in '.' and a top-level label that is not all digits", offset
        )
    return tokens


# --- check_host() (sections 4 and 5) -------------------------------------------------------------


@dataclass(frozen=True)
class SpfResult:
    """The outcome of check_host() for one sending address."""

    result: str
    domain: str
    mechanism: str | None = None
    explanation: str | None = None
    # Why the result is none, permerror or temperror, in words.
    problem: str = ""
    dns_lookups: int = 0
    void_lookups: int = 0
    # The record that decided: after redirect=, the target's.
    record: str | None = None
    # The DNS fault behind a temperror (dns.timeout, dns.servfail, ...), and the lookup that failed.
    fault_code: str | None = None
    fault: Lookup | None = None

    @property
    def message(self) -> str:
        return self.problem


class _Abort(Exception):
    """Ends an evaluation early with permerror or temperror."""

    def __init__(self, result: str, problem: str, fault: Lookup | None = None):
        super().__init__(problem)
        self.result = result
        self.problem = problem
        self.fault = fault


@dataclass(frozen=True)
class _Verdict:
    result: str
    mechanism: str | None = None
    explanation: str | None = None
    problem: str = ""
    record: str | None = None
    fault: Lookup | None = None


def check_host(
    ip: str | IPAddress,
    domain: str,
    sender: str,
    *,
    helo: str | None = None,
    resolver: Resolver | None = None,
    deadline: float | None = None,
) -> SpfResult:
    """Evaluate `domain`'s SPF policy for mail from `ip` with envelope sender `sender` (RFC 7208 4).

    An empty sender means postmaster@<helo>. Raises InvalidTarget when `ip` is not an IP address;
    DNS faults give "temperror".
    """
    address = _parse_ip(ip)
    local_part, sender_domain = _split_sender(sender, helo or domain)
    evaluation = _Evaluation(
        ip=address,
        sender=f"{local_part}@{sender_domain}",
        local_part=local_part,
        sender_domain=sender_domain,
        helo=helo or "unknown",
        resolver=resolver or Resolver(),
        deadline=deadline,
    )
    verdict = evaluation.check(_query_name(domain))
    return SpfResult(
        result=verdict.result,
        domain=domain,
        mechanism=verdict.mechanism,
        explanation=verdict.explanation,
        problem=verdict.problem,
        dns_lookups=evaluation.dns_lookups,
        void_lookups=evaluation.void_lookups,
        record=verdict.record,
        fault_code=verdict.fault.fault_code if verdict.fault else None,
        fault=verdict.fault,
    )


def _query_name(domain: str) -> str:
    """The domain as asked in DNS: no final dot, international names as A-labels."""
    domain = domain[:-1] if domain.endswith(".") and not domain.endswith("..") else domain
    if domain.isascii():
        return domain
    try:
        return to_ascii(domain)
    except InvalidTarget:
        # Left as given: a malformed domain has no SPF record ("none", 4.3).
        return domain


def _parse_ip(ip: str | IPAddress) -> IPAddress:
    try:
        address = ipaddress.ip_address(ip.strip() if isinstance(ip, str) else ip)
    except ValueError:
        raise InvalidTarget(f"{ip!r} is not an IP address") from None
    # An IPv4-mapped IPv6 address is its IPv4 address (5, "ip6" never matches it).
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _split_sender(sender: str, fallback_domain: str) -> tuple[str, str]:
    if not sender:
        return "postmaster", fallback_domain
    local, at, domain = sender.rpartition("@")
    if not at:
        return "postmaster", sender
    return local or "postmaster", domain


def valid_domain(name: str, *, multi_label: bool = True) -> bool:
    """Whether `name` can be asked in DNS (4.3): no empty or long label, at most 253 characters."""
    if not name or not name.isascii() or len(name) > MAX_DOMAIN_LENGTH or name.startswith("["):
        return False
    labels = name.split(".")
    if any(not label or len(label) > MAX_LABEL_LENGTH for label in labels):
        return False
    return len(labels) > 1 or not multi_label


class _Evaluation:
    """One check_host() run: the sending address, its counters and the DNS it may ask."""

    def __init__(
        self,
        *,
        ip: IPAddress,
        sender: str,
        local_part: str,
        sender_domain: str,
        helo: str,
        resolver: Resolver,
        deadline: float | None,
    ):
        self.ip = ip
        self.sender = sender
        self.local_part = local_part
        self.sender_domain = sender_domain
        self.helo = helo
        self.resolver = resolver
        self.deadline = deadline
        self.dns_lookups = 0
        self.void_lookups = 0
        self._validated: tuple[str, ...] | None = None

    # The recursion: a record, its mechanisms, then redirect.

    def check(self, domain: str, *, explain: bool = True) -> _Verdict:
        try:
            return self._check(domain, explain)
        except _Abort as abort:
            return _Verdict(abort.result, problem=abort.problem, fault=abort.fault)

    def _check(self, domain: str, explain: bool) -> _Verdict:
        if not valid_domain(domain) or _is_ip_literal(domain):
            return _Verdict("none", problem=f"{domain!r} is not a domain that can have an SPF record")
        text = self._find_record(domain)
        if text is None:
            return _Verdict("none", problem=f"{domain} has no SPF record")
        try:
            record = parse_record(text)
        except SpfSyntaxError as error:
            return _Verdict("permerror", problem=f"{domain}: {error}", record=text)
        context = self.context(domain)
        for mechanism in record.mechanisms:
            if self._matches(mechanism, domain, context):
                explanation = None
                if mechanism.result == "fail" and explain:
                    explanation = self._explanation(record, context)
                return _Verdict(mechanism.result, mechanism.text, explanation, record=text)
        if record.redirect is not None:
            return self._redirect(record.redirect, context, explain)
        return _Verdict("neutral", problem="no mechanism matched", record=text)

    def _find_record(self, domain: str) -> str | None:
        lookup = self.lookup(domain, "TXT")
        if lookup.void:
            return None
        records = select_records(lookup.records)
        if len(records) > 1:
            raise _Abort("permerror", f"{domain} has {len(records)} SPF records; it must have one")
        return records[0] if records else None

    def _redirect(self, redirect: Modifier, context: MacroContext, explain: bool) -> _Verdict:
        self.count_term()
        target = expand_domain(redirect.tokens, context)
        if not valid_domain(target, multi_label=False):
            raise _Abort("permerror", f"redirect={target!r} is not a domain")
        verdict = self._check(target, explain)
        if verdict.result == "none":
            raise _Abort("permerror", f"redirect={target}: {verdict.problem}")
        return verdict

    def _matches(self, mechanism: Mechanism, domain: str, context: MacroContext) -> bool:
        if mechanism.name == "all":
            return True
        if mechanism.name in ("ip4", "ip6"):
            return _same_family_in(str(self.ip), mechanism.network)
        self.count_term()
        target = domain if mechanism.domain_spec is None else expand_domain(mechanism.domain_spec, context)
        if mechanism.name == "include":
            return self._include(target)
        # A target that cannot be a DNS name is treated as a name that does not exist (4.3, 4.8).
        if not valid_domain(target, multi_label=False):
            return False
        if mechanism.name == "a":
            return self._address_matches(self.addresses(target, count_void=True), mechanism)
        if mechanism.name == "mx":
            return self._mx_matches(target, mechanism)
        if mechanism.name == "ptr":
            return any(name == target.lower() or name.endswith("." + target.lower()) for name in self.validated())
        return self._exists(target)

    def _include(self, target: str) -> bool:
        if not valid_domain(target, multi_label=False):
            raise _Abort("permerror", f"include:{target!r} is not a domain")
        verdict = self._check(target, explain=False)
        if verdict.result == "pass":
            return True
        if verdict.result in ("fail", "softfail", "neutral"):
            return False
        if verdict.result == "temperror":
            raise _Abort("temperror", f"include:{target}: {verdict.problem}", verdict.fault)
        raise _Abort("permerror", f"include:{target}: {verdict.problem}")

    def _mx_matches(self, target: str, mechanism: Mechanism) -> bool:
        lookup = self.lookup(target, "MX", count_void=True)
        exchanges = [name for name in lookup.records if name not in ("", ".")]
        if len(lookup.records) > MAX_NAME_LOOKUPS:
            raise _Abort("permerror", f"mx:{target} has {len(lookup.records)} MX records, more than {MAX_NAME_LOOKUPS}")
        return any(self._address_matches(self.addresses(name), mechanism) for name in exchanges)

    def _exists(self, target: str) -> bool:
        # Always an A query, whatever the version of the sending address (5.7).
        return self.lookup(target, "A", count_void=True).answered

    def _address_matches(self, addresses: tuple[str, ...], mechanism: Mechanism) -> bool:
        prefix = mechanism.cidr4 if self.ip.version == 4 else mechanism.cidr6
        network = ipaddress.ip_network(f"{self.ip}/{prefix}", strict=False)
        return any(_same_family_in(address, network) for address in addresses)

    # DNS, with the limits of 4.6.4.

    def count_term(self) -> None:
        self.dns_lookups += 1
        if self.dns_lookups > MAX_DNS_LOOKUPS:
            raise _Abort("permerror", f"more than {MAX_DNS_LOOKUPS} DNS-querying terms (include, a, mx, ptr, ...)")

    def lookup(self, name: str, rdtype: str, *, count_void: bool = False) -> Lookup:
        lookup = self.resolver.lookup(name, rdtype, deadline=self.deadline)
        if lookup.failed:
            problem = f"{rdtype} lookup of {name}: {lookup.outcome} {lookup.detail}".strip()
            raise _Abort("temperror", problem, lookup)
        if lookup.void and count_void:
            self.void_lookups += 1
            if self.void_lookups > MAX_VOID_LOOKUPS:
                raise _Abort("permerror", f"more than {MAX_VOID_LOOKUPS} lookups found nothing (void lookups)")
        return lookup

    def addresses(self, name: str, *, count_void: bool = False) -> tuple[str, ...]:
        return self.lookup(name, "A" if self.ip.version == 4 else "AAAA", count_void=count_void).records

    def validated(self) -> tuple[str, ...]:
        """The names of the sending address that map back to it (5.5), at most 10 checked."""
        if self._validated is None:
            self._validated = self._validate_names()
        return self._validated

    def _validate_names(self) -> tuple[str, ...]:
        reverse = dns.reversename.from_address(str(self.ip)).to_text(omit_final_dot=True)
        lookup = self.resolver.lookup(reverse, "PTR", deadline=self.deadline)
        # A failed PTR lookup is no match, not a temperror (5.5): the sender controls no PTR.
        if not lookup.answered:
            return ()
        validated = []
        for name in lookup.records[:MAX_NAME_LOOKUPS]:
            if not valid_domain(name, multi_label=False):
                continue
            found = self.resolver.lookup(name, "A" if self.ip.version == 4 else "AAAA", deadline=self.deadline)
            if any(_same_family_in(address, ipaddress.ip_network(self.ip)) for address in found.records):
                validated.append(name)
        return tuple(validated)

    # Macros and the explanation.

    def context(self, domain: str) -> MacroContext:
        return MacroContext(
            sender=self.sender,
            local_part=self.local_part,
            sender_domain=self.sender_domain,
            domain=domain,
            ip=self.ip,
            helo=self.helo,
            validated_name=lambda: self._validated_name(domain),
        )

    def _validated_name(self, domain: str) -> str:
        """%{p}: the domain itself, else one of its subdomains, else any validated name (7.3)."""
        names = self.validated()
        domain = domain.lower()
        for wanted in (lambda name: name == domain, lambda name: name.endswith("." + domain), lambda name: True):
            for name in names:
                if wanted(name):
                    return name
        return "unknown"

    def _explanation(self, record: SpfRecord, context: MacroContext) -> str | None:
        """The exp= text, or None: any problem with it means no explanation, never an error (6.2)."""
        if record.explanation is None:
            return None
        target = expand_domain(record.explanation.tokens, context)
        if not valid_domain(target, multi_label=False):
            return None
        # Not counted against the limits: it is looked up once the result is known.
        lookup = self.resolver.lookup(target, "TXT", deadline=self.deadline)
        if not lookup.answered or len(lookup.records) != 1 or not lookup.records[0].isascii():
            return None
        try:
            tokens = parse_macro_string(lookup.records[0], explanation=True)
        except SpfSyntaxError:
            return None
        return expand(tokens, context)


def _same_family_in(address: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    try:
        candidate = ipaddress.ip_address(address)
    except ValueError:
        return False
    return candidate.version == network.version and candidate in network


def _is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
