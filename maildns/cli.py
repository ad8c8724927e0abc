"""Command line: python -m maildns check TARGET... | python -m maildns spf DOMAIN --ip ADDR.

Exit status follows the monitoring-plugin convention: 0 pass, 1 warn,
2 fail, 3 error (the worst over all targets), and 64 for bad input.
"""

import argparse
import ipaddress
import json
import sys
from typing import NoReturn, TextIO

from .check import DEFAULT_DOMAIN_TIMEOUT, check_domains
from .dns import DEFAULT_TIMEOUT, Resolver
from .errors import MailDNSError
from .names import parse_target, to_ascii
from .report import DomainReport, Status, worst

EXIT_USAGE = 64
EXIT_CODES = {Status.PASS: 0, Status.WARN: 1, Status.FAIL: 2, Status.ERROR: 3}
# Worst first, as monitoring reads it: a known failure outranks an unknown answer.
_EXIT_RANK = [Status.FAIL, Status.ERROR, Status.WARN, Status.PASS]
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
        epilog="Exit status: 0 pass, 1 warn, 2 fail, 3 error (worst over the targets), 64 bad input.",
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
        help="who sends the mail: odoo (default), google, microsoft, or ip:ADDR[,ADDR] for your own server",
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
    return parser


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
            raise UsageError("a command is required: check or spf (see --help)")
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


def render(report: DomainReport) -> str:
    """A readable summary of one report, with the records to publish."""
    lines = [f"{report.target}: {report.status.upper()} (domain {report.domain}, provider {report.provider})"]
    for problem in report.problems:
        lines.append(f"  ! {problem.message} [{problem.code}]")
    for title, part, record in (
        ("SPF", report.spf, report.spf.record),
        ("DKIM", report.dkim, report.dkim.record),
        ("DMARC", report.dmarc, report.dmarc.record),
        ("Address", report.address, None),
    ):
        if part is None or not part.checked:
            continue
        lines.append(f"  {title:<8}{part.status.upper():<6}{record or ''}".rstrip())
        if part is report.dmarc:
            lines.extend(f"          {line}" for line in _dmarc_details(report.domain, report.dmarc))
        for problem in part.problems:
            lines.append(f"          - {problem.message} [{problem.code}]")
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
