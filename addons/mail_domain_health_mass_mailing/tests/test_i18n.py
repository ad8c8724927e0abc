from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

from .test_mailing_bulk_rules import BulkRulesCase

I18N = Path(__file__).resolve().parent.parent / "i18n"


@tagged("post_install", "-at_install")
class TestFrenchTranslation(TransactionCase):
    def test_catalogues_hold_every_term_of_the_module_and_french_translates_them_all(self):
        extracted = {
            row[4] for row in TranslationModuleReader(self.env.cr, modules=["mail_domain_health_mass_mailing"])
        }
        template = {entry.msgid for entry in polib.pofile(str(I18N / "mail_domain_health_mass_mailing.pot"))}
        self.assertEqual(extracted - template, set(), "terms missing from the .pot")
        self.assertEqual(template - extracted, set(), "terms in the .pot the module no longer has")
        french = polib.pofile(str(I18N / "fr.po"))
        self.assertEqual({entry.msgid for entry in french if not entry.obsolete}, template)
        self.assertEqual([entry.msgid for entry in french.untranslated_entries()], [])


@tagged("post_install", "-at_install")
class TestFrenchPanel(BulkRulesCase):
    def test_the_panel_reads_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["mail_domain_health", "mail_domain_health_mass_mailing"], ["fr_FR"], overwrite=True
        )
        labels = self.env["mailing.mailing"].with_context(lang="fr_FR").fields_get(["mail_domain_health_bulk_level"])
        self.assertEqual(labels["mail_domain_health_bulk_level"]["string"], "Règles des expéditeurs en masse")
        mailing = self.checked("news@spf-only.bulk.test").with_context(lang="fr_FR")
        panel = str(mailing.mail_domain_health_bulk_html)
        self.assertIn("Signature DKIM réussie", panel)
        self.assertIn("Gmail refuse ces courriels ou les classe en spam", panel)
        self.assertIn("Ce qui a été trouvé, et le correctif", panel)
