import base64
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import email_normalize, split_every

from ..maildns import ReportError, parse_report
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
    report_files,
    report_values,
    row_values,
)
from .mail_thread import ORIGINAL_MESSAGE

_logger = logging.getLogger(__name__)


ALIAS_NAME = "dmarc-reports"
ROWS_PER_BATCH = 1000


def _file_name(attachment) -> str:
    # The name report_files() gives a file, to tell the attachments that were read.
    return (attachment[0] or "attachment")[:200]


class MailDmarcReport(models.Model):
    """Receiving reports: Odoo's mail gateway, through the alias that Settings › Receive DMARC reports creates;
    what a stranger may send there, and what one sender may cost."""

    _inherit = "mail.dmarc.report"

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
                # The alias domain that received the report, whichever company uses it.
                *(ascii_or_none(name) for name in alias_domains.mapped("name")),
                *companies._mail_domain_health_domains(),
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
