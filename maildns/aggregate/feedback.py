"""The <feedback> document of RFC 7489 appendix C and RFC 9990, read into an AggregateReport.

Values are kept as the reporter sent them, but for case (reporters write PASS and None) and white
space. A missing optional element is None; a missing or broken required one refuses the report, or,
in a record, skips that record (said so in the report's `skipped`).
"""

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from socket import AF_INET, inet_ntoa, inet_pton
from xml.etree.ElementTree import Element

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
    ReportPart,
    Skip,
)
from .xmlread import Budget, Document

# Every element name of the report kept below <feedback> (RFC 7489 appendix C, RFC 9990 appendix A);
# "identities" is the name of "identifiers" in drafts before RFC 7489, still sent by a few reporters.
NAMES = frozenset(
    """version report_metadata org_name email extra_contact_info report_id error generator date_range begin end
    policy_published domain discovery_method adkim aspf p sp np pct fo testing record row source_ip count
    policy_evaluated disposition dkim spf reason type comment identifiers identities envelope_to envelope_from
    header_from auth_results selector scope result human_result""".split()
)
# Present only in reports that follow RFC 9990, whether or not they declare its namespace.
_RFC9990_POLICY_FIELDS = ("np", "testing", "discovery_method")
# DMARC reports exist since 2012: a period before is read as written, with a note.
_DMARC_BEGAN = datetime(2012, 1, 1, tzinfo=UTC)
# Distinct values remembered per report (authentication results, aligned results and identifiers): records
# share a few (the domain's, its provider's).
_KNOWN_VALUES = 1_000
# Records skipped that a report lists one by one; the others are counted.
_LISTED_SKIPS = 100
# Records handed over at a time: what a consumer holds of a report, whatever its size.
BATCH = 1000


class _Names:
    """The report's element names in its namespace ("{uri}name"), as ElementTree writes them."""

    def __init__(self, namespace: str):
        for name in NAMES:
            setattr(self, name, namespace + name)


def stream_feedback(
    chunks: Iterable[bytes], *, budget: Budget, source: str | None = None, batch: int = BATCH
) -> Iterator[ReportPart]:
    """The report in the XML of `chunks`, its records by batches of `batch` as they are read.

    A record that cannot be read is skipped, and said so on the last part. Raises ReportError when the
    file is not a report, is broken, or is over a limit, possibly after parts were handed over.
    """
    document = Document(chunks, root="feedback", budget=budget)
    repeated = budget.limits.repeated
    known: dict = {}
    names: _Names | None = None
    metadata = published = None
    header: AggregateReport | None = None
    pending: list[AggregateRecord] = []
    skipped: list[Skip] = []
    index = unlisted = 0
    for child in document.children():
        if names is None:
            names = _Names(document.namespace)
        tag = child.tag
        if tag == names.record:
            index += 1
            try:
                pending.append(_record(child, names, repeated, known))
            except ReportError as error:
                if len(skipped) < _LISTED_SKIPS:
                    skipped.append(Skip(f"record {index}", str(error)))
                else:
                    unlisted += 1
            if header is None and metadata is not None and published is not None:
                header = _header(document.namespace, metadata, published, names, source)
            if header is not None and len(pending) >= batch:
                yield ReportPart(header, tuple(pending), last=False)
                pending = []
        elif tag == names.report_metadata and metadata is None:
            metadata = child
        elif tag == names.policy_published and published is None:
            published = child
    if names is None:
        raise ReportError("the report has no <report_metadata>")
    if header is None:
        header = _header(document.namespace, metadata, published, names, source)
    if unlisted:
        skipped.append(
            Skip(f"{unlisted:,} more records", f"they could not be read either (the first {_LISTED_SKIPS} are listed)")
        )
    yield ReportPart(replace(header, skipped=tuple(skipped)), tuple(pending), last=True)


def _header(
    namespace: str, metadata: Element | None, published: Element | None, names: _Names, source: str | None
) -> AggregateReport:
    if metadata is None:
        raise ReportError("the report has no <report_metadata>")
    if published is None:
        raise ReportError("the report has no <policy_published>")
    date_range = metadata.find(names.date_range)
    if date_range is None:
        raise ReportError("report_metadata has no <date_range>")
    begin, end = _timestamp(date_range, names.begin), _timestamp(date_range, names.end)
    return AggregateReport(
        org_name=_org_name(metadata, names),
        email=_text(metadata, names.email),
        report_id=_required_text(metadata, names.report_id, "report_metadata"),
        begin=begin,
        end=end,
        policy=_policy(published, names),
        records=(),
        format=_format(namespace, metadata, published, names),
        extra_contact_info=_text(metadata, names.extra_contact_info),
        errors=tuple(text for error in islice(metadata.iterfind(names.error), 20) if (text := _strip(error.text))),
        generator=_text(metadata, names.generator),
        source=source,
        notes=_date_notes(begin, end),
    )


def _org_name(metadata: Element, names: _Names) -> str:
    # A few reporters leave org_name out; their contact address still says who they are.
    name = _text(metadata, names.org_name) or (_text(metadata, names.email) or "").rpartition("@")[2]
    if not name:
        raise ReportError("report_metadata has no org_name (nor an email to tell the reporter by)")
    return name


def _format(namespace: str, metadata: Element, published: Element, names: _Names) -> str:
    if namespace == "{" + RFC9990_NAMESPACE + "}" or _text(metadata, names.generator):
        return RFC9990
    fields = (getattr(names, name) for name in _RFC9990_POLICY_FIELDS)
    return RFC9990 if any(_text(published, name) for name in fields) else RFC7489


def _policy(published: Element, names: _Names) -> PublishedPolicy:
    return PublishedPolicy(
        domain=_domain(_required_text(published, names.domain, "policy_published")),
        p=_word(published, names.p),
        sp=_word(published, names.sp),
        np=_word(published, names.np),
        adkim=_word(published, names.adkim),
        aspf=_word(published, names.aspf),
        testing=_word(published, names.testing),
        pct=_percent(_text(published, names.pct)),
        fo=_text(published, names.fo),
        discovery_method=_word(published, names.discovery_method),
    )


def _record(element: Element, names: _Names, repeated: int, known: dict) -> AggregateRecord:
    """One record; `known` keeps the values met before (results, identifiers), which most records share."""
    row = element.find(names.row)
    if row is None:
        raise ReportError("it has no <row>")
    evaluated = row.find(names.policy_evaluated)
    identifiers = element.find(names.identifiers)
    if identifiers is None:
        identifiers = element.find(names.identities)
    auth_results = element.find(names.auth_results)
    texts = (
        (None, None, None)
        if evaluated is None
        else (evaluated.findtext(names.disposition), evaluated.findtext(names.dkim), evaluated.findtext(names.spf)),
        (None, None, None)
        if identifiers is None
        else (
            identifiers.findtext(names.header_from),
            identifiers.findtext(names.envelope_from),
            identifiers.findtext(names.envelope_to),
        ),
    )
    shared = known.get(texts)
    if shared is None:
        shared = (*map(_lower, texts[0]), *map(_domain, texts[1]))
        if len(known) < _KNOWN_VALUES:
            known[texts] = shared
    reasons = () if evaluated is None or evaluated.find(names.reason) is None else _reasons(evaluated, names, repeated)
    # Positional arguments: the record's fields in their order, which keywords make slower to pass.
    return AggregateRecord(
        _ip(row.findtext(names.source_ip)),
        _count(row.findtext(names.count)),
        *shared,
        () if auth_results is None else _auth_results(auth_results, names, repeated, known),
        reasons,
    )


def _reasons(evaluated: Element, names: _Names, repeated: int) -> tuple[PolicyOverride, ...]:
    reasons = evaluated.findall(names.reason)
    if len(reasons) > repeated:
        raise ReportError(f"it gives over {repeated} reasons")
    return tuple(
        PolicyOverride(_lower(reason.findtext(names.type)), _strip(reason.findtext(names.comment)))
        for reason in reasons
    )


def _auth_results(element: Element, names: _Names, repeated: int, known: dict) -> tuple[AuthResult, ...]:
    if len(element) > repeated:
        raise ReportError(f"it gives over {repeated} authentication results")
    dkim, spf = [], []
    for result in element:
        method = result.tag
        if method != names.dkim and method != names.spf:
            continue
        key = (
            method,
            result.findtext(names.domain),
            result.findtext(names.result),
            result.findtext(names.selector if method == names.dkim else names.scope),
            result.findtext(names.human_result),
        )
        found = known.get(key)
        if found is None:
            found = _auth_result(key, names)
            if len(known) < _KNOWN_VALUES:
                known[key] = found
        (dkim if method == names.dkim else spf).append(found)
    return (*dkim, *spf)


def _auth_result(key: tuple, names: _Names) -> AuthResult:
    method, domain, result, detail, human_result = key
    if method == names.dkim:
        return AuthResult(
            "dkim", _domain(domain), _lower(result), selector=_strip(detail), human_result=_strip(human_result)
        )
    # An SPF result of scope helo often comes without a domain: it is kept, domain None.
    return AuthResult("spf", _domain(domain), _lower(result), scope=_lower(detail), human_result=_strip(human_result))


def _timestamp(date_range: Element, name: str) -> datetime:
    label = _local(name)
    text = _required_text(date_range, name, "date_range")
    # Seconds since the epoch, read as written from 0; a few reporters add a fraction (1700000000.0).
    whole = text.split(".", 1)[0]
    if not whole.isascii() or not whole.isdigit() or len(whole) > 12:
        raise ReportError(f"date_range: {label} {text[:40]!r} is not a number of seconds since 1970")
    try:
        return datetime.fromtimestamp(int(whole), UTC)
    except (OverflowError, ValueError, OSError):
        raise ReportError(f"date_range: {label} {text[:40]!r} is after the year 9999") from None


def _date_notes(begin: datetime, end: datetime) -> tuple[str, ...]:
    """What is odd in a report's period: it is read as written, and said so."""
    notes = []
    if begin < _DMARC_BEGAN:
        notes.append(f"the period begins on {begin:%Y-%m-%d}, before DMARC reports existed (2012)")
    if end > datetime.now(UTC) + timedelta(days=1):
        notes.append(f"the period ends on {end:%Y-%m-%d}, in the future")
    if end < begin:
        notes.append("the period ends before it begins")
    return tuple(notes)


def _ip(text: str | None) -> str:
    text = _present(text, "source_ip")
    # Most addresses are IPv4 already written as ipaddress writes them: checked in C, kept as they are.
    try:
        if inet_ntoa(inet_pton(AF_INET, text)) == text:
            return text
    except (OSError, ValueError):
        pass
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ReportError(f"source_ip {text[:60]!r} is not an IP address") from None


def _count(text: str | None) -> int:
    text = _present(text, "count")
    if not text.isascii() or not text.isdigit() or len(text) > 15:
        raise ReportError(f"count {text[:40]!r} is not a number of messages")
    return int(text)


def _present(text: str | None, name: str) -> str:
    """A record's required value, stripped."""
    if text is None:
        raise ReportError(f"the record has no <{name}>")
    text = text.strip()
    if not text:
        raise ReportError(f"the record: <{name}> is empty")
    return text


def _percent(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) <= 3 else None


def _required_text(element: Element, name: str, where: str) -> str:
    child = element.find(name)
    text = None if child is None else _strip(child.text)
    if text is None:
        label = _local(name)
        raise ReportError(f"{where} has no <{label}>" if child is None else f"{where}: <{label}> is empty")
    return text


def _text(element: Element | None, name: str) -> str | None:
    if element is None:
        return None
    child = element.find(name)
    return None if child is None else _strip(child.text)


def _strip(text: str | None) -> str | None:
    return (text.strip() or None) if text else None


def _word(element: Element | None, name: str) -> str | None:
    return _lower(_text(element, name))


def _lower(text: str | None) -> str | None:
    """A keyword value (pass, none, r...), lower-cased: reporters write PASS, Pass and pass."""
    return (text.strip().lower() or None) if text else None


def _domain(text: str | None) -> str | None:
    return (text.strip().lower().rstrip(".") or None) if text else None


def _local(name: str) -> str:
    return name.rpartition("}")[2]
