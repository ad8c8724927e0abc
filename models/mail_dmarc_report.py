import base64
import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, email_normalize, format_date, split_every

from ..maildns import ReportError, attribute_ips, parse_report, verify_report_message
from ..tools.addresses import ascii_or_none, email_domain
from ..tools.check_settings import PREFIX
from ..tools.dmarc_intake import (
    BOUNDS,
    excerpt,
    is_own_domain,
    message_bytes,
    read_intake_bounds,
    same_organization_names,
    sending_domains,
    totals_by_source,
)
from ..tools.dmarc_reports import (
    SENDER_SOURCE,
    attribution_values,
    read_report_settings,
    report_files,
    report_values,
    row_values,
)
from .mail_thread import ORIGINAL_MESSAGE

_logger = logging.getLogger(__name__)

# Source IPs attributed per step of the scheduled action: their DNS questions take seconds, not minutes.
IPS_PER_BATCH = 200
# Report messages whose DKIM signatures are verified per step: a key each, mostly the same few reporters'.
REPORTS_PER_BATCH = 50
ALIAS_NAME = "dmarc-reports"
ROWS_PER_BATCH = 1000


def _file_name(attachment) -> str:
    # The name report_files() gives a file, to tell the attachments that were read.
    return (attachment[0] or "attachment")[:200]


class MailDmarcReport(models.Model):
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

    # Receiving: Odoo's mail gateway, through the alias that Settings › Receive DMARC reports creates

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """Read the reports of a received message: one record per report about a domain the receiving companies
        send from (a report already received counts once), and a failed record, with an excerpt of its file and
        the reason, for what cannot be read or is refused. The sources are attributed afterwards by a scheduled
        action: their DNS questions never hold the gateway's transaction.

        The alias takes mail from anyone: a report about another domain is refused (no check, no alert), and the
        settings bound the files read a message, the reports a sender a day, the rows kept a report and the bytes
        kept of what is refused. The message is posted on the record with the files that were read, only.
        """
        defaults = dict(custom_values or {})
        original = message_bytes(msg_dict.pop(ORIGINAL_MESSAGE, None))
        subject = (msg_dict.get("subject") or "").strip()
        bounds = self._get_intake_bounds()
        sender = email_normalize(msg_dict.get("email_from") or "") or (msg_dict.get("email_from") or "")[:200]
        defaults["received_from"] = sender
        attachments = msg_dict.get("attachments") or ()
        # What is not read is not kept whole with the message either: the failed record keeps its excerpt.
        msg_dict["attachments"] = []
        if self._sender_reports_today(sender) >= bounds["dmarc_max_sender_reports"]:
            reason = self.env._(
                "%(sender)s sent more than %(limit)s reports in 24 hours: this message was not read.",
                sender=sender,
                limit=bounds["dmarc_max_sender_reports"],
            )
            return self._create_failed(defaults, subject, "message.eml", b"", reason, bounds)
        files = report_files(attachments, msg_dict.get("body"))
        if not files:
            name, content = (attachments[0][0], attachments[0][1]) if attachments else ("message.html", "")
            reason = self.env._("The message holds no report: no XML, gzip or zip attachment, and no XML in its text.")
            return self._create_failed(defaults, subject, name, content or msg_dict.get("body") or "", reason, bounds)
        owned = self._receiving_domains(defaults.get("alias_domain_id"))
        created = failed = known = self.browse()
        read_names = set()
        left_out = files[bounds["dmarc_max_files"] :]
        if left_out:
            # One record for all the files left out: thousands of tiny attachments make one row, not thousands.
            reason = self.env._(
                "The message holds more than %(limit)s report files: %(count)s were not read (%(names)s).",
                limit=bounds["dmarc_max_files"],
                count=len(left_out),
                names=", ".join(name for name, _data in left_out[:5]) + (", …" if len(left_out) > 5 else ""),
            )
            failed |= self._create_failed(defaults, subject, left_out[0][0], left_out[0][1], reason, bounds)
        # What is left of the sender's reports of the day, spent by each record this message makes.
        quota = bounds["dmarc_max_sender_reports"] - self._sender_reports_today(sender)
        for name, data in files[: bounds["dmarc_max_files"]]:
            if len(created) + len(failed) >= quota:
                _logger.info(
                    "mail_domain_health: %s reached its reports of the day; the rest of its message is not read", sender
                )
                break
            try:
                reports = parse_report(data, filename=name)
            except ReportError as error:
                failed |= self._create_failed(defaults, subject, name, data, str(error), bounds)
                continue
            ours = [report for report in reports if is_own_domain(ascii_or_none(report.policy.domain), owned)]
            foreign = sorted({report.policy.domain for report in reports} - {report.policy.domain for report in ours})
            if foreign:
                reason = self.env._(
                    "Refused: the report is about %(domains)s, which no company receiving at this address sends "
                    "from. Reports are read only about the alias domain of these companies, the domains of their "
                    "users and their subdomains.",
                    domains=", ".join(foreign[:5]),
                )
                failed |= self._create_failed(defaults, subject, name, data, reason, bounds)
            # A zip may hold many reports: no more of them than the sender has left today.
            ours = ours[: max(quota - len(created) - len(failed), 0)]
            if ours:
                new, existing = self._create_reports(
                    ours, {**defaults, "raw_message": base64.b64encode(original)}, bounds
                )
                created, known = created | new, known | existing
                read_names.add(name)
        if created:
            self.env.ref("mail_domain_health.ir_cron_attribute_dmarc_sources").sudo()._trigger()
        msg_dict["attachments"] = [file for file in attachments if _file_name(file) in read_names]
        # The message is posted on the first record made of it; a resent report's delivery on the report itself.
        return (created or failed or known)[:1]

    @api.model
    def _get_intake_bounds(self) -> dict[str, int]:
        """What one message and one sender may cost, from the system parameters Settings writes."""
        params = self.env["ir.config_parameter"].sudo()
        bounds, reasons = read_intake_bounds({key: params.get_param(PREFIX + key) for key in BOUNDS})
        for reason in reasons:
            _logger.warning("mail_domain_health: setting %s", reason)
        return bounds

    @api.model
    def _sender_reports_today(self, sender: str) -> int:
        since = fields.Datetime.now() - timedelta(days=1)
        return self.sudo().search_count([("received_from", "=", sender), ("create_date", ">=", since)])

    @api.model
    def _receiving_domains(self, alias_domain_id: int | None) -> set[str]:
        """The domains the companies receiving at the alias send from: their alias domain, their default From
        domain and the domains of their internal users. Without an alias (a mailbox an administrator routes to
        the reports), every company's."""
        Company = self.env["res.company"].sudo()
        if alias_domain_id:
            companies = Company.search([("alias_domain_id", "=", alias_domain_id)])
        else:
            # Every company counts, and a database has few of them.
            companies = Company.search([])  # pylint: disable=no-search-all
        users = (
            self.env["res.users"]
            .sudo()
            .search_fetch([("share", "=", False), ("company_ids", "in", companies.ids)], ["email"])
        )
        alias_domains = self.env["mail.alias.domain"].sudo().browse(alias_domain_id or []) | companies.alias_domain_id
        return sending_domains(
            [
                *(ascii_or_none(name) for name in alias_domains.mapped("name")),
                *(email_domain(email) for email in companies.mapped("default_from_email")),
                *(email_domain(email) for email in users.mapped("email")),
            ]
        )

    @api.model
    def _detect_loop_sender_domain(self, email_from_normalized):
        # A reporter sends one report per domain and day, often all at once: many reports from one address are
        # not an auto-replier's loop, and none must be ignored as one.
        return False

    @api.model
    def _create_reports(
        self, reports: list, defaults: dict, bounds: dict
    ) -> tuple["MailDmarcReport", "MailDmarcReport"]:
        """Create the reports not yet received, with their rows (at most the set number a report, as totals by
        source beyond it); return them, and those already received."""
        existing = self.browse()
        wanted = {}
        for report in reports:
            wanted.setdefault((report.org_name, report.report_id), report)
        sender_domain = email_domain(defaults.get("received_from"))
        if wanted:
            found = self.search_fetch(
                Domain.OR(Domain("org_name", "=", org) & Domain("report_id", "=", ident) for org, ident in wanted)
                & Domain("authenticity", "=", "verified"),
                ["org_name", "report_id", "signer_domain"],
            )
            # A resend of a verified report comes from its signer's organization; a report of the same
            # identifier from anyone else is kept until its own signature is verified.
            existing = found.filtered(lambda known: same_organization_names(known.signer_domain, sender_domain))
            for report in existing:
                wanted.pop((report.org_name, report.report_id), None)
        checks = self._checks_for([report.policy.domain for report in wanted.values()])
        created = self.create(
            [
                {
                    **defaults,
                    **report_values(report),
                    "name": f"{report.org_name} {report.report_id}",
                    "check_id": checks.get(report.policy.domain, False),
                    "skipped_parts": "\n".join(map(str, report.skipped)) or False,
                    "authenticity": "pending",
                }
                for report in wanted.values()
            ]
        )
        Row = self.env["mail.dmarc.report.row"].sudo()
        for record, report in zip(created, wanted.values(), strict=True):
            common = {
                "report_id": record.id,
                "check_id": record.check_id.id,
                "domain": record.domain,
                "org_name": record.org_name,
            }
            kept, count = totals_by_source(
                [row_values(row, report) for row in report.records], bounds["dmarc_max_rows"]
            )
            if len(kept) < count:
                record.limit_note = self.env._(
                    "The report has %(count)s rows, more than the %(limit)s kept: the %(limit)s sources that sent "
                    "the most messages are kept, each as its total of passed and of failed messages.",
                    count=count,
                    limit=bounds["dmarc_max_rows"],
                )
                _logger.info("mail_domain_health: report %s kept as %s totals of %s rows", record.id, len(kept), count)
            # A large reporter's report holds thousands of rows: created a batch at a time.
            for batch in split_every(ROWS_PER_BATCH, kept):
                Row.create([{**values, **common} for values in batch])
        return created, existing

    @api.model
    def _checks_for(self, domains: list[str]) -> dict[str, int]:
        """{domain: id of its check}, the checks created where missing, for the reported domains that are names."""
        names = {domain: ascii_or_none(domain) for domain in set(domains)}
        Check = self.env["mail.domain.check"].sudo()
        known = Check._checks_by_name(names.values())
        missing = sorted({name for name in names.values() if name and name not in known})
        if missing:
            known.update({check.name: check for check in Check._get_or_create(missing)})
        return {domain: known[name].id for domain, name in names.items() if name in known}

    @api.model
    def _create_failed(
        self, defaults: dict, subject: str, name: str, content, reason: str, bounds: dict
    ) -> "MailDmarcReport":
        data = content.encode() if isinstance(content, str) else bytes(content or b"")
        _logger.info("mail_domain_health: a DMARC report message could not be read (%s): %s", name, reason)
        kept = excerpt(data, bounds["dmarc_refused_bytes"])
        if len(kept) < len(data):
            reason = self.env._(
                "%(reason)s (the first %(kept)s of %(size)s bytes of the file are kept)",
                reason=reason,
                kept=len(kept),
                size=len(data),
            )
        return self.create(
            {
                **defaults,
                "name": subject or name,
                "state": "failed",
                "failure_reason": reason,
                "raw_file": base64.b64encode(kept) if kept else False,
                "raw_filename": name,
                # Nothing to attribute, and nothing to alert about.
                "attributed": True,
            }
        )

    # Attribution of the sources, and the alerts it may raise

    @api.model
    def _get_report_settings(self) -> dict:
        """The alert thresholds and the retention, from the system parameters Settings writes."""
        params = self.env["ir.config_parameter"].sudo()
        keys = ("dmarc_keep_days", "dmarc_odoo_fail_percent", "dmarc_unknown_messages")
        settings, reasons = read_report_settings({key: params.get_param(PREFIX + key) for key in keys})
        for reason in reasons:
            _logger.warning("mail_domain_health: setting %s", reason)
        return settings

    @api.model
    def _cron_attribute_sources(self):
        """Attribute the source IPs of the rows received since the last run, then check the reports whose
        sources are all attributed against the alert thresholds.

        Batches of IPS_PER_BATCH IPs: each batch's IPs are read and the transaction committed before the DNS is
        asked, so that no transaction waits on the network, then the answers are written and committed.
        """
        Check = self.env["mail.domain.check"]
        check_settings = Check._get_check_settings()
        settings = self._get_report_settings()
        sender = SENDER_SOURCE.get(check_settings["provider"], check_settings["provider"])
        spec = check_settings["provider_spec"]
        own_ips = spec.removeprefix("ip:").split(",") if spec.startswith("ip:") else []
        resolver = Check._new_resolver(check_settings)
        cron = self.env["ir.cron"]
        if not self._verify_pending_reports(resolver, check_settings["timeout"]):
            return
        while pending := self._pending_sources(IPS_PER_BATCH):
            if not cron._commit_progress(remaining=self._pending_source_count()):
                break
            attributions = attribute_ips(pending, resolver=resolver, own_ips=own_ips, timeout=check_settings["timeout"])
            self._store_attributions(attributions, sender)
            self._alert_on_attributed(settings)
            if not cron._commit_progress(len(pending)):
                break
        self._alert_on_attributed(settings)

    @api.model
    def _verify_pending_reports(self, resolver, timeout: float) -> bool:
        """Verify the DKIM signatures of the messages of the reports received since the last run, in batches,
        each committed before its keys are asked; False when the run's time is up."""
        cron = self.env["ir.cron"]
        tried = self.browse()
        while reports := self.sudo().search(
            [("authenticity", "=", "pending"), ("id", "not in", tried.ids)], order="id", limit=REPORTS_PER_BATCH
        ):
            tried |= reports
            messages = {report.id: base64.b64decode(report.raw_message or b"") for report in reports}
            if not cron._commit_progress(remaining=len(reports)):
                return False
            results = {
                report_id: verify_report_message(raw, resolver=resolver, timeout=timeout)
                for report_id, raw in messages.items()
            }
            self._store_authenticity(results)
            if not cron._commit_progress(len(reports)):
                return False
        return True

    @api.model
    def _store_authenticity(self, results: dict):
        """Mark each report verified or not; a second copy of a report (the same signer's, or an unverified one
        of a report already kept) is removed, its message moved to the report kept."""
        retry_until = fields.Datetime.now() - timedelta(days=1)
        for report in self.sudo().browse(list(results)).exists():
            found = results[report.id]
            if found.code == "dns_error" and report.create_date > retry_until:
                # The DNS did not answer: asked again at the next run, for a day.
                report.authenticity_detail = found.detail[:500]
                continue
            twins = Domain("org_name", "=", report.org_name) & Domain("report_id", "=", report.report_id)
            twins &= Domain("id", "!=", report.id)
            if found.verified:
                twins &= Domain("authenticity", "=", "verified") & Domain("signer_domain", "=", found.signer)
            else:
                twins &= Domain("authenticity", "in", ["verified", "unverified"])
            twin = self.sudo().search(twins, order="id", limit=1)
            if twin:
                _logger.info("mail_domain_health: DMARC report %s is a copy of report %s, removed", report.id, twin.id)
                report.message_ids.write({"res_id": twin.id})
                report.unlink()
                continue
            report.write(
                {
                    "authenticity": "verified" if found.verified else "unverified",
                    "signer_domain": found.signer,
                    "authenticity_detail": found.detail[:500] or found.code,
                    "raw_message": False,
                }
            )
            if found.verified:
                report.row_ids.write({"verified": True})

    @api.model
    def _pending_sources(self, limit: int) -> dict[str, list[str]]:
        """{source IP: the domains it sent mail as, reported domain first} of rows not yet attributed."""
        # Only verified reporters' rows cost DNS questions: anyone can send a report full of addresses.
        self.env["mail.dmarc.report.row"].flush_model(["source", "source_ip", "domain", "header_from", "verified"])
        self.env.cr.execute(
            SQL(
                """
                SELECT source_ip, array_agg(DISTINCT domain), array_agg(DISTINCT header_from)
                  FROM mail_dmarc_report_row
                 WHERE source = 'pending' AND verified
              GROUP BY source_ip
              -- The sources of the oldest reports first: their reports are complete, and alert, batch after batch.
              ORDER BY min(report_id), source_ip
                 LIMIT %s
                """,
                limit,
            )
        )
        return {
            ip: list(dict.fromkeys(name for name in [*domains, *header_froms] if name))
            for ip, domains, header_froms in self.env.cr.fetchall()
        }

    @api.model
    def _pending_source_count(self) -> int:
        self.env.cr.execute(
            "SELECT count(DISTINCT source_ip) FROM mail_dmarc_report_row WHERE source = 'pending' AND verified"
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _store_attributions(self, attributions: dict, sender: str | None):
        Row = self.env["mail.dmarc.report.row"].sudo()
        rows = Row.search_fetch([("source", "=", "pending"), ("source_ip", "in", list(attributions))], ["source_ip"])
        # One statement per distinct attribution, not per IP: the strangers of a batch, without a reverse name,
        # are written at once.
        by_values = defaultdict(list)
        for row in rows:
            values = attribution_values(attributions[row.source_ip], sender)
            by_values[tuple(sorted(values.items()))].append(row.id)
        for values, ids in by_values.items():
            Row.browse(ids).write(dict(values))

    @api.model
    def _alert_on_attributed(self, settings: dict):
        """Check the reports whose rows are all attributed now against the thresholds, and mark them."""
        reports = self.sudo().search(
            [("attributed", "=", False), ("state", "=", "ok"), ("authenticity", "=", "verified")]
        )
        pending = (
            self.env["mail.dmarc.report.row"]
            .sudo()
            ._read_group([("report_id", "in", reports.ids), ("source", "=", "pending")], ["report_id"])
        )
        done = reports - self.browse([report.id for (report,) in pending])
        for report in done:
            report._raise_alerts(settings)
        done.write({"attributed": True})

    def _raise_alerts(self, settings: dict):
        """A note on the domain's check and a to-do for its Settings administrators when, in this report, mail from
        Odoo's servers failed DMARC beyond the threshold, or an unknown source sent more than the set number."""
        self.ensure_one()
        check = self.check_id
        # Anyone can send a report: only a verified reporter's may alarm anybody.
        if not check or self.authenticity != "verified":
            return
        alerts = []
        odoo_rows = self.row_ids.filtered("sent_by_odoo")
        odoo_messages = sum(odoo_rows.mapped("messages"))
        odoo_failed = sum(odoo_rows.mapped("failed_messages"))
        if odoo_messages and odoo_failed * 100 > settings["odoo_fail_percent"] * odoo_messages:
            summary = self.env._("DMARC: mail from Odoo's servers fails for %(domain)s", domain=self.domain)
            alerts.append(
                (
                    summary,
                    self.env._(
                        "%(failed)s of the %(messages)s messages Odoo's servers sent as %(domain)s failed DMARC in "
                        "the report of %(reporter)s (%(period)s): check the SPF and DKIM records of the domain.",
                        failed=odoo_failed,
                        messages=odoo_messages,
                        domain=self.domain,
                        reporter=self.org_name,
                        period=self._period(),
                    ),
                )
            )
        unknown = defaultdict(int)
        names = {}
        for row in self.row_ids.filtered(lambda row: row.source == "unknown"):
            unknown[row.source_ip] += row.messages
            names[row.source_ip] = row.reverse_name
        loud = {ip: count for ip, count in unknown.items() if count > settings["unknown_messages"]}
        if loud:
            summary = self.env._("DMARC: an unknown source sends as %(domain)s", domain=self.domain)
            sources = ", ".join(
                f"{ip} ({names[ip]}): {count}" if names[ip] else f"{ip}: {count}" for ip, count in loud.items()
            )
            alerts.append(
                (
                    summary,
                    self.env._(
                        "Sources no SPF record authorizes sent mail as %(domain)s in the report of %(reporter)s "
                        "(%(period)s), messages by source: %(sources)s. If one sends for you, authorize it in the "
                        "domain's SPF record or sign its mail with DKIM; if not, it is forging your domain.",
                        domain=self.domain,
                        reporter=self.org_name,
                        period=self._period(),
                        sources=sources,
                    ),
                )
            )
        for summary, text in alerts:
            link = Markup('<a href="#" data-oe-model="%s" data-oe-id="%s">%s</a>') % (self._name, self.id, self.name)
            check.message_post(body=Markup("%s<br/>%s") % (text, link), subtype_xmlid="mail.mt_note")
            # The text carries what a stranger wrote (the reporter's name, a reverse name): a to-do's note is HTML.
            check._schedule_admin_activity(summary, escape(text))

    def _period(self) -> str:
        # Reports cover days in UTC: the dates are shown as the reporter wrote them, one date for one day.
        begin, end = (format_date(self.env, moment.date()) for moment in (self.date_begin, self.date_end))
        return begin if begin == end else f"{begin} – {end}"

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
