from datetime import timedelta

from odoo import fields, models
from odoo.tools import formatLang


class MailDomainCheck(models.Model):
    """What receivers saw of a domain's mail: the totals of their DMARC aggregate reports."""

    _inherit = "mail.domain.check"

    # What receivers saw: their DMARC aggregate reports about the domain.
    dmarc_report_ids = fields.One2many("mail.dmarc.report", "check_id", string="DMARC reports")
    dmarc_messages_7d = fields.Integer(string="Messages (7 days)", compute="_compute_dmarc_totals")
    dmarc_pass_rate_7d = fields.Float(string="DMARC pass (7 days)", compute="_compute_dmarc_totals")
    dmarc_messages_30d = fields.Integer(string="Messages (30 days)", compute="_compute_dmarc_totals")
    dmarc_pass_rate_30d = fields.Float(string="DMARC pass (30 days)", compute="_compute_dmarc_totals")
    dmarc_odoo_messages_7d = fields.Integer(string="Odoo's messages (7 days)", compute="_compute_dmarc_totals")
    dmarc_odoo_pass_rate_7d = fields.Float(string="Odoo's DMARC pass (7 days)", compute="_compute_dmarc_totals")
    dmarc_summary = fields.Char(string="What receivers saw", compute="_compute_dmarc_totals")

    def _compute_dmarc_totals(self):
        # Totals of the reports' rows, which only Settings administrators read: the reader of a check may see them.
        Row = self.env["mail.dmarc.report.row"].sudo()
        today = fields.Date.context_today(self)
        totals = {}
        for key, days, extra in (("7d", 7, []), ("30d", 30, []), ("odoo_7d", 7, [("sent_by_odoo", "=", True)])):
            groups = Row._read_group(
                # Only what verified reporters said: anyone can send a report.
                [
                    ("check_id", "in", self.ids),
                    ("verified", "=", True),
                    ("date", ">", today - timedelta(days=days)),
                    *extra,
                ],
                ["check_id"],
                ["messages:sum", "passed_messages:sum"],
            )
            totals[key] = {check.id: (messages, passed) for check, messages, passed in groups}
        for check in self:
            (messages, passed), (messages_30, passed_30), (odoo, odoo_passed) = (
                totals[key].get(check.id, (0, 0)) for key in ("7d", "30d", "odoo_7d")
            )
            check.dmarc_messages_7d, check.dmarc_messages_30d, check.dmarc_odoo_messages_7d = (
                messages,
                messages_30,
                odoo,
            )
            check.dmarc_pass_rate_7d = passed / messages if messages else 0.0
            check.dmarc_pass_rate_30d = passed_30 / messages_30 if messages_30 else 0.0
            check.dmarc_odoo_pass_rate_7d = odoo_passed / odoo if odoo else 0.0
            check.dmarc_summary = check._dmarc_sentence(messages, passed, odoo, odoo_passed)

    def _dmarc_sentence(self, messages: int, passed: int, odoo: int, odoo_passed: int) -> str | bool:
        """98.2% of 12,340 messages passed DMARC in the last 7 days; Odoo's servers 100%"""
        if not messages:
            return False
        sentence = self.env._(
            "%(rate)s%% of %(messages)s messages passed DMARC in the last 7 days",
            rate=self._format_percent(passed / messages),
            messages=formatLang(self.env, messages, digits=0),
        )
        if odoo:
            sentence = self.env._(
                "%(sentence)s; Odoo's servers %(rate)s%%",
                sentence=sentence,
                rate=self._format_percent(odoo_passed / odoo),
            )
        return sentence

    def _format_percent(self, share: float) -> str:
        """A share as a percentage in the reader's language, with one decimal unless it is whole: 98.2, 100."""
        percent = round(share * 100, 1)
        return formatLang(self.env, percent, digits=0 if percent.is_integer() else 1)

    def action_open_dmarc_rows(self):
        """What receivers saw of this domain's mail, day by day (the graph of report rows)."""
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("mail_domain_health.mail_dmarc_report_row_action")
        action["domain"] = [("check_id", "=", self.id)]
        action["context"] = {"search_default_last_30_days": 1}
        return action
