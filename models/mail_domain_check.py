import logging
import os
import random
import time
from datetime import datetime, timedelta
from functools import partial

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, config, email_normalize, format_datetime, formatLang

from ..maildns import (
    AUTO,
    PROVIDER_CHOICES,
    PROVIDERS,
    SELF_HOSTED,
    UNKNOWN_SENDER,
    MailDNSError,
    Resolver,
    SenderDetection,
    SmtpServer,
    Status,
    chosen_sender,
    detect_sender,
    domain_relay_fails,
    free_mail_reason,
    is_fault,
    is_free_mail,
    is_public_dns_name,
    resolver_addresses,
    to_ascii,
    to_unicode,
)
from ..tools.addresses import ascii_or_none, email_domain, raw_domain
from ..tools.batch_pipeline import AskAhead
from ..tools.check_settings import PREFIX, read_check_settings
from ..tools.findings import render, worst_first
from ..tools.relay import UNNAMED_DOMAIN, named_domains
from ..tools.sending import SendingChange, SendingPreview
from ..tools.sql import email_domain_sql
from ..tools.stored_report import (
    POLICIES,
    policy_or_false,
    problem_values,
    publications,
    resolve_domains,
    resolve_or_log,
    same_result,
    zone_lines,
)

_logger = logging.getLogger(__name__)

STATUSES = [
    (str(Status.PASS), "Pass"),
    (str(Status.WARN), "Warning"),
    # What the check could not judge for want of a fact the administrator has (maildns.report.Status).
    (str(Status.UNKNOWN), "Not checked"),
    (str(Status.ERROR), "Error"),
    (str(Status.FAIL), "Fail"),
]
DMARC_POLICIES = list(zip(POLICIES, ("None", "Quarantine", "Reject"), strict=True))
# Who sends a domain's mail, as the engine names the choices (maildns.providers); "auto" is a setting only, and
# "unknown" a server of one's own whose public addresses are not known yet.
PROVIDER_KEYS = [(key, label) for key, label in PROVIDER_CHOICES if key != AUTO] + [(UNKNOWN_SENDER, "Unknown")]
# Domains per cron batch: one batch is resolved, written and committed before the next starts. 100 rather
# than 50: half the statements and commits, and fewer stragglers ending a batch, for a first night 10% faster
# (bench/odoo.py); writing a batch still takes under a second.
BATCH_SIZE = 100
# Batches whose DNS questions are under way while one is written, and how many are asked at once.
LOOKAHEAD = 3
DNS_THREADS = 2
# A nightly run resumed after an interruption skips what the interrupted run already checked.
RECHECK_AFTER = timedelta(hours=20)
# Domains per job when the nightly run is split into Job Queue jobs: a job takes seconds, not minutes.
JOB_SIZE = 200
# Seconds the DNS gets while a person waits on Check now, the sender's detection included; what it has not
# answered by then goes on in the background, so that the screen is free again within two seconds: the rest of
# the request and the browser's part took up to 0.6 s more on a busy two-core machine.
INTERACTIVE_TIMEOUT = 1.0
# Below this much of the interactive time left once the sender is known, the domains go to the background.
MIN_INTERACTIVE_TIME = 0.2
# What a change of the sending settings is called when the change stored is not one this version knows.
SETTINGS_CHANGED_ANY = "any"
# Writes of one batch (or of one Check now) tried before giving up on a conflict with a concurrent transaction.
CONFLICT_ATTEMPTS = 5


class MailDomainCheck(models.Model):
    _name = "mail.domain.check"
    _description = "Mail Domain Check"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name"

    _name_unique = models.Constraint("UNIQUE(name)", "Each domain has a single check record.")

    name = fields.Char(string="Domain", required=True, index=True, help="The domain, as ASCII (A-labels).")
    provider = fields.Selection(PROVIDER_KEYS, help="Who sends this domain's mail, as judged at the last check.")
    sender_reason = fields.Json(readonly=True, help="Why the sender was taken to be that one: a code and its params.")
    sender_summary = fields.Char(string="Expected sender", compute="_compute_explanations")
    status = fields.Selection(STATUSES, tracking=True, readonly=True)
    spf_status = fields.Selection(STATUSES, string="SPF", readonly=True)
    dkim_status = fields.Selection(STATUSES, string="DKIM", readonly=True)
    dmarc_status = fields.Selection(STATUSES, string="DMARC", readonly=True)
    checked_at = fields.Datetime(string="Last check", readonly=True)
    changed_at = fields.Datetime(string="Last change", readonly=True, help="Last check whose findings differed.")
    last_success_at = fields.Datetime(string="Last answer", readonly=True, help="Last check the DNS answered.")
    is_stale = fields.Boolean(
        string="Stale",
        readonly=True,
        help="The last check could not reach the DNS: the results shown are those of the last successful check.",
    )
    last_faults = fields.Json(
        readonly=True,
        help="The DNS faults of the last check when it kept an older result: each a code and its params.",
    )
    last_error = fields.Text(
        string="Last DNS fault",
        compute="_compute_explanations",
        help="The DNS faults of the last check when it kept an older result, in the reader's language.",
    )
    spf_record = fields.Char(string="SPF record", readonly=True)
    spf_suggested_record = fields.Char(string="SPF record to publish", readonly=True)
    dkim_selector = fields.Char(string="DKIM selector", readonly=True)
    dkim_cname_target = fields.Char(string="DKIM CNAME target", readonly=True)
    dmarc_record = fields.Char(string="DMARC record", readonly=True)
    dmarc_policy = fields.Selection(DMARC_POLICIES, string="DMARC policy", readonly=True)
    dmarc_effective_policy = fields.Selection(
        DMARC_POLICIES,
        string="Effective DMARC policy",
        readonly=True,
    )
    free_mail = fields.Boolean(string="Free mail", readonly=True)
    report = fields.Json(readonly=True)
    problem_ids = fields.One2many("mail.domain.check.problem", "check_id", string="Problems", readonly=True)
    records_to_publish = fields.Text(readonly=True)
    company_ids = fields.Many2many("res.company", string="Companies", readonly=True)
    check_pending = fields.Boolean(
        string="Checking",
        readonly=True,
        help="A check of this domain is under way in the background: the DNS did not answer while you waited.",
    )
    settings_version = fields.Integer(
        readonly=True,
        help="The version of the sending settings the last result was made under (the system parameter "
        "mail_domain_health.settings_version, raised by each change of them).",
    )
    outdated_notice = fields.Text(
        string="Made under other settings",
        compute="_compute_outdated_notice",
        help="The results shown predate a change of what they depend on (the outgoing mail servers, the sending "
        "provider, the public addresses, the DKIM selectors, the DNS servers or the timeout).",
    )
    user_count = fields.Integer(string="Users", compute="_compute_user_count")
    # What receivers saw: their DMARC aggregate reports about the domain.
    dmarc_report_ids = fields.One2many("mail.dmarc.report", "check_id", string="DMARC reports")
    dmarc_messages_7d = fields.Integer(string="Messages (7 days)", compute="_compute_dmarc_totals")
    dmarc_pass_rate_7d = fields.Float(string="DMARC pass (7 days)", compute="_compute_dmarc_totals")
    dmarc_messages_30d = fields.Integer(string="Messages (30 days)", compute="_compute_dmarc_totals")
    dmarc_pass_rate_30d = fields.Float(string="DMARC pass (30 days)", compute="_compute_dmarc_totals")
    dmarc_odoo_messages_7d = fields.Integer(string="Odoo's messages (7 days)", compute="_compute_dmarc_totals")
    dmarc_odoo_pass_rate_7d = fields.Float(string="Odoo's DMARC pass (7 days)", compute="_compute_dmarc_totals")
    dmarc_summary = fields.Char(string="What receivers saw", compute="_compute_dmarc_totals")
    # What the screens say, in the reader's language, from the stored findings (codes and params).
    spf_reason = fields.Text(string="Why SPF", compute="_compute_explanations")
    dkim_reason = fields.Text(string="Why DKIM", compute="_compute_explanations")
    dmarc_reason = fields.Text(string="Why DMARC", compute="_compute_explanations")
    fault_summary = fields.Text(string="DNS faults", compute="_compute_explanations")
    records_guide = fields.Text(string="What to publish", compute="_compute_explanations")

    # What the engine says of mail Odoo relays as an address of this domain, either way Odoo may send it: which
    # way it goes is read from the outgoing servers when the flags are used, so a change there shows at once.
    relay_fails_sent_as = fields.Boolean(
        string="Relayed as the address: refused or junked",
        compute="_compute_relay_fails",
        store=True,
        help="Mail Odoo relays as an address of this domain, sent as that address, is refused or marked as spam "
        "by receivers under the domain's DMARC policy (as of the last check).",
    )
    relay_fails_rewritten = fields.Boolean(
        string="Relayed as the notifications address: refused or junked",
        compute="_compute_relay_fails",
        store=True,
        help="Mail Odoo relays as an address of this domain, sent as Odoo's notifications address with the "
        "author's name, is refused or marked as spam by receivers (as of the last check).",
    )
    relay_contact_count = fields.Integer(
        string="Contacts affected",
        compute="_compute_relay_contact_count",
        help="Contacts on this domain whose messages Odoo relays to the followers of a document in a way receivers "
        "refuse or junk, with the outgoing mail servers as they are now.",
    )

    @api.depends(
        "problem_ids",
        "spf_status",
        "dkim_status",
        "dmarc_status",
        "spf_record",
        "records_to_publish",
        "report",
        "free_mail",
        "is_stale",
        "last_success_at",
        "last_faults",
    )
    @api.depends_context("lang", "tz")
    def _compute_explanations(self):
        for check in self:
            problems = check.problem_ids
            for part in ("spf", "dkim", "dmarc"):
                if check.free_mail:
                    # A public mail service's records are not the administrator's to change: the form says the
                    # fix instead (the users' addresses), and no record is offered.
                    check[f"{part}_reason"] = check._free_mail_reason(part)
                    continue
                findings = worst_first(
                    [p for p in problems if p.part == part and p.severity != "info" and not is_fault(p.code)],
                    status=lambda problem: problem.severity,
                )
                reason = "\n".join(dict.fromkeys(p.description for p in findings))
                if not reason and check[f"{part}_status"] == "error":
                    reason = self.env._("Unknown: the DNS did not answer (see below).")
                check[f"{part}_reason"] = reason or False
            check.last_error = "\n".join(check._render_faults(check.last_faults or [])) or False
            check.fault_summary = check._fault_summary()
            check.records_guide = check._records_guide()
            reason = check.sender_reason or {}
            check.sender_summary = render(self.env, reason["code"], reason.get("params")) if reason else False

    def _free_mail_reason(self, part: str) -> str:
        self.ensure_one()
        # The engine's verdict, in words that give no DNS advice for a domain not yours.
        reason = free_mail_reason(
            self.name, part, effective_policy=self.dmarc_effective_policy or None, codes=self.problem_ids.mapped("code")
        )
        return render(self.env, reason.code, reason.params)

    def _fault_summary(self) -> str | bool:
        """Each distinct DNS fault once (per code and server, not per name asked), and, when the results shown
        are older than the last check, since when."""
        self.ensure_one()
        faults = [
            {"code": problem.code, "params": problem.params or {}}
            for problem in self.problem_ids
            if is_fault(problem.code)
        ]
        if self.is_stale:
            # The last check's faults first: they are why the results shown are older.
            faults = (self.last_faults or []) + faults
        lines = self._render_faults(faults)
        if self.is_stale and self.last_success_at:
            lines.append(
                self.env._(
                    "The results shown are those of the last answer, on %(date)s.",
                    date=format_datetime(self.env, self.last_success_at),
                )
            )
        return "\n".join(lines) or False

    def _render_faults(self, faults: list[dict]) -> list[str]:
        """The sentences of DNS faults ({code, params}), in the reader's language, one per code and server:
        a server that did not answer about the domain's SPF, DKIM and DMARC names did not answer about the
        domain, said once."""
        self.ensure_one()
        groups: dict[tuple, list[dict]] = {}
        for fault in faults:
            params = fault.get("params") or {}
            groups.setdefault((fault.get("code"), params.get("nameserver")), []).append(params)
        lines = []
        for (code, _), params_list in groups.items():
            params = dict(params_list[0])
            if "name" in params and len({each.get("name") for each in params_list}) > 1:
                params["name"] = self.name
            line = render(self.env, code, params, default=code)
            if line not in lines:
                lines.append(line)
        return lines

    def _records_guide(self) -> str | bool:
        """The records to publish, each saying whether it is added or replaces a record the domain has: a
        second SPF record next to the first would break SPF."""
        self.ensure_one()
        if self.free_mail:
            # A public mail service's DNS is not yours to change: the fix is the users' addresses.
            return False
        lines = []
        # The engine says of each record whether it is added or replaces the SPF or DMARC record found.
        for code, params, line in publications(self.report):
            if code:
                lines.append(render(self.env, code, params))
            lines.append(f"    {line}")
        return "\n".join(lines) or False

    @api.depends("name")
    def _compute_display_name(self):
        # Checks are named as the DNS asks (A-labels): shown as people write the domain.
        for check in self:
            check.display_name = to_unicode(check.name) if check.name else False

    @api.depends("checked_at", "settings_version")
    @api.depends_context("lang", "tz")
    def _compute_outdated_notice(self):
        version, changed_at, what = self._sending_settings_change()
        for check in self:
            if not check.checked_at or check.settings_version >= version or not changed_at:
                check.outdated_notice = False
                continue
            when = format_datetime(self.env, changed_at)
            check.outdated_notice = self.env._(
                "These results predate the change of %(what)s on %(date)s: the domain is being checked again.",
                what=self._setting_labels().get(what, self._setting_labels()[SETTINGS_CHANGED_ANY]),
                date=when,
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
    def _sending_settings_change(self) -> tuple:
        """(version, when, what) of the last change of a setting every verdict depends on; (0, None, None) when
        none. A result made under an older version predates it."""
        params = self.env["ir.config_parameter"].sudo()
        version = params.get_param(PREFIX + "settings_version") or "0"
        changed_at = fields.Datetime.to_datetime(params.get_param(PREFIX + "settings_changed_at") or None)
        return (int(version) if version.isdigit() else 0), changed_at, params.get_param(PREFIX + "settings_changed")

    @api.model
    def _sending_settings_changed(self, what: str):
        """A setting every verdict depends on has changed (`what`: a key of _setting_labels()): the companies'
        domains, which Settings shows, are checked again at once in the background, and the nightly run is
        started to check every other domain again; until then, each result says it predates the change.
        No DNS here: this runs inside the save."""
        params = self.env["ir.config_parameter"].sudo()
        version, _, _ = self._sending_settings_change()
        params.set_param(PREFIX + "settings_version", str(version + 1))
        params.set_param(PREFIX + "settings_changed_at", fields.Datetime.to_string(fields.Datetime.now()))
        params.set_param(PREFIX + "settings_changed", what)
        settings = self._get_check_settings(with_sender=False)
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        names = {ascii_or_none(name) for name in companies.mapped("alias_domain_id.name")}
        names |= {email_domain(email) for email in companies.mapped("default_from_email")}
        names = sorted(name for name in names if name and is_public_dns_name(name, settings["private_suffixes"]))
        checks = self.sudo()._checks_by_name(names)
        if checks:
            self.browse([check.id for check in checks.values()]).sudo().write({"check_pending": True})
            self._trigger_pending_check()
        self.env.ref("mail_domain_health.ir_cron_check_mail_domains").sudo()._trigger()

    @api.depends_context("uid")
    def _compute_user_count(self):
        # Counted among the reader's companies only: the count depends on who reads it.
        counts = self.env["res.users"]._mail_domain_health_count_by_domain()
        for check in self:
            check.user_count = counts.get(check.name, 0)

    @api.depends("name", "dmarc_effective_policy", "report")
    def _compute_relay_fails(self):
        for check in self:
            facts = {
                "effective_policy": check.dmarc_effective_policy or None,
                "provider_can_pass": check._provider_can_pass(),
            }
            check.relay_fails_sent_as = domain_relay_fails(check.name, sent_as=True, **facts)
            check.relay_fails_rewritten = domain_relay_fails(check.name, sent_as=False, **facts)

    @api.depends_context("uid", "company")
    def _compute_relay_contact_count(self):
        counts = {}
        if self.env["res.partner"]._mail_domain_health_contacts_checked():
            failing = set(self._relay_failing_names(self.env.company)) & set(self.mapped("name"))
            counts = self.env["res.partner"]._mail_domain_health_count_by_domain(failing)
        for check in self:
            check.relay_contact_count = counts.get(check.name, 0)

    def _compute_dmarc_totals(self):
        # Totals of the reports' rows, which only Settings administrators read: the reader of a check may see them.
        Row = self.env["mail.dmarc.report.row"].sudo()
        today = fields.Date.context_today(self)
        totals = {}
        for key, days, extra in (("7d", 7, []), ("30d", 30, []), ("odoo_7d", 7, [("sent_by_odoo", "=", True)])):
            groups = Row._read_group(
                # Only what verified reporters said: anyone can send a report.
                [
                    ("check_id", "in", self.ids),
                    ("verified", "=", True),
                    ("date", ">", today - timedelta(days=days)),
                    *extra,
                ],
                ["check_id"],
                ["messages:sum", "passed_messages:sum"],
            )
            totals[key] = {check.id: (messages, passed) for check, messages, passed in groups}
        for check in self:
            (messages, passed), (messages_30, passed_30), (odoo, odoo_passed) = (
                totals[key].get(check.id, (0, 0)) for key in ("7d", "30d", "odoo_7d")
            )
            check.dmarc_messages_7d, check.dmarc_messages_30d, check.dmarc_odoo_messages_7d = (
                messages,
                messages_30,
                odoo,
            )
            check.dmarc_pass_rate_7d = passed / messages if messages else 0.0
            check.dmarc_pass_rate_30d = passed_30 / messages_30 if messages_30 else 0.0
            check.dmarc_odoo_pass_rate_7d = odoo_passed / odoo if odoo else 0.0
            check.dmarc_summary = check._dmarc_sentence(messages, passed, odoo, odoo_passed)

    def _dmarc_sentence(self, messages: int, passed: int, odoo: int, odoo_passed: int) -> str | bool:
        """98.2% of 12,340 messages passed DMARC in the last 7 days; Odoo's servers 100%"""
        if not messages:
            return False
        sentence = self.env._(
            "%(rate)s%% of %(messages)s messages passed DMARC in the last 7 days",
            rate=self._format_percent(passed / messages),
            messages=formatLang(self.env, messages, digits=0),
        )
        if odoo:
            sentence = self.env._(
                "%(sentence)s; Odoo's servers %(rate)s%%",
                sentence=sentence,
                rate=self._format_percent(odoo_passed / odoo),
            )
        return sentence

    def _format_percent(self, share: float) -> str:
        """A share as a percentage in the reader's language, with one decimal unless it is whole: 98.2, 100."""
        percent = round(share * 100, 1)
        return formatLang(self.env, percent, digits=0 if percent.is_integer() else 1)

    def _schedule_admin_activity(self, summary: str, note: str):
        """A to-do on this check for each Settings administrator of its companies (all of them for a check of no
        company), unless one with the same summary is still open for that administrator."""
        self.ensure_one()
        admins = (
            self.env.ref("base.group_system")
            .sudo()
            .all_user_ids.filtered(
                lambda user: (
                    user.active and not user.share and (not self.company_ids or user.company_ids & self.company_ids)
                )
            )
        )
        open_for = set(self.activity_ids.filtered(lambda activity: activity.summary == summary).user_id.ids)
        for admin in admins:
            if admin.id not in open_for:
                self.activity_schedule("mail.mail_activity_data_todo", summary=summary, note=note, user_id=admin.id)

    def action_open_dmarc_rows(self):
        """What receivers saw of this domain's mail, day by day (the graph of report rows)."""
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("mail_domain_health.mail_dmarc_report_row_action")
        action["domain"] = [("check_id", "=", self.id)]
        action["context"] = {"search_default_last_30_days": 1}
        return action

    # Settings

    @api.model
    def _get_check_settings(self, with_sender: bool = True, deadline: float | None = None) -> dict:
        """How domains are checked, from the system parameters set in Settings, validated here as well: a
        parameter can be written without the form. What cannot be used is left out, and the log says why.

        deadline: a time.monotonic() instant by which the sender must be known (a server of one's own is
        resolved to its addresses); when the DNS has not answered by then, "sender_timed_out" is set."""
        params = self.env["ir.config_parameter"].sudo()
        keys = (
            "provider",
            "own_addresses",
            "dkim_selector",
            "nameservers",
            "timeout",
            "check_partners",
            "use_queue_job",
            "private_suffixes",
            "keep_unused_days",
        )
        settings, reasons = read_check_settings({key: params.get_param(PREFIX + key) for key in keys})
        for reason in reasons:
            _logger.warning("mail_domain_health: setting %s", reason)
        # Read with the settings: a result is marked with the version it was made under, not a later one.
        settings["settings_version"] = self._sending_settings_change()[0]
        setting, own_addresses = settings.pop("provider_setting"), settings.pop("own_addresses")
        if not with_sender:
            # Which domains to check and when: no need to know who sends, nor to ask the DNS about a relay.
            return settings
        timed_out = []
        detection = self._detect_sender(setting, own_addresses, self._new_resolver(settings), deadline, timed_out)
        return {
            **settings,
            "sender_timed_out": bool(timed_out),
            "provider": detection.provider_key if detection.provider else UNKNOWN_SENDER,
            "provider_spec": detection.provider or UNKNOWN_SENDER,
            "sender": {"code": detection.reason_code, "params": dict(detection.reason_params)},
            "dmarc_rua": self._dmarc_report_addresses(),
            "reported_selectors": self._reported_dkim_selectors(),
            # A server signs only for the domains it was set up for: the companies' and their users', not the
            # contacts', whose own keys the search would otherwise take for it.
            "dkim_search_domains": self._domains_to_check({**settings, "check_partners": False}),
        }

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
            if not address:
                continue
            for name in (ascii_or_none(company.alias_domain_id.name), email_domain(company.default_from_email)):
                if name:
                    addresses.setdefault(name, address)
        return addresses

    @api.model
    def _detect_sender(
        self,
        setting: str,
        own_addresses: list[str],
        resolver: Resolver,
        deadline: float | None = None,
        timed_out: list | None = None,
    ) -> SenderDetection:
        """Who sends Odoo's mail: the provider chosen in Settings, else what Odoo's own choice of server leads
        to (maildns.providers.detect_sender): the outgoing mail servers, else the configuration file's SMTP
        server, else Odoo's servers for a database Odoo hosts.

        The host of a server of one's own is resolved within `deadline` (None: each answer bounded by the
        resolver's timeout); when the time ran out before the DNS answered, True is appended to `timed_out`."""
        if setting in PROVIDERS:
            return chosen_sender(setting)
        if setting == SELF_HOSTED and own_addresses:
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
            config.get("smtp_server"),
            # Odoo.sh runs its databases with ODOO_STAGE set; elsewhere Odoo's servers do not send for it.
            hosted_by_odoo=bool(os.environ.get("ODOO_STAGE")),
            resolve=resolve,
        )
        if detection.needs_addresses and own_addresses:
            # The administrator confirmed the public addresses the local or private server sends from.
            return chosen_sender(SELF_HOSTED, own_addresses)
        return detection

    # How Odoo sends

    @api.model
    def _sending_preview(self, author: str, company, change: SendingChange | None = None) -> SendingPreview:
        """What Odoo sends for a message authored by `author` for `company`: which server, which From, which
        envelope sender. Mirrors ir.mail_server._find_mail_server(), given the company's notifications address
        as mail.mail gives it, and the envelope rule of _prepare_email_message__(): the bounce address when the
        server's from_filter allows it, else the From. Shared by the warnings about users and contacts.

        `change` previews the same with a from_filter (and a default From) not yet saved: the servers are given
        to Odoo's own selection as unsaved copies carrying the new values.
        """
        return self._sending_previews([author], company, change)[0]

    @api.model
    def _sending_previews(self, authors, company, change: SendingChange | None = None) -> list[SendingPreview]:
        """_sending_preview() of each of `authors`, in order, the outgoing servers read once."""
        servers, candidates = self._outgoing_servers(company, change)
        return [self._preview_through(servers, candidates, author, company, change) for author in authors]

    @api.model
    def _outgoing_servers(self, company, change: SendingChange | None = None) -> tuple:
        """The model Odoo chooses a server with for `company`'s mail (in the context mail.mail gives it: the
        company, its notifications address) and the servers it chooses among, in order, as unsaved copies where
        `change` gives them another from_filter."""
        servers = self.env["ir.mail_server"].sudo().with_company(company)
        notifications = self._notifications_address(company, change)
        if notifications:
            servers = servers.with_context(domain_notifications_email=notifications)
        candidates = servers.search(servers._find_mail_server_allowed_domain(), order="sequence")
        if change is not None and change.server_id is not None:
            candidates = servers.concat(
                *(
                    server.new({"from_filter": change.from_filter}, origin=server)
                    if server.id == change.server_id
                    else server
                    for server in candidates
                )
            )
        return servers, candidates

    @api.model
    def _preview_through(self, servers, candidates, author: str, company, change) -> SendingPreview:
        server, email_from = servers._find_mail_server(author, mail_servers=candidates)
        # No outgoing server record: Odoo sends through the configuration file's SMTP server.
        server = server or servers.browse()
        if server:
            from_filter = server.from_filter
        elif change is not None and change.server_id is None:
            from_filter = change.from_filter
            email_from = self._configuration_server_from(servers, author, from_filter)
        else:
            from_filter = servers._get_default_from_filter()
        bounce = company.sudo().bounce_email or False
        envelope = bounce if bounce and servers._match_from_filter(bounce, from_filter) else email_from
        return SendingPreview(
            author=author,
            server_id=server._origin.id or None,
            server_name=server._origin.display_name or None,
            email_from=email_from or author,
            envelope_from=envelope or email_from or author,
        )

    @api.model
    def _configuration_server_name(self) -> str:
        """How to name the server Odoo sends through when no outgoing server record is chosen: the configuration
        file's smtp_server, which is this machine's mail server when the file names none (Odoo's default)."""
        host = (config.get("smtp_server") or "localhost").strip()
        if host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost"):
            return self.env._("the mail server of this machine (%(host)s)", host=host)
        return self.env._("%(host)s, the SMTP server of the Odoo configuration file", host=host)

    @api.model
    def _notifications_address(self, company, change: SendingChange | None = None) -> str | bool:
        """The address Odoo sends as for `company` when a server may not send as the author (its alias domain's
        default From), as it is or as `change` would make it."""
        alias_domain = company.sudo().alias_domain_id
        if change and change.default_from and alias_domain and alias_domain.id == change.alias_domain_id:
            # Odoo's own reading of a default From (a local part on the alias domain, or a full address).
            return alias_domain.new({"default_from": change.default_from}, origin=alias_domain).default_from_email
        return company.sudo().default_from_email or False

    @api.model
    def _configuration_server_from(self, servers, author: str, from_filter: str) -> str:
        """The From Odoo sends as through its configuration file's server with a from_filter not yet saved:
        the last step of ir.mail_server._find_mail_server(), which reads the saved one."""
        notifications = email_normalize(
            servers.env.context.get("domain_notifications_email") or servers._get_default_from_address()
        )
        if servers._match_from_filter(author, from_filter):
            return author
        if notifications and servers._match_from_filter(notifications, from_filter):
            return notifications
        return notifications or author

    @api.model
    def _relay_failing_names(self, company, change: SendingChange | None = None) -> list[str]:
        """The checked domains (A-labels) whose mail, relayed by Odoo as one of their addresses for `company`,
        receivers refuse or junk, with the outgoing set-up as it is (or as `change` would make it).

        Each check stores the engine's verdict for both ways out; the way out is read here from the servers:
        the same for every domain no from_filter names, so one preview decides for all of them, and the few
        named domains get a preview each. The outgoing servers and the checks are read once: the contacts'
        filter calls this on every search.
        """
        unnamed, named = self._relay_ways_out(company, change)
        rewritten = sorted(name for name, preview in named.items() if preview.rewritten)
        sent_as = sorted(name for name, preview in named.items() if not preview.rewritten)
        self.flush_model(["name", "relay_fails_sent_as", "relay_fails_rewritten"])
        self.env.cr.execute(
            SQL(
                """
                SELECT name FROM mail_domain_check
                 WHERE CASE WHEN name = ANY(%(rewritten)s) THEN relay_fails_rewritten
                            WHEN name = ANY(%(sent_as)s) THEN relay_fails_sent_as
                            ELSE %(unnamed)s END
              ORDER BY name
                """,
                rewritten=rewritten,
                sent_as=sent_as,
                unnamed=SQL.identifier("relay_fails_rewritten" if unnamed.rewritten else "relay_fails_sent_as"),
            )
        )
        return [name for (name,) in self.env.cr.fetchall()]

    @api.model
    def _relay_previews(self, names, company, change: SendingChange | None = None) -> dict[str, SendingPreview]:
        """How Odoo relays mail authored by an address of each of these domains: {name: preview}."""
        unnamed, named = self._relay_ways_out(company, change)
        return {name: named.get(name, unnamed) for name in names}

    @api.model
    def _relay_ways_out(self, company, change: SendingChange | None = None) -> tuple[SendingPreview, dict]:
        """How Odoo sends for an address of a domain no from_filter names (the same for all such domains), and,
        for each domain that is named (by a from_filter, or as the notifications address's domain), how Odoo
        sends for one of its addresses: (preview, {name: preview})."""
        servers, candidates = self._outgoing_servers(company, change)
        from_filters = [*candidates.mapped("from_filter")]
        from_filters.append(
            change.from_filter if change and change.server_id is None else servers._get_default_from_filter()
        )
        names = sorted(named_domains(from_filters, self._notifications_address(company, change)))
        authors = [f"postmaster@{name}" for name in [UNNAMED_DOMAIN, *names]]
        unnamed, *previews = (self._preview_through(servers, candidates, author, company, change) for author in authors)
        return unnamed, dict(zip(names, previews, strict=True))

    @api.model
    def _checks_by_name(self, names) -> dict:
        """{name: check} of the checks of these domains (None and empty names ignored), as this env reads them."""
        names = [name for name in names if name]
        return {check.name: check for check in self.search([("name", "in", names)])} if names else {}

    def _provider_can_pass(self) -> bool | None:
        """Whether, at the last check, the sending provider passed this domain's DMARC (None: unknown)."""
        self.ensure_one()
        return ((self.report or {}).get("dmarc") or {}).get("provider_can_pass")

    # Records

    @api.model
    def _normalize_domain(self, text: str) -> str:
        """The A-label form of a domain typed by a user; a UserError says what is wrong."""
        try:
            return to_ascii(text)
        except MailDNSError as error:
            raise UserError(self.env._("This is not a domain that can be checked: %(error)s", error=error)) from None

    @api.model
    def _get_or_create(self, domains) -> "MailDomainCheck":
        """The check records of these domains, created on first sight.

        Created with INSERT ... ON CONFLICT: two transactions meeting a new domain at once end with its one
        record. Under Odoo's repeatable read, the later of them may still get a serialization failure; callers
        that can start again (the nightly run, Check now) run this through _retry_on_conflict().
        """
        names = sorted({self._normalize_domain(domain) for domain in domains if domain})
        if names:
            # A check record is the domain's entry in a registry: its creation is not news for the chatter, and
            # it has no followers.
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO mail_domain_check (name, create_uid, write_uid, create_date, write_date)
                         SELECT name, %(uid)s, %(uid)s, %(now)s, %(now)s FROM unnest(%(names)s::varchar[]) AS name
                    ON CONFLICT (name) DO NOTHING
                    """,
                    uid=self.env.uid,
                    now=fields.Datetime.now(),
                    names=names,
                ),
                # A conflict here is expected, and handled by the caller: not an error for the log.
                log_exceptions=False,
            )
        by_name = {check.name: check for check in self.sudo().search([("name", "in", names)])}
        return self.browse([by_name[name].id for name in names]).with_env(self.env)

    # Checking

    def action_check_now(self):
        """Resolve these domains now (the Check now button)."""
        self._check_mail_domain_health_access()
        return self._check_now_action(self.mapped("name"))

    def action_open_relay_contacts(self):
        """The contacts on this domain whose relayed mail is refused or junked (the Contacts affected button)."""
        self.ensure_one()
        self._check_mail_domain_health_access()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mail_domain_health.res_partner_action_mail_domain_health_relay"
        )
        action["domain"] = [("mail_domain_health_email_domain", "=", self.name)]
        action["display_name"] = self.env._("Contacts affected on %(domain)s", domain=self.name)
        return action

    def action_open_relay_fix(self):
        """The fixes for the relayed mail of these domains' contacts, applied only once confirmed."""
        self._check_mail_domain_health_access()
        return self.env["mail.domain.relay.fix"]._open_action({"default_check_ids": self.ids})

    def _check_mail_domain_health_access(self):
        if not self.env.is_superuser() and not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._("Only Settings administrators can check mail domains."))

    @api.model_create_multi
    def create(self, vals_list):
        # A domain added by hand (New in the list) is checked at once, in the background.
        checks = super().create(vals_list)
        checks.write({"check_pending": True})
        self._trigger_pending_check()
        return checks

    def action_open_users(self):
        """The internal users whose address is on this domain (among the reader's companies)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Users on %(domain)s", domain=self.name),
            "res_model": "res.users",
            "view_mode": "list,form",
            "domain": [("share", "=", False), ("email", "=ilike", f"%@{self.name}")],
        }

    def action_check_all_now(self):
        """Check every domain again, whatever the age of its last check (the list's Check all now): the nightly
        run, started at once; it says how many domains it checked and how many changed when it is done.

        Not an api.model method: a list header button sends the selected records (none, or some), which are
        `self` here; every domain is checked whichever are selected."""
        self._check_mail_domain_health_access()
        now = fields.Datetime.to_string(fields.Datetime.now())
        self.env["ir.config_parameter"].sudo().set_param(PREFIX + "recheck_from", now)
        self.env.ref("mail_domain_health.ir_cron_check_mail_domains").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._(
                    "Every domain is being checked again, in the background: a message says when it is done."
                ),
                "type": "info",
            },
        }

    @api.model
    def _check_now_action(self, domains) -> dict:
        """Check now, for a user waiting in front of the screen: what the DNS answers within a couple of
        seconds is written at once, the rest is checked in the background, and the screen says which."""
        started = time.monotonic()
        queued = self._check_now(domains, interactive=True)
        _logger.info(
            "mail_domain_health: Check now of %s domains answered in %.3f s, %s left to the background",
            len(domains),
            time.monotonic() - started,
            len(queued),
        )
        if queued:
            message = self.env._(
                "The DNS did not answer about %(names)s within a few seconds: the check goes on in the background, "
                "and this screen updates itself when the answer is in.",
                names=", ".join(queued),
            )
            kind = "info"
        else:
            message = self.env._("Checked: the results below are those of this check.")
            kind = "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": kind, **self._check_now_next()},
        }

    @api.model
    def _check_now_next(self) -> dict:
        """What the screen does after Check now's notification: a screen that updates itself when told (the
        Settings block, context key mail_domain_health_live) stays where it is; any other is read again."""
        if self.env.context.get("mail_domain_health_live"):
            return {}
        return {"next": {"type": "ir.actions.client", "tag": "soft_reload"}}

    @api.model
    def _check_now(self, domains, settings: dict | None = None, interactive: bool = False) -> list[str]:
        """Check these domains at once (the callers check the rights), and return those left to the
        background.

        The DNS is asked before anything is written, and the results are written in a transaction of their
        own, started after the answers came and retried on a conflict: the request's transaction never waits on
        the network, and never meets the nightly run writing the same domain (which would make Odoo replay the
        whole request, DNS included). `interactive`: a person waits; the whole check, the sender's detection
        included, gets INTERACTIVE_TIMEOUT seconds, and a domain the DNS did not answer about in that time is
        marked as being checked and handed to the background check, which has the full timeout and notifies the
        Settings administrators when done.

        When the caller's transaction has written or locked rows (a save that just created the domain's check
        record, say), a transaction of its own could wait on them for ever: the domains are then marked as being
        checked in the caller's transaction, and the background check runs once it is committed.
        """
        names = sorted({self._normalize_domain(domain) for domain in domains if domain})
        if not names:
            return []
        started = time.monotonic()
        deadline = started + INTERACTIVE_TIMEOUT if interactive else None
        private_suffixes = (settings or self._get_check_settings(with_sender=False))["private_suffixes"]
        private = [name for name in names if not is_public_dns_name(name, private_suffixes)]
        if private:
            raise UserError(
                self.env._(
                    "%(names)s: not a name of the public DNS (a local or private name), so receivers cannot look "
                    "it up and there is nothing to check. Use a domain registered in the public DNS.",
                    names=", ".join(private),
                )
            )
        if not self._may_write_apart():
            self._mark_pending(names)
            self._trigger_pending_check()
            return names
        settings = settings or self._get_check_settings(deadline=deadline)
        if interactive:
            time_left = deadline - time.monotonic()
            if settings.get("sender_timed_out") or time_left < MIN_INTERACTIVE_TIME:
                # Who sends is not known yet: a verdict now would be one about the wrong sender.
                self._write_apart(lambda Check: Check._retry_on_conflict(partial(Check._mark_pending, names)))
                self._trigger_pending_check()
                return names
            settings = {**settings, "timeout": min(settings["timeout"], time_left)}
        pairs = list(zip(names, self._resolve(names, settings), strict=True))
        queued = [name for name, report in pairs if interactive and _timed_out(report)]
        answered = [(name, report) for name, report in pairs if name not in queued]

        def write(Check):
            if answered:
                done_names = [name for name, _ in answered]
                done_reports = [report for _, report in answered]
                Check._retry_on_conflict(partial(Check._store_named_reports, done_names, done_reports, settings))
            if queued:
                Check._retry_on_conflict(partial(Check._mark_pending, queued))
            # The screens showing these domains update themselves, in place, once this is committed.
            Check._notify_checked(names)

        self._write_apart(write)
        if queued:
            self._trigger_pending_check()
        return queued

    @api.model
    def _write_apart(self, work):
        """Run `work(Check)` in a transaction of its own, committed at once, Check being this model as superuser
        there; the records were then written by another transaction: what this one cached of them is out of
        date."""
        with self.env.registry.cursor() as cr:
            work(self.env(cr=cr, su=True)["mail.domain.check"])
        self.env.invalidate_all()

    @api.model
    def _may_write_apart(self) -> bool:
        """Whether a transaction of its own may write check records now without waiting on this one.

        A transaction that wrote or locked no row has no transaction id yet (PostgreSQL assigns one at the first
        write or row lock): it holds nothing another could wait on. Otherwise only a cursor of the same
        connection is safe, which is what the registry gives in Odoo's test mode."""
        # Writes still in the ORM's cache hold no row yet, but will before this transaction ends.
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT txid_current_if_assigned() IS NULL, pg_backend_pid()"))
        holds_nothing, own_pid = self.env.cr.fetchone()
        if holds_nothing:
            return True
        with self.env.registry.cursor() as cr:
            cr.execute(SQL("SELECT pg_backend_pid()"))
            return cr.fetchone()[0] == own_pid

    @api.model
    def _trigger_pending_check(self):
        """Run the background check as soon as this transaction is committed (a trigger is a row it writes)."""
        self.env.ref("mail_domain_health.ir_cron_check_pending_domains").sudo()._trigger()

    @api.model
    def _queue_unchecked(self, domains):
        """Start a background check of those of `domains` never checked yet (a user or an alias domain just
        saved): their records are created, marked as being checked, and the background check is triggered.
        No DNS here: this runs inside the save."""
        settings = self._get_check_settings(with_sender=False)
        names = {name for name in (ascii_or_none(domain) for domain in domains) if name}
        names = [name for name in names if is_public_dns_name(name, settings["private_suffixes"])]
        if not names:
            return
        checks = self.sudo()._get_or_create(names)
        unchecked = checks.filtered(lambda check: not check.checked_at and not check.check_pending)
        if unchecked:
            unchecked.write({"check_pending": True})
            self._trigger_pending_check()

    @api.model
    def _mark_pending(self, names: list[str]):
        checks = self._get_or_create(names)
        checks._lock_for_write()
        checks.write({"check_pending": True})

    @api.model
    def _cron_check_pending(self):
        """The background part of Check now: the domains the DNS did not answer about in time, with the full
        timeout; then the Settings administrators' screens are told to update."""
        names = self.sudo().search([("check_pending", "=", True)]).mapped("name")
        if not names:
            return
        # Who sends is known within one domain's timeout, or said to be unknown: a silent DNS holds "Checking…"
        # on screen for one timeout, not for one per address asked.
        timeout = self._get_check_settings(with_sender=False)["timeout"]
        settings = self._get_check_settings(deadline=time.monotonic() + timeout)
        self.env["ir.cron"]._commit_progress(remaining=len(names))
        reports = self._resolve(names, settings)
        # Storing them tells the screens waiting on them (_store_reports).
        self._retry_on_conflict(partial(self._store_named_reports, names, reports, settings))
        self.env["ir.cron"]._commit_progress(len(names), remaining=0)

    @api.model
    def _resolve(self, names: list[str], settings: dict) -> list:
        return resolve_domains(names, settings, self._new_resolver(settings))

    @api.model
    def _new_resolver(self, settings: dict) -> Resolver:
        """One Resolver per run: names shared by many domains (a provider's include or key) are asked once."""
        return Resolver(settings["nameservers"] or None, timeout=min(settings["timeout"], 5.0))

    @api.model
    def _retry_on_conflict(self, work, attempts: int = CONFLICT_ATTEMPTS):
        """Run `work` in the current transaction, and again on a fresh one when PostgreSQL reports a conflict
        with a concurrent transaction (a serialization failure, a deadlock): the DNS answers `work` writes are
        not thrown away for a row that another run wrote first. Call it only where nothing else is pending in
        the transaction: a conflict rolls it back."""
        for attempt in range(1, attempts + 1):
            try:
                result = work()
                self.env.flush_all()
                return result
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                if attempt == attempts:
                    raise
                self.env.cr.rollback()
                _logger.info("mail_domain_health: a concurrent write, attempt %s of %s", attempt + 1, attempts)
                time.sleep(random.uniform(0, 0.05 * 2**attempt))

    @api.model
    def _store_named_reports(self, names: list[str], reports: list, settings: dict, companies: dict | None = None):
        """Store the reports of the domains `names` (in their order), creating the records still missing.

        The records are locked first: a concurrent writer of the same domains (the nightly run, another Check
        now) either waits here, or this raises a serialization failure here, before anything is written, for
        _retry_on_conflict() to start again on a fresh snapshot.
        """
        checks = self._get_or_create(names)
        checks._lock_for_write()
        checks._store_reports(reports, settings, companies)

    def _lock_for_write(self):
        """Lock these records' rows until the transaction ends; a conflict with a transaction that wrote them
        since this one started raises a serialization failure, which is not logged as an error."""
        self.env.cr.execute(
            SQL("SELECT id FROM mail_domain_check WHERE id = ANY(%s) FOR NO KEY UPDATE", self.ids),
            log_exceptions=False,
        )

    def _store_reports(self, reports: list, settings: dict, companies: dict | None = None):
        """Write the reports of self, in order; `companies` is _companies_by_domain(), computed once a run."""
        if companies is None:
            companies = self._companies_by_domain()
        # Screens showing "Checking…" for these domains update themselves once this is committed, whichever
        # writer (the background check, the nightly run, a queued job) answered first.
        awaited = self.filtered("check_pending").mapped("name")
        now = fields.Datetime.now()
        renewed = unchanged = self.browse()
        problems = []
        relinked: dict[tuple[int, ...], MailDomainCheck] = {}
        for check, report in zip(self, reports, strict=True):
            stored = check._store_report(
                report, settings["provider"], now, settings.get("sender"), settings.get("settings_version", 0)
            )
            if stored == "renewed":
                renewed |= check
                problems += [dict(values, check_id=check.id) for values in problem_values(report)]
            elif stored == "unchanged":
                unchanged |= check
            company_ids = companies.get(check.name, ())
            if set(company_ids) != set(check.company_ids.ids):
                relinked[company_ids] = relinked.get(company_ids, self.browse()) | check
        # Most nights most domains answer as the night before: their dates move in one statement a batch,
        # their findings stay. A batch's links to companies are written per set of companies, and its new
        # findings replaced at once: a few statements a batch, not a few a domain.
        unchanged.write(
            {
                "checked_at": now,
                "last_success_at": now,
                "is_stale": False,
                "last_faults": False,
                "check_pending": False,
                "settings_version": settings.get("settings_version", 0),
            }
        )
        for company_ids, checks in relinked.items():
            checks.write({"company_ids": [fields.Command.set(company_ids)]})
        Problem = self.env["mail.domain.check.problem"].sudo()
        Problem.search([("check_id", "in", renewed.ids)]).unlink()
        Problem.create(problems)
        if awaited:
            self._notify_checked(awaited)

    @api.model
    def _notify_checked(self, names: list[str]):
        """Tell the Settings administrators' screens that these domains have a new result (sent on commit)."""
        admins = self.env.ref("base.group_system").sudo().all_user_ids
        admins._bus_send("mail_domain_health/checked", {"names": names})

    @api.model
    def _companies_by_domain(self) -> dict[str, tuple[int, ...]]:
        """For each domain, the ids of the companies whose alias domain, default From or internal users use it."""
        company_ids: dict[str, set[int]] = {}
        # Every company counts, and a database has few of them.
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            for name in {company.alias_domain_id.name, email_domain(company.default_from_email)}:
                if name:
                    company_ids.setdefault(name, set()).add(company.id)
        for name, (_, companies) in self.env["res.users"]._mail_domain_health_users_by_domain().items():
            company_ids.setdefault(name, set()).update(companies)
        return {name: tuple(sorted(ids)) for name, ids in company_ids.items()}

    def _store_report(
        self, report, provider: str, now=None, sender: dict | None = None, settings_version: int = 0
    ) -> str:
        """Write one report and say how: "renewed" (the result is new), "unchanged" (the same as the last
        answer: the caller moves the dates) or "kept" (the DNS did not answer: the last result is kept)."""
        self.ensure_one()
        now = now or fields.Datetime.now()
        problems = report.all_problems()
        only_faults = report.status == "error" and all(
            problem.is_fault for problem in problems if problem.status == "error"
        )
        if only_faults and self.last_success_at:
            # An unanswered lookup says nothing about the domain: keep the last good result, marked stale, with
            # the faults as codes and params, rendered in the reader's language when shown.
            faults = [{"code": fault.code, "params": dict(fault.params)} for fault in report.faults()]
            self.write(
                {
                    "checked_at": now,
                    "is_stale": True,
                    "last_faults": faults,
                    "check_pending": False,
                    "settings_version": settings_version,
                }
            )
            return "kept"
        data = report.to_dict()
        if (
            self.last_success_at
            and not only_faults
            and self.provider == provider
            and self.sender_reason == sender
            and same_result(self.report, data)
        ):
            return "unchanged"
        values = {
            "provider": provider,
            "sender_reason": sender,
            "status": str(report.status),
            "spf_status": data["spf"]["status"],
            "dkim_status": data["dkim"]["status"],
            "dmarc_status": data["dmarc"]["status"],
            "checked_at": now,
            "changed_at": now,
            "check_pending": False,
            "settings_version": settings_version,
            "last_success_at": now if not only_faults else self.last_success_at,
            "is_stale": False,
            "last_faults": False,
            "spf_record": report.spf.record,
            "spf_suggested_record": report.spf.suggested_record,
            "dkim_selector": report.dkim.selector,
            "dkim_cname_target": report.dkim.cname_target,
            "dmarc_record": report.dmarc.record,
            "dmarc_policy": policy_or_false(report.dmarc.policy),
            "dmarc_effective_policy": policy_or_false(report.dmarc.effective_policy),
            "free_mail": is_free_mail(report.domain),
            "report": data,
            "records_to_publish": zone_lines(report.records_to_publish()),
        }
        # The chatter follows changes of status; a domain's first result is its starting point, not a change.
        record = self if self.status else self.with_context(tracking_disable=True)
        record.write(values)
        return "renewed"

    @api.model
    def _cron_check_domains(self):
        """Nightly: check the domains of all companies, active users and, if asked, contacts."""
        settings = self._get_check_settings()
        names = self._domains_to_check(settings)
        # Check all now: what was checked before it was pressed is checked again.
        params = self.env["ir.config_parameter"].sudo()
        recheck_from = fields.Datetime.to_datetime(params.get_param(PREFIX + "recheck_from"))
        recent = max(fields.Datetime.now() - RECHECK_AFTER, recheck_from or datetime.min)
        checks = self._retry_on_conflict(partial(self._get_or_create, names))
        # A result made under sending settings changed since is checked again too.
        version = settings["settings_version"]
        names = [
            check.name
            for check in checks
            if not check.checked_at or check.checked_at < recent or check.settings_version < version
        ]
        if settings["use_queue_job"] and self._queue_job_available():
            self._enqueue_checks(names, settings)
            return
        batches = [names[start : start + BATCH_SIZE] for start in range(0, len(names), BATCH_SIZE)]
        remaining = len(names)
        # Who uses which domain is read once a run, not once a batch: it costs a pass over all users.
        companies = self._companies_by_domain()
        cron = self.env["ir.cron"]
        # Commit before waiting on any DNS answer: the job holds no transaction while the network is slow.
        # Even when the scheduler's time is up, one batch is done: each call of the job moves the run on.
        time_left = cron._commit_progress(remaining=remaining)
        # Threads ask the DNS about the next batches while one is written, so the run takes about as long as
        # its DNS questions, not their sum with the writes.
        pipeline = AskAhead(
            batches,
            partial(resolve_or_log, settings=settings, resolver=self._new_resolver(settings)),
            lookahead=LOOKAHEAD if time_left else 1,
            threads=DNS_THREADS,
        )
        for batch, reports in pipeline:
            if reports is not None:
                try:
                    # A Check now of the same domain may have written it meanwhile: write again on a fresh
                    # snapshot rather than drop the batch.
                    self._retry_on_conflict(partial(self._store_named_reports, batch, reports, settings, companies))
                except Exception:
                    # One broken batch must not stop the night's run; it is retried on the next run.
                    _logger.exception("mail_domain_health: storing %s domains failed", len(batch))
                    self.env.cr.rollback()
            remaining -= len(batch)
            if not cron._commit_progress(len(batch), remaining=remaining):
                # The scheduler's time is up: batches not yet asked are left to its next call, and those
                # already asked are written, so that no answer is thrown away.
                pipeline.stop()
        if recheck_from and not remaining:
            self._report_recheck(recheck_from)

    @api.model
    def _report_recheck(self, recheck_from):
        """Tell the Settings administrators that Check all now is done, and what it found."""
        checked = self.sudo().search_count([("checked_at", ">=", recheck_from)])
        changed = self.sudo().search_count([("changed_at", ">=", recheck_from)])
        self.env["ir.config_parameter"].sudo().set_param(PREFIX + "recheck_from", False)
        admins = self.env.ref("base.group_system").sudo().all_user_ids
        admins._bus_send(
            "simple_notification",
            {
                "type": "success",
                "title": self.env._("Mail domains checked"),
                "message": self.env._(
                    "%(checked)s domains checked again, %(changed)s with findings that changed.",
                    checked=checked,
                    changed=changed,
                ),
            },
        )

    # The run split into Job Queue jobs (OCA queue_job), when that module is installed and the setting is on

    @api.model
    def _queue_job_available(self) -> bool:
        """Whether the OCA Job Queue module is installed: it adds with_delay() to every model."""
        return "queue.job" in self.env and hasattr(self, "with_delay")

    @api.model
    def _enqueue_checks(self, names: list[str], settings: dict):
        """Queue one job per JOB_SIZE domains, each with the run's settings; a job already queued for the same
        domains and not yet done is not queued twice."""
        # Imported here: queue_job is optional, and this runs only where it is installed.
        from odoo.addons.queue_job.job import identity_exact

        job_settings = {key: value for key, value in settings.items() if key != "use_queue_job"}
        for start in range(0, len(names), JOB_SIZE):
            group = names[start : start + JOB_SIZE]
            self.with_delay(
                description=self.env._("Check %(count)s mail domains from %(first)s", count=len(group), first=group[0]),
                identity_key=identity_exact,
            )._job_check_domains(group, job_settings)
        _logger.info("mail_domain_health: %s domains queued in %s jobs", len(names), -(-len(names) // JOB_SIZE))

    @api.model
    def _job_check_domains(self, names: list[str], settings: dict) -> str:
        """A queued job: ask the DNS about `names`, then store the reports.

        queue_job keeps a job's transaction open from start to end (it holds the job's lock there), so the DNS
        is asked before the domains' records are read: the job neither reads nor locks them while it waits on
        the network, and their rows are locked only for the short write at the end.
        """
        reports = resolve_domains(names, settings, self._new_resolver(settings))
        by_name = {check.name: check for check in self.sudo().search([("name", "in", names)])}
        # Reports come in the order of the names; a domain whose record was deleted since is skipped.
        pairs = [(by_name[name], report) for name, report in zip(names, reports, strict=True) if name in by_name]
        checks = self.browse([check.id for check, _ in pairs]).sudo()
        # On a conflict with another writer, the job fails before writing, and queue_job runs it again later.
        checks._lock_for_write()
        checks._store_reports([report for _, report in pairs], settings)
        return f"{len(checks)} domains checked"

    @api.model
    def _domains_to_check(self, settings: dict) -> list[str]:
        """The domains of the companies, of the active internal users and, if asked, of all active contacts,
        that are names of the public DNS: a local or private name (mail.lan, an intranet zone) is never asked.

        Grouped in SQL: a few queries, whatever the number of users and contacts.
        """
        # Every company's domains are checked, and a database has few companies.
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        names = set(companies.mapped("alias_domain_id.name"))
        names |= {raw_domain(email) for email in companies.mapped("default_from_email")}
        names |= set(self.env["res.users"]._mail_domain_health_users_by_domain())
        if settings["check_partners"]:
            self.env["res.partner"].flush_model(["active", "email"])
            self.env.cr.execute(
                SQL(
                    "SELECT DISTINCT %s FROM res_partner WHERE active AND email LIKE %s",
                    email_domain_sql("email"),
                    "%@%",
                )
            )
            names |= {raw for (raw,) in self.env.cr.fetchall()}
        valid = set()
        for name in names - {False, None, ""}:
            ascii_name = ascii_or_none(name)
            if ascii_name and is_public_dns_name(ascii_name, settings["private_suffixes"]):
                valid.add(ascii_name)
            else:
                _logger.info("mail_domain_health: skipping %r, not a domain of the public DNS", name)
        return sorted(valid)

    @api.autovacuum
    def _gc_unused_checks(self):
        """Remove the checks of domains that no company, user or checked contact uses any more, once the
        setting's number of days has passed since they were last written (the nightly run writes those in use)."""
        settings = self._get_check_settings(with_sender=False)
        used = self._domains_to_check(settings)
        unused_since = fields.Datetime.now() - timedelta(days=settings["keep_unused_days"])
        # A domain receivers still report on keeps its check while its reports are kept.
        unused = self.sudo().search(
            [("write_date", "<", unused_since), ("name", "not in", used), ("dmarc_report_ids", "=", False)]
        )
        if unused:
            _logger.info("mail_domain_health: removing %s checks of domains no longer used", len(unused))
            unused.unlink()


def _timed_out(report) -> bool:
    """Whether the DNS left part of a report unanswered for lack of time (worth asking again, longer)."""
    return any(problem.code == "dns.timeout" for problem in report.all_problems())
