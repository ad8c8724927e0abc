"""Carried over: where the checking runs stand, from system parameters to mail.domain.check.state; and whether
the sender could pass a domain's DMARC, from the stored result to its own column."""

from odoo import SUPERUSER_ID, api, fields

PREFIX = "mail_domain_health."
MOVED = ("settings_version", "settings_changed_at", "settings_changed", "recheck_from")


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    params = env["ir.config_parameter"].sudo()
    values = {key: params.get_param(PREFIX + key) for key in MOVED}
    state = env["mail.domain.check.state"]._get()
    version_text = values["settings_version"] or ""
    state.write(
        {
            "settings_version": int(version_text) if version_text.isdigit() else 0,
            "settings_changed_at": fields.Datetime.to_datetime(values["settings_changed_at"] or None),
            "settings_changed": values["settings_changed"] or False,
            "recheck_from": fields.Datetime.to_datetime(values["recheck_from"] or None),
        }
    )
    params.search([("key", "in", [PREFIX + key for key in MOVED])]).unlink()
    cr.execute(
        """
        UPDATE mail_domain_check
           SET dmarc_provider_can_pass = CASE result->'dmarc'->>'provider_can_pass'
                                         WHEN 'true' THEN 'yes' WHEN 'false' THEN 'no' END
         WHERE result IS NOT NULL AND dmarc_provider_can_pass IS NULL
        """
    )
