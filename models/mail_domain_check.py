from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_datetime

from ..maildns import (
    AUTO,
    PROVIDER_CHOICES,
    UNKNOWN_SENDER,
    MailDNSError,
    Status,
    free_mail_reason,
    is_fault,
    to_ascii,
    to_unicode,
)
from ..tools.findings import render, worst_first
from ..tools.stored_result import POLICIES, publications

STATUSES = [
    (str(Status.PASS), "Pass"),
    (str(Status.WARN), "Warning"),
    # What the check could not judge for want of a fact the administrator has (maildns.result.Status).
    (str(Status.UNKNOWN), "Not checked"),
    (str(Status.ERROR), "Error"),
    (str(Status.FAIL), "Fail"),
]
DMARC_POLICIES = list(zip(POLICIES, ("None", "Quarantine", "Reject"), strict=True))
# Who sends a domain's mail, as the engine names the choices (maildns.providers); "auto" is a setting only, and
# "unknown" a server of one's own whose public addresses are not known yet.
PROVIDER_KEYS = [(key, label) for key, label in PROVIDER_CHOICES if key != AUTO] + [(UNKNOWN_SENDER, "Unknown")]


class MailDomainCheck(models.Model):
    """One domain's check: the last result of the DNS checks of a domain Odoo sends from (a company's alias
    domain or default From, a user's or a checked contact's address), its findings and what to publish.

    The model is spread over files by concern: what it stores and shows (here), what it is made under
    (_settings), checking it (_run), the nightly run (_nightly), what receivers saw (_dmarc) and relayed mail
    (_relay); how Odoo sends is read from ir.mail_server (ir_mail_server.py)."""

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
    dmarc_provider_can_pass = fields.Selection(
        [("yes", "Yes"), ("no", "No")],
        string="Sender can pass DMARC",
        readonly=True,
        help="Whether, at the last check, the sender's mail could pass this domain's DMARC (empty: unknown).",
    )
    free_mail = fields.Boolean(string="Free mail", readonly=True)
    result = fields.Json(readonly=True, help="What the last check found, as the engine gave it (DomainResult).")
    finding_ids = fields.One2many("mail.domain.check.finding", "check_id", string="Problems", readonly=True)
    records_to_publish = fields.Text(readonly=True)
    company_ids = fields.Many2many("res.company", string="Companies", readonly=True)
    check_pending = fields.Boolean(
        string="Checking",
        readonly=True,
        help="A check of this domain is under way in the background: the DNS did not answer while you waited.",
    )
    user_count = fields.Integer(string="Users", compute="_compute_user_count")
    # What the screens say, in the reader's language, from the stored findings (codes and params).
    spf_reason = fields.Text(string="Why SPF", compute="_compute_explanations")
    dkim_reason = fields.Text(string="Why DKIM", compute="_compute_explanations")
    dmarc_reason = fields.Text(string="Why DMARC", compute="_compute_explanations")
    fault_summary = fields.Text(string="DNS faults", compute="_compute_explanations")
    records_guide = fields.Text(string="What to publish", compute="_compute_explanations")

    @api.depends(
        "finding_ids",
        "spf_status",
        "dkim_status",
        "dmarc_status",
        "spf_record",
        "records_to_publish",
        "result",
        "free_mail",
        "is_stale",
        "last_success_at",
        "last_faults",
    )
    @api.depends_context("lang", "tz")
    def _compute_explanations(self):
        for check in self:
            stored = check.finding_ids
            for part in ("spf", "dkim", "dmarc"):
                if check.free_mail:
                    # A public mail service's records are not the administrator's to change: the form says the
                    # fix instead (the users' addresses), and no record is offered.
                    check[f"{part}_reason"] = check._free_mail_reason(part)
                    continue
                findings = worst_first(
                    [p for p in stored if p.part == part and p.severity != "info" and not is_fault(p.code)],
                    status=lambda finding: finding.severity,
                )
                reason = "\n".join(dict.fromkeys(p.description for p in findings))
                if not reason and check[f"{part}_status"] == "error":
                    reason = render(self.env, "part.unanswered", {})
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
            self.name, part, effective_policy=self.dmarc_effective_policy or None, codes=self.finding_ids.mapped("code")
        )
        return render(self.env, reason.code, reason.params)

    def _fault_summary(self) -> str | bool:
        """Each distinct DNS fault once (per code and server, not per name asked), and, when the results shown
        are older than the last check, since when."""
        self.ensure_one()
        faults = [
            {"code": finding.code, "params": finding.params or {}}
            for finding in self.finding_ids
            if is_fault(finding.code)
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
        for code, params, line in publications(self.result):
            if code:
                lines.append(render(self.env, code, params))
            lines.append(f"    {line}")
        return "\n".join(lines) or False

    @api.depends("name")
    def _compute_display_name(self):
        # Checks are named as the DNS asks (A-labels): shown as people write the domain.
        for check in self:
            check.display_name = to_unicode(check.name) if check.name else False

    @api.depends_context("uid")
    def _compute_user_count(self):
        # Counted among the reader's companies only: the count depends on who reads it.
        counts = self.env["res.users"]._mail_domain_health_count_by_domain()
        for check in self:
            check.user_count = counts.get(check.name, 0)

    def _schedule_admin_activity(self, summary: str, note: str):
        """A to-do on this check for each Settings administrator of its companies (all of them for a check of no
        company), unless one with the same summary is still open for that administrator."""
        self.ensure_one()
        admins = self._settings_admins(self.company_ids)
        open_for = set(self.activity_ids.filtered(lambda activity: activity.summary == summary).user_id.ids)
        for admin in admins:
            if admin.id not in open_for:
                self.activity_schedule("mail.mail_activity_data_todo", summary=summary, note=note, user_id=admin.id)

    @api.model
    def _checks_by_name(self, names) -> dict:
        """{name: check} of the checks of these domains (None and empty names ignored), as this env reads them."""
        names = [name for name in names if name]
        return {check.name: check for check in self.search([("name", "in", names)])} if names else {}

    def _provider_can_pass(self) -> bool | None:
        """Whether, at the last check, the sending provider passed this domain's DMARC (None: unknown)."""
        self.ensure_one()
        return {"yes": True, "no": False}.get(self.dmarc_provider_can_pass)

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

    @api.model
    def _settings_admins(self, companies=None):
        """The Settings administrators told about checks (internal, active users), those of `companies` when
        some are given."""
        admins = self.env.ref("base.group_system").sudo().all_user_ids
        return admins.filtered(
            lambda user: user.active and not user.share and (not companies or user.company_ids & companies)
        )

    def _check_mail_domain_health_access(self):
        if not self.env.is_superuser() and not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._("Only Settings administrators can check mail domains."))

    @api.model_create_multi
    def create(self, vals_list):
        # A domain added by hand (New in the list) is checked at once, in the background.
        checks = super().create(vals_list)
        checks._check_in_background()
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
