from odoo import api, fields, models

from ..maildns import Status
from ..tools.findings import render
from .mail_domain_check import STATUSES


class MailDomainCheckFinding(models.Model):
    """One finding of a domain's check, as the engine gave it: a code, its params and a status, rendered in
    the reader's language when shown."""

    _name = "mail.domain.check.finding"
    _description = "Mail Domain Check Finding"
    _order = "check_id, sequence, id"

    check_id = fields.Many2one("mail.domain.check", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    part = fields.Selection(
        [("domain", "Domain"), ("spf", "SPF"), ("dkim", "DKIM"), ("dmarc", "DMARC"), ("address", "Address")],
        required=True,
    )
    code = fields.Char(required=True, help="Stable code of the finding, e.g. spf.missing.")
    params = fields.Json(help="The values the finding's sentence names (domain, record, address...).")
    message = fields.Text(required=True, help="The finding as the engine wrote it, in English.")
    description = fields.Text(
        compute="_compute_description", help="The finding in the reader's language, from its code and params."
    )
    severity = fields.Selection([(str(Status.INFO), "Information"), *STATUSES], required=True)
    record_name = fields.Char(string="Record name")
    record_type = fields.Char(string="Record type")
    record_value = fields.Char(string="Record value")

    @api.depends("code", "params")
    @api.depends_context("lang")
    def _compute_description(self):
        for finding in self:
            finding.description = (
                render(self.env, finding.code, finding.params, default=finding.message) if finding.code else False
            )
