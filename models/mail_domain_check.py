import json
import logging
import socket
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, str2bool

from ..maildns.check import check_domains
from ..maildns.dns import Resolver
from ..maildns.errors import MailDNSError
from ..maildns.names import to_ascii

_logger = logging.getLogger(__name__)

STATUSES = [("pass", "Pass"), ("warn", "Warning"), ("error", "Error"), ("fail", "Fail")]
PROVIDERS = [
    ("odoo", "Odoo"),
    ("google", "Google Workspace"),
    ("microsoft", "Microsoft 365"),
    ("self_hosted", "Self-hosted server"),
]
PARTS = ("spf", "dkim", "dmarc", "address")
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
DEFAULT_TIMEOUT = 15.0
# Outgoing servers whose host names tell which provider relays the mail.
PROVIDER_HOSTS = {
    "google": ("gmail.com", "google.com", "googlemail.com"),
    "microsoft": ("office365.com", "outlook.com", "microsoft.com"),
}


class MailDomainCheck(models.Model):
    _name = "mail.domain.check"
    _description = "Mail Domain Check"
    _inherit = ["mail.thread"]
    _order = "name"

    _name_unique = models.Constraint("UNIQUE(name)", "Each domain has a single check record.")

    name = fields.Char(string="Domain", required=True, index=True, help="The domain, as ASCII (A-labels).")
    provider = fields.Selection(PROVIDERS, help="Who sends this domain's mail, as judged at the last check.")
    status = fields.Selection(STATUSES, tracking=True, readonly=True)
    spf_status = fields.Selection(STATUSES, string="SPF", readonly=True)
    dkim_status = fields.Selection(STATUSES, string="DKIM", readonly=True)
    dmarc_status = fields.Selection(STATUSES, string="DMARC", readonly=True)
    checked_at = fields.Datetime(string="Last check", readonly=True)
    last_success_at = fields.Datetime(string="Last answer", readonly=True, help="Last check the DNS answered.")
    is_stale = fields.Boolean(
        string="Stale",
        readonly=True,
        help="The last check could not reach the DNS: the results shown are those of the last successful check.",
    )
    last_error = fields.Char(readonly=True)
    spf_record = fields.Char(string="SPF record", readonly=True)
    spf_suggested_record = fields.Char(string="SPF record to publish", readonly=True)
    dkim_selector = fields.Char(string="DKIM selector", readonly=True)
    dkim_cname_target = fields.Char(string="DKIM CNAME target", readonly=True)
    dmarc_record = fields.Char(string="DMARC record", readonly=True)
    dmarc_policy = fields.Selection(
        [("none", "None"), ("quarantine", "Quarantine"), ("reject", "Reject")], string="DMARC policy", readonly=True
    )
    dmarc_effective_policy = fields.Selection(
        [("none", "None"), ("quarantine", "Quarantine"), ("reject", "Reject")],
        string="Effective DMARC policy",
        readonly=True,
    )
    free_mail = fields.Boolean(string="Free mail", readonly=True)
    report = fields.Json(readonly=True)
    problem_ids = fields.One2many("mail.domain.check.problem", "check_id", string="Problems", readonly=True)
    records_to_publish = fields.Text(readonly=True)
    company_ids = fields.Many2many("res.company", string="Companies", readonly=True)
    user_count = fields.Integer(string="Users", compute="_compute_user_count")

    def _compute_user_count(self):
        counts = self.env["res.users"]._mail_domain_health_count_by_domain()
        for check in self:
            check.user_count = counts.get(check.name, 0)

    # Settings

    @api.model
    def _get_check_settings(self) -> dict:
        """How domains are checked, from the system parameters set in Settings."""
        params = self.env["ir.config_parameter"].sudo()
        try:
            timeout = float(params.get_param("mail_domain_health.timeout") or DEFAULT_TIMEOUT)
        except ValueError:
            timeout = DEFAULT_TIMEOUT
        provider, provider_spec = self._detect_provider(params.get_param("mail_domain_health.provider") or "auto")
        return {
            "provider": provider,
            "provider_spec": provider_spec,
            "dkim_selectors": _split(params.get_param("mail_domain_health.dkim_selector")) or None,
            "nameservers": _split(params.get_param("mail_domain_health.nameservers")),
            "timeout": timeout if timeout > 0 else DEFAULT_TIMEOUT,
            "check_partners": str2bool(params.get_param("mail_domain_health.check_partners") or "0"),
            "use_queue_job": str2bool(params.get_param("mail_domain_health.use_queue_job") or "0"),
        }

    @api.model
    def _detect_provider(self, setting: str) -> tuple[str, str]:
        """The provider key and the engine's provider spec ("odoo", "ip:192.0.2.1", ...)."""
        if setting in ("odoo", "google", "microsoft"):
            return setting, setting
        servers = self.env["ir.mail_server"].sudo().search([("owner_user_id", "=", False)], order="sequence")
        hosts = [server.smtp_host.lower() for server in servers if server.smtp_host]
        if setting == "auto":
            if not hosts:
                return "odoo", "odoo"
            # The first server by sequence is the one Odoo falls back to for most mail.
            first = hosts[0]
            for provider, suffixes in PROVIDER_HOSTS.items():
                if any(first == suffix or first.endswith("." + suffix) for suffix in suffixes):
                    return provider, provider
        addresses = _resolve_hosts(hosts)
        if not addresses:
            return "odoo", "odoo"
        return "self_hosted", "ip:" + ",".join(addresses)

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
        """The check records of these domains, created on first sight."""
        names = {self._normalize_domain(domain) for domain in domains if domain}
        existing = self.sudo().search([("name", "in", list(names))])
        missing = names - set(existing.mapped("name"))
        # A check record is the domain's entry in a registry: its creation is not news for the chatter.
        Check = self.sudo().with_context(mail_create_nolog=True, tracking_disable=True)
        created = Check.create([{"name": name} for name in sorted(missing)]) if missing else self.browse()
        return (existing | created).with_env(self.env)

    # Checking

    def action_check_now(self):
        """Resolve these domains now (the Check now button)."""
        self._check_mail_domain_health_access()
        self.sudo()._run_checks()
        return True

    def _check_mail_domain_health_access(self):
        if not self.env.is_superuser() and not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._("Only Settings administrators can check mail domains."))

    def _run_checks(self, settings: dict | None = None):
        """Check every record of self in one engine run and store the results."""
        if not self:
            return
        settings = settings or self._get_check_settings()
        self._store_reports(self._resolve(self.mapped("name"), settings), settings)

    @api.model
    def _resolve(self, names: list[str], settings: dict) -> list:
        return _resolve(names, settings, self._new_resolver(settings))

    @api.model
    def _new_resolver(self, settings: dict) -> Resolver:
        """One Resolver per run: names shared by many domains (a provider's include or key) are asked once."""
        return Resolver(settings["nameservers"] or None, timeout=min(settings["timeout"], 5.0))

    def _store_reports(self, reports: list, settings: dict, companies: dict | None = None):
        """Write the reports of self, in order; `companies` is _companies_by_domain(), computed once a run."""
        if companies is None:
            companies = self._companies_by_domain()
        now = fields.Datetime.now()
        renewed = unchanged = self.browse()
        problems = []
        relinked: dict[tuple[int, ...], MailDomainCheck] = {}
        for check, report in zip(self, reports, strict=True):
            stored = check._store_report(report, settings["provider"], now)
            if stored == "renewed":
                renewed |= check
                problems += [dict(values, check_id=check.id) for values in _problem_values(report)]
            elif stored == "unchanged":
                unchanged |= check
            company_ids = companies.get(check.name, ())
            if set(company_ids) != set(check.company_ids.ids):
                relinked[company_ids] = relinked.get(company_ids, self.browse()) | check
        # Most nights most domains answer as the night before: their dates move in one statement a batch,
        # their findings stay. A batch's links to companies are written per set of companies, and its new
        # findings replaced at once: a few statements a batch, not a few a domain.
        unchanged.write({"checked_at": now, "last_success_at": now, "is_stale": False, "last_error": False})
        for company_ids, checks in relinked.items():
            checks.write({"company_ids": [fields.Command.set(company_ids)]})
        Problem = self.env["mail.domain.check.problem"].sudo()
        Problem.search([("check_id", "in", renewed.ids)]).unlink()
        Problem.create(problems)

    @api.model
    def _companies_by_domain(self) -> dict[str, tuple[int, ...]]:
        """For each domain, the ids of the companies whose alias domain, default From or internal users use it."""
        company_ids: dict[str, set[int]] = {}
        # Every company counts, and a database has few of them.
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            for name in {company.alias_domain_id.name, ascii_or_none(_domain_of(company.default_from_email))}:
                if name:
                    company_ids.setdefault(name, set()).add(company.id)
        for name, (_, companies) in self.env["res.users"]._mail_domain_health_users_by_domain().items():
            company_ids.setdefault(name, set()).update(companies)
        return {name: tuple(sorted(ids)) for name, ids in company_ids.items()}

    def _store_report(self, report, provider: str, now=None) -> str:
        """Write one report and say how: "renewed" (the result is new), "unchanged" (the same as the last
        answer: the caller moves the dates) or "kept" (the DNS did not answer: the last result is kept)."""
        self.ensure_one()
        now = now or fields.Datetime.now()
        problems = report.all_problems()
        only_faults = report.status == "error" and all(
            problem.code.startswith("dns.") for problem in problems if problem.status == "error"
        )
        if only_faults and self.last_success_at:
            # An unanswered lookup says nothing about the domain: keep the last good result, marked stale.
            messages = sorted({problem.message for problem in problems if problem.code.startswith("dns.")})
            self.write({"checked_at": now, "is_stale": True, "last_error": "; ".join(messages)[:500]})
            return "kept"
        data = report.to_dict()
        if self.last_success_at and not only_faults and self.provider == provider and _same_result(self.report, data):
            return "unchanged"
        values = {
            "provider": provider,
            "status": str(report.status),
            "spf_status": data["spf"]["status"],
            "dkim_status": data["dkim"]["status"],
            "dmarc_status": data["dmarc"]["status"],
            "checked_at": now,
            "last_success_at": now if not only_faults else self.last_success_at,
            "is_stale": False,
            "last_error": False,
            "spf_record": report.spf.record,
            "spf_suggested_record": report.spf.suggested_record,
            "dkim_selector": report.dkim.selector,
            "dkim_cname_target": report.dkim.cname_target,
            "dmarc_record": report.dmarc.record,
            "dmarc_policy": _policy(report.dmarc.policy),
            "dmarc_effective_policy": _policy(report.dmarc.effective_policy),
            "free_mail": _is_free_mail(report.domain),
            "report": data,
            "records_to_publish": "\n".join(
                f"{record.name}. {record.type} {_presentation(record)}" for record in report.records_to_publish()
            ),
        }
        # The chatter follows changes of status; a domain's first result is its starting point, not a change.
        record = self if self.status else self.with_context(tracking_disable=True)
        record.write(values)
        return "renewed"

    @api.model
    def _cron_check_domains(self):
        """Nightly: check the domains of all companies, active users and, if asked, contacts."""
        settings = self._get_check_settings()
        names = self._domains_to_check(settings["check_partners"])
        recent = fields.Datetime.now() - RECHECK_AFTER
        checks = self._get_or_create(names).filtered(lambda check: not check.checked_at or check.checked_at < recent)
        if settings["use_queue_job"] and self._queue_job_available():
            self._enqueue_checks(checks.mapped("name"), settings)
            return
        batches = [
            (checks[start : start + BATCH_SIZE], checks[start : start + BATCH_SIZE].mapped("name"))
            for start in range(0, len(checks), BATCH_SIZE)
        ]
        remaining = len(checks)
        resolver = self._new_resolver(settings)
        # Who uses which domain is read once a run, not once a batch: it costs a pass over all users.
        companies = self._companies_by_domain()
        cron = self.env["ir.cron"]
        # Commit before waiting on any DNS answer: the job holds no transaction while the network is slow.
        # Even when the scheduler's time is up, one batch is done: each call of the job moves the run on.
        time_left = cron._commit_progress(remaining=remaining)
        # Threads ask the DNS about the next batches while one is written, so the run takes about as long as
        # its DNS questions, not their sum with the writes. They never touch the ORM.
        upcoming = iter(batches)
        ahead: deque = deque()
        dns = ThreadPoolExecutor(max_workers=DNS_THREADS, thread_name_prefix="mail_domain_health")

        def ask_ahead(limit: int):
            while len(ahead) < limit and (following := next(upcoming, None)):
                ahead.append((following[0], dns.submit(_resolve, following[1], settings, resolver)))

        try:
            ask_ahead(LOOKAHEAD if time_left else 1)
            while ahead:
                batch, answered = ahead.popleft()
                if answered.cancelled():
                    continue
                try:
                    batch._store_reports(answered.result(), settings, companies)
                except Exception:
                    # One broken batch must not stop the night's run; it is retried on the next run.
                    _logger.exception("mail_domain_health: checking %s domains failed", len(batch))
                    self.env.cr.rollback()
                remaining -= len(batch)
                if cron._commit_progress(len(batch), remaining=remaining):
                    ask_ahead(LOOKAHEAD)
                else:
                    # The scheduler's time is up: batches not yet asked are left to its next call, and those
                    # already asked are written, so that no answer is thrown away.
                    for _, pending in ahead:
                        pending.cancel()
        finally:
            dns.shutdown(wait=True, cancel_futures=True)

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
        reports = _resolve(names, settings, self._new_resolver(settings))
        by_name = {check.name: check for check in self.sudo().search([("name", "in", names)])}
        # Reports come in the order of the names; a domain whose record was deleted since is skipped.
        pairs = [(by_name[name], report) for name, report in zip(names, reports, strict=True) if name in by_name]
        checks = self.browse([check.id for check, _ in pairs]).sudo()
        checks._store_reports([report for _, report in pairs], settings)
        return f"{len(checks)} domains checked"

    @api.model
    def _domains_to_check(self, check_partners: bool) -> list[str]:
        """The domains of the companies, of the active internal users and, if asked, of all active contacts.

        Grouped in SQL: a few queries, whatever the number of users and contacts.
        """
        # Every company's domains are checked, and a database has few companies.
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        names = set(companies.mapped("alias_domain_id.name"))
        names |= {_domain_of(email) for email in companies.mapped("default_from_email")}
        names |= set(self.env["res.users"]._mail_domain_health_users_by_domain())
        if check_partners:
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
            if ascii_name:
                valid.add(ascii_name)
            else:
                _logger.info("mail_domain_health: skipping %r, not a domain", name)
        return sorted(valid)


def _resolve(names: list[str], settings: dict, resolver: Resolver) -> list:
    """Ask the DNS about `names`: no ORM here, so it may run in a thread while a batch is written."""
    return check_domains(
        names,
        provider=settings["provider_spec"],
        dkim_selectors=settings["dkim_selectors"],
        resolver=resolver,
        timeout=settings["timeout"],
    )


def _same_result(stored: dict | None, data: dict) -> bool:
    """Whether a new report says what the stored one said (the time it took aside)."""
    if not stored:
        return False
    # Through JSON, as the stored report went: tuples become lists, keys strings.
    return {**stored, "elapsed": None} == {**json.loads(json.dumps(data)), "elapsed": None}


def _split(text: str | bool) -> list[str]:
    return (text or "").replace(",", " ").split()


def email_domain_sql(column: str) -> SQL:
    """SQL for the domain of an email column, as _domain_of() reads it: after the last @, lower case, no ">"."""
    return SQL("lower(btrim(substring(%s FROM '@([^@]*)$'), ' >'))", SQL.identifier(*column.split(".")))


def ascii_or_none(name: str | bool | None) -> str | None:
    """The A-label form of a domain taken from stored data, or None when it is no domain."""
    if not name:
        return None
    try:
        return to_ascii(name)
    except MailDNSError:
        return None


def _domain_of(email: str | bool) -> str | bool:
    if not email or "@" not in email:
        return False
    return email.rpartition("@")[2].strip().strip(">").lower() or False


def _policy(value: str | None) -> str | bool:
    return value if value in ("none", "quarantine", "reject") else False


def _presentation(record) -> str:
    return f'"{record.value}"' if record.type == "TXT" else record.value


def _is_free_mail(domain: str) -> bool:
    from ..maildns.address import is_free_mail

    return is_free_mail(domain)


def _problem_values(report) -> list[dict]:
    values = []
    parts = [("domain", report.problems)] + [
        (name, getattr(report, name).problems) for name in PARTS if getattr(report, name) is not None
    ]
    for part, problems in parts:
        for problem in problems:
            record = problem.record
            values.append(
                {
                    "sequence": len(values),
                    "part": part,
                    "code": problem.code,
                    "message": problem.message,
                    "severity": str(problem.status),
                    "record_name": record and record.name,
                    "record_type": record and record.type,
                    "record_value": record and record.value,
                }
            )
    return values


def _resolve_hosts(hosts: list[str]) -> list[str]:
    """The IP addresses of the outgoing servers, for a self-hosted SPF check."""
    addresses = []
    for host in hosts:
        try:
            infos = socket.getaddrinfo(host, 25, proto=socket.IPPROTO_TCP)
        except OSError:
            continue
        for info in infos:
            if info[4][0] not in addresses:
                addresses.append(info[4][0])
    return addresses
