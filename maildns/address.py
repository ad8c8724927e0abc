"""Email addresses: can Odoo send as this address at all?"""

import functools
from importlib import resources

from .names import Target
from .report import AddressReport, DmarcReport, Status


@functools.cache
def free_mail_domains() -> frozenset[str]:
    """The shipped list of public free-mail domains."""
    text = resources.files(__package__).joinpath("free_mail_domains.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def is_free_mail(domain: str) -> bool:
    """Whether `domain`, or a domain it belongs to (mail.yahoo.com), is a public free-mail service."""
    labels = domain.lower().rstrip(".").split(".")
    return any(".".join(labels[index:]) in free_mail_domains() for index in range(len(labels) - 1))


def audit_address(target: Target, dmarc: DmarcReport) -> AddressReport:
    """Judge the address of `target` from its domain's DMARC policy and the free-mail list (no DNS)."""
    report = AddressReport(address=target.address, free_mail=is_free_mail(target.domain))
    # A domain whose DMARC the provider passes (the company's own, set up) loses nothing to its policy.
    policy = None if dmarc.provider_can_pass else (dmarc.effective_policy or dmarc.policy)
    if policy == "reject":
        report.add(
            "address.dmarc_reject",
            f"{target.domain} publishes DMARC p=reject: receivers reject mail that Odoo sends as {target.address}. "
            "Give this user an address on a domain you manage.",
            Status.FAIL,
        )
    elif policy == "quarantine":
        report.add(
            "address.dmarc_quarantine",
            f"{target.domain} publishes DMARC p=quarantine: mail that Odoo sends as {target.address} lands in spam. "
            "Give this user an address on a domain you manage.",
            Status.WARN,
        )
    if report.free_mail:
        report.add(
            "address.free_mail",
            f"{target.domain} is a public email service: Odoo cannot be authorized to send as {target.address}. "
            "Use an address on a domain you manage.",
            Status.WARN,
        )
    return report
