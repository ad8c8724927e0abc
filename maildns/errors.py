"""The exceptions maildns raises: only for input a caller can correct.

DNS faults never raise; they come back as data (see dns.Outcome).
"""


class MailDNSError(ValueError):
    """Base class of every error maildns raises on bad input."""


class InvalidTarget(MailDNSError):
    """A domain or an email address that cannot be checked as given."""


class InvalidProvider(MailDNSError):
    """A provider name or sender address list that is not understood."""


class InvalidNameserver(MailDNSError):
    """A nameserver that is not "host" or "host:port"."""
