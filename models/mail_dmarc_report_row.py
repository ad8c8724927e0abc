from odoo import fields, models

from ..tools.dmarc_reports import SOURCES


class MailDmarcReportRow(models.Model):
    """One row of a DMARC aggregate report: what a receiver saw from one source IP on one day, and who that
    source is."""

    _name = "mail.dmarc.report.row"
    _description = "DMARC Aggregate Report Row"
    _order = "date desc, report_id, messages desc, id"
    _rec_name = "source_ip"

    report_id = fields.Many2one("mail.dmarc.report", required=True, index=True, ondelete="cascade")
    # The report's, copied when the rows are created (a report never changes): the graphs and the totals group
    # rows by them without a join, and 100,000 rows are created without computing them.
    check_id = fields.Many2one("mail.domain.check", string="Domain check", index=True, ondelete="set null")
    domain = fields.Char(string="Reported domain", index=True)
    org_name = fields.Char(string="Reporter")
    # The report's first day: rows are counted by day in the graphs.
    date = fields.Date(required=True, index=True)
    source_ip = fields.Char(string="Source IP", required=True, index=True)
    messages = fields.Integer(help="Messages from this source that shared these results.")
    passed_messages = fields.Integer(string="Passed", help="Messages that passed DMARC (an aligned DKIM or SPF pass).")
    failed_messages = fields.Integer(string="Failed", help="Messages that failed DMARC.")
    # Keys that sort passing before failing: the graph draws its first series in the palette's blue, and the
    # failing mail in its red.
    result = fields.Selection([("pass", "Passed"), ("unauthenticated", "Failed")], string="DMARC", required=True)
    disposition = fields.Char(help="What the receiver did with the messages: none, quarantine or reject.")
    dkim = fields.Char(string="DKIM aligned", help="The DMARC-aligned DKIM result, as the receiver evaluated it.")
    spf = fields.Char(string="SPF aligned", help="The DMARC-aligned SPF result, as the receiver evaluated it.")
    header_from = fields.Char(string="From domain")
    envelope_from = fields.Char(string="Envelope From domain")
    envelope_to = fields.Char(string="Envelope To domain")
    auth_results = fields.Json(string="Authentication results")
    reasons = fields.Json(string="Policy overrides", help="Why the receiver applied another disposition.")
    source = fields.Selection(
        SOURCES,
        string="Sender",
        required=True,
        default="pending",
        index=True,
        help="Who sends from this IP, by the SPF records that authorize it: a provider, the own servers, the "
        "domain's SPF record, or nobody known (a forgotten sender, or spoofing).",
    )
    authorized_by = fields.Char(help="The SPF domain whose record authorizes the IP.")
    reverse_name = fields.Char(help="The IP's reverse DNS name.")
    reverse_confirmed = fields.Boolean(help="The reverse name resolves back to the IP.")
    verified = fields.Boolean(
        string="Verified reporter",
        index=True,
        help="The report's message was signed by its reporter: only these rows count in the totals.",
    )
    sent_by_odoo = fields.Boolean(
        string="Odoo's servers",
        index=True,
        help="Sent by the servers Odoo sends its mail through (the sending provider of the Domain Health settings).",
    )
