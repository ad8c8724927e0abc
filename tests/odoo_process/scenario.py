"""What the process tests share: the scheduled action's trigger, and zones of domains set up for Odoo."""

from dnsserver import zone_head

CRON = "mail_domain_health.ir_cron_check_mail_domains"
# SQL condition on queue_job rows: the jobs of a nightly run split into queued jobs.
QUEUED_CHECKS = "model_name = 'mail.domain.check' AND method_name = '_job_check_domains'"
# Python for an odoo-bin shell: trigger the scheduled action as Odoo's scheduler does (its own cursor, its
# progress commits), saying which PostgreSQL backend the shell's own cursor is.
TRIGGER = f"""
print("MDH-MAIN-PID", env.cr._cnx.get_backend_pid(), flush=True)
cron = env.ref({CRON!r})
env.cr.commit()
print("MDH-RESULT", cron.method_direct_trigger(), flush=True)
env.cr.commit()
"""


def odoo_ready_zone(zone: str, domains: list[str]) -> str:
    """A zone in which every domain has what mail sent by Odoo needs: SPF, DKIM CNAME and DMARC."""
    lines = zone_head(zone)
    for domain in domains:
        label = domain.removesuffix(f".{zone}")
        lines.append(f'{label} TXT "v=spf1 include:_spf.odoo.com ~all"')
        lines.append(f"odoo._domainkey.{label} CNAME odoo._domainkey.odoo.com.")
        lines.append(f'_dmarc.{label} TXT "v=DMARC1; p=quarantine"')
    return "\n".join(lines) + "\n"
