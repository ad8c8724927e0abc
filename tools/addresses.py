"""Email addresses and lists as Odoo stores them, read into what the engine takes. No ORM here."""

from ..maildns import MailDNSError, to_ascii


def raw_domain(email: str | bool | None) -> str | None:
    """The domain of an address as stored (after the last @, lower case, no closing ">"), or None."""
    if not email or "@" not in email:
        return None
    return email.rpartition("@")[2].strip().strip(">").lower() or None


def ascii_or_none(name: str | bool | None) -> str | None:
    """The A-label form of a domain taken from stored data, or None when it is no domain."""
    if not name:
        return None
    try:
        return to_ascii(name)
    except MailDNSError:
        return None


def email_domain(email: str | bool | None) -> str | None:
    """The domain of an address in the form check records are named by (A-labels), or None."""
    return ascii_or_none(raw_domain(email))


def split_list(text: str | bool | None) -> list[str]:
    """Items of a setting typed as a list: separated by commas, spaces or both."""
    return (text or "").replace(",", " ").split()
