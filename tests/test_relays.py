"""Self-hosted Odoo sends through the outgoing mail server it is given: each relay of the engine's catalogue
known by its host, the domain judged by that relay's rules, and what was not checked never shown as a pass."""

from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import config

from .test_mail_domain_check import MailDomainHealthCase

# (outgoing server host, the provider it names, alias domain set up for it in tests/zones/providers.test.zone,
# the DKIM selectors to give when the account's own cannot be guessed).
RELAYS = [
    ("smtp.sendgrid.net", "sendgrid", "sendgrid-ok", ""),
    ("smtp-relay.brevo.com", "brevo", "brevo-ok", ""),
    ("smtp.eu.mailgun.org", "mailgun", "mailgun-ok", ""),
    ("email-smtp.eu-west-1.amazonaws.com", "amazon_ses", "amazon-ses-ok", "4xkqnqzcm2nfrkvtlbsdvkeqfsjtqzd3"),
    ("in-v3.mailjet.com", "mailjet", "mailjet-ok", ""),
    ("smtp.postmarkapp.com", "postmark", "postmark-ok", "20240101120000pm"),
    ("smtppro.zoho.eu", "zoho", "zoho-ok", ""),
    ("ssl0.ovh.net", "ovh", "ovh-ok", "ovhmo4321-selector1"),
    ("smtp.ionos.fr", "ionos", "ionos-ok", ""),
]


@tagged("post_install", "-at_install")
class TestRelays(MailDomainHealthCase):
    def setUp(self):
        super().setUp()
        self.params = self.env["ir.config_parameter"].sudo()
        self.params.set_param("mail_domain_health.provider", "auto")

    def settings_block(self, alias: str, *, smtp_server: str = "localhost"):
        """Check the company's alias domain now, as Settings shows it, with Odoo's own way to its server."""
        AliasDomain = self.env["mail.alias.domain"].sudo()
        domain = AliasDomain.search([("name", "=", alias)]) or AliasDomain.create({"name": alias})
        self.company_good.alias_domain_id = domain
        with patch.dict(config.options, {"smtp_server": smtp_server}):
            self.check_now(self.company_good)
            self.env.invalidate_all()
            return self.env["res.config.settings"].create({})

    def badges(self, block) -> tuple:
        return (
            block.mail_domain_health_spf_status,
            block.mail_domain_health_dkim_status,
            block.mail_domain_health_dmarc_status,
        )

    def test_each_relay_is_known_by_its_outgoing_server_and_judged_by_its_rules(self):
        for host, provider, label, selectors in RELAYS:
            with self.subTest(provider=provider):
                server = self.env["ir.mail_server"].sudo().create({"name": provider, "smtp_host": host})
                self.params.set_param("mail_domain_health.dkim_selector", selectors)
                block = self.settings_block(f"{label}.providers.test")
                check = self.company_good.mail_domain_check_id
                self.assertEqual(check.provider, provider)
                self.assertIn(host, block.mail_domain_health_sender)
                self.assertEqual(self.badges(block), ("pass", "pass", "pass"), check.finding_ids.mapped("code"))
                self.assertFalse(block.mail_domain_health_records_guide)
                server.unlink()

    def test_brevo_passes_dmarc_by_dkim_and_asks_for_no_spf_include(self):
        self.env["ir.mail_server"].sudo().create({"name": "Brevo", "smtp_host": "smtp-relay.brevo.com"})
        block = self.settings_block("brevo-spf-only.providers.test")
        # SPF has its say on the record (Brevo's include resolves), none on Brevo's mail.
        self.assertEqual(self.badges(block), ("pass", "fail", "fail"))
        guide = block.mail_domain_health_records_guide
        self.assertIn("brevo1._domainkey.brevo-spf-only.providers.test. CNAME b1.", guide)
        self.assertNotIn("v=spf1", guide, "an include that cannot align is never asked for")
        self.assertIn("DKIM signature", block.mail_domain_health_dmarc_reason)

    def test_sendgrid_without_its_dkim_cnames_fails_with_their_shape(self):
        self.env["ir.mail_server"].sudo().create({"name": "SendGrid", "smtp_host": "smtp.sendgrid.net"})
        block = self.settings_block("sendgrid-no-dkim.providers.test")
        self.assertEqual(
            (block.mail_domain_health_dkim_status, block.mail_domain_health_dmarc_status), ("fail", "fail")
        )
        self.assertIn(
            "s1._domainkey.sendgrid-no-dkim.providers.test. CNAME s1.domainkey.u<account>",
            block.mail_domain_health_records_guide,
        )

    def test_a_server_of_ones_own_is_judged_by_its_addresses_and_its_key_found_unnamed(self):
        self.env["ir.mail_server"].sudo().create({"name": "Own", "smtp_host": "smtp.own-default.providers.test"})
        block = self.settings_block("own-default.providers.test")
        check = self.company_good.mail_domain_check_id
        self.assertEqual((check.provider, check.dkim_selector), ("self_hosted", "default"))
        self.assertEqual(block.mail_domain_health_dkim_selector_found, "default")
        self.assertEqual(self.badges(block), ("pass", "pass", "pass"))

    def test_no_outgoing_server_shows_what_is_not_known_and_nothing_green(self):
        block = self.settings_block("own-rare.providers.test")
        check = self.company_good.mail_domain_check_id
        self.assertEqual(check.provider, "unknown")
        self.assertEqual(self.badges(block), ("unknown", "unknown", "unknown"))
        self.assertIn("Public sending addresses", block.mail_domain_health_spf_reason)
        self.assertIn("DKIM selectors", block.mail_domain_health_dkim_reason)
        self.assertIn("mail server of its own machine", block.mail_domain_health_sender)
        # The selector receivers reported is asked first, and kept once found.
        self.params.set_param("mail_domain_health.own_addresses", "198.51.100.25")
        check.dkim_selector = "x2023q4"
        block = self.settings_block("own-rare.providers.test")
        self.assertEqual(self.badges(block), ("pass", "pass", "pass"))
        self.assertEqual(self.company_good.mail_domain_check_id.dkim_selector, "x2023q4")

    def test_a_contacts_own_dkim_key_is_not_taken_for_the_servers(self):
        # A server of one's own at 203.0.113.9, which own-mail.providers.test (a customer's domain, its own key
        # at "mail") does not authorize: what Odoo relays as that customer is refused.
        self.env["ir.mail_server"].sudo().create({"name": "Own", "smtp_host": "203.0.113.9"})
        self.params.set_param("mail_domain_health.check_partners", "True")
        self.env["res.partner"].create({"name": "Kim", "email": "kim@own-mail.providers.test"})
        self.run_cron()
        check = self.check("own-mail.providers.test")
        self.assertEqual(check.provider, "self_hosted")
        self.assertIn("dkim.not_searched", check.finding_ids.mapped("code"))
        self.assertEqual((check.dkim_status, check.dmarc_status), ("fail", "fail"))
        self.assertTrue(check.relay_fails_sent_as)
