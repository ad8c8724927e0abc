"""Mailings checked against the bulk-sender rules of Gmail, Yahoo and Outlook.com, in a real Odoo with Email
Marketing, over the tests' zones served by Knot (tests/zones/bulk.test.zone of mail_domain_health)."""

import time

from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.mail_domain_health.tests.common import Fault, serve_test_zones


class BulkRulesCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.proxy = serve_test_zones(cls)
        # Odoo builds the one-click link from its base URL: a database served over HTTPS, as receivers require.
        cls.env["ir.config_parameter"].sudo().set_param("web.base.url", "https://shop.example.test")
        cls.env["ir.mail_server"].sudo().with_context(active_test=False).search([]).unlink()
        cls.mailing_list = cls.env["mailing.list"].create(
            {
                "name": "Customers",
                "contact_ids": [
                    (0, 0, {"name": "Ann", "email": "ann@example.com"}),
                    (0, 0, {"name": "Bob", "email": "bob@example.com"}),
                ],
            }
        )

    def setUp(self):
        super().setUp()
        self.proxy.clear_rules()

    def make_mailing(self, email_from, **values):
        return self.env["mailing.mailing"].create(
            {
                "subject": f"News from {email_from}",
                "email_from": email_from,
                "mailing_type": "mail",
                "mailing_model_id": self.env.ref("mass_mailing.model_mailing_list").id,
                "contact_list_ids": [(6, 0, self.mailing_list.ids)],
                "body_html": "<p>Hello</p>",
                **values,
            }
        )

    def checked(self, email_from, **values):
        mailing = self.make_mailing(email_from, **values)
        mailing.action_mail_domain_health_bulk_check()
        return mailing

    def rule(self, mailing, key):
        return next(r for r in mailing.mail_domain_health_bulk_result["verdict"]["rules"] if r["rule"] == key)

    def own_server(self, host, encryption):
        return (
            self.env["ir.mail_server"]
            .sudo()
            .create({"name": f"Relay {host}", "smtp_host": host, "smtp_encryption": encryption, "smtp_port": 25})
        )


@tagged("post_install", "-at_install")
class TestMailingBulkRules(BulkRulesCase):
    def test_a_mailing_from_yahoo_fails_and_send_asks_for_a_confirmation_saying_why(self):
        mailing = self.make_mailing("news@yahoo.com")
        self.assertFalse(mailing.mail_domain_health_bulk_level, "a save asks no DNS")
        self.assertTrue(mailing.mail_domain_health_bulk_pending)

        action = mailing.with_context(mail_domain_health_bulk_guard=True).action_launch()

        self.assertEqual(mailing.state, "draft", "nothing is sent before the confirmation")
        self.assertEqual(mailing.mail_domain_health_bulk_level, "fail")
        self.assertEqual(action["res_model"], "mailing.bulk.confirm")
        wizard = self.env["mailing.bulk.confirm"].browse(action["res_id"])
        text = str(wizard.consequences)
        self.assertIn("Gmail rejects this mail or puts it in spam", text)
        self.assertIn("Yahoo Mail rejects this mail or puts it in spam", text)
        self.assertIn("Outlook.com puts this mail in Junk", text)
        self.assertIn("From address on a domain you control", text)
        self.assertIn("Send the mailing from an address on a domain of your own, not on yahoo.com.", text)
        self.assertIn(mailing, self.env["mailing.mailing"].search([("mail_domain_health_bulk_level", "=", "fail")]))

        wizard.action_confirm()
        self.assertEqual(mailing.state, "in_queue", "confirmed, the mailing goes out")

    def test_code_that_launches_a_mailing_gets_odoo_s_behaviour_without_dns(self):
        # Only the form's buttons ask: other modules and scripts calling action_launch send as in plain Odoo.
        self.proxy.add_rule("yahoo.com", Fault.DROP)
        mailing = self.make_mailing("news@yahoo.com")
        started = time.monotonic()
        self.assertFalse(mailing.action_launch())
        self.assertLess(time.monotonic() - started, 0.5, "no DNS asked")
        self.assertEqual(mailing.state, "in_queue")
        self.assertFalse(mailing.mail_domain_health_bulk_level)

    def test_a_marketing_user_who_is_no_administrator_meets_the_same_confirmation(self):
        marketer = new_test_user(
            self.env, login="mdh_marketer", groups="base.group_user,mass_mailing.group_mass_mailing_user"
        )
        mailing = self.make_mailing("news@spf-only.bulk.test").with_user(marketer)
        action = mailing.with_context(mail_domain_health_bulk_guard=True).action_launch()
        self.assertEqual(action["res_model"], "mailing.bulk.confirm")
        wizard = self.env["mailing.bulk.confirm"].with_user(marketer).browse(action["res_id"])
        self.assertIn("DKIM signature passes", str(wizard.consequences))
        wizard.action_confirm()
        self.assertEqual(mailing.state, "in_queue")

    def test_schedule_asks_the_same_confirmation(self):
        mailing = self.make_mailing("news@spf-only.bulk.test")
        action = mailing.with_context(mail_domain_health_bulk_guard=True).action_schedule()
        self.assertEqual(action["res_model"], "mailing.bulk.confirm")
        confirmed = self.env["mailing.bulk.confirm"].browse(action["res_id"]).action_confirm()
        self.assertEqual(confirmed["res_model"], "mailing.mailing.schedule.date", "then the date, as without the check")

    def test_spf_without_dkim_fails_the_dkim_rule(self):
        mailing = self.checked("news@spf-only.bulk.test")
        self.assertEqual(mailing.mail_domain_health_bulk_level, "fail")
        self.assertEqual(self.rule(mailing, "spf")["status"], "pass")
        self.assertEqual(self.rule(mailing, "dkim")["status"], "fail")
        panel = str(mailing.mail_domain_health_bulk_html)
        self.assertIn("Set up DKIM signing of spf-only.bulk.test with Odoo", panel)
        self.assertIn("odoo._domainkey.spf-only.bulk.test. CNAME odoo._domainkey.odoo.com", panel)
        self.assertIn('href="https://support.google.com/a/answer/81126"', panel)

    def test_p_none_passes_with_the_advice_to_enforce_and_sends_without_confirmation(self):
        mailing = self.checked("Shop News <news@news.bulk.test>")
        self.assertEqual(mailing.mail_domain_health_bulk_level, "pass")
        self.assertIn("move news.bulk.test to p=quarantine", str(mailing.mail_domain_health_bulk_html))
        self.assertFalse(mailing.with_context(mail_domain_health_bulk_guard=True).action_launch())
        self.assertEqual(mailing.state, "in_queue")

    def test_one_click_unsubscribe_is_read_from_the_mail_odoo_prepares(self):
        mailing = self.make_mailing("news@news.bulk.test")
        headers = mailing._mail_domain_health_unsubscribe_headers()
        self.assertEqual(headers["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        self.assertIn("/unsubscribe_oneclick", headers["List-Unsubscribe"])
        self.assertFalse(
            self.env["mail.mail"].search([("mailing_id", "=", mailing.id)]), "the rendered mail is not kept"
        )
        mailing.action_mail_domain_health_bulk_check()
        self.assertEqual(self.rule(mailing, "one_click")["status"], "pass")

    def test_one_click_links_over_plain_http_fail(self):
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "http://shop.example.test")
        mailing = self.checked("news@news.bulk.test")
        self.assertEqual(self.rule(mailing, "one_click")["status"], "fail")
        self.assertEqual(self.rule(mailing, "one_click")["finding"]["code"], "bulk.one_click.not_https")
        self.assertEqual(mailing.mail_domain_health_bulk_level, "fail")

    def test_a_server_of_one_s_own_without_tls_is_warned_and_its_reverse_dns_checked(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.dkim_selector", "mail")
        mailing = self.checked("news@own.bulk.test", mail_server_id=self.own_server("mail.bulk.test", "none").id)
        self.assertEqual(self.rule(mailing, "tls")["status"], "warn")
        self.assertEqual(self.rule(mailing, "reverse_dns")["status"], "pass")
        self.assertIn("203.0.113.25 (mail.bulk.test)", self.rule(mailing, "reverse_dns")["finding"]["message"])
        self.assertEqual(mailing.mail_domain_health_bulk_level, "warn")

        mailing.mail_server_id = self.own_server("relay.bulk.test", "starttls")
        self.assertTrue(mailing._mail_domain_health_bulk_stale(), "another server: the verdict is out of date")
        mailing.action_mail_domain_health_bulk_check()
        self.assertEqual(self.rule(mailing, "tls")["status"], "pass")
        self.assertEqual(self.rule(mailing, "reverse_dns")["status"], "fail")
        self.assertEqual(
            self.rule(mailing, "reverse_dns")["finding"]["params"], {"addresses": "203.0.113.26 (dyn-26.bulk.test)"}
        )
        self.assertEqual(mailing.mail_domain_health_bulk_level, "fail")

    def test_the_email_marketing_settings_show_the_dedicated_server_s_path(self):
        server = self.own_server("mail.bulk.test", "none")
        self.env["ir.config_parameter"].sudo().set_param("mass_mailing.outgoing_mail_server", True)
        self.env["ir.config_parameter"].sudo().set_param("mass_mailing.mail_server_id", server.id)
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.dkim_selector", "mail")
        settings = self.env["res.config.settings"].create({})
        self.assertIn("No TLS", str(settings.mail_domain_health_bulk_server_html))
        self.assertIn("No mailing through it has been checked yet", str(settings.mail_domain_health_bulk_server_html))
        self.checked("news@own.bulk.test", mail_server_id=server.id)
        settings = self.env["res.config.settings"].create({})
        self.assertIn("203.0.113.25 (mail.bulk.test)", str(settings.mail_domain_health_bulk_server_html))

    def test_a_silent_dns_gives_the_screen_back_within_two_seconds(self):
        self.proxy.add_rule("news.bulk.test", Fault.DROP)
        mailing = self.make_mailing("news@news.bulk.test")
        started = time.monotonic()
        mailing.with_context(mail_domain_health_bulk_guard=True).action_launch()
        took = time.monotonic() - started
        self.assertLess(took, 2.0)
        self.assertEqual(mailing.mail_domain_health_bulk_level, "warn", "unknown, not failing: no confirmation")
        self.assertEqual(mailing.state, "in_queue")
        self.assertTrue(
            mailing.mail_domain_health_bulk_pending, "what the DNS did not answer goes on in the background"
        )

    def test_the_background_check_takes_the_pending_mailings(self):
        mailing = self.make_mailing("news@spf-only.bulk.test")
        other = self.make_mailing("news@news.bulk.test", mailing_type="mail")
        cron = self.env.ref("mail_domain_health_mass_mailing.ir_cron_check_pending_mailings")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.assertEqual((mailing.mail_domain_health_bulk_level, other.mail_domain_health_bulk_level), ("fail", "pass"))
        self.assertFalse(mailing.mail_domain_health_bulk_pending)
        mailing.email_from = "news@shop.bulk.test"
        self.assertTrue(mailing.mail_domain_health_bulk_pending)
        self.assertEqual(mailing.mail_domain_health_bulk_level, "fail", "kept until the background check")
