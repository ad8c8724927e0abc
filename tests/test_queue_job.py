"""The nightly run split into jobs of the OCA Job Queue module (queue_job), where that module is installed.

scripts/test-odoo runs these tests a second time after installing queue_job; in the first run, without it,
they are skipped and say so.
"""

from dataclasses import replace

from odoo.tests import new_test_user, tagged

from odoo.addons.mail_domain_health.models import mail_domain_check_nightly

from .test_mail_domain_check import Fault, MailDomainHealthCase

QUEUE_JOB_MISSING = "queue_job is not installed: scripts/test-odoo installs it and runs these tests again"


@tagged("post_install", "-at_install")
class TestQueuedRun(MailDomainHealthCase):
    def setUp(self):
        super().setUp()
        if not self.env["mail.domain.check"]._queue_job_available():
            self.skipTest(QUEUE_JOB_MISSING)
        from odoo.addons.queue_job.job import Job
        from odoo.addons.queue_job.tests.common import trap_jobs

        self.Job = Job
        self.trap_jobs = trap_jobs
        self.Check = self.env["mail.domain.check"].sudo()
        new_test_user(self.env, login="mdh_queue", groups="base.group_user", email="lee@pasted.check.test")
        self.names = self.Check._domains_to_check(replace(self.Check._get_check_settings(), check_partners=False))
        self.assertEqual(self.names, ["good.check.test", "google-only.check.test", "pasted.check.test"])
        self.patch(mail_domain_check_nightly, "JOB_SIZE", 2)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("mail_domain_health.use_queue_job", "True")
        # Only the domains of companies and users: the database may hold contacts of other tests.
        params.set_param("mail_domain_health.check_partners", "False")

    def checked(self) -> int:
        return self.Check.search_count([("name", "in", self.names), ("checked_at", "!=", False)])

    def queued(self):
        return self.env["queue.job"].search(
            [("model_name", "=", "mail.domain.check"), ("method_name", "=", "_job_check_domains")], order="id"
        )

    def test_the_run_queues_one_job_per_group_of_domains_and_checks_nothing_itself(self):
        with self.trap_jobs() as trap:
            # Called in the test's transaction (the queued run commits nothing), so the jobs can be performed.
            self.Check._cron_check_domains()
            trap.assert_jobs_count(2, only=self.Check._job_check_domains)
            groups = [job.args[0] for job in trap.enqueued_jobs]
            self.assertEqual(groups, [self.names[:2], self.names[2:]])
            # The run's settings travel with each job, so a job asks nothing of the database before the DNS.
            settings = trap.enqueued_jobs[0].args[1]
            self.assertEqual(settings["nameservers"], [self.proxy.address])
            self.assertEqual(settings["sender"]["spec"], "odoo")
            self.assertEqual(self.checked(), 0)
            trap.perform_enqueued_jobs()
        self.env.invalidate_all()
        self.assertEqual(self.checked(), 3)
        self.assertEqual(self.check("good.check.test").status, "pass")
        google_only = self.check("google-only.check.test")
        self.assertEqual(google_only.status, "fail")
        self.assertIn("spf.sender_not_authorized", google_only.finding_ids.mapped("code"))
        # Its company, and the other company of the administrator whose address is on it.
        self.assertEqual(google_only.company_ids, self.company_good | self.company_broken)

    def test_queued_jobs_run_by_queue_job_store_the_results(self):
        self.run_cron()
        jobs = self.queued()
        self.assertEqual(len(jobs), 2)
        self.assertEqual(set(jobs.mapped("state")), {"pending"})
        for record in jobs:
            job = self.Job.load(self.env, record.uuid)
            job.set_started()
            job.set_done(result=job.perform())
            job.store()
        self.assertEqual(jobs.mapped("result"), ["2 domains checked", "1 domains checked"])
        self.env.invalidate_all()
        self.assertEqual(self.check("good.check.test").status, "pass")
        self.assertIn("dkim.not_cname", self.check("pasted.check.test").finding_ids.mapped("code"))
        self.assertTrue(all(self.Check.search([("name", "in", self.names)]).mapped("last_success_at")))

    def test_a_second_run_before_the_jobs_ran_queues_nothing_twice(self):
        self.run_cron()
        self.run_cron()
        self.assertEqual(len(self.queued()), 2, "the same domains' jobs are already pending")

    def test_a_silent_domain_in_a_job_keeps_its_last_good_result(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.use_queue_job", "False")
        self.run_cron()
        good = self.check("good.check.test")
        self.assertEqual(good.status, "pass")
        for name in ("good.check.test", "_dmarc.good.check.test", "odoo._domainkey.good.check.test"):
            self.proxy.add_rule(name, Fault.DROP)
        with self.trap_jobs() as trap:
            self.Check._enqueue_checks(["good.check.test"], self.Check._get_check_settings())
            trap.perform_enqueued_jobs()
        good.invalidate_recordset()
        self.assertEqual(good.status, "pass")
        self.assertTrue(good.is_stale)
        self.assertTrue(good.last_error)

    def test_without_the_setting_the_run_checks_the_domains_itself(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_domain_health.use_queue_job", "False")
        with self.trap_jobs() as trap:
            self.run_cron()
            trap.assert_jobs_count(0)
        self.assertEqual(self.checked(), 3)

    def test_the_setting_shows_where_queue_job_is_installed(self):
        settings = self.env["res.config.settings"].create({"mail_domain_health_use_queue_job": True})
        self.assertTrue(settings.mail_domain_health_queue_job_available)
        settings.execute()
        self.assertEqual(self.env["ir.config_parameter"].sudo().get_param("mail_domain_health.use_queue_job"), "True")
