from odoo.exceptions import AccessError, UserError
from odoo.tests import BaseCase, new_test_user, tagged
from odoo.tools import email_normalize, mute_logger

from odoo.addons.base.tests.common import MockSmtplibCase
from odoo.addons.mail_domain_health.tools.relay import from_filter_value, named_domains

from .test_mail_domain_check import MailDomainHealthCase

# Outgoing set-ups the sending preview is held to: which ir.mail_server records exist, with which from_filter,
# and the from_filter of the configuration file's server (the mail.default.from_filter parameter).
SERVER_SET_UPS = {
    "no server": ([], False),
    "no server, from_filter on the alias domain": ([], "good.check.test"),
    "a catch-all server": ([("Catch-all", False)], False),
    "a server with from_filter on the alias domain": ([("Company relay", "good.check.test")], False),
    "a server per user domain": (
        [("Company relay", "good.check.test"), ("Google relay", "google-only.check.test")],
        False,
    ),
}
# The default From of the alias domain (what mail.default.from was before Odoo 17): a local part, none, or a
# full address on another domain.
DEFAULT_FROMS = ("notifications", False, "noreply@elsewhere.test")


class ContactRelayCase(MailDomainHealthCase, MockSmtplibCase):
    """Contacts' domains checked, a contact on yahoo.com (DMARC p=reject) following a document with an internal
    user who gets notifications by email, and an outside reader following it too."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("mail_domain_health.check_partners", "True")
        Partner = cls.env["res.partner"]
        cls.jane = Partner.create({"name": "Jane Yahoo", "email": "jane@yahoo.com"})
        cls.bob = Partner.create({"name": "Bob Good", "email": "bob@good.check.test"})
        cls.reader = Partner.create({"name": "Reader", "email": "reader@example.com"})
        cls.no_address = Partner.create({"name": "No Address"})
        cls.document = Partner.create({"name": "Project X"})
        cls.internal.notification_type = "email"
        cls.document.message_subscribe(partner_ids=(cls.jane | cls.reader | cls.internal.partner_id).ids)
        cls.Check = cls.env["mail.domain.check"]

    def set_up_sending(self, server_set_up: str, default_from):
        """Replace the outgoing servers by those of `server_set_up`, and set the alias domain's default From."""
        servers, config_from_filter = SERVER_SET_UPS[server_set_up]
        Server = self.env["ir.mail_server"].sudo()
        Server.with_context(active_test=False).search([]).unlink()
        for sequence, (name, from_filter) in enumerate(servers):
            Server.create(
                {
                    "name": name,
                    "smtp_host": f"smtp{sequence}.example.net",
                    "from_filter": from_filter,
                    "sequence": sequence,
                }
            )
        self.env["ir.config_parameter"].sudo().set_param("mail.default.from_filter", config_from_filter)
        self.good_alias.default_from = default_from
        self.env.invalidate_all()

    def relay(self, author):
        """Post a message authored by `author` on the document, as Odoo does when a follower writes, and send
        what Odoo built for the followers through a mocked SMTP connection: the mail as Odoo really sends it,
        after ir.mail_server._prepare_email_message__()."""
        message = (
            self.document.sudo()
            .with_context(mail_notify_force_send=False)
            .message_post(
                author_id=author.id,
                email_from=author.email_formatted,
                body="A reply",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        )
        mails = self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])
        self.assertTrue(mails, "Odoo relays the message to the followers by email")
        # Some set-ups have Odoo fall back on a server that does not match, which it logs as a warning.
        with self.mock_smtplib_connection(), mute_logger("odoo.addons.base.models.ir_mail_server"):
            mails.send()
        self.assertTrue(self.emails, "the relayed mail went out")
        return self.emails[0]

    def preview(self, partner, company=None):
        return self.env["ir.mail_server"]._mail_domain_health_preview(
            partner.email_normalized, company or self.env.company
        )

    def assert_preview_is_what_odoo_sends(self, partner):
        # Some set-ups have Odoo fall back on a server that does not match, which it logs as a warning.
        with mute_logger("odoo.addons.base.models.ir_mail_server"):
            preview = self.preview(partner)
        sent = self.relay(partner)
        self.assertEqual(email_normalize(sent["msg_from"]), email_normalize(preview.email_from), "From")
        self.assertEqual(sent["smtp_from"], preview.envelope_from, "envelope sender (Return-Path)")
        return preview

    def fix(self, **context):
        return self.env["mail.domain.relay.fix"].with_user(self.admin).with_context(**context).create({})

    def relay_failing_contacts(self):
        Partner = self.env["res.partner"].with_user(self.admin)
        return Partner.search([("mail_domain_health_relay_fails", "=", True), ("id", "in", self.contacts.ids)])

    @property
    def contacts(self):
        return self.jane | self.bob | self.reader | self.no_address


@tagged("post_install", "-at_install")
class TestSendingPreviewAgreesWithOdoo(ContactRelayCase):
    def test_preview_agrees_with_the_message_odoo_builds_for_every_outgoing_set_up(self):
        yahoo_user = new_test_user(self.env, login="joan.preview@yahoo.com", email="joan.preview@yahoo.com")
        authors = {
            "a user on the alias domain": self.internal.partner_id,
            "a user on yahoo.com": yahoo_user.partner_id,
            "a contact on yahoo.com": self.jane,
            "a contact on the alias domain": self.bob,
        }
        rewritten = set()
        for server_set_up in SERVER_SET_UPS:
            for default_from in DEFAULT_FROMS:
                self.set_up_sending(server_set_up, default_from)
                for author_name, author in authors.items():
                    with self.subTest(servers=server_set_up, default_from=default_from, author=author_name):
                        preview = self.assert_preview_is_what_odoo_sends(author)
                        if preview.rewritten:
                            rewritten.add((server_set_up, default_from, author_name))
        # The set-ups differ where they should: not every author always goes out the same way.
        self.assertIn(("a catch-all server", "notifications", "a contact on yahoo.com"), rewritten)
        self.assertNotIn(("a catch-all server", False, "a contact on yahoo.com"), rewritten)
        self.assertNotIn(("no server", "notifications", "a contact on yahoo.com"), rewritten)
        self.assertIn(
            ("no server, from_filter on the alias domain", "notifications", "a contact on yahoo.com"), rewritten
        )
        self.assertNotIn(("a server per user domain", "notifications", "a user on the alias domain"), rewritten)

    def test_preview_of_a_change_agrees_with_odoo_once_the_change_is_made(self):
        self.run_cron()
        for server_set_up, default_from in (("a catch-all server", False), ("no server", "notifications")):
            with self.subTest(servers=server_set_up, default_from=default_from):
                self.set_up_sending(server_set_up, default_from)
                wizard = self.fix(default_partner_id=self.jane.id)
                change, blocker = wizard._from_filter_change()
                self.assertTrue(change, blocker)
                previewed = self.env["ir.mail_server"]._mail_domain_health_preview(
                    self.jane.email_normalized, self.env.company, change
                )
                self.assertTrue(previewed.rewritten)
                wizard.fix = "from_filter"
                wizard.action_apply()
                self.env.invalidate_all()
                self.assertEqual(self.assert_preview_is_what_odoo_sends(self.jane), previewed)


@tagged("post_install", "-at_install")
class TestContactRelay(ContactRelayCase):
    def test_yahoo_contact_behind_a_catch_all_server_is_warned_listed_and_fixed_by_the_from_filter(self):
        # A catch-all server relays everyone's mail as is when Odoo has no notifications address to send as.
        self.set_up_sending("a catch-all server", False)
        self.run_cron()
        jane = self.jane.with_user(self.admin)
        self.assertTrue(jane.mail_domain_health_relay_fails)
        self.assertIn("The DMARC policy of yahoo.com is reject", jane.mail_domain_health_relay_warning)
        self.assertIn("as jane@yahoo.com itself", jane.mail_domain_health_relay_warning)
        self.assertFalse(jane.mail_domain_health_relay_info)
        self.assertEqual(self.relay_failing_contacts(), self.jane)
        self.assertFalse(self.assert_preview_is_what_odoo_sends(self.jane).rewritten)
        yahoo = self.check("yahoo.com").with_user(self.admin)
        self.assertEqual(yahoo.relay_contact_count, 1)
        settings = self.env["res.config.settings"].with_user(self.admin).create({})
        self.assertEqual(settings.mail_domain_health_relay_contact_count, 1)
        self.assertIn("One contact on yahoo.com", settings.mail_domain_health_relay_summary)

        wizard = self.fix(default_partner_id=self.jane.id)
        wizard.fix = "from_filter"
        self.assertTrue(wizard.from_filter_available, wizard.from_filter_summary)
        self.assertIn("Catch-all", wizard.from_filter_summary)
        self.assertIn("good.check.test", wizard.from_filter_summary)
        self.assertIn("@yahoo.com", wizard.from_filter_changes)
        self.assertIn("notifications@good.check.test", wizard.from_filter_changes)
        wizard.action_apply()
        self.env.invalidate_all()

        server = self.env["ir.mail_server"].sudo().search([])
        # Every company's alias domain: the users of Broken Ltd on theirs keep sending as themselves.
        self.assertEqual(server.from_filter, "good.check.test,google-only.check.test")
        self.assertEqual(self.good_alias.default_from, "notifications", "Odoo needs an address to send as")
        preview = self.assert_preview_is_what_odoo_sends(self.jane)
        self.assertTrue(preview.rewritten)
        self.assertEqual(preview.email_from, "notifications@good.check.test")
        self.assertFalse(jane.mail_domain_health_relay_fails)
        self.assertFalse(jane.mail_domain_health_relay_warning)
        self.assertIn("notifications@good.check.test", jane.mail_domain_health_relay_info)
        self.assertFalse(self.relay_failing_contacts())
        self.assertEqual(yahoo.relay_contact_count, 0)
        posted = yahoo.sudo().message_ids.filtered(lambda message: "Relayed mail" in (message.body or ""))
        self.assertEqual(len(posted), 1)
        self.assertIn("Catch-all", posted.body)

    def test_yahoo_contact_through_the_configuration_file_server_is_fixed_by_mail_default_from_filter(self):
        self.set_up_sending("no server", "notifications")
        self.run_cron()
        self.assertEqual(self.relay_failing_contacts(), self.jane)
        wizard = self.fix(default_check_ids=self.check("yahoo.com").ids)
        wizard.fix = "from_filter"
        self.assertIn("mail.default.from_filter", wizard.from_filter_summary)
        wizard.action_apply()
        self.env.invalidate_all()
        from_filter = self.env["ir.config_parameter"].sudo().get_param("mail.default.from_filter")
        self.assertEqual(from_filter, "good.check.test,google-only.check.test")
        self.assertTrue(self.assert_preview_is_what_odoo_sends(self.jane).rewritten)
        self.assertFalse(self.relay_failing_contacts())

    def test_yahoo_contact_with_a_from_filter_on_the_alias_domain_shows_the_information_line_only(self):
        self.set_up_sending("a server with from_filter on the alias domain", "notifications")
        self.run_cron()
        jane = self.jane.with_user(self.admin)
        self.assertFalse(jane.mail_domain_health_relay_fails)
        self.assertFalse(jane.mail_domain_health_relay_warning)
        info = jane.mail_domain_health_relay_info
        self.assertIn("notifications address, with the author's name", info)
        self.assertIn("notifications@good.check.test with the contact's name, and it is delivered", info)
        self.assertFalse(self.relay_failing_contacts())
        self.assertTrue(self.assert_preview_is_what_odoo_sends(self.jane).rewritten)

    def test_a_catch_all_server_with_a_default_from_already_sends_as_the_notifications_address(self):
        # Odoo 19 sends through a server without from_filter as its notifications address when it has one.
        self.set_up_sending("a catch-all server", "notifications")
        self.run_cron()
        self.assertFalse(self.jane.with_user(self.admin).mail_domain_health_relay_fails)
        self.assertTrue(self.jane.with_user(self.admin).mail_domain_health_relay_info)
        self.assertTrue(self.assert_preview_is_what_odoo_sends(self.jane).rewritten)

    def test_contacts_on_a_domain_that_passes_get_neither_banner_nor_line(self):
        self.set_up_sending("a catch-all server", False)
        self.run_cron()
        for contact in (self.bob, self.reader, self.no_address):
            contact = contact.with_user(self.admin)
            with self.subTest(contact=contact.name):
                self.assertFalse(contact.mail_domain_health_relay_fails)
                self.assertFalse(contact.mail_domain_health_relay_warning)
                self.assertFalse(contact.mail_domain_health_relay_info)
        not_failing = (
            self.env["res.partner"]
            .with_user(self.admin)
            .search([("mail_domain_health_relay_fails", "=", False), ("id", "in", self.contacts.ids)])
        )
        self.assertEqual(not_failing, self.bob | self.reader | self.no_address, "a contact without address included")

    def test_inbox_fix_has_the_followers_notified_by_email_handle_notifications_in_odoo(self):
        self.set_up_sending("a catch-all server", False)
        self.run_cron()
        inbox_already = new_test_user(self.env, login="mdh_inbox", groups="base.group_user", notification_type="inbox")
        not_following = new_test_user(self.env, login="mdh_elsewhere", groups="base.group_user")
        self.document.message_subscribe(partner_ids=inbox_already.partner_id.ids)
        wizard = self.fix(default_partner_id=self.jane.id)
        self.assertEqual(wizard.fix, "inbox")
        self.assertEqual(wizard.inbox_user_ids, self.internal)
        self.assertIn(self.internal.name, wizard.inbox_changes)
        self.assertIn("In Odoo", wizard.inbox_changes)
        wizard.action_apply()
        self.assertEqual(self.internal.notification_type, "inbox")
        self.assertEqual(not_following.notification_type, "email", "only the followers concerned change")
        posted = self.check("yahoo.com").message_ids.filtered(lambda message: "Relayed mail" in (message.body or ""))
        self.assertIn(self.internal.name, posted.body)
        # The contact's relayed mail still fails for anyone else: the fix was for the users who follow it.
        self.assertTrue(self.jane.with_user(self.admin).mail_domain_health_relay_fails)
        with self.assertRaisesRegex(UserError, "nothing to change"):
            self.fix(default_partner_id=self.jane.id).action_apply()

    def test_nothing_changes_until_a_fix_is_applied(self):
        self.set_up_sending("a catch-all server", False)
        self.run_cron()
        wizard = self.fix(default_partner_id=self.jane.id)
        for fix in ("inbox", "from_filter"):
            wizard.fix = fix
            self.assertTrue(wizard.inbox_changes and wizard.from_filter_changes)
        self.env.invalidate_all()
        self.assertFalse(self.env["ir.mail_server"].sudo().search([]).from_filter)
        self.assertFalse(self.good_alias.default_from)
        self.assertEqual(self.internal.notification_type, "email")
        self.assertTrue(self.jane.with_user(self.admin).mail_domain_health_relay_fails)

    def test_contacts_affected_of_a_domain_are_its_failing_contacts(self):
        self.set_up_sending("a catch-all server", False)
        aol = self.env["res.partner"].create({"name": "Al Aol", "email": "Al <al@aol.com>"})
        self.run_cron()
        action = self.check("yahoo.com").with_user(self.admin).action_open_relay_contacts()
        self.assertEqual(action["context"], "{'search_default_mail_domain_health_relay_fails': 1}")
        Partner = self.env["res.partner"].with_user(self.admin)
        found = Partner.search([*action["domain"], ("mail_domain_health_relay_fails", "=", True)])
        self.assertEqual(found, self.jane)
        self.assertEqual(
            self.relay_failing_contacts() | aol, Partner.search([("mail_domain_health_relay_fails", "=", True)])
        )
        settings = self.env["res.config.settings"].with_user(self.admin).create({})
        self.assertEqual(settings.mail_domain_health_relay_contact_count, 2)
        self.assertIn("2 contacts on 2 domains", settings.mail_domain_health_relay_summary)
        wizard = (
            self.env["mail.domain.relay.fix"]
            .with_user(self.admin)
            .with_context(**settings.action_open_mail_domain_health_relay_fix()["context"])
            .create({})
        )
        self.assertEqual(wizard.contact_count, 2)
        self.assertEqual(wizard.domain_names, "aol.com, yahoo.com")

    def test_the_contacts_list_with_the_filter_shows_the_failing_contacts(self):
        self.set_up_sending("a catch-all server", False)
        self.run_cron()
        Partner = self.env["res.partner"].with_user(self.admin)
        specification = {"display_name": {}, "email": {}}
        ours = ("id", "in", self.contacts.ids)
        others = self.contacts - self.jane
        for domain, expected in (
            ([("mail_domain_health_relay_fails", "=", True)], self.jane),
            (["&", ours, ("mail_domain_health_relay_fails", "!=", True)], others),
            (["&", ours, ("mail_domain_health_relay_fails", "=", False)], others),
        ):
            with self.subTest(domain=domain):
                result = Partner.web_search_read(domain, specification, limit=80, count_limit=10001)
                self.assertEqual({record["id"] for record in result["records"]}, set(expected.ids))
                self.assertEqual(result["length"], len(expected))

    def test_banner_filter_and_counts_ask_no_dns(self):
        self.set_up_sending("a catch-all server", False)
        self.run_cron()
        self.proxy.queries.clear()
        self.env.invalidate_all()
        self.assertTrue(self.jane.with_user(self.admin).mail_domain_health_relay_warning)
        self.assertEqual(self.relay_failing_contacts(), self.jane)
        self.assertEqual(self.check("yahoo.com").with_user(self.admin).relay_contact_count, 1)
        self.assertEqual(sum(self.proxy.queries.values()), 0)

    def test_nothing_is_said_about_contacts_when_their_domains_are_not_checked(self):
        self.set_up_sending("a catch-all server", False)
        self.run_cron()
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.check_partners", "False")
        self.env.invalidate_all()
        self.assertFalse(self.jane.with_user(self.admin).mail_domain_health_relay_warning)
        self.assertFalse(self.relay_failing_contacts())
        self.assertEqual(self.check("yahoo.com").with_user(self.admin).relay_contact_count, 0)
        settings = self.env["res.config.settings"].with_user(self.admin).create({})
        self.assertEqual(settings.mail_domain_health_relay_contact_count, 0)

    def test_contacts_checks_belong_to_no_company_and_are_for_settings_administrators_only(self):
        self.set_up_sending("a catch-all server", False)
        self.run_cron()
        yahoo = self.check("yahoo.com")
        self.assertFalse(yahoo.company_ids, "a contact's domain belongs to no company")
        for user in (self.internal, self.portal):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.jane.with_user(user).read(["mail_domain_health_relay_warning"])
                with self.assertRaises(AccessError):
                    self.env["res.partner"].with_user(user).search([("mail_domain_health_relay_fails", "=", True)])
                with self.assertRaises(AccessError):
                    self.env["mail.domain.relay.fix"].with_user(user).create({"partner_id": self.jane.id})
        with self.assertRaises(AccessError):
            self.jane.with_user(self.internal).action_open_mail_domain_health_relay_fix()
        admin_of_broken = new_test_user(
            self.env,
            login="mdh_relay_admin_broken",
            groups="base.group_system",
            company_id=self.company_broken.id,
            company_ids=[(6, 0, self.company_broken.ids)],
        )
        self.assertIn("yahoo.com", self.Check.with_user(admin_of_broken).search([]).mapped("name"))

    def test_a_contacts_domain_is_kept_as_its_check_is_named(self):
        Partner = self.env["res.partner"]
        self.assertEqual(self.jane.mail_domain_health_email_domain, "yahoo.com")
        ana = Partner.create({"name": "Ana", "email": "Ana <ana@Bücher.check.test>"})
        self.assertEqual(ana.mail_domain_health_email_domain, "xn--bcher-kva.check.test")
        ana.email = "ana@aol.com"
        self.assertEqual(ana.mail_domain_health_email_domain, "aol.com")
        self.assertFalse(self.no_address.mail_domain_health_email_domain)

    def test_contacts_domains_are_read_in_one_query_whatever_their_number(self):
        Check = self.Check.sudo()
        settings = Check._get_check_settings()

        def queries():
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            Check._domains_to_check(settings)
            return self.env.cr.sql_log_count - before

        few = queries()
        self.env["res.partner"].create(
            [{"name": f"Contact {index}", "email": f"c{index}@d{index}.check.test"} for index in range(40)]
        )
        self.assertEqual(queries(), few)


@tagged("post_install", "-at_install")
class TestRelayHelpers(BaseCase):
    """The Odoo-free helpers of tools/relay.py (whether relayed mail fails is the engine's: tests/engine)."""

    def test_named_domains_are_those_of_from_filters_and_the_notifications_address(self):
        named = named_domains(["good.test, Jo@Other.Test", None, "Bücher.test"], "notifications@alias.test")
        self.assertEqual(named, {"good.test", "other.test", "xn--bcher-kva.test", "alias.test"})

    def test_from_filter_value_names_each_domain_once_in_order(self):
        self.assertEqual(from_filter_value(["b.test", "A.test", "b.test", None]), "a.test,b.test")
