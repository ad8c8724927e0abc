"""Results that say what they were made under: a change of what a verdict depends on has the domains checked
again in the background at once, and until then the result says it predates the change; a check asked for
inside a save is left to the background rather than waiting on the save."""

from odoo.tests import Form, tagged
from odoo.tools import config

from .common import Fault
from .test_mail_domain_check import MailDomainHealthCase

PENDING_CRON = "mail_domain_health.ir_cron_check_pending_domains"


@tagged("post_install", "-at_install")
class TestChecksFollowTheSettings(MailDomainHealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Check = cls.env["mail.domain.check"].sudo()

    def setUp(self):
        super().setUp()
        self.check_now(self.company_good)
        self.good = self.check("good.check.test")
        self.assertFalse(self.good.check_pending)
        self.assertFalse(self.good.outdated_notice)

    def run_pending(self):
        with self.enter_registry_test_mode():
            self.env.ref(PENDING_CRON).method_direct_trigger()
        self.env.invalidate_all()

    def save_settings(self, **values):
        """Save Settings as its Save button does: the record, then execute()."""
        form = Form(self.env["res.config.settings"])
        for name, value in values.items():
            setattr(form, name, value)
        form.save().execute()
        self.env.invalidate_all()

    def test_an_outgoing_server_created_edited_or_deleted_has_the_company_domain_checked_again(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.provider", "auto")
        for change in ("create", "write", "unlink"):
            with self.subTest(change=change):
                if change == "create":
                    server = self.env["ir.mail_server"].sudo().create({"name": "Relay", "smtp_host": "smtp.gmail.com"})
                elif change == "write":
                    server.smtp_host = "smtp.office365.com"
                else:
                    server.unlink()
                self.env.invalidate_all()
                self.assertTrue(self.good.check_pending)
                self.assertIn("outgoing mail servers", self.good.outdated_notice)
                self.run_pending()
                self.assertFalse(self.good.check_pending)
                self.assertFalse(self.good.outdated_notice, "a new result is made under the new settings")
        # Deleted: no server names Google or Microsoft any more.
        self.assertNotIn("smtp.", self.good.sender_summary)

    def test_a_server_change_that_leaves_the_sender_alone_checks_nothing(self):
        server = self.env["ir.mail_server"].sudo().create({"name": "Relay", "smtp_host": "smtp.gmail.com"})
        self.run_pending()
        server.from_filter = "good.check.test"
        self.env.invalidate_all()
        self.assertFalse(self.good.check_pending)
        self.assertFalse(self.good.outdated_notice)

    def test_changed_settings_have_the_company_domains_checked_again(self):
        changes = {
            "mail_domain_health_provider": ("google", "sending provider"),
            "mail_domain_health_own_addresses": ("198.51.100.25", "public sending addresses"),
            "mail_domain_health_dkim_selector": ("s1", "DKIM selectors"),
            "mail_domain_health_nameservers": (self.proxy.address + ", 127.0.0.1:9", "DNS servers"),
            "mail_domain_health_timeout": (7.0, "timeout"),
        }
        for field, (value, said) in changes.items():
            with self.subTest(field=field):
                self.save_settings(**{field: value})
                self.assertTrue(self.good.check_pending)
                self.assertIn(said, self.good.outdated_notice)
                self.run_pending()
                self.assertFalse(self.good.outdated_notice)

    def test_saving_settings_unchanged_checks_nothing(self):
        # "5" and "5.0" seconds are the same timeout.
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.timeout", "3")
        self.save_settings()
        self.assertFalse(self.good.check_pending)
        self.assertFalse(self.good.outdated_notice)

    def test_the_nightly_run_checks_again_what_predates_a_change(self):
        user_domain = self.check("google-only.check.test")
        self.assertTrue(user_domain.checked_at)
        self.save_settings(mail_domain_health_dkim_selector="s1")
        self.assertTrue(user_domain.outdated_notice, "the company's domains are checked at once, the others at night")
        self.run_cron()
        self.assertFalse(user_domain.outdated_notice)

    def test_a_contact_saved_on_a_new_domain_is_checked_in_the_background(self):
        params = self.env["ir.config_parameter"].sudo()
        for checked in (False, True):
            with self.subTest(contacts_checked=checked):
                params.set_param("mail_domain_health.check_partners", str(checked))
                partner = self.env["res.partner"].create({"name": "Al", "email": f"al@sub{int(checked)}.aol.com"})
                self.assertEqual(bool(self.check(f"sub{int(checked)}.aol.com").check_pending), checked)
                partner.email = f"al@other{int(checked)}.aol.com"
                self.assertEqual(bool(self.check(f"other{int(checked)}.aol.com").check_pending), checked)

    def test_a_check_asked_inside_a_save_is_left_to_the_background(self):
        # Outside Odoo's test mode, the registry's cursor is another connection, and this test's transaction
        # holds rows: a check written there would wait on them.
        queued = self.Check._check_now(["messages.test"], interactive=True)
        self.assertEqual(queued, ["messages.test"])
        check = self.check("messages.test")
        self.assertTrue(check.check_pending)
        self.assertFalse(check.checked_at)


@tagged("post_install", "-at_install")
class TestFaultsInTheReadersLanguage(MailDomainHealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(["mail_domain_health"], ["fr_FR"], overwrite=True)

    def test_a_kept_result_says_its_fault_once_whole_and_in_the_readers_language(self):
        self.check_now(self.company_good)
        good = self.check("good.check.test")
        for name in ("good.check.test", "_dmarc.good.check.test", "odoo._domainkey.good.check.test"):
            self.proxy.add_rule(name, Fault.DROP)
        self.check_now(self.company_good)
        good.invalidate_recordset()
        self.assertTrue(good.is_stale)
        # Stored as codes and params, not as sentences.
        self.assertEqual({fault["code"] for fault in good.last_faults}, {"dns.timeout"})
        english = good.with_context(lang="en_US").fault_summary
        french = good.with_context(lang="fr_FR").fault_summary
        # One server that did not answer about three names of the domain: one sentence about the domain, whole.
        self.assertEqual(english.count("did not answer"), 1, english)
        self.assertIn("did not answer about good.check.test in time", english)
        self.assertNotIn(".;", english)
        self.assertTrue(all(line.endswith(".") for line in english.splitlines()), english)
        self.assertEqual(french.count("n'a pas répondu"), 1, french)
        self.assertNotIn("did not answer", french)
        self.assertIn("n'a pas répondu", good.with_context(lang="fr_FR").last_error)


@tagged("post_install", "-at_install")
class TestAdviceThatFitsTheReader(MailDomainHealthCase):
    def setUp(self):
        super().setUp()
        with self.enter_registry_test_mode():
            self.env["mail.domain.check"]._check_now(["yahoo.com"])

    def test_a_contact_gets_no_advice_meant_for_a_user(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.check_partners", "True")
        # A server that relays everyone's mail as is: the contact's relayed mail is refused.
        self.company_good.alias_domain_id.default_from = False
        self.env["ir.mail_server"].sudo().create({"name": "Company relay", "smtp_host": "smtp.example.net"})
        jane = self.env["res.partner"].create({"name": "Jane Doe", "email": "jane.doe@yahoo.com"})
        warning = jane.mail_domain_health_relay_warning
        self.assertIn("receivers refuse the messages Odoo relays as jane.doe@yahoo.com", warning)
        self.assertNotIn("user", warning)

    def test_a_contact_on_an_internationalized_domain_is_shown_as_written(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.check_partners", "True")
        self.company_good.alias_domain_id.default_from = False
        self.env["ir.mail_server"].sudo().create({"name": "Company relay", "smtp_host": "smtp.example.net"})
        with self.enter_registry_test_mode():
            self.env["mail.domain.check"]._check_now(["bäckerei-müller.check.test"])
        address = "anna@bäckerei-müller.check.test"
        anna = self.env["res.partner"].create({"name": "Anna", "email": address})
        warning = anna.mail_domain_health_relay_warning
        self.assertIn("The DMARC policy of bäckerei-müller.check.test is reject: receivers refuse", warning)
        self.assertIn(address, warning)
        self.assertNotIn("xn--", warning)

    def test_a_user_on_a_public_service_is_not_told_to_authorize_odoo(self):
        self.company_good.alias_domain_id.default_from = False
        self.env["ir.mail_server"].sudo().create({"name": "Company relay", "smtp_host": "smtp.example.net"})
        user = self.env["res.users"].create(
            {"name": "Jane", "login": "jane.pub@yahoo.com", "email": "jane.pub@yahoo.com"}
        )
        warning = user.mail_domain_health_warning
        self.assertIn("yahoo.com is a public email service", warning)
        self.assertIn("The DMARC policy of yahoo.com is reject", warning)
        self.assertNotIn("is yours", warning)

    def test_no_server_named_that_does_not_exist(self):
        # No outgoing server record: Odoo sends through the configuration file's server, this machine's when the
        # file names none.
        host = config.get("smtp_server") or "localhost"
        user = self.env["res.users"].create({"name": "Jo", "login": "jo.pub@yahoo.com", "email": "jo.pub@yahoo.com"})
        self.assertIn(
            f"through {self.env['ir.mail_server']._mail_domain_health_configuration_server_name()} as",
            user.mail_domain_health_warning,
        )
        self.assertIn(host, user.mail_domain_health_warning)
        self.assertNotIn("the server of the Odoo configuration file", user.mail_domain_health_warning)

    def test_an_internationalized_address_is_judged_and_shown_as_written(self):
        # Sent as the user's own address: no default From to send as instead.
        self.company_good.alias_domain_id.default_from = False
        self.env["ir.mail_server"].sudo().create({"name": "Company relay", "smtp_host": "smtp.example.net"})
        address = "jörg@bäckerei-müller.check.test"
        with self.enter_registry_test_mode():
            self.env["mail.domain.check"]._check_now(["bäckerei-müller.check.test"])
        check = self.check("xn--bckerei-mller-bfb28a.check.test")
        self.assertEqual(check.dmarc_effective_policy, "reject")
        self.assertEqual(check.display_name, "bäckerei-müller.check.test")
        user = self.env["res.users"].create({"name": "Jörg", "login": "jorg.idn", "email": address})
        warning = user.mail_domain_health_warning
        self.assertEqual(user.mail_domain_health_level, "fail")
        self.assertIn("The DMARC policy of bäckerei-müller.check.test is reject", warning)
        self.assertIn(address, warning)
        self.assertNotIn("xn--", warning)
