from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..maildns import DEFAULT_DOMAIN_TIMEOUT, PROVIDER_CHOICES
from ..tools.addresses import split_list
from ..tools.check_settings import (
    MAX_TIMEOUT,
    CheckSettings,
    is_dkim_selector,
    is_ip_address,
    is_nameserver_address,
    is_timeout,
)
from ..tools.dmarc_intake import (
    BOUNDS,
    DEFAULT_MAX_FILES,
    DEFAULT_MAX_ROWS,
    DEFAULT_MAX_SENDER_REPORTS,
    DEFAULT_REFUSED_BYTES,
)
from ..tools.dmarc_reports import (
    DEFAULT_KEEP_DAYS,
    DEFAULT_ODOO_FAIL_PERCENT,
    DEFAULT_UNKNOWN_MESSAGES,
    MAX_KEEP_DAYS,
    MAX_UNKNOWN_MESSAGES,
    is_keep_days,
    is_message_count,
    is_percent,
)
from .mail_domain_check_state import SETTINGS_CHANGED_ANY

# The settings every verdict depends on, as CheckSettings names them, and the change each one is.
SENDING_SETTINGS = {
    "provider": "provider",
    "own_addresses": "own_addresses",
    "dkim_selectors": "dkim_selector",
    "nameservers": "nameservers",
    "timeout": "timeout",
}


class ResConfigSettings(models.TransientModel):
    """The Settings block: the company's domains and the records to publish, and how domains are checked, validated."""

    _inherit = "res.config.settings"

    # The company's alias domain result, shown read-only in the Emails block.
    mail_domain_check_id = fields.Many2one(related="company_id.mail_domain_check_id")
    mail_domain_health_status = fields.Selection(related="company_id.mail_domain_health_status")
    mail_domain_health_spf_status = fields.Selection(related="company_id.mail_domain_check_id.spf_status")
    mail_domain_health_dkim_status = fields.Selection(related="company_id.mail_domain_check_id.dkim_status")
    mail_domain_health_dmarc_status = fields.Selection(related="company_id.mail_domain_check_id.dmarc_status")
    mail_domain_health_checked_at = fields.Datetime(related="company_id.mail_domain_check_id.checked_at")
    mail_domain_health_is_stale = fields.Boolean(related="company_id.mail_domain_check_id.is_stale")
    mail_domain_health_last_error = fields.Text(related="company_id.mail_domain_check_id.last_error")
    mail_domain_health_results_at = fields.Datetime(related="company_id.mail_domain_check_id.last_success_at")
    mail_domain_health_records = fields.Text(related="company_id.mail_domain_check_id.records_to_publish")
    mail_domain_health_records_guide = fields.Text(related="company_id.mail_domain_check_id.records_guide")
    mail_domain_health_spf_reason = fields.Text(related="company_id.mail_domain_check_id.spf_reason")
    mail_domain_health_dkim_reason = fields.Text(related="company_id.mail_domain_check_id.dkim_reason")
    # The selector whose key was checked: searched when the sender's is not fixed, and kept from check to check.
    mail_domain_health_dkim_selector_found = fields.Char(related="company_id.mail_domain_check_id.dkim_selector")
    mail_domain_health_dmarc_reason = fields.Text(related="company_id.mail_domain_check_id.dmarc_reason")
    mail_domain_health_faults = fields.Text(related="company_id.mail_domain_check_id.fault_summary")
    mail_domain_health_pending = fields.Boolean(related="company_id.mail_domain_check_id.check_pending")
    mail_domain_health_outdated = fields.Text(related="company_id.mail_domain_check_id.outdated_notice")

    # DMARC aggregate reports: received through an alias of the company's alias domain.
    mail_domain_health_dmarc_reports = fields.Boolean(related="company_id.mail_dmarc_reports", readonly=False)
    mail_domain_health_dmarc_address = fields.Char(related="company_id.mail_dmarc_alias_id.alias_full_name")
    mail_domain_health_dmarc_summary = fields.Char(related="company_id.mail_domain_check_id.dmarc_summary")
    mail_domain_health_dmarc_odoo_fail_percent = fields.Float(
        string="Alert when Odoo's servers fail DMARC over (%)",
        default=DEFAULT_ODOO_FAIL_PERCENT,
        config_parameter="mail_domain_health.dmarc_odoo_fail_percent",
        help="An alert on the domain's check when, in one report, more than this share of the messages sent "
        "through Odoo's servers failed DMARC.",
    )
    mail_domain_health_dmarc_unknown_messages = fields.Integer(
        string="Alert when an unknown source sends over (messages)",
        default=DEFAULT_UNKNOWN_MESSAGES,
        config_parameter="mail_domain_health.dmarc_unknown_messages",
        help="An alert on the domain's check when, in one report, a source that no SPF record authorizes sent "
        "more messages than this as the domain.",
    )
    mail_domain_health_dmarc_keep_days = fields.Integer(
        string="Keep reports (days)",
        default=DEFAULT_KEEP_DAYS,
        config_parameter="mail_domain_health.dmarc_keep_days",
    )

    # What one sender may cost the alias for DMARC reports (tools/dmarc_intake.py).
    mail_domain_health_dmarc_max_files = fields.Integer(
        string="Report files read a message",
        default=DEFAULT_MAX_FILES,
        config_parameter="mail_domain_health.dmarc_max_files",
    )
    mail_domain_health_dmarc_max_sender_reports = fields.Integer(
        string="Reports a sender a day",
        default=DEFAULT_MAX_SENDER_REPORTS,
        config_parameter="mail_domain_health.dmarc_max_sender_reports",
        help="Reports, read or refused, one sender address may deliver in 24 hours; its further messages are "
        "refused unread.",
    )
    mail_domain_health_dmarc_max_rows = fields.Integer(
        string="Rows kept a report",
        default=DEFAULT_MAX_ROWS,
        config_parameter="mail_domain_health.dmarc_max_rows",
        help="A larger report is kept as totals by source, the sources that sent the most messages first.",
    )
    mail_domain_health_dmarc_refused_bytes = fields.Integer(
        string="Bytes kept of a refused file",
        default=DEFAULT_REFUSED_BYTES,
        config_parameter="mail_domain_health.dmarc_refused_bytes",
    )

    # How domains are checked: system parameters, read back by mail.domain.check._get_check_settings().
    mail_domain_health_provider = fields.Selection(
        PROVIDER_CHOICES,
        string="Sending provider",
        default="auto",
        config_parameter="mail_domain_health.provider",
    )
    mail_domain_health_own_addresses = fields.Char(
        string="Public sending addresses",
        config_parameter="mail_domain_health.own_addresses",
        help="The public IP addresses your own mail server sends from, separated by commas: needed when Odoo "
        "hands its mail to this machine's mail server or to a relay at private addresses.",
    )
    mail_domain_health_sender = fields.Char(related="company_id.mail_domain_check_id.sender_summary")
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
        string="Timeout per domain",
        help="Seconds the DNS may take to answer about one domain before the check reports a timeout.",
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

    # Contacts whose relayed mail is refused or junked, with the outgoing servers as they are now.
    mail_domain_health_relay_summary = fields.Char(
        string="Contacts' relayed mail", compute="_compute_mail_domain_health_relay"
    )
    mail_domain_health_relay_contact_count = fields.Integer(
        string="Contacts affected", compute="_compute_mail_domain_health_relay"
    )

    @api.depends("company_id")
    def _compute_mail_domain_health_relay(self):
        for settings in self:
            counts = settings.company_id._mail_domain_health_relay_counts()
            settings.mail_domain_health_relay_contact_count = sum(counts.values())
            settings.mail_domain_health_relay_summary = settings._mail_domain_health_relay_sentence(counts)

    def _mail_domain_health_relay_sentence(self, counts: dict[str, int]) -> str:
        contacts = sum(counts.values())
        if not contacts:
            return self.env._("No contact's relayed mail is refused or junked.")
        if len(counts) > 1:
            return self.env._(
                "%(contacts)s contacts on %(domains)s domains: their replies reach your users' inboxes only inside "
                "Odoo.",
                contacts=contacts,
                domains=len(counts),
            )
        (domain,) = counts
        if contacts == 1:
            return self.env._(
                "One contact on %(domain)s: their replies reach your users' inboxes only inside Odoo.", domain=domain
            )
        return self.env._(
            "%(contacts)s contacts on %(domain)s: their replies reach your users' inboxes only inside Odoo.",
            contacts=contacts,
            domain=domain,
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

    @api.constrains("mail_domain_health_own_addresses")
    def _check_mail_domain_health_own_addresses(self):
        for settings in self:
            for address in split_list(settings.mail_domain_health_own_addresses):
                if not is_ip_address(address):
                    raise ValidationError(
                        self.env._(
                            "%(address)s is not an IP address. Give the public IPv4 or IPv6 addresses your mail "
                            "server sends from, separated by commas.",
                            address=address,
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

    @api.constrains(
        "mail_domain_health_dmarc_odoo_fail_percent",
        "mail_domain_health_dmarc_unknown_messages",
        "mail_domain_health_dmarc_keep_days",
    )
    def _check_mail_domain_health_dmarc_settings(self):
        for settings in self:
            if not is_percent(settings.mail_domain_health_dmarc_odoo_fail_percent):
                raise ValidationError(self.env._("The share of Odoo's messages failing DMARC is from 0 to 100%."))
            if not is_message_count(settings.mail_domain_health_dmarc_unknown_messages):
                raise ValidationError(
                    self.env._(
                        "The messages of an unknown source that raise an alert are from 1 to %(maximum)s.",
                        maximum=MAX_UNKNOWN_MESSAGES,
                    )
                )
            if not is_keep_days(settings.mail_domain_health_dmarc_keep_days):
                raise ValidationError(self.env._("Reports are kept from 1 to %(maximum)s days.", maximum=MAX_KEEP_DAYS))

    def set_values(self):
        # Every verdict depends on these: a change of one has the domains checked again (mail.domain.check).
        # Compared as the checks read them: "5" and "5.0" seconds are the same timeout.
        if not self.env.su:
            self._check_mail_domain_health_company()
        before = self._mail_domain_health_sending_settings()
        result = super().set_values()
        after = self._mail_domain_health_sending_settings()
        changed = [key for key in SENDING_SETTINGS if getattr(before, key) != getattr(after, key)]
        if changed:
            what = SENDING_SETTINGS[changed[0]] if len(changed) == 1 else SETTINGS_CHANGED_ANY
            self.env["mail.domain.check"]._sending_settings_changed(what)
        return result

    def _mail_domain_health_sending_settings(self) -> CheckSettings:
        return self.env["mail.domain.check"].sudo()._get_check_settings(with_sender=False)

    @api.constrains(
        "mail_domain_health_dmarc_max_files",
        "mail_domain_health_dmarc_max_sender_reports",
        "mail_domain_health_dmarc_max_rows",
        "mail_domain_health_dmarc_refused_bytes",
    )
    def _check_mail_domain_health_dmarc_bounds(self):
        for settings in self:
            for key, (_default, low, high) in BOUNDS.items():
                field = self._fields[f"mail_domain_health_{key}"]
                if not low <= settings[field.name] <= high:
                    raise ValidationError(
                        self.env._(
                            "%(setting)s is from %(low)s to %(high)s.",
                            setting=field._description_string(self.env),
                            low=low,
                            high=high,
                        )
                    )

    @api.model_create_multi
    def create(self, vals_list):
        # The related fields show the company's results computed as the superuser: the company must be one the
        # reader may administer (the company switcher gives no other, RPC could).
        records = super().create(vals_list)
        if not self.env.su:
            records._check_mail_domain_health_company()
        return records

    def write(self, vals):
        # The same guard on a record saved again with another company (web_save sends company_id too).
        result = super().write(vals)
        if not self.env.su and "company_id" in vals:
            self._check_mail_domain_health_company()
        return result

    def _check_mail_domain_health_company(self):
        foreign = self.company_id - self.env.user.company_ids
        if foreign:
            raise AccessError(
                self.env._(
                    "You may not administer the settings of %(companies)s.", companies=", ".join(foreign.mapped("name"))
                )
            )

    def action_open_dmarc_reports(self):
        """What receivers saw of the alias domain's mail (the Settings link)."""
        self.ensure_one()
        self._check_mail_domain_health_company()
        check = self.company_id.mail_domain_check_id
        if not check:
            # Before the domain's first check there is no report row of it either: the list is empty.
            action = self.env["ir.actions.actions"]._for_xml_id("mail_domain_health.mail_dmarc_report_row_action")
            action["domain"] = [("id", "=", False)]
            return action
        return check.action_open_dmarc_rows()

    def action_check_mail_domain_health(self):
        """Check the company's alias domain now (the Check now button)."""
        self.ensure_one()
        self._check_mail_domain_health_company()
        # The block updates itself when the check is written: Settings stay where the administrator scrolled.
        return self.company_id.with_context(mail_domain_health_live=True).action_check_mail_domain_health()

    def action_open_mail_domain_health_relay_contacts(self):
        """The contacts whose relayed mail is refused or junked (the Contacts affected button)."""
        self.ensure_one()
        self.env["mail.domain.check"]._check_mail_domain_health_access()
        return self.env["ir.actions.act_window"]._for_xml_id(
            "mail_domain_health.res_partner_action_mail_domain_health_relay"
        )

    def action_open_mail_domain_health_relay_fix(self):
        """The fixes for every contact whose relayed mail is refused or junked, applied only once confirmed."""
        self.ensure_one()
        self._check_mail_domain_health_company()
        Check = self.env["mail.domain.check"]
        Check._check_mail_domain_health_access()
        failing = Check._relay_failing_names(self.company_id)
        return self.env["mail.domain.relay.fix"]._open_action(
            {"default_check_ids": Check.sudo().search([("name", "in", failing)]).ids}
        )
