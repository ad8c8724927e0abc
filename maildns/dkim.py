"""DKIM: the selector's key record, where it points, and what key it holds."""

import base64
import binascii
from dataclasses import dataclass

from .dns import Lookup, Resolver
from .providers import Provider
from .report import DkimReport, Record, Status
from .tags import parse_tags

WEAK_BITS = 2048
BROKEN_BITS = 1024
_SEQUENCE, _INTEGER, _BIT_STRING = 0x30, 0x02, 0x03


class InvalidKey(ValueError):
    """The p= value is not a public key of the declared type."""


@dataclass(frozen=True)
class KeyRecord:
    key_type: str
    key_bits: int | None
    revoked: bool


@dataclass(frozen=True)
class _SelectorResult:
    selector: str
    report: DkimReport


def parse_key_record(text: str) -> KeyRecord:
    """Read a DKIM key record; raises InvalidKey with a message when it is unusable."""
    parsed = parse_tags(text)
    if parsed.errors:
        raise InvalidKey("; ".join(parsed.errors))
    tags = parsed.tags
    if "v" in tags and (parsed.order[0] != "v" or tags["v"] != "DKIM1"):
        raise InvalidKey("v= must come first and be DKIM1")
    key_type = tags.get("k", "rsa").lower()
    if key_type not in ("rsa", "ed25519"):
        raise InvalidKey(f"unknown key type k={key_type}")
    if "p" not in tags:
        raise InvalidKey("the record has no p= (public key) tag")
    if not tags["p"]:
        return KeyRecord(key_type, None, revoked=True)
    try:
        der = base64.b64decode(tags["p"], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidKey("p= is not valid base64") from None
    if key_type == "ed25519":
        if len(der) != 32:
            raise InvalidKey(f"an ed25519 key is 32 bytes, this one is {len(der)}")
        return KeyRecord(key_type, 256, revoked=False)
    return KeyRecord(key_type, rsa_modulus_bits(der), revoked=False)


def rsa_modulus_bits(der: bytes) -> int:
    """Bits of the modulus of a DER SubjectPublicKeyInfo or bare RSAPublicKey."""
    tag, body, rest = _tlv(der)
    if tag != _SEQUENCE or rest:
        raise InvalidKey("p= is not a DER public key")
    first_tag, first, after = _tlv(body)
    if first_tag == _SEQUENCE:
        # SubjectPublicKeyInfo: algorithm, then the RSAPublicKey inside a BIT STRING.
        bits_tag, bit_string, _ = _tlv(after)
        if bits_tag != _BIT_STRING or not bit_string or bit_string[0] != 0:
            raise InvalidKey("p= has no RSA key inside its public key info")
        return rsa_modulus_bits(bit_string[1:])
    if first_tag != _INTEGER:
        raise InvalidKey("p= is not an RSA public key")
    modulus = int.from_bytes(first, "big")
    if modulus <= 0 or _tlv(after)[0] != _INTEGER:
        raise InvalidKey("p= is not an RSA public key")
    return modulus.bit_length()


def _tlv(data: bytes) -> tuple[int, bytes, bytes]:
    if len(data) < 2:
        raise InvalidKey("truncated DER")
    tag, length, offset = data[0], data[1], 2
    if length & 0x80:
        size = length & 0x7F
        if not 0 < size <= 4 or len(data) < 2 + size:
            raise InvalidKey("bad DER length")
        length, offset = int.from_bytes(data[2 : 2 + size], "big"), 2 + size
    if len(data) < offset + length:
        raise InvalidKey("truncated DER")
    return tag, data[offset : offset + length], data[offset + length :]


def audit_dkim(
    domain: str,
    provider: Provider,
    selectors: tuple[str, ...] | None = None,
    *,
    resolver: Resolver,
    deadline: float | None = None,
) -> DkimReport:
    """Check the DKIM keys of `domain` for the provider's selectors (or the ones given)."""
    chosen = provider.dkim_selectors if selectors is None else selectors
    if not chosen:
        return _probe(domain, resolver=resolver, deadline=deadline)
    results = [_check_selector(domain, provider, selector, resolver=resolver, deadline=deadline) for selector in chosen]
    best = min(results, key=lambda result: _rank(result.report))
    report = DkimReport(
        selector=best.selector,
        record=best.report.record,
        cname_target=best.report.cname_target,
        key_type=best.report.key_type,
        key_bits=best.report.key_bits,
        selectors_checked=tuple(chosen),
    )
    # Every selector the provider signs with must work (Microsoft rotates between two).
    for result in results:
        report.problems.extend(result.report.problems)
    return report


def _rank(report: DkimReport) -> int:
    return {Status.PASS: 0, Status.WARN: 1, Status.ERROR: 2, Status.FAIL: 3}[report.status]


def _probe(domain: str, *, resolver: Resolver, deadline: float | None) -> DkimReport:
    lookup = resolver.lookup(f"_domainkey.{domain}", "TXT", deadline=deadline)
    report = DkimReport()
    if lookup.failed:
        report.add(lookup.fault_code, _fault_message(lookup), Status.ERROR)
    else:
        # NXDOMAIN: no key at all under _domainkey; an empty non-terminal: some selector exists.
        report.domainkey_exists = lookup.outcome != "nxdomain"
    return report


def _check_selector(
    domain: str, provider: Provider, selector: str, *, resolver: Resolver, deadline: float | None
) -> _SelectorResult:
    name = f"{selector}._domainkey.{domain}"
    lookup = resolver.lookup(name, "TXT", deadline=deadline)
    report = DkimReport(selector=selector, cname_target=lookup.cnames[0] if lookup.cnames else None)
    expected = provider.expected_cname(selector, domain)
    cname = Record(name, "CNAME", expected + ".") if expected else None
    if lookup.failed:
        report.add(lookup.fault_code, _fault_message(lookup), Status.ERROR)
        return _SelectorResult(selector, report)
    if lookup.cnames and provider.expects_cname and not provider.accepts_cname(selector, domain, lookup.cnames[0]):
        report.add(
            "dkim.wrong_target",
            f"{name} points to {lookup.cnames[0]}, not to {provider.label}'s key"
            + (f" ({expected})" if expected else "")
            + ": mail signed by the provider fails DKIM. Make the CNAME point to the provider's key.",
            Status.FAIL,
            cname,
        )
    if not lookup.answered:
        _missing(report, name, provider, cname)
        return _SelectorResult(selector, report)
    record = next((text for text in lookup.records if text.lstrip().lower().startswith("v=dkim1")), lookup.records[0])
    report.record = record
    try:
        key = parse_key_record(record)
    except InvalidKey as error:
        report.add("dkim.syntax", f"The DKIM record at {name} is unusable: {error}.", Status.FAIL)
        return _SelectorResult(selector, report)
    report.key_type, report.key_bits = key.key_type, key.key_bits
    if key.revoked:
        report.add(
            "dkim.revoked",
            f"The key at {name} is revoked (empty p=): nothing signed with it passes.",
            Status.FAIL,
            cname,
        )
    elif key.key_type == "rsa" and key.key_bits < WEAK_BITS:
        status = Status.FAIL if key.key_bits < BROKEN_BITS else Status.WARN
        report.add("dkim.weak_key", f"The RSA key at {name} has {key.key_bits} bits: use a key of 2048 bits.", status)
    if provider.expects_cname and not lookup.cnames:
        report.add(
            "dkim.not_cname",
            f"{name} holds a copy of {provider.label}'s key as TXT: it breaks at the provider's next key "
            "rotation. Publish the CNAME instead.",
            Status.WARN,
            cname,
        )
    return _SelectorResult(selector, report)


def _missing(report: DkimReport, name: str, provider: Provider, cname: Record | None) -> None:
    if cname is not None:
        message = f"No DKIM key at {name}: publish the CNAME to {provider.label}'s key so its mail is signed for you."
        report.add("dkim.missing", message, Status.FAIL, cname)
        return
    message = (
        f"No DKIM key at {name}: publish the key {provider.label} gives you (in its admin console) "
        "as a TXT record there."
    )
    if provider.expects_cname:
        message = f"No DKIM record at {name}: enable DKIM in {provider.label}'s admin console and publish its CNAME."
        report.add("dkim.missing", message, Status.FAIL)
        return
    report.add("dkim.missing", message, Status.FAIL, Record(name, "TXT", "v=DKIM1; k=rsa; p=<public key>"))


def _fault_message(lookup: Lookup) -> str:
    return (
        f"The DNS did not answer for {lookup.name} ({lookup.outcome}): the DKIM result is unknown. {lookup.detail}"
    ).strip()
