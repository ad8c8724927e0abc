from odoo import api, fields, models
from odoo.tools import SQL

from ..maildns import Status, user_verdict
from ..tools.addresses import ascii_or_none, email_domain
from ..tools.findings import render, worst_first

# What a banner says about a user, from the severity of the worst finding.
LEVELS = [
    (str(Status.INFO), "Information"),
    (str(Status.WARN), "Warning"),
    (str(Status.UNKNOWN), "Not known"),
    (str(Status.FAIL), "Failure"),
]


class ResUsers(models.Model):
    """Users' addresses: the warning on the user form and at creation, and the users of each domain."""

    _inherit = "res.users"

    mail_domain_check_id = fields.Many2one(
        "mail.domain.check",
        string="Email domain check",
        compute="_compute_mail_domain_health",
        groups="base.group_system",
        help="The last DNS check of the domain of the user's email address.",
    )
    mail_domain_health_level = fields.Selection(
        LEVELS,
        string="Email address health",
        compute="_compute_mail_domain_health",
        search="_search_mail_domain_health_level",
        groups="base.group_system",
    )
    mail_domain_health_warning = fields.Text(
        string="Email address warning",
        compute="_compute_mail_domain_health",
        groups="base.group_system",
        help="Why mail sent by Odoo as this user may be rejected, and what to do.",
    )

    mail_domain_health_own_note = fields.Char(
        string="Mail sent as you",
        compute="_compute_mail_domain_health_own_note",
        help="Whether receivers will accept the mail Odoo sends as your address, and what to do if not.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["mail_domain_health_own_note"]

    @api.depends("email", "login")
    @api.depends_context("uid", "lang")
    def _compute_mail_domain_health_own_note(self):
        """For the user himself only: the engine's verdict on his address, without the domain's records or the
        server's name (those are for the Settings administrators)."""
        for user in self:
            address = user._mail_domain_health_address()
            if user != self.env.user or not address:
                user.mail_domain_health_own_note = False
                continue
            checks = self.env["mail.domain.check"].sudo()._checks_by_name({email_domain(address)})
            check = next(iter(checks.values()), self.env["mail.domain.check"])
            verdict, _ = user._mail_domain_health_verdict(check)
            if not verdict.findings and not check.checked_at:
                user.mail_domain_health_own_note = self.env._("The domain of your address has not been checked yet.")
                continue
            said = worst_first(list(verdict.said()))
            user.mail_domain_health_own_note = " ".join(render(self.env, each.code, each.params) for each in said)

    @api.depends("email", "login", "company_id.alias_domain_id")
    @api.depends_context("uid", "lang")
    def _compute_mail_domain_health(self):
        # As the reader: a Settings administrator of one company does not read another company's checks.
        checks = self.env["mail.domain.check"]._checks_by_name(
            {email_domain(user._mail_domain_health_address()) for user in self}
        )
        for user in self:
            check = checks.get(email_domain(user._mail_domain_health_address()), self.env["mail.domain.check"])
            level, lines = user._mail_domain_health_findings(check)
            user.mail_domain_check_id = check
            user.mail_domain_health_level = level
            user.mail_domain_health_warning = "\n".join(lines) or False

    def _search_mail_domain_health_level(self, operator, value):
        """Users whose address gets a banner of these levels (the users list's Address problems filter): the
        verdict of each domain in use, judged once per domain, for its first user."""
        if operator not in ("in", "="):
            return NotImplemented
        levels = {value} if operator == "=" else set(value)
        users = self.search([("share", "=", False), ("email", "!=", False)])
        by_domain = {}
        for user in users:
            by_domain.setdefault(email_domain(user.email), user)
        checks = self.env["mail.domain.check"]._checks_by_name(set(by_domain) - {None})
        Check = self.env["mail.domain.check"]
        matching = {
            name
            for name, user in by_domain.items()
            if name and user._mail_domain_health_findings(checks.get(name, Check))[0] in levels
        }
        return [("id", "in", users.filtered(lambda user: email_domain(user.email) in matching).ids)]

    def _mail_domain_health_address(self) -> str | bool:
        """The user's address, or the login when it is one (before the partner's email is filled)."""
        self.ensure_one()
        return self.email or (self.login if self.login and "@" in self.login else False)

    def _mail_domain_health_verdict(self, check) -> tuple[object, object]:
        """The engine's verdict on mail Odoo sends as this user (maildns.UserVerdict), from stored results only
        (no DNS), and how Odoo sends it (the sending preview)."""
        self.ensure_one()
        address = self._mail_domain_health_address()
        preview = self.env["ir.mail_server"]._mail_domain_health_preview(address, self.company_id)
        verdict = user_verdict(
            address,
            effective_policy=check.dmarc_effective_policy or None,
            provider_can_pass=check._provider_can_pass() if check else None,
            sent_as=not preview.rewritten,
        )
        return verdict, preview

    def _mail_domain_health_problems(self, check) -> tuple[list, object]:
        """The findings against mail Odoo sends as this user, worst first, as (code, params, status), and how
        Odoo sends it: the engine's verdict on the address, and the findings of the domain's check it says
        count too."""
        verdict, preview = self._mail_domain_health_verdict(check)
        findings = [(finding.code, finding.params, finding.status) for finding in verdict.findings]
        findings += [
            (finding.code, finding.params or {}, finding.severity)
            for finding in check.sudo().finding_ids
            if verdict.concerns(finding.part, finding.severity)
        ]
        return worst_first(findings, status=lambda finding: finding[2]), preview

    def _mail_domain_health_findings(self, check) -> tuple[str | bool, list[str]]:
        """The banner's level and sentences for this user's address, in the reader's language."""
        self.ensure_one()
        if not self._mail_domain_health_address():
            return False, []
        findings, preview = self._mail_domain_health_problems(check)
        if not findings and check.check_pending:
            return str(Status.INFO), [
                self.env._("The domain of this address is being checked: the verdict appears here when it is in.")
            ]
        if not findings:
            return False, []
        lines = [render(self.env, code, params) for code, params, _ in findings]
        lines.append(self._mail_domain_health_sending_sentence(preview))
        return str(findings[0][2]), lines

    def _mail_domain_health_sending_sentence(self, preview) -> str:
        server = preview.server_name or self.env["ir.mail_server"]._mail_domain_health_configuration_server_name()
        if preview.rewritten:
            return self.env._(
                "Odoo sends this user's mail through %(server)s as %(sender)s (with the user's name), "
                "because that server may not send as %(email)s.",
                server=server,
                sender=preview.email_from,
                email=preview.author,
            )
        return self.env._(
            "Odoo sends this user's mail through %(server)s as %(email)s itself, with the envelope sender "
            "%(envelope)s.",
            server=server,
            email=preview.author,
            envelope=preview.envelope_from,
        )

    def _mail_domain_health_warning_lines(self) -> list[str]:
        """The sentences of a warning to the administrator who types or creates this user: only when the
        engine's verdict holds a failure or a warning (never for a domain that passes). Read with the rights of
        the nightly run: whoever may create a user may be told why its address will fail."""
        self.ensure_one()
        address = self._mail_domain_health_address()
        if not address:
            return []
        checks = self.env["mail.domain.check"].sudo()._checks_by_name({email_domain(address)})
        level, lines = self._mail_domain_health_findings(next(iter(checks.values()), self.env["mail.domain.check"]))
        return lines if level in (Status.FAIL, Status.WARN, Status.UNKNOWN, Status.ERROR) else []

    @api.onchange("email", "login")
    def _onchange_mail_domain_health(self):
        lines = self._mail_domain_health_warning_lines()
        if not lines:
            return None
        return {
            "warning": {
                "title": self.env._("Mail sent as this address will not reach its readers as it should"),
                "message": "\n".join(lines),
                "type": "notification",
            }
        }

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        internal = users.filtered(lambda user: not user.share)
        self.env["mail.domain.check"]._queue_unchecked([email_domain(user.email) for user in internal])
        flagged = users.filtered(lambda user: not user.share and user._mail_domain_health_warning_lines())
        if flagged and not self.env.context.get("install_mode"):
            self.env.user._bus_send(
                "simple_notification",
                {
                    "type": "warning",
                    "sticky": False,
                    "title": self.env._("%(count)s new users have addresses Odoo cannot send as", count=len(flagged))
                    if len(flagged) > 1
                    else self.env._("%(name)s has an address Odoo cannot send as", name=flagged.name),
                    "message": self.env._(
                        "Open the user form to read why, and give them an address on a domain your company manages."
                    ),
                },
            )
        return users

    def write(self, vals):
        result = super().write(vals)
        # A user may change his own address as often as he likes: a change only a Settings administrator can
        # make is checked at once; a user's own is checked by the nightly run, once, whatever he tried before.
        if ("email" in vals or "login" in vals) and (self.env.su or self.env.user.has_group("base.group_system")):
            internal = self.filtered(lambda user: not user.share)
            self.env["mail.domain.check"]._queue_unchecked([email_domain(user.email) for user in internal])
        return result

    @api.model
    def _mail_domain_health_count_by_domain(self) -> dict[str, int]:
        """Active internal users per email domain, counting only those of the reader's companies."""
        users = self._mail_domain_health_users_by_domain(self.env.user.company_ids.ids)
        return {name: count for name, (count, _) in users.items()}

    @api.model
    def _mail_domain_health_users_by_domain(self, company_ids: list[int] | None = None) -> dict:
        """For each email domain (A-labels) of the active internal users: how many they are, and their companies
        (as {domain: (count, {company ids})}); only users of `company_ids`, when given.

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
                       AND (%(all_companies)s OR rel.cid = ANY(%(company_ids)s))
              GROUP BY 1
                """,
                domain=self.env["res.partner"]._mail_domain_health_email_domain_sql("partner.email"),
                any_address="%@%",
                all_companies=company_ids is None,
                company_ids=company_ids or [],
            )
        )
        result: dict[str, tuple[int, set[int]]] = {}
        for raw, count, company_ids in self.env.cr.fetchall():
            name = ascii_or_none(raw)
            if name:
                total, companies = result.get(name, (0, set()))
                result[name] = (total + count, companies | {cid for cid in company_ids if cid})
        return result
