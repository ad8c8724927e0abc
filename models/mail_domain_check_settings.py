import logging
import os
import time
from dataclasses import replace
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, format_datetime

from ..maildns import (
    PROVIDERS,
    SELF_HOSTED,
    UNKNOWN_SENDER,
    Resolver,
    SenderDetection,
    SmtpServer,
    chosen_sender,
    detect_sender,
    resolver_addresses,
)
from ..tools.check_settings import PREFIX, SETTING_KEYS, CheckSettings, Sender, read_check_settings
from .mail_domain_check_state import SETTINGS_CHANGED_ANY

_logger = logging.getLogger(__name__)


class MailDomainCheck(models.Model):
    """What a check is made under: Settings read once a run, who sends, and the version of the sending settings."""

    _inherit = "mail.domain.check"

    settings_version = fields.Integer(
        readonly=True,
        help="The version of the sending settings the last result was made under (mail.domain.check.state, "
        "raised by each change of them).",
    )
    outdated_notice = fields.Text(
        string="Made under other settings",
        compute="_compute_outdated_notice",
        help="The results shown predate a change of what they depend on (the outgoing mail servers, the sending "
        "provider, the public addresses, the DKIM selectors, the DNS servers or the timeout).",
    )

    @api.depends("checked_at", "settings_version")
    @api.depends_context("lang", "tz")
    def _compute_outdated_notice(self):
        state = self.env["mail.domain.check.state"]._get()
        labels = self._setting_labels()
        for check in self:
            if (
                not check.checked_at
                or check.settings_version >= state.settings_version
                or not state.settings_changed_at
            ):
                check.outdated_notice = False
                continue
            check.outdated_notice = self.env._(
                "These results predate the change of %(what)s on %(date)s: the domain is being checked again.",
                what=labels.get(state.settings_changed, labels[SETTINGS_CHANGED_ANY]),
                date=format_datetime(self.env, state.settings_changed_at),
            )

    def _setting_labels(self) -> dict[str, str]:
        """What a change was, in the reader's language, by the code _sending_settings_changed() stores."""
        return {
            "mail_server": self.env._("the outgoing mail servers"),
            "provider": self.env._("the sending provider"),
            "own_addresses": self.env._("the public sending addresses"),
            "dkim_selector": self.env._("the DKIM selectors"),
            "nameservers": self.env._("the DNS servers"),
            "timeout": self.env._("the timeout"),
            SETTINGS_CHANGED_ANY: self.env._("the sending settings"),
        }

    @api.model
    def _sending_settings_changed(self, what: str):
        """A setting every verdict depends on has changed (`what`: a key of _setting_labels()): the companies'
        domains, which Settings shows, are checked again at once in the background, and the nightly run is
        started to check every other domain again; until then, each result says it predates the change.
        No DNS here: this runs inside the save."""
        self.env["mail.domain.check.state"]._get()._settings_changed(what)
        settings = self._get_check_settings(with_sender=False)
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        names = settings.public_names(companies._mail_domain_health_domains())
        checks = self.sudo()._checks_by_name(names)
        self.browse([check.id for check in checks.values()])._check_in_background()
        self.env.ref("mail_domain_health.ir_cron_check_mail_domains").sudo()._trigger()

    @api.model
    def _get_check_settings(self, with_sender: bool = True, deadline: float | None = None) -> CheckSettings:
        """How domains are checked, from the system parameters set in Settings, validated here as well: a
        parameter can be written without the form. What cannot be used is left out, and the log says why.

        with_sender: also find who sends (a server of one's own is resolved to its addresses, by `deadline`, a
        time.monotonic() instant; when the DNS has not answered by then, the sender says it timed out) and read
        what the database knows of its domains for the DNS questions. Without: which domains to check and when.
        """
        params = self.env["ir.config_parameter"].sudo()
        settings, reasons = read_check_settings({key: params.get_param(PREFIX + key) for key in SETTING_KEYS})
        for reason in reasons:
            _logger.warning("mail_domain_health: setting %s", reason)
        # Read with the settings: a result is marked with the version it was made under, not a later one.
        settings = replace(settings, version=self.env["mail.domain.check.state"]._get().settings_version)
        return self._with_sender(settings, deadline) if with_sender else settings

    @api.model
    def _with_sender(self, settings: CheckSettings, deadline: float | None = None) -> CheckSettings:
        """`settings` (read without the sender) with who sends, found by `deadline` (see _get_check_settings),
        and what the database knows of its domains for the DNS questions."""
        timed_out = []
        detection = self._detect_sender(settings, self._new_resolver(settings), deadline, timed_out)
        return replace(
            settings,
            sender=Sender(
                provider=detection.provider_key if detection.provider else UNKNOWN_SENDER,
                spec=detection.provider or UNKNOWN_SENDER,
                reason={"code": detection.reason_code, "params": dict(detection.reason_params)},
                timed_out=bool(timed_out),
            ),
            dmarc_rua=self._dmarc_report_addresses(),
            reported_selectors={name: tuple(found) for name, found in self._reported_dkim_selectors().items()},
            # A server signs only for the domains it was set up for: the companies' and their users', not the
            # contacts', whose own keys the search would otherwise take for it.
            dkim_search_domains=tuple(self._domains_to_check(replace(settings, check_partners=False))),
        )

    @api.model
    def _reported_dkim_selectors(self) -> dict[str, list[str]]:
        """{domain: selectors} the engine asks first when the sender's DKIM selector is not fixed: the one each
        domain's last check found (kept from run to run), then those receivers saw pass for the domain in the
        DMARC aggregate reports of the last 30 days, the most used first."""
        self.env.cr.execute(
            SQL(
                """
                SELECT name, dkim_selector FROM mail_domain_check WHERE dkim_selector IS NOT NULL
                 UNION ALL
                SELECT domain, selector FROM (
                    SELECT row.domain, lower(auth->>'selector') AS selector, sum(row.messages) AS messages
                      FROM mail_dmarc_report_row row, jsonb_array_elements(row.auth_results) auth
                     WHERE row.date >= %s AND row.domain IS NOT NULL
                       AND auth->>'method' = 'dkim' AND auth->>'result' = 'pass'
                       AND lower(auth->>'domain') = row.domain AND auth->>'selector' IS NOT NULL
                     GROUP BY 1, 2 ORDER BY 3 DESC
                ) reported
                """,
                fields.Date.today() - timedelta(days=30),
            )
        )
        found: dict[str, list[str]] = {}
        for domain, selector in self.env.cr.fetchall():
            if selector not in found.setdefault(domain, []):
                found[domain].append(selector)
        return found

    @api.model
    def _dmarc_report_addresses(self) -> dict[str, str]:
        """{domain: address} where the DMARC aggregate reports of the companies' domains (alias domain and
        default From) should go: the alias for DMARC reports on the company's alias domain, when there is one."""
        Alias = self.env["mail.alias"].sudo()
        aliases = Alias.search(
            [("alias_model_id.model", "=", "mail.dmarc.report"), ("alias_domain_id", "!=", False)], order="id"
        )
        by_domain = {}
        for alias in aliases:
            by_domain.setdefault(alias.alias_domain_id.id, alias.alias_full_name)
        addresses = {}
        # Every company's domains may receive reports, and a database has few companies.
        for company in self.env["res.company"].sudo().search([], order="id"):  # pylint: disable=no-search-all
            address = by_domain.get(company.alias_domain_id.id)
            for name in company._mail_domain_health_domains() if address else ():
                addresses.setdefault(name, address)
        return addresses

    @api.model
    def _detect_sender(
        self,
        settings: CheckSettings,
        resolver: Resolver,
        deadline: float | None = None,
        timed_out: list | None = None,
    ) -> SenderDetection:
        """Who sends Odoo's mail: the provider chosen in Settings, else what Odoo's own choice of server leads
        to (maildns.providers.detect_sender): the outgoing mail servers, else the configuration file's SMTP
        server, else Odoo's servers for a database Odoo hosts.

        The host of a server of one's own is resolved within `deadline` (None: each answer bounded by the
        resolver's timeout); when the time ran out before the DNS answered, True is appended to `timed_out`."""
        own_addresses = list(settings.own_addresses)
        if settings.provider in PROVIDERS:
            return chosen_sender(settings.provider)
        if settings.provider == SELF_HOSTED and own_addresses:
            return chosen_sender(SELF_HOSTED, own_addresses)
        # Personal servers (owner_user_id) only send their owner's mail: Odoo never falls back to them.
        servers = self.env["ir.mail_server"].sudo().search([("owner_user_id", "=", False)], order="sequence, id")
        addresses_of = resolver_addresses(resolver, deadline=deadline)

        def resolve(host: str) -> list[str]:
            try:
                return addresses_of(host)
            except OSError:
                if timed_out is not None and deadline is not None and time.monotonic() >= deadline:
                    timed_out.append(True)
                raise

        detection = detect_sender(
            [SmtpServer(server.name, server.smtp_host, server.sequence) for server in servers if server.smtp_host],
            self.env["ir.mail_server"]._mail_domain_health_configuration_host(),
            # Odoo.sh runs its databases with ODOO_STAGE set; elsewhere Odoo's servers do not send for it.
            hosted_by_odoo=bool(os.environ.get("ODOO_STAGE")),
            resolve=resolve,
        )
        if detection.needs_addresses and own_addresses:
            # The administrator confirmed the public addresses the local or private server sends from.
            return chosen_sender(SELF_HOSTED, own_addresses)
        return detection

    @api.model
    def _new_resolver(self, settings: CheckSettings) -> Resolver:
        """One Resolver per run: names shared by many domains (a provider's include or key) are asked once."""
        return Resolver(list(settings.nameservers) or None, timeout=min(settings.timeout, 5.0))
