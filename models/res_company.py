from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..maildns import worst
from ..tools.addresses import ascii_or_none, email_domain
from .mail_dmarc_report_intake import ALIAS_NAME
from .mail_domain_check import STATUSES


class ResCompany(models.Model):
    """A company's mail domains (its alias domain and default From), their checks, and its alias for DMARC reports."""

    _inherit = "res.company"

    mail_domain_check_id = fields.Many2one(
        "mail.domain.check",
        string="Alias domain check",
        groups="base.group_system",
        compute="_compute_mail_domain_check_ids",
        help="The last DNS check of the company's alias domain, which Odoo's bounce address uses.",
    )
    mail_default_from_check_id = fields.Many2one(
        "mail.domain.check",
        string="Default From domain check",
        groups="base.group_system",
        compute="_compute_mail_domain_check_ids",
        help="The check of the default From address's domain, when it differs from the alias domain.",
    )
    mail_domain_health_status = fields.Selection(
        STATUSES, string="Mail domain health", compute="_compute_mail_domain_check_ids", groups="base.group_system"
    )

    mail_dmarc_alias_id = fields.Many2one(
        "mail.alias",
        string="DMARC reports alias",
        groups="base.group_system",
        compute="_compute_mail_dmarc_alias_id",
        help="The address on the alias domain that receives the DMARC aggregate reports of the company's domains.",
    )
    mail_dmarc_reports = fields.Boolean(
        string="Receive DMARC reports",
        groups="base.group_system",
        compute="_compute_mail_dmarc_alias_id",
        inverse="_inverse_mail_dmarc_reports",
        help="Receivers send their DMARC aggregate reports to an alias of the alias domain, and Odoo reads them: "
        "what they saw of the mail sent as your domains. The DMARC record to publish then carries the alias.",
    )

    @api.depends("alias_domain_id")
    def _compute_mail_dmarc_alias_id(self):
        # One alias per alias domain, shared by the companies that use the domain.
        aliases = (
            self.env["mail.alias"]
            .sudo()
            .search(
                [
                    ("alias_model_id.model", "=", "mail.dmarc.report"),
                    ("alias_domain_id", "in", self.alias_domain_id.ids),
                ],
                order="id",
            )
        )
        by_domain = {}
        for alias in aliases:
            by_domain.setdefault(alias.alias_domain_id.id, alias)
        for company in self:
            company.mail_dmarc_alias_id = by_domain.get(company.alias_domain_id.id, False)
            company.mail_dmarc_reports = bool(company.mail_dmarc_alias_id)

    def _inverse_mail_dmarc_reports(self):
        Alias = self.env["mail.alias"].sudo()
        created = self.browse()
        for company in self:
            # Not mail_dmarc_alias_id: its compute would set the value being written back to what it was.
            alias = company._dmarc_alias()
            if company.mail_dmarc_reports and not alias:
                if not company.alias_domain_id:
                    raise UserError(
                        self.env._(
                            "%(company)s has no alias domain: choose one first, the DMARC reports are received at "
                            "an address of it.",
                            company=company.name,
                        )
                    )
                company.mail_dmarc_alias_id = company._create_dmarc_alias(Alias)
                created |= company
            elif not company.mail_dmarc_reports and alias:
                alias.unlink()
        self.invalidate_recordset(["mail_dmarc_alias_id", "mail_dmarc_reports"])
        if created:
            created._check_dmarc_domains()

    def _dmarc_alias(self):
        """The alias receiving this company's DMARC reports, read from the database."""
        self.ensure_one()
        if not self.alias_domain_id:
            return self.env["mail.alias"]
        return (
            self.env["mail.alias"]
            .sudo()
            .search(
                [
                    ("alias_model_id.model", "=", "mail.dmarc.report"),
                    ("alias_domain_id", "=", self.alias_domain_id.id),
                ],
                order="id",
                limit=1,
            )
        )

    def _mail_domain_health_domains(self) -> list[str]:
        """The mail domains of these companies (A-labels, each once, in order): each one's alias domain, which
        its bounce address uses, then its default From's domain. A name that is no domain is left out."""
        names = []
        for company in self.sudo():
            for name in (ascii_or_none(company.alias_domain_id.name), email_domain(company.default_from_email)):
                if name and name not in names:
                    names.append(name)
        return names

    def _check_dmarc_domains(self):
        """Check the domains of these companies now, as Check now does (what the DNS does not answer within a
        couple of seconds goes on in the background): the DMARC record to publish then sends the reports to their
        new alias."""
        settings = self.env["mail.domain.check"]._get_check_settings(with_sender=False)
        names = settings.public_names(self._mail_domain_health_domains())
        if names:
            # Run inside the save that turned the reports on: _check_now() leaves the check to the background
            # when the save holds the domains' rows.
            self.env["mail.domain.check"]._check_now(names, interactive=True)

    def _create_dmarc_alias(self, Alias):
        self.ensure_one()
        taken = Alias.search([("alias_name", "=", ALIAS_NAME), ("alias_domain_id", "=", self.alias_domain_id.id)])
        if taken:
            raise UserError(
                self.env._(
                    "%(address)s already delivers mail to %(target)s. Rename that alias (Settings › Technical › "
                    "Aliases), then turn on Receive DMARC reports again.",
                    address=taken.alias_full_name,
                    target=taken.alias_model_id.name,
                )
            )
        return Alias.create(
            {
                "alias_name": ALIAS_NAME,
                "alias_domain_id": self.alias_domain_id.id,
                "alias_model_id": self.env["ir.model"]._get_id("mail.dmarc.report"),
                # Reporters are not contacts of the database: every sender may deliver a report.
                "alias_contact": "everyone",
                # The reports say which alias domain received them: only its companies' domains are read.
                "alias_defaults": repr({"alias_domain_id": self.alias_domain_id.id}),
            }
        )

    @api.depends("alias_domain_id.name", "default_from_email")
    @api.depends_context("uid")
    def _compute_mail_domain_check_ids(self):
        by_name = self.env["mail.domain.check"]._checks_by_name(self._mail_domain_health_domains())
        for company in self:
            alias_domain = ascii_or_none(company.sudo().alias_domain_id.name)
            alias_check = by_name.get(alias_domain, self.env["mail.domain.check"])
            from_domain = email_domain(company.default_from_email)
            from_check = self.env["mail.domain.check"]
            if from_domain and from_domain != alias_domain:
                from_check = by_name.get(from_domain, from_check)
            company.mail_domain_check_id = alias_check
            company.mail_default_from_check_id = from_check
            statuses = [status for status in (alias_check.status, from_check.status) if status]
            company.mail_domain_health_status = str(worst(statuses)) if statuses else False

    def write(self, vals):
        result = super().write(vals)
        if "alias_domain_id" in vals:
            # A new alias domain is checked at once, in the background: the Settings block says "Checking…"
            # and updates itself, rather than "Not checked yet" until the night.
            self.env["mail.domain.check"]._queue_unchecked(self.mapped("alias_domain_id.name"))
        return result

    def _mail_domain_health_relay_counts(self) -> dict[str, int]:
        """{domain: contacts} of the contacts whose mail, relayed by Odoo for this company, receivers refuse or
        junk; empty when contacts' domains are not checked."""
        self.ensure_one()
        Partner = self.env["res.partner"]
        if not Partner._mail_domain_health_contacts_checked():
            return {}
        failing = self.env["mail.domain.check"]._relay_failing_names(self)
        return {name: count for name, count in Partner._mail_domain_health_count_by_domain(failing).items() if count}

    def action_check_mail_domain_health(self):
        """Check the alias domain (and default From domain) of these companies now."""
        checks = self.env["mail.domain.check"]
        checks._check_mail_domain_health_access()
        if not self.env.su and self - self.env.user.company_ids:
            raise AccessError(self.env._("You may only check the domains of the companies you belong to."))
        return checks._check_now_action(self._mail_domain_health_domains())
