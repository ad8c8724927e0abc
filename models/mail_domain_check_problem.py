from odoo import fields, models

from .mail_domain_check import STATUSES


class MailDomainCheckProblem(models.Model):
    _name = "mail.domain.check.problem"
    _description = "Mail Domain Check Problem"
    _order = "check_id, sequence, id"

    check_id = fields.Many2one("mail.domain.check", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    part = fields.Selection(
        [("domain", "Domain"), ("spf", "SPF"), ("dkim", "DKIM"), ("dmarc", "DMARC"), ("address", "Address")],
        required=True,
    )
    code = fields.Char(required=True, help="Stable code of the finding, e.g. spf.missing.")
    message = fields.Text(required=True)
    severity = fields.Selection(STATUSES, required=True)
    record_name = fields.Char(string="Record name")
    record_type = fields.Char(string="Record type")
    record_value = fields.Char(string="Record value")
