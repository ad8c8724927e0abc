"""Email addresses: can Odoo send as this address at all?

The verdict on an address depends on how its mail goes out:

- sent as the address itself (`sent_as=True`, the default): the domain's DMARC
  policy applies to Odoo's mail. `address.dmarc_reject` (fail) and
  `address.dmarc_quarantine` (warn) when the sending provider cannot pass the
  domain's DMARC (not authorized in its SPF or DKIM, or a public email
  service); `address.dmarc_unknown` (unknown) when the domain's check could
  not tell, as that check says;
- rewritten (`sent_as=False`): Odoo sends as its notifications address with the
  author's name (ir.mail_server._find_mail_server() picked a server that may not
  send as the address). The address's DMARC policy no longer matters:
  `address.rewritten`, of status INFO, says so in place of the two above.

`address.free_mail` (warn) is added for public email services either way: Odoo
can never be authorized to send as them. Their DMARC findings say only what
receivers do (`address.free_mail_dmarc_reject`, `address.free_mail_dmarc_quarantine`):
the free-mail finding gives the fix, and "authorize Odoo" would contradict it.

audit_address() judges a checked target; address_verdict() gives the same
verdict from stored facts, without DNS, so that a caller holding a domain's
last check (its effective policy, whether the provider passes its DMARC) can
recompute the verdict of each user without a rule of its own. user_verdict()
and relay_verdict() answer the two questions a screen asks from those facts:
what stands against the mail Odoo sends as a user, and whether receivers
refuse or junk what Odoo relays as a contact. Both judge any text: an address
the engine cannot read gets `address.invalid` (unknown), never an exception.
"""

import functools
from dataclasses import dataclass
from importlib import resources

from .errors import InvalidTarget, MailDNSError
from .names import Target, parse_target
from .result import AddressResult, DmarcResult, Finding, Status

FREE_MAIL_FILE = "free_mail_domains.txt"


@functools.cache
def free_mail_domains() -> frozenset[str]:
    """The shipped list of public free-mail domains."""
    text = resources.files(__package__).joinpath(FREE_MAIL_FILE).read_text(encoding="utf-8")
    entries = (line.split("#", 1)[0].strip().lower().rstrip(".") for line in text.splitlines())
    return frozenset(entry for entry in entries if entry)


def is_free_mail(domain: str) -> bool:
    """Whether `domain`, or a domain it belongs to (mail.yahoo.com), is a public free-mail service."""
    labels = domain.lower().rstrip(".").split(".")
    return any(".".join(labels[index:]) in free_mail_domains() for index in range(len(labels) - 1))


def audit_address(target: Target, dmarc: DmarcResult, *, sent_as: bool = True) -> AddressResult:
    """Judge the address of `target` from its domain's DMARC report and the free-mail list (no DNS).

    sent_as: whether Odoo sends as the address itself (False: as its notifications address).
    """
    report = AddressResult(address=target.address, free_mail=is_free_mail(target.domain))
    report.findings = _verdict(
        target,
        effective_policy=dmarc.effective_policy,
        provider_can_pass=dmarc.provider_can_pass,
        free_mail=report.free_mail,
        sent_as=sent_as,
    )
    return report


def address_verdict(
    address: str,
    *,
    effective_policy: str | None,
    provider_can_pass: bool | None,
    free_mail: bool | None = None,
    sent_as: bool = True,
) -> list[Finding]:
    """The findings of mail sent from `address`, from stored facts about its domain (no DNS).

    effective_policy: the DMARC policy receivers apply to the domain ("none", "quarantine", "reject"
    or None), as DmarcResult.effective_policy gives it; provider_can_pass: whether the sending provider
    passes that DMARC (None: unknown, and said so); free_mail: None looks the domain up in the
    shipped list; sent_as: whether Odoo sends as the address itself (False: as its notifications address).
    Raises InvalidTarget when `address` is not an email address.
    """
    target = parse_target(address)
    if not target.is_address:
        raise InvalidTarget(f"{address!r} is not an email address")
    return _verdict(
        target,
        effective_policy=effective_policy,
        provider_can_pass=provider_can_pass,
        free_mail=is_free_mail(target.domain) if free_mail is None else free_mail,
        sent_as=sent_as,
    )


def _verdict(
    target: Target, *, effective_policy: str | None, provider_can_pass: bool | None, free_mail: bool, sent_as: bool
) -> list[Finding]:
    params = {"address": target.address, "domain": target.domain}
    findings = []
    # A public email service's DMARC is passed by its own servers only, as the domain's check says too.
    fails = provider_can_pass is False or free_mail
    if not sent_as:
        findings.append(Finding("address.rewritten", Status.INFO, params))
    # A domain whose DMARC the provider passes (the company's own, set up) loses nothing to its policy.
    elif fails and effective_policy == "reject":
        findings.append(Finding(_dmarc_code("reject", free_mail), Status.FAIL, params))
    elif fails and effective_policy == "quarantine":
        findings.append(Finding(_dmarc_code("quarantine", free_mail), Status.WARN, params))
    elif provider_can_pass is None and effective_policy in ("reject", "quarantine"):
        # What the domain's check could not judge, its users' warnings do not judge either: one verdict.
        findings.append(Finding("address.dmarc_unknown", Status.UNKNOWN, {**params, "policy": effective_policy}))
    if free_mail:
        findings.append(Finding("address.free_mail", Status.WARN, params))
    return findings


def _dmarc_code(policy: str, free_mail: bool) -> str:
    return f"address.free_mail_dmarc_{policy}" if free_mail else f"address.dmarc_{policy}"


def _invalid(text: str) -> Finding:
    return Finding("address.invalid", Status.UNKNOWN, {"text": text})


# The parts of a domain's check that also stand against mail sent as one of its addresses: the domain's own
# findings and its SPF and DKIM (its DMARC is judged by the address verdict itself).
SENDING_PARTS = ("domain", "spf", "dkim")
# The statuses of a finding that stands against the mail (information and a pass do not).
_AGAINST = frozenset({Status.FAIL, Status.ERROR, Status.UNKNOWN, Status.WARN})


@dataclass(frozen=True)
class UserVerdict:
    """What stands against the mail Odoo sends as a user: `findings`, the verdict on the address, and which
    findings of its domain's check count too (concerns()): those of the domain, its SPF and its DKIM when the
    mail goes out as the address on a domain that is not a public service, none otherwise (Odoo's
    notifications address carries it, or the domain's records are not the company's to fix)."""

    findings: tuple[Finding, ...]
    domain_parts: tuple[str, ...] = ()
    address: str = ""

    def said(self) -> tuple[Finding, ...]:
        """What to tell the user of the address: its findings, or, when none stands against it, that receivers
        accept the mail Odoo sends as it (address.accepted)."""
        if self.findings or not self.address:
            return self.findings
        return (Finding("address.accepted", Status.PASS, {"address": self.address}),)

    def concerns(self, part: str, status: str) -> bool:
        """Whether a finding of the domain's check, in `part` ("domain", "spf", "dkim", "dmarc") with `status`,
        stands against the user's mail too."""
        return part in self.domain_parts and Status(status) in _AGAINST


def user_verdict(
    address: str, *, effective_policy: str | None, provider_can_pass: bool | None, sent_as: bool = True
) -> UserVerdict:
    """The verdict on mail Odoo sends as a user's `address`, from stored facts about its domain (no DNS); the
    arguments are address_verdict()'s. An address the engine cannot read gets `address.invalid`."""
    try:
        findings = address_verdict(
            address, effective_policy=effective_policy, provider_can_pass=provider_can_pass, sent_as=sent_as
        )
    except MailDNSError:
        return UserVerdict((_invalid(address),))
    free_mail = any(finding.code == "address.free_mail" for finding in findings)
    return UserVerdict(tuple(findings), SENDING_PARTS if sent_as and not free_mail else (), address)


# What receivers do to mail relayed as an address, by the address verdict's finding: the relayed-mail sentence
# says only that, the fixes that fit a contact (not "give this user another address") being given apart.
_RELAY_CODES = {
    "address.dmarc_reject": "relay.dmarc_reject",
    "address.free_mail_dmarc_reject": "relay.dmarc_reject",
    "address.dmarc_quarantine": "relay.dmarc_quarantine",
    "address.free_mail_dmarc_quarantine": "relay.dmarc_quarantine",
}
# A public email service is no news for a contact: whether its mail gets through is the relay verdict.
_NOT_FOR_RELAY = frozenset({"address.free_mail"})


@dataclass(frozen=True)
class RelayVerdict:
    """What becomes of the mail Odoo relays as a contact's address to a document's followers: `failures`,
    the findings under which receivers refuse (relay.dmarc_reject) or junk (relay.dmarc_quarantine) it;
    `notes`, the other findings (address.rewritten when Odoo's notifications address carries it,
    address.dmarc_unknown, address.invalid)."""

    failures: tuple[Finding, ...]
    notes: tuple[Finding, ...] = ()

    @property
    def fails(self) -> bool:
        """Whether receivers refuse or junk the relayed mail."""
        return bool(self.failures)


def relay_verdict(
    address: str,
    *,
    effective_policy: str | None,
    provider_can_pass: bool | None,
    free_mail: bool | None = None,
    sent_as: bool = True,
) -> RelayVerdict:
    """The verdict on mail Odoo relays as `address`, sent as that address or (sent_as=False) as Odoo's
    notifications address, from stored facts about its domain (no DNS); the arguments are address_verdict()'s.
    An address the engine cannot read gets `address.invalid`, which stops nothing."""
    try:
        findings = address_verdict(
            address,
            effective_policy=effective_policy,
            provider_can_pass=provider_can_pass,
            free_mail=free_mail,
            sent_as=sent_as,
        )
    except MailDNSError:
        return RelayVerdict((), (_invalid(address),))
    failures = tuple(
        Finding(_RELAY_CODES[finding.code], finding.status, finding.params)
        for finding in findings
        if finding.code in _RELAY_CODES
    )
    notes = tuple(
        finding for finding in findings if finding.code not in _RELAY_CODES and finding.code not in _NOT_FOR_RELAY
    )
    return RelayVerdict(failures, notes)


def domain_relay_fails(
    domain: str, *, effective_policy: str | None, provider_can_pass: bool | None, sent_as: bool
) -> bool:
    """Whether receivers refuse or junk the mail Odoo relays from an address of `domain` (relay_verdict()).

    The verdict depends on the domain's stored facts, not on the local part: postmaster@, which every domain
    has (RFC 5321 section 4.5.1), stands for all of its addresses. A `domain` that is not one fails nothing.
    """
    return relay_verdict(
        f"postmaster@{domain}", effective_policy=effective_policy, provider_can_pass=provider_can_pass, sent_as=sent_as
    ).fails


def free_mail_reason(domain: str, part: str, *, effective_policy: str | None, codes) -> Finding:
    """What the SPF, DKIM or DMARC part (`part`) of the check of a public email service says, given the codes
    of its findings: its records are not the administrator's to change (domain.free_mail_part), and its DMARC,
    when it stops the mail Odoo sends as its addresses, is enforced (domain.free_mail_dmarc)."""
    if part == "dmarc" and "dmarc.provider_fails" in codes and effective_policy in ("reject", "quarantine"):
        status = Status.FAIL if effective_policy == "reject" else Status.WARN
        return Finding("domain.free_mail_dmarc", status, {"domain": domain, "policy": effective_policy})
    return Finding("domain.free_mail_part", Status.INFO, {"domain": domain})
