import logging
import time
from dataclasses import replace
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import email_normalize, format_datetime

from odoo.addons.mail_domain_health.maildns import (
    PROVIDERS,
    SELF_HOSTED,
    MailDNSError,
    Resolver,
    SendingPath,
    SmtpServer,
    check_bulk,
    detect_sender,
    resolver_addresses,
)
from odoo.addons.mail_domain_health.tools.check_settings import CheckSettings

from ..tools.bulk_panel import receivers_html, records_html, rules_table

_logger = logging.getLogger(__name__)

# The stored level of a mailing against the bulk-sender rules, for lists and filters: a rule the DNS could not
# tell about is a warning (the mail may well fail), information is no warning.
BULK_LEVELS = [("pass", "Pass"), ("warn", "Warning"), ("fail", "Fail")]
LEVEL_OF_STATUS = {"pass": "pass", "info": "pass", "warn": "warn", "error": "warn", "unknown": "warn", "fail": "fail"}
# What changes which way the mailing's mail goes out, or the mail Odoo prepares for it: a save of these
# marks the stored verdict as out of date and hands the new check to the background.
BULK_INPUTS = {"email_from", "mail_server_id", "mailing_type", "mailing_model_id"}

# Seconds the DNS gets while a person waits (Check now, Send, Schedule): the screen is free again within two
# seconds whatever the DNS does; what it did not answer in time is checked again in the background.
INTERACTIVE_BUDGET = 1.5
# Seconds one mailing's check may take in the background.
BACKGROUND_BUDGET = 15.0
# The nightly check looks again at the mailings still to be sent, checked longer ago than this.
RECHECK_AFTER = timedelta(hours=20)
# Mailings checked and committed at a time by the background check.
BATCH_SIZE = 20
# How the verdict names a server of one's own that no outgoing server record or host names.
UNKNOWN_SERVER = "your mail server"


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    mail_domain_health_bulk_level = fields.Selection(
        BULK_LEVELS,
        string="Bulk-sender rules",
        readonly=True,
        index=True,
        copy=False,
        help="How this mailing stands against the bulk-sender rules of Gmail, Yahoo and Outlook.com, for its From "
        "address and the server it goes out through, at the last check.",
    )
    mail_domain_health_bulk_result = fields.Json(readonly=True, copy=False)
    mail_domain_health_bulk_key = fields.Char(readonly=True, copy=False)
    mail_domain_health_bulk_checked_at = fields.Datetime(string="Rules checked on", readonly=True, copy=False)
    mail_domain_health_bulk_pending = fields.Boolean(string="Rules being checked", readonly=True, copy=False)
    mail_domain_health_bulk_html = fields.Html(
        string="Bulk-sender rules panel", compute="_compute_mail_domain_health_bulk_html", sanitize=False
    )

    @api.depends_context("lang")
    @api.depends("mail_domain_health_bulk_result", "mail_domain_health_bulk_pending")
    def _compute_mail_domain_health_bulk_html(self):
        for mailing in self:
            mailing.mail_domain_health_bulk_html = mailing._mail_domain_health_bulk_panel()

    @api.model_create_multi
    def create(self, vals_list):
        mailings = super().create(vals_list)
        mailings._mail_domain_health_bulk_queue()
        return mailings

    def write(self, vals):
        result = super().write(vals)
        if BULK_INPUTS & set(vals):
            self._mail_domain_health_bulk_queue()
        return result

    def _mail_domain_health_bulk_queue(self):
        """Hand the check of these mailings to the background: no DNS inside a save."""
        mailings = self.filtered(
            lambda mailing: mailing.mailing_type == "mail" and mailing.state in ("draft", "in_queue")
        )
        if not mailings:
            return
        mailings.sudo().write({"mail_domain_health_bulk_pending": True})
        self.env.ref("mail_domain_health_mass_mailing.ir_cron_check_pending_mailings").sudo()._trigger()

    # Before Send and Schedule

    def action_launch(self):
        confirmation = self._mail_domain_health_bulk_confirmation("launch")
        return confirmation or super().action_launch()

    def action_schedule(self):
        confirmation = self._mail_domain_health_bulk_confirmation("schedule")
        return confirmation or super().action_schedule()

    def _mail_domain_health_bulk_confirmation(self, action: str) -> dict | None:
        """The confirmation dialog when a mailing fails the bulk-sender rules, None to go on. A verdict out of
        date (another From or server since) is checked again first, within the interactive budget."""
        context = self.env.context
        # Only the form's buttons ask (they pass mail_domain_health_bulk_guard): code that launches mailings
        # (other modules, scripts) gets Odoo's behaviour, and no DNS.
        if not context.get("mail_domain_health_bulk_guard") or context.get("mail_domain_health_bulk_confirmed"):
            return None
        mailings = self.filtered(lambda mailing: mailing.mailing_type == "mail")
        if not mailings:
            return None
        stale = mailings.filtered(lambda mailing: mailing._mail_domain_health_bulk_stale())
        if stale:
            stale._mail_domain_health_bulk_check_now()
        failing = mailings.filtered(lambda mailing: mailing.mail_domain_health_bulk_level == "fail")
        if not failing:
            return None
        wizard = self.env["mailing.bulk.confirm"].create(
            {"mailing_ids": [fields.Command.set(self.ids)], "send_action": action}
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("This mailing breaks the bulk-sender rules"),
            "res_model": "mailing.bulk.confirm",
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_mail_domain_health_bulk_check(self):
        """Check now, from the panel: what the DNS answers within the interactive budget is shown at once."""
        self._mail_domain_health_bulk_check_now()
        return True

    # What the form shows

    def _mail_domain_health_bulk_stale(self) -> bool:
        self.ensure_one()
        return (
            not self.mail_domain_health_bulk_result
            or self.mail_domain_health_bulk_key != self._mail_domain_health_bulk_current_key()
        )

    def _mail_domain_health_bulk_panel(self) -> Markup | bool:
        self.ensure_one()
        env = self.env
        if self.mailing_type != "mail":
            return False
        result = self.mail_domain_health_bulk_result
        parts = []
        if self.mail_domain_health_bulk_pending:
            parts.append(
                Markup('<p class="text-info mb-2"><i class="fa fa-circle-o-notch fa-spin me-1"></i>%s</p>')
                % env._("Checking in the background… Use Check now, or reload, to see the result.")
            )
        if not result:
            if not self.mail_domain_health_bulk_pending:
                parts.append(Markup('<p class="text-muted">%s</p>') % env._("Not checked yet: use Check now."))
            return Markup("").join(parts)
        verdict = result["verdict"]
        parts.append(
            Markup('<p class="mb-2">%s</p>')
            % env._("From %(address)s, sent through %(server)s.", address=verdict["address"], server=result["server"])
        )
        parts += [receivers_html(env, verdict), rules_table(env, verdict), records_html(env, verdict)]
        # In the reader's own time zone and language format, not the server's ISO string.
        date = format_datetime(env, self.mail_domain_health_bulk_checked_at)
        note = env._("Checked on %(date)s.", date=date)
        if self._mail_domain_health_bulk_stale():
            note = env._("Checked on %(date)s, for another From or server: use Check now.", date=date)
        parts.append(Markup('<p class="text-muted small mb-0">%s</p>') % note)
        return Markup("").join(parts)

    # The real way out

    def _mail_domain_health_bulk_server(self):
        """The outgoing server record the mailing's mail goes out through (empty: the configuration file's
        server, or Odoo's) and the From it carries: the mailing's own server, else Odoo's choice as the main
        addon reads it (ir.mail_server._mail_domain_health_preview mirrors ir.mail_server._find_mail_server)."""
        self.ensure_one()
        if self.mail_server_id:
            return self.mail_server_id.sudo(), self.email_from
        preview = self.env["ir.mail_server"].sudo()._mail_domain_health_preview(self.email_from, self.env.company)
        return self.env["ir.mail_server"].sudo().browse(preview.server_id or []), preview.email_from

    def _mail_domain_health_bulk_current_key(self) -> str:
        """What the stored verdict must have been made for: the From as sent and the server with its settings."""
        server, email_from = self._mail_domain_health_bulk_server()
        parts = (
            email_normalize(email_from) or "",
            server.id or 0,
            server.smtp_host or "",
            server.smtp_encryption or "",
        )
        return "|".join(str(part) for part in parts)

    def _mail_domain_health_bulk_path(self, server, settings: CheckSettings, resolver: Resolver, deadline: float):
        """The SendingPath of the mailing's mail and the words naming it, for `server` (see above)."""
        Check = self.env["mail.domain.check"].sudo()
        if not server:
            detection = Check._detect_sender(settings, resolver)
            known = PROVIDERS.get(detection.provider_key)
            label = known.label if known else detection.host or UNKNOWN_SERVER
            return SendingPath(detection.provider or "unknown", None, tuple(detection.addresses), None), label
        detection = detect_sender(
            [SmtpServer(server.name, server.smtp_host, server.sequence)],
            None,
            hosted_by_odoo=False,
            resolve=resolver_addresses(resolver, deadline=deadline),
        )
        if detection.needs_addresses and settings.own_addresses:
            # The administrator gave the public addresses the local or private server sends from.
            detection = Check._detect_sender(replace(settings, provider=SELF_HOSTED), resolver)
        label = f"{server.name} ({server.smtp_host})"
        tls = server.smtp_encryption != "none"
        path = SendingPath(detection.provider or "unknown", server.smtp_host, tuple(detection.addresses), tls)
        return path, label

    def _mail_domain_health_unsubscribe_headers(self) -> dict | None:
        """The headers of a message of this mailing as Odoo really prepares it for sending (mass_mailing adds
        the one-click unsubscribe headers in mail.mail._prepare_outgoing_list): a mail is made, prepared, and
        rolled back. None when the mailing's recipients' model has no record to address it to."""
        self.ensure_one()
        recipient = self.env[self.mailing_model_real].sudo().search([], limit=1)
        if not recipient:
            return None
        with self.env.cr.savepoint() as savepoint:
            mail = (
                self.env["mail.mail"]
                .sudo()
                .create(
                    {
                        "mailing_id": self.id,
                        "model": self.mailing_model_real,
                        "res_id": recipient.id,
                        "email_from": self.email_from,
                        "email_to": "recipient@example.com",
                        "subject": self.subject or "",
                        "body_html": self.body_html or "<p></p>",
                        "mail_server_id": self.mail_server_id.id,
                    }
                )
            )
            outgoing = mail._prepare_outgoing_list()
            headers = {str(name): str(value) for name, value in (outgoing[0]["headers"] if outgoing else {}).items()}
            savepoint.rollback()
        return headers

    def _mail_domain_health_reported_messages(self, domain: str) -> dict[str, int]:
        """Messages each receiver reported for `domain` in the DMARC aggregate reports of the last 30 days."""
        since = fields.Datetime.now() - timedelta(days=30)
        groups = (
            self.env["mail.dmarc.report"]
            .sudo()
            ._read_group([("domain", "=", domain), ("date_end", ">=", since)], ["org_name"], ["messages:sum"])
        )
        return {org_name or "?": total for org_name, total in groups if total}

    # The checks

    def _mail_domain_health_bulk_check_now(self):
        """Check these mailings within the interactive budget; what the DNS did not answer in time goes on in the
        background."""
        unanswered = self._mail_domain_health_bulk_check(INTERACTIVE_BUDGET)
        unanswered._mail_domain_health_bulk_queue()

    def _mail_domain_health_bulk_check(self, budget: float):
        """Check each mailing (DNS first, then one write), and return those the DNS did not fully answer about."""
        settings = self.env["mail.domain.check"].sudo()._get_check_settings(with_sender=False)
        unanswered = self.browse()
        for mailing in self.filtered(lambda mailing: mailing.mailing_type == "mail"):
            started = time.monotonic()
            values = mailing._mail_domain_health_bulk_values(settings, budget)
            mailing.sudo().write(values)
            if values["mail_domain_health_bulk_level"] != "fail" and _unanswered(values):
                unanswered |= mailing
            _logger.info(
                "mail_domain_health_mass_mailing: mailing %s checked in %.3f s: %s",
                mailing.id,
                time.monotonic() - started,
                values["mail_domain_health_bulk_level"],
            )
        return unanswered

    def _mail_domain_health_bulk_values(self, settings: CheckSettings, budget: float) -> dict:
        self.ensure_one()
        deadline = time.monotonic() + budget
        resolver = Resolver(list(settings.nameservers) or None, timeout=min(settings.timeout, budget, 5.0))
        server, email_from = self._mail_domain_health_bulk_server()
        address = email_normalize(email_from)
        values = {
            "mail_domain_health_bulk_key": self._mail_domain_health_bulk_current_key(),
            "mail_domain_health_bulk_checked_at": fields.Datetime.now(),
            "mail_domain_health_bulk_pending": False,
        }
        try:
            path, label = self._mail_domain_health_bulk_path(server, settings, resolver, deadline)
            verdict = check_bulk(
                address or email_from or "",
                path,
                dkim_selectors=settings.dkim_selectors,
                resolver=resolver,
                timeout=max(deadline - time.monotonic(), 0.1),
                unsubscribe_headers=self._mail_domain_health_unsubscribe_headers(),
                reported_messages=self._mail_domain_health_reported_messages(address.rpartition("@")[2])
                if address
                else None,
            )
        except MailDNSError as error:
            # A From that is no address: nothing can be sent from it, and the form says why.
            return {
                **values,
                "mail_domain_health_bulk_level": "fail",
                "mail_domain_health_bulk_result": {"error": str(error), "server": "", "verdict": None},
            }
        data = verdict.to_dict()
        return {
            **values,
            "mail_domain_health_bulk_level": LEVEL_OF_STATUS[data["status"]],
            "mail_domain_health_bulk_result": {"server": label, "verdict": data},
        }

    @api.model
    def _cron_mail_domain_health_bulk_check(self):
        """The background check: the mailings whose save asked for one, and each night those still to be sent,
        in batches committed one after the other, so that no transaction waits on the DNS for long."""
        recent = fields.Datetime.now() - RECHECK_AFTER
        mailings = self.search(
            [
                ("mailing_type", "=", "mail"),
                ("state", "in", ("draft", "in_queue")),
                "|",
                "|",
                ("mail_domain_health_bulk_pending", "=", True),
                ("mail_domain_health_bulk_checked_at", "=", False),
                ("mail_domain_health_bulk_checked_at", "<", recent),
            ],
            order="mail_domain_health_bulk_pending desc, id",
        )
        remaining = len(mailings)
        for start in range(0, len(mailings), BATCH_SIZE):
            batch = mailings[start : start + BATCH_SIZE]
            batch._mail_domain_health_bulk_check(BACKGROUND_BUDGET)
            remaining -= len(batch)
            if not self.env["ir.cron"]._commit_progress(len(batch), remaining=remaining):
                break


def _unanswered(values: dict) -> bool:
    """Whether a rule of the stored verdict is unknown for want of a DNS answer."""
    verdict = (values.get("mail_domain_health_bulk_result") or {}).get("verdict") or {}
    return any(rule["status"] == "error" for rule in verdict.get("rules", []))
