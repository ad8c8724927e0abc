"""Benchmark: DMARC aggregate reports received by Odoo's mail gateway, against the engine alone on the same messages.

    scripts/bench-odoo-reports [--reports 1000] [--rows 100] [--repeat 1]

scripts/bench-odoo-reports installs the addon in a throwaway database and runs this with MDH_ODOO_BIN,
MDH_ODOO_OPTIONS and MDH_ODOO_DSN set. The reports are those of bench/reports.py (Google zips its XML; Yahoo,
Microsoft and an RFC 9990 reporter gzip it), each attached to an RFC 5322 message to the alias for DMARC reports.
An odoo-bin shell feeds the messages to mail.thread.message_process one after the other, each in a transaction of
its own as fetchmail commits them, and times each; then the same reports resent (new messages, reports already
received); then the scheduled action attributes the sources, asking Knot, which serves the providers' zones and
the root (every other name is NXDOMAIN, as in real DNS). The engine alone parses the same messages first.
"""

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from generate import generate
from reports import generate_reports
from run import _machine, bench_zones

from odoo.addons.mail_domain_health.maildns.aggregate import parse_report
from odoo.addons.mail_domain_health.tests.support.dnsserver import AuthoritativeServer
from odoo.addons.mail_domain_health.tests.support.odooshell import DSN, ODOO_BIN, OdooShell

ALIAS_DOMAIN = "shop.example"
ALIAS = f"dmarc-reports@{ALIAS_DOMAIN}"
CRON = "mail_domain_health.ir_cron_attribute_dmarc_sources"


def messages(reports, *, resent: bool = False) -> list[bytes]:
    """Each report in a message of its reporter, as it reaches the alias."""
    raw = []
    for report in reports:
        reporter = report.name.split("!", 1)[0]
        message = EmailMessage()
        message["From"] = f"dmarc-noreply@{reporter}"
        message["To"] = ALIAS
        message["Subject"] = f"Report domain: {report.name.split('!')[1]} Submitter: {reporter}"
        message["Date"] = format_datetime(datetime.now(UTC))
        # A resent report comes in a message of its own.
        message["Message-ID"] = make_msgid(idstring="resent" if resent else None, domain=reporter)
        message.set_content(f"This is an aggregate report from {reporter}.")
        subtype = "zip" if report.name.endswith(".zip") else "gzip"
        message.add_attachment(report.data, maintype="application", subtype=subtype, filename=report.name)
        raw.append(message.as_bytes())
    return raw


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=1, help="runs, each on an empty table: medians are shown")
    args = parser.parse_args()
    if not (ODOO_BIN and DSN):
        print("Odoo benchmark SKIPPED: run it through scripts/bench-odoo-reports, which sets up the database")
        return 0
    generated = generate_reports(args.reports, args.rows)
    first, again = messages(generated), messages(generated, resent=True)
    expected = sum(report.messages for report in generated)
    print(_machine())
    print(
        f"{args.reports:,} reports of {args.rows} records in {sum(map(len, first)) / 1e6:.1f} MB of messages, "
        f"{expected:,} messages reported; runs: {args.repeat}"
    )
    odoo = OdooShell()
    runs = []
    with (
        tempfile.TemporaryDirectory(prefix="mdh-reports-") as folder,
        AuthoritativeServer(bench_zones(generate(1).zone)) as server,
    ):
        for name, batch in (("first", first), ("again", again)):
            for index, raw in enumerate(batch):
                (Path(folder) / f"{name}-{index:06d}.eml").write_bytes(raw)
        for _ in range(args.repeat):
            started = time.perf_counter()
            parsed = [report for raw in first for report in parse_report(raw)]
            engine = time.perf_counter() - started
            if sum(report.messages for report in parsed) != expected:
                raise SystemExit("the engine did not find the messages generated")
            _configure(odoo, server.address)
            received = _receive(odoo, folder, "first")
            resent = _receive(odoo, folder, "again")
            attributed = _attribute(odoo)
            if received["reports"] != args.reports or received["messages"] != expected:
                raise SystemExit(f"Odoo did not keep the reports as generated: {received}")
            if resent["reports"] != args.reports:
                raise SystemExit(f"resent reports were counted again: {resent}")
            runs.append((engine, received, resent, attributed))
    engine = statistics.median(run[0] for run in runs)
    wall = statistics.median(run[1]["wall"] for run in runs)
    times = [moment for run in runs for moment in run[1]["times"]]
    attribution = statistics.median(run[3]["wall"] for run in runs)
    ratios = [run[1]["wall"] / run[0] for run in runs]
    _, received, _, attributed = runs[0]
    print()
    print(
        "| reports | rows | engine alone s | Odoo s | reports/s | ms a report, median | p95 | SQL a report "
        "| Odoo / engine | resent s | sources attributed | attribution s | sources/s | alerts |"
    )
    print("| --- " * 14 + "|")
    print(
        f"| {args.reports:,} | {received['rows']:,} | {engine:.2f} | {wall:.1f} | {args.reports / wall:.1f} "
        f"| {statistics.median(times) * 1000:.0f} | {statistics.quantiles(times, n=20)[-1] * 1000:.0f} "
        f"| {received['sql'] / args.reports:.0f} | {_spread(ratios)} "
        f"| {statistics.median(run[2]['wall'] for run in runs):.1f} | {attributed['ips']:,} "
        f"| {attribution:.1f} | {attributed['ips'] / attribution:.0f} | {attributed['alerts']} |"
    )
    return 0


def _spread(ratios: list[float]) -> str:
    """A ratio's median, and its range when measured more than once."""
    if len(ratios) == 1:
        return f"{ratios[0]:.1f}"
    return f"{statistics.median(ratios):.1f} ({min(ratios):.1f}-{max(ratios):.1f})"


def _configure(odoo: OdooShell, nameserver: str) -> None:
    """The alias for DMARC reports on the company's alias domain, and the DNS the attribution asks."""
    odoo.run(
        f"""
        params = env["ir.config_parameter"].sudo()
        params.set_param("mail_domain_health.nameservers", {nameserver!r})
        params.set_param("mail_domain_health.provider", "odoo")
        # Each run starts from an empty table, with the alerts of the last run gone.
        env["mail.dmarc.report"].search([]).unlink()
        checks = env["mail.domain.check"].search([])
        checks.activity_ids.unlink()
        checks.message_ids.unlink()
        company = env.company
        company.alias_domain_id = env["mail.alias.domain"].search([("name", "=", {ALIAS_DOMAIN!r})]) or env[
            "mail.alias.domain"
        ].create({{"name": {ALIAS_DOMAIN!r}}})
        if not company.mail_dmarc_alias_id:
            company._create_dmarc_alias(env["mail.alias"].sudo())
        env.cr.commit()
        """
    )


def _receive(odoo: OdooShell, folder: str, prefix: str) -> dict:
    """Feed the messages to the mail gateway as fetchmail does: one message, then a commit."""
    output = odoo.run(
        f"""
        import json, time
        from pathlib import Path
        import odoo.sql_db
        paths = sorted(Path({folder!r}).glob("{prefix}-*.eml"))
        Thread = env["mail.thread"]
        times, before, started = [], odoo.sql_db.sql_counter, time.perf_counter()
        for path in paths:
            raw = path.read_bytes()
            begun = time.perf_counter()
            Thread.message_process(False, raw)
            env.cr.commit()
            times.append(time.perf_counter() - begun)
        wall, sql = time.perf_counter() - started, odoo.sql_db.sql_counter - before
        Report = env["mail.dmarc.report"]
        print("MDH-BENCH", json.dumps({{
            "wall": wall, "sql": sql, "times": times,
            "reports": Report.search_count([("state", "=", "ok")]),
            "failed": Report.search_count([("state", "=", "failed")]),
            "rows": env["mail.dmarc.report.row"].search_count([]),
            "messages": sum(Report.search([]).mapped("messages")),
        }}), flush=True)
        """,
        timeout=7200,
    )
    found = json.loads(re.search(r"MDH-BENCH (.*)", output).group(1))
    if found["failed"]:
        raise SystemExit(f"{found['failed']} messages were not read as reports")
    return found


def _attribute(odoo: OdooShell) -> dict:
    """Run the scheduled action until every source is attributed, as the scheduler calls it again while work
    remains."""
    output = odoo.run(
        f"""
        import json, time
        cron = env.ref({CRON!r})
        Row = env["mail.dmarc.report.row"]
        ips = len(set(Row.search([]).mapped("source_ip")))
        started, jobs = time.perf_counter(), 0
        while Row.search_count([("source", "=", "pending")]) and jobs < 100:
            cron.method_direct_trigger()
            env.cr.commit()
            env.invalidate_all()
            jobs += 1
        wall = time.perf_counter() - started
        # Both alerts name the report they come from.
        alerts = env["mail.message"].search_count(
            [("model", "=", "mail.domain.check"), ("body", "ilike", "in the report of")]
        )
        print("MDH-BENCH", json.dumps({{
            "wall": wall, "ips": ips, "jobs": jobs, "alerts": alerts,
            "pending": Row.search_count([("source", "=", "pending")]),
            "unattributed": env["mail.dmarc.report"].search_count([("attributed", "=", False)]),
        }}), flush=True)
        """,
        timeout=7200,
    )
    found = json.loads(re.search(r"MDH-BENCH (.*)", output).group(1))
    if found["pending"] or found["unattributed"]:
        raise SystemExit(f"the scheduled action left sources or reports unattributed: {found}")
    return found


if __name__ == "__main__":
    sys.exit(main())
