"""DKIM: the selector's key record, where it points, and what key it holds.

A selector's CNAME chain is followed to its end, as receivers do: it works when
any name on it is the provider's key (dkim.third_party_cname warns when names
of another party sit before it), and fails with dkim.wrong_target when none is.
"""

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass

from .dns import Lookup, Outcome, Resolver
from .providers import Provider
from .report import DkimReport, Record, Status
from .tags import TagList, parse_tags

__all__ = ["InvalidKey", "KeyRecord", "TagList", "audit_dkim", "parse_key_record", "parse_tags", "rsa_modulus_bits"]

WEAK_BITS = 2048
BROKEN_BITS = 1024
KEY_TYPES = ("rsa", "ed25519")
ED25519_KEY_BYTES = 32
# The selector shown in a report is the best one checked.
_PREFERENCE = (Status.PASS, Status.WARN, Status.ERROR, Status.FAIL)
_SEQUENCE, _INTEGER, _BIT_STRING = 0x30, 0x02, 0x03


class InvalidKey(ValueError):
    """The p= value is not a public key of the declared type."""


@dataclass(frozen=True)
class KeyRecord:
    key_type: str
    key_bits: int | None
    revoked: bool


def parse_key_record(text: str) -> KeyRecord:
    """Read a DKIM key record; raises InvalidKey with a message when it is unusable."""
    parsed = parse_tags(text)
    if parsed.errors:
        raise InvalidKey("; ".join(parsed.errors))
    tags = parsed.tags
    if "v" in tags and (parsed.order[0] != "v" or tags["v"] != "DKIM1"):
        raise InvalidKey("v= must come first and be DKIM1")
    key_type = tags.get("k", "rsa").lower()
    if key_type not in KEY_TYPES:
        raise InvalidKey(f"unknown key type k={key_type}")
    _check_usable_for_mail(tags)
    if "p" not in tags:
        raise InvalidKey("the record has no p= (public key) tag")
    if not tags["p"]:
        return KeyRecord(key_type, None, revoked=True)
    try:
        der = base64.b64decode(tags["p"], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidKey("p= is not valid base64") from None
    if key_type == "ed25519":
        if len(der) != ED25519_KEY_BYTES:
            raise InvalidKey(f"an ed25519 key is {ED25519_KEY_BYTES} bytes, this one is {len(der)}")
        return KeyRecord(key_type, ED25519_KEY_BYTES * 8, revoked=False)
    return KeyRecord(key_type, rsa_modulus_bits(der), revoked=False)


def _check_usable_for_mail(tags: dict[str, str]) -> None:
    # s= restricts the key to services; h= to hash algorithms, and receivers refuse sha1 (RFC 8301).
    services = {service.strip().lower() for service in tags.get("s", "*").split(":")}
    if not services & {"*", "email"}:
        raise InvalidKey(f"s={tags['s']} does not allow the key to sign email")
    hashes = {name.strip().lower() for name in tags.get("h", "sha256").split(":")}
    if "sha256" not in hashes:
        raise InvalidKey(f"h={tags['h']} allows only hashes that receivers refuse; allow sha256")


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
    selectors: Iterable[str] | None = None,
    *,
    resolver: Resolver,
    deadline: float | None = None,
) -> DkimReport:
    """Check the DKIM keys of `domain` for the provider's selectors (or the ones given); never raises.

    With no selector at all, only probe whether anything is published under _domainkey.
    """
    chosen = provider.dkim_selectors if selectors is None else tuple(selectors)
    if not chosen:
        return _probe(domain, resolver=resolver, deadline=deadline)
    checked = [_check_selector(domain, provider, selector, resolver=resolver, deadline=deadline) for selector in chosen]
    best = min(checked, key=lambda part: _PREFERENCE.index(part.status))
    report = DkimReport(
        selector=best.selector,
        record=best.record,
        cname_target=best.cname_target,
        key_type=best.key_type,
        key_bits=best.key_bits,
        selectors_checked=chosen,
    )
    # Every selector asked for must work: Microsoft signs with selector1 or selector2 as it rotates its keys.
    for part in checked:
        report.problems.extend(part.problems)
    return report


def _probe(domain: str, *, resolver: Resolver, deadline: float | None) -> DkimReport:
    lookup = resolver.lookup(f"_domainkey.{domain}", "TXT", deadline=deadline)
    report = DkimReport()
    if lookup.failed:
        report.add(lookup.fault_code, Status.ERROR, lookup.fault_params)
    else:
        # NXDOMAIN: no key at all under _domainkey; an empty non-terminal (NODATA): some selector exists.
        report.domainkey_exists = lookup.outcome is not Outcome.NXDOMAIN
    return report


def _check_selector(
    domain: str, provider: Provider, selector: str, *, resolver: Resolver, deadline: float | None
) -> DkimReport:
    name = f"{selector}._domainkey.{domain}"
    lookup = resolver.lookup(name, "TXT", deadline=deadline)
    report = DkimReport(selector=selector, cname_target=lookup.cnames[0] if lookup.cnames else None)
    expected = provider.expected_cname(selector, domain)
    cname = Record(name, "CNAME", expected + ".") if expected else None
    # Receivers follow the whole alias chain: it works when any name on it is the provider's key.
    reached = next(
        (index for index, target in enumerate(lookup.cnames) if provider.accepts_cname(selector, domain, target)), None
    )
    if lookup.failed:
        report.add(lookup.fault_code, Status.ERROR, lookup.fault_params)
    elif lookup.cnames and provider.expects_cname and reached is None:
        _wrong_target(report, name, provider, lookup.cnames[0], cname)
    elif not lookup.answered:
        _missing(report, name, provider, lookup, cname)
    else:
        _judge_key(report, name, provider, lookup, cname)
        if reached:
            _third_parties(report, name, domain, provider, lookup.cnames[:reached], cname)
    return report


def _third_parties(
    report: DkimReport, name: str, domain: str, provider: Provider, hops: tuple[str, ...], cname: Record | None
) -> None:
    """Warn when the chain to the provider's key passes through names outside the domain: signing works,
    but it stops working when whoever runs those names changes them."""
    outside = [hop for hop in hops if hop != domain and not hop.endswith("." + domain)]
    if outside:
        params = {"name": name, "provider": provider.label, "via": ", ".join(outside)}
        report.add("dkim.third_party_cname", Status.WARN, params, cname)


def _wrong_target(report: DkimReport, name: str, provider: Provider, target: str, cname: Record | None) -> None:
    if cname is not None:
        expected = cname.value.rstrip(".")
    else:
        expected = ", ".join(f"*.{suffix}" for suffix in provider.dkim_cname_suffixes)
    params = {"name": name, "target": target, "provider": provider.label, "expected": expected}
    report.add("dkim.wrong_target", Status.FAIL, params, cname)


def _missing(report: DkimReport, name: str, provider: Provider, lookup: Lookup, cname: Record | None) -> None:
    params = {"name": name, "provider": provider.label}
    if lookup.cnames:
        report.add("dkim.missing_at_target", Status.FAIL, {**params, "target": lookup.cnames[-1]})
    elif cname is not None:
        report.add("dkim.missing", Status.FAIL, {**params, "target": cname.value.rstrip(".")}, cname)
    elif provider.expects_cname:
        report.add("dkim.missing_cname", Status.FAIL, params)
    else:
        key = Record(name, "TXT", "v=DKIM1; k=rsa; p=<public key>")
        report.add("dkim.missing_key", Status.FAIL, params, key)


def _judge_key(report: DkimReport, name: str, provider: Provider, lookup: Lookup, cname: Record | None) -> None:
    record = next((text for text in lookup.records if text.lstrip().lower().startswith("v=dkim1")), lookup.records[0])
    report.record = record
    try:
        key = parse_key_record(record)
    except InvalidKey as error:
        report.add("dkim.syntax", Status.FAIL, {"name": name, "detail": str(error)})
        return
    report.key_type, report.key_bits = key.key_type, key.key_bits
    if key.revoked:
        report.add("dkim.revoked", Status.FAIL, {"name": name}, cname)
    elif key.key_type == "rsa" and key.key_bits < WEAK_BITS:
        # RFC 8301: receivers ignore RSA keys under 1024 bits and signers must use 2048.
        status = Status.FAIL if key.key_bits < BROKEN_BITS else Status.WARN
        report.add("dkim.weak_key", status, {"name": name, "bits": key.key_bits})
    if provider.expects_cname and not lookup.cnames:
        report.add("dkim.not_cname", Status.WARN, {"name": name, "provider": provider.label}, cname)
