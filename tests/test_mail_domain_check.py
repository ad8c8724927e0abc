import json
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools import config

from odoo.addons.base.tests.common import MockSmtplibCase
from odoo.addons.mail_domain_health.models import mail_domain_check_nightly

from .common import Fault, serve_test_zones


class MailDomainHealthCase(TransactionCase):
    """Companies on real zones served by Knot, behind a proxy that can make domains go silent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.proxy = serve_test_zones(cls)
        AliasDomain = cls.env["mail.alias.domain"].sudo()
        cls.good_alias = AliasDomain.create({"name": "good.check.test"})
        cls.broken_alias = AliasDomain.create({"name": "google-only.check.test"})
        cls.company_good = cls.env.company
        cls.company_good.alias_domain_id = cls.good_alias
        cls.company_broken = cls.env["res.company"].create(
            {"name": "Broken Ltd", "alias_domain_id": cls.broken_alias.id}
        )
        cls.admin = new_test_user(
            cls.env,
            login="mdh_admin",
            groups="base.group_system",
            email="admin@google-only.check.test",
            company_ids=[(6, 0, (cls.company_good | cls.company_broken).ids)],
        )
        cls.internal = new_test_user(
            cls.env, login="mdh_internal", groups="base.group_user", email="jo@good.check.test"
        )
        cls.other_internal = new_test_user(
            cls.env,
            login="mdh_other",
            groups="base.group_user",
            email="sam@google-only.check.test",
            company_id=cls.company_broken.id,
            company_ids=[(6, 0, cls.company_broken.ids)],
        )
        cls.portal = new_test_user(cls.env, login="mdh_portal", groups="base.group_portal", email="p@portal.example")

    def setUp(self):
        super().setUp()
        self.proxy.clear_rules()

    def run_cron(self):
        cron = self.env.ref("mail_domain_health.ir_cron_check_mail_domains")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.env.invalidate_all()

    def check_now(self, company):
        """Check now, as the Settings button does: its results are written by a transaction of their own, and
        what the DNS did not answer in time is finished by the background check, run here at once."""
        with self.enter_registry_test_mode():
            company.action_check_mail_domain_health()
            self.env.ref("mail_domain_health.ir_cron_check_pending_domains").method_direct_trigger()

    def check(self, name):
        return self.env["mail.domain.check"].sudo().search([("name", "=", name)])


@tagged("post_install", "-at_install")
class TestDomainChecks(MailDomainHealthCase):
    def test_cron_checks_company_and_user_domains_once_each(self):
        self.run_cron()
        good, broken = self.check("good.check.test"), self.check("google-only.check.test")
        self.assertEqual(good.status, "pass")
        self.assertEqual(broken.status, "fail")
        self.assertEqual(broken.spf_status, "fail")
        self.assertIn("v=spf1 include:_spf.odoo.com include:_spf.google.com ~all", broken.records_to_publish)
        self.assertIn("spf.sender_not_authorized", broken.finding_ids.mapped("code"))
        # The SPF record found is replaced (a second one would void both), the DKIM and DMARC records added.
        self.assertEqual(
            broken.records_guide.splitlines()[:3],
            [
                "Replace your current SPF record v=spf1 include:_spf.google.com ~all with:",
                '    google-only.check.test. TXT "v=spf1 include:_spf.odoo.com include:_spf.google.com ~all"',
                "Add:",
            ],
        )
        self.assertIn(self.company_good, good.company_ids)
        self.assertIn(self.company_broken, broken.company_ids)
        self.assertEqual(self.company_good.mail_domain_health_status, "pass")
        self.assertEqual(self.company_broken.mail_domain_health_status, "fail")

    def test_a_public_email_service_is_explained_without_dns_advice(self):
        new_test_user(self.env, login="mdh_yahoo", groups="base.group_user", email="jane@yahoo.com")
        self.run_cron()
        yahoo = self.check("yahoo.com")
        self.assertTrue(yahoo.free_mail)
        self.assertEqual(yahoo.spf_reason, "Not yours to change: yahoo.com is a public email service.")
        self.assertEqual(yahoo.dkim_reason, "Not yours to change: yahoo.com is a public email service.")
        self.assertEqual(
            yahoo.dmarc_reason,
            "yahoo.com enforces DMARC (p=reject): receivers refuse or junk the mail Odoo sends as its addresses.",
        )
        self.assertFalse(yahoo.records_guide)

    def test_internal_users_are_counted_per_domain_as_a_labels(self):
        new_test_user(
            self.env,
            login="mdh_idn",
            groups="base.group_user",
            email="Ana <ana@Bücher.check.test>",
            company_id=self.company_broken.id,
            company_ids=[(6, 0, self.company_broken.ids)],
        )
        by_domain = self.env["res.users"]._mail_domain_health_users_by_domain()
        self.assertEqual(by_domain["xn--bcher-kva.check.test"], (1, {self.company_broken.id}))
        self.assertEqual(by_domain["google-only.check.test"][0], 2)
        self.assertNotIn("portal.example", by_domain, "portal users send no mail as the company")
        self.assertIn(
            "xn--bcher-kva.check.test",
            self.env["mail.domain.check"]._domains_to_check(self.env["mail.domain.check"]._get_check_settings()),
        )

    def test_status_change_is_posted_in_the_chatter(self):
        self.check_now(self.company_good)
        good = self.check("good.check.test")
        self.assertEqual(good.status, "pass")

        def tracked():
            # Tracking is written when the transaction commits; a test runs the pre-commit hooks itself.
            self.env.cr.precommit.run()
            self.env.invalidate_all()
            return good.message_ids.mapped("tracking_value_ids").filtered(lambda value: value.field_id.name == "status")

        self.assertFalse(tracked(), "a first result is a starting point, not a change")
        # Mail now goes through Google, which good.check.test does not authorize.
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.provider", "google")
        self.check_now(self.company_good)
        good.invalidate_recordset()
        self.assertEqual(good.status, "fail")
        self.assertEqual(len(tracked()), 1)
        self.assertEqual(good.finding_ids.check_id, good)
        self.assertIn("spf.sender_not_authorized", good.finding_ids.mapped("code"))

    def test_silent_dns_keeps_the_last_good_result_marked_stale(self):
        self.check_now(self.company_good)
        good = self.check("good.check.test")
        self.assertEqual(good.status, "pass")
        first_success = good.last_success_at
        for name in ("good.check.test", "_dmarc.good.check.test", "odoo._domainkey.good.check.test"):
            self.proxy.add_rule(name, Fault.DROP)
        self.check_now(self.company_good)
        good.invalidate_recordset()
        self.assertEqual(good.status, "pass", "a timeout never replaces a known result")
        self.assertTrue(good.is_stale)
        self.assertTrue(good.last_error)
        self.assertEqual(good.last_success_at, first_success)
        self.assertEqual(good.spf_record, "v=spf1 include:_spf.odoo.com ~all", "the last records seen stay")

    def test_a_domain_answering_as_before_keeps_its_findings_and_moves_its_dates(self):
        self.check_now(self.company_broken)
        broken = self.check("google-only.check.test")
        findings = broken.finding_ids
        codes = findings.mapped("code")
        self.assertIn("spf.sender_not_authorized", codes)
        for name in ("google-only.check.test", "_dmarc.google-only.check.test"):
            self.proxy.add_rule(name, Fault.DROP)
        self.check_now(self.company_broken)
        broken.invalidate_recordset()
        self.assertTrue(broken.is_stale)
        # The DNS answers again, and says what it said before: the same findings, no longer stale.
        self.proxy.clear_rules()
        self.check_now(self.company_broken)
        broken.invalidate_recordset()
        self.assertFalse(broken.is_stale)
        self.assertFalse(broken.last_error)
        self.assertEqual(broken.finding_ids, findings, "unchanged findings are not written again")
        # A stored report that differs from the new answer is replaced, findings included.
        broken.result = {**broken.result, "spf": {**broken.result["spf"], "record": "v=spf1 -all"}}
        self.check_now(self.company_broken)
        broken.invalidate_recordset()
        self.assertEqual(broken.result["spf"]["record"], broken.spf_record)
        self.assertNotEqual(broken.result["spf"]["record"], "v=spf1 -all")
        self.assertEqual(broken.finding_ids.mapped("code"), codes)
        self.assertFalse(findings.exists(), "changed findings are written anew")

    def test_cron_run_with_a_silent_domain_still_writes_the_others(self):
        self.proxy.add_rule("google-only.check.test", Fault.DROP)
        self.run_cron()
        self.assertEqual(self.check("good.check.test").status, "pass")
        silent = self.check("google-only.check.test")
        self.assertEqual(silent.status, "error")
        self.assertIn("dns.timeout", silent.finding_ids.mapped("code"))

    def test_a_rerun_skips_domains_checked_recently(self):
        self.run_cron()
        good = self.check("good.check.test")
        checked_at = good.checked_at
        # Were the domain asked again, the silent DNS would mark it stale: a resumed run must not ask.
        for name in ("good.check.test", "_dmarc.good.check.test", "odoo._domainkey.good.check.test"):
            self.proxy.add_rule(name, Fault.DROP)
        self.run_cron()
        good.invalidate_recordset()
        self.assertEqual(good.checked_at, checked_at)
        self.assertFalse(good.is_stale)

    def test_when_the_time_is_up_one_batch_is_asked_and_written(self):
        new_test_user(self.env, login="mdh_third", groups="base.group_user", email="lee@third.check.test")
        Check = self.env["mail.domain.check"].sudo()
        names = Check._domains_to_check(Check._get_check_settings())
        self.assertEqual(len(names), 3)
        reported = []

        def time_up(cron, processed=0, *, remaining=None, deactivate=False):
            # The scheduler's time for the job is over from the start (as in a late call of a long run).
            reported.append(remaining)
            cron.env.flush_all()
            return 0.0

        self.patch(type(self.env["ir.cron"]), "_commit_progress", time_up)
        self.patch(mail_domain_check_nightly, "BATCH_SIZE", 1)
        Check._cron_check_domains()
        # Had the next batches been asked ahead, they would have been written too: only one was asked.
        self.assertEqual(Check.search_count([("checked_at", "!=", False)]), 1)
        self.assertEqual(reported, [len(names), len(names) - 1])
        Check._cron_check_domains()
        self.assertEqual(Check.search_count([("checked_at", "!=", False)]), 2, "the next call moves the run on")

    def test_malformed_domain_is_a_user_error(self):
        with self.assertRaisesRegex(UserError, "label"):
            self.env["mail.domain.check"]._get_or_create(["a" * 64 + ".example"])

    def test_every_kind_of_bad_domain_is_a_user_error_and_nothing_is_created(self):
        Check = self.env["mail.domain.check"].sudo()
        before = Check.search_count([])
        bad = [
            "   ",
            "a" * 64 + ".example",
            ".".join(["a" * 63] * 4) + ".example",
            "192.0.2.1",
            "[192.0.2.1]",
            "a@b@c",
            '"jo hn"@example.com',
            "pаypal.com",  # a Cyrillic "а" among Latin letters
            "exa mple.com",
        ]
        for text in bad:
            with self.subTest(text=text), self.assertRaises(UserError):
                Check._get_or_create([text])
        self.assertEqual(Check.search_count([]), before)

    def test_trailing_dot_and_capitals_name_the_same_domain(self):
        Check = self.env["mail.domain.check"].sudo()
        first = Check._get_or_create(["Good.Check.Test."])
        self.assertEqual(first.name, "good.check.test")
        self.assertEqual(Check._get_or_create(["good.check.test"]), first)

    def test_internal_user_cannot_check_domains_and_no_dns_is_asked(self):
        check = self.env["mail.domain.check"].sudo()._get_or_create(["good.check.test"])
        self.proxy.queries.clear()
        with self.assertRaises(AccessError):
            self.company_good.with_user(self.internal).action_check_mail_domain_health()
        with self.assertRaises(AccessError):
            check.with_user(self.internal).action_check_now()
        self.assertEqual(sum(self.proxy.queries.values()), 0, "a refused check asked the DNS")
        # The same calls by an administrator do reach the DNS: the count above can tell the difference.
        self.check_now(self.company_good)
        self.assertGreater(sum(self.proxy.queries.values()), 0)

    def test_checks_are_for_settings_administrators_of_their_companies(self):
        self.run_cron()
        contact_check = self.env["mail.domain.check"].sudo()._get_or_create(["contact.check.test"])
        admin_of_broken = new_test_user(
            self.env,
            login="mdh_admin_broken",
            groups="base.group_system",
            company_id=self.company_broken.id,
            company_ids=[(6, 0, self.company_broken.ids)],
        )
        Check = self.env["mail.domain.check"]
        for user in (self.internal, self.other_internal, self.portal):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                Check.with_user(user).search([])
        seen = Check.with_user(admin_of_broken).search([("name", "like", "check.test")])
        self.assertIn("google-only.check.test", seen.mapped("name"))
        self.assertIn(contact_check, seen, "a check of no company is for every Settings administrator")
        self.assertNotIn("good.check.test", seen.mapped("name"), "another company's check")
        both = Check.with_user(self.admin).search([("name", "like", "check.test")])
        self.assertTrue({"good.check.test", "google-only.check.test"} <= set(both.mapped("name")))

    def test_user_counts_are_those_of_the_readers_companies(self):
        new_test_user(self.env, login="mdh_third_good", groups="base.group_user", email="kim@google-only.check.test")
        self.run_cron()
        admin_of_broken = new_test_user(
            self.env,
            login="mdh_admin_broken_count",
            groups="base.group_system",
            company_id=self.company_broken.id,
            company_ids=[(6, 0, self.company_broken.ids)],
        )
        check = self.check("google-only.check.test")
        # mdh_admin (both companies), mdh_other (broken) and mdh_third_good (good only) use that domain.
        self.assertEqual(check.with_user(self.admin).user_count, 3)
        self.assertEqual(check.with_user(admin_of_broken).user_count, 2)

    def test_local_and_private_names_are_never_asked(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.private_suffixes", "intranet.check.test")
        for email in ("a@mailhost", "b@files.lan", "c@nas.home.arpa", "d@box.internal", "e@x.intranet.check.test"):
            new_test_user(self.env, login=email, groups="base.group_user", email=email)
        self.proxy.queries.clear()
        names = self.env["mail.domain.check"]._domains_to_check(self.env["mail.domain.check"]._get_check_settings())
        self.assertIn("good.check.test", names)
        for private in ("mailhost", "files.lan", "nas.home.arpa", "box.internal", "x.intranet.check.test"):
            self.assertNotIn(private, names)
        self.run_cron()
        asked = {name for name, _, _ in self.proxy.queries}
        self.assertFalse(
            {name for name in asked if name.endswith((".lan", ".internal", ".arpa", "intranet.check.test"))}
        )
        lan_company = self.env["res.company"].create(
            {"name": "LAN Ltd", "alias_domain_id": self.env["mail.alias.domain"].create({"name": "odoo.lan"}).id}
        )
        self.proxy.queries.clear()
        with self.assertRaisesRegex(UserError, "odoo.lan: not a name of the public DNS"):
            self.check_now(lan_company)
        self.assertEqual(sum(self.proxy.queries.values()), 0)

    def test_autovacuum_removes_checks_no_one_uses_after_the_days_kept(self):
        self.run_cron()
        Check = self.env["mail.domain.check"].sudo()
        Check._get_or_create(["gone.check.test", "recent.check.test"])
        long_ago = fields.Datetime.now() - timedelta(days=31)
        self.env.cr.execute(
            "UPDATE mail_domain_check SET write_date = %s WHERE name IN %s",
            (long_ago, ("gone.check.test", "good.check.test")),
        )
        self.env.invalidate_all()
        Check._gc_unused_checks()
        remaining = set(Check.search([("name", "like", "check.test")]).mapped("name"))
        self.assertNotIn("gone.check.test", remaining, "unused for more than 30 days")
        self.assertIn("recent.check.test", remaining, "unused, but for less than the days kept")
        self.assertIn("good.check.test", remaining, "old, but a company's alias domain")

    def _sender(self, **config_options):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("mail_domain_health.provider", "auto")
        with patch.dict(config.options, config_options):
            settings = self.env["mail.domain.check"]._get_check_settings()
        return settings.sender.spec, settings.sender.reason["code"]

    def test_the_sender_is_found_as_odoo_chooses_its_server(self):
        # No outgoing server, a relay of one's own in the configuration file: its public addresses, from DNS.
        self.assertEqual(
            self._sender(smtp_server="relay.sender.test"), ("ip:198.51.100.25,2001:db8::25", "sender.config_relay")
        )
        # This machine's own mail server: its public addresses are for the administrator to give.
        self.assertEqual(self._sender(smtp_server="localhost"), ("unknown", "sender.local_mta"))
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.own_addresses", "203.0.113.7")
        self.assertEqual(self._sender(smtp_server="localhost"), ("ip:203.0.113.7", "sender.chosen_self_hosted"))
        # An outgoing server record comes first: Google's relay.
        self.env["ir.mail_server"].sudo().create({"name": "Workspace", "smtp_host": "smtp-relay.gmail.com"})
        self.assertEqual(self._sender(smtp_server="localhost"), ("google", "sender.mail_server"))

    def test_the_sender_and_why_are_shown_with_the_check(self):
        self.env["ir.mail_server"].sudo().create({"name": "Workspace", "smtp_host": "smtp.gmail.com"})
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.provider", "auto")
        self.check_now(self.company_good)
        check = self.check("good.check.test")
        self.assertEqual(check.provider, "google")
        self.assertIn("smtp.gmail.com", check.sender_summary)
        self.assertIn("Google Workspace", check.sender_summary)

    def test_settings_written_without_the_form_are_validated_when_read(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("mail_domain_health.nameservers", f"dns.example.com, {self.proxy.address}")
        params.set_param("mail_domain_health.dkim_selector", "odoo, bad_selector!")
        for timeout in ("inf", "-3", "nan", "1e9", "soon"):
            params.set_param("mail_domain_health.timeout", timeout)
            with self.subTest(timeout=timeout), self.assertLogs("odoo.addons.mail_domain_health", "WARNING") as logs:
                settings = self.env["mail.domain.check"]._get_check_settings()
            self.assertEqual(settings.timeout, 15.0)
            self.assertEqual(settings.nameservers, (self.proxy.address,))
            self.assertEqual(settings.dkim_selectors, ("odoo",))
            self.assertEqual(len(logs.records), 3, logs.output)
            self.assertIn("dns.example.com", logs.output[0])


@tagged("post_install", "-at_install")
class TestUserWarnings(MailDomainHealthCase, MockSmtplibCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.strict_company = cls.env["res.company"].create(
            {
                "name": "Strict Ltd",
                "alias_domain_id": cls.env["mail.alias.domain"].sudo().create({"name": "strict.check.test"}).id,
            }
        )
        cls.admin.company_ids = [(4, cls.strict_company.id)]

    def _address_notifications(self):
        self.env.cr.precommit.run()
        messages = self.env["bus.bus"].sudo().search([("message", "like", "simple_notification")]).mapped("message")
        return [message for message in messages if "Odoo cannot send as" in message]

    def test_own_domain_passing_with_reject_warns_no_one(self):
        self.run_cron()
        check = self.check("strict.check.test")
        self.assertEqual((check.status, check.dmarc_effective_policy), ("pass", "reject"))
        with self.assertNoLogs("odoo.tests.form.onchange", "WARNING"):
            form = Form(self.env["res.users"].with_user(self.admin).with_company(self.strict_company))
            form.name = "Kim"
            form.login = "kim@strict.check.test"
        user = (
            self.env["res.users"]
            .with_user(self.admin)
            .create(
                {
                    "name": "Kim",
                    "login": "kim.strict@strict.check.test",
                    "company_id": self.strict_company.id,
                    "company_ids": [(6, 0, self.strict_company.ids)],
                }
            )
        )
        self.assertEqual(self._address_notifications(), [])
        user.invalidate_recordset()
        self.assertFalse(user.with_user(self.admin).mail_domain_health_warning)

    def test_yahoo_login_warns_in_the_form_with_the_real_reason(self):
        self.run_cron()
        form = Form(self.env["res.users"].with_user(self.admin))
        form.name = "Jane"
        with self.assertLogs("odoo.tests.form.onchange", "WARNING") as logs:
            form.login = "jane@yahoo.com"
        said = "\n".join(logs.output)
        self.assertIn("yahoo.com is a public email service", said)
        self.assertNotIn("does not manage", said)

    def test_yahoo_user_created_without_a_form_notifies_the_admin_once(self):
        self.run_cron()
        self.env["res.users"].with_user(self.admin).create({"name": "Jane", "login": "jane@yahoo.com"})
        notifications = self._address_notifications()
        self.assertEqual(len(notifications), 1)
        self.assertIn("Jane has an address Odoo cannot send as", notifications[0])
        self.assertFalse(json.loads(notifications[0])["payload"]["sticky"], "no need to see it again at next login")

    def test_several_flagged_users_make_one_notification_in_the_plural(self):
        self.env["res.users"].with_user(self.admin).create(
            [{"name": "Jane", "login": "jane.p@yahoo.com"}, {"name": "Joe", "login": "joe.p@aol.com"}]
        )
        notifications = self._address_notifications()
        self.assertEqual(len(notifications), 1)
        self.assertIn("2 new users have addresses Odoo cannot send as", notifications[0])

    def test_company_user_created_without_a_form_is_quiet(self):
        self.run_cron()
        self.env["res.users"].with_user(self.admin).create({"name": "Kim", "login": "kim@good.check.test"})
        self.assertEqual(self._address_notifications(), [])

    def test_yahoo_user_rewritten_by_a_domain_server_is_warned_about_the_address_only(self):
        self.env["ir.mail_server"].sudo().create(
            {"name": "Company relay", "smtp_host": "relay.good.check.test", "from_filter": "good.check.test"}
        )
        user = new_test_user(self.env, login="jane.warn@yahoo.com", email="jane.warn@yahoo.com")
        self.run_cron()
        user.invalidate_recordset()
        warning = user.with_user(self.admin).mail_domain_health_warning
        self.assertIn("yahoo.com is a public email service", warning)
        self.assertIn("notifications@good.check.test", warning)
        self.assertNotIn("refuse", warning, "the mail goes out as the notifications address: DMARC of yahoo.com")
        self.assertEqual(user.with_user(self.admin).mail_domain_health_level, "warn")

    def test_yahoo_user_sent_as_himself_fails_on_yahoos_reject_policy(self):
        self.env["ir.mail_server"].sudo().create({"name": "Catch-all", "smtp_host": "smtp.example.net"})
        user = new_test_user(self.env, login="jane.bare@yahoo.com", email="jane.bare@yahoo.com")
        user.company_id.alias_domain_id = False
        self.run_cron()
        user.invalidate_recordset()
        self.assertEqual(user.with_user(self.admin).mail_domain_health_level, "fail")
        self.assertIn("The DMARC policy of yahoo.com is reject", user.with_user(self.admin).mail_domain_health_warning)

    def test_the_warning_is_in_the_readers_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["mail_domain_health"], ["fr_FR"], overwrite=True)
        user = new_test_user(self.env, login="jane.fr@yahoo.com", email="jane.fr@yahoo.com")
        self.run_cron()
        user.invalidate_recordset()
        french = user.with_user(self.admin).with_context(lang="fr_FR").mail_domain_health_warning
        english = user.with_user(self.admin).with_context(lang="en_US").mail_domain_health_warning
        self.assertNotEqual(french, english)
        self.assertIn("yahoo.com", french)
        self.assertNotIn("public email service", french)

    def _send_as(self, user):
        mail = (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "email_from": user.email_formatted,
                    "email_to": "someone@example.com",
                    "subject": "s",
                    "body_html": "b",
                }
            )
        )
        with self.mock_smtplib_connection():
            mail.send()
        return self.emails[-1]

    def _preview(self, user):
        return self.env["ir.mail_server"]._mail_domain_health_preview(user.email, user.company_id)

    def test_preview_matches_what_odoo_sends_through_a_domain_server(self):
        self.env["ir.mail_server"].sudo().create(
            {"name": "Company relay", "smtp_host": "relay.good.check.test", "from_filter": "good.check.test"}
        )
        user = new_test_user(self.env, login="jane.preview@yahoo.com", email="jane.preview@yahoo.com")
        preview = self._preview(user)
        sent = self._send_as(user)
        self.assertTrue(preview.rewritten)
        self.assertEqual(preview.email_from, "notifications@good.check.test")
        self.assertIn("notifications@good.check.test", sent["msg_from"])
        self.assertEqual(sent["smtp_from"], preview.envelope_from)

    def test_preview_matches_what_odoo_sends_through_a_catch_all_server(self):
        self.env["ir.mail_server"].sudo().create({"name": "Catch-all", "smtp_host": "smtp.example.net"})
        user = new_test_user(self.env, login="jane.catch@yahoo.com", email="jane.catch@yahoo.com")
        preview = self._preview(user)
        sent = self._send_as(user)
        # With a notifications address on the alias domain, even a catch-all server sends as it.
        self.assertTrue(preview.rewritten)
        self.assertIn(preview.email_from, sent["msg_from"])
        self.assertEqual(sent["smtp_from"], preview.envelope_from)

    def test_preview_without_alias_domain_sends_as_the_user(self):
        self.env["ir.mail_server"].sudo().create({"name": "Catch-all", "smtp_host": "smtp.example.net"})
        user = new_test_user(self.env, login="jane.bare2@yahoo.com", email="jane.bare2@yahoo.com")
        user.company_id.alias_domain_id = False
        preview = self._preview(user)
        sent = self._send_as(user)
        self.assertFalse(preview.rewritten)
        self.assertIn("jane.bare2@yahoo.com", sent["msg_from"])
        self.assertEqual(sent["smtp_from"], preview.envelope_from)

    def test_preview_for_a_company_address_on_its_own_server(self):
        self.env["ir.mail_server"].sudo().create(
            {"name": "Company relay", "smtp_host": "relay.good.check.test", "from_filter": "good.check.test"}
        )
        preview = self._preview(self.internal)
        sent = self._send_as(self.internal)
        self.assertFalse(preview.rewritten)
        self.assertEqual(preview.email_from, self.internal.email)
        self.assertIn(self.internal.email, sent["msg_from"])
        self.assertEqual(sent["smtp_from"], preview.envelope_from)
