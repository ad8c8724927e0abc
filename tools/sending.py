"""How Odoo really sends a message from an author: which server, which From, which envelope sender."""

from dataclasses import dataclass

from .addresses import email_domain


@dataclass(frozen=True)
class SendingPreview:
    """What ir.mail_server would do for one author address (see ir.mail_server._mail_domain_health_preview)."""

    author: str
    server_id: int | None
    server_name: str | None
    email_from: str
    envelope_from: str

    @property
    def rewritten(self) -> bool:
        """Whether Odoo sends as another address (its notifications address) than the author's."""
        return bool(self.email_from) and email_domain(self.email_from) != email_domain(self.author)


@dataclass(frozen=True)
class SendingChange:
    """A change of Odoo's outgoing set-up, previewed before it is made: the from_filter of one outgoing server
    (server_id None: the server of Odoo's configuration file, whose from_filter is the mail.default.from_filter
    system parameter) and, where it has none, the default From of an alias domain."""

    server_id: int | None
    from_filter: str
    alias_domain_id: int | None = None
    default_from: str | None = None
