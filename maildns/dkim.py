"""DKIM: the selector's key record, where it points, and what key it holds.

A selector's CNAME chain is followed to its end, as receivers do: it works when
any name on it is the provider's key (dkim.third_party_cname warns when names
of another party sit before it), and fails with dkim.wrong_target when none is.
"""

import base64
import binascii
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .dns import Lookup, Outcome, Resolver
from .providers import Provider
from .result import DkimResult, Record, Status
from .tags import TagList, parse_tags

__all__ = [
    "COMMON_SELECTORS",
    "InvalidKey",
    "KeyRecord",
    "TagList",
    "audit_dkim",
    "parse_key_record",
    "parse_tags",
    "rsa_modulus_bits",
]

WEAK_BITS = 2048
BROKEN_BITS = 1024
KEY_TYPES = ("rsa", "ed25519")
ED25519_KEY_BYTES = 32
# The selector shown in a report is the best one checked.
_PREFERENCE = (Status.PASS, Status.WARN, Status.ERROR, Status.FAIL)
_SEQUENCE, _INTEGER, _BIT_STRING = 0x30, 0x02, 0x03
# The selectors mail servers and their set-up guides use when nobody chose one (OpenDKIM's and cPanel's
# "default", Postfix guides' "mail" and "dkim", Microsoft's and Google's...), asked for a sender whose
# selector is not fixed, after those the receivers reported and the provider's usual ones.
COMMON_SELECTORS = (
    "default",
    "mail",
    "dkim",
    "selector1",
    "selector2",
    "google",
    "k1",
    "k2",
    "s1",
    "s2",
    "smtp",
    "key1",
    "dkim1",
    "email",
)
# A selector is one or more LDH labels (RFC 6376 section 3.1): "s1", "2024.mail".
_SELECTOR = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
MAX_NAME_LENGTH = 253
MAX_REPORTED = 8
# Selectors asked at once while searching: enough for the list above in one round trip.
SEARCH_WORKERS = 16


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
    reported: Iterable[str] = (),
    search: bool = True,
) -> DkimResult:
    """Check the DKIM keys of `domain` for the selectors given, else the provider's; never raises.

    A sender whose selector is not fixed (a server of one's own, Mailgun, Amazon SES, Zoho Mail...) has its
    key searched: at the selectors receivers `reported` for the domain (in DMARC aggregate reports), then at
    the provider's usual ones and COMMON_SELECTORS, each asked once, at the same time. What no search finds is
    unknown (dkim.selector_unknown), never a pass; a domain with nothing under _domainkey has no key at all.
    search=False: the domain is not one the sender signs for, so no key there is its own (dkim.not_searched).
    """
    chosen = tuple(selectors or ())
    if chosen:
        return _judge_selectors(domain, provider, chosen, "given", resolver=resolver, deadline=deadline)
    if provider.fixed_selectors:
        return _judge_selectors(
            domain, provider, provider.dkim_selectors, "provider", resolver=resolver, deadline=deadline
        )
    if not search:
        report = DkimResult()
        report.add("dkim.not_searched", Status.FAIL, {"domain": domain, "provider": provider.label})
        return report
    return _search(domain, provider, tuple(reported), resolver=resolver, deadline=deadline)


def _judge_selectors(
    domain: str,
    provider: Provider,
    chosen: tuple[str, ...],
    source: str,
    *,
    resolver: Resolver,
    deadline: float | None,
) -> DkimResult:
    checked = [_check_selector(domain, provider, selector, resolver=resolver, deadline=deadline) for selector in chosen]
    best = min(checked, key=lambda part: _PREFERENCE.index(part.status))
    report = DkimResult(
        selector=best.selector,
        record=best.record,
        cname_target=best.cname_target,
        key_type=best.key_type,
        key_bits=best.key_bits,
        selectors_checked=chosen,
        selector_source=source,
    )
    # Every selector asked for must work: Microsoft signs with selector1 or selector2 as it rotates its keys.
    for part in checked:
        report.findings.extend(part.findings)
    return report


def _search(
    domain: str, provider: Provider, reported: tuple[str, ...], *, resolver: Resolver, deadline: float | None
) -> DkimResult:
    """Find the key of a sender whose selector is not fixed, and judge the selectors found."""
    probe = _probe(domain, resolver=resolver, deadline=deadline)
    params = {"domain": domain, "provider": provider.label}
    if probe.findings:
        return probe
    if probe.domainkey_exists is False:
        probe.add("dkim.no_key", Status.FAIL, params)
        return probe
    # Reported selectors come from strangers' reports: only the first few that can make a name are asked.
    usable = (s for s in reported if _SELECTOR.match(s) and len(f"{s}._domainkey.{domain}") <= MAX_NAME_LENGTH)
    reported = tuple(usable)[:MAX_REPORTED]
    candidates = tuple(
        dict.fromkeys(selector.lower() for selector in (*reported, *provider.dkim_guesses, *COMMON_SELECTORS))
    )
    names = [f"{selector}._domainkey.{domain}" for selector in candidates]
    with ThreadPoolExecutor(max_workers=min(SEARCH_WORKERS, len(names))) as pool:
        lookups = list(pool.map(lambda name: resolver.lookup(name, "TXT", deadline=deadline), names))
    found = tuple(selector for selector, lookup in zip(candidates, lookups, strict=True) if _holds_key(lookup))
    if not found:
        report = DkimResult(domainkey_exists=True, selectors_tried=candidates)
        faults = [lookup for lookup in lookups if lookup.failed]
        if faults:
            # A selector the DNS did not answer about may be the one: the search is not over.
            report.add(faults[0].fault_code, Status.ERROR, faults[0].fault_params)
        else:
            report.add("dkim.selector_unknown", Status.UNKNOWN, {**params, "tried": ", ".join(candidates)})
        return report
    source = "reported" if found[0] in {selector.lower() for selector in reported} else "common"
    # Of the keys found, the one receivers reported first, else the first of the list: that is the one judged.
    report = _judge_selectors(domain, provider, found[:1], source, resolver=resolver, deadline=deadline)
    report.selectors_tried = candidates
    report.domainkey_exists = True
    report.add("dkim.selector_found", Status.INFO, {**params, "selector": found[0]})
    return report


def _holds_key(lookup: Lookup) -> bool:
    """Whether a selector's answer is a DKIM key record (a TXT with p=, at the name or at the end of its CNAMEs)."""
    if not lookup.answered:
        return False
    return any("p=" in text.replace(" ", "").lower() for text in lookup.records)


def _probe(domain: str, *, resolver: Resolver, deadline: float | None) -> DkimResult:
    lookup = resolver.lookup(f"_domainkey.{domain}", "TXT", deadline=deadline)
    report = DkimResult()
    if lookup.failed:
        report.add(lookup.fault_code, Status.ERROR, lookup.fault_params)
    else:
        # NXDOMAIN: no key at all under _domainkey; an empty non-terminal (NODATA): some selector exists.
        report.domainkey_exists = lookup.outcome is not Outcome.NXDOMAIN
    return report


def _check_selector(
    domain: str, provider: Provider, selector: str, *, resolver: Resolver, deadline: float | None
) -> DkimResult:
    name = f"{selector}._domainkey.{domain}"
    lookup = resolver.lookup(name, "TXT", deadline=deadline)
    report = DkimResult(selector=selector, cname_target=lookup.cnames[0] if lookup.cnames else None)
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
    report: DkimResult, name: str, domain: str, provider: Provider, hops: tuple[str, ...], cname: Record | None
) -> None:
    """Warn when the chain to the provider's key passes through names outside the domain: signing works,
    but it stops working when whoever runs those names changes them."""
    outside = [hop for hop in hops if hop != domain and not hop.endswith("." + domain)]
    if outside:
        params = {"name": name, "provider": provider.label, "via": ", ".join(outside)}
        report.add("dkim.third_party_cname", Status.WARN, params, cname)


def _wrong_target(report: DkimResult, name: str, provider: Provider, target: str, cname: Record | None) -> None:
    if cname is not None:
        expected = cname.value.rstrip(".")
    else:
        expected = ", ".join(f"*.{suffix}" for suffix in provider.dkim_cname_suffixes)
    params = {"name": name, "target": target, "provider": provider.label, "expected": expected}
    report.add("dkim.wrong_target", Status.FAIL, params, cname)


def _missing(report: DkimResult, name: str, provider: Provider, lookup: Lookup, cname: Record | None) -> None:
    params = {"name": name, "provider": provider.label}
    if lookup.cnames:
        report.add("dkim.missing_at_target", Status.FAIL, {**params, "target": lookup.cnames[-1]})
    elif cname is not None:
        report.add("dkim.missing", Status.FAIL, {**params, "target": cname.value.rstrip(".")}, cname)
    elif provider.expects_cname:
        # The target depends on the account: the record to publish shows its shape, as the console gives it.
        example = provider.dkim_cname_example
        shape = Record(name, "CNAME", example.format(selector=name.split(".", 1)[0]) + ".") if example else None
        report.add("dkim.missing_cname", Status.FAIL, params, shape)
    else:
        key = Record(name, "TXT", "v=DKIM1; k=rsa; p=<public key>")
        report.add("dkim.missing_key", Status.FAIL, params, key)


def _judge_key(report: DkimResult, name: str, provider: Provider, lookup: Lookup, cname: Record | None) -> None:
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
