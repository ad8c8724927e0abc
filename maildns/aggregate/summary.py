"""Totals over reports: messages, the DMARC pass rate, and what each source IP sent."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .model import AggregateReport, Attribution


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


def summarize(reports: Iterable[AggregateReport], attributions: Mapping[str, Attribution] | None = None) -> Totals:
    """The totals of `reports`, each source with its attribution when `attributions` has one."""
    reports = list(reports)
    sources: dict[str, SourceTotal] = {}
    for report in reports:
        for record in report.records:
            source = sources.setdefault(record.source_ip, SourceTotal(record.source_ip))
            source.messages += record.count
            source.spf_aligned += record.count if record.spf == "pass" else 0
            source.dkim_aligned += record.count if record.dkim == "pass" else 0
            source.passed += record.count if record.passed else 0
            disposition = record.disposition or "unknown"
            source.dispositions[disposition] = source.dispositions.get(disposition, 0) + record.count
    for source in sources.values():
        source.attribution = (attributions or {}).get(source.ip)
    ordered = sorted(sources.values(), key=lambda source: (-source.messages, source.ip))
    return Totals(
        reports=len(reports),
        messages=sum(report.messages for report in reports),
        passed=sum(report.passed for report in reports),
        sources=tuple(ordered),
    )
