from odoo import api, fields, models

from ..maildns.report import worst
from ..tools.addresses import email_domain
from .mail_domain_check import STATUSES


class ResCompany(models.Model):
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

    @api.depends("alias_domain_id.name", "default_from_email")
    @api.depends_context("uid")
    def _compute_mail_domain_check_ids(self):
        names = set(self.mapped("alias_domain_id.name")) | {
            email_domain(email) for email in self.mapped("default_from_email")
        }
        checks = self.env["mail.domain.check"].search([("name", "in", [name for name in names if name])])
        by_name = {check.name: check for check in checks}
        for company in self:
            alias_check = by_name.get(company.alias_domain_id.name, self.env["mail.domain.check"])
            from_domain = email_domain(company.default_from_email)
            from_check = self.env["mail.domain.check"]
            if from_domain and from_domain != company.alias_domain_id.name:
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
        names = set(self.mapped("alias_domain_id.name")) | {
            email_domain(email) for email in self.mapped("default_from_email")
        }
        return checks._check_now_action([name for name in names if name])
