from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..maildns.address import address_verdict
from ..maildns.errors import MailDNSError
from ..tools.addresses import ascii_or_none, email_domain
from ..tools.check_settings import PREFIX, is_on
from ..tools.findings import render
from ..tools.relay import REWRITTEN_CODE, relay_failures, stored_forms
from ..tools.sql import email_domain_sql


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Contacts are found by the domain of their address (the relay filter, the counts, the fixes' previews):
    # an index on that expression keeps those from reading every contact.
    _mail_domain_health_email_domain_idx = models.Index(f"({email_domain_sql('email').code})")

    mail_domain_health_email_domain = fields.Char(
        string="Email domain",
        compute="_compute_mail_domain_health_email_domain",
        search="_search_mail_domain_health_email_domain",
        groups="base.group_system",
        help="The domain of the contact's email address, as its domain check is named.",
    )
    mail_domain_health_relay_fails = fields.Boolean(
        string="Relayed mail refused or junked",
        compute="_compute_mail_domain_health_relay",
        search="_search_mail_domain_health_relay_fails",
        groups="base.group_system",
        help="When this contact writes on a document, Odoo relays the message to the document's followers as the "
        "contact's own address, and receivers refuse it or mark it as spam under the DMARC policy of the "
        "contact's domain.",
    )
    mail_domain_health_relay_warning = fields.Text(
        string="Relayed mail warning",
        compute="_compute_mail_domain_health_relay",
        groups="base.group_system",
    )
    mail_domain_health_relay_info = fields.Text(
        string="Relayed mail information",
        compute="_compute_mail_domain_health_relay",
        groups="base.group_system",
    )

    @api.depends("email")
    def _compute_mail_domain_health_email_domain(self):
        for partner in self:
            partner.mail_domain_health_email_domain = email_domain(partner.email)

    def _search_mail_domain_health_email_domain(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        # A field searched through its method is not checked by the ORM: only its readers may search on it.
        self._check_field_access(self._fields["mail_domain_health_email_domain"], "read")
        names = {ascii_or_none(name) for name in value if isinstance(name, str)} - {None}
        return self._mail_domain_health_on_domains(names, negate=operator == "not in")

    @api.depends("email")
    @api.depends_context("uid", "lang", "company")
    def _compute_mail_domain_health_relay(self):
        self.mail_domain_health_relay_fails = False
        self.mail_domain_health_relay_warning = False
        self.mail_domain_health_relay_info = False
        if not self._mail_domain_health_contacts_checked():
            return
        # The verdict is about a domain of the public DNS, for mail going out for the reader's company: the check
        # is read as the nightly run wrote it, whichever companies' users share the domain.
        checks = self.env["mail.domain.check"].sudo()._checks_by_name({email_domain(p.email) for p in self})
        for partner in self:
            check = checks.get(email_domain(partner.email))
            if check and partner.email_normalized:
                partner._mail_domain_health_set_relay_verdict(check)

    def _mail_domain_health_set_relay_verdict(self, check):
        """The engine's verdict on mail Odoo relays as this contact, from stored results only (no DNS), for the
        way Odoo sends it now for the reader's company: the banner when receivers refuse or junk it, the
        information line when Odoo's notifications address is what gets it delivered."""
        self.ensure_one()
        address = self.email_normalized
        preview = self.env["mail.domain.check"]._sending_preview(address, self.env.company)
        try:
            verdict = address_verdict(
                address,
                effective_policy=check.dmarc_effective_policy or None,
                provider_can_pass=check._provider_can_pass(),
                sent_as=not preview.rewritten,
            )
        except MailDNSError:
            return
        server = preview.server_name or self.env._("the server of the Odoo configuration file")
        failures = relay_failures(verdict)
        if failures:
            lines = [render(self.env, problem.code, problem.params) for problem in failures]
            lines.append(
                self.env._(
                    "When %(name)s writes on a document, Odoo relays the message to the document's followers "
                    "through %(server)s as %(email)s itself, with the envelope sender %(envelope)s.",
                    name=self.name or address,
                    server=server,
                    email=address,
                    envelope=preview.envelope_from,
                )
            )
            self.mail_domain_health_relay_fails = True
            self.mail_domain_health_relay_warning = "\n".join(lines)
        elif preview.rewritten and check.relay_fails_sent_as:
            # Only where sending as the contact would fail: elsewhere the way out is no news.
            lines = [
                render(self.env, problem.code, problem.params) for problem in verdict if problem.code == REWRITTEN_CODE
            ]
            lines.append(
                self.env._(
                    "When %(name)s writes on a document, Odoo relays the message to the document's followers "
                    "through %(server)s as %(sender)s with the contact's name, and it is delivered.",
                    name=self.name or address,
                    server=server,
                    sender=preview.email_from,
                )
            )
            self.mail_domain_health_relay_info = "\n".join(lines)

    def _search_mail_domain_health_relay_fails(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        self._check_field_access(self._fields["mail_domain_health_relay_fails"], "read")
        wanted = set(value) if operator == "in" else {True, False} - set(value)
        if wanted == {True, False}:
            return Domain.TRUE
        names = []
        if wanted and self._mail_domain_health_contacts_checked():
            names = self.env["mail.domain.check"]._relay_failing_names(self.env.company)
        return self._mail_domain_health_on_domains(names, negate=wanted != {True})

    @api.model
    def _mail_domain_health_on_domains(self, names, negate: bool = False) -> Domain:
        """The contacts whose address is on one of the domains `names` (A-labels), or (negate) all the others.

        Compared in SQL with the expression the index is on: a few index lookups, not a pass over all contacts.
        """
        values = stored_forms(names)
        if not values:
            return Domain.TRUE if negate else Domain.FALSE
        # IS NOT TRUE: a contact without an address (a NULL domain) is on none of the domains.
        template = "(%s = ANY(%s)) IS NOT TRUE" if negate else "%s = ANY(%s)"
        return Domain.custom(
            to_sql=lambda model, alias, query: SQL(template, email_domain_sql(f"{alias}.email"), values),
        )

    @api.model
    def _mail_domain_health_contacts_checked(self) -> bool:
        """Whether the setting "Check contacts' domains" is on: without it, nothing is said about contacts."""
        return is_on(self.env["ir.config_parameter"].sudo().get_param(PREFIX + "check_partners"))

    @api.model
    def _mail_domain_health_count_by_domain(self, names=None) -> dict[str, int]:
        """Active contacts per domain (A-labels), for these domains or (None) all of them: one grouped query."""
        condition = SQL("TRUE")
        if names is not None:
            values = stored_forms(names)
            if not values:
                return {}
            condition = SQL("%s = ANY(%s)", email_domain_sql("email"), values)
        self.flush_model(["active", "email"])
        self.env.cr.execute(
            SQL(
                """
                SELECT %(domain)s, count(*)
                  FROM res_partner
                 WHERE active AND email LIKE %(any_address)s AND %(condition)s
              GROUP BY 1
                """,
                domain=email_domain_sql("email"),
                any_address="%@%",
                condition=condition,
            )
        )
        counts: dict[str, int] = {}
        for raw, count in self.env.cr.fetchall():
            name = ascii_or_none(raw)
            if name:
                counts[name] = counts.get(name, 0) + count
        return counts

    def action_open_mail_domain_health_relay_fix(self):
        """The fixes for this contact's relayed mail, each applied only once confirmed (the Fix button)."""
        self.ensure_one()
        self.env["mail.domain.check"]._check_mail_domain_health_access()
        return self.env["mail.domain.relay.fix"]._open_action({"default_partner_id": self.id})
