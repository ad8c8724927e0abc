from odoo import api, models

# The key under which a DMARC report's message_new finds the message as it was received.
ORIGINAL_MESSAGE = "mail_domain_health_original"


class MailThread(models.AbstractModel):
    """The mail gateway's side of the DMARC reports' alias: the original message kept for the reporter's signature."""

    _inherit = "mail.thread"

    @api.model
    def _message_route_process(self, message, message_dict, routes):
        # A report is believed only when its message's DKIM signature verifies, and the signature covers the
        # message as received: message_new gets it (and removes it before the message is posted).
        if any(route[0] == "mail.dmarc.report" and not route[1] for route in routes or ()):
            message_dict[ORIGINAL_MESSAGE] = message
        return super()._message_route_process(message, message_dict, routes)
