"""The <feedback> document of RFC 7489 appendix C and RFC 9990, read into an AggregateReport.

Values are kept as the reporter sent them, but for case (reporters write PASS and None) and white
space. A missing optional element is None; a missing or broken required one refuses the report.
"""

import ipaddress
from collections.abc import Iterable
from datetime import UTC, datetime

from .model import (
    RFC7489,
    RFC9990,
    RFC9990_NAMESPACE,
    AggregateRecord,
    AggregateReport,
    AuthResult,
    PolicyOverride,
    PublishedPolicy,
    ReportError,
)
from .xmlread import Budget, Element, Schema, read_document

_AUTH_RESULT: Schema = dict.fromkeys(("domain", "selector", "scope", "result", "human_result"))
_IDENTIFIERS: Schema = dict.fromkeys(("envelope_to", "envelope_from", "header_from"))
SCHEMA: Schema = {
    "version": None,
    "report_metadata": {
        **dict.fromkeys(("org_name", "email", "extra_contact_info", "report_id", "error", "generator")),
        "date_range": dict.fromkeys(("begin", "end")),
    },
    "policy_published": dict.fromkeys(
        ("domain", "discovery_method", "adkim", "aspf", "p", "sp", "np", "pct", "fo", "testing")
    ),
    "record": {
        "row": {
            "source_ip": None,
            "count": None,
            "policy_evaluated": {
                **dict.fromkeys(("disposition", "dkim", "spf")),
                "reason": dict.fromkeys(("type", "comment")),
            },
        },
        "identifiers": _IDENTIFIERS,
        # The name of the element in drafts before RFC 7489, still sent by a few reporters.
        "identities": _IDENTIFIERS,
        "auth_results": {"dkim": _AUTH_RESULT, "spf": _AUTH_RESULT},
    },
}
# Present only in reports that follow RFC 9990, whether or not they declare its namespace.
_RFC9990_POLICY_FIELDS = ("np", "testing", "discovery_method")
# Reporters' timestamps stay within these years: anything else is a broken report, not a date.
_EARLIEST, _LATEST = datetime(1990, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def read_feedback(chunks: Iterable[bytes], *, budget: Budget, source: str | None = None) -> AggregateReport:
    """The report in the XML of `chunks`; raises ReportError when it is not one, or is over a limit."""
    records: list[AggregateRecord] = []

    def keep(element: Element) -> None:
        records.append(_record(element, len(records) + 1))

    document = read_document(chunks, root="feedback", schema=SCHEMA, stream="record", on_stream=keep, budget=budget)
    root = document.root
    metadata = _required(root, "report_metadata", "the report")
    published = _required(root, "policy_published", "the report")
    begin, end = _date_range(_required(metadata, "date_range", "report_metadata"))
    return AggregateReport(
        org_name=_org_name(metadata),
        email=metadata.text_of("email"),
        report_id=_required_text(metadata, "report_id", "report_metadata"),
        begin=begin,
        end=end,
        policy=_policy(published),
        records=tuple(records),
        format=_format(document.namespace, metadata, published),
        extra_contact_info=metadata.text_of("extra_contact_info"),
        errors=tuple(text for error in metadata.all("error") if (text := error.text)),
        generator=metadata.text_of("generator"),
        source=source,
    )


def _org_name(metadata: Element) -> str:
    # A few reporters leave org_name out; their contact address still says who they are.
    name = metadata.text_of("org_name") or (metadata.text_of("email") or "").rpartition("@")[2]
    if not name:
        raise ReportError("report_metadata has no org_name (nor an email to tell the reporter by)")
    return name


def _format(namespace: str | None, metadata: Element, published: Element) -> str:
    if namespace == RFC9990_NAMESPACE or metadata.first("generator"):
        return RFC9990
    return RFC9990 if any(published.first(name) for name in _RFC9990_POLICY_FIELDS) else RFC7489


def _policy(published: Element) -> PublishedPolicy:
    return PublishedPolicy(
        domain=_domain(_required_text(published, "domain", "policy_published")),
        p=_word(published, "p"),
        sp=_word(published, "sp"),
        np=_word(published, "np"),
        adkim=_word(published, "adkim"),
        aspf=_word(published, "aspf"),
        testing=_word(published, "testing"),
        pct=_percent(published.text_of("pct")),
        fo=published.text_of("fo"),
        discovery_method=_word(published, "discovery_method"),
    )


def _record(element: Element, index: int) -> AggregateRecord:
    where = f"record {index}"
    row = _required(element, "row", where)
    evaluated = row.first("policy_evaluated")
    identifiers = element.first("identifiers") or element.first("identities")
    return AggregateRecord(
        source_ip=_ip(_required_text(row, "source_ip", where), where),
        count=_count(_required_text(row, "count", where), where),
        disposition=_word(evaluated, "disposition"),
        dkim=_word(evaluated, "dkim"),
        spf=_word(evaluated, "spf"),
        header_from=_domain(_text(identifiers, "header_from")),
        envelope_from=_domain(_text(identifiers, "envelope_from")),
        envelope_to=_domain(_text(identifiers, "envelope_to")),
        auth_results=_auth_results(element.first("auth_results")),
        reasons=tuple(
            PolicyOverride(_word(reason, "type"), reason.text_of("comment"))
            for reason in (evaluated.all("reason") if evaluated else ())
        ),
    )


def _auth_results(element: Element | None) -> tuple[AuthResult, ...]:
    if element is None:
        return ()
    dkim = [
        AuthResult(
            "dkim",
            _domain(result.text_of("domain")),
            _word(result, "result"),
            selector=result.text_of("selector"),
            human_result=result.text_of("human_result"),
        )
        for result in element.all("dkim")
    ]
    # An SPF result of scope helo often comes without a domain: it is kept, domain None.
    spf = [
        AuthResult(
            "spf",
            _domain(result.text_of("domain")),
            _word(result, "result"),
            scope=_word(result, "scope"),
            human_result=result.text_of("human_result"),
        )
        for result in element.all("spf")
    ]
    return tuple(dkim + spf)


def _date_range(element: Element) -> tuple[datetime, datetime]:
    return _timestamp(element, "begin"), _timestamp(element, "end")


def _timestamp(element: Element, name: str) -> datetime:
    text = _required_text(element, name, "date_range")
    # Seconds since the epoch; a few reporters add a fraction (1700000000.0).
    whole = text.split(".", 1)[0]
    if not whole.isascii() or not whole.isdigit() or len(whole) > 12:
        raise ReportError(f"date_range: {name} {text[:40]!r} is not a number of seconds since 1970")
    moment = datetime.fromtimestamp(int(whole), UTC)
    if not _EARLIEST <= moment < _LATEST:
        raise ReportError(f"date_range: {name} {text[:40]!r} is not a date reports can have")
    return moment


def _ip(text: str, where: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ReportError(f"{where}: source_ip {text[:60]!r} is not an IP address") from None


def _count(text: str, where: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 15:
        raise ReportError(f"{where}: count {text[:40]!r} is not a number of messages")
    return int(text)


def _percent(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) <= 3 else None


def _required(element: Element, name: str, where: str) -> Element:
    child = element.first(name)
    if child is None:
        raise ReportError(f"{where} has no <{name}>")
    return child


def _required_text(element: Element, name: str, where: str) -> str:
    text = element.text_of(name)
    if text is None:
        raise ReportError(f"{where} has no <{name}>" if element.first(name) is None else f"{where}: <{name}> is empty")
    return text


def _text(element: Element | None, name: str) -> str | None:
    return element.text_of(name) if element is not None else None


def _word(element: Element | None, name: str) -> str | None:
    """A keyword value (pass, none, r...), lower-cased: reporters write PASS, Pass and pass."""
    text = _text(element, name)
    return text.lower() if text else None


def _domain(text: str | None) -> str | None:
    return (text.lower().rstrip(".") or None) if text else None
