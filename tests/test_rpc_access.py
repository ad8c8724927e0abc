from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException


@tagged("post_install", "-at_install")
class TestRpcAccess(HttpCase):
    """What a logged-in user can reach over JSON-RPC, as the web client (or a script) calls it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.internal = new_test_user(
            cls.env, login="mdh_rpc_internal", password="mdh_rpc_internal_pw", groups="base.group_user"
        )
        cls.portal = new_test_user(
            cls.env, login="mdh_rpc_portal", password="mdh_rpc_portal_pw", groups="base.group_portal"
        )
        cls.check = cls.env["mail.domain.check"].sudo().create({"name": "rpc.check.test"})

    def _call(self, login: str, route: str, model: str, method: str, ids: list[int], password: str = ""):
        self.authenticate(login, password or login + "_pw")
        return self.make_jsonrpc_request(route, {"model": model, "method": method, "args": [ids], "kwargs": {}})

    def test_check_buttons_refuse_users_who_are_not_settings_administrators(self):
        buttons = [
            ("mail.domain.check", "action_check_now", self.check.ids),
            ("res.company", "action_check_mail_domain_health", self.env.company.ids),
        ]
        for login in ("mdh_rpc_internal", "mdh_rpc_portal"):
            for model, method, ids in buttons:
                for route in ("/web/dataset/call_button", "/web/dataset/call_kw"):
                    with self.subTest(login=login, method=method, route=route):
                        with self.assertRaises(JsonRpcException) as caught:
                            self._call(login, route, model, method, ids)
                        self.assertEqual(str(caught.exception), "odoo.exceptions.AccessError")
        self.check.invalidate_recordset()
        self.assertFalse(self.check.checked_at, "no refused call reached the DNS")

    def test_the_nightly_run_and_the_storage_are_not_remote_methods(self):
        for method in ("_cron_check_domains", "_run_checks", "_store_reports", "_get_or_create"):
            with self.subTest(method=method), self.assertRaises(JsonRpcException) as caught:
                self._call("admin", "/web/dataset/call_kw", "mail.domain.check", method, self.check.ids, "admin")
            self.assertEqual(str(caught.exception), "odoo.exceptions.AccessError")
