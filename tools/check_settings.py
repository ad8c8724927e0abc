"""The settings of a checking run, read from the system parameters Settings writes, and validated there.

The Settings form refuses bad values, but a system parameter can be written by any administrator (Technical ›
System Parameters, a script, an import): what the run cannot use is left out with a reason to log, never passed
to the engine. No ORM here; the model reads the parameters and logs the reasons.
"""

import ipaddress
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Self

from ..maildns import (
    AUTO,
    DEFAULT_DOMAIN_TIMEOUT,
    InvalidNameserver,
    InvalidTarget,
    is_public_dns_name,
    parse_nameserver,
)
from .addresses import ascii_or_none, split_list

PREFIX = "mail_domain_health."
# The longest a domain may take; the Settings form says the same.
MAX_TIMEOUT = 120.0
# Days a check no company, user or contact uses any more is kept before the autovacuum removes it.
DEFAULT_KEEP_UNUSED_DAYS = 30
MAX_KEEP_UNUSED_DAYS = 3650
# A DKIM selector is a domain name made of LDH labels (RFC 6376 section 3.1), "s1" or "2024.mail".
_SELECTOR_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TRUE = ("1", "true", "yes", "on")


def is_nameserver_address(text: str) -> bool:
    """Whether `text` is an IP address, optionally with a port ("192.0.2.53:5353", "[2001:db8::53]:53")."""
    try:
        host, _port = parse_nameserver(text)
        ipaddress.ip_address(host)
    except (InvalidNameserver, ValueError):
        return False
    return True


def is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True


def is_dkim_selector(text: str) -> bool:
    return all(_SELECTOR_LABEL.match(label) for label in text.lower().split("."))


def is_timeout(value: float) -> bool:
    return math.isfinite(value) and 0 < value <= MAX_TIMEOUT


def is_private_suffix(text: str) -> bool:
    """Whether `text` can name a private part of the DNS ("corp", "intranet.example.com")."""
    try:
        is_public_dns_name("example.com", [text])
    except InvalidTarget:
        return False
    return True


# The system parameters (without PREFIX) a run reads.
SETTING_KEYS = (
    "provider",
    "own_addresses",
    "dkim_selector",
    "nameservers",
    "timeout",
    "check_partners",
    "use_queue_job",
    "private_suffixes",
    "keep_unused_days",
)


@dataclass(frozen=True)
class Sender:
    """Who sends the database's mail, as the run found it (maildns.SenderDetection, in what a check stores).

    provider: the key a check stores (a PROVIDER_CHOICES key, or UNKNOWN_SENDER); spec: what the engine checks
    against ("google", "ip:198.51.100.25"); reason: why, a finding {code, params}; timed_out: the DNS did not say
    in time where a server of one's own sends from."""

    provider: str
    spec: str
    reason: Mapping[str, Any] = field(default_factory=dict)
    timed_out: bool = False


@dataclass(frozen=True)
class CheckSettings:
    """How domains are checked: the settings of Settings, read once a run and validated (read_check_settings),
    then, for a run that asks the DNS, who sends and what the database knows of its domains.

    provider: the choice made in Settings ("auto", a provider key, or "self_hosted"); sender: who was found to
    send, None until the run looks (with_sender=False reads). version: the version of the sending settings the
    run works under, stored with each result. dmarc_rua: {domain: address} where a company's DMARC reports go;
    reported_selectors: {domain: selectors} to try first; dkim_search_domains: the domains whose DKIM key may be
    searched for (the companies' and users', not the contacts').
    """

    provider: str = AUTO
    own_addresses: tuple[str, ...] = ()
    dkim_selectors: tuple[str, ...] | None = None
    nameservers: tuple[str, ...] = ()
    timeout: float = DEFAULT_DOMAIN_TIMEOUT
    check_partners: bool = False
    use_queue_job: bool = False
    private_suffixes: tuple[str, ...] = ()
    keep_unused_days: int = DEFAULT_KEEP_UNUSED_DAYS
    version: int = 0
    sender: Sender | None = None
    dmarc_rua: Mapping[str, str] = field(default_factory=dict)
    reported_selectors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    dkim_search_domains: tuple[str, ...] = ()

    def public_names(self, names: Iterable[str | bool | None]) -> list[str]:
        """The A-labels of those of `names` that are names of the public DNS, sorted, each once: a local or
        private name (mail.lan, an intranet zone, a private suffix of Settings) is never asked about."""
        found = {ascii_or_none(name) for name in names}
        return sorted(name for name in found if name and is_public_dns_name(name, self.private_suffixes))

    def to_json(self) -> dict:
        """These settings as JSON values, for a queued job's arguments (from_json() reads them back)."""
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self | None:
        """The settings to_json() wrote; None for anything else (a job queued by an older version)."""
        try:
            sender = data["sender"]
            return cls(
                **{
                    **data,
                    "own_addresses": tuple(data["own_addresses"]),
                    "dkim_selectors": None if data["dkim_selectors"] is None else tuple(data["dkim_selectors"]),
                    "nameservers": tuple(data["nameservers"]),
                    "private_suffixes": tuple(data["private_suffixes"]),
                    "sender": None if sender is None else Sender(**sender),
                    "reported_selectors": {name: tuple(found) for name, found in data["reported_selectors"].items()},
                    "dkim_search_domains": tuple(data["dkim_search_domains"]),
                }
            )
        except (KeyError, TypeError, AttributeError):
            return None


def read_check_settings(params: Mapping[str, str | bool | None]) -> tuple[CheckSettings, list[str]]:
    """The run's settings from the parameters (keys without the prefix), and why any value was left out."""
    reasons = []
    own_addresses = []
    for address in split_list(params.get("own_addresses")):
        if is_ip_address(address):
            own_addresses.append(address)
        else:
            reasons.append(f"sending address {address!r} left out: not an IP address")
    private_suffixes = []
    for suffix in split_list(params.get("private_suffixes")):
        if is_private_suffix(suffix):
            private_suffixes.append(suffix.lower())
        else:
            reasons.append(f"private suffix {suffix!r} left out: not a domain name")
    keep_unused_days = DEFAULT_KEEP_UNUSED_DAYS
    raw_days = params.get("keep_unused_days")
    if raw_days:
        try:
            keep_unused_days = int(raw_days)
        except ValueError:
            keep_unused_days = 0
        if not 0 < keep_unused_days <= MAX_KEEP_UNUSED_DAYS:
            reasons.append(
                f"days to keep unused checks {raw_days!r} left out: not a whole number from 1 to "
                f"{MAX_KEEP_UNUSED_DAYS}; {DEFAULT_KEEP_UNUSED_DAYS} used"
            )
            keep_unused_days = DEFAULT_KEEP_UNUSED_DAYS
    nameservers = []
    for server in split_list(params.get("nameservers")):
        if is_nameserver_address(server):
            nameservers.append(server)
        else:
            reasons.append(f"DNS server {server!r} left out: not an IP address with an optional port")
    selectors = []
    for selector in split_list(params.get("dkim_selector")):
        if is_dkim_selector(selector):
            selectors.append(selector.lower())
        else:
            reasons.append(f"DKIM selector {selector!r} left out: not a domain name")
    timeout = DEFAULT_DOMAIN_TIMEOUT
    raw_timeout = params.get("timeout")
    if raw_timeout:
        try:
            timeout = float(raw_timeout)
        except ValueError:
            timeout = math.nan
        if not is_timeout(timeout):
            reasons.append(
                f"timeout {raw_timeout!r} left out: not a number of seconds above 0 and at most {MAX_TIMEOUT:g}; "
                f"{DEFAULT_DOMAIN_TIMEOUT:g} s used"
            )
            timeout = DEFAULT_DOMAIN_TIMEOUT
    settings = CheckSettings(
        provider=(params.get("provider") or AUTO).strip(),
        own_addresses=tuple(own_addresses),
        dkim_selectors=tuple(selectors) or None,
        nameservers=tuple(nameservers),
        timeout=timeout,
        check_partners=is_on(params.get("check_partners")),
        use_queue_job=is_on(params.get("use_queue_job")),
        private_suffixes=tuple(private_suffixes),
        keep_unused_days=keep_unused_days,
    )
    return settings, reasons


def is_on(value: str | bool | None) -> bool:
    """Whether a yes/no setting, as a system parameter stores it, is on."""
    return str(value or "").strip().lower() in _TRUE
