"""What the Odoo tests share: the test zones served by a real Knot DNS, behind a proxy that injects faults."""

from .support.dnsproxy import ANY_NAME, Fault, FaultProxy, SilentServer
from .support.dnsserver import AuthoritativeServer, load_zone_dir

# Fault: the faults the tests make the proxy inject (ANY_NAME: a rule for every name), imported from here;
# SilentServer: a DNS server on loopback that never answers.
__all__ = ["ANY_NAME", "Fault", "SilentServer", "serve_test_zones"]


def serve_test_zones(case, timeout: float = 3.0) -> FaultProxy:
    """Start Knot serving tests/zones and a fault proxy before it for the test class `case` (both stopped with
    it), and point the checks' settings at the proxy, with Odoo as the sending service."""
    server = AuthoritativeServer(load_zone_dir()).start()
    case.addClassCleanup(server.stop)
    proxy = FaultProxy(server.address).start()
    case.addClassCleanup(proxy.stop)
    params = case.env["ir.config_parameter"].sudo()
    params.set_param("mail_domain_health.nameservers", proxy.address)
    params.set_param("mail_domain_health.timeout", str(timeout))
    params.set_param("mail_domain_health.provider", "odoo")
    return proxy
