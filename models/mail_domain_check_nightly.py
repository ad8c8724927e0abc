import logging
from datetime import datetime, timedelta
from functools import partial

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.batch_pipeline import AskAhead
from ..tools.check_settings import CheckSettings
from ..tools.stored_result import resolve_domains, resolve_or_log

_logger = logging.getLogger(__name__)

# Domains per cron batch: one batch is resolved, written and committed before the next starts. 100 rather
# than 50: half the statements and commits, and fewer stragglers ending a batch, for a first night 10% faster
# (bench/odoo_nightly.py); writing a batch still takes under a second.
BATCH_SIZE = 100
# Batches whose DNS questions are under way while one is written, and how many are asked at once.
LOOKAHEAD = 3
DNS_THREADS = 2
# A nightly run resumed after an interruption skips what the interrupted run already checked.
RECHECK_AFTER = timedelta(hours=20)
# Domains per job when the nightly run is split into Job Queue jobs: a job takes seconds, not minutes.
JOB_SIZE = 200


class MailDomainCheck(models.Model):
    """The nightly run over every domain in use (and Check all now), in queued jobs where asked; the clean-up."""

    _inherit = "mail.domain.check"

    def action_check_all_now(self):
        """Check every domain again, whatever the age of its last check (the list's Check all now): the nightly
        run, started at once; it says how many domains it checked and how many changed when it is done.

        Not an api.model method: a list header button sends the selected records (none, or some), which are
        `self` here; every domain is checked whichever are selected."""
        self._check_mail_domain_health_access()
        self.env["mail.domain.check.state"]._get().recheck_from = fields.Datetime.now()
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
    def _cron_check_domains(self):
        """Nightly: check the domains of all companies, active users and, if asked, contacts."""
        settings = self._get_check_settings()
        names = self._domains_to_check(settings)
        # Check all now: what was checked before it was pressed is checked again.
        recheck_from = self.env["mail.domain.check.state"]._get().recheck_from
        recent = max(fields.Datetime.now() - RECHECK_AFTER, recheck_from or datetime.min)
        checks = self._retry_on_conflict(partial(self._get_or_create, names))
        # A result made under sending settings changed since is checked again too.
        version = settings.version
        names = [
            check.name
            for check in checks
            if not check.checked_at or check.checked_at < recent or check.settings_version < version
        ]
        if settings.use_queue_job and self._queue_job_available():
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
        for batch, results in pipeline:
            if results is not None:
                try:
                    # A Check now of the same domain may have written it meanwhile: write again on a fresh
                    # snapshot rather than drop the batch.
                    self._retry_on_conflict(partial(self._store_named_results, batch, results, settings, companies))
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
        self.env["mail.domain.check.state"]._get().recheck_from = False
        self._settings_admins()._bus_send(
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

    @api.model
    def _queue_job_available(self) -> bool:
        """Whether the OCA Job Queue module is installed: it adds with_delay() to every model."""
        return "queue.job" in self.env and hasattr(self, "with_delay")

    @api.model
    def _enqueue_checks(self, names: list[str], settings: CheckSettings):
        """Queue one job per JOB_SIZE domains, each with the run's settings; a job already queued for the same
        domains and not yet done is not queued twice."""
        # Imported here: queue_job is optional, and this runs only where it is installed.
        from odoo.addons.queue_job.job import identity_exact

        # A job's arguments are stored as JSON: the settings go as JSON values, read back by the job.
        job_settings = settings.to_json()
        for start in range(0, len(names), JOB_SIZE):
            group = names[start : start + JOB_SIZE]
            self.with_delay(
                description=self.env._("Check %(count)s mail domains from %(first)s", count=len(group), first=group[0]),
                identity_key=identity_exact,
            )._job_check_domains(group, job_settings)
        _logger.info("mail_domain_health: %s domains queued in %s jobs", len(names), -(-len(names) // JOB_SIZE))

    @api.model
    def _job_check_domains(self, names: list[str], settings: dict) -> str:
        """A queued job: ask the DNS about `names` with the run's `settings` (CheckSettings.to_json()), then
        store the results. A job queued by an older version, whose settings this one cannot read, reads them anew.

        queue_job keeps a job's transaction open from start to end (it holds the job's lock there), so the DNS
        is asked before the domains' records are read: the job neither reads nor locks them while it waits on
        the network, and their rows are locked only for the short write at the end.
        """
        settings = CheckSettings.from_json(settings) or self._get_check_settings()
        results = resolve_domains(names, settings, self._new_resolver(settings))
        by_name = {check.name: check for check in self.sudo().search([("name", "in", names)])}
        # Reports come in the order of the names; a domain whose record was deleted since is skipped.
        pairs = [(by_name[name], result) for name, result in zip(names, results, strict=True) if name in by_name]
        checks = self.browse([check.id for check, _ in pairs]).sudo()
        # On a conflict with another writer, the job fails before writing, and queue_job runs it again later.
        checks._lock_for_write()
        checks._store_results([result for _, result in pairs], settings)
        return f"{len(checks)} domains checked"

    @api.model
    def _domains_to_check(self, settings: CheckSettings) -> list[str]:
        """The domains of the companies, of the active internal users and, if asked, of all active contacts,
        that are names of the public DNS: a local or private name (mail.lan, an intranet zone) is never asked.

        Grouped in SQL: a few queries, whatever the number of users and contacts.
        """
        # Every company's domains are checked, and a database has few companies.
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        names = set(companies._mail_domain_health_domains())
        names |= set(self.env["res.users"]._mail_domain_health_users_by_domain())
        if settings.check_partners:
            self.env["res.partner"].flush_model(["active", "email"])
            self.env.cr.execute(
                SQL(
                    "SELECT DISTINCT %s FROM res_partner WHERE active AND email LIKE %s",
                    self.env["res.partner"]._mail_domain_health_email_domain_sql("email"),
                    "%@%",
                )
            )
            names |= {raw for (raw,) in self.env.cr.fetchall()}
        public = settings.public_names(names)
        for name in names - {False, None, ""} - set(public):
            _logger.info("mail_domain_health: skipping %r, not a domain of the public DNS", name)
        return public

    @api.autovacuum
    def _gc_unused_checks(self):
        """Remove the checks of domains that no company, user or checked contact uses any more, once the
        setting's number of days has passed since they were last written (the nightly run writes those in use)."""
        settings = self._get_check_settings(with_sender=False)
        used = self._domains_to_check(settings)
        unused_since = fields.Datetime.now() - timedelta(days=settings.keep_unused_days)
        # A domain receivers still report on keeps its check while its reports are kept.
        unused = self.sudo().search(
            [("write_date", "<", unused_since), ("name", "not in", used), ("dmarc_report_ids", "=", False)]
        )
        if unused:
            _logger.info("mail_domain_health: removing %s checks of domains no longer used", len(unused))
            unused.unlink()
