from odoo import api, models
from odoo.tools import config, email_normalize

from ..tools.relay import UNNAMED_DOMAIN, named_domains
from ..tools.sending import SendingChange, SendingPreview

# What the sender's detection reads of an outgoing server (mail.domain.check._detect_sender): a change of any of
# them may change who sends, so every verdict made before it is checked again.
SENDER_FIELDS = {"smtp_host", "sequence", "active", "owner_user_id"}


class IrMailServer(models.Model):
    """How Odoo 19 really sends: which server, which From, which envelope sender, for an author, a company and
    (previewed) an outgoing set-up not yet saved; and the verdicts made before a change of the servers are marked.
    The warnings about users and contacts, the relay fixes and Email Marketing's panel read the way out here."""

    _inherit = "ir.mail_server"

    @api.model_create_multi
    def create(self, vals_list):
        servers = super().create(vals_list)
        self.env["mail.domain.check"]._sending_settings_changed("mail_server")
        return servers

    def write(self, vals):
        result = super().write(vals)
        if SENDER_FIELDS & set(vals):
            self.env["mail.domain.check"]._sending_settings_changed("mail_server")
        return result

    def unlink(self):
        result = super().unlink()
        self.env["mail.domain.check"]._sending_settings_changed("mail_server")
        return result

    # How Odoo sends

    @api.model
    def _mail_domain_health_configuration_host(self) -> str | None:
        """The SMTP server of the Odoo configuration file (smtp_server), through which Odoo sends when no
        outgoing server record is chosen."""
        return (config.get("smtp_server") or "").strip() or None

    @api.model
    def _mail_domain_health_preview(self, author: str, company, change: SendingChange | None = None) -> SendingPreview:
        """What Odoo sends for a message authored by `author` for `company`: which server, which From, which
        envelope sender. Mirrors ir.mail_server._find_mail_server(), given the company's notifications address
        as mail.mail gives it, and the envelope rule of _prepare_email_message__(): the bounce address when the
        server's from_filter allows it, else the From. Shared by the warnings about users and contacts.

        `change` previews the same with a from_filter (and a default From) not yet saved: the servers are given
        to Odoo's own selection as unsaved copies carrying the new values.
        """
        return self._mail_domain_health_previews([author], company, change)[0]

    @api.model
    def _mail_domain_health_previews(
        self, authors, company, change: SendingChange | None = None
    ) -> list[SendingPreview]:
        """_mail_domain_health_preview() of each of `authors`, in order, the outgoing servers read once."""
        servers, candidates = self._mail_domain_health_candidates(company, change)
        return [
            self._mail_domain_health_preview_through(servers, candidates, author, company, change) for author in authors
        ]

    @api.model
    def _mail_domain_health_candidates(self, company, change: SendingChange | None = None) -> tuple:
        """The model Odoo chooses a server with for `company`'s mail (in the context mail.mail gives it: the
        company, its notifications address) and the servers it chooses among, in order, as unsaved copies where
        `change` gives them another from_filter."""
        servers = self.env["ir.mail_server"].sudo().with_company(company)
        notifications = self._mail_domain_health_notifications_address(company, change)
        if notifications:
            servers = servers.with_context(domain_notifications_email=notifications)
        candidates = servers.search(servers._find_mail_server_allowed_domain(), order="sequence")
        if change is not None and change.server_id is not None:
            candidates = servers.concat(
                *(
                    server.new({"from_filter": change.from_filter}, origin=server)
                    if server.id == change.server_id
                    else server
                    for server in candidates
                )
            )
        return servers, candidates

    @api.model
    def _mail_domain_health_preview_through(self, servers, candidates, author: str, company, change) -> SendingPreview:
        server, email_from = servers._find_mail_server(author, mail_servers=candidates)
        # No outgoing server record: Odoo sends through the configuration file's SMTP server.
        server = server or servers.browse()
        if server:
            from_filter = server.from_filter
        elif change is not None and change.server_id is None:
            from_filter = change.from_filter
            email_from = self._mail_domain_health_configuration_server_from(servers, author, from_filter)
        else:
            from_filter = servers._get_default_from_filter()
        bounce = company.sudo().bounce_email or False
        envelope = bounce if bounce and servers._match_from_filter(bounce, from_filter) else email_from
        return SendingPreview(
            author=author,
            server_id=server._origin.id or None,
            server_name=server._origin.display_name or None,
            email_from=email_from or author,
            envelope_from=envelope or email_from or author,
        )

    @api.model
    def _mail_domain_health_configuration_server_name(self) -> str:
        """How to name the server Odoo sends through when no outgoing server record is chosen: the configuration
        file's smtp_server, which is this machine's mail server when the file names none (Odoo's default)."""
        host = self._mail_domain_health_configuration_host() or "localhost"
        if host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost"):
            return self.env._("the mail server of this machine (%(host)s)", host=host)
        return self.env._("%(host)s, the SMTP server of the Odoo configuration file", host=host)

    @api.model
    def _mail_domain_health_notifications_address(self, company, change: SendingChange | None = None) -> str | bool:
        """The address Odoo sends as for `company` when a server may not send as the author (its alias domain's
        default From), as it is or as `change` would make it."""
        alias_domain = company.sudo().alias_domain_id
        if change and change.default_from and alias_domain and alias_domain.id == change.alias_domain_id:
            # Odoo's own reading of a default From (a local part on the alias domain, or a full address).
            return alias_domain.new({"default_from": change.default_from}, origin=alias_domain).default_from_email
        return company.sudo().default_from_email or False

    @api.model
    def _mail_domain_health_configuration_server_from(self, servers, author: str, from_filter: str) -> str:
        """The From Odoo sends as through its configuration file's server with a from_filter not yet saved:
        the last step of ir.mail_server._find_mail_server(), which reads the saved one."""
        notifications = email_normalize(
            servers.env.context.get("domain_notifications_email") or servers._get_default_from_address()
        )
        if servers._match_from_filter(author, from_filter):
            return author
        if notifications and servers._match_from_filter(notifications, from_filter):
            return notifications
        return notifications or author

    @api.model
    def _mail_domain_health_ways_out(self, company, change: SendingChange | None = None) -> tuple[SendingPreview, dict]:
        """How Odoo sends for an address of a domain no from_filter names (the same for all such domains), and,
        for each domain that is named (by a from_filter, or as the notifications address's domain), how Odoo
        sends for one of its addresses: (preview, {name: preview})."""
        servers, candidates = self._mail_domain_health_candidates(company, change)
        from_filters = [*candidates.mapped("from_filter")]
        from_filters.append(
            change.from_filter if change and change.server_id is None else servers._get_default_from_filter()
        )
        names = sorted(named_domains(from_filters, self._mail_domain_health_notifications_address(company, change)))
        authors = [f"postmaster@{name}" for name in [UNNAMED_DOMAIN, *names]]
        unnamed, *previews = (
            self._mail_domain_health_preview_through(servers, candidates, author, company, change) for author in authors
        )
        return unnamed, dict(zip(names, previews, strict=True))

    @api.model
    def _mail_domain_health_relay_previews(
        self, names, company, change: SendingChange | None = None
    ) -> dict[str, SendingPreview]:
        """How Odoo relays mail authored by an address of each of these domains: {name: preview}."""
        unnamed, named = self._mail_domain_health_ways_out(company, change)
        return {name: named.get(name, unnamed) for name in names}
