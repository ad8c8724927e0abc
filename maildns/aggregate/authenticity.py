"""Who really sent a report message: its DKIM signature, aligned with its From domain as DMARC aligns them.

The alias for reports takes mail from anyone, and anyone can write "From: noreply-dmarc-support@google.com".
A report is believed only when a valid DKIM signature of the message has a signing domain (d=) whose
Organizational Domain is the From domain's (relaxed alignment, RFC 7489 3.1.1): the signer vouches for the
From address, and the signer's domain becomes the reporter's identity for deduplication.

The signature's key is asked through the engine's Resolver (dkimpy's `dnsfunc`), so the configured DNS
servers and deadlines apply; the caller runs this outside any database transaction.
"""

import time
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import getaddresses

import dkim

from ..dmarc import organization_of
from ..dns import Resolver
from ..names import to_ascii

# Signatures tried on one message: reporters sign once, a forwarder may add one; more is someone's game.
MAX_SIGNATURES = 5
# The smallest RSA key believed (RFC 8301).
MIN_KEY_BITS = 1024
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class ReportAuthenticity:
    """Whether a report message is the reporter's own.

    code: "verified" (an aligned valid signature), "unsigned", "bad_signature" (no signature verifies),
    "unaligned" (valid signatures, none of the From domain's organization), "no_from" (no single From
    address), "dns_error" (a key or the alignment could not be read: try again later).
    signer: the aligned signing domain when verified; from_domain: the From address's domain.
    """

    code: str
    signer: str | None = None
    from_domain: str | None = None
    detail: str = ""

    @property
    def verified(self) -> bool:
        return self.code == "verified"


class _DnsFailure(Exception):
    """The DNS did not answer about a key: the message is neither verified nor refuted."""


def verify_report_message(
    message: bytes, *, resolver: Resolver, timeout: float = DEFAULT_TIMEOUT
) -> ReportAuthenticity:
    """Verify the DKIM signatures of a report message (raw RFC 5322 bytes) and their alignment with its From."""
    deadline = time.monotonic() + timeout
    from_domain = _from_domain(message)
    if from_domain is None:
        return ReportAuthenticity("no_from", detail="the message has no single From address with a domain")
    try:
        checker = dkim.DKIM(message, minkey=MIN_KEY_BITS, timeout=timeout)
        count = sum(1 for name, _value in checker.headers if name.lower() == b"dkim-signature")
    except Exception as error:  # dkimpy raises many kinds on malformed input: the message is just not verified
        return ReportAuthenticity("bad_signature", from_domain=from_domain, detail=f"{type(error).__name__}: {error}")
    if not count:
        return ReportAuthenticity("unsigned", from_domain=from_domain, detail="the message has no DKIM signature")
    dnsfunc = _txt_through(resolver, deadline)
    valid: list[str] = []
    failures: list[str] = []
    for index in range(min(count, MAX_SIGNATURES)):
        try:
            passed = checker.verify(idx=index, dnsfunc=dnsfunc)
        except _DnsFailure as error:
            return ReportAuthenticity("dns_error", from_domain=from_domain, detail=str(error))
        except Exception as error:  # a malformed signature is one that does not verify
            failures.append(f"{type(error).__name__}: {error}")
            continue
        signer = _signer(checker)
        if not passed or signer is None:
            failures.append(f"the signature of {signer or 'an unnamed domain'} does not verify")
            continue
        valid.append(signer)
    for signer in valid:
        aligned = _aligned(signer, from_domain, resolver=resolver, deadline=deadline)
        if aligned is None:
            return ReportAuthenticity("dns_error", from_domain=from_domain, detail=f"no organization for {signer}")
        if aligned:
            return ReportAuthenticity("verified", signer=signer, from_domain=from_domain)
    if valid:
        detail = f"signed by {', '.join(valid)}, not by the organization of {from_domain}"
        return ReportAuthenticity("unaligned", from_domain=from_domain, detail=detail)
    return ReportAuthenticity("bad_signature", from_domain=from_domain, detail="; ".join(failures))


def _from_domain(message: bytes) -> str | None:
    try:
        headers = BytesHeaderParser(policy=default_policy).parsebytes(message)
        values = headers.get_all("From") or []
        addresses = getaddresses([str(value) for value in values])
    except Exception:  # a From header the parser cannot read is no From address
        return None
    if len(addresses) != 1 or "@" not in addresses[0][1]:
        return None
    try:
        return to_ascii(addresses[0][1].rpartition("@")[2])
    except ValueError:
        return None


def _signer(checker: "dkim.DKIM") -> str | None:
    try:
        return to_ascii(checker.domain.decode("ascii"))
    except (AttributeError, UnicodeDecodeError, ValueError):
        return None


def _aligned(signer: str, from_domain: str, *, resolver: Resolver, deadline: float) -> bool | None:
    """Relaxed alignment: one Organizational Domain. None when the DNS cannot tell (never taken as aligned).

    A name's Organizational Domain is the name or one of its ancestors: names without a common ancestor of
    two labels are of two organizations, and a name and its ancestor are of one (the ancestor signs for its
    subdomains, or the subdomain for itself), both without asking. Only siblings need the DNS tree walk.
    """
    if _is_within(signer, from_domain) or _is_within(from_domain, signer):
        return True
    common = _common_ancestor(signer, from_domain)
    if common.count(".") < 1:
        return False
    organizations = {organization_of(name, resolver=resolver, deadline=deadline) for name in (signer, from_domain)}
    if None in organizations:
        return None
    return len(organizations) == 1


def _is_within(name: str, ancestor: str) -> bool:
    return name == ancestor or name.endswith("." + ancestor)


def _common_ancestor(first: str, second: str) -> str:
    shared = []
    for left, right in zip(reversed(first.split(".")), reversed(second.split(".")), strict=False):
        if left != right:
            break
        shared.append(left)
    return ".".join(reversed(shared))


def _txt_through(resolver: Resolver, deadline: float):
    """dkimpy's `dnsfunc`: the first TXT record at a name, as bytes, or None when there is none."""

    def txt(name, timeout=None):
        text = name.decode("ascii", errors="replace") if isinstance(name, bytes) else str(name)
        lookup = resolver.lookup(text.rstrip("."), "TXT", deadline=deadline)
        if lookup.failed:
            raise _DnsFailure(f"{lookup.name}: {lookup.detail or lookup.outcome}")
        if not lookup.records:
            return None
        return lookup.records[0].encode("utf-8", errors="surrogateescape")

    return txt
