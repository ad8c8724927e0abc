"""From the engine's results to what a check record stores: the run's DNS work and the rows it writes.

No ORM here: resolve_domains() runs in the nightly run's threads while the ORM writes another batch.
"""

import json
import logging

from ..maildns import Resolver, check_domains
from .check_settings import CheckSettings

_logger = logging.getLogger(__name__)

# DMARC policies, as the engine reports them and the check records store them.
POLICIES = ("none", "quarantine", "reject")
# The parts of a result that carry findings, after the domain's own.
PARTS = ("spf", "dkim", "dmarc", "address")


def resolve_domains(names: list[str], settings: CheckSettings, resolver: Resolver) -> list:
    """Ask the DNS about `names` with the run's settings (who sends included): one result per name, in order.

    A company's domains whose DMARC results should reach Odoo (settings.dmarc_rua, {domain: address}) are
    checked with that address, so that the DMARC record to publish carries it.
    """
    addresses = settings.dmarc_rua
    groups: dict[str | None, list[str]] = {}
    for name in names:
        groups.setdefault(addresses.get(name), []).append(name)
    results = {}
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
        results.update(zip(group, found, strict=True))
    return [results[name] for name in names]


def resolve_or_log(names: list[str], *, settings: CheckSettings, resolver: Resolver) -> list | None:
    """resolve_domains() for a batch of the nightly run: None, and a log entry, when the batch failed."""
    try:
        return resolve_domains(names, settings, resolver)
    except Exception:
        # The engine turns DNS faults into results; this is a bug, and one batch must not stop the run.
        _logger.exception("mail_domain_health: checking %s domains failed", len(names))
        return None


def same_result(stored: dict | None, data: dict) -> bool:
    """Whether a new result says what the stored one said (the time it took aside)."""
    if not stored:
        return False
    # Through JSON, as the stored result went: tuples become lists, keys strings.
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


def publications(result: dict | None) -> list[tuple[str | None, dict, str]]:
    """The records a stored result (DomainResult.to_dict()) says to publish, in order, as (code, params, zone
    line): the code and params of the sentence saying whether the record is added or replaces one the domain
    has (maildns.Publication); None for a result stored before records said it, until its next check."""
    return [
        (
            entry.get("code"),
            entry.get("params") or {},
            f"{entry['name']}. {entry['type']} {_zone_text(entry['type'], entry['value'])}",
        )
        for entry in (result or {}).get("records_to_publish") or []
    ]


def finding_values(result) -> list[dict]:
    """The rows of a result's findings, in the order the result gives them, domain findings first."""
    values = []
    parts = [("domain", result.findings)] + [
        (name, getattr(result, name).findings) for name in PARTS if getattr(result, name) is not None
    ]
    for part, findings in parts:
        for finding in findings:
            record = finding.record
            values.append(
                {
                    "sequence": len(values),
                    "part": part,
                    "code": finding.code,
                    "params": dict(finding.params),
                    "message": finding.message,
                    "severity": str(finding.status),
                    "record_name": record and record.name,
                    "record_type": record and record.type,
                    "record_value": record and record.value,
                }
            )
    return values
