import logging
import random
import time
from dataclasses import replace
from functools import partial

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from ..maildns import is_free_mail
from ..tools.check_settings import CheckSettings
from ..tools.stored_result import finding_values, policy_or_false, resolve_domains, same_result, zone_lines

_logger = logging.getLogger(__name__)

# Seconds the DNS gets while a person waits on Check now, the sender's detection included; what it has not
# answered by then goes on in the background, so that the screen is free again within two seconds: the rest of
# the request and the browser's part took up to 0.6 s more on a busy two-core machine.
INTERACTIVE_TIMEOUT = 1.0
# Below this much of the interactive time left once the sender is known, the domains go to the background.
MIN_INTERACTIVE_TIME = 0.2
# Writes of one batch (or of one Check now) tried before giving up on a conflict with a concurrent transaction.
CONFLICT_ATTEMPTS = 5


class MailDomainCheck(models.Model):
    """Checking domains: Check now, the background check, and storing what the DNS answered."""

    _inherit = "mail.domain.check"

    def action_check_now(self):
        """Resolve these domains now (the Check now button)."""
        self._check_mail_domain_health_access()
        return self._check_now_action(self.mapped("name"))

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
    def _check_now(self, domains, interactive: bool = False) -> list[str]:
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
        settings = self._get_check_settings(with_sender=False)
        public = settings.public_names(names)
        private = [name for name in names if name not in public]
        if private:
            raise UserError(
                self.env._(
                    "%(names)s: not a name of the public DNS (a local or private name), so receivers cannot look "
                    "it up and there is nothing to check. Use a domain registered in the public DNS.",
                    names=", ".join(private),
                )
            )
        if not self._may_write_apart():
            self._get_or_create(names)._check_in_background()
            return names
        settings = self._with_sender(settings, deadline)
        if interactive:
            time_left = deadline - time.monotonic()
            if settings.sender.timed_out or time_left < MIN_INTERACTIVE_TIME:
                # Who sends is not known yet: a verdict now would be one about the wrong sender.
                self._write_apart(lambda Check: Check._retry_on_conflict(partial(Check._mark_pending, names)))
                self._trigger_background_check()
                return names
            settings = replace(settings, timeout=min(settings.timeout, time_left))
        pairs = list(zip(names, self._resolve(names, settings), strict=True))
        queued = [name for name, result in pairs if interactive and result.timed_out()]
        answered = [(name, result) for name, result in pairs if name not in queued]

        def write(Check):
            if answered:
                done_names = [name for name, _ in answered]
                done_results = [result for _, result in answered]
                Check._retry_on_conflict(partial(Check._store_named_results, done_names, done_results, settings))
            if queued:
                Check._retry_on_conflict(partial(Check._mark_pending, queued))
            # The screens showing these domains update themselves, in place, once this is committed.
            Check._notify_checked(names)

        self._write_apart(write)
        if queued:
            self._trigger_background_check()
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
    def _trigger_background_check(self):
        """Run the background check as soon as this transaction is committed (a trigger is a row it writes)."""
        self.env.ref("mail_domain_health.ir_cron_check_pending_domains").sudo()._trigger()

    def _check_in_background(self):
        """Mark these checks as being checked ("Checking…" on screen) and run the background check once this
        transaction is committed."""
        if self:
            self.sudo().write({"check_pending": True})
            self._trigger_background_check()

    @api.model
    def _queue_unchecked(self, domains):
        """Start a background check of those of `domains` never checked yet (a user or an alias domain just
        saved): their records are created, marked as being checked, and the background check is triggered.
        No DNS here: this runs inside the save."""
        names = self._get_check_settings(with_sender=False).public_names(domains)
        if not names:
            return
        checks = self.sudo()._get_or_create(names)
        checks.filtered(lambda check: not check.checked_at and not check.check_pending)._check_in_background()

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
        settings = self._get_check_settings(with_sender=False)
        settings = self._with_sender(settings, deadline=time.monotonic() + settings.timeout)
        self.env["ir.cron"]._commit_progress(remaining=len(names))
        results = self._resolve(names, settings)
        # Storing them tells the screens waiting on them (_store_results).
        self._retry_on_conflict(partial(self._store_named_results, names, results, settings))
        self.env["ir.cron"]._commit_progress(len(names), remaining=0)

    @api.model
    def _resolve(self, names: list[str], settings: CheckSettings) -> list:
        return resolve_domains(names, settings, self._new_resolver(settings))

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
    def _store_named_results(
        self, names: list[str], results: list, settings: CheckSettings, companies: dict | None = None
    ):
        """Store the results of the domains `names` (in their order), creating the records still missing.

        The records are locked first: a concurrent writer of the same domains (the nightly run, another Check
        now) either waits here, or this raises a serialization failure here, before anything is written, for
        _retry_on_conflict() to start again on a fresh snapshot.
        """
        checks = self._get_or_create(names)
        checks._lock_for_write()
        checks._store_results(results, settings, companies)

    def _lock_for_write(self):
        """Lock these records' rows until the transaction ends; a conflict with a transaction that wrote them
        since this one started raises a serialization failure, which is not logged as an error."""
        self.env.cr.execute(
            SQL("SELECT id FROM mail_domain_check WHERE id = ANY(%s) FOR NO KEY UPDATE", self.ids),
            log_exceptions=False,
        )

    def _store_results(self, results: list, settings: CheckSettings, companies: dict | None = None):
        """Write the results of self, in order; `companies` is _companies_by_domain(), computed once a run."""
        if companies is None:
            companies = self._companies_by_domain()
        # Screens showing "Checking…" for these domains update themselves once this is committed, whichever
        # writer (the background check, the nightly run, a queued job) answered first.
        awaited = self.filtered("check_pending").mapped("name")
        now = fields.Datetime.now()
        renewed = unchanged = self.browse()
        findings = []
        relinked: dict[tuple[int, ...], MailDomainCheck] = {}
        for check, result in zip(self, results, strict=True):
            stored = check._store_result(result, settings, now)
            if stored == "renewed":
                renewed |= check
                findings += [dict(values, check_id=check.id) for values in finding_values(result)]
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
                "settings_version": settings.version,
            }
        )
        for company_ids, checks in relinked.items():
            checks.write({"company_ids": [fields.Command.set(company_ids)]})
        Finding = self.env["mail.domain.check.finding"].sudo()
        Finding.search([("check_id", "in", renewed.ids)]).unlink()
        Finding.create(findings)
        if awaited:
            self._notify_checked(awaited)

    @api.model
    def _notify_checked(self, names: list[str]):
        """Tell the Settings administrators' screens that these domains have a new result (sent on commit)."""
        self._settings_admins()._bus_send("mail_domain_health/checked", {"names": names})

    @api.model
    def _companies_by_domain(self) -> dict[str, tuple[int, ...]]:
        """For each domain, the ids of the companies whose alias domain, default From or internal users use it."""
        company_ids: dict[str, set[int]] = {}
        # Every company counts, and a database has few of them.
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            for name in company._mail_domain_health_domains():
                company_ids.setdefault(name, set()).add(company.id)
        for name, (_, companies) in self.env["res.users"]._mail_domain_health_users_by_domain().items():
            company_ids.setdefault(name, set()).update(companies)
        return {name: tuple(sorted(ids)) for name, ids in company_ids.items()}

    def _store_result(self, result, settings: CheckSettings, now=None) -> str:
        """Write one result and say how: "renewed" (the result is new), "unchanged" (the same as the last
        answer: the caller moves the dates) or "kept" (the DNS did not answer: the last result is kept)."""
        self.ensure_one()
        now = now or fields.Datetime.now()
        provider, sender, settings_version = settings.sender.provider, dict(settings.sender.reason), settings.version
        findings = result.all_findings()
        only_faults = result.status == "error" and all(
            finding.is_fault for finding in findings if finding.status == "error"
        )
        if only_faults and self.last_success_at:
            # An unanswered lookup says nothing about the domain: keep the last good result, marked stale, with
            # the faults as codes and params, rendered in the reader's language when shown.
            faults = [{"code": fault.code, "params": dict(fault.params)} for fault in result.faults()]
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
        data = result.to_dict()
        if (
            self.last_success_at
            and not only_faults
            and self.provider == provider
            and self.sender_reason == sender
            and same_result(self.result, data)
        ):
            return "unchanged"
        values = {
            "provider": provider,
            "sender_reason": sender,
            "status": str(result.status),
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
            "spf_record": result.spf.record,
            "spf_suggested_record": result.spf.suggested_record,
            "dkim_selector": result.dkim.selector,
            "dkim_cname_target": result.dkim.cname_target,
            "dmarc_record": result.dmarc.record,
            "dmarc_policy": policy_or_false(result.dmarc.policy),
            "dmarc_effective_policy": policy_or_false(result.dmarc.effective_policy),
            "dmarc_provider_can_pass": {True: "yes", False: "no"}.get(result.dmarc.provider_can_pass, False),
            "free_mail": is_free_mail(result.domain),
            "result": data,
            "records_to_publish": zone_lines(result.records_to_publish()),
        }
        # The chatter follows changes of status; a domain's first result is its starting point, not a change.
        record = self if self.status else self.with_context(tracking_disable=True)
        record.write(values)
        return "renewed"
