"""Command line: python -m maildns check TARGET... | spf DOMAIN --ip ADDR | report FILE...

Exit status of check follows the monitoring-plugin convention: 0 pass, 1 warn,
2 fail, 3 error or unknown (a part that could not be checked: the worst over
all targets), and 64 for bad input. report
exits 0 when every file is a report, 65 (EX_DATAERR) when one is not.
"""

import argparse
import ipaddress
import json
import os
import sys
from dataclasses import dataclass
from typing import NoReturn, TextIO

from .aggregate import (
    AggregateReport,
    Attribution,
    Limits,
    ReportError,
    Skip,
    SourceTotal,
    Tally,
    Totals,
    attribute_ips,
    attribute_sources,
    iso_utc,
    parse_report,
    stream_reports,
)
from .check import DEFAULT_DOMAIN_TIMEOUT, check_domains
from .dns import DEFAULT_TIMEOUT, Resolver
from .errors import MailDNSError
from .names import parse_target, to_ascii
from .providers import PROVIDERS
from .result import DomainResult, Status, worst

EXIT_USAGE = 64
EXIT_NOT_A_REPORT = 65
# 3 is UNKNOWN to monitoring systems: a DNS that did not answer, or a part nothing could judge.
EXIT_CODES = {Status.PASS: 0, Status.WARN: 1, Status.FAIL: 2, Status.ERROR: 3, Status.UNKNOWN: 3}
SPF_EXIT_CODES = {"pass": 0, "none": 1, "neutral": 1, "softfail": 1, "fail": 2, "permerror": 2, "temperror": 3}


class UsageError(Exception):
    """Bad command-line input: reported on one line, exit status 64."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="maildns",
        description="Check whether mail sent from a domain will pass SPF, DKIM and DMARC, "
        "and print the DNS records to publish.",
        epilog="Exit status: 0 pass, 1 warn, 2 fail, 3 error or unknown (worst over the targets), 64 bad input.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    check = commands.add_parser(
        "check",
        help="check domains or email addresses",
        description="Check SPF, DKIM and DMARC of each domain (or of each address's domain).",
    )
    check.add_argument("targets", nargs="+", metavar="TARGET", help="a domain (example.com) or an address")
    check.add_argument("--json", action="store_true", help="print a JSON array of reports")
    check.add_argument(
        "--provider",
        default="odoo",
        help="who sends the mail: odoo (default), "
        + ", ".join(name for name in PROVIDERS if name != "odoo")
        + ", ip:ADDR[,ADDR] for your own server, or unknown (your own server, its addresses not known)",
    )
    check.add_argument(
        "--dkim-selector",
        action="append",
        dest="dkim_selectors",
        metavar="SELECTOR",
        help="DKIM selector to check (repeatable; default: the provider's)",
    )
    _add_dns_options(check)
    check.add_argument(
        "--deadline",
        type=_positive_float,
        default=DEFAULT_DOMAIN_TIMEOUT,
        metavar="SECONDS",
        help=f"seconds one target may take in all (default {DEFAULT_DOMAIN_TIMEOUT:g})",
    )
    spf = commands.add_parser(
        "spf",
        help="evaluate SPF for one sending IP (RFC 7208 check_host)",
        description="Print the SPF result for mail from IP with the domain's policy.",
    )
    spf.add_argument("domain", help="the domain whose SPF record is evaluated")
    spf.add_argument("--ip", required=True, help="the sending server's IP address")
    spf.add_argument("--helo", help="the HELO/EHLO name given by the sender")
    spf.add_argument("--sender", help="the envelope sender (MAIL FROM); default postmaster@DOMAIN")
    _add_dns_options(spf)
    _add_report_command(commands)
    return parser


def _add_report_command(commands) -> None:
    report = commands.add_parser(
        "report",
        help="read DMARC aggregate reports (XML, gzip, zip, or the messages that carry them)",
        description="Print each DMARC aggregate report and the totals: messages, the DMARC pass rate, "
        "and who sends from each source IP (by the SPF records that authorize it).",
        epilog="Exit status: 0 when every file is a report, 65 when one is not (one line on stderr says why), "
        "64 for bad usage.",
    )
    report.add_argument("files", nargs="+", metavar="FILE", help="a report file or an email message; - reads stdin")
    report.add_argument("--json", action="store_true", help="print a JSON array of reports")
    report.add_argument(
        "--own-ip",
        action="append",
        dest="own_ips",
        metavar="ADDR[/LEN]",
        help="an address or network of your own mail servers (repeatable)",
    )
    report.add_argument(
        "--no-attribution",
        action="store_true",
        help="do not ask the DNS who sends from each source IP (offline use)",
    )
    _add_dns_options(report)


def _add_dns_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nameserver",
        action="append",
        dest="nameservers",
        metavar="HOST[:PORT]",
        help="DNS server to ask (repeatable; default: the system's)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive_float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"seconds to wait for one DNS answer (default {DEFAULT_TIMEOUT:g})",
    )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 300:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds between 0 and 300")
    return value


def main(argv: list[str] | None = None, *, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError("a command is required: check, spf or report (see --help)")
        if args.command == "report":
            return _run_report(args, stdout, stderr)
        resolver = Resolver(args.nameservers, timeout=args.timeout, lifetime=max(args.timeout * 2, args.timeout))
        if args.command == "spf":
            return _run_spf(args, resolver, stdout)
        reports = check_domains(
            args.targets,
            provider=args.provider,
            dkim_selectors=args.dkim_selectors,
            resolver=resolver,
            timeout=args.deadline,
        )
    except (UsageError, MailDNSError) as error:
        stderr.write(f"maildns: {_one_line(error)}\n")
        return EXIT_USAGE
    if args.json:
        json.dump([report.to_dict() for report in reports], stdout, indent=2)
        stdout.write("\n")
    else:
        stdout.write("\n".join(render(report) for report in reports))
    return EXIT_CODES[worst(report.status for report in reports)]


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _run_spf(args: argparse.Namespace, resolver: Resolver, stdout: TextIO) -> int:
    from .spf import check_host

    domain = to_ascii(args.domain)
    try:
        ip = str(ipaddress.ip_address(args.ip.strip()))
    except ValueError:
        raise UsageError(f"--ip {args.ip!r} is not an IP address") from None
    sender = args.sender or f"postmaster@{domain}"
    if args.sender:
        parse_target(args.sender)
    result = check_host(ip, domain, sender, helo=args.helo, resolver=resolver)
    line = f"{result.result}: {ip} for {sender} ({domain})"
    if result.mechanism:
        line += f", matched {result.mechanism}"
    stdout.write(line + "\n")
    if result.explanation:
        stdout.write(f"explanation: {result.explanation}\n")
    return SPF_EXIT_CODES[result.result]


def render(report: DomainResult) -> str:
    """A readable summary of one report, with the records to publish."""
    lines = [f"{report.target}: {report.status.upper()} (domain {report.domain}, provider {report.provider})"]
    for finding in report.findings:
        lines.append(f"  ! {finding.message} [{finding.code}]")
    for title, part, record in (
        ("SPF", report.spf, report.spf.record),
        ("DKIM", report.dkim, report.dkim.record),
        ("DMARC", report.dmarc, report.dmarc.record),
        ("Address", report.address, None),
    ):
        if part is None or not part.checked:
            continue
        lines.append(f"  {title:<8}{part.status.upper():<8}{record or ''}".rstrip())
        if part is report.dmarc:
            lines.extend(f"          {line}" for line in _dmarc_details(report.domain, report.dmarc))
        for finding in part.findings:
            lines.append(f"          - {finding.message} [{finding.code}]")
    records = report.records_to_publish()
    if records:
        lines.append("  Publish these records:")
        for record in records:
            value = f'"{record.value}"' if record.type == "TXT" else record.value
            lines.append(f"    {record.name}. {record.type} {value}")
    return "\n".join(lines) + "\n"


def _dmarc_details(domain: str, dmarc) -> list[str]:
    """Where the policy comes from and what receivers make of it, when that is not plain from the record."""
    lines = []
    if dmarc.record_domain and dmarc.record_domain != domain:
        if dmarc.organizational_domain == dmarc.record_domain:
            lines.append(f"policy of {dmarc.record_domain}, the organizational domain")
        else:
            lines.append(f"policy of {dmarc.record_domain} (organizational domain {dmarc.organizational_domain})")
    if dmarc.effective_policy and dmarc.effective_policy != dmarc.policy:
        lines.append(f"applied as p={dmarc.effective_policy}" + (" (t=y: testing)" if dmarc.testing else ""))
    lines.extend(f"note: {note}" for note in dmarc.notes)
    return lines


def _run_report(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    for path in args.files:
        if path != "-" and not (os.path.isfile(path) and os.access(path, os.R_OK)):
            raise UsageError(f"{path}: no such readable file")
    if args.json:
        return _run_report_json(args, stdout, stderr)
    # Text: the records stream from each file into the totals, a batch at a time, whatever the reports' size.
    tally, blocks, seen = Tally(), [], set()
    duplicates = refused = 0
    for path in args.files:
        try:
            read = _tally_file(path, seen)
        except ReportError as error:
            stderr.write(f"maildns: {path}: {_one_line(error)}\n")
            refused += 1
            continue
        tally.merge(read.tally)
        blocks += read.blocks
        duplicates += read.duplicates
        seen |= read.keys
    attributions = {}
    if not args.no_attribution and tally.domains:
        resolver = Resolver(args.nameservers, timeout=args.timeout, lifetime=max(args.timeout * 2, args.timeout))
        attributions = attribute_ips(tally.domains, resolver=resolver, own_ips=args.own_ips or ())
    stdout.write(render_totals(blocks, tally.totals(attributions)))
    if duplicates:
        stdout.write(f"Skipped {_plural(duplicates, 'report')} met twice (same reporter and report id).\n")
    return EXIT_NOT_A_REPORT if refused else 0


def _run_report_json(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    # JSON holds every record: the reports are read whole.
    reports: list[AggregateReport] = []
    refused = 0
    for path in args.files:
        try:
            reports += parse_report(_read(path), filename=os.path.basename(path) if path != "-" else None)
        except ReportError as error:
            stderr.write(f"maildns: {path}: {_one_line(error)}\n")
            refused += 1
    reports, _duplicates = _distinct(reports)
    attributions = {}
    if not args.no_attribution and reports:
        resolver = Resolver(args.nameservers, timeout=args.timeout, lifetime=max(args.timeout * 2, args.timeout))
        attributions = attribute_sources(reports, resolver=resolver, own_ips=args.own_ips or ())
    json.dump([report.to_dict(attributions) for report in reports], stdout, indent=2)
    stdout.write("\n")
    return EXIT_NOT_A_REPORT if refused else 0


@dataclass
class _FileRead:
    """One file's reports as the text shows them, its totals, and the reports it held twice or already met."""

    tally: Tally
    blocks: list[str]
    duplicates: int
    keys: set[tuple[str, str, str]]


def _tally_file(path: str, seen: set[tuple[str, str, str]]) -> _FileRead:
    read = _FileRead(Tally(), [], 0, set())
    left_out: list[Skip] = []
    counted = True
    records = messages = passed = 0
    first = True
    for part in stream_reports(_read(path), filename=os.path.basename(path) if path != "-" else None):
        if isinstance(part, Skip):
            left_out.append(part)
            continue
        report = part.report
        if first:
            key = (report.org_name, report.report_id, report.policy.domain)
            counted = key not in seen and key not in read.keys
            read.keys.add(key)
            first = False
        if counted:
            read.tally.add(report, part.records)
            records += len(part.records)
            messages += sum(record.count for record in part.records)
            passed += sum(record.count for record in part.records if record.passed)
        if part.last:
            if counted:
                read.tally.add_report(messages, passed)
                read.blocks.append(_render_report(report, records, messages, passed))
            else:
                read.duplicates += 1
            records = messages = passed = 0
            first = True
    if left_out:
        lines = "".join(f"  skipped {skip}\n" for skip in left_out)
        if read.blocks:
            read.blocks[0] += lines
        else:
            read.blocks.append(f"{path}:\n{lines}")
    return read


def _distinct(reports: list[AggregateReport]) -> tuple[list[AggregateReport], int]:
    """The reports without those met before (the same report in a message and as a file): RFC 9990 5.1 ids."""
    seen: set[tuple[str, str, str]] = set()
    distinct = []
    for report in reports:
        key = (report.org_name, report.report_id, report.policy.domain)
        if key not in seen:
            seen.add(key)
            distinct.append(report)
    return distinct, len(reports) - len(distinct)


def _read(path: str) -> bytes:
    # One byte over the limit is enough for parse_report to refuse the file without reading it all.
    size = Limits().input_bytes + 1
    if path == "-":
        return sys.stdin.buffer.read(size)
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror}") from None


def render_totals(blocks: list[str], totals: Totals) -> str:
    """The reports' blocks, then the totals and a line per source IP, busiest first."""
    lines = [f"Totals: {_plural(totals.reports, 'report')}, {_passed(totals.messages, totals.passed)}"]
    if totals.sources:
        lines += _source_table(totals.sources)
    return "\n".join([*blocks, "\n".join(lines) + "\n"])


def _render_report(report: AggregateReport, records: int, messages: int, passed: int) -> str:
    policy = report.policy
    tags = {"p": policy.p, "sp": policy.sp, "np": policy.np, "adkim": policy.adkim, "aspf": policy.aspf}
    tags |= {"t": policy.testing, "pct": policy.pct, "fo": policy.fo, "discovery": policy.discovery_method}
    contact = f" <{report.email}>" if report.email else ""
    lines = [
        f"Report {report.report_id} from {report.org_name}{contact}",
        f"  {policy.domain}, {iso_utc(report.begin)} to {iso_utc(report.end)}, {report.format.upper()[:3]} "
        f"{report.format[3:]}",
        "  policy " + " ".join(f"{name}={value}" for name, value in tags.items() if value is not None),
        f"  {_plural(records, 'record')}, {_passed(messages, passed)}",
    ]
    lines += [f"  reporter's error: {error}" for error in report.errors]
    lines += [f"  note: {note}" for note in report.notes]
    lines += [f"  skipped {skip}" for skip in report.skipped]
    return "\n".join(lines) + "\n"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _passed(messages: int, passed: int) -> str:
    rate = f" ({passed / messages:.1%})" if messages else ""
    return f"{messages:,} messages, {passed:,} passed DMARC{rate}"


def _source_table(sources: tuple[SourceTotal, ...]) -> list[str]:
    rows = [("source", "sender", "messages", "SPF aligned", "DKIM aligned", "disposition")]
    for source in sources:
        dispositions = ", ".join(f"{name} {count:,}" for name, count in sorted(source.dispositions.items()))
        counts = (f"{source.messages:,}", f"{source.spf_aligned:,}", f"{source.dkim_aligned:,}")
        rows.append((source.ip, _sender(source.attribution), *counts, dispositions))
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    return [
        "  "
        + "  ".join(
            [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
            + [row[column].rjust(widths[column]) for column in (2, 3, 4)]
            + [row[5]]
        ).rstrip()
        for row in rows
    ]


def _sender(attribution: Attribution | None) -> str:
    """Who sends from the IP: the provider or SPF record that authorizes it, and its reverse name."""
    if attribution is None:
        return "-"
    if attribution.reverse_name is None:
        return attribution.label
    unconfirmed = "" if attribution.reverse_confirmed else " (unconfirmed)"
    return f"{attribution.label}, {attribution.reverse_name}{unconfirmed}"
