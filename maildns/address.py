"""Email addresses: can Odoo send as this address at all?"""

import functools
from importlib import resources

from .names import Target
from .report import AddressReport, DmarcReport, Status

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


def audit_address(target: Target, dmarc: DmarcReport) -> AddressReport:
    """Judge the address of `target` from its domain's DMARC policy and the free-mail list (no DNS)."""
    report = AddressReport(address=target.address, free_mail=is_free_mail(target.domain))
    # A domain whose DMARC the provider passes (the company's own, set up) loses nothing to its policy.
    policy = None if dmarc.provider_can_pass else dmarc.effective_policy
    params = {"address": target.address, "domain": target.domain}
    if policy == "reject":
        report.add("address.dmarc_reject", Status.FAIL, params)
    elif policy == "quarantine":
        report.add("address.dmarc_quarantine", Status.WARN, params)
    if report.free_mail:
        report.add("address.free_mail", Status.WARN, params)
    return report
