"""Benchmark: the nightly action in a real Odoo 19 against the engine alone, on the same domains.

    scripts/bench-odoo [--domains 2000] [--users 10000] [--partners 20000] [--latency-ms 20] [--queue-job] [--repeat 1]

scripts/bench-odoo installs the addon in a throwaway database and runs this with MDH_ODOO_BIN,
MDH_ODOO_OPTIONS and MDH_ODOO_DSN set. Knot serves the generated domains (bench/generate.py) behind a
forwarder that adds the latency. Two rounds check the same domains: the first with a tenth of the users
and contacts, the second with all of them, so that what grows with them shows (SQL queries should not).
Each round: the engine alone (check_domains over the whole list), then the scheduled action, triggered
as the scheduler does, while pg_stat_activity is sampled for the transactions the job holds: first on
new check records, then again a night later, when the domains answer as before. With --queue-job, a third
night on new check records is split into Job Queue jobs, run by queue_job's job runner in an Odoo server
with two workers. Each round ends with the contacts' list loaded as the web client loads it, plain and with
the filter of contacts whose relayed mail is refused or junked.
"""

import argparse
import contextlib
import json
import re
import sys
import time

import psycopg2
from generate import generate
from latency import ForwarderProcess
from run import _machine, bench_zones

from odoo.addons.mail_domain_health.maildns import Resolver
from odoo.addons.mail_domain_health.maildns.check import check_domains
from odoo.addons.mail_domain_health.tests.support.dnsserver import AuthoritativeServer
from odoo.addons.mail_domain_health.tests.support.odooshell import DSN, ODOO_BIN, OdooServer, OdooShell
from odoo.addons.mail_domain_health.tests.support.pgactivity import TransactionSampler
from odoo.addons.mail_domain_health.tests.support.scenario import CRON, QUEUED_CHECKS

COMPANIES = 4
QUEUE_WORKERS = 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=2000)
    parser.add_argument("--users", type=int, default=10000)
    parser.add_argument("--partners", type=int, default=20000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument(
        "--queue-job", action="store_true", help="also time the night split into queued jobs (needs queue_job)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each night: medians and ranges are shown")
    args = parser.parse_args()
    if not (ODOO_BIN and DSN):
        print("Odoo benchmark SKIPPED: run it through scripts/bench-odoo, which sets up the database")
        return 0
    generated = generate(args.domains)
    zones = bench_zones(generated.zone)
    print(_machine())
    print(f"domains: {args.domains}, added latency: {args.latency_ms:g} ms per answer, runs: {args.repeat}")
    odoo = OdooShell()
    rows = []
    with AuthoritativeServer(zones) as server:
        forwarder = ForwarderProcess(server.address, args.latency_ms / 1000)
        # With --queue-job, an Odoo server whose job runner runs the queued jobs, two at a time, on two workers.
        queue_server = (
            OdooServer(
                "--load=base,web,queue_job",
                f"--workers={QUEUE_WORKERS}",
                environ={"ODOO_QUEUE_JOB_CHANNELS": f"root:{QUEUE_WORKERS}"},
            )
            if args.queue_job
            else contextlib.nullcontext()
        )
        try:
            with queue_server:
                _configure(odoo, forwarder.address, generated.domains)
                made_users = made_partners = 0
                for users, partners in ((args.users // 10, args.partners // 10), (args.users, args.partners)):
                    started = time.perf_counter()
                    _populate(odoo, generated.domains, range(made_users, users), range(made_partners, partners))
                    made_users, made_partners = users, partners
                    print(f"filled to {users} users and {partners} contacts in {time.perf_counter() - started:.0f} s")
                    rows.append(_round(odoo, forwarder, users, partners, args.queue_job, args.repeat))
        finally:
            forwarder.stop()
    print()
    print(
        "| users | contacts | domains | engine alone s | Odoo run s | Odoo / engine | jobs | SQL queries | batches "
        "| SQL per batch | job transactions | longest s | in transactions s | DNS queries | repeated "
        "| next night s | next night / engine | next night SQL |"
    )
    print("| --- " * 18 + "|")
    for row in rows:
        print(
            f"| {row['users']} | {row['partners']} | {row['domains']} | {row['engine']:.1f} | {row['wall']:.1f} | "
            f"{row['ratio']} | {row['jobs']} | {row['sql']} | {row['batches']} "
            f"| {row['sql'] / row['batches']:.0f} | {row['transactions']} | {row['longest']:.2f} | {row['held']:.1f} "
            f"| {row['dns']} | {row['repeated']} | {row['next_wall']:.1f} | {row['next_ratio']} "
            f"| {row['next_sql']} |"
        )
    print()
    print("The contacts' list (web_search_read, 80 rows, list view fields), plain and with the relayed-mail filter:")
    print("| users | contacts | domains | plain ms | contacts | filtered ms | contacts found | filtered / plain |")
    print("| --- " * 8 + "|")
    for row in rows:
        listed = row["partner_list"]
        print(
            f"| {row['users']} | {row['partners']} | {row['domains']} | {listed['plain_ms']:.1f} "
            f"| {listed['plain_length']} | {listed['filtered_ms']:.1f} | {listed['filtered_length']} "
            f"| {listed['ratio']:.2f} |"
        )
    if args.queue_job:
        print()
        print(f"Split into queued jobs ({QUEUE_WORKERS} workers, channel root:{QUEUE_WORKERS}), on new check records:")
        print(
            "| users | contacts | domains | engine alone s | queued s | queued / engine | queued jobs | longest job s |"
        )
        print("| --- " * 8 + "|")
        for row in rows:
            queued = row["queued"]
            print(
                f"| {row['users']} | {row['partners']} | {row['domains']} | {row['engine']:.1f} | {queued['wall']:.1f} "
                f"| {queued['ratio']} | {queued['jobs']} | {queued['longest']:.2f} |"
            )
    return 0


def _configure(odoo: OdooShell, nameserver: str, domains: list[str]) -> None:
    """Settings, and companies whose alias domains are among the generated domains."""
    odoo.run(
        f"""
        params = env["ir.config_parameter"].sudo()
        params.set_param("mail_domain_health.nameservers", {nameserver!r})
        params.set_param("mail_domain_health.provider", "odoo")
        params.set_param("mail_domain_health.check_partners", "True")
        params.set_param("mail_domain_health.timeout", "30")
        for index, domain in enumerate({domains[:COMPANIES]!r}):
            alias = env["mail.alias.domain"].create({{"name": domain}})
            env["res.company"].create({{"name": "Company " + str(index), "alias_domain_id": alias.id}})
        env.cr.commit()
        """
    )


def _populate(odoo: OdooShell, domains: list[str], users: range, partners: range) -> None:
    """Users and contacts spread over the domains, created in batches with tracking off."""
    odoo.run(
        f"""
        domains = {domains!r}
        companies = env["res.company"].search([], order="id")
        Users = env["res.users"].with_context(
            no_reset_password=True, tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        )
        users = list({list(users)!r})
        for start in range(0, len(users), 500):
            vals = []
            for index in users[start : start + 500]:
                company = companies[index % len(companies)]
                domain = domains[index % len(domains)]
                vals.append({{
                    "name": f"User {{index}}",
                    "login": f"user{{index}}@{{domain}}",
                    "email": f"user{{index}}@{{domain}}",
                    "company_id": company.id,
                    "company_ids": [(6, 0, [company.id])],
                }})
            Users.create(vals)
            env.cr.commit()
        Partners = env["res.partner"].with_context(tracking_disable=True, mail_create_nolog=True)
        partners = list({list(partners)!r})
        for start in range(0, len(partners), 2000):
            Partners.create([
                {{"name": f"Contact {{index}}", "email": f"contact{{index}}@{{domains[(index * 7) % len(domains)]}}"}}
                for index in partners[start : start + 2000]
            ])
            env.cr.commit()
        """,
        timeout=3600,
    )


def _round(
    odoo: OdooShell, forwarder: ForwarderProcess, users: int, partners: int, queue_job: bool, repeat: int
) -> dict:
    """The engine alone, then the nights, `repeat` times over: figures are medians, ratios taken pairwise."""
    runs = []
    for _ in range(repeat):
        output = odoo.run(
            """
            import json
            env["mail.domain.check"].search([]).unlink()
            env.cr.commit()
            from dataclasses import replace
            from odoo.addons.mail_domain_health.models.mail_domain_check_nightly import BATCH_SIZE
            Check = env["mail.domain.check"]
            names = Check._domains_to_check(replace(Check._get_check_settings(), check_partners=True))
            print("MDH-DOMAINS", json.dumps(names), flush=True)
            print("MDH-BATCH-SIZE", BATCH_SIZE, flush=True)
            """
        )
        domains = json.loads(re.search(r"MDH-DOMAINS (.*)", output).group(1))
        batch_size = int(re.search(r"MDH-BATCH-SIZE (\d+)", output).group(1))
        forwarder.take_questions()
        started = time.perf_counter()
        check_domains(domains, resolver=Resolver([forwarder.address], timeout=5.0), timeout=30)
        engine = time.perf_counter() - started
        first = _night(odoo, forwarder, len(domains))
        # The next night: the same domains, answering as before (the run skips what was checked in the last
        # 20 hours, so the dates are moved back a day first).
        odoo.run(
            """
            env.cr.execute("UPDATE mail_domain_check SET checked_at = checked_at - interval '1 day'")
            env.cr.commit()
            """
        )
        second = _night(odoo, forwarder, len(domains))
        queued = _queued_night(odoo, len(domains)) if queue_job else None
        runs.append((engine, first, second, queued, len(domains), -(-len(domains) // batch_size)))
    # The contacts' list, on the checks the nights stored (the queued night's, with --queue-job).
    partner_list = _partner_list(odoo)
    engine, first, second, queued, count, batches = runs[0]
    return first | {
        "partner_list": partner_list,
        "users": users,
        "partners": partners,
        "domains": count,
        "batches": batches,
        "engine": _median([run[0] for run in runs]),
        "wall": _median([run[1]["wall"] for run in runs]),
        "ratio": _spread([run[1]["wall"] / run[0] for run in runs]),
        "next_wall": _median([run[2]["wall"] for run in runs]),
        "next_ratio": _spread([run[2]["wall"] / run[0] for run in runs]),
        "next_sql": second["sql"],
        "queued": queued
        and queued
        | {
            "wall": _median([run[3]["wall"] for run in runs]),
            "ratio": _spread([run[3]["wall"] / run[0] for run in runs]),
        },
    }


def _partner_list(odoo: OdooShell, runs: int = 30) -> dict:
    """The contacts' list as the web client loads it (web_search_read of the list view's fields, 80 rows, counted
    up to 10,001), plain and with the relayed-mail filter, as a Settings administrator; runs alternate, each on
    an empty ORM cache, and the medians are kept."""
    output = odoo.run(
        f"""
        import json, statistics, time
        from lxml import etree
        Partner = env["res.partner"].with_user(env.ref("base.user_admin")).with_context(bin_size=True)
        arch = etree.fromstring(Partner.get_view(env.ref("base.view_partner_tree").id, "list")["arch"])
        names = [node.get("name") for node in arch.xpath("/list/field")]
        described = Partner.fields_get(names, ["type"])
        relational = ("many2one", "many2many", "one2many")
        spec = {{
            name: {{"fields": {{"display_name": {{}}}}}} if described[name]["type"] in relational else {{}}
            for name in names
        }}
        domains = {{"plain": [], "filtered": [("mail_domain_health_relay_fails", "=", True)]}}
        times = {{name: [] for name in domains}}
        lengths = {{}}
        for _ in range({runs}):
            for name, domain in domains.items():
                env.invalidate_all()
                started = time.perf_counter()
                result = Partner.web_search_read(domain, spec, limit=80, count_limit=10001)
                times[name].append(time.perf_counter() - started)
                lengths[name] = result["length"]
        print("MDH-LIST", json.dumps({{
            "plain_ms": statistics.median(times["plain"]) * 1000,
            "filtered_ms": statistics.median(times["filtered"]) * 1000,
            "plain_length": lengths["plain"],
            "filtered_length": lengths["filtered"],
            "fields": len(spec),
        }}), flush=True)
        """
    )
    measured = json.loads(re.search(r"MDH-LIST (.*)", output).group(1))
    return measured | {"ratio": measured["filtered_ms"] / measured["plain_ms"]}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _spread(ratios: list[float]) -> str:
    """A ratio's median, and its range when measured more than once."""
    if len(ratios) == 1:
        return f"{ratios[0]:.2f}"
    return f"{_median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"


def _night(odoo: OdooShell, forwarder: ForwarderProcess, expected: int) -> dict:
    """Run the nightly action until it is done, as the scheduler would; time it and watch its transactions."""
    forwarder.take_questions()
    with TransactionSampler(DSN) as sampler:
        output = odoo.run(
            f"""
            import json, time
            from datetime import timedelta
            from odoo import fields
            import odoo.sql_db
            print("MDH-MAIN-PID", env.cr._cnx.get_backend_pid(), flush=True)
            cron = env.ref({CRON!r})
            env.cr.commit()
            since = fields.Datetime.now() - timedelta(hours=20)
            not_yet = ["|", ("checked_at", "=", False), ("checked_at", "<", since)]
            before, started, jobs = odoo.sql_db.sql_counter, time.perf_counter(), 0
            # A job runs for about 10 s, then Odoo's scheduler runs it again at once while work remains
            # (ir.cron: MIN_TIME_PER_JOB, "partially done"): trigger it the same way until nothing is left.
            while True:
                result = cron.method_direct_trigger()
                jobs += 1
                # The job wrote through its own cursor: a new transaction sees it.
                env.cr.commit()
                env.invalidate_all()
                left = env["mail.domain.check"].search_count(not_yet)
                if not left or result is not True or jobs >= 100:
                    break
            wall, sql = time.perf_counter() - started, odoo.sql_db.sql_counter - before
            checked = env["mail.domain.check"].search_count([("checked_at", ">=", since)])
            print("MDH-BENCH", json.dumps({{
                "wall": wall, "sql": sql, "checked": checked, "result": str(result), "jobs": jobs,
            }}))
            """,
            timeout=3600,
        )
    questions = forwarder.take_questions()
    dns = sum(questions.values())
    bench = json.loads(re.search(r"MDH-BENCH (.*)", output).group(1))
    if bench["checked"] != expected or bench["result"] != "True":
        raise SystemExit(f"the nightly action checked {bench['checked']} of {expected} domains: {bench}")
    main_pid = int(re.search(r"MDH-MAIN-PID (\d+)", output).group(1))
    work = sampler.transactions(exclude_pids={main_pid})
    return {
        "wall": bench["wall"],
        "sql": bench["sql"],
        "transactions": len(work),
        "longest": max((end - start for _, start, end in work), default=0.0),
        "held": sum(end - start for _, start, end in work),
        "dns": dns,
        # Asked more than once: by a later job of the same run (each job has its own cache) or on retry.
        "repeated": dns - len(questions),
        "jobs": bench["jobs"],
    }


def _queued_night(odoo: OdooShell, expected: int) -> dict:
    """The first night again, split into queued jobs: from the trigger to the last job done."""
    output = odoo.run(
        f"""
        import time
        env["mail.domain.check"].search([]).unlink()
        env["queue.job"].search([]).unlink()
        env["ir.config_parameter"].sudo().set_param("mail_domain_health.use_queue_job", "True")
        cron = env.ref({CRON!r})
        env.cr.commit()
        print("MDH-TRIGGER", time.time(), flush=True)
        print("MDH-RESULT", cron.method_direct_trigger(), flush=True)
        env.cr.commit()
        env["ir.config_parameter"].sudo().set_param("mail_domain_health.use_queue_job", "False")
        env.cr.commit()
        """
    )
    triggered = float(re.search(r"MDH-TRIGGER ([0-9.]+)", output).group(1))
    connection = psycopg2.connect(DSN)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            deadline = time.monotonic() + 3600
            while time.monotonic() < deadline:
                cursor.execute(
                    f"""SELECT count(*), count(*) FILTER (WHERE state IN ('done', 'failed'))
                          FROM queue_job WHERE {QUEUED_CHECKS}"""
                )
                total, finished = cursor.fetchone()
                if total and finished == total:
                    break
                time.sleep(0.1)
            # Job times as queue_job records them (UTC, as Odoo stores datetimes), compared with the trigger's.
            cursor.execute(
                f"""SELECT count(*), count(*) FILTER (WHERE state = 'done'), max(EXTRACT(EPOCH FROM date_done)),
                           max(EXTRACT(EPOCH FROM date_done - date_started))
                      FROM queue_job WHERE {QUEUED_CHECKS}"""
            )
            jobs, done, last_done, longest = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM mail_domain_check WHERE checked_at IS NOT NULL")
            checked = cursor.fetchone()[0]
    finally:
        connection.close()
    if done != jobs or checked != expected:
        raise SystemExit(f"the queued jobs checked {checked} of {expected} domains, {done} of {jobs} jobs done")
    return {"wall": float(last_done) - triggered, "jobs": jobs, "longest": float(longest)}


if __name__ == "__main__":
    sys.exit(main())
