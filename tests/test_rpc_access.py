from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import serve_test_zones


@tagged("post_install", "-at_install")
class TestRpcAccess(HttpCase):
    """What a logged-in user can reach over JSON-RPC, as the web client (or a script) calls it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.proxy = serve_test_zones(cls)
        cls.company_a = cls.env.company
        cls.company_a.alias_domain_id = cls.env["mail.alias.domain"].create({"name": "good.check.test"})
        cls.company_b = cls.env["res.company"].create(
            {
                "name": "Company B",
                "alias_domain_id": cls.env["mail.alias.domain"].create({"name": "google-only.check.test"}).id,
            }
        )
        cls.internal = new_test_user(
            cls.env, login="mdh_rpc_internal", password="mdh_rpc_internal_pw", groups="base.group_user"
        )
        cls.portal = new_test_user(
            cls.env, login="mdh_rpc_portal", password="mdh_rpc_portal_pw", groups="base.group_portal"
        )
        cls.user_b = new_test_user(
            cls.env,
            login="mdh_rpc_b",
            password="mdh_rpc_b_pw",
            groups="base.group_user",
            email="sam@google-only.check.test",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.admin_a = new_test_user(
            cls.env,
            login="mdh_rpc_admin_a",
            password="mdh_rpc_admin_a_pw",
            groups="base.group_system",
            company_id=cls.company_a.id,
            company_ids=[(6, 0, cls.company_a.ids)],
        )
        cls.check_b = cls.env["mail.domain.check"].sudo()._get_or_create(["google-only.check.test"])
        cls.check_b.write({"company_ids": [(6, 0, cls.company_b.ids)], "records_to_publish": "secret of B"})

    def _call(self, login: str, route: str, model: str, method: str, args: list, kwargs: dict | None = None):
        self.authenticate(login, login + "_pw")
        return self.make_jsonrpc_request(
            route, {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        )

    def _refused(self, login: str, model: str, method: str, args: list, kwargs: dict | None = None) -> str:
        with self.assertRaises(JsonRpcException) as caught:
            self._call(login, "/web/dataset/call_kw", model, method, args, kwargs)
        return str(caught.exception)

    def test_check_buttons_refuse_users_who_are_not_settings_administrators_before_any_dns(self):
        buttons = [
            ("mail.domain.check", "action_check_now", [self.check_b.ids]),
            ("res.company", "action_check_mail_domain_health", [self.internal.company_id.ids]),
        ]
        self.proxy.queries.clear()
        for login in ("mdh_rpc_internal", "mdh_rpc_portal"):
            for model, method, args in buttons:
                for route in ("/web/dataset/call_button", "/web/dataset/call_kw"):
                    with self.subTest(login=login, method=method, route=route):
                        with self.assertRaises(JsonRpcException) as caught:
                            self._call(login, route, model, method, args)
                        self.assertEqual(str(caught.exception), "odoo.exceptions.AccessError")
        self.assertEqual(sum(self.proxy.queries.values()), 0, "a refused call asked the DNS")
        # An administrator's call does ask it: the count above would have seen a refused call that did.
        self._call(
            "mdh_rpc_admin_a",
            "/web/dataset/call_button",
            "res.company",
            "action_check_mail_domain_health",
            [self.company_a.ids],
        )
        self.assertGreater(sum(self.proxy.queries.values()), 0)

    def test_a_user_of_one_company_reads_nothing_of_another_companys_checks(self):
        fields = ["mail_domain_health_warning", "mail_domain_check_id", "mail_domain_health_level"]
        for login in ("mdh_rpc_internal", "mdh_rpc_portal"):
            with self.subTest(login=login):
                self.assertEqual(
                    self._refused(login, "res.users", "read", [self.user_b.ids, fields]), "odoo.exceptions.AccessError"
                )
                self.assertEqual(
                    self._refused(login, "mail.domain.check", "search_read", [[]], {"fields": ["records_to_publish"]}),
                    "odoo.exceptions.AccessError",
                )
                self.assertEqual(
                    self._refused(login, "res.company", "read", [self.company_b.ids, ["mail_domain_check_id"]]),
                    "odoo.exceptions.AccessError",
                )
        # A Settings administrator of company A only: B's check is not among his, nor behind B's user.
        found = self._call(
            "mdh_rpc_admin_a", "/web/dataset/call_kw", "mail.domain.check", "search_read", [[]], {"fields": ["name"]}
        )
        self.assertNotIn("google-only.check.test", [row["name"] for row in found])
        (user_b,) = self._call(
            "mdh_rpc_admin_a", "/web/dataset/call_kw", "res.users", "read", [self.user_b.ids, fields]
        )
        self.assertFalse(user_b["mail_domain_check_id"])
        self.assertNotIn("secret of B", user_b["mail_domain_health_warning"] or "")

    def test_dmarc_reports_and_their_rows_are_refused_to_users_who_are_not_settings_administrators(self):
        for login in ("mdh_rpc_internal", "mdh_rpc_portal"):
            for model in ("mail.dmarc.report", "mail.dmarc.report.row"):
                for method, args, kwargs in (
                    ("search_read", [[]], {"fields": ["id"]}),
                    ("search_count", [[]], {}),
                ):
                    with self.subTest(login=login, model=model, method=method):
                        self.assertEqual(
                            self._refused(login, model, method, args, kwargs), "odoo.exceptions.AccessError"
                        )
        # A Settings administrator reads them.
        self.assertEqual(
            self._call(
                "mdh_rpc_admin_a", "/web/dataset/call_kw", "mail.dmarc.report", "search_read", [[]], {"fields": ["id"]}
            ),
            [],
        )

    def test_an_administrator_of_company_a_reads_and_checks_nothing_of_company_b_through_settings(self):
        self.proxy.queries.clear()
        # Settings computed for B would show B's results (its related fields are read as the superuser).
        self.assertEqual(
            self._refused(
                "mdh_rpc_admin_a",
                "res.config.settings",
                "web_save",
                [[], {"company_id": self.company_b.id}],
                {"specification": {"mail_domain_health_records": {}}},
            ),
            "odoo.exceptions.AccessError",
        )
        for route in ("/web/dataset/call_button", "/web/dataset/call_kw"):
            with self.subTest(route=route), self.assertRaises(JsonRpcException) as caught:
                self._call(
                    "mdh_rpc_admin_a", route, "res.company", "action_check_mail_domain_health", [self.company_b.ids]
                )
            self.assertEqual(str(caught.exception), "odoo.exceptions.AccessError")
        self.assertEqual(sum(self.proxy.queries.values()), 0, "a refused call asked the DNS")
        # The own company's settings open.
        saved = self._call(
            "mdh_rpc_admin_a",
            "/web/dataset/call_kw",
            "res.config.settings",
            "web_save",
            [[], {}],
            {"specification": {"company_id": {}}},
        )
        self.assertEqual(saved[0]["company_id"], self.company_a.id)
        # Nor by saving the own company's settings again with B's company: a write is guarded as a create is.
        for method, args in (
            ("web_save", [[saved[0]["id"]], {"company_id": self.company_b.id}]),
            ("write", [[saved[0]["id"]], {"company_id": self.company_b.id}]),
        ):
            with self.subTest(method=method):
                self.assertEqual(
                    self._refused(
                        "mdh_rpc_admin_a",
                        "res.config.settings",
                        method,
                        args,
                        {"specification": {"mail_domain_health_records": {}}} if method == "web_save" else {},
                    ),
                    "odoo.exceptions.AccessError",
                )
