from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.bulk_panel import failing_fixes, receiver_sentences


class MailingBulkConfirm(models.TransientModel):
    """The confirmation a mailing that fails the bulk-sender rules asks for before Send or Schedule: what Gmail,
    Yahoo and Outlook.com will do with its mail, and why."""

    _name = "mailing.bulk.confirm"
    _description = "Confirm a mailing that breaks the bulk-sender rules"

    mailing_ids = fields.Many2many("mailing.mailing", string="Mailings", required=True)
    send_action = fields.Selection([("launch", "Send"), ("schedule", "Schedule")], required=True)
    consequences = fields.Html(compute="_compute_consequences", sanitize=False)

    @api.depends("mailing_ids")
    def _compute_consequences(self):
        for wizard in self:
            parts = []
            for mailing in wizard.mailing_ids.filtered(lambda m: m.mail_domain_health_bulk_level == "fail"):
                result = mailing.mail_domain_health_bulk_result or {}
                verdict = result.get("verdict")
                if not verdict:
                    parts.append(Markup("<p>%s</p>") % (result.get("error") or mailing.subject or ""))
                    continue
                sentences = receiver_sentences(self.env, verdict)
                fixes = failing_fixes(self.env, verdict)
                parts.append(
                    Markup('<p class="fw-bold">%s</p><ul class="text-danger">%s</ul><p>%s</p><ul>%s</ul>')
                    % (
                        self.env._(
                            "%(subject)s, from %(address)s through %(server)s:",
                            subject=mailing.subject or mailing.display_name,
                            address=verdict["address"],
                            server=result.get("server") or "",
                        ),
                        Markup("").join(Markup("<li>%s</li>") % sentence for sentence in sentences),
                        self.env._("To fix before sending:"),
                        Markup("").join(Markup("<li>%s</li>") % fix for fix in fixes),
                    )
                )
            wizard.consequences = Markup("").join(parts)

    def action_confirm(self):
        """Send or schedule all the same, as the button clicked would have."""
        self.ensure_one()
        mailings = self.mailing_ids.with_context(mail_domain_health_bulk_confirmed=True)
        if self.send_action == "launch":
            return mailings.action_launch()
        if self.send_action == "schedule":
            return mailings.action_schedule()
        raise UserError(self.env._("Nothing to confirm."))
