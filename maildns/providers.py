"""The services that send mail for a domain, as data.

Adding a provider is adding an entry to PROVIDERS: what its SPF include is,
which DKIM selectors it signs with, and where those selectors must point.
"""

import ipaddress
from dataclasses import dataclass

from .errors import InvalidProvider


@dataclass(frozen=True)
class Provider:
    """How one sending service is authorized in a domain's DNS."""

    name: str
    label: str
    spf_include: str | None = None
    dkim_selectors: tuple[str, ...] = ()
    # Exact CNAME target of a selector, "{selector}" and "{domain_dashed}" filled in.
    dkim_cname_target: str | None = None
    # Accepted CNAME target suffixes when the exact target depends on the customer's tenant.
    dkim_cname_suffixes: tuple[str, ...] = ()
    sender_ips: tuple[str, ...] = ()

    @property
    def self_hosted(self) -> bool:
        return bool(self.sender_ips)

    @property
    def expects_cname(self) -> bool:
        return bool(self.dkim_cname_target or self.dkim_cname_suffixes)

    def expected_cname(self, selector: str, domain: str) -> str | None:
        """The exact name a selector's CNAME must point to, when the provider fixes it."""
        if not self.dkim_cname_target:
            return None
        return self.dkim_cname_target.format(selector=selector, domain_dashed=domain.replace(".", "-"))

    def accepts_cname(self, selector: str, domain: str, target: str) -> bool:
        target = target.lower().rstrip(".")
        expected = self.expected_cname(selector, domain)
        if expected is not None:
            return target == expected
        return any(target == suffix or target.endswith("." + suffix) for suffix in self.dkim_cname_suffixes)

    def spf_mechanism(self) -> str:
        """The SPF term that authorizes this provider's servers."""
        if self.spf_include:
            return f"include:{self.spf_include}"
        return " ".join(_ip_mechanism(address) for address in self.sender_ips)


PROVIDERS: dict[str, Provider] = {
    provider.name: provider
    for provider in (
        Provider(
            name="odoo",
            label="Odoo",
            spf_include="_spf.odoo.com",
            dkim_selectors=("odoo",),
            dkim_cname_target="odoo._domainkey.odoo.com",
        ),
        Provider(
            name="google",
            label="Google Workspace",
            spf_include="_spf.google.com",
            dkim_selectors=("google",),
        ),
        Provider(
            name="microsoft",
            label="Microsoft 365",
            spf_include="spf.protection.outlook.com",
            dkim_selectors=("selector1", "selector2"),
            dkim_cname_suffixes=("onmicrosoft.com", "dkim.mail.microsoft"),
        ),
    )
}


def get_provider(spec: "str | Provider") -> Provider:
    """Return the provider named by `spec`: a PROVIDERS key, or "ip:ADDR[,ADDR...]" for a self-hosted sender.

    Raises InvalidProvider for anything else.
    """
    if isinstance(spec, Provider):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidProvider("empty provider: use one of " + ", ".join(PROVIDERS) + " or ip:ADDRESS")
    text = spec.strip()
    if text.lower() in PROVIDERS:
        return PROVIDERS[text.lower()]
    if text.lower().startswith("ip:"):
        return self_hosted(text[3:].split(","))
    raise InvalidProvider(f"unknown provider {text!r}: use one of " + ", ".join(PROVIDERS) + " or ip:ADDRESS[,ADDRESS]")


def self_hosted(addresses: "list[str] | tuple[str, ...]") -> Provider:
    """A provider for a server of one's own, known by its sending IP addresses."""
    normalized = []
    for address in addresses:
        try:
            normalized.append(str(ipaddress.ip_address(address.strip())))
        except ValueError:
            raise InvalidProvider(f"{address.strip()!r} is not an IP address") from None
    if not normalized:
        raise InvalidProvider("a self-hosted provider needs at least one IP address")
    return Provider(name="ip:" + ",".join(normalized), label="Self-hosted server", sender_ips=tuple(normalized))


def _ip_mechanism(address: str) -> str:
    return ("ip6:" if ":" in address else "ip4:") + address
