from markupsafe import Markup, escape

from odoo import api, fields, models

from odoo.addons.mail_domain_health.maildns import BULK_SOURCES
from odoo.addons.mail_domain_health.tools.findings import render

# The stored level of a mailing against the bulk-sender rules, for lists and filters: a rule the DNS could not
# tell about is a warning (the mail may well fail), information is no warning.
BULK_LEVELS = [("pass", "Pass"), ("warn", "Warning"), ("fail", "Fail")]
LEVEL_OF_STATUS = {"pass": "pass", "info": "pass", "warn": "warn", "error": "warn", "fail": "fail"}
BADGE_CLASS = {
    "pass": "text-bg-success",
    "info": "text-bg-info",
    "warn": "text-bg-warning",
    "error": "text-bg-warning",
    "fail": "text-bg-danger",
}
# What changes which way the mailing's mail goes out, or the mail Odoo prepares for it: a save of these
# marks the stored verdict as out of date and hands the new check to the background.
BULK_INPUTS = {"email_from", "mail_server_id", "mailing_type", "mailing_model_id"}


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
        mailings = self.filtered(lambda mailing: mailing.mailing_type == "mail" and mailing.state != "done")
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
        mailings = self.filtered(lambda mailing: mailing.mailing_type == "mail")
        if not mailings or self.env.context.get("mail_domain_health_bulk_confirmed"):
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
        parts.append(self._mail_domain_health_receivers_html(verdict))
        rows = [self._mail_domain_health_rule_row(rule) for rule in verdict["rules"]]
        parts.append(
            Markup(
                '<table class="table table-sm o_mail_domain_health_bulk_rules"><thead><tr>'
                "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>%s</tbody></table>"
            )
            % (
                env._("Status"),
                env._("Rule"),
                env._("What was found, and the fix"),
                env._("Source"),
                Markup("").join(rows),
            )
        )
        if verdict["records_to_publish"]:
            lines = Markup("\n").join(
                escape(f"{record['name']}. {record['type']} {record['value']}")
                for record in verdict["records_to_publish"]
            )
            parts.append(
                Markup('<p class="mb-1">%s</p><pre class="small">%s</pre>')
                % (env._("Records to publish in the DNS of the From domain:"), lines)
            )
        checked = fields.Datetime.context_timestamp(self, self.mail_domain_health_bulk_checked_at)
        date = fields.Datetime.to_string(checked)
        note = env._("Checked on %(date)s.", date=date)
        if self._mail_domain_health_bulk_stale():
            note = env._("Checked on %(date)s, for another From or server: use Check now.", date=date)
        parts.append(Markup('<p class="text-muted small mb-0">%s</p>') % note)
        return Markup("").join(parts)

    def _mail_domain_health_rule_row(self, rule: dict) -> Markup:
        env = self.env
        status = rule["status"]
        labels = {
            "pass": env._("Pass"),
            "info": env._("Info"),
            "warn": env._("Warning"),
            "error": env._("Unknown"),
            "fail": env._("Fail"),
        }
        finding = rule["finding"]
        text = Markup("%s") % render(env, finding["code"], finding["params"], finding["message"])
        fix = rule.get("fix")
        if fix:
            text += Markup('<br/><span class="fw-bold">%s</span>') % render(
                env, fix["code"], fix["params"], fix["message"]
            )
        sources = Markup(", ").join(
            Markup('<a href="%s" target="_blank" rel="noopener noreferrer">%s</a>')
            % (BULK_SOURCES[source["key"]].url, self._mail_domain_health_source_label(source["key"]))
            for source in rule["sources"]
            if source["key"] in BULK_SOURCES
        )
        return Markup(
            '<tr data-rule="%s"><td><span class="badge %s">%s</span></td><td>%s</td><td>%s</td>'
            '<td class="small">%s</td></tr>'
        ) % (
            rule["rule"],
            BADGE_CLASS.get(status, "text-bg-secondary"),
            labels.get(status, status),
            render(env, f"bulk.rule.{rule['rule']}", {}),
            text,
            sources,
        )

    def _mail_domain_health_source_label(self, key: str) -> str:
        labels = {
            "google": "Google",
            "google_faq": self.env._("Google FAQ"),
            "yahoo": "Yahoo",
            "microsoft": "Microsoft",
            "rfc8058": "RFC 8058",
        }
        return labels.get(key, key)

    def _mail_domain_health_receivers_html(self, verdict: dict) -> Markup:
        """What Gmail, Yahoo and Outlook.com do with this mailing's mail, and why (the rules each holds against it)."""
        items = self._mail_domain_health_receiver_sentences(verdict)
        if not items:
            return Markup('<p class="text-success mb-2">%s</p>') % self.env._(
                "Gmail, Yahoo and Outlook.com find nothing to hold against this mailing's From and server."
            )
        return Markup('<ul class="text-danger mb-2">%s</ul>') % Markup("").join(
            Markup("<li>%s</li>") % item for item in items
        )

    def _mail_domain_health_receiver_sentences(self, verdict: dict) -> list[str]:
        env = self.env
        sentences = []
        for outcome in verdict.get("receivers", []):
            rules = ", ".join(render(env, f"bulk.rule.{rule}", {}) for rule in outcome["failed_rules"])
            sentences.append(env._("%(outcome)s: %(rules)s.", outcome=render(env, outcome["code"], {}), rules=rules))
        return sentences
