from markupsafe import Markup

from odoo import api, fields, models

from odoo.addons.mail_domain_health.maildns import provider_for_smtp_host
from odoo.addons.mail_domain_health.tools.findings import render


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mail_domain_health_bulk_server_html = fields.Html(
        string="Bulk-sender rules of the dedicated server",
        compute="_compute_mail_domain_health_bulk_server_html",
        sanitize=False,
    )

    @api.depends("mass_mailing_outgoing_mail_server", "mass_mailing_mail_server_id")
    def _compute_mail_domain_health_bulk_server_html(self):
        for settings in self:
            settings.mail_domain_health_bulk_server_html = settings._mail_domain_health_bulk_server_state()

    def _mail_domain_health_bulk_server_state(self) -> Markup | bool:
        """The dedicated server's path, from what Odoo stores (no DNS on opening Settings): who runs it, TLS,
        and the reverse DNS of its addresses as the last mailing checked through it found it."""
        server = self.mass_mailing_mail_server_id.sudo()
        if not self.mass_mailing_outgoing_mail_server or not server:
            return False
        env = self.env
        known = provider_for_smtp_host(server.smtp_host or "")
        lines = [
            env._("Run by %(provider)s.", provider=known.label)
            if known
            else env._("A server of your own (%(host)s).", host=server.smtp_host or "")
        ]
        if server.smtp_encryption == "none":
            lines.append(env._("No TLS: set its connection security to TLS (STARTTLS) or SSL/TLS."))
        else:
            lines.append(env._("TLS: on."))
        mailing = env["mailing.mailing"].search(
            [
                ("mail_domain_health_bulk_key", "like", f"|{server.id}|"),
                ("mail_domain_health_bulk_result", "!=", False),
            ],
            order="mail_domain_health_bulk_checked_at desc",
            limit=1,
        )
        verdict = (mailing.mail_domain_health_bulk_result or {}).get("verdict")
        if verdict:
            reverse = next(rule for rule in verdict["rules"] if rule["rule"] == "reverse_dns")
            lines.append(
                env._(
                    "Reverse DNS, as checked for the mailing %(mailing)s: %(finding)s",
                    mailing=mailing.subject or mailing.display_name,
                    finding=render(
                        env, reverse["finding"]["code"], reverse["finding"]["params"], reverse["finding"]["message"]
                    ),
                )
            )
        else:
            lines.append(env._("No mailing through it has been checked yet: its reverse DNS is not known."))
        return Markup("").join(Markup('<div class="text-muted">%s</div>') % line for line in lines)
