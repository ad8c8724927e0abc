"""Mail Odoo relays as a contact: the domains an outgoing set-up treats apart. No ORM here.

When a contact (a customer, a vendor) writes on a document, Odoo relays the message to the document's followers
as the contact's own address, or as its notifications address when the outgoing server may not send as the
contact (ir.mail_server._find_mail_server). The engine judges the relayed mail for either way out
(maildns.relay_verdict, maildns.domain_relay_fails); this module only says which domains go out which way.
"""

from .addresses import ascii_or_none, raw_domain

# A domain no outgoing set-up can name (RFC 2606 reserves .invalid): its addresses go out the way every
# address of a domain the set-up does not name goes out.
UNNAMED_DOMAIN = "relay-preview.invalid"


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
