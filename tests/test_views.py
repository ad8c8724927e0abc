from lxml import etree

from odoo.exceptions import ValidationError
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .support.dnsserver import ZONES_DIR, AuthoritativeServer

# The alias domain of the Check now test: no SPF, no DKIM, no DMARC.
BARE_ZONE = """\
$ORIGIN settings-bare.test.
$TTL 300
@   SOA  ns1.settings-bare.test. hostmaster.settings-bare.test. 1 3600 600 86400 300
@   NS   ns1.settings-bare.test.
ns1 A    192.0.2.53
@   MX   10 mail.settings-bare.test.
"""


def _visible(node: etree._Element, values: dict) -> bool:
    """Whether a view element is shown for a record with these values (its `invisible` expression)."""
    return not safe_eval(node.get("invisible", "False"), values)


@tagged("post_install", "-at_install")
class TestMailDomainHealthViews(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = new_test_user(
            cls.env, login="mdh_views_admin", groups="base.group_system,base.group_no_one", email="admin@example.com"
        )
        cls.internal = new_test_user(cls.env, login="mdh_views_internal", groups="base.group_user,base.group_no_one")
        cls.check_action = cls.env.ref("mail_domain_health.mail_domain_check_action")
        cls.check_menu = cls.env.ref("mail_domain_health.mail_domain_check_menu")

    def _arch(self, model: str, view_type: str = "form", xmlid: str | None = None) -> etree._Element:
        view_id = self.env.ref(xmlid).id if xmlid else None
        return etree.fromstring(self.env[model].with_user(self.admin).get_view(view_id, view_type)["arch"])

    # Settings › General Settings › Emails

    def test_settings_block_follows_alias_domain_setting(self):
        arch = self._arch("res.config.settings")
        alias_setting = arch.xpath("//block[@id='emails']/setting[@id='email-alias-setting']")
        self.assertEqual(len(alias_setting), 1, "the Emails block keeps its alias domain setting")
        following = alias_setting[0].getnext()
        self.assertEqual(following.get("id"), "mail_domain_health_setting")
        self.assertEqual(following.getnext().get("id"), "mail_domain_health_dns_setting")

    def test_settings_block_shows_badges_records_and_buttons(self):
        block = self._arch("res.config.settings").xpath("//setting[@id='mail_domain_health_setting']")[0]
        for part in ("spf", "dkim", "dmarc"):
            badge = block.xpath(f".//field[@name='mail_domain_health_{part}_status']")
            self.assertEqual(len(badge), 1, part)
            self.assertEqual(badge[0].get("widget"), "badge")
            for decoration in ("decoration-success", "decoration-warning", "decoration-danger"):
                self.assertTrue(badge[0].get(decoration), f"{part} badge lacks {decoration}")
        self.assertTrue(block.xpath(".//field[@name='mail_domain_health_checked_at']"))
        widgets = {node.get("widget") for node in block.xpath(".//field[@name='mail_domain_health_records']")}
        self.assertIn("CopyClipboardButton", widgets, "the records to publish can be copied")
        self.assertTrue(block.xpath(".//button[@name='action_check_mail_domain_health'][@type='object']"))
        link = block.xpath(".//button[@type='action']")
        self.assertEqual([node.get("name") for node in link], [str(self.check_action.id)])

    def test_settings_block_asks_for_an_alias_domain_first(self):
        block = self._arch("res.config.settings").xpath("//setting[@id='mail_domain_health_setting']")[0]
        hint = block.xpath(".//div[@name='mail_domain_health_no_alias']")[0]
        result = block.xpath(".//div[@name='mail_domain_health_alias_result']")[0]
        self.assertTrue(_visible(hint, {"alias_domain_id": False}))
        self.assertFalse(_visible(result, {"alias_domain_id": False}))
        self.assertFalse(_visible(hint, {"alias_domain_id": 1}))
        self.assertTrue(_visible(result, {"alias_domain_id": 1}))

    def test_settings_dns_options_are_in_the_view(self):
        block = self._arch("res.config.settings").xpath("//setting[@id='mail_domain_health_dns_setting']")[0]
        names = {node.get("name") for node in block.xpath(".//field")}
        self.assertEqual(
            names,
            {
                "mail_domain_health_provider",
                "mail_domain_health_own_addresses",
                "mail_domain_health_dkim_selector",
                "mail_domain_health_nameservers",
                "mail_domain_health_timeout",
                "mail_domain_health_check_partners",
                "mail_domain_health_use_queue_job",
                "mail_domain_health_queue_job_available",
                "mail_domain_health_relay_summary",
                "mail_domain_health_relay_contact_count",
            },
        )
        # What contacts' checks found shows only where contacts' domains are checked.
        relay = block.xpath(".//div[@name='mail_domain_health_relay']")[0]
        self.assertFalse(_visible(relay, {"mail_domain_health_check_partners": False}))
        self.assertTrue(_visible(relay, {"mail_domain_health_check_partners": True}))
        buttons = {node.get("name") for node in relay.xpath(".//button[@type='object']")}
        self.assertEqual(
            buttons,
            {"action_open_mail_domain_health_relay_contacts", "action_open_mail_domain_health_relay_fix"},
        )
        # The split into queued jobs is offered only where the Job Queue module is installed.
        queue_option = block.xpath(".//div[field[@name='mail_domain_health_use_queue_job']]")[0]
        self.assertFalse(_visible(queue_option, {"mail_domain_health_queue_job_available": False}))
        self.assertTrue(_visible(queue_option, {"mail_domain_health_queue_job_available": True}))

    def test_settings_are_saved_as_system_parameters(self):
        settings = self.env["res.config.settings"].create(
            {
                "mail_domain_health_provider": "google",
                "mail_domain_health_dkim_selector": "google, s1.mail",
                "mail_domain_health_nameservers": "127.0.0.1:5353, [::1]:53",
                "mail_domain_health_timeout": 7.5,
                "mail_domain_health_check_partners": True,
            }
        )
        settings.execute()
        parameters = self.env["ir.config_parameter"].sudo()
        self.assertEqual(parameters.get_param("mail_domain_health.provider"), "google")
        self.assertEqual(parameters.get_param("mail_domain_health.dkim_selector"), "google, s1.mail")
        self.assertEqual(parameters.get_param("mail_domain_health.nameservers"), "127.0.0.1:5353, [::1]:53")
        self.assertEqual(float(parameters.get_param("mail_domain_health.timeout")), 7.5)
        self.assertTrue(parameters.get_param("mail_domain_health.check_partners"))
        reopened = self.env["res.config.settings"].create({})
        self.assertEqual(reopened.mail_domain_health_nameservers, "127.0.0.1:5353, [::1]:53")
        self.assertEqual(reopened.mail_domain_health_timeout, 7.5)

    def test_settings_reject_garbage_nameservers(self):
        for garbage in ("dns.example.com", "127.0.0.1:99999", "127.0.0.1:port", "[::1", "1.2.3.4; rm -rf"):
            with self.subTest(garbage=garbage), self.assertRaisesRegex(ValidationError, "not a DNS server address"):
                self.env["res.config.settings"].create({"mail_domain_health_nameservers": garbage})

    def test_settings_reject_bad_dkim_selectors(self):
        for garbage in ("odoo._domainkey", "-odoo", "s1..mail", "sel ector!", "a" * 64):
            with self.subTest(garbage=garbage), self.assertRaisesRegex(ValidationError, "not a DKIM selector"):
                self.env["res.config.settings"].create({"mail_domain_health_dkim_selector": garbage})

    def test_settings_reject_a_timeout_out_of_range(self):
        for timeout in (-1.0, 0.0, 600.0):
            with self.subTest(timeout=timeout), self.assertRaisesRegex(ValidationError, "timeout per domain"):
                self.env["res.config.settings"].create({"mail_domain_health_timeout": timeout})

    # Users

    def test_user_forms_carry_the_warning_banner(self):
        for xmlid in ("base.view_users_simple_form", "base.view_users_form"):
            with self.subTest(view=xmlid):
                arch = self._arch("res.users", xmlid=xmlid)
                banner = arch.xpath("//div[@name='mail_domain_health_banner']")
                self.assertEqual(len(banner), 1)
                self.assertEqual(banner[0].get("role"), "alert")
                self.assertIn("o_form_header", banner[0].get("class"))
                self.assertTrue(banner[0].xpath(".//field[@name='mail_domain_health_warning']"))
                self.assertTrue(_visible(banner[0], {"mail_domain_health_warning": "Sent as notifications@"}))
                self.assertFalse(_visible(banner[0], {"mail_domain_health_warning": False}))

    def test_user_banner_sits_above_the_name(self):
        simple = self._arch("res.users", xmlid="base.view_users_simple_form")
        banner = simple.xpath("//div[@name='mail_domain_health_banner']")[0]
        self.assertTrue(banner.getnext().xpath(".//field[@name='name']"), "the banner comes right before the name")
        full = self._arch("res.users", xmlid="base.view_users_form")
        banner = full.xpath("//div[@name='mail_domain_health_banner']")[0]
        self.assertEqual(banner.getprevious().get("name"), "button_box")

    def test_user_forms_open_on_a_user(self):
        for xmlid in ("base.view_users_simple_form", "base.view_users_form"):
            with self.subTest(view=xmlid):
                form = Form(self.internal.with_user(self.admin), view=xmlid)
                self.assertEqual(form.login, "mdh_views_internal")

    def test_typing_a_yahoo_address_shows_the_banner_at_once(self):
        for xmlid in ("base.view_users_simple_form", "base.view_users_form"):
            with self.subTest(view=xmlid):
                form = Form(self.env["res.users"].with_user(self.admin), view=xmlid)
                form.name = "Jane Doe"
                self.assertFalse(form.mail_domain_health_warning)
                # The form also pops the onchange warning, which Form logs.
                with self.assertLogs("odoo.tests.form.onchange", level="WARNING"):
                    form.login = "jane.doe@yahoo.com"
                self.assertIn("yahoo.com", form.mail_domain_health_warning)
                arch = self._arch("res.users", xmlid=xmlid)
                banner = arch.xpath("//div[@name='mail_domain_health_banner']")[0]
                self.assertTrue(_visible(banner, {"mail_domain_health_warning": form.mail_domain_health_warning}))

    # Contacts

    def test_contact_form_carries_the_relay_banner_and_information_line(self):
        arch = self._arch("res.partner", xmlid="base.view_partner_form")
        banner = arch.xpath("//div[@name='mail_domain_health_relay_banner']")
        self.assertEqual(len(banner), 1)
        self.assertEqual(banner[0].getprevious().get("name"), "button_box")
        self.assertEqual(banner[0].get("role"), "alert")
        self.assertTrue(banner[0].xpath(".//field[@name='mail_domain_health_relay_warning']"))
        self.assertTrue(banner[0].xpath(".//button[@name='action_open_mail_domain_health_relay_fix']"))
        self.assertEqual(len(banner[0].xpath(".//li")), 2, "the two fixes Odoo's documentation names")
        self.assertTrue(_visible(banner[0], {"mail_domain_health_relay_fails": True}))
        self.assertFalse(_visible(banner[0], {"mail_domain_health_relay_fails": False}))
        info = arch.xpath("//div[@name='mail_domain_health_relay_info']")[0]
        self.assertIn("alert-info", info.get("class"), "information, not a warning")
        self.assertFalse(_visible(info, {"mail_domain_health_relay_info": False}))

    def test_contact_form_and_filter_are_for_settings_administrators_only(self):
        form = etree.fromstring(self.env["res.partner"].with_user(self.internal).get_view(view_type="form")["arch"])
        self.assertFalse(form.xpath("//div[@name='mail_domain_health_relay_banner']"))
        search = etree.fromstring(self.env["res.partner"].with_user(self.internal).get_view(view_type="search")["arch"])
        self.assertFalse(search.xpath("//filter[@name='mail_domain_health_relay_fails']"))

    def test_contact_search_view_filters_on_relayed_mail(self):
        search = self._arch("res.partner", "search", "base.view_res_partner_filter")
        relay_filter = search.xpath("//filter[@name='mail_domain_health_relay_fails']")
        self.assertEqual(len(relay_filter), 1)
        domain = safe_eval(relay_filter[0].get("domain"))
        self.assertEqual(domain, [("mail_domain_health_relay_fails", "=", True)])
        self.env["res.partner"].with_user(self.admin).search(domain)

    def test_relay_fix_dialog_opens_and_offers_both_fixes(self):
        action = (
            self.env["res.config.settings"].with_user(self.admin).create({}).action_open_mail_domain_health_relay_fix()
        )
        self.assertEqual((action["res_model"], action["target"]), ("mail.domain.relay.fix", "new"))
        form = Form(self.env["mail.domain.relay.fix"].with_user(self.admin).with_context(**action["context"]))
        self.assertEqual(form.fix, "inbox")
        form.fix = "from_filter"
        arch = self._arch("mail.domain.relay.fix", xmlid="mail_domain_health.mail_domain_relay_fix_view_form")
        self.assertEqual(
            [node.get("name") for node in arch.xpath("//footer/button")], ["action_apply", None], "Apply or Cancel"
        )
        self.assertTrue(
            arch.xpath("//field[@name='inbox_changes']") and arch.xpath("//field[@name='from_filter_changes']")
        )

    # Company

    def test_company_form_shows_status_next_to_alias_domain(self):
        arch = self._arch("res.company", xmlid="base.view_company_form")
        status = arch.xpath(
            "//field[@name='alias_domain_id']/following-sibling::div[@name='mail_domain_health_status']"
        )
        self.assertEqual(len(status), 1)
        self.assertEqual(status[0].xpath(".//field[@name='mail_domain_health_status']")[0].get("widget"), "badge")

    # Checked domains

    def test_domain_check_views_render(self):
        check = self.env["mail.domain.check"].create({"name": "views-render.test"})
        form = Form(check.with_user(self.admin), view="mail_domain_health.mail_domain_check_view_form")
        self.assertEqual(form.name, "views-render.test")
        arch = self._arch("mail.domain.check", xmlid="mail_domain_health.mail_domain_check_view_form")
        self.assertTrue(arch.xpath("//chatter"), "status changes show in the chatter")
        self.assertTrue(arch.xpath("//div[@name='stale_warning']//field[@name='fault_summary']"))
        self.assertIn(
            "CopyClipboardButton", {node.get("widget") for node in arch.xpath("//field[@name='records_to_publish']")}
        )
        listing = self._arch("mail.domain.check", "list", "mail_domain_health.mail_domain_check_view_list")
        self.assertEqual(listing.xpath("//list/field[@name='status']")[0].get("widget"), "badge")
        self.assertTrue(arch.xpath("//div[@name='button_box']/button[@name='action_open_relay_contacts']"))
        self.assertTrue(arch.xpath("//header/button[@name='action_open_relay_fix']"))
        self.assertEqual(
            listing.xpath("//list/field[@name='relay_contact_count']")[0].get("string"), "Contacts affected"
        )
        search = self._arch("mail.domain.check", "search", "mail_domain_health.mail_domain_check_view_search")
        filters = {node.get("name") for node in search.xpath("//filter")}
        self.assertLessEqual({"status_fail", "status_warn", "stale", "provider_google", "group_by_status"}, filters)

    def test_domain_check_search_filters_select_by_status(self):
        Check = self.env["mail.domain.check"]
        failing = Check.create({"name": "views-fail.test"})
        failing.write({"status": "fail"})
        passing = Check.create({"name": "views-pass.test"})
        passing.write({"status": "pass"})
        search = self._arch("mail.domain.check", "search", "mail_domain_health.mail_domain_check_view_search")
        domain = safe_eval(search.xpath("//filter[@name='status_fail']")[0].get("domain"))
        found = Check.search(domain + [("name", "like", "views-")])
        self.assertEqual(found, failing)

    def test_domain_list_is_for_administrators_only(self):
        system = self.env.ref("base.group_system")
        self.assertEqual(self.check_menu.group_ids, system)
        self.assertEqual(self.check_action.group_ids, system)
        # Settings › Users & Companies: reachable without the developer mode.
        self.assertEqual(self.check_menu.parent_id, self.env.ref("base.menu_users"))
        menus = self.env["ir.ui.menu"]
        self.assertIn(self.check_menu.id, menus.with_user(self.admin)._visible_menu_ids(debug=True))
        self.assertNotIn(self.check_menu.id, menus.with_user(self.internal)._visible_menu_ids(debug=True))


@tagged("post_install", "-at_install")
class TestMailDomainHealthSettingsCheckNow(TransactionCase):
    """The Check now button of the settings, against a real DNS server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # test. answers the DMARC tree walk up to the top-level domain, as a recursive resolver would.
        zones = {"settings-bare.test.": BARE_ZONE, "test.": (ZONES_DIR / "test.zone").read_text()}
        server = AuthoritativeServer(zones).start()
        cls.addClassCleanup(server.stop)
        cls.alias_domain = cls.env["mail.alias.domain"].create({"name": "settings-bare.test"})
        cls.env.company.alias_domain_id = cls.alias_domain
        cls.env["res.config.settings"].create(
            {"mail_domain_health_nameservers": server.address, "mail_domain_health_provider": "odoo"}
        ).execute()

    def test_check_now_fills_the_settings_block(self):
        # Check now writes its results in a transaction of its own: in a test, on the test's cursor.
        with self.enter_registry_test_mode():
            self.env["res.config.settings"].create({}).action_check_mail_domain_health()
        # The page reloads the settings in a new request: nothing computed before the check is reused.
        self.env.invalidate_all()
        reopened = self.env["res.config.settings"].create({})
        self.assertEqual(reopened.mail_domain_check_id.name, "settings-bare.test")
        self.assertEqual(reopened.mail_domain_health_spf_status, "fail")
        self.assertEqual(reopened.mail_domain_health_dkim_status, "fail")
        self.assertEqual(reopened.mail_domain_health_dmarc_status, "warn")
        self.assertTrue(reopened.mail_domain_health_checked_at)
        self.assertIn("v=spf1", reopened.mail_domain_health_records)
        self.assertIn("_dmarc.settings-bare.test", reopened.mail_domain_health_records)
