import base64
import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..maildns import attribute_ips, verify_report_message
from ..tools.dmarc_reports import SENDER_SOURCE, attribution_values

_logger = logging.getLogger(__name__)

# Source IPs attributed per step of the scheduled action: their DNS questions take seconds, not minutes.
IPS_PER_BATCH = 200
# Report messages whose DKIM signatures are verified per step: a key each, mostly the same few reporters'.
REPORTS_PER_BATCH = 50


class MailDmarcReport(models.Model):
    """What the reports say, once received: the reporter's signature verified, the sources attributed, and the
    alerts they may raise."""

    _inherit = "mail.dmarc.report"

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
        sender = SENDER_SOURCE.get(check_settings.sender.provider, check_settings.sender.provider)
        spec = check_settings.sender.spec
        own_ips = spec.removeprefix("ip:").split(",") if spec.startswith("ip:") else []
        resolver = Check._new_resolver(check_settings)
        cron = self.env["ir.cron"]
        if not self._verify_pending_reports(resolver, check_settings.timeout):
            return
        while pending := self._pending_sources(IPS_PER_BATCH):
            if not cron._commit_progress(remaining=self._pending_source_count()):
                break
            attributions = attribute_ips(pending, resolver=resolver, own_ips=own_ips, timeout=check_settings.timeout)
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
