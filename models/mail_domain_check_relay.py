from odoo import api, fields, models
from odoo.tools import SQL

from ..maildns import domain_relay_fails
from ..tools.sending import SendingChange


class MailDomainCheck(models.Model):
    """Mail Odoo relays as a contact of a domain: whether receivers refuse or junk it, and the fixes."""

    _inherit = "mail.domain.check"

    # What the engine says of mail Odoo relays as an address of this domain, either way Odoo may send it: which
    # way it goes is read from the outgoing servers when the flags are used, so a change there shows at once.
    relay_fails_sent_as = fields.Boolean(
        string="Relayed as the address: refused or junked",
        compute="_compute_relay_fails",
        store=True,
        help="Mail Odoo relays as an address of this domain, sent as that address, is refused or marked as spam "
        "by receivers under the domain's DMARC policy (as of the last check).",
    )
    relay_fails_rewritten = fields.Boolean(
        string="Relayed as the notifications address: refused or junked",
        compute="_compute_relay_fails",
        store=True,
        help="Mail Odoo relays as an address of this domain, sent as Odoo's notifications address with the "
        "author's name, is refused or marked as spam by receivers (as of the last check).",
    )
    relay_contact_count = fields.Integer(
        string="Contacts affected",
        compute="_compute_relay_contact_count",
        help="Contacts on this domain whose messages Odoo relays to the followers of a document in a way receivers "
        "refuse or junk, with the outgoing mail servers as they are now.",
    )

    @api.depends("name", "dmarc_effective_policy", "dmarc_provider_can_pass")
    def _compute_relay_fails(self):
        for check in self:
            facts = {
                "effective_policy": check.dmarc_effective_policy or None,
                "provider_can_pass": check._provider_can_pass(),
            }
            check.relay_fails_sent_as = domain_relay_fails(check.name, sent_as=True, **facts)
            check.relay_fails_rewritten = domain_relay_fails(check.name, sent_as=False, **facts)

    @api.depends_context("uid", "company")
    def _compute_relay_contact_count(self):
        counts = {}
        if self.env["res.partner"]._mail_domain_health_contacts_checked():
            failing = set(self._relay_failing_names(self.env.company)) & set(self.mapped("name"))
            counts = self.env["res.partner"]._mail_domain_health_count_by_domain(failing)
        for check in self:
            check.relay_contact_count = counts.get(check.name, 0)

    @api.model
    def _relay_failing_names(self, company, change: SendingChange | None = None) -> list[str]:
        """The checked domains (A-labels) whose mail, relayed by Odoo as one of their addresses for `company`,
        receivers refuse or junk, with the outgoing set-up as it is (or as `change` would make it).

        Each check stores the engine's verdict for both ways out; the way out is read here from the servers:
        the same for every domain no from_filter names, so one preview decides for all of them, and the few
        named domains get a preview each. The outgoing servers and the checks are read once: the contacts'
        filter calls this on every search.
        """
        unnamed, named = self.env["ir.mail_server"]._mail_domain_health_ways_out(company, change)
        rewritten = sorted(name for name, preview in named.items() if preview.rewritten)
        sent_as = sorted(name for name, preview in named.items() if not preview.rewritten)
        self.flush_model(["name", "relay_fails_sent_as", "relay_fails_rewritten"])
        self.env.cr.execute(
            SQL(
                """
                SELECT name FROM mail_domain_check
                 WHERE CASE WHEN name = ANY(%(rewritten)s) THEN relay_fails_rewritten
                            WHEN name = ANY(%(sent_as)s) THEN relay_fails_sent_as
                            ELSE %(unnamed)s END
              ORDER BY name
                """,
                rewritten=rewritten,
                sent_as=sent_as,
                unnamed=SQL.identifier("relay_fails_rewritten" if unnamed.rewritten else "relay_fails_sent_as"),
            )
        )
        return [name for (name,) in self.env.cr.fetchall()]

    def action_open_relay_contacts(self):
        """The contacts on this domain whose relayed mail is refused or junked (the Contacts affected button)."""
        self.ensure_one()
        self._check_mail_domain_health_access()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mail_domain_health.res_partner_action_mail_domain_health_relay"
        )
        action["domain"] = [("mail_domain_health_email_domain", "=", self.name)]
        action["display_name"] = self.env._("Contacts affected on %(domain)s", domain=self.name)
        return action

    def action_open_relay_fix(self):
        """The fixes for the relayed mail of these domains' contacts, applied only once confirmed."""
        self._check_mail_domain_health_access()
        return self.env["mail.domain.relay.fix"]._open_action({"default_check_ids": self.ids})
