"""What the alias for DMARC reports accepts from a stranger, and what one sender may cost: pure rules.

The alias takes mail from the whole internet. A report is believed only about a domain the receiving companies
send from, and each message, sender and report is bounded by a setting, so that a flood costs little.

No ORM here: the report model reads the companies' domains and the parameters, and applies what these return.
"""

from collections.abc import Iterable, Mapping

# Report files read from one message; the others are refused.
DEFAULT_MAX_FILES = 10
# Reports (read or refused) one sender address may deliver in 24 hours; its further messages are refused.
DEFAULT_MAX_SENDER_REPORTS = 200
# Rows stored for one report: a larger report is stored as totals by source, the largest sources first.
DEFAULT_MAX_ROWS = 5000
# Bytes kept of a refused file: enough to see what it was, not a place to store 35 MB for half a year.
DEFAULT_REFUSED_BYTES = 4096
BOUNDS = {
    "dmarc_max_files": (DEFAULT_MAX_FILES, 1, 1000),
    "dmarc_max_sender_reports": (DEFAULT_MAX_SENDER_REPORTS, 1, 1_000_000),
    "dmarc_max_rows": (DEFAULT_MAX_ROWS, 1, 1_000_000),
    "dmarc_refused_bytes": (DEFAULT_REFUSED_BYTES, 0, 10_000_000),
}


def read_intake_bounds(params: Mapping[str, str | bool | None]) -> tuple[dict[str, int], list[str]]:
    """The bounds from the parameters (keys without the prefix), and why any value was left out."""
    bounds, reasons = {}, []
    for key, (default, low, high) in BOUNDS.items():
        raw = params.get(key)
        bounds[key] = default
        if raw in (None, False, ""):
            continue
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            reasons.append(f"{key} {raw!r} left out: from {low} to {high}; {default} used")
        else:
            bounds[key] = value
    return bounds, reasons


def sending_domains(names: Iterable[str | None]) -> set[str]:
    """The domains among `names` (A-labels), lowercase: the domains whose reports are believed."""
    return {name.lower().rstrip(".") for name in names if name}


def is_own_domain(domain: str | None, owned: set[str]) -> bool:
    """Whether `domain` is one of `owned` or a subdomain of one (DMARC reports name the From domain's policy
    domain, which may be a subdomain of the organizational domain)."""
    if not domain:
        return False
    name = domain.lower().rstrip(".")
    return any(name == own or name.endswith("." + own) for own in owned)


def excerpt(data: bytes, limit: int) -> bytes:
    """The first `limit` bytes of a refused file."""
    return bytes(data[:limit])


def totals_by_source(rows: list[dict], limit: int) -> tuple[list[dict], int]:
    """At most `limit` rows: the rows of one source and one DMARC result summed into one, the sources that sent
    the most messages first; and how many rows the report had. Rows within the limit are returned as they are."""
    if len(rows) <= limit:
        return rows, len(rows)
    totals: dict[tuple[str, str], dict] = {}
    for row in rows:
        key = (row["source_ip"], row["result"])
        total = totals.get(key)
        if total is None:
            # The first row's details stand for the source's; its counts become the sums.
            totals[key] = {**row, "auth_results": [], "reasons": []}
            continue
        for field in ("messages", "passed_messages", "failed_messages"):
            total[field] += row[field]
    kept = sorted(totals.values(), key=lambda row: (-row["messages"], row["source_ip"], row["result"]))
    return kept[:limit], len(rows)


def same_organization_names(signer: str | None, domain: str | None) -> bool:
    """Whether a message from `domain` may be a resend of what `signer` signed: the same name, or one within
    the other (the names of one organization, as far as can be told without the DNS)."""
    if not signer or not domain:
        return False
    return domain == signer or domain.endswith("." + signer) or signer.endswith("." + domain)


def message_bytes(message) -> bytes:
    """The bytes of a received message (an email.message.Message) with its headers as they came, which its DKIM
    signatures cover; empty when there is none."""
    if message is None:
        return b""
    try:
        return message.as_bytes(policy=message.policy.clone(refold_source="none"))
    except (LookupError, TypeError, ValueError, UnicodeError):
        return b""
