from odoo import api, models

# What the sender's detection reads of an outgoing server (mail.domain.check._detect_sender): a change of any of
# them may change who sends, so every verdict made before it is checked again.
SENDER_FIELDS = {"smtp_host", "sequence", "active", "owner_user_id"}


class IrMailServer(models.Model):
    _inherit = "ir.mail_server"

    @api.model_create_multi
    def create(self, vals_list):
        servers = super().create(vals_list)
        self.env["mail.domain.check"]._sending_settings_changed("mail_server")
        return servers

    def write(self, vals):
        result = super().write(vals)
        if SENDER_FIELDS & set(vals):
            self.env["mail.domain.check"]._sending_settings_changed("mail_server")
        return result

    def unlink(self):
        result = super().unlink()
        self.env["mail.domain.check"]._sending_settings_changed("mail_server")
        return result
