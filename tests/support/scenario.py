"""What the process tests share: the scheduled action's trigger, and zones of domains set up for Odoo."""

import re
from contextlib import contextmanager

from .dnsproxy import FaultProxy
from .dnsserver import AuthoritativeServer, load_zone_dir, zone_head

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


def batch_size(odoo) -> int:
    """The number of domains the installed addon's nightly run checks and commits at a time."""
    output = odoo.run(
        """
        from odoo.addons.mail_domain_health.models.mail_domain_check_nightly import BATCH_SIZE
        print("MDH-BATCH-SIZE", BATCH_SIZE, flush=True)
        """
    )
    return int(re.search(r"MDH-BATCH-SIZE (\d+)", output).group(1))


def odoo_ready_zone(zone: str, domains: list[str]) -> str:
    """A zone in which every domain has what mail sent by Odoo needs: SPF, DKIM CNAME and DMARC."""
    lines = zone_head(zone)
    for domain in domains:
        label = domain.removesuffix(f".{zone}")
        lines.append(f'{label} TXT "v=spf1 include:_spf.odoo.com ~all"')
        lines.append(f"odoo._domainkey.{label} CNAME odoo._domainkey.odoo.com.")
        lines.append(f'_dmarc.{label} TXT "v=DMARC1; p=quarantine"')
    return "\n".join(lines) + "\n"


@contextmanager
def slow_dns(zone: str, domains: list[str], latency: float):
    """Knot serving the test zones and an Odoo-ready zone of `domains`, behind a proxy adding `latency`."""
    with AuthoritativeServer({**load_zone_dir(), f"{zone}.": odoo_ready_zone(zone, domains)}) as server:
        with FaultProxy(server.address, latency=latency) as proxy:
            yield proxy


def add_contacts(odoo, nameserver: str, domains: list[str], forget: str, use_queue_job: bool = False) -> None:
    """Settings for a nightly run over contacts' domains, a contact per domain, and no check records left
    among those `forget` selects (an Odoo search domain, as Python source)."""
    odoo.run(
        f"""
        params = env["ir.config_parameter"].sudo()
        params.set_param("mail_domain_health.nameservers", {nameserver!r})
        params.set_param("mail_domain_health.provider", "odoo")
        params.set_param("mail_domain_health.check_partners", "True")
        params.set_param("mail_domain_health.timeout", "10")
        params.set_param("mail_domain_health.use_queue_job", {str(use_queue_job)!r})
        env["res.partner"].create([{{"name": d, "email": "contact@" + d}} for d in {domains!r}])
        env["mail.domain.check"].search({forget}).unlink()
        env.cr.commit()
        """
    )
