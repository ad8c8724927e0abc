"""The services that send mail for a domain, as data, and which of them sends Odoo's mail.

Adding a provider is adding an entry to PROVIDERS: what its SPF include is,
which DKIM selectors it signs with, where those selectors must point, and the
SMTP hosts that identify it.

PROVIDER_CHOICES lists what a settings screen offers: "auto" (call
detect_sender() and use what it finds), each provider of PROVIDERS, and
"self_hosted" (a server of one's own, known by the public IP addresses it
sends from: the engine's provider spec is then "ip:ADDR[,ADDR]", see
self_hosted()).

detect_sender() follows Odoo's own sending path (ir.mail_server): the
outgoing mail servers first, by sequence (the caller leaves out personal
servers, which Odoo never falls back to), else the SMTP server of Odoo's
configuration file, else, for a database hosted by Odoo, Odoo's own servers;
a self-hosted Odoo with neither hands its mail to its own machine's mail
server. Its result, a SenderDetection, says why with a reason code and params
rendered by maildns.messages, like findings; chosen_sender() gives the same
for a provider the administrator picked.
"""

import fnmatch
import ipaddress
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .dns import Resolver
from .errors import InvalidProvider
from .messages import PLACEHOLDERS, _, render

# Where a provider's bounce address (Return-Path, the domain SPF checks) is. DMARC counts an SPF pass only
# when that domain is the From domain or shares its organizational domain.
RETURN_PATH_CUSTOMER = "customer"  # the checked domain itself: its SPF record decides, and aligns.
# A subdomain of the customer's that the provider's own records set up (SendGrid's em1234 CNAME, Postmark's
# pm-bounces): its name is the account's, so the check cannot ask it, and DMARC is judged on DKIM.
RETURN_PATH_SUBDOMAIN = "subdomain"
RETURN_PATH_PROVIDER = "provider"  # the provider's own domain: SPF never aligns, DKIM alone carries DMARC.


@dataclass(frozen=True)
class Provider:
    """How one sending service is authorized in a domain's DNS.

    dkim_selectors: the selectors the provider fixes; none when each account has its own (Mailgun, Amazon
    SES, Zoho Mail, a server of one's own): the check then searches the key (maildns.dkim), first at
    dkim_guesses. spf_include: the include the provider asks for; spf_alternatives: the regional ones that
    authorize it as well. return_path: one of RETURN_PATH_*; with anything but the customer's own envelope the
    SPF include is not what passes DMARC, and nobody is told to add it.
    """

    name: str
    label: str
    spf_include: str | None = None
    spf_alternatives: tuple[str, ...] = ()
    dkim_selectors: tuple[str, ...] = ()
    # Exact CNAME target of a selector: "{selector}", "{index}" (1 for the first selector) and
    # "{domain_dashed}" filled in.
    dkim_cname_target: str | None = None
    # Accepted CNAME target suffixes when the exact target depends on the customer's account.
    dkim_cname_suffixes: tuple[str, ...] = ()
    # What the provider's console shows as the CNAME target, for a record to publish whose target depends
    # on the account ("{selector}" filled in).
    dkim_cname_example: str | None = None
    # Selectors the provider's accounts often get, tried first when none is fixed.
    dkim_guesses: tuple[str, ...] = ()
    return_path: str = RETURN_PATH_CUSTOMER
    sender_ips: tuple[str, ...] = ()
    # The SMTP hosts the provider documents ("*" for any labels), and the domains whose hosts are all its
    # own mail servers (not a hosting company's, whose customers' machines have names there too): either
    # identifies the provider behind an outgoing mail server.
    smtp_hosts: tuple[str, ...] = ()
    smtp_host_suffixes: tuple[str, ...] = ()
    # Where the records above come from: the provider's own documentation.
    source: str | None = None

    @property
    def self_hosted(self) -> bool:
        return bool(self.sender_ips)

    @property
    def expects_cname(self) -> bool:
        return bool(self.dkim_cname_target or self.dkim_cname_suffixes)

    @property
    def fixed_selectors(self) -> bool:
        """Whether the provider signs with selectors known in advance (else each account has its own)."""
        return bool(self.dkim_selectors)

    @property
    def spf_aligns(self) -> bool:
        """Whether an SPF pass of the checked domain counts for DMARC: the Return-Path is the domain's own."""
        return self.return_path == RETURN_PATH_CUSTOMER

    def expected_cname(self, selector: str, domain: str) -> str | None:
        """The exact name a selector's CNAME must point to, when the provider fixes it."""
        if not self.dkim_cname_target:
            return None
        index = self.dkim_selectors.index(selector) + 1 if selector in self.dkim_selectors else 1
        return self.dkim_cname_target.format(selector=selector, index=index, domain_dashed=domain.replace(".", "-"))

    def accepts_cname(self, selector: str, domain: str, target: str) -> bool:
        target = target.lower().rstrip(".")
        expected = self.expected_cname(selector, domain)
        if expected is not None:
            return target == expected
        return any(target == suffix or target.endswith("." + suffix) for suffix in self.dkim_cname_suffixes)

    def authorizing_includes(self) -> tuple[str, ...]:
        """The SPF includes any of which authorizes this provider's servers, lower case."""
        return tuple(name.lower() for name in (self.spf_include, *self.spf_alternatives) if name)

    def runs_smtp_host(self, host: str) -> bool:
        """Whether `host` (lower case, no final dot) is one of this provider's SMTP servers."""
        if any(fnmatch.fnmatchcase(host, pattern) for pattern in self.smtp_hosts):
            return True
        return any(host == suffix or host.endswith("." + suffix) for suffix in self.smtp_host_suffixes)

    def spf_mechanism(self) -> str:
        """The SPF term that authorizes this provider's servers."""
        if self.spf_include:
            return f"include:{self.spf_include}"
        return " ".join(_ip_mechanism(address) for address in self.sender_ips)


PROVIDERS: dict[str, Provider] = {
    provider.name: provider
    for provider in (
        # Odoo's servers are no outgoing server of a database: they send for the databases Odoo hosts.
        Provider(
            name="odoo",
            label="Odoo",
            spf_include="_spf.odoo.com",
            dkim_selectors=("odoo",),
            dkim_cname_target="odoo._domainkey.odoo.com",
            source="https://www.odoo.com/documentation/19.0/applications/general/email_communication/email_domain.html",
        ),
        Provider(
            name="google",
            label="Google Workspace",
            spf_include="_spf.google.com",
            dkim_selectors=("google",),
            smtp_hosts=("smtp.gmail.com", "smtp-relay.gmail.com", "aspmx.l.google.com"),
            smtp_host_suffixes=("gmail.com", "google.com", "googlemail.com"),
            source="https://support.google.com/a/answer/33786 (SPF), https://support.google.com/a/answer/174124 (DKIM)",
        ),
        Provider(
            name="microsoft",
            label="Microsoft 365",
            spf_include="spf.protection.outlook.com",
            dkim_selectors=("selector1", "selector2"),
            dkim_cname_suffixes=("onmicrosoft.com", "dkim.mail.microsoft"),
            smtp_hosts=("smtp.office365.com", "*.mail.protection.outlook.com"),
            smtp_host_suffixes=("office365.com", "outlook.com", "microsoft.com"),
            source="https://learn.microsoft.com/defender-office-365/email-authentication-dkim-configure",
        ),
        # Automated security (the default): three CNAMEs, s1 and s2 for DKIM and em<number> for the bounce
        # address on a subdomain of the customer's; no include at the apex.
        Provider(
            name="sendgrid",
            label="SendGrid",
            spf_include="sendgrid.net",
            dkim_selectors=("s1", "s2"),
            dkim_cname_suffixes=("sendgrid.net",),
            dkim_cname_example="{selector}.domainkey.u<account>.wl<number>.sendgrid.net",
            return_path=RETURN_PATH_SUBDOMAIN,
            smtp_hosts=("smtp.sendgrid.net",),
            smtp_host_suffixes=("sendgrid.net",),
            source="https://www.twilio.com/docs/sendgrid/ui/account-and-settings/how-to-set-up-domain-authentication",
        ),
        # The DKIM key is a TXT record at a selector Mailgun picks per domain (shown under Domain settings,
        # DNS records); the bounce address is on the domain added to Mailgun.
        Provider(
            name="mailgun",
            label="Mailgun",
            spf_include="mailgun.org",
            dkim_guesses=("mx", "k1", "smtp", "krs", "pic", "mailo", "email", "mg"),
            smtp_hosts=("smtp.mailgun.org", "smtp.eu.mailgun.org"),
            smtp_host_suffixes=("mailgun.org",),
            source="https://documentation.mailgun.com/docs/mailgun/user-manual/domains/domains-verify",
        ),
        # Easy DKIM: three CNAMEs <token>._domainkey -> <token>.dkim.amazonses.com, tokens of the account.
        # The bounce address is a subdomain of amazonses.com unless a custom MAIL FROM domain is set up.
        Provider(
            name="amazon_ses",
            label="Amazon SES",
            spf_include="amazonses.com",
            dkim_cname_suffixes=("dkim.amazonses.com",),
            dkim_cname_example="{selector}.dkim.amazonses.com",
            return_path=RETURN_PATH_PROVIDER,
            smtp_hosts=("email-smtp.*.amazonaws.com", "email-smtp-fips.*.amazonaws.com"),
            source="https://docs.aws.amazon.com/ses/latest/dg/send-email-authentication-dkim-easy.html, "
            "https://docs.aws.amazon.com/ses/latest/dg/send-email-authentication-spf.html",
        ),
        # Domain authentication: a brevo-code TXT, two DKIM CNAMEs and a DMARC record. The bounce address
        # is on Brevo's own domain, so DKIM alone passes DMARC and no SPF include is asked for.
        Provider(
            name="brevo",
            label="Brevo",
            dkim_selectors=("brevo1", "brevo2"),
            dkim_cname_target="b{index}.{domain_dashed}.dkim.brevo.com",
            return_path=RETURN_PATH_PROVIDER,
            smtp_hosts=("smtp-relay.brevo.com", "smtp-relay.sendinblue.com"),
            smtp_host_suffixes=("brevo.com", "sendinblue.com"),
            source="https://help.brevo.com/hc/en-us/articles/12163873383186-Authenticate-your-domain-with-Brevo-"
            "Brevo-code-DKIM-DMARC",
        ),
        # SPF include and a DKIM TXT record at mailjet._domainkey; the bounce address is Mailjet's own.
        Provider(
            name="mailjet",
            label="Mailjet",
            spf_include="spf.mailjet.com",
            dkim_selectors=("mailjet",),
            return_path=RETURN_PATH_PROVIDER,
            smtp_hosts=("in-v3.mailjet.com", "in.mailjet.com"),
            smtp_host_suffixes=("mailjet.com",),
            source="https://documentation.mailjet.com/hc/en-us/articles/360042412734-Authenticating-Domains-with-SPF-DKIM",
        ),
        # A DKIM TXT record at a dated selector of the account (20240101123456pm) and a Return-Path CNAME
        # pm-bounces -> pm.mtasv.net: both on the customer's domain, no SPF include needed.
        Provider(
            name="postmark",
            label="Postmark",
            spf_include="spf.mtasv.net",
            return_path=RETURN_PATH_SUBDOMAIN,
            smtp_hosts=("smtp.postmarkapp.com", "smtp-broadcasts.postmarkapp.com"),
            smtp_host_suffixes=("postmarkapp.com",),
            source="https://postmarkapp.com/support/article/1046-how-do-i-verify-a-domain",
        ),
        # An include per data centre, and a DKIM TXT record at a selector the administrator names in the
        # admin console (Domains, Email Authentication, DKIM); mail leaves with the mailbox's own address.
        Provider(
            name="zoho",
            label="Zoho Mail",
            spf_include="zoho.com",
            spf_alternatives=("zoho.eu", "zoho.in", "zoho.com.au", "zoho.com.cn", "zohomail.com", "zohomail.eu"),
            dkim_guesses=("zmail", "zoho"),
            smtp_hosts=("smtp.zoho.com", "smtppro.zoho.com", "smtp.zoho.eu", "smtppro.zoho.eu", "smtp.zoho.in"),
            smtp_host_suffixes=("zoho.com", "zoho.eu", "zoho.in", "zoho.com.au", "zohomail.com"),
            source="https://www.zoho.com/mail/help/adminconsole/spf-configuration.html, "
            "https://www.zoho.com/mail/help/adminconsole/dkim-configuration.html",
        ),
        # MX Plan, Email Pro and Exchange: include:mx.ovh.com, and two DKIM CNAMEs per account
        # (ovhmo<number>-selector1._domainkey -> ...dkim.mail.ovh.net).
        Provider(
            name="ovh",
            label="OVHcloud",
            spf_include="mx.ovh.com",
            dkim_cname_suffixes=("dkim.mail.ovh.net",),
            dkim_cname_example="{selector}._domainkey.<number>.xx.dkim.mail.ovh.net",
            smtp_hosts=("ssl0.ovh.net", "*.mail.ovh.net"),
            source="https://help.ovhcloud.com/csm/en-dns-spf-record, https://help.ovhcloud.com/csm/en-dns-zone-dkim",
        ),
        # The SPF include of the account's region, and DKIM CNAMEs s1-ionos and s2-ionos (plus one of the
        # account, s<number>) to <selector>.dkim.ionos.com.
        Provider(
            name="ionos",
            label="IONOS",
            spf_include="_spf-eu.ionos.com",
            spf_alternatives=("_spf-us.ionos.com", "_spf.perfora.net", "_spf.kundenserver.de"),
            dkim_selectors=("s1-ionos", "s2-ionos"),
            dkim_cname_target="s{index}.dkim.ionos.com",
            smtp_hosts=("smtp.ionos.*", "smtp.ionos.co.uk", "smtp.1and1.*", "auth.smtp.1and1.*"),
            source="https://www.ionos.com/help/domains/configuring-mail-servers-and-other-related-records/"
            "using-an-spf-record-to-prevent-spam/, https://www.ionos.de/hilfe/domains/"
            "mailserver-und-verwandte-records-konfigurieren/e-mail-authentifizierung-mit-dkim",
        ),
    )
}
AUTO = "auto"
SELF_HOSTED = "self_hosted"
# A server of one's own whose public addresses are not known yet (this machine's mail server, a relay at
# private addresses): SPF can say nothing of it, DKIM is probed for any key, DMARC is judged as unknown.
UNKNOWN_SENDER = "unknown"
UNKNOWN_PROVIDER = Provider(name=UNKNOWN_SENDER, label=_("your own mail server"))
# (key, English label) of what a settings screen offers; see the module's docstring.
PROVIDER_CHOICES: list[tuple[str, str]] = [
    (AUTO, "Detect automatically"),
    *((provider.name, provider.label) for provider in PROVIDERS.values()),
    (SELF_HOSTED, "Self-hosted mail server"),
]


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
    if text.lower() == UNKNOWN_SENDER:
        return UNKNOWN_PROVIDER
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
    return Provider(name="ip:" + ",".join(normalized), label=_("your own mail server"), sender_ips=tuple(normalized))


def _ip_mechanism(address: str) -> str:
    return ("ip6:" if ":" in address else "ip4:") + address


def provider_for_smtp_host(host: str) -> Provider | None:
    """The provider whose SMTP server `host` is (smtp.gmail.com: Google Workspace), or None."""
    name = host.strip().lower().rstrip(".")
    return next((provider for provider in PROVIDERS.values() if provider.runs_smtp_host(name)), None)


# --- Who sends Odoo's mail -------------------------------------------------------------------------

# Addresses no receiver ever sees mail come from: the server behind them sends through a gateway whose
# public address the DNS cannot tell. Documentation ranges (192.0.2.0/24...) count as public, as examples.
_INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
_LOCAL_NAMES = ("localhost", "localhost.localdomain")

# Resolves a host name to its addresses; raises OSError when it cannot (as socket.getaddrinfo does).
AddressResolver = Callable[[str], Sequence[str]]


@dataclass(frozen=True)
class SmtpServer:
    """An outgoing mail server as Odoo holds it (ir.mail_server): its name, host and sequence."""

    name: str
    host: str
    sequence: int = 10


@dataclass(frozen=True)
class SenderDetection:
    """Who sends Odoo's mail, and why the engine thinks so.

    provider_key: a PROVIDER_CHOICES key: a PROVIDERS key ("google", "brevo"...) or "self_hosted".
    provider: the provider spec for check_domain()/check_domains() ("google", "ip:198.51.100.25"); None
    when the public addresses of a server of one's own cannot be found from here (this machine's own mail
    server, a relay at private addresses, a name that does not resolve): the administrator must give them.
    reason_code, reason_params: why, rendered by maildns.messages (codes sender.*) as `message`.
    host: the SMTP host the mail goes through, when one is configured; addresses: its public addresses.
    """

    provider_key: str
    provider: str | None
    reason_code: str
    reason_params: Mapping[str, str | int] = field(default_factory=dict, hash=False)
    host: str | None = None
    addresses: tuple[str, ...] = ()

    def __post_init__(self):
        if set(self.reason_params) != PLACEHOLDERS.get(self.reason_code, {None}):
            raise ValueError(f"{self.reason_code}: params {sorted(self.reason_params)} do not fit its message")

    @property
    def needs_addresses(self) -> bool:
        """Whether the administrator must give the public addresses mail leaves from."""
        return self.provider is None

    @property
    def message(self) -> str:
        return render(self.reason_code, self.reason_params)

    def to_dict(self) -> dict:
        return {
            "provider_key": self.provider_key,
            "provider": self.provider,
            "reason_code": self.reason_code,
            "reason_params": dict(self.reason_params),
            "message": self.message,
            "host": self.host,
            "addresses": list(self.addresses),
        }


def detect_sender(
    servers: Iterable[SmtpServer],
    config_smtp_server: str | None,
    *,
    hosted_by_odoo: bool,
    resolver: Resolver | None = None,
    resolve: AddressResolver | None = None,
) -> SenderDetection:
    """Who sends Odoo's mail, found as Odoo chooses its server (see the module's docstring).

    servers: the outgoing mail servers, personal ones left out; the lowest sequence wins, the order given
    breaks ties. config_smtp_server: the configuration file's smtp_server (None, empty or a local name:
    this machine). hosted_by_odoo: the database runs on Odoo's hosting (Odoo Online, Odoo.sh).
    Host names of servers of one's own are resolved by `resolve` when given, else by `resolver`'s A and
    AAAA lookups, else by the system (getaddrinfo, as Odoo's SMTP client itself). Never raises for a
    host that does not resolve: the detection says so.
    """
    if resolve is None:
        resolve = system_addresses if resolver is None else resolver_addresses(resolver)
    ordered = sorted(servers, key=lambda server: server.sequence)
    if ordered:
        return _detect_host(ordered[0].host, resolve, server=ordered[0].name)
    config = (config_smtp_server or "").strip()
    if config and not _is_local_name(config):
        return _detect_host(config, resolve, server=None)
    if hosted_by_odoo:
        return SenderDetection("odoo", "odoo", "sender.odoo_hosted")
    return _local_mta(config or "localhost")


def chosen_sender(key: str, addresses: Iterable[str] = ()) -> SenderDetection:
    """The detection for a provider the administrator chose: a PROVIDERS key, or "self_hosted" with the
    public addresses mail leaves from. Raises InvalidProvider for anything else (or no address)."""
    if key in PROVIDERS:
        return SenderDetection(key, key, "sender.chosen", {"provider": PROVIDERS[key].label})
    if key != SELF_HOSTED:
        raise InvalidProvider(f"{key!r} is not a provider to choose: use one of {', '.join(PROVIDERS)} or self_hosted")
    provider = self_hosted(list(addresses))
    params = {"addresses": ", ".join(provider.sender_ips)}
    return SenderDetection(SELF_HOSTED, provider.name, "sender.chosen_self_hosted", params, None, provider.sender_ips)


def system_addresses(host: str) -> list[str]:
    """The addresses the system resolves `host` to (getaddrinfo); raises OSError when there are none."""
    infos = socket.getaddrinfo(host, 25, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(info[4][0].split("%", 1)[0] for info in infos))


def resolver_addresses(resolver: Resolver, *, deadline: float | None = None) -> AddressResolver:
    """An address resolver asking `resolver` for A and AAAA records; it raises OSError when the DNS fails
    to answer both, and gives no address for a name without any."""

    def resolve(host: str) -> list[str]:
        lookups = [resolver.lookup(host, rdtype, deadline=deadline) for rdtype in ("A", "AAAA")]
        addresses = [address for lookup in lookups for address in lookup.records]
        if not addresses and all(lookup.failed for lookup in lookups):
            fault = lookups[0]
            raise OSError(f"{fault.nameserver} {fault.detail}".strip())
        return addresses

    return resolve


def _detect_host(host: str, resolve: AddressResolver, *, server: str | None) -> SenderDetection:
    """The sender behind an SMTP host: an outgoing mail server's (named `server`), or the configuration's."""
    name = host.strip().lower().rstrip(".")
    where = {"host": name} if server is None else {"server": server, "host": name}
    known = provider_for_smtp_host(name)
    if known is not None:
        code = "sender.config_smtp" if server is None else "sender.mail_server"
        return SenderDetection(known.name, known.name, code, {**where, "provider": known.label}, name)
    if _is_local_name(name):
        return _local_mta(name)
    try:
        addresses = _addresses(name, resolve)
    except OSError as error:
        detail = str(error) or type(error).__name__
        return SenderDetection(SELF_HOSTED, None, "sender.unresolved", {"host": name, "detail": detail}, name)
    if not addresses:
        return SenderDetection(SELF_HOSTED, None, "sender.unresolved", {"host": name, "detail": "no address"}, name)
    if all(address.is_loopback for address in addresses):
        return _local_mta(name)
    public = tuple(str(address) for address in addresses if not _internal(address))
    if not public:
        params = {"host": name, "addresses": ", ".join(str(address) for address in addresses)}
        return SenderDetection(SELF_HOSTED, None, "sender.private_relay", params, name)
    code = "sender.config_relay" if server is None else "sender.mail_server_relay"
    params = {**where, "addresses": ", ".join(public)}
    return SenderDetection(SELF_HOSTED, self_hosted(list(public)).name, code, params, name, public)


def _addresses(name: str, resolve: AddressResolver) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses of `name` (an address itself, or resolved), unparsable answers left out."""
    try:
        return [ipaddress.ip_address(name.strip("[]"))]
    except ValueError:
        pass
    found = []
    for text in resolve(name):
        try:
            found.append(ipaddress.ip_address(text))
        except ValueError:
            continue
    return list(dict.fromkeys(found))


def _local_mta(host: str) -> SenderDetection:
    return SenderDetection(SELF_HOSTED, None, "sender.local_mta", {"host": host}, host)


def _is_local_name(host: str) -> bool:
    name = host.strip().lower().rstrip(".")
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def _internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if address.is_link_local or address.is_unspecified or address.is_multicast:
        return True
    return any(address.version == network.version and address in network for network in _INTERNAL_NETWORKS)
