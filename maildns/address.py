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
can never be authorized to send as them.

audit_address() judges a checked target; address_verdict() gives the same
verdict from stored facts, without DNS, so that a caller holding a domain's
last check (its effective policy, whether the provider passes its DMARC) can
recompute the verdict of each user without a rule of its own.
"""

import functools
from importlib import resources

from .errors import InvalidTarget
from .names import Target, parse_target
from .report import AddressReport, DmarcReport, Problem, Status

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


def audit_address(target: Target, dmarc: DmarcReport, *, sent_as: bool = True) -> AddressReport:
    """Judge the address of `target` from its domain's DMARC report and the free-mail list (no DNS).

    sent_as: whether Odoo sends as the address itself (False: as its notifications address).
    """
    report = AddressReport(address=target.address, free_mail=is_free_mail(target.domain))
    report.problems = _verdict(
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
) -> list[Problem]:
    """The problems of mail sent from `address`, from stored facts about its domain (no DNS).

    effective_policy: the DMARC policy receivers apply to the domain ("none", "quarantine", "reject"
    or None), as DmarcReport.effective_policy gives it; provider_can_pass: whether the sending provider
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
) -> list[Problem]:
    params = {"address": target.address, "domain": target.domain}
    problems = []
    # A public email service's DMARC is passed by its own servers only, as the domain's check says too.
    fails = provider_can_pass is False or free_mail
    if not sent_as:
        problems.append(Problem("address.rewritten", Status.INFO, params))
    # A domain whose DMARC the provider passes (the company's own, set up) loses nothing to its policy.
    elif fails and effective_policy == "reject":
        problems.append(Problem("address.dmarc_reject", Status.FAIL, params))
    elif fails and effective_policy == "quarantine":
        problems.append(Problem("address.dmarc_quarantine", Status.WARN, params))
    elif provider_can_pass is None and effective_policy in ("reject", "quarantine"):
        # What the domain's check could not judge, its users' warnings do not judge either: one verdict.
        problems.append(Problem("address.dmarc_unknown", Status.UNKNOWN, {**params, "policy": effective_policy}))
    if free_mail:
        problems.append(Problem("address.free_mail", Status.WARN, params))
    return problems
