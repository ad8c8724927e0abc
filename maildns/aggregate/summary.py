"""Totals over reports: messages, the DMARC pass rate, and what each source IP sent."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .model import AggregateRecord, AggregateReport, Attribution


@dataclass
class SourceTotal:
    """The messages one source IP sent, over every report."""

    ip: str
    messages: int = 0
    spf_aligned: int = 0
    dkim_aligned: int = 0
    passed: int = 0
    # Messages by the disposition receivers applied (none, quarantine, reject).
    dispositions: dict[str, int] = field(default_factory=dict)
    attribution: Attribution | None = None

    def to_dict(self) -> dict:
        return {
            "ip": self.ip,
            "messages": self.messages,
            "spf_aligned": self.spf_aligned,
            "dkim_aligned": self.dkim_aligned,
            "passed": self.passed,
            "dispositions": dict(self.dispositions),
            "attribution": self.attribution.to_dict() if self.attribution else None,
        }


@dataclass(frozen=True)
class Totals:
    reports: int
    messages: int
    passed: int
    # Busiest first.
    sources: tuple[SourceTotal, ...]

    @property
    def pass_rate(self) -> float | None:
        """The share of messages that passed DMARC, from 0 to 1; None without messages."""
        return self.passed / self.messages if self.messages else None

    def to_dict(self) -> dict:
        return {
            "reports": self.reports,
            "messages": self.messages,
            "passed": self.passed,
            "pass_rate": self.pass_rate,
            "sources": [source.to_dict() for source in self.sources],
        }


class Tally:
    """Totals gathered as records stream by: per source IP, and the domains each sent mail as."""

    def __init__(self) -> None:
        self.reports = self.messages = self.passed = 0
        self.sources: dict[str, SourceTotal] = {}
        # Per source IP, the domains it sent mail as (the policy domain, the From domains), for attribute_ips.
        self.domains: dict[str, list[str]] = {}

    def add(self, report: AggregateReport, records: Iterable[AggregateRecord]) -> None:
        """Count `records` of `report` (all of them, or one part); count the report itself with add_report."""
        sources, domains = self.sources, self.domains
        for record in records:
            source = sources.get(record.source_ip)
            if source is None:
                source = sources[record.source_ip] = SourceTotal(record.source_ip)
                domains[record.source_ip] = []
            count = record.count
            source.messages += count
            if record.spf == "pass":
                source.spf_aligned += count
            if record.dkim == "pass":
                source.dkim_aligned += count
            if record.passed:
                source.passed += count
            disposition = record.disposition or "unknown"
            source.dispositions[disposition] = source.dispositions.get(disposition, 0) + count
            known = domains[record.source_ip]
            for domain in (report.policy.domain, record.header_from):
                if domain and domain not in known:
                    known.append(domain)

    def add_report(self, messages: int, passed: int) -> None:
        self.reports += 1
        self.messages += messages
        self.passed += passed

    def merge(self, other: "Tally") -> None:
        """Add another tally (one file's, counted apart so that a file refused halfway counts for nothing)."""
        self.reports += other.reports
        self.messages += other.messages
        self.passed += other.passed
        for ip, theirs in other.sources.items():
            ours = self.sources.setdefault(ip, SourceTotal(ip))
            ours.messages += theirs.messages
            ours.spf_aligned += theirs.spf_aligned
            ours.dkim_aligned += theirs.dkim_aligned
            ours.passed += theirs.passed
            for disposition, count in theirs.dispositions.items():
                ours.dispositions[disposition] = ours.dispositions.get(disposition, 0) + count
            known = self.domains.setdefault(ip, [])
            known.extend(domain for domain in other.domains[ip] if domain not in known)

    def totals(self, attributions: Mapping[str, Attribution] | None = None) -> Totals:
        for source in self.sources.values():
            source.attribution = (attributions or {}).get(source.ip)
        ordered = sorted(self.sources.values(), key=lambda source: (-source.messages, source.ip))
        return Totals(reports=self.reports, messages=self.messages, passed=self.passed, sources=tuple(ordered))


def summarize(reports: Iterable[AggregateReport], attributions: Mapping[str, Attribution] | None = None) -> Totals:
    """The totals of `reports`, each source with its attribution when `attributions` has one."""
    tally = Tally()
    for report in reports:
        tally.add(report, report.records)
        tally.add_report(report.messages, report.passed)
    return tally.totals(attributions)
