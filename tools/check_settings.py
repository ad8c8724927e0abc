"""The settings of a checking run, read from the system parameters Settings writes, and validated there.

The Settings form refuses bad values, but a system parameter can be written by any administrator (Technical ›
System Parameters, a script, an import): what the run cannot use is left out with a reason to log, never passed
to the engine. No ORM here; the model reads the parameters and logs the reasons.
"""

import ipaddress
import math
import re
from collections.abc import Mapping

from ..maildns import DEFAULT_DOMAIN_TIMEOUT, InvalidNameserver, InvalidTarget, is_public_dns_name, parse_nameserver
from .addresses import split_list

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


def read_check_settings(params: Mapping[str, str | bool | None]) -> tuple[dict, list[str]]:
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
    settings = {
        "provider_setting": (params.get("provider") or "auto").strip(),
        "own_addresses": own_addresses,
        "dkim_selectors": selectors or None,
        "nameservers": nameservers,
        "timeout": timeout,
        "check_partners": is_on(params.get("check_partners")),
        "use_queue_job": is_on(params.get("use_queue_job")),
        "private_suffixes": private_suffixes,
        "keep_unused_days": keep_unused_days,
    }
    return settings, reasons


def is_on(value: str | bool | None) -> bool:
    """Whether a yes/no setting, as a system parameter stores it, is on."""
    return str(value or "").strip().lower() in _TRUE
