"""Cross-check: maildns and parsedmarc parse the same aggregate report files; every difference is explained.

    /tmp/mdh-peers/bin/python bench/reports_crosscheck.py      # parsedmarc in an environment of its own

The files: the samples of tests/engine/reports/ (as reporters package them), their XML and the reporters'
quirks built beside them; the public reports of bench/public_reports/, each folder with its source and
licence; files with reporters' quirks written here; and 40 generated reports (bench/reports.py). For each
file, both parsers give reports, records, messages and SPF/DKIM results, or their error; the files where
they differ are listed with the reason, found from the file itself. parsedmarc runs offline, with its
local files only.
"""

import codecs
import email
import gzip
import io
import re
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import parsedmarc
from reports import generate_reports

from odoo.addons.mail_domain_health.maildns.aggregate import ReportError, parse_report

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "engine" / "reports"
PUBLIC = ROOT / "bench" / "public_reports"
# Beside the public reports: where they come from and their licence, not reports.
NOT_REPORTS = {"LICENSE", "SOURCE.md"}
HEAD = (
    "<feedback><report_metadata><org_name>Quirky</org_name><email>d@quirky.test</email>"
    "<report_id>q-{name}</report_id><date_range><begin>1736899200</begin><end>{end}</end></date_range>"
    "</report_metadata><policy_published><domain>shop.example</domain><p>none</p></policy_published>"
)
RECORD = (
    "<record><row><source_ip>192.0.2.{index}</source_ip><count>{count}</count><policy_evaluated>"
    "<disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row>"
    "<identifiers><header_from>shop.example</header_from></identifiers><auth_results>{auth}</auth_results></record>"
)
AUTH = "<dkim><domain>shop.example</domain><selector>s</selector><result>pass</result></dkim>"
AUTH += "<spf><domain>shop.example</domain><scope>mfrom</scope><result>fail</result></spf>"


@dataclass(frozen=True)
class Parsed:
    reports: int = 0
    records: int = 0
    messages: int = 0
    results: int = 0
    error: str | None = None

    def __str__(self) -> str:
        if self.error:
            return "error"
        return f"{self.reports} / {self.records} / {self.messages:,} / {self.results}"


def quirk(name: str, *, end: int = 1736985599, auth: str = AUTH, records: int = 3, wrap: str = "{}") -> bytes:
    rows = "".join(RECORD.format(index=index + 1, count=10 * (index + 1), auth=auth) for index in range(records))
    return ('<?xml version="1.0"?>\n' + wrap.format(HEAD.format(name=name, end=end) + rows + "</feedback>")).encode()


def quirk_files() -> dict[str, bytes]:
    upper = quirk("upper").replace(b"<dkim>pass</dkim><spf>fail</spf>", b"<dkim>PASS</dkim><spf>Fail</spf>")
    helo = "<spf><scope>helo</scope><result>pass</result></spf>" + AUTH
    first, second = quirk("zip-1"), quirk("zip-2")
    return {
        "quirk-upper-case.xml": upper,
        "quirk-helo-without-domain.xml": quirk("helo", auth=helo),
        "quirk-xs-schema.xml": quirk("schema", wrap="<xs:schema>{}</xs:schema>"),
        "quirk-xs-schema-declared.xml": quirk(
            "declared", wrap='<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{}</xs:schema>'
        ),
        "quirk-invalid-utf8.xml": quirk("utf8").replace(b"Quirky", b"Quirky \xe9\xff"),
        "quirk-two-days.xml.gz": gzip.compress(quirk("days", end=1736899200 + 2 * 86_400 - 1), mtime=0),
        "quirk-identities.xml": quirk("identities").replace(b"identifiers>", b"identities>"),
        "quirk-two-reports.zip": _zip({"first.xml": first, "second.xml": second}),
        "quirk-two-attachments.eml": _message([("first.xml.gz", gzip.compress(first)), ("second.xml", second)]),
    }


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _message(attachments: list[tuple[str, bytes]]) -> bytes:
    message = email.message.EmailMessage()
    message["From"], message["Subject"] = "d@quirky.test", "Report Domain: shop.example Submitter: quirky.test"
    message.set_content("Two aggregate reports.")
    for name, data in attachments:
        subtype = "gzip" if name.endswith(".gz") else "xml"
        message.add_attachment(data, maintype="application", subtype=subtype, filename=name)
    return message.as_bytes()


def with_maildns(data: bytes) -> Parsed:
    try:
        reports = parse_report(data)
    except ReportError as error:
        return Parsed(error=str(error))
    records = [record for report in reports for record in report.records]
    return Parsed(
        len(reports), len(records), sum(record.count for record in records), sum(len(r.auth_results) for r in records)
    )


def with_parsedmarc(path: Path) -> Parsed:
    try:
        found = parsedmarc.parse_report_file(str(path), offline=True, always_use_local_files=True)
    except Exception as error:  # parsedmarc's errors have no common base beyond its ParserError family
        return Parsed(error=f"{type(error).__name__}: {str(error).splitlines()[0][:110]}")
    records = found["report"]["records"]
    results = sum(len(record["auth_results"]["dkim"]) + len(record["auth_results"]["spf"]) for record in records)
    return Parsed(1, len(records), sum(record["count"] for record in records), results)


def explain(data: bytes, ours: Parsed, peer: Parsed) -> str:
    """Why the two differ, from what the file holds."""
    if ours.error and not peer.error and re.search(rb"<header_from>[^<>]*<[^/]", data):
        return (
            "not XML: a '<' inside a value (<header_from>bad<xml.net</header_from>, a file written to test parsers); "
            "parsedmarc parses with lxml's recover=True, which drops what it cannot read and keeps the rest, where "
            "maildns refuses XML that is not well-formed rather than guess what it says"
        )
    if ours.error:
        return f"maildns: {ours.error}"
    if peer.error and b"quoted-printable" in data.lower():
        return (
            "parsedmarc base64-decodes every attachment it tries, so it misses a quoted-printable text/xml "
            "report and calls the message not a valid report"
        )
    if peer.error and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "parsedmarc does not recognise a UTF-16 file as a report (it reads the bytes as UTF-8)"
    if peer.error and data.startswith(codecs.BOM_UTF8) and data[3:4].isspace():
        return "parsedmarc does not recognise a report whose XML declaration follows a byte order mark and a line break"
    if peer.error:
        return f"parsedmarc: {peer.error}"
    reasons = []
    if ours.reports != peer.reports:
        reasons.append("parsedmarc returns one report per file: the first XML of a zip, the first report of a message")
    if ours.reports == peer.reports and ours.records < peer.records and ours.messages == peer.messages:
        reasons.append(
            "parsedmarc splits the records of a report spanning more than 24 hours into one record per day, "
            "sharing out the counts (normalize_timespan_threshold_hours=24)"
        )
    if ours.records == peer.records and ours.results > peer.results and _results_without_domain(data):
        reasons.append(
            "parsedmarc drops the SPF and DKIM results that have no domain (an empty <domain>, or scope helo "
            "without one)"
        )
    return "; ".join(reasons) or "UNEXPLAINED"


def _results_without_domain(data: bytes) -> bool:
    text = gzip.decompress(data) if data.startswith(b"\x1f\x8b") else data
    return b"<domain></domain>" in text or b"<domain/>" in text or b"<scope>helo</scope><result>" in text


def files() -> dict[str, bytes]:
    found = {
        path.name: path.read_bytes() for path in sorted(SAMPLES.iterdir()) if path.is_file() and path.suffix != ".py"
    }
    found |= {f"xml/{path.name}": path.read_bytes() for path in sorted((SAMPLES / "xml").glob("*.xml"))}
    found |= {f"quirks/{path.name}": path.read_bytes() for path in sorted((SAMPLES / "quirks").iterdir())}
    found |= {
        str(path.relative_to(PUBLIC)): path.read_bytes()
        for path in sorted(PUBLIC.rglob("*"))
        if path.is_file() and path.name not in NOT_REPORTS
    }
    found |= quirk_files()
    found |= {f"generated/{report.name}": report.data for report in generate_reports(40, 100)}
    return found


def main() -> int:
    inputs = files()
    rows = []
    with tempfile.TemporaryDirectory(prefix="maildns-crosscheck-") as folder:
        for index, (name, data) in enumerate(inputs.items()):
            # parsedmarc reads paths; each file keeps its name's extension, which some of its checks look at.
            path = Path(folder) / f"{index:03d}-{Path(name).name}"
            path.write_bytes(data)
            rows.append((name, data, with_maildns(data), with_parsedmarc(path)))
    print(
        f"parsedmarc {parsedmarc.__version__}: {len(rows)} files; reports / records / messages / SPF and DKIM results"
    )
    print()
    print("| file | maildns | parsedmarc | why they differ |")
    print("| --- | --- | --- | --- |")
    differing = [(name, data, ours, peer) for name, data, ours, peer in rows if ours != peer]
    for name, data, ours, peer in differing:
        print(f"| {name} | {ours} | {peer} | {explain(data, ours, peer)} |")
    agreed = len(rows) - len(differing)
    unexplained = sum(explain(data, ours, peer) == "UNEXPLAINED" for _, data, ours, peer in differing)
    ours_total, peer_total = (sum(row[index].messages for row in rows) for index in (2, 3))
    print()
    print(f"Same reports, records, messages and results: {agreed} of {len(rows)} files.")
    print(
        f"Messages in all: maildns {ours_total:,}, parsedmarc {peer_total:,}. Unexplained differences: {unexplained}."
    )
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
