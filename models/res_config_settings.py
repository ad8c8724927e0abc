from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..maildns.check import DEFAULT_DOMAIN_TIMEOUT
from ..tools.addresses import split_list
from ..tools.check_settings import MAX_TIMEOUT, is_dkim_selector, is_nameserver_address, is_timeout


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # The company's alias domain result, shown read-only in the Emails block.
    mail_domain_check_id = fields.Many2one(related="company_id.mail_domain_check_id")
    mail_domain_health_status = fields.Selection(related="company_id.mail_domain_health_status")
    mail_domain_health_spf_status = fields.Selection(related="company_id.mail_domain_check_id.spf_status")
    mail_domain_health_dkim_status = fields.Selection(related="company_id.mail_domain_check_id.dkim_status")
    mail_domain_health_dmarc_status = fields.Selection(related="company_id.mail_domain_check_id.dmarc_status")
    mail_domain_health_checked_at = fields.Datetime(related="company_id.mail_domain_check_id.checked_at")
    mail_domain_health_is_stale = fields.Boolean(related="company_id.mail_domain_check_id.is_stale")
    mail_domain_health_last_error = fields.Char(related="company_id.mail_domain_check_id.last_error")
    mail_domain_health_records = fields.Text(related="company_id.mail_domain_check_id.records_to_publish")

    # How domains are checked: system parameters, read back by mail.domain.check._get_check_settings().
    mail_domain_health_provider = fields.Selection(
        [
            ("auto", "Detect automatically"),
            ("odoo", "Odoo"),
            ("google", "Google Workspace"),
            ("microsoft", "Microsoft 365"),
            ("self_hosted", "Self-hosted mail server"),
        ],
        string="Sending provider",
        default="auto",
        config_parameter="mail_domain_health.provider",
    )
    mail_domain_health_dkim_selector = fields.Char(
        string="DKIM selectors",
        config_parameter="mail_domain_health.dkim_selector",
        help="Selectors to look up, separated by commas. Empty: the provider's usual selectors.",
    )
    mail_domain_health_nameservers = fields.Char(
        string="DNS servers",
        config_parameter="mail_domain_health.nameservers",
        help="IP addresses (optionally with :port) of the DNS servers to ask, separated by commas. "
        "Empty: the system resolver.",
    )
    mail_domain_health_timeout = fields.Float(
        string="Timeout per domain (seconds)",
        default=DEFAULT_DOMAIN_TIMEOUT,
        config_parameter="mail_domain_health.timeout",
    )
    mail_domain_health_check_partners = fields.Boolean(
        string="Check contacts' domains",
        config_parameter="mail_domain_health.check_partners",
        help="The nightly check also covers the email domains of contacts, not only of companies and users.",
    )

    mail_domain_health_use_queue_job = fields.Boolean(
        string="Split the nightly check into queued jobs",
        config_parameter="mail_domain_health.use_queue_job",
        help="The nightly check queues one job per group of domains, run by the job runner of the Job Queue "
        "module on any worker, instead of checking every domain in the scheduled action.",
    )
    mail_domain_health_queue_job_available = fields.Boolean(
        string="Job Queue installed", compute="_compute_mail_domain_health_queue_job_available"
    )

    def _compute_mail_domain_health_queue_job_available(self):
        available = self.env["mail.domain.check"]._queue_job_available()
        for settings in self:
            settings.mail_domain_health_queue_job_available = available

    @api.constrains("mail_domain_health_nameservers")
    def _check_mail_domain_health_nameservers(self):
        for settings in self:
            for server in split_list(settings.mail_domain_health_nameservers):
                if not is_nameserver_address(server):
                    raise ValidationError(
                        self.env._(
                            "%(server)s is not a DNS server address. Give IP addresses, optionally with a port "
                            '("192.0.2.53", "192.0.2.53:5353" or "[2001:db8::53]:53"), separated by commas, '
                            "or leave the field empty to use the system resolver.",
                            server=server,
                        )
                    )

    @api.constrains("mail_domain_health_dkim_selector")
    def _check_mail_domain_health_dkim_selector(self):
        for settings in self:
            for selector in split_list(settings.mail_domain_health_dkim_selector):
                if not is_dkim_selector(selector):
                    raise ValidationError(
                        self.env._(
                            '%(selector)s is not a DKIM selector. A selector is the part before "._domainkey" '
                            'in the DKIM record name, made of letters, digits and hyphens (for example "odoo" '
                            'or "google"); separate several with commas.',
                            selector=selector,
                        )
                    )

    @api.constrains("mail_domain_health_timeout")
    def _check_mail_domain_health_timeout(self):
        for settings in self:
            if not is_timeout(settings.mail_domain_health_timeout):
                raise ValidationError(
                    self.env._(
                        "The timeout per domain must be more than 0 and at most %(maximum)s seconds.",
                        maximum=int(MAX_TIMEOUT),
                    )
                )

    def action_check_mail_domain_health(self):
        """Check the company's alias domain now (the Check now button)."""
        self.ensure_one()
        return self.company_id.action_check_mail_domain_health()
