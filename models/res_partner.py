from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..maildns import relay_verdict
from ..tools.addresses import email_domain
from ..tools.check_settings import PREFIX, is_on
from ..tools.findings import render


class ResPartner(models.Model):
    """Contacts whose mail Odoo relays under their own address: the banner, the filter and the fixes."""

    _inherit = "res.partner"

    # Stored and indexed: the relayed-mail filter, the counts and the fixes find contacts by it, and a plain column
    # costs the database nothing to compare, where the expression on the address is worked out on every row.
    mail_domain_health_email_domain = fields.Char(
        string="Email domain",
        compute="_compute_mail_domain_health_email_domain",
        store=True,
        index="btree_not_null",
        help="The domain of the contact's email address, as its domain check is named (A-labels).",
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
        checks = self.env["mail.domain.check"].sudo()._checks_by_name(self.mapped("mail_domain_health_email_domain"))
        for partner in self:
            check = checks.get(partner.mail_domain_health_email_domain)
            if check and partner.email_normalized:
                partner._mail_domain_health_set_relay_verdict(check)

    def _mail_domain_health_set_relay_verdict(self, check):
        """The engine's verdict on mail Odoo relays as this contact, from stored results only (no DNS), for the
        way Odoo sends it now for the reader's company: the banner when receivers refuse or junk it, the
        information line when Odoo's notifications address is what gets it delivered."""
        self.ensure_one()
        address = self.email_normalized
        preview = self.env["ir.mail_server"]._mail_domain_health_preview(address, self.env.company)
        verdict = relay_verdict(
            address,
            effective_policy=check.dmarc_effective_policy or None,
            provider_can_pass=check._provider_can_pass(),
            sent_as=not preview.rewritten,
        )
        server = preview.server_name or self.env["ir.mail_server"]._mail_domain_health_configuration_server_name()
        if verdict.fails:
            lines = [render(self.env, finding.code, finding.params) for finding in verdict.failures]
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
            lines = [render(self.env, finding.code, finding.params) for finding in verdict.notes]
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

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        partners._mail_domain_health_queue_unchecked()
        return partners

    def write(self, vals):
        result = super().write(vals)
        if "email" in vals:
            self._mail_domain_health_queue_unchecked()
        return result

    def _mail_domain_health_queue_unchecked(self):
        """A contact saved with an address on a domain never checked: checked at once in the background, as a
        user is, so that its banner does not wait for the night (only where contacts' domains are checked)."""
        if self and self._mail_domain_health_contacts_checked():
            self.env["mail.domain.check"]._queue_unchecked(self.mapped("mail_domain_health_email_domain"))

    def _search_mail_domain_health_relay_fails(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        # A field searched through its method is not checked by the ORM: only its readers may search on it.
        self._check_field_access(self._fields["mail_domain_health_relay_fails"], "read")
        wanted = set(value) if operator == "in" else {True, False} - set(value)
        if wanted == {True, False}:
            return Domain.TRUE
        if not wanted:
            return Domain.FALSE
        names = []
        if self._mail_domain_health_contacts_checked():
            names = self.env["mail.domain.check"]._relay_failing_names(self.env.company)
        return Domain("mail_domain_health_email_domain", "in" if wanted == {True} else "not in", names)

    @api.model
    def web_search_read(self, domain, specification, offset=0, limit=None, order=None, count_limit=None):
        # A list reads a page of records, then counts them all, each search working the filter out again: the
        # contacts whose relayed mail fails are worked out once for both.
        domain = Domain(domain).map_conditions(self._mail_domain_health_resolve_relay_condition)
        return super().web_search_read(
            domain, specification, offset=offset, limit=limit, order=order, count_limit=count_limit
        )

    def _mail_domain_health_resolve_relay_condition(self, condition) -> Domain:
        if condition.field_expr != "mail_domain_health_relay_fails":
            return condition
        operator, value = condition.operator, condition.value
        if operator in ("=", "!="):
            operator, value = ("in" if operator == "=" else "not in"), [value]
        if operator not in ("in", "not in"):
            return condition
        return Domain(self._search_mail_domain_health_relay_fails(operator, [bool(item) for item in value]))

    @api.model
    def _mail_domain_health_contacts_checked(self) -> bool:
        """Whether the setting "Check contacts' domains" is on: without it, nothing is said about contacts."""
        return is_on(self.env["ir.config_parameter"].sudo().get_param(PREFIX + "check_partners"))

    @api.model
    def _mail_domain_health_email_domain_sql(self, column: str) -> SQL:
        """SQL for the domain of an email column (as tools.addresses.raw_domain() reads it), to group users and
        contacts by domain in one query."""
        return SQL("lower(btrim(substring(%s FROM '@([^@]*)$'), ' >'))", SQL.identifier(*column.split(".")))

    @api.model
    def _mail_domain_health_count_by_domain(self, names=None) -> dict[str, int]:
        """Active contacts per domain (A-labels), for these domains or (None) all of them: one grouped query."""
        domain = Domain("mail_domain_health_email_domain", "!=", False)
        if names is not None:
            domain &= Domain("mail_domain_health_email_domain", "in", list(names))
        groups = self.sudo()._read_group(domain, ["mail_domain_health_email_domain"], ["__count"])
        return dict(groups)

    def action_open_mail_domain_health_relay_fix(self):
        """The fixes for this contact's relayed mail, each applied only once confirmed (the Fix button)."""
        self.ensure_one()
        self.env["mail.domain.check"]._check_mail_domain_health_access()
        return self.env["mail.domain.relay.fix"]._open_action({"default_partner_id": self.id})
