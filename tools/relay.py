"""Mail Odoo relays as a contact: which findings of the engine's address verdict stop it, and the domains an
outgoing set-up treats apart. No ORM here.

When a contact (a customer, a vendor) writes on a document, Odoo relays the message to the document's followers
as the contact's own address, or as its notifications address when the outgoing server may not send as the
contact (ir.mail_server._find_mail_server). The engine judges the address for either way out
(maildns.address.address_verdict, sent_as=); this module only says which of its findings mean that receivers
refuse or junk the relayed mail.
"""

from ..maildns import MailDNSError, address_verdict
from .addresses import ascii_or_none, raw_domain

# Findings under which receivers refuse (DMARC reject) or junk (DMARC quarantine) what Odoo relays as the
# address. A free-mail domain or a rewritten From does not, by itself, stop relayed mail.
RELAY_FAILURE_CODES = frozenset({"address.dmarc_reject", "address.dmarc_quarantine"})
REWRITTEN_CODE = "address.rewritten"
# A domain no outgoing set-up can name (RFC 2606 reserves .invalid): its addresses go out the way every
# address of a domain the set-up does not name goes out.
UNNAMED_DOMAIN = "relay-preview.invalid"


def relay_failures(problems) -> list:
    """The findings of an address verdict that make receivers refuse or junk the relayed mail, in order."""
    return [problem for problem in problems if problem.code in RELAY_FAILURE_CODES]


def domain_relay_fails(
    domain: str, *, effective_policy: str | None, provider_can_pass: bool | None, sent_as: bool
) -> bool:
    """Whether the engine's verdict on mail relayed from an address of `domain`, sent as that address or
    (sent_as=False) as the notifications address, holds a finding that stops it.

    The verdict depends on the domain's stored facts, not on the local part: postmaster@, which every domain
    has (RFC 5321 section 4.5.1), stands for all of its addresses.
    """
    try:
        problems = address_verdict(
            f"postmaster@{domain}",
            effective_policy=effective_policy,
            provider_can_pass=provider_can_pass,
            sent_as=sent_as,
        )
    except MailDNSError:
        return False
    return bool(relay_failures(problems))


def named_domains(from_filters, notifications: str | None = None) -> set[str]:
    """The domains (A-labels) that outgoing servers' from_filters name, directly or by one of their addresses,
    and the notifications address's domain: only their addresses may go out another way than the others."""
    names = set()
    for from_filter in from_filters:
        for entry in (from_filter or "").split(","):
            entry = entry.strip()
            names.add(ascii_or_none(raw_domain(entry) if "@" in entry else entry.lower()))
    names.add(ascii_or_none(raw_domain(notifications)))
    return names - {None}


def from_filter_value(domains) -> str:
    """A from_filter naming these domains, each once, in a stable order."""
    return ",".join(sorted({domain.lower() for domain in domains if domain}))
