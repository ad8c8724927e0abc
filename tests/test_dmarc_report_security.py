"""The alias for DMARC reports takes mail from anyone: what a stranger can make it believe, store and cost.

Each attack goes through Odoo's mail gateway (mail.thread.message_process) as fetchmail delivers it, or through
the ORM as a user's RPC call runs, and checks what an administrator would then see.
"""

import base64
import gzip
import logging
import re

from odoo import api
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .test_dmarc_reports import DOMAIN, DmarcReportCase, report_message, sample_xml

_logger = logging.getLogger(__name__)
MARKUP = '<a href="https://phish.example/" style="font-size:40px">Pay now</a><img src="https://track.example/t.png">'


def about(domain: str, name: str = "yahoo", **options) -> bytes:
    """A sample report whose policy domain (and From domains) is `domain`."""
    return sample_xml(name, **options).replace(DOMAIN.encode(), domain.encode())


def escaped_for_xml(text: str) -> bytes:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").encode()


@tagged("post_install", "-at_install")
class TestOnlyOurDomains(DmarcReportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create(
            {"name": "Beta B", "alias_domain_id": cls.env["mail.alias.domain"].create({"name": "beta-b.test"}).id}
        )
        cls.admin_b = new_test_user(
            cls.env,
            login="mdh_dmarc_admin_b",
            groups="base.group_system",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        new_test_user(cls.env, login="mdh_dmarc_sales", email="sales@shop-mail.test", company_id=cls.company.id)

    def test_a_report_about_another_companys_domain_sent_to_our_alias_is_refused(self):
        # The forged alert: anyone, to company A's alias, about B's domain, B's own servers failing a million times.
        xml = about("beta-b.test", days_ago=1).replace(b"<count>42</count>", b"<count>1000000</count>")
        checks_before = self.env["mail.domain.check"].search_count([])
        self.receive(report_message([("forged.xml", xml, "application/xml")], sender="anyone@attacker.example"))
        self.attribute()
        (refused,) = self.Report.search([])
        self.assertEqual(refused.state, "failed")
        self.assertIn(
            "about beta-b.test, which no company receiving at this address sends from", refused.failure_reason
        )
        self.assertEqual(refused.received_from, "anyone@attacker.example")
        self.assertEqual(refused.alias_domain_id, self.company.alias_domain_id, "the alias that received it")
        self.assertFalse(self.Row.search_count([]), "no row")
        self.assertFalse(refused.check_id)
        self.assertEqual(self.env["mail.domain.check"].search_count([]), checks_before, "no check made")
        self.assertFalse(self.env["mail.activity"].search([("user_id", "=", self.admin_b.id)]), "nobody alerted")

    def test_a_report_about_no_companys_domain_makes_no_check(self):
        self.receive(report_message([("r.xml", about("nobody-owns.test", days_ago=1), "application/xml")]))
        (refused,) = self.Report.search([])
        self.assertEqual(refused.state, "failed")
        self.assertFalse(self.env["mail.domain.check"].search([("name", "=", "nobody-owns.test")]))

    def test_reports_about_the_alias_domain_its_subdomains_and_the_users_domains_are_read(self):
        for index, domain in enumerate((DOMAIN, f"news.{DOMAIN}", "shop-mail.test")):
            with self.subTest(domain=domain):
                xml = about(domain, days_ago=1, report_id=f"ours-{index}")
                self.receive(report_message([("r.xml", xml, "application/xml")]))
                (report,) = self.Report.search([("report_id", "=", f"ours-{index}")])
                self.assertEqual((report.state, report.domain, report.check_id.name), ("ok", domain, domain))

    def test_the_domain_of_a_user_of_another_company_is_not_ours(self):
        new_test_user(self.env, login="mdh_dmarc_beta_user", email="ceo@beta-users.test", company_id=self.company_b.id)
        self.receive(report_message([("r.xml", about("beta-users.test", days_ago=1), "application/xml")]))
        self.assertEqual(self.Report.search([]).state, "failed")


@tagged("post_install", "-at_install")
class TestOnlyRealReporters(DmarcReportCase):
    def failing_google_report(self, **options) -> list:
        # Odoo's servers' 118 messages failed both DKIM and SPF alignment.
        xml = sample_xml("google", days_ago=1, **options).replace(
            b"<dkim>pass</dkim>\n        <spf>pass</spf>", b"<dkim>fail</dkim>\n        <spf>fail</spf>", 1
        )
        return [("google.xml", xml, "application/xml")]

    def test_an_unsigned_report_is_kept_marked_and_alarms_nobody(self):
        self.receive(report_message(self.failing_google_report(), signer=None))
        self.attribute()
        report = self.by_org("google.com")
        self.assertEqual((report.state, report.authenticity), ("ok", "unverified"))
        self.assertIn("no DKIM signature", report.authenticity_detail)
        self.assertFalse(report.raw_message, "the message is not kept once verified")
        # Anyone can send addresses: an unverified report's sources are never asked of the DNS.
        self.assertEqual(set(report.row_ids.mapped("source")), {"pending"})
        check = report.check_id
        self.assertFalse(check.activity_ids, "no to-do")
        self.assertFalse(check.message_ids.filtered(lambda message: "DMARC" in str(message.body or "")), "no note")
        self.assertEqual((check.dmarc_messages_7d, check.dmarc_summary), (0, False), "no headline figure")
        self.assertFalse(any(report.row_ids.mapped("verified")))

    def test_a_report_signed_by_another_organization_than_its_from_is_not_verified(self):
        self.receive(report_message(self.failing_google_report(), signer="reports.test"))
        self.attribute()
        report = self.by_org("google.com")
        self.assertEqual(report.authenticity, "unverified")
        self.assertIn("signed by reports.test, not by the organization of google.com", report.authenticity_detail)
        self.assertFalse(report.check_id.activity_ids)

    def test_a_signed_report_counts_and_alerts(self):
        self.receive(report_message(self.failing_google_report()))
        self.attribute()
        report = self.by_org("google.com")
        self.assertEqual((report.authenticity, report.signer_domain), ("verified", "google.com"))
        self.assertTrue(all(report.row_ids.mapped("verified")))
        self.assertEqual(report.check_id.dmarc_messages_7d, 193)
        self.assertTrue(report.check_id.activity_ids.filtered(lambda activity: activity.user_id == self.admin))

    def test_a_forged_report_with_a_guessed_identifier_does_not_hide_the_real_one(self):
        # The forgery comes first, unsigned, with the identifier Google's real report will have.
        forged = sample_xml("google", days_ago=1).replace(b"<count>118</count>", b"<count>1</count>", 1)
        self.assertNotEqual(forged, sample_xml("google", days_ago=1))
        self.receive(report_message([("google.xml", forged, "application/xml")], signer=None))
        self.attribute()
        self.receive(report_message([("google.xml", sample_xml("google", days_ago=1), "application/xml")]))
        self.attribute()
        reports = self.by_org("google.com")
        self.assertEqual(sorted(reports.mapped("authenticity")), ["unverified", "verified"])
        real = reports.filtered(lambda report: report.authenticity == "verified")
        self.assertEqual(real.messages, 193)
        self.assertEqual(real.check_id.dmarc_messages_7d, 193, "only the real report counts")

    def test_a_forgery_after_the_real_report_replaces_nothing(self):
        self.receive(report_message([("google.xml", sample_xml("google", days_ago=1), "application/xml")]))
        self.attribute()
        forged = sample_xml("google", days_ago=1).replace(b"<count>118</count>", b"<count>1</count>", 1)
        self.receive(report_message([("google.xml", forged, "application/xml")], signer=None))
        self.attribute()
        (report,) = self.by_org("google.com")
        self.assertEqual((report.authenticity, report.messages), ("verified", 193))
        self.assertEqual(report.check_id.dmarc_messages_7d, 193)


@tagged("post_install", "-at_install")
class TestFloodBounds(DmarcReportCase):
    def growth(self) -> int:
        """Bytes of the tables and files a report message fills."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT sum(pg_total_relation_size(name::regclass))
              FROM unnest(ARRAY['mail_dmarc_report', 'mail_dmarc_report_row', 'mail_message', 'mail_activity',
                                'mail_domain_check', 'mail_mail', 'ir_attachment']) AS name
            """
        )
        tables = self.env.cr.fetchone()[0]
        self.env.cr.execute("SELECT coalesce(sum(file_size), 0) FROM ir_attachment")
        return tables + self.env.cr.fetchone()[0]

    def test_a_flood_of_reports_about_new_domains_costs_little(self):
        # 40 messages from one sender, each about a new domain, with a 200 kB junk file beside the report.
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("mail_domain_health.dmarc_max_sender_reports", "30")
        counts = lambda: (  # noqa: E731
            self.Row.search_count([]),
            self.env["mail.domain.check"].search_count([]),
            self.env["mail.activity"].search_count([]),
            self.env["mail.mail"].search_count([]),
        )
        before, size_before = counts(), self.growth()
        messages = 40
        for index in range(messages):
            files = [
                ("r.xml", about(f"flood-{index}.test", days_ago=1, report_id=f"flood-{index}"), "application/xml"),
                ("junk.xml.gz", b"\x1f\x8b" + bytes(200_000), "application/gzip"),
            ]
            self.receive(report_message(files, sender="flood@attacker.example"))
        self.attribute()
        after, size_after = counts(), self.growth()
        rows, checks, activities, mails = (new - old for new, old in zip(after, before, strict=True))
        per_message = (size_after - size_before) / messages
        _logger.info(
            "flood of %s messages: %s rows, %s checks, %s activities, %s mails, %.1f KiB of database a message",
            messages,
            rows,
            checks,
            activities,
            mails,
            per_message / 1024,
        )
        self.assertEqual((rows, checks, activities, mails), (0, 0, 0, 0))
        self.assertFalse(self.Report.search_count([("state", "=", "ok")]))
        over = self.Report.search([("failure_reason", "like", "more than 30 reports in 24 hours")])
        self.assertEqual(len(over), messages - 15, "two refusals a message until the 30 of the day, then one")
        for report in self.Report.search([]):
            self.assertLessEqual(len(base64.b64decode(report.raw_file or b"")), 4096)
        big = [("file_size", ">", 4096), ("res_model", "in", ["mail.dmarc.report", "mail.message"])]
        self.assertFalse(self.env["ir.attachment"].search_count(big), "no refused file is kept whole")
        self.assertLess(per_message, 64 * 1024)

    def test_files_beyond_the_limit_of_a_message_are_refused(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.dmarc_max_files", "2")
        files = [
            (f"r{index}.xml", sample_xml("yahoo", days_ago=1, report_id=f"many-{index}"), "application/xml")
            for index in range(4)
        ]
        self.receive(report_message(files))
        self.assertEqual(self.Report.search_count([("state", "=", "ok")]), 2)
        # One record says which files were left out, however many there are.
        refused = self.Report.search([("state", "=", "failed")])
        self.assertEqual(len(refused), 1)
        self.assertIn("more than 2 report files: 2 were not read (r2.xml, r3.xml)", refused.failure_reason)
        (message,) = self.Report.search([("state", "=", "ok")], order="id", limit=1).message_ids.filtered(
            lambda message: message.message_type == "email"
        )
        self.assertEqual(sorted(message.attachment_ids.mapped("name")), ["r0.xml", "r1.xml"])

    def test_one_message_spends_no_more_than_the_reports_its_sender_has_left_today(self):
        # The daily bound holds inside a message too: five files from a sender with three reports left.
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.dmarc_max_sender_reports", "3")
        files = [
            (f"r{index}.xml", sample_xml("yahoo", days_ago=1, report_id=f"quota-{index}"), "application/xml")
            for index in range(5)
        ]
        self.receive(report_message(files))
        self.assertEqual(self.Report.search_count([]), 3)

    def test_a_report_over_the_rows_kept_is_kept_as_totals_by_source(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.dmarc_max_rows", "2")
        self.receive(report_message([("y.xml", sample_xml("yahoo", days_ago=1), "application/xml")]))
        report = self.by_org("Yahoo")
        self.assertEqual((report.messages, report.passed_messages), (52, 49), "the report's totals are whole")
        self.assertEqual(sorted(report.row_ids.mapped("messages")), [7, 42], "the two largest sources")
        self.assertIn("The report has 3 rows, more than the 2 kept", report.limit_note)

    def test_a_refused_file_is_kept_as_an_excerpt(self):
        data = b"<feedback>" + b"x" * 100_000
        self.receive(report_message([("big.xml", data, "application/xml")]))
        (failed,) = self.Report.search([])
        self.assertEqual(base64.b64decode(failed.raw_file), data[:4096])
        self.assertIn("the first 4096 of 100010 bytes of the file are kept", failed.failure_reason)
        self.assertFalse(failed.message_ids.attachment_ids, "the message is kept without the file")


@tagged("post_install", "-at_install")
class TestNoMarkupFromReports(DmarcReportCase):
    def test_markup_in_every_report_field_and_reverse_name_is_escaped_in_notes_and_todos(self):
        xml = sample_xml("google", days_ago=1)
        for tag in ("org_name", "email", "extra_contact_info", "report_id"):
            xml = re.sub(
                rb"<%s>[^<]*</%s>" % (tag.encode(), tag.encode()),
                lambda match, tag=tag: b"<%s>%s</%s>" % (tag.encode(), escaped_for_xml(MARKUP), tag.encode()),
                xml,
            )
        xml = xml.replace(b"</report_metadata>", b"<error>%s</error></report_metadata>" % escaped_for_xml(MARKUP), 1)
        self.receive(report_message([("google.xml.gz", gzip.compress(xml), "application/gzip")]))
        self.attribute()
        report = self.Report.search([("domain", "=", DOMAIN)])
        self.assertEqual(report.org_name, MARKUP)
        check = report.check_id
        # A reverse name is the sender's to choose too (its PTR record).
        unknown = report.row_ids.filtered(lambda row: row.source == "unknown")
        self.assertTrue(unknown)
        unknown.reverse_name = MARKUP
        check.activity_ids.unlink()
        report._raise_alerts({"odoo_fail_percent": 0.0, "unknown_messages": 1})
        bodies = [str(message.body) for message in check.message_ids] + [
            str(activity.note) for activity in check.activity_ids
        ]
        self.assertTrue(check.activity_ids)
        self.assertTrue(any("Pay now" in body for body in bodies))
        for body in bodies:
            self.assertNotIn("<img", body)
            self.assertNotIn('<a href="https://phish', body)
        self.assertTrue(any("&lt;img src=" in str(activity.note) for activity in check.activity_ids))


@tagged("post_install", "-at_install")
class TestSwitchAndScoping(DmarcReportCase):
    def test_turning_reports_off_removes_the_alias_for_good(self):
        company = self.env["res.company"].create(
            {"name": "Switch Ltd", "alias_domain_id": self.env["mail.alias.domain"].create({"name": "off.test"}).id}
        )
        with self.enter_registry_test_mode():
            self.env["res.config.settings"].with_company(company).create(
                {"mail_domain_health_dmarc_reports": True}
            ).execute()
        self.env.invalidate_all()
        self.assertTrue(company.mail_dmarc_alias_id)
        # As the form saves: a new settings record with the values shown, on a cache that knows nothing yet.
        self.env.invalidate_all()
        with self.enter_registry_test_mode():
            self.env["res.config.settings"].with_company(company).create(
                {"mail_domain_health_dmarc_reports": False}
            ).execute()
        # Read back as a fresh environment does: nothing cached.
        self.env.invalidate_all()
        fresh = api.Environment(self.env.cr, self.env.uid, {})
        self.assertFalse(fresh["res.company"].browse(company.id).mail_dmarc_reports)
        self.assertFalse(
            self.env["mail.alias"].search_count(
                [("alias_model_id.model", "=", "mail.dmarc.report"), ("alias_domain_id.name", "=", "off.test")]
            )
        )
        self.assertFalse(
            self.env["res.config.settings"].with_company(company).create({}).mail_domain_health_dmarc_reports
        )

    def test_settings_of_a_company_the_reader_does_not_belong_to_are_refused(self):
        other = self.env["res.company"].create({"name": "Not Mine Ltd"})
        admin_a = new_test_user(
            self.env,
            login="mdh_dmarc_admin_a",
            groups="base.group_system",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        Settings = self.env["res.config.settings"].with_user(admin_a)
        with self.assertRaises(AccessError):
            Settings.create({"company_id": other.id})
        with self.assertRaises(AccessError):
            other.with_user(admin_a).action_check_mail_domain_health()
        self.assertTrue(Settings.create({}).company_id, "the own company's settings open")

    def test_the_reports_link_before_the_first_check_opens_an_empty_list(self):
        company = self.env["res.company"].create(
            {"name": "New Ltd", "alias_domain_id": self.env["mail.alias.domain"].create({"name": "new.test"}).id}
        )
        self.env["mail.domain.check"].search([("name", "=", "new.test")]).unlink()
        action = self.env["res.config.settings"].with_company(company).create({}).action_open_dmarc_reports()
        self.assertEqual(action["res_model"], "mail.dmarc.report.row")
        self.assertFalse(self.env[action["res_model"]].search(action["domain"]))

    def test_a_users_own_address_changes_make_the_server_check_no_domain(self):
        user = new_test_user(self.env, login="mdh_dmarc_plain", email="me@plain-one.test", groups="base.group_user")
        Check = self.env["mail.domain.check"]
        for index in range(20):
            user.with_user(user).write({"email": f"me@guess-{index}.test"})
        self.assertFalse(Check.search_count([("name", "=like", "guess-%")]), "no check queued by the user himself")
        user.with_user(self.admin).write({"email": "me@set-by-admin.test"})
        self.assertTrue(Check.search([("name", "=", "set-by-admin.test")]).check_pending)
