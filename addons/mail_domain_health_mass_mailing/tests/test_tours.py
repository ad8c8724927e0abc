"""The mailing form, walked by Odoo's tour framework in headless Chromium, over the tests' DNS."""

import os
import tempfile
from pathlib import Path

from odoo.tests import HttpCase, tagged

from odoo.addons.mail_domain_health.tests.common import serve_test_zones
from odoo.addons.mail_domain_health.tests.test_tours import capture_screenshots


@tagged("post_install", "-at_install")
class TestMailingTours(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        serve_test_zones(cls, timeout=5.0)
        # One-click links over HTTPS, as a production database serves them (Odoo builds them from its base URL).
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("web.base.url", "https://shop.example.test")
        params.set_param("web.base.url.freeze", "True")
        cls.env["ir.mail_server"].sudo().with_context(active_test=False).search([]).unlink()
        mailing_list = cls.env["mailing.list"].create(
            {"name": "Customers", "contact_ids": [(0, 0, {"name": "Ann", "email": "ann@example.com"})]}
        )
        cls.mailing = cls.env["mailing.mailing"].create(
            {
                "subject": "Spring sale",
                "email_from": "news@spf-only.bulk.test",
                "mailing_model_id": cls.env.ref("mass_mailing.model_mailing_list").id,
                "contact_list_ids": [(6, 0, mailing_list.ids)],
                "body_html": "<p>Hello</p>",
            }
        )
        cls.url = f"/odoo/action-mass_mailing.mailing_mailing_action_mail/{cls.mailing.id}"

    def test_a_failing_mailing_meets_the_confirmation_before_it_goes_out(self):
        self.start_tour(self.url, "mail_domain_health_mass_mailing_send", login="admin")
        self.assertEqual(self.mailing.mail_domain_health_bulk_level, "fail")
        self.assertEqual(self.mailing.state, "in_queue", "sent once confirmed")

    def test_the_readme_screenshot_of_the_panel(self):
        """Into MDH_SCREENSHOTS (docs/screenshots to refresh the README's), else a temporary folder."""
        folder = Path(os.environ.get("MDH_SCREENSHOTS") or tempfile.mkdtemp(prefix="mdh-screens-"))
        folder.mkdir(parents=True, exist_ok=True)
        self.mailing.action_mail_domain_health_bulk_check()
        taken = capture_screenshots(self, "mail_domain_health_mass_mailing_panel", self.url)
        self.assertTrue(taken.get("mailing-bulk-rules", b"").startswith(b"\x89PNG"), "no screenshot of the panel")
        (folder / "mailing-bulk-rules.png").write_bytes(taken["mailing-bulk-rules"])
        self._logger.info("screenshot written to %s", folder)
