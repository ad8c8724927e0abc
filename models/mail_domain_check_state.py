from odoo import api, fields, models

# What a change of the sending settings was, by the code stored; "any" when a stored code is not one this version
# knows.
SETTINGS_CHANGED_ANY = "any"


class MailDomainCheckState(models.Model):
    """Where the checking runs stand, in one record: the version of the sending settings every result is made
    under, and when Check all now asked for every domain to be checked again.

    A row of its own rather than system parameters: it is the runs' state, not a setting an administrator types,
    and its values have types."""

    _name = "mail.domain.check.state"
    _description = "Mail Domain Checks: where the runs stand"

    settings_version = fields.Integer(
        readonly=True,
        help="Raised by each change of a setting every verdict depends on; each result stores the version it was "
        "made under.",
    )
    settings_changed_at = fields.Datetime(readonly=True)
    settings_changed = fields.Char(readonly=True, help="What changed last: a key of the check's _setting_labels().")
    recheck_from = fields.Datetime(
        readonly=True,
        help="Check all now: what was checked before this moment is checked again; empty when no such run is open.",
    )

    @api.model
    def _get(self) -> "MailDomainCheckState":
        """The one record, as superuser (the runs read and write it whoever started them)."""
        state = self.env.ref("mail_domain_health.mail_domain_check_state", raise_if_not_found=False)
        return (state or self.sudo().search([], limit=1) or self.sudo().create({})).sudo()

    def _settings_changed(self, what: str) -> None:
        self.write(
            {
                "settings_version": self.settings_version + 1,
                "settings_changed_at": fields.Datetime.now(),
                "settings_changed": what,
            }
        )
