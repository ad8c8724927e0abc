from pathlib import Path

import polib

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools.translate import TranslationModuleReader

I18N = Path(__file__).resolve().parent.parent / "i18n"


@tagged("post_install", "-at_install")
class TestFrenchTranslation(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(["mail_domain_health"], ["fr_FR"], overwrite=True)
        cls.internal = new_test_user(cls.env, login="mdh_i18n_internal", groups="base.group_user", lang="fr_FR")

    def test_menu_and_field_labels_are_french(self):
        menu = self.env.ref("mail_domain_health.mail_domain_check_menu").with_context(lang="fr_FR")
        self.assertEqual(menu.name, "Domaines de messagerie")
        fields = self.env["mail.domain.check"].with_context(lang="fr_FR").fields_get(["is_stale", "dkim_selector"])
        self.assertEqual(fields["is_stale"]["string"], "Périmé")
        self.assertEqual(fields["dkim_selector"]["string"], "Sélecteur DKIM")

    def test_messages_from_code_are_french(self):
        check = self.env["mail.domain.check"].sudo().create({"name": "i18n.example"})
        with self.assertRaisesRegex(AccessError, "Seuls les administrateurs"):
            check.with_user(self.internal).with_context(lang="fr_FR").action_check_now()

    def test_catalogues_hold_every_term_of_the_module_and_french_translates_them_all(self):
        # The terms Odoo extracts from the installed module's code, views and
        # data: a term added without regenerating the .pot, or left without a
        # French translation, shows up here.
        extracted = {row[4] for row in TranslationModuleReader(self.env.cr, modules=["mail_domain_health"])}
        template = {entry.msgid for entry in polib.pofile(str(I18N / "mail_domain_health.pot"))}
        self.assertEqual(extracted - template, set(), "terms missing from the .pot")
        self.assertEqual(template - extracted, set(), "terms in the .pot the module no longer has")
        french = polib.pofile(str(I18N / "fr.po"))
        self.assertEqual({entry.msgid for entry in french if not entry.obsolete}, template)
        self.assertEqual([entry.msgid for entry in french.untranslated_entries()], [])
        self.assertEqual([entry.msgid for entry in french.fuzzy_entries()], [])
