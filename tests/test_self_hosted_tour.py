"""The Settings block of a self-hosted database, walked in headless Chromium over the test zones."""

from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import config

from .test_tours import DomainHealthHttpCase


@tagged("post_install", "-at_install")
class TestSelfHostedTour(DomainHealthHttpCase):
    def test_no_outgoing_server_shows_nothing_green_and_the_way_to_the_missing_fields(self):
        AliasDomain = self.env["mail.alias.domain"].sudo()
        self.env.company.alias_domain_id = AliasDomain.create({"name": "own-rare.providers.test"})
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.provider", "auto")
        with patch.dict(config.options, {"smtp_server": "localhost"}):
            self.start_tour("/odoo/settings", "mail_domain_health_self_hosted", login="admin")
        check = self._checked("own-rare.providers.test")
        self.assertEqual((check.provider, check.status), ("unknown", "unknown"))
