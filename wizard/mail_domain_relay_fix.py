from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from ..tools.addresses import email_domain
from ..tools.relay import from_filter_value
from ..tools.sending import SendingChange

# Rows shown in a preview of changes; the rest is counted.
PREVIEW_ROWS = 50
DEFAULT_FROM = "notifications"


class MailDomainRelayFix(models.TransientModel):
    """The confirmation of a fix for mail Odoo relays as contacts whose domain's DMARC policy refuses or junks it:
    what changes, shown before anything is changed, and applied only by its Apply button."""

    _name = "mail.domain.relay.fix"
    _description = "Fix of relayed mail"

    partner_id = fields.Many2one("res.partner", string="Contact", readonly=True)
    check_ids = fields.Many2many("mail.domain.check", string="Domains", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    fix = fields.Selection(
        [
            ("inbox", "Have the followers handle notifications in Odoo"),
            ("from_filter", "Have Odoo send as its notifications address"),
        ],
        required=True,
        default="inbox",
    )
    contact_count = fields.Integer(string="Contacts concerned", compute="_compute_scope")
    domain_names = fields.Char(string="Their domains", compute="_compute_scope")
    scope_summary = fields.Text(compute="_compute_scope")
    inbox_user_ids = fields.Many2many("res.users", string="Users to notify in Odoo", compute="_compute_inbox_plan")
    inbox_summary = fields.Text(compute="_compute_inbox_plan")
    inbox_changes = fields.Html(compute="_compute_inbox_plan", sanitize=False)
    from_filter_available = fields.Boolean(compute="_compute_from_filter_plan")
    from_filter_summary = fields.Text(compute="_compute_from_filter_plan")
    from_filter_changes = fields.Html(compute="_compute_from_filter_plan", sanitize=False)

    # Scope: the contacts whose relayed mail fails, among the one contact or the domains the fix was opened for

    def _failing_scope(self) -> tuple[list[str], object]:
        """The failing domains in scope (A-labels) and the domain of the failing contacts in scope."""
        self.ensure_one()
        if self.partner_id:
            if not self.partner_id.mail_domain_health_relay_fails:
                return [], Domain.FALSE
            return [email_domain(self.partner_id.email)], Domain("id", "=", self.partner_id.id)
        failing = self.env["mail.domain.check"]._relay_failing_names(self.company_id)
        names = sorted(set(failing) & set(self.check_ids.mapped("name")))
        return names, Domain("mail_domain_health_email_domain", "in", names)

    @api.depends("partner_id", "check_ids", "company_id")
    def _compute_scope(self):
        for wizard in self:
            names, contacts = wizard._failing_scope()
            wizard.domain_names = ", ".join(names)
            wizard.contact_count = self.env["res.partner"].search_count(contacts) if names else 0
            wizard.scope_summary = wizard._scope_sentence()

    def _scope_sentence(self) -> str:
        if not self.contact_count:
            return self.env._("Odoo's relayed mail from these contacts is not refused: there is nothing to fix.")
        if self.partner_id:
            return self.env._(
                "Odoo relays the messages %(name)s writes on documents to their followers as %(email)s itself, "
                "and receivers refuse or junk them. Choose a fix and read what it changes: nothing changes until "
                "you apply it.",
                name=self.partner_id.name,
                email=self.partner_id.email_normalized,
            )
        return self.env._(
            "Odoo relays the messages of %(count)s contacts on %(domains)s to the followers of their documents as "
            "the contacts' own addresses, and receivers refuse or junk them. Choose a fix and read what it changes: "
            "nothing changes until you apply it.",
            count=self.contact_count,
            domains=self.domain_names,
        )

    # Have the followers concerned handle notifications in Odoo

    @api.depends("partner_id", "check_ids", "company_id")
    def _compute_inbox_plan(self):
        for wizard in self:
            users = wizard._followers_notified_by_email()
            wizard.inbox_user_ids = users
            wizard.inbox_summary = (
                self.env._(
                    "%(count)s internal users follow documents these contacts follow and get their notifications by "
                    "email, so the messages these contacts write reach them only inside Odoo. Once applied, they "
                    "handle notifications in Odoo: every notification, from anyone, reaches their Odoo inbox "
                    "instead of their mailbox.",
                    count=len(users),
                )
                if users
                else self.env._(
                    "No internal user who gets notifications by email follows a document these contacts follow: "
                    "there is nothing to change."
                )
            )
            rows = [
                {
                    "who": user.name,
                    "address": user.email or user.login,
                    "before": self.env._("By email"),
                    "after": self.env._("In Odoo"),
                }
                for user in users[:PREVIEW_ROWS]
            ]
            wizard.inbox_changes = wizard._render_changes(rows, len(users) - len(rows)) if users else False

    def _followers_notified_by_email(self):
        """Internal users with email notifications who follow a document one of the failing contacts follows:
        those to whom Odoo relays these contacts' messages by email."""
        self.ensure_one()
        names, contacts = self._failing_scope()
        if not names:
            return self.env["res.users"]
        contact_ids = self.env["res.partner"]._search(contacts & Domain("active", "=", True))
        self.env["mail.followers"].flush_model(["partner_id", "res_model", "res_id"])
        self.env["res.users"].flush_model(["active", "share", "partner_id", "notification_type"])
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT users.id
                  FROM mail_followers contact_follower
                  JOIN mail_followers user_follower
                    ON user_follower.res_model = contact_follower.res_model
                   AND user_follower.res_id = contact_follower.res_id
                  JOIN res_users users ON users.partner_id = user_follower.partner_id
                 WHERE contact_follower.partner_id IN %s
                   AND users.active AND NOT users.share AND users.notification_type = 'email'
                """,
                contact_ids.subselect(),
            )
        )
        return self.env["res.users"].browse(sorted(row[0] for row in self.env.cr.fetchall()))

    # Have Odoo send as its notifications address: the from_filter of the server relaying as is

    def _from_filter_change(self) -> tuple[SendingChange | None, str]:
        """The change of the outgoing set-up that makes Odoo send the failing contacts' mail as its notifications
        address, or None and why there is none."""
        self.ensure_one()
        Check, MailServer = self.env["mail.domain.check"], self.env["ir.mail_server"]
        company = self.company_id
        names, _contacts = self._failing_scope()
        if not names:
            return None, self.env._("Odoo's relayed mail from these contacts is not refused: there is nothing to fix.")
        alias_domain = company.alias_domain_id
        if not alias_domain:
            return None, self.env._(
                "%(company)s has no alias domain, so Odoo has no notifications address to send as. Choose one in "
                "Settings › General Settings › Emails first.",
                company=company.display_name,
            )
        previews = MailServer._mail_domain_health_relay_previews(names, company)
        relaying = next((preview for preview in previews.values() if not preview.rewritten), previews[names[0]])
        # Every company's alias domain: each company's users on its own domain keep sending as themselves.
        companies = self.env["res.company"].sudo().search([("alias_domain_id", "!=", False)])
        change = SendingChange(
            server_id=relaying.server_id,
            from_filter=from_filter_value(companies.mapped("alias_domain_id.name")),
            alias_domain_id=alias_domain.id,
            default_from=None if alias_domain.default_from else DEFAULT_FROM,
        )
        still_failing = set(Check._relay_failing_names(company, change)) & set(names)
        if still_failing:
            return None, self.env._(
                "Odoo relays the mail of %(domains)s through %(server)s, and giving that server the From filter "
                "%(from_filter)s would not change how it goes out. Check that server's From filter by hand.",
                domains=", ".join(sorted(still_failing)),
                server=relaying.server_name or MailServer._mail_domain_health_configuration_server_name(),
                from_filter=change.from_filter,
            )
        return change, ""

    @api.depends("partner_id", "check_ids", "company_id")
    def _compute_from_filter_plan(self):
        for wizard in self:
            change, blocker = wizard._from_filter_change()
            wizard.from_filter_available = bool(change)
            wizard.from_filter_summary = wizard._from_filter_sentence(change) if change else blocker
            wizard.from_filter_changes = wizard._from_filter_rows(change) if change else False

    def _from_filter_sentence(self, change: SendingChange) -> str:
        server = self.env["ir.mail_server"].sudo().browse(change.server_id)
        current = server.from_filter if server else server._get_default_from_filter()
        where = (
            self.env._("the outgoing server %(server)s", server=server.display_name)
            if server
            else self.env._("the server of the Odoo configuration file (system parameter mail.default.from_filter)")
        )
        if current == change.from_filter:
            sentence = self.env._(
                "The From filter of %(where)s stays %(from_filter)s.", where=where, from_filter=change.from_filter
            )
        elif not current:
            sentence = self.env._(
                "%(where)s sends everyone's mail as is: it has no From filter. Once applied, its From filter is "
                "%(from_filter)s: it sends as addresses of %(from_filter)s only, and Odoo sends the mail of any "
                "other address as its notifications address, with the author's name.",
                where=where[:1].upper() + where[1:],
                from_filter=change.from_filter,
            )
        else:
            sentence = self.env._(
                "Once applied, the From filter of %(where)s is %(from_filter)s instead of %(current)s: it sends as "
                "addresses of %(from_filter)s only, and Odoo sends the mail of any other address as its "
                "notifications address, with the author's name.",
                where=where,
                from_filter=change.from_filter,
                current=current,
            )
        if change.default_from:
            sentence += "\n" + self.env._(
                'The alias domain %(domain)s has no default From: it becomes "%(default_from)s", so that Odoo has '
                "a notifications address (%(address)s) to send as.",
                domain=self.company_id.alias_domain_id.name,
                default_from=change.default_from,
                address=self.env["ir.mail_server"]._mail_domain_health_notifications_address(self.company_id, change),
            )
        return sentence

    def _from_filter_rows(self, change: SendingChange):
        """Which users and contacts change From, from what to what."""
        MailServer = self.env["ir.mail_server"]
        rows = []
        users = self.env["res.users"].sudo().search([("share", "=", False)], order="name, id")
        for company in users.company_id:
            company_users = users.filtered(lambda user, company=company: user.company_id == company and user.email)
            addresses = [user.email_normalized or user.email for user in company_users]
            # An address of a domain no from_filter names goes out as all such addresses do: one preview each way
            # stands for them, and only the addresses of named domains get previews of their own.
            ways = {}
            for way in (None, change):
                unnamed, named = MailServer._mail_domain_health_ways_out(company, way)
                own = [address for address in addresses if email_domain(address) in named]
                previews = MailServer._mail_domain_health_previews(own, company, way)
                ways[way] = dict(zip(own, previews, strict=True)), unnamed
            for user, address in zip(company_users, addresses, strict=True):
                before, after = (ways[way][0].get(address, ways[way][1]) for way in (None, change))
                if _way_out(before) != _way_out(after):
                    rows.append(
                        {
                            "who": user.name,
                            "address": address,
                            "before": self._sent_as(before),
                            "after": self._sent_as(after),
                        }
                    )
        counts = self.env["res.partner"]._mail_domain_health_count_by_domain(None)
        before = self.env["ir.mail_server"]._mail_domain_health_relay_previews(counts, self.company_id)
        after = self.env["ir.mail_server"]._mail_domain_health_relay_previews(counts, self.company_id, change)
        failing = set(self._failing_scope()[0])
        # An address of a domain no from_filter names stands for the others: compare how they go out, not it.
        changed = [name for name in counts if _way_out(before[name]) != _way_out(after[name])]
        # The contacts the fix is for first, then the domains with most contacts.
        changed.sort(key=lambda name: (name not in failing, -counts[name], name))
        for name in changed:
            rows.append(
                {
                    "who": self.env._("%(count)s contacts", count=counts[name])
                    if counts[name] > 1
                    else self.env._("1 contact"),
                    "address": "@" + name,
                    "before": self._sent_as(before[name]),
                    "after": self._sent_as(after[name]),
                }
            )
        shown = rows[:PREVIEW_ROWS]
        return self._render_changes(shown, len(rows) - len(shown)) if rows else False

    def _sent_as(self, preview) -> str:
        server = preview.server_name or self.env["ir.mail_server"]._mail_domain_health_configuration_server_name()
        if preview.rewritten:
            return self.env._(
                "%(sender)s with their name, through %(server)s", sender=preview.email_from, server=server
            )
        return self.env._("their own address, through %(server)s", server=server)

    def _render_changes(self, rows: list[dict], more: int) -> Markup:
        return self.env["ir.qweb"]._render(
            "mail_domain_health.mail_domain_relay_fix_changes", {"rows": rows, "more": more}
        )

    # Applying

    def action_apply(self):
        """Apply the chosen fix, once confirmed in the dialog, and post it in the domain checks' chatter."""
        self.ensure_one()
        self.env["mail.domain.check"]._check_mail_domain_health_access()
        # Read before the change: once it is made, these contacts' mail no longer fails.
        names, _contacts = self._failing_scope()
        domains = ", ".join(names)
        lines = self._apply_inbox(domains) if self.fix == "inbox" else self._apply_from_filter(domains)
        body = Markup("").join(Markup("<p>%s</p>") % line for line in lines)
        # The checks of the domains concerned, whichever companies they belong to: the change is theirs.
        for check in self.env["mail.domain.check"].sudo()._checks_by_name(names).values():
            check.message_post(body=body, subtype_xmlid="mail.mt_note")
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def _apply_inbox(self, domains: str) -> list[str]:
        users = self.inbox_user_ids
        if not users:
            raise UserError(self.inbox_summary)
        users.write({"notification_type": "inbox"})
        return [
            self.env._(
                "Relayed mail: %(author)s had %(count)s users handle notifications in Odoo instead of by email, so "
                "that messages from contacts on %(domains)s reach them: %(users)s.",
                author=self.env.user.name,
                count=len(users),
                domains=domains,
                users=", ".join(users.mapped("name")),
            )
        ]

    def _apply_from_filter(self, domains: str) -> list[str]:
        change, blocker = self._from_filter_change()
        if not change:
            raise UserError(blocker)
        summary = self._from_filter_sentence(change)
        server = self.env["ir.mail_server"].sudo().browse(change.server_id)
        if server:
            server.from_filter = change.from_filter
        else:
            self.env["ir.config_parameter"].sudo().set_param("mail.default.from_filter", change.from_filter)
        if change.default_from:
            self.company_id.alias_domain_id.sudo().default_from = change.default_from
        return [
            self.env._(
                "Relayed mail: %(author)s had Odoo send the mail of contacts on %(domains)s as its notifications "
                "address.",
                author=self.env.user.name,
                domains=domains,
            ),
            *summary.split("\n"),
        ]

    @api.model
    def _open_action(self, context: dict) -> dict:
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Fix relayed mail"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "new",
            "context": context,
        }


def _way_out(preview) -> tuple:
    """How mail goes out, whatever the author's local part: as the author or as which address, through which
    server."""
    return preview.rewritten, preview.email_from if preview.rewritten else "", preview.server_id
