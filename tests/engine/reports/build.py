"""Build the sample report files of this directory from the XML of xml/, as reporters package them.

    python tests/engine/reports/build.py      # rewrites the samples; test_aggregate.py checks they are current

Yahoo and AOL gzip their XML (AOL's in a message, application/gzip), Google zips it (alone, and in a
message, application/zip), Microsoft's enterprise reports come as text/xml in quoted-printable, an
RFC 9990 reporter sends application/octet-stream named .xml.gz, and an Exchange server zips two
reports as application/x-zip-compressed. Output is byte for byte the same on every run.

The quirks/ samples are reporters' files as they come, each read as its reporter meant it: a zip made
by macOS's Archive Utility (with its __MACOSX resource forks), a zip whose member has no name (what
Perl's IO::Compress::Zip writes for a string), a report inside an <xs:schema> element left open, a
byte order mark and a line break before the XML declaration, a contact address in angle brackets (which
XML reads as a tag), and a UTF-16 report.
"""

import base64
import gzip
import io
import quopri
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PERIOD = "shop.reports.test!1736899200!1736985599"
# Fixed dates inside the archives, so a rebuild gives the same bytes.
ZIP_TIME = (2025, 1, 16, 2, 0, 0)


def xml(name: str) -> bytes:
    return (HERE / "xml" / f"{name}.xml").read_bytes()


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def zipped_by_macos(name: str, data: bytes) -> bytes:
    """A zip as macOS's Archive Utility makes it: the file, then a __MACOSX folder with its AppleDouble fork."""
    fork = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(2) + bytes(64)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(zipfile.ZipInfo("__MACOSX/", ZIP_TIME), b"")
        archive.writestr(zipfile.ZipInfo(f"__MACOSX/._{name}", ZIP_TIME), fork, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def quirks() -> dict[str, bytes]:
    """File name -> content of the reporters' quirks, each from a sample's XML."""
    aol = xml("aol")
    body = aol.split(b"?>", 1)[1].lstrip()
    return {
        "quirks/macos.zip": zipped_by_macos(f"google.com!{PERIOD}.xml", xml("google")),
        "quirks/nameless-member.zip": zipped({"": aol}),
        "quirks/xs-schema-left-open.xml": (
            b'<?xml version="1.0" encoding="UTF-8" ?>\n'
            b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">\n' + body
        ),
        "quirks/xs-schema-undeclared.xml": b'<?xml version="1.0"?>\n<xs:schema elementFormDefault="qualified">\n'
        + body
        + b"</xs:schema>\n",
        "quirks/bom-line-break-declaration.xml": b"\xef\xbb\xbf\r\n" + aol,
        "quirks/address-in-angle-brackets.xml": aol.replace(
            b"<email>dmarchelp@yahooinc.com</email>", b"<email><dmarchelp@yahooinc.com></email>"
        ),
        "quirks/utf-16.xml": aol.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>')
        .decode()
        .encode("utf-16"),
    }


def message(headers: str, parts: list[str], boundary: str) -> bytes:
    body = "".join(f"--{boundary}\n{part}\n" for part in parts) + f"--{boundary}--\n"
    text = f'{headers.strip()}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="{boundary}"\n\n{body}'
    return text.replace("\n", "\r\n").encode("ascii")


def attachment(content_type: str, name: str, data: bytes, encoding: str = "base64") -> str:
    if encoding == "base64":
        encoded = base64.encodebytes(data).decode("ascii")
    else:
        encoded = quopri.encodestring(data).decode("ascii")
    return (
        f'Content-Type: {content_type};\n\tname="{name}"\n'
        f'Content-Disposition: attachment;\n\tfilename="{name}"\n'
        f"Content-Transfer-Encoding: {encoding}\n\n{encoded.rstrip()}\n"
    )


def text_part(text: str) -> str:
    return f"Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n{text}\n"


def headers(sender: str, submitter: str, report_id: str, date: str) -> str:
    return (
        f"From: {sender}\nTo: dmarc@shop.reports.test\n"
        f"Subject: Report Domain: shop.reports.test Submitter: {submitter} Report-ID: <{report_id}>\n"
        f"Date: {date}\nMessage-ID: <{report_id}@{submitter}>\n"
    )


def samples() -> dict[str, bytes]:
    """File name -> content of every built sample."""
    google_zip = zipped({f"google.com!{PERIOD}.xml": xml("google")})
    exchange_zip = zipped(
        {
            f"receiver.example-isp.test!{PERIOD}.xml": xml("receiver"),
            f"enterprise.protection.outlook.com!{PERIOD}.xml": xml("microsoft"),
        }
    )
    return {
        f"yahoo.com!{PERIOD}.xml.gz": gzipped(xml("yahoo")),
        f"google.com!{PERIOD}.zip": google_zip,
        "google.eml": message(
            headers(
                "noreply-dmarc-support@google.com",
                "google.com",
                "4713245309183744256",
                "Thu, 16 Jan 2025 01:59:59 -0800",
            ),
            [attachment("application/zip", f"google.com!{PERIOD}.zip", google_zip)],
            "000000000000a4d1b2c3e5f60718",
        ),
        "aol.eml": message(
            headers("AOL <noreply@dmarc.yahoo.com>", "aol.com", "1736985600.116245", "Thu, 16 Jan 2025 04:12:31 +0000"),
            [attachment("application/gzip", f"aol.com!{PERIOD}.xml.gz", gzipped(xml("aol")))],
            "----=_Part_2207_1133394375.1736997151000",
        ),
        "microsoft.eml": message(
            headers(
                "DMARC Aggregate Report <dmarcreport@microsoft.com>",
                "enterprise.protection.outlook.com",
                "b07c9b1b3b2e4a4d8f0e3c1d2a5b6c7d",
                "Thu, 16 Jan 2025 08:20:44 +0000",
            ),
            [
                text_part("This is a DMARC aggregate report from Microsoft Corporation."),
                attachment(
                    "text/xml", f"enterprise.protection.outlook.com!{PERIOD}.xml", xml("microsoft"), "quoted-printable"
                ),
            ],
            "_000_MN2PR11MB4711C1AB2D3E4F5A6B7C8D9E0_",
        ),
        "rfc9990.eml": message(
            headers(
                "dmarc-reports@mail.receiver.test",
                "mail.receiver.test",
                "2025-01-15.shop.reports.test",
                "Thu, 16 Jan 2025 00:05:00 +0000",
            ),
            [
                attachment(
                    "application/octet-stream", f"mail.receiver.test!{PERIOD}!a1b2.xml.gz", gzipped(xml("rfc9990"))
                )
            ],
            "=_rfc9990_report_boundary",
        ),
        "exchange.eml": message(
            headers(
                "postmaster@receiver.example-isp.test",
                "receiver.example-isp.test",
                "shop.reports.test-20250115",
                "Thu, 16 Jan 2025 03:00:00 +0100",
            ),
            [attachment("application/x-zip-compressed", f"receiver.example-isp.test!{PERIOD}.zip", exchange_zip)],
            "_004_exchange_reports_",
        ),
        **quirks(),
    }


if __name__ == "__main__":
    (HERE / "quirks").mkdir(exist_ok=True)
    for name, data in samples().items():
        (HERE / name).write_bytes(data)
        print(f"{len(data):>7}  {name}")
