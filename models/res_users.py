from odoo import api, fields, models
from odoo.tools import SQL

from .mail_domain_check import _domain_of, _is_free_mail, ascii_or_none, email_domain_sql


class ResUsers(models.Model):
    _inherit = "res.users"

    mail_domain_check_id = fields.Many2one(
        "mail.domain.check",
        string="Email domain check",
        compute="_compute_mail_domain_health",
        help="The last DNS check of the domain of the user's email address.",
    )
    mail_domain_health_level = fields.Selection(
        [("warn", "Warning"), ("fail", "Failure")],
        string="Email address health",
        compute="_compute_mail_domain_health",
    )
    mail_domain_health_warning = fields.Text(
        string="Email address warning",
        compute="_compute_mail_domain_health",
        help="Why mail sent by Odoo as this user may be rejected, and what to do.",
    )

    @api.depends("email", "company_id.alias_domain_id")
    def _compute_mail_domain_health(self):
        domains = {_domain_of(user.email) for user in self} - {False}
        checks = self.env["mail.domain.check"].sudo().search([("name", "in", list(domains))])
        by_name = {check.name: check for check in checks}
        for user in self:
            domain = _domain_of(user.email)
            check = by_name.get(domain, self.env["mail.domain.check"])
            level, lines = user._mail_domain_health_findings(domain, check)
            user.mail_domain_check_id = check
            user.mail_domain_health_level = level
            user.mail_domain_health_warning = "\n".join(lines) or False

    def _mail_domain_health_findings(self, domain, check) -> tuple[str | bool, list[str]]:
        """The warning level and sentences for this user's address, from stored results only (no DNS)."""
        self.ensure_one()
        if not domain:
            return False, []
        policy = check.dmarc_effective_policy or check.dmarc_policy
        free_mail = _is_free_mail(domain)
        if not (free_mail or policy in ("quarantine", "reject") or check.status in ("fail", "warn")):
            return False, []
        lines = []
        preview = self._mail_domain_health_sending_preview()
        if policy == "reject":
            lines.append(
                self.env._(
                    "%(domain)s publishes a DMARC policy of reject: receivers refuse mail that Odoo sends as "
                    "%(email)s.",
                    domain=domain,
                    email=self.email,
                )
            )
        elif policy == "quarantine":
            lines.append(
                self.env._(
                    "%(domain)s publishes a DMARC policy of quarantine: mail that Odoo sends as %(email)s "
                    "lands in spam folders.",
                    domain=domain,
                    email=self.email,
                )
            )
        elif free_mail:
            lines.append(
                self.env._(
                    "%(domain)s is a public email service: Odoo cannot authenticate mail sent as %(email)s.",
                    domain=domain,
                    email=self.email,
                )
            )
        elif check.status in ("fail", "warn"):
            lines.append(
                self.env._(
                    "The domain %(domain)s is not fully set up for mail sent by Odoo (SPF %(spf)s, DKIM %(dkim)s).",
                    domain=domain,
                    spf=check.spf_status or "-",
                    dkim=check.dkim_status or "-",
                )
            )
        lines.append(preview["sentence"])
        if free_mail or policy in ("quarantine", "reject"):
            lines.append(self.env._("Fix: give this user an address on a domain your company manages."))
        elif check.records_to_publish:
            lines.append(self.env._("Fix: publish these DNS records:\n%(records)s", records=check.records_to_publish))
        level = "fail" if policy == "reject" and not preview["rewritten"] else "warn"
        return level, lines

    def _mail_domain_health_sending_preview(self) -> dict:
        """What Odoo would really send for this user: which server, which From, which envelope sender.

        Mirrors ir.mail_server._find_mail_server() and _prepare_email_message__().
        """
        self.ensure_one()
        company = self.company_id
        mail_server_model = self.env["ir.mail_server"].sudo()
        notifications = company.default_from_email or False
        bounce = company.bounce_email or False
        if notifications:
            mail_server_model = mail_server_model.with_context(domain_notifications_email=notifications)
        server, email_from = mail_server_model._find_mail_server(self.email)
        from_filter = server.from_filter if server else mail_server_model._get_default_from_filter()
        envelope = bounce if bounce and mail_server_model._match_from_filter(bounce, from_filter) else email_from
        rewritten = bool(email_from) and _domain_of(email_from) != _domain_of(self.email)
        server_name = server.display_name if server else self.env._("the server of the Odoo configuration file")
        if rewritten:
            sentence = self.env._(
                "Odoo sends this user's mail through %(server)s as %(sender)s (with the user's name), "
                "because that server may not send as %(email)s.",
                server=server_name,
                sender=email_from,
                email=self.email,
            )
        else:
            sentence = self.env._(
                "Odoo sends this user's mail through %(server)s as %(email)s itself, with the envelope sender "
                "%(envelope)s: receivers that enforce the domain's DMARC policy reject or quarantine it.",
                server=server_name,
                email=self.email,
                envelope=envelope,
            )
        return {
            "server": server,
            "email_from": email_from,
            "envelope_from": envelope,
            "rewritten": rewritten,
            "sentence": sentence,
        }

    @api.onchange("email", "login")
    def _onchange_mail_domain_health(self):
        if not _is_problem_address(self):
            return None
        address = _address(self)
        domain = _domain_of(address)
        return {
            "warning": {
                "title": self.env._("This address cannot be used to send mail from Odoo"),
                "message": _address_message(self.env, address, domain),
                "type": "notification",
            }
        }

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        flagged = users.filtered(lambda user: not user.share and _is_problem_address(user))
        if flagged and not self.env.context.get("install_mode"):
            self.env.user._bus_send(
                "simple_notification",
                {
                    "type": "warning",
                    "sticky": True,
                    "title": self.env._("Some new users have addresses Odoo cannot send as"),
                    "message": "\n".join(
                        _address_message(self.env, _address(user), _domain_of(_address(user))) for user in flagged
                    ),
                },
            )
        return users

    @api.model
    def _mail_domain_health_count_by_domain(self) -> dict[str, int]:
        return {name: count for name, (count, _) in self._mail_domain_health_users_by_domain().items()}

    @api.model
    def _mail_domain_health_users_by_domain(self) -> dict[str, tuple[int, set[int]]]:
        """For each email domain (A-labels) of the active internal users: how many they are, and their companies.

        One grouped query, whatever the number of users: the nightly run calls it once, not once a batch.
        """
        self.flush_model(["active", "share", "partner_id", "company_ids"])
        self.env["res.partner"].flush_model(["email"])
        self.env.cr.execute(
            SQL(
                """
                SELECT %(domain)s, count(DISTINCT users.id), array_agg(DISTINCT rel.cid)
                  FROM res_users users
                  JOIN res_partner partner ON partner.id = users.partner_id
             LEFT JOIN res_company_users_rel rel ON rel.user_id = users.id
                 WHERE users.active AND NOT users.share AND partner.email LIKE %(any_address)s
              GROUP BY 1
                """,
                domain=email_domain_sql("partner.email"),
                any_address="%@%",
            )
        )
        result: dict[str, tuple[int, set[int]]] = {}
        for raw, count, company_ids in self.env.cr.fetchall():
            name = ascii_or_none(raw)
            if name:
                total, companies = result.get(name, (0, set()))
                result[name] = (total + count, companies | {cid for cid in company_ids if cid})
        return result


def _is_problem_address(user) -> bool:
    domain = _domain_of(_address(user))
    if not domain:
        return False
    if _is_free_mail(domain):
        return True
    check = user.env["mail.domain.check"].sudo().search([("name", "=", domain)], limit=1)
    return (check.dmarc_effective_policy or check.dmarc_policy) in ("quarantine", "reject")


def _address(user) -> str | bool:
    """The user's address, or the login when it is one (before the partner's email is filled)."""
    return user.email or (user.login if user.login and "@" in user.login else False)


def _address_message(env, address: str, domain: str) -> str:
    return env._(
        "%(address)s is on %(domain)s, a domain your company does not manage: mail Odoo sends as this address "
        "fails SPF and DKIM, and its DMARC policy may make receivers reject it. Use an address on your company's "
        "domain.",
        address=address,
        domain=domain,
    )
