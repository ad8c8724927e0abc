"""From the engine's reports to what a check record stores: the run's DNS work and the rows it writes.

No ORM here: resolve_domains() runs in the nightly run's threads while the ORM writes another batch.
"""

import json
import logging

from ..maildns import Resolver, check_domains
from .check_settings import CheckSettings

_logger = logging.getLogger(__name__)

# DMARC policies, as the engine reports them and the check records store them.
POLICIES = ("none", "quarantine", "reject")
# The parts of a report that carry problems, after the domain's own.
PARTS = ("spf", "dkim", "dmarc", "address")


def resolve_domains(names: list[str], settings: CheckSettings, resolver: Resolver) -> list:
    """Ask the DNS about `names` with the run's settings (who sends included): one report per name, in order.

    A company's domains whose DMARC reports should reach Odoo (settings.dmarc_rua, {domain: address}) are
    checked with that address, so that the DMARC record to publish carries it.
    """
    addresses = settings.dmarc_rua
    groups: dict[str | None, list[str]] = {}
    for name in names:
        groups.setdefault(addresses.get(name), []).append(name)
    reports = {}
    for address, group in groups.items():
        found = check_domains(
            group,
            provider=settings.sender.spec,
            dkim_selectors=settings.dkim_selectors,
            resolver=resolver,
            timeout=settings.timeout,
            dmarc_rua=address,
            reported_selectors=settings.reported_selectors,
            dkim_search_domains=settings.dkim_search_domains,
        )
        reports.update(zip(group, found, strict=True))
    return [reports[name] for name in names]


def resolve_or_log(names: list[str], *, settings: CheckSettings, resolver: Resolver) -> list | None:
    """resolve_domains() for a batch of the nightly run: None, and a log entry, when the batch failed."""
    try:
        return resolve_domains(names, settings, resolver)
    except Exception:
        # The engine turns DNS faults into results; this is a bug, and one batch must not stop the run.
        _logger.exception("mail_domain_health: checking %s domains failed", len(names))
        return None


def same_result(stored: dict | None, data: dict) -> bool:
    """Whether a new report says what the stored one said (the time it took aside)."""
    if not stored:
        return False
    # Through JSON, as the stored report went: tuples become lists, keys strings.
    return {**stored, "elapsed": None} == {**json.loads(json.dumps(data)), "elapsed": None}


def policy_or_false(value: str | None) -> str | bool:
    return value if value in POLICIES else False


def zone_lines(records) -> str:
    """Records to publish as zone file lines, one a line, ready to paste."""
    return "\n".join(f"{record.name}. {record.type} {_zone_value(record)}" for record in records)


def _zone_value(record) -> str:
    return _zone_text(record.type, record.value)


def _zone_text(record_type: str, value: str) -> str:
    return f'"{value}"' if record_type == "TXT" else value


def publications(report: dict | None) -> list[tuple[str | None, dict, str]]:
    """The records a stored report (DomainReport.to_dict()) says to publish, in order, as (code, params, zone
    line): the code and params of the sentence saying whether the record is added or replaces one the domain
    has (maildns.Publication); None for a report stored before records said it, until its next check."""
    return [
        (
            entry.get("code"),
            entry.get("params") or {},
            f"{entry['name']}. {entry['type']} {_zone_text(entry['type'], entry['value'])}",
        )
        for entry in (report or {}).get("records_to_publish") or []
    ]


def problem_values(report) -> list[dict]:
    """The rows of a report's problems, in the order the report gives them, domain problems first."""
    values = []
    parts = [("domain", report.problems)] + [
        (name, getattr(report, name).problems) for name in PARTS if getattr(report, name) is not None
    ]
    for part, problems in parts:
        for problem in problems:
            record = problem.record
            values.append(
                {
                    "sequence": len(values),
                    "part": part,
                    "code": problem.code,
                    "params": dict(problem.params),
                    "message": problem.message,
                    "severity": str(problem.status),
                    "record_name": record and record.name,
                    "record_type": record and record.type,
                    "record_value": record and record.value,
                }
            )
    return values
