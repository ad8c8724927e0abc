"""Benchmark: parsing DMARC aggregate reports, maildns against parsedmarc on the same files.

    python bench/reports.py [--reports 1000] [--rows 100] [--repeat 3] [--big 100000]

Generates the reports as their reporters package them (Google zips its XML; Yahoo, Microsoft and an
RFC 9990 reporter gzip it), writes them to a temporary folder, and times each parser over all the
files, from the file's bytes to the parsed report, in CPU seconds of the process (time.process_time:
on a shared machine, the time other processes take is not counted). parsedmarc runs when it can be imported (give it an
environment of its own: see the README), offline and with its local files only: no DNS, no download;
it still looks each source IP up in its bundled IP database, which is part of what it does per record;
it runs a second time with that lookup replaced by an empty answer, to compare the parsing alone.
Then one report of --big records is read twice by maildns: streamed (stream_reports, the records
counted by batches as the CLI and Odoo take them) and whole (parse_report), each with its time and its
peak memory (tracemalloc, in a run of its own: tracing slows Python code).
"""

import argparse
import gzip
import io
import platform
import random
import sys
import tempfile
import time
import tracemalloc
import zipfile
from dataclasses import dataclass
from pathlib import Path

from odoo.addons.mail_domain_health.maildns.aggregate import (
    ReportPart,
    parse_report,
    stream_reports,
)

BEGIN = 1736899200
DAY = 86_400
DOMAINS = ("shop.example", "example.org", "mail.example.net", "example.com")
# Where reported mail comes from: providers' ranges, a few servers of the domain, and strangers.
SENDERS = (
    ("149.202.206.{}", "odoo", 40),
    ("209.85.220.{}", "google", 20),
    ("40.107.{}.{}", "microsoft", 15),
    ("198.51.100.{}", "own", 10),
    ("{}.{}.{}.{}", "stranger", 15),
)
REPORTERS = ("google", "yahoo", "microsoft", "rfc9990")


@dataclass(frozen=True)
class GeneratedReport:
    name: str
    data: bytes
    xml_size: int
    records: int
    messages: int


def generate_reports(count: int, rows: int, *, seed: int = 11) -> list[GeneratedReport]:
    """`count` reports of `rows` records each, packaged as their reporter does; the same on every run."""
    generator = random.Random(seed)
    reports = []
    for index in range(count):
        reporter = REPORTERS[index % len(REPORTERS)]
        domain = DOMAINS[index % len(DOMAINS)]
        begin = BEGIN + (index // len(REPORTERS)) * DAY
        records = [_record(generator, domain) for _ in range(rows)]
        xml = _feedback(reporter, f"{reporter}-{index}", domain, begin, records).encode()
        name = f"{reporter}.test!{domain}!{begin}!{begin + DAY - 1}"
        if reporter == "google":
            data, name = _zipped(f"{name}.xml", xml), f"{name}.zip"
        else:
            data, name = gzip.compress(xml, 6, mtime=0), f"{name}.xml.gz"
        reports.append(GeneratedReport(name, data, len(xml), rows, sum(count for count, _ in records)))
    return reports


def _record(generator: random.Random, domain: str) -> tuple[int, str]:
    pattern, sender = generator.choices([row[:2] for row in SENDERS], weights=[row[2] for row in SENDERS])[0]
    ip = pattern.format(*(generator.randrange(1, 255) for _ in range(pattern.count("{}"))))
    count = max(1, int(generator.paretovariate(1.2)))
    aligned = sender != "stranger"
    dkim, spf = ("pass", "pass") if aligned else ("fail", generator.choice(["fail", "softfail"]))
    disposition = "none" if aligned else generator.choice(["none", "quarantine", "reject"])
    selector = {"odoo": "odoo", "google": "google", "microsoft": "selector1"}.get(sender, "default")
    text = (
        f"<record><row><source_ip>{ip}</source_ip><count>{count}</count><policy_evaluated>"
        f"<disposition>{disposition}</disposition><dkim>{dkim}</dkim><spf>{spf if aligned else 'fail'}</spf>"
        f"</policy_evaluated></row><identifiers><envelope_from>{domain}</envelope_from>"
        f"<header_from>{domain}</header_from></identifiers><auth_results><dkim><domain>{domain}</domain>"
        f"<selector>{selector}</selector><result>{dkim}</result></dkim><spf><domain>{domain}</domain>"
        f"<scope>mfrom</scope><result>{spf}</result></spf></auth_results></record>\n"
    )
    return count, text


def _feedback(reporter: str, report_id: str, domain: str, begin: int, records: list[tuple[int, str]]) -> str:
    namespace = ' xmlns="urn:ietf:params:xml:ns:dmarc-2.0"' if reporter == "rfc9990" else ""
    extra = "<np>none</np><testing>n</testing>" if reporter == "rfc9990" else "<pct>100</pct>"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<feedback{namespace}>\n<version>1.0</version>\n'
        f"<report_metadata><org_name>{reporter}.test</org_name><email>dmarc@{reporter}.test</email>"
        f"<report_id>{report_id}</report_id><date_range><begin>{begin}</begin><end>{begin + DAY - 1}</end>"
        f"</date_range></report_metadata>\n<policy_published><domain>{domain}</domain><adkim>r</adkim>"
        f"<aspf>r</aspf><p>none</p><sp>none</sp>{extra}</policy_published>\n"
        + "".join(text for _, text in records)
        + "</feedback>\n"
    )


def _zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(name, (2025, 1, 16, 0, 0, 0)), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def time_maildns(paths: list[Path]) -> tuple[float, int, int]:
    """Seconds to parse every file, and the reports and messages found."""
    started = time.process_time()
    reports = [report for path in paths for report in parse_report(path.read_bytes(), filename=path.name)]
    return time.process_time() - started, len(reports), sum(report.messages for report in reports)


def time_parsedmarc(paths: list[Path]) -> tuple[float, int, int]:
    import parsedmarc

    started = time.process_time()
    reports = [parsedmarc.parse_report_file(str(path), offline=True, always_use_local_files=True) for path in paths]
    elapsed = time.process_time() - started
    messages = sum(record["count"] for found in reports for record in found["report"]["records"])
    return elapsed, len(reports), messages


def time_parsedmarc_without_ip_database(paths: list[Path]) -> tuple[float, int, int]:
    from parsedmarc import utils

    empty = {"country": None, "asn": None, "as_name": None, "as_domain": None}
    looked_up = utils.get_ip_address_db_record
    utils.get_ip_address_db_record = lambda *_arguments, **_options: dict(empty)
    try:
        return time_parsedmarc(paths)
    finally:
        utils.get_ip_address_db_record = looked_up


def big_report(rows: int) -> GeneratedReport:
    """One gzip report of `rows` records, as a large reporter sends for a busy domain."""
    generator = random.Random(17)
    records = [_record(generator, DOMAINS[0]) for _ in range(rows)]
    xml = _feedback("yahoo", "big", DOMAINS[0], BEGIN, records).encode()
    data = gzip.compress(xml, 6, mtime=0)
    return GeneratedReport("big.xml.gz", data, len(xml), rows, sum(count for count, _ in records))


def read_streamed(data: bytes) -> tuple[int, int]:
    """Records and messages of the file, counted part by part: nothing kept but the totals."""
    records = messages = 0
    for part in stream_reports(data):
        if isinstance(part, ReportPart):
            records += len(part.records)
            messages += sum(record.count for record in part.records)
    return records, messages


def read_whole(data: bytes) -> tuple[int, int]:
    reports = parse_report(data)
    return sum(len(report.records) for report in reports), sum(report.messages for report in reports)


def measure_big(report: GeneratedReport) -> list[tuple[str, float, int, int, int]]:
    """(how, seconds, peak bytes, records, messages) of each way maildns reads the big report."""
    rows = []
    for name, read in (("stream_reports", read_streamed), ("parse_report", read_whole)):
        started = time.process_time()
        records, messages = read(report.data)
        elapsed = time.process_time() - started
        tracemalloc.start()
        try:
            read(report.data)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        rows.append((name, elapsed, peak, records, messages))
    return rows


def _parsedmarc_version() -> str | None:
    try:
        import parsedmarc
    except ImportError:
        return None
    return parsedmarc.__version__


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each parser; the best is kept")
    parser.add_argument("--big", type=int, default=100_000, help="records of the one big report (0: none)")
    args = parser.parse_args()
    generated = generate_reports(args.reports, args.rows)
    file_bytes = sum(len(report.data) for report in generated)
    xml_bytes = sum(report.xml_size for report in generated)
    expected = sum(report.messages for report in generated)
    peer = _parsedmarc_version()
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, parsedmarc {peer}")
    print(
        f"{args.reports:,} reports of {args.rows} records: {file_bytes / 1e6:.1f} MB of files "
        f"(gzip and zip), {xml_bytes / 1e6:.1f} MB of XML, {expected:,} messages"
    )
    with tempfile.TemporaryDirectory(prefix="maildns-reports-") as folder:
        paths = []
        for report in generated:
            path = Path(folder) / report.name
            path.write_bytes(report.data)
            paths.append(path)
        runs = [("maildns.parse_report", time_maildns)]
        if peer:
            runs += [
                ("parsedmarc", time_parsedmarc),
                ("parsedmarc without IP database", time_parsedmarc_without_ip_database),
            ]
        # The parsers take turns, run after run, so that a busy machine weighs on each alike.
        timings: dict[str, list[tuple[float, int, int]]] = {name: [] for name, _ in runs}
        for _ in range(args.repeat):
            for name, run in runs:
                timings[name].append(run(paths))
        results = {name: min(found, key=lambda result: result[0]) for name, found in timings.items()}
    print()
    print("| parser | s | reports/s | MB/s of XML | MB/s of files | reports | messages |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, (elapsed, reports, messages) in results.items():
        print(
            f"| {name} | {elapsed:.2f} | {reports / elapsed:,.0f} | {xml_bytes / 1e6 / elapsed:.1f} | "
            f"{file_bytes / 1e6 / elapsed:.2f} | {reports:,} | {messages:,} |"
        )
    if peer:
        ours = results["maildns.parse_report"][0]
        ratio = results["parsedmarc"][0] / ours
        bare = results["parsedmarc without IP database"][0] / ours
        print(f"\nmaildns parses {ratio:.1f} times as many reports a second as parsedmarc, {bare:.1f} times as many")
        print("as parsedmarc without its IP database lookup")
    failed = any(messages != expected for _, _, messages in results.values())
    if failed:
        print(f"\nWARNING: a parser did not find the {expected:,} messages generated")
    if args.big:
        big = big_report(args.big)
        print(
            f"\nOne report of {args.big:,} records: {len(big.data) / 1e6:.1f} MB gzip, "
            f"{big.xml_size / 1e6:.1f} MB of XML, {big.messages:,} messages\n"
        )
        print("| maildns | s | records/s | peak memory (MiB) | records | messages |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, elapsed, peak, records, messages in measure_big(big):
            rate, mebibytes = records / elapsed, peak / 2**20
            print(f"| {name} | {elapsed:.2f} | {rate:,.0f} | {mebibytes:.1f} | {records:,} | {messages:,} |")
            failed = failed or (records, messages) != (big.records, big.messages)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
