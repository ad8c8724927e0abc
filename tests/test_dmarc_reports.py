"""DMARC aggregate reports received through Odoo's mail gateway, end to end.

The reports are the engine's samples (tests/engine/reports/), as reporters package them, in real RFC 5322
messages fed to mail.thread.message_process; their sources are attributed by the scheduled action against
Knot serving tests/zones/ (Odoo's, Google's and Microsoft's SPF includes, the shop's own SPF record and
reverse names).
"""

import base64
import gzip
import io
import re
import zipfile
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import dkim
from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.mail_domain_health.maildns.aggregate import Attribution
from odoo.addons.mail_domain_health.maildns.providers import PROVIDERS, UNKNOWN_SENDER
from odoo.addons.mail_domain_health.tools.dmarc_reports import SENDER_SOURCE, SOURCES, attribution_values

from .common import serve_test_zones

REPORTS = Path(__file__).resolve().parent / "engine" / "reports"
SIGNING_KEY = Path(__file__).resolve().parent / "keys" / "dmarc-reporter.pem"
DOMAIN = "shop.reports.test"
ALIAS = f"dmarc-reports@{DOMAIN}"


def sample_xml(name: str, *, days_ago: int | None = None, report_id: str | None = None) -> bytes:
    """A sample report's XML; with `days_ago`, dated that many days before today (UTC), as a fresh report is."""
    xml = (REPORTS / "xml" / f"{name}.xml").read_bytes()
    if days_ago is not None:
        begin = datetime.combine(datetime.now(UTC).date() - timedelta(days=days_ago), time(), UTC)
        start = int(begin.timestamp())
        xml = re.sub(rb"<begin>\d+</begin>", b"<begin>%d</begin>" % start, xml)
        xml = re.sub(rb"<end>\d+</end>", b"<end>%d</end>" % (start + 86399), xml)
    if report_id is not None:
        xml = re.sub(rb"<report_id>[^<]*</report_id>", b"<report_id>%s</report_id>" % report_id.encode(), xml)
    return xml


def report_message(
    files: list[tuple[str, bytes, str]],
    *,
    to: str = ALIAS,
    sender: str = "noreply-dmarc-support@google.com",
    body: str = "This is an aggregate report from google.com.",
    message_id: str | None = None,
    signer: str | None = "google.com",
) -> bytes:
    """An RFC 5322 message as reporters send them: a short text, and each file (name, content, type) attached;
    DKIM-signed by `signer` with the test key its zone publishes (google.com and reports.test do), unless None."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f"Report domain: {DOMAIN} Submitter: google.com"
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id or make_msgid(domain="google.com")
    message.set_content(body)
    for name, data, content_type in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    raw = message.as_bytes()
    if signer is None:
        return raw
    return dkim_signature(raw, signer) + raw


def dkim_signature(raw: bytes, signer: str) -> bytes:
    return dkim.sign(
        raw,
        b"reporter",
        signer.encode(),
        SIGNING_KEY.read_bytes(),
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
    )


def gzipped_report(name: str = "yahoo", **options) -> list[tuple[str, bytes, str]]:
    data = gzip.compress(sample_xml(name, **options), mtime=0)
    return [(f"yahoo.com!{DOMAIN}!1736899200!1736985599.xml.gz", data, "application/gzip")]


class DmarcReportCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.proxy = serve_test_zones(cls)
        cls.company = cls.env.company
        cls.company.alias_domain_id = cls.env["mail.alias.domain"].create({"name": DOMAIN})
        cls.alias = cls.company._create_dmarc_alias(cls.env["mail.alias"].sudo())
        cls.admin = new_test_user(cls.env, login="mdh_dmarc_admin", groups="base.group_system")
        cls.internal = new_test_user(cls.env, login="mdh_dmarc_internal", groups="base.group_user")
        cls.Report = cls.env["mail.dmarc.report"]
        cls.Row = cls.env["mail.dmarc.report.row"]
        cls.cron = cls.env.ref("mail_domain_health.ir_cron_attribute_dmarc_sources")

    def receive(self, raw: bytes):
        """The mail gateway's entry point, as fetchmail and the mailgate script call it."""
        self.env["mail.thread"].message_process("mail.dmarc.report", raw)
        return self.Report.search([], order="id desc")

    def attribute(self):
        with self.enter_registry_test_mode():
            self.cron.method_direct_trigger()
        self.env.invalidate_all()

    def by_org(self, org_name: str):
        return self.Report.search([("org_name", "=", org_name)])


@tagged("post_install", "-at_install")
class TestReceivingReports(DmarcReportCase):
    def test_a_gzipped_report_mailed_to_the_alias_becomes_a_report_with_its_rows(self):
        self.receive(report_message(gzipped_report(days_ago=1)))
        report = self.by_org("Yahoo")
        self.assertEqual(len(report), 1)
        self.assertEqual((report.state, report.report_id, report.domain), ("ok", "1736985600.408816", DOMAIN))
        self.assertEqual((report.messages, report.passed_messages), (52, 49))
        self.assertAlmostEqual(report.pass_rate, 49 / 52)
        self.assertEqual((report.policy_p, report.policy_pct), ("none", 100))
        self.assertEqual(report.check_id.name, DOMAIN, "the report is linked to its domain's check")
        self.assertEqual(report.date_begin.date(), fields.Date.today() - timedelta(days=1))
        rows = report.row_ids.sorted("messages", reverse=True)
        self.assertEqual(rows.mapped("source_ip"), ["149.202.206.10", "209.85.220.41", "198.51.100.66"])
        self.assertEqual(rows.mapped("messages"), [42, 7, 3])
        self.assertEqual(rows.mapped("result"), ["pass", "pass", "unauthenticated"])
        self.assertEqual(set(rows.mapped("date")), {fields.Date.today() - timedelta(days=1)})
        self.assertEqual(rows[0].auth_results[-1]["method"], "spf")
        # The gateway posted the message, with its file, on the report.
        (message,) = report.message_ids.filtered(lambda message: message.message_type == "email")
        self.assertEqual(message.attachment_ids.mapped("name"), [f"yahoo.com!{DOMAIN}!1736899200!1736985599.xml.gz"])
        self.assertEqual(message.email_from, "noreply-dmarc-support@google.com")

    def test_the_same_report_again_creates_nothing(self):
        raw = report_message(gzipped_report(days_ago=1))
        self.receive(raw)
        self.attribute()
        counts = (self.Report.search_count([]), self.Row.search_count([]))
        # Delivered twice (the same message), then resent by the reporter (a new message, the same report).
        self.receive(raw)
        self.receive(report_message(gzipped_report(days_ago=1)))
        self.assertEqual((self.Report.search_count([]), self.Row.search_count([])), counts)
        report = self.by_org("Yahoo")
        self.assertEqual(report.messages, 52, "a resent report counts once")
        self.assertEqual(len(report.message_ids.filtered(lambda message: message.message_type == "email")), 2)

    def test_every_reporters_message_as_it_was_sent_is_read(self):
        # The samples are addressed to the shop's own address: the gateway routes them to the model given.
        expected = {
            "google.eml": [("google.com", 193, 129)],
            "aol.eml": [("AOL", 5, 5)],
            "microsoft.eml": [("Enterprise Outlook", 47, 43)],
            "rfc9990.eml": [("mail.receiver.test", 33, 27)],
            "exchange.eml": [("Example Receiver", 3, 3), ("Enterprise Outlook", 47, 43)],
        }
        for name, reports in expected.items():
            with self.subTest(sample=name):
                self.receive((REPORTS / name).read_bytes())
                # The samples are not signed: a second copy of an unverified report goes once that is known.
                self.attribute()
                for org_name, messages, passed in reports:
                    found = self.by_org(org_name)
                    self.assertEqual((len(found), found.state), (1, "ok"))
                    self.assertEqual((found.messages, found.passed_messages), (messages, passed))
        # The Exchange message resends Microsoft's report: it is there once.
        self.assertEqual(self.Report.search_count([("state", "=", "ok")]), 5)
        rfc9990 = self.by_org("mail.receiver.test")
        self.assertEqual(
            (rfc9990.report_format, rfc9990.policy_np, rfc9990.generator),
            ("rfc9990", "reject", "Example DMARC Reporter 2.1"),
        )

    def test_a_report_written_in_the_message_text_is_read(self):
        self.receive(report_message([], body=sample_xml("aol", days_ago=2).decode()))
        report = self.by_org("AOL")
        self.assertEqual((report.state, report.messages), ("ok", 5))

    def test_a_report_sent_as_text_xml_is_read(self):
        self.receive(report_message([("report.xml", sample_xml("receiver", days_ago=1), "text/xml")]))
        self.assertEqual(self.by_org("Example Receiver").messages, 3)

    def test_a_broken_report_is_kept_with_its_file_and_the_reason(self):
        data = gzip.compress(sample_xml("yahoo"), mtime=0)[:-40]
        self.receive(report_message([("yahoo.xml.gz", data, "application/gzip")]))
        (failed,) = self.Report.search([("state", "=", "failed")])
        self.assertIn("truncated", failed.failure_reason)
        self.assertEqual(base64.b64decode(failed.raw_file), data)
        self.assertEqual(failed.raw_filename, "yahoo.xml.gz")
        self.assertEqual(failed.name, f"Report domain: {DOMAIN} Submitter: google.com")
        self.assertFalse(failed.row_ids)

    def test_a_message_with_no_report_is_kept_with_the_reason(self):
        self.receive(report_message([("logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")]))
        self.receive(report_message([], body="Hello, please find our report attached."))
        failed = self.Report.search([("state", "=", "failed")])
        self.assertEqual(len(failed), 2)
        self.assertTrue(all("holds no report" in reason for reason in failed.mapped("failure_reason")))
        self.assertEqual(sorted(failed.mapped("raw_filename")), ["logo.png", "message.html"])

    def test_a_message_with_a_good_and_a_broken_report_keeps_both(self):
        files = gzipped_report(days_ago=1) + [("other.xml", b"<feedback><report_metadata>", "application/xml")]
        self.receive(report_message(files))
        self.assertEqual(self.Report.search([]).mapped("state").count("ok"), 1)
        (failed,) = self.Report.search([("state", "=", "failed")])
        self.assertEqual(failed.raw_filename, "other.xml")

    def test_what_a_file_held_that_is_no_report_is_left_out_and_said_so_on_the_report(self):
        xml = sample_xml("yahoo", days_ago=1).replace(b"<source_ip>", b"<source_ip>not-an-ip", 1)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("report.xml", xml)
            archive.writestr("__MACOSX/._report.xml", b"\x00\x05\x16\x07Mac OS X")
        self.receive(report_message([("report.zip", buffer.getvalue(), "application/zip")]))
        report = self.by_org("Yahoo")
        self.assertEqual((report.state, len(report.row_ids), report.messages), ("ok", 2, 10))
        self.assertEqual(
            report.skipped_parts.splitlines(),
            [
                "record 1: source_ip 'not-an-ip149.202.206.10' is not an IP address",
                "zip member __MACOSX/._report.xml: it is a macOS resource fork, not a file (__MACOSX)",
            ],
        )

    def test_many_reports_from_one_reporter_are_not_taken_for_a_mail_loop(self):
        # Odoo's gateway ignores a sender who made 20 records in two hours, unless the model says otherwise.
        for index in range(25):
            self.receive(report_message(gzipped_report(days_ago=1, report_id=f"loop-{index}")))
        self.assertEqual(self.Report.search_count([("report_id", "=like", "loop-%")]), 25)


@tagged("post_install", "-at_install")
class TestAttributionAndAlerts(DmarcReportCase):
    def test_sources_are_attributed_by_the_scheduled_action_the_gateway_triggers(self):
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])
        self.receive(report_message([("google.xml", sample_xml("google", days_ago=1), "application/xml")]))
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]), triggers + 1)
        report = self.by_org("google.com")
        self.assertEqual(set(report.row_ids.mapped("source")), {"pending"}, "no DNS in the gateway's transaction")
        self.assertFalse(report.attributed)
        self.attribute()
        by_ip = {row.source_ip: row for row in report.row_ids}
        self.assertEqual(
            {ip: (row.source, row.reverse_name or False, row.sent_by_odoo) for ip, row in by_ip.items()},
            {
                "149.202.206.10": ("odoo", False, True),
                "198.51.100.10": ("unknown", "mailer.reports.test", False),
                "209.85.220.69": ("google", False, False),
                "198.51.100.20": ("domain", False, False),
            },
        )
        self.assertTrue(by_ip["198.51.100.10"].reverse_confirmed)
        self.assertEqual(by_ip["149.202.206.10"].authorized_by, "_spf.odoo.com")
        self.assertTrue(report.attributed)

    def test_a_failing_odoo_source_posts_on_the_check_and_gives_the_admins_a_todo(self):
        xml = sample_xml("google", days_ago=1)
        # Odoo's servers' 118 messages failed both DKIM and SPF alignment.
        failing = xml.replace(
            b"<dkim>pass</dkim>\n        <spf>pass</spf>", b"<dkim>fail</dkim>\n        <spf>fail</spf>", 1
        )
        self.assertNotEqual(failing, xml)
        self.receive(report_message([("google.xml", failing, "application/xml")]))
        self.attribute()
        check = self.by_org("google.com").check_id
        notes = check.message_ids.filtered(lambda message: "failed DMARC" in (message.body or ""))
        self.assertEqual(len(notes), 1)
        self.assertIn("118 of the 118 messages Odoo's servers sent as shop.reports.test failed DMARC", notes.body)
        activities = check.activity_ids.filtered(lambda activity: "Odoo's servers fails" in activity.summary)
        self.assertIn(self.admin, activities.user_id)
        self.assertNotIn(self.internal, activities.user_id)
        self.assertEqual(activities.activity_type_id, self.env.ref("mail.mail_activity_data_todo"))

    def test_a_report_where_odoo_passes_and_unknown_sources_are_few_raises_no_alert(self):
        # Yahoo: Odoo's servers pass, and an unknown source sent 3 messages, under the 20 that alert.
        self.receive(report_message(gzipped_report(days_ago=1)))
        self.attribute()
        check = self.by_org("Yahoo").check_id
        self.assertFalse(check.activity_ids)
        self.assertFalse(check.message_ids.filtered(lambda message: "DMARC" in (message.body or "")))

    def test_an_unknown_source_over_the_threshold_alerts_once_per_open_todo(self):
        # Google: a newsletter service no SPF record authorizes sent 64 messages.
        self.receive(report_message([("google.xml", sample_xml("google", days_ago=2), "application/xml")]))
        self.attribute()
        check = self.by_org("google.com").check_id
        (note,) = check.message_ids.filtered(lambda message: "no SPF record authorizes" in (message.body or ""))
        self.assertIn("198.51.100.10 (mailer.reports.test): 64", note.body)
        todos = check.activity_ids.filtered(lambda activity: activity.user_id == self.admin)
        self.assertEqual(len(todos), 1)
        # The next day's report says the same: a second note, but no second to-do while the first is open.
        xml = sample_xml("google", days_ago=1, report_id="next-day")
        self.receive(report_message([("google.xml", xml, "application/xml")]))
        self.attribute()
        notes = check.message_ids.filtered(lambda message: "no SPF record authorizes" in (message.body or ""))
        self.assertEqual(len(notes), 2)
        self.assertEqual(check.activity_ids.filtered(lambda activity: activity.user_id == self.admin), todos)

    def test_the_thresholds_are_settings(self):
        self.env["res.config.settings"].create({"mail_domain_health_dmarc_unknown_messages": 100}).execute()
        self.receive(report_message([("google.xml", sample_xml("google", days_ago=1), "application/xml")]))
        self.attribute()
        self.assertFalse(self.by_org("google.com").check_id.activity_ids)

    def test_no_row_is_taken_for_odoos_while_its_sending_servers_are_unknown(self):
        unknown = Attribution("192.0.2.1", "unknown", "unknown")
        self.assertFalse(attribution_values(unknown, SENDER_SOURCE[UNKNOWN_SENDER])["sent_by_odoo"])
        self.assertTrue(attribution_values(Attribution("192.0.2.1", "own", "own servers"), "own")["sent_by_odoo"])

    def test_every_provider_the_engine_attributes_is_a_sender_of_the_rows(self):
        self.assertLessEqual(set(PROVIDERS), {key for key, _label in SOURCES})


@tagged("post_install", "-at_install")
class TestWhatReceiversSaw(DmarcReportCase):
    def test_messages_and_pass_rates_over_7_and_30_days_and_the_settings_sentence(self):
        self.receive(report_message([("google.xml", sample_xml("google", days_ago=1), "application/xml")]))
        self.receive(report_message(gzipped_report(days_ago=3)))
        self.receive(report_message([("aol.xml", sample_xml("aol", days_ago=20), "application/xml")]))
        self.attribute()
        check = self.env["mail.domain.check"].search([("name", "=", DOMAIN)])
        self.assertEqual((check.dmarc_messages_7d, check.dmarc_messages_30d), (193 + 52, 193 + 52 + 5))
        self.assertAlmostEqual(check.dmarc_pass_rate_7d, (129 + 49) / 245)
        self.assertAlmostEqual(check.dmarc_pass_rate_30d, (129 + 49 + 5) / 250)
        self.assertEqual((check.dmarc_odoo_messages_7d, check.dmarc_odoo_pass_rate_7d), (118 + 42, 1.0))
        self.assertEqual(
            check.dmarc_summary, "72.7% of 245 messages passed DMARC in the last 7 days; Odoo's servers 100%"
        )
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.mail_domain_health_dmarc_summary, check.dmarc_summary)
        self.assertEqual(settings.mail_domain_health_dmarc_address, ALIAS)

    def test_the_row_graph_counts_messages_a_day_passing_against_failing(self):
        self.receive(report_message([("google.xml", sample_xml("google", days_ago=1), "application/xml")]))
        self.receive(report_message(gzipped_report(days_ago=1)))
        groups = self.Row._read_group([], ["date:day", "result"], ["messages:sum"])
        yesterday = fields.Date.today() - timedelta(days=1)
        # Passing first: the graph's first series, in blue; failing second, in red.
        self.assertEqual(groups, [(yesterday, "pass", 129 + 49), (yesterday, "unauthenticated", 64 + 3)])
        arch = etree.fromstring(
            self.Row.get_view(self.env.ref("mail_domain_health.mail_dmarc_report_row_view_graph").id, "graph")["arch"]
        )
        self.assertEqual(
            [(node.get("name"), node.get("interval"), node.get("type")) for node in arch.xpath("//field")],
            [("date", "day", None), ("result", None, None), ("messages", None, "measure")],
        )
        pivot = etree.fromstring(self.Row.get_view(False, "pivot")["arch"])
        self.assertEqual(
            [node.get("name") for node in pivot.xpath("//field[@type='row' or @type='col']")],
            ["source", "source_ip", "disposition"],
        )

    def test_the_check_form_has_a_tab_of_what_receivers_saw(self):
        arch = etree.fromstring(self.env["mail.domain.check"].get_view(False, "form")["arch"])
        (page,) = arch.xpath("//notebook/page[@name='dmarc_reports']")
        self.assertEqual(page.get("string"), "What receivers saw")
        self.assertTrue(page.xpath(".//field[@name='dmarc_report_ids']"))
        self.assertTrue(page.xpath(".//button[@name='action_open_dmarc_rows']"))
        check = self.env["mail.domain.check"]._get_or_create([DOMAIN])
        action = check.action_open_dmarc_rows()
        self.assertEqual(
            (action["res_model"], action["domain"]), ("mail.dmarc.report.row", [("check_id", "=", check.id)])
        )

    def test_the_settings_line_sits_in_the_domain_health_block(self):
        arch = etree.fromstring(self.env["res.config.settings"].get_view(False, "form")["arch"])
        (line,) = arch.xpath("//setting[@id='mail_domain_health_setting']//div[@name='mail_domain_health_receivers']")
        names = {node.get("name") for node in line.xpath(".//field")}
        self.assertLessEqual(
            {
                "mail_domain_health_dmarc_reports",
                "mail_domain_health_dmarc_address",
                "mail_domain_health_dmarc_summary",
                "mail_domain_health_dmarc_odoo_fail_percent",
                "mail_domain_health_dmarc_unknown_messages",
                "mail_domain_health_dmarc_keep_days",
            },
            names,
        )


@tagged("post_install", "-at_install")
class TestReceiveSetting(DmarcReportCase):
    def settings(self, company, **values):
        with self.enter_registry_test_mode():
            self.env["res.config.settings"].with_company(company).create(values).execute()
        self.env.invalidate_all()

    def test_turning_it_on_creates_the_alias_and_the_dmarc_record_to_publish_carries_it(self):
        company = self.env["res.company"].create(
            {
                "name": "Agreed Ltd",
                "alias_domain_id": self.env["mail.alias.domain"].create({"name": "self.reports.test"}).id,
            }
        )
        self.assertFalse(company.mail_dmarc_reports)
        self.settings(company, mail_domain_health_dmarc_reports=True)
        alias = company.mail_dmarc_alias_id
        self.assertEqual(alias.alias_full_name, "dmarc-reports@self.reports.test")
        self.assertEqual((alias.alias_model_id.model, alias.alias_contact), ("mail.dmarc.report", "everyone"))
        check = self.env["mail.domain.check"].search([("name", "=", "self.reports.test")])
        self.assertIn(
            '_dmarc.self.reports.test. TXT "v=DMARC1; p=none; rua=mailto:dmarc@self.reports.test,'
            'mailto:dmarc-reports@self.reports.test; ruf=mailto:f@mx.self.reports.test"',
            check.records_to_publish,
        )
        # It replaces the record the domain has: a second DMARC record would void both.
        self.assertIn(
            "Replace your current DMARC record v=DMARC1; p=none; rua=mailto:dmarc@self.reports.test; "
            "ruf=mailto:f@mx.self.reports.test with:",
            check.records_guide,
        )
        (suggestion,) = check.finding_ids.filtered(lambda problem: problem.code == "dmarc.report_address")
        self.assertEqual(suggestion.severity, "info", "a suggestion, not a problem")
        self.assertIn("Add dmarc-reports@self.reports.test to the rua= tag", suggestion.description)
        self.settings(company, mail_domain_health_dmarc_reports=False)
        self.assertFalse(alias.exists())
        self.assertFalse(company.mail_dmarc_reports)

    def test_a_from_domain_other_than_the_alias_domain_gets_the_consent_record_to_publish(self):
        # Odoo sends as notifications@mailer.reports.test, and receives on collector.reports.test: receivers send
        # mailer's reports there only once collector publishes its consent.
        alias_domain = self.env["mail.alias.domain"].create(
            {"name": "collector.reports.test", "default_from": "notifications@mailer.reports.test"}
        )
        company = self.env["res.company"].create({"name": "Mailer Ltd", "alias_domain_id": alias_domain.id})
        self.settings(company, mail_domain_health_dmarc_reports=True)
        check = self.env["mail.domain.check"].search([("name", "=", "mailer.reports.test")])
        self.assertIn(
            '_dmarc.mailer.reports.test. TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@collector.reports.test"',
            check.records_to_publish,
        )
        self.assertIn(
            'mailer.reports.test._report._dmarc.collector.reports.test. TXT "v=DMARC1"', check.records_to_publish
        )

    def test_the_nightly_run_keeps_the_address_in_the_record_to_publish(self):
        with self.enter_registry_test_mode():
            self.env.ref("mail_domain_health.ir_cron_check_mail_domains").method_direct_trigger()
        self.env.invalidate_all()
        check = self.env["mail.domain.check"].search([("name", "=", DOMAIN)])
        self.assertIn(f"rua=mailto:dmarc@{DOMAIN},mailto:{ALIAS}", check.records_to_publish)

    def test_settings_reject_thresholds_out_of_range(self):
        for values in (
            {"mail_domain_health_dmarc_odoo_fail_percent": 120.0},
            {"mail_domain_health_dmarc_unknown_messages": 0},
            {"mail_domain_health_dmarc_keep_days": 0},
        ):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                self.env["res.config.settings"].create(values)


@tagged("post_install", "-at_install")
class TestRetentionAndAccess(DmarcReportCase):
    def test_the_autovacuum_removes_reports_older_than_the_days_kept(self):
        self.receive(report_message([("google.xml", sample_xml("google", days_ago=3), "application/xml")]))
        self.receive(report_message(gzipped_report(days_ago=200)))
        old = self.by_org("Yahoo")
        old_rows = old.row_ids
        self.Report._gc_old_reports()
        self.assertFalse(old.exists())
        self.assertFalse(old_rows.exists())
        self.assertTrue(self.by_org("google.com"))
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.dmarc_keep_days", "1")
        self.Report._gc_old_reports()
        self.assertFalse(self.by_org("google.com"))

    def test_a_domain_receivers_report_on_keeps_its_check(self):
        self.receive(report_message(gzipped_report(days_ago=1)))
        check = self.by_org("Yahoo").check_id
        self.env.cr.execute(
            "UPDATE mail_domain_check SET write_date = now() - interval '400 days' WHERE id = %s", [check.id]
        )
        self.env["mail.domain.check"]._gc_unused_checks()
        self.assertTrue(check.exists())

    def test_reports_and_rows_are_for_settings_administrators_only(self):
        self.receive(report_message(gzipped_report(days_ago=1)))
        report = self.by_org("Yahoo")
        for model, record in (("mail.dmarc.report", report), ("mail.dmarc.report.row", report.row_ids[0])):
            with self.subTest(model=model):
                with self.assertRaises(AccessError):
                    self.env[model].with_user(self.internal).search([])
                with self.assertRaises(AccessError):
                    record.with_user(self.internal).read(["id"])
                self.assertTrue(self.env[model].with_user(self.admin).search_count([]))
        self.assertEqual(self.by_org("Yahoo").with_user(self.admin).messages, 52)

    def test_an_administrator_of_one_company_does_not_see_the_reports_of_anothers_domain(self):
        self.receive(report_message(gzipped_report(days_ago=1)))
        report = self.by_org("Yahoo")
        other = self.env["res.company"].create({"name": "Other Ltd"})
        report.check_id.company_ids = other
        admin_of_main = new_test_user(
            self.env,
            login="mdh_dmarc_admin_main",
            groups="base.group_system",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        self.assertFalse(self.Report.with_user(admin_of_main).search([("id", "=", report.id)]))
        self.assertFalse(self.Row.with_user(admin_of_main).search([("report_id", "=", report.id)]))
        admin_of_other = new_test_user(
            self.env,
            login="mdh_dmarc_admin_other",
            groups="base.group_system",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        self.assertEqual(self.Report.with_user(admin_of_other).search([("id", "=", report.id)]), report)
        self.assertEqual(len(self.Row.with_user(admin_of_other).search([("report_id", "=", report.id)])), 3)

    def test_report_settings_written_without_the_form_are_validated_when_read(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("mail_domain_health.dmarc_keep_days", "forever")
        params.set_param("mail_domain_health.dmarc_odoo_fail_percent", "250")
        params.set_param("mail_domain_health.dmarc_unknown_messages", "-3")
        with self.assertLogs("odoo.addons.mail_domain_health.models.mail_dmarc_report", "WARNING") as logged:
            settings = self.Report._get_report_settings()
        self.assertEqual(settings, {"keep_days": 180, "odoo_fail_percent": 5.0, "unknown_messages": 20})
        self.assertEqual(len(logged.output), 3)
