import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import format_date

from ..tools.check_settings import PREFIX
from ..tools.dmarc_reports import read_report_settings

_logger = logging.getLogger(__name__)


class MailDmarcReport(models.Model):
    """A DMARC aggregate report a receiver sent about one of our domains: what it saw of the mail sent as the
    domain, by source. Spread over files by concern: the record and its retention (here), receiving it
    (_intake), and what it says once verified and attributed (_review)."""

    _name = "mail.dmarc.report"
    _description = "DMARC Aggregate Report"
    _inherit = ["mail.thread"]
    _order = "date_begin desc, id desc"

    # Receivers resend a report when they are not sure it arrived: it counts once, by who really sent it (the
    # verified signer), so that a forged report with a guessed identifier cannot take the real one's place.
    _report_unique = models.Constraint(
        "UNIQUE(org_name, report_id, signer_domain)", "This reporter already sent a report with this identifier."
    )

    name = fields.Char(required=True)
    state = fields.Selection(
        [("ok", "Read"), ("failed", "Failed")],
        required=True,
        default="ok",
        index=True,
        help="Failed: the message held no report that could be read, or it was refused; the reason and the "
        "beginning of the file are kept.",
    )
    failure_reason = fields.Text(readonly=True)
    received_from = fields.Char(
        string="Sent by", index=True, readonly=True, help="The address the report's message came from."
    )
    alias_domain_id = fields.Many2one(
        "mail.alias.domain",
        string="Received at",
        readonly=True,
        help="The alias domain whose address received the report: only its companies' domains are read.",
    )
    limit_note = fields.Text(string="Limits applied", readonly=True)
    authenticity = fields.Selection(
        [("pending", "Not verified yet"), ("verified", "Verified"), ("unverified", "Not verified")],
        string="Sender verified",
        index=True,
        readonly=True,
        help="Verified: the message carries a valid DKIM signature of its From domain's organization. A report "
        "not verified is kept and shown, but raises no alert and is left out of the totals: anyone can write a "
        "reporter's address.",
    )
    signer_domain = fields.Char(string="Signed by", index=True, readonly=True)
    authenticity_detail = fields.Char(string="Verification", readonly=True)
    # The message as received, until its signature is verified (by the scheduled action, outside the gateway).
    raw_message = fields.Binary(attachment=True, readonly=True)
    raw_file = fields.Binary(string="Received file", attachment=True, readonly=True)
    raw_filename = fields.Char(string="File name", readonly=True)
    org_name = fields.Char(string="Reporter", index=True, readonly=True, help="The receiver that sent the report.")
    email = fields.Char(string="Reporter address", readonly=True)
    extra_contact_info = fields.Char(string="Reporter contact", readonly=True)
    report_id = fields.Char(string="Report ID", readonly=True)
    date_begin = fields.Datetime(string="From", readonly=True)
    date_end = fields.Datetime(string="To", index=True, readonly=True)
    domain = fields.Char(string="Reported domain", index=True, readonly=True)
    check_id = fields.Many2one(
        "mail.domain.check", string="Domain check", index=True, ondelete="set null", readonly=True
    )
    policy_p = fields.Char(string="Policy (p=)", readonly=True)
    policy_sp = fields.Char(string="Subdomain policy (sp=)", readonly=True)
    policy_np = fields.Char(string="Non-existent subdomain policy (np=)", readonly=True)
    policy_adkim = fields.Char(string="DKIM alignment (adkim=)", readonly=True)
    policy_aspf = fields.Char(string="SPF alignment (aspf=)", readonly=True)
    policy_pct = fields.Integer(string="Percentage (pct=)", readonly=True)
    policy_testing = fields.Char(string="Testing (t=)", readonly=True)
    policy_fo = fields.Char(string="Failure options (fo=)", readonly=True)
    report_format = fields.Selection([("rfc7489", "RFC 7489"), ("rfc9990", "RFC 9990")], string="Format", readonly=True)
    generator = fields.Char(readonly=True)
    reporter_errors = fields.Text(string="Reporter's errors", readonly=True)
    skipped_parts = fields.Text(
        string="Left out",
        readonly=True,
        help="What the received file held that could not be read, and why: records, or archive members that are no "
        "report. The rest of the report was read.",
    )
    source_name = fields.Char(string="Report file", readonly=True, help="The file the report came in.")
    row_ids = fields.One2many("mail.dmarc.report.row", "report_id", string="Rows", readonly=True)
    messages = fields.Integer(string="Reported messages", readonly=True)
    passed_messages = fields.Integer(string="Passed", readonly=True)
    pass_rate = fields.Float(
        string="Pass rate", compute="_compute_pass_rate", store=True, aggregator=False, help="From 0 to 1."
    )
    attributed = fields.Boolean(
        readonly=True,
        index=True,
        help="Every source of the report is attributed, and the report was checked against the alert thresholds.",
    )

    @api.depends("messages", "passed_messages")
    def _compute_pass_rate(self):
        for report in self:
            report.pass_rate = report.passed_messages / report.messages if report.messages else 0.0

    def _period(self) -> str:
        # Reports cover days in UTC: the dates are shown as the reporter wrote them, one date for one day.
        begin, end = (format_date(self.env, moment.date()) for moment in (self.date_begin, self.date_end))
        return begin if begin == end else f"{begin} – {end}"

    # Settings

    @api.model
    def _get_report_settings(self) -> dict:
        """The alert thresholds and the retention, from the system parameters Settings writes."""
        params = self.env["ir.config_parameter"].sudo()
        keys = ("dmarc_keep_days", "dmarc_odoo_fail_percent", "dmarc_unknown_messages")
        settings, reasons = read_report_settings({key: params.get_param(PREFIX + key) for key in keys})
        for reason in reasons:
            _logger.warning("mail_domain_health: setting %s", reason)
        return settings

    # Retention

    @api.autovacuum
    def _gc_old_reports(self):
        """Remove the reports that ended more than the set number of days ago (180 by default), with their rows."""
        keep_days = self._get_report_settings()["keep_days"]
        old = self.sudo().search([("date_end", "<", fields.Datetime.now() - timedelta(days=keep_days))])
        failed = self.sudo().search(
            [("state", "=", "failed"), ("create_date", "<", fields.Datetime.now() - timedelta(days=keep_days))]
        )
        if old | failed:
            _logger.info(
                "mail_domain_health: removing %s DMARC reports older than %s days", len(old | failed), keep_days
            )
            (old | failed).unlink()
