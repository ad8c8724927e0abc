"""Benchmark: maildns.check_domains against checkdmarc on the same generated domains.

    python bench/run.py [--domains 1000] [--latency-ms 20] [--peer-sample 100] [--workers 64]

Knot DNS serves the generated zone (and the provider zones of tests/zones);
a loopback forwarder adds the latency to every answer and counts questions.
checkdmarc checks domains one after the other, so it runs on a random sample
and its per-domain rate is compared.
"""

import argparse
import os
import platform
import random
import resource
import sys
import time
from pathlib import Path

import dns.resolver
import dns.version
from generate import ORIGIN, generate
from latency import ForwarderProcess

from odoo.addons.mail_domain_health.maildns import Resolver
from odoo.addons.mail_domain_health.maildns.check import check_domains
from odoo.addons.mail_domain_health.tests.support.dnsserver import AuthoritativeServer, load_zone_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--peer-sample", type=int, default=100, help="domains checkdmarc checks (0: none)")
    parser.add_argument("--workers", type=int, default=64)
    args = parser.parse_args()
    latency = args.latency_ms / 1000

    generated = generate(args.domains)
    zones = bench_zones(generated.zone)
    print(_machine())
    print(f"domains: {args.domains}, added latency: {args.latency_ms:g} ms per answer, workers: {args.workers}")
    with AuthoritativeServer(zones) as server:
        forwarder = ForwarderProcess(server.address, latency)
        try:
            ours = _run_maildns(generated.domains, forwarder, args.workers)
            peer = _run_checkdmarc(generated.domains, forwarder, args.peer_sample) if args.peer_sample else None
        finally:
            forwarder.stop()
    critical = max(generated.critical_path.values())
    lower_bound = max(critical * latency, ours["unique"] * latency / args.workers)
    rows = [
        ("maildns.check_domains", ours),
        *([("checkdmarc (SPF + DMARC)", peer)] if peer else []),
    ]
    print()
    print(
        "| checker | domains | wall s | domains/s | questions sent | unique (name, type) | repeated | RSS growth MiB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, row in rows:
        print(
            f"| {name} | {row['domains']} | {row['wall']:.2f} | {row['rate']:.1f} | {row['sent']} | "
            f"{row['unique']} | {row['sent'] - row['unique']} | {row['peak_mib']:.1f} |"
        )
    print()
    print(
        f"lower bound for maildns' run: {lower_bound:.2f} s (longest dependent chain {critical} x latency, "
        f"or unique questions x latency / {args.workers} workers)"
    )
    print(f"maildns / lower bound: {ours['wall'] / lower_bound:.2f}")
    print(
        f"maildns memory: RSS grew {ours['peak_mib']:.1f} MiB for {ours['domains']} domains "
        f"({ours['peak_mib'] * 1024 / ours['domains']:.1f} KiB a domain), holding {ours['cached']} cached lookups "
        f"and the {ours['domains']} results returned"
    )
    if peer:
        print(f"throughput ratio maildns / checkdmarc: {ours['rate'] / peer['rate']:.1f}x")
    statuses = {}
    for result in ours["results"]:
        statuses[str(result.status)] = statuses.get(str(result.status), 0) + 1
    print(f"maildns statuses: {dict(sorted(statuses.items()))}")
    if statuses.get("error"):
        # The bench injects no fault: an error means its zones do not answer as real DNS would.
        codes = sorted({f.code for r in ours["results"] if str(r.status) == "error" for f in r.all_findings()})
        print(f"unexpected errors ({', '.join(codes)}): the figures above do not describe a real workload")
        return 1
    return 0


# The root, with nothing under it but the zones served beside it: every other name (the top of the DMARC tree
# walk, _dmarc.test, say) gets the NXDOMAIN that real DNS gives, not a refusal.
ROOT_ZONE = f"""\
$ORIGIN .
$TTL 300
@ SOA ns.{ORIGIN}. hostmaster.{ORIGIN}. 1 3600 600 86400 300
@ NS ns.{ORIGIN}.
"""


def bench_zones(generated_zone: str) -> dict[str, str]:
    """The zones a benchmark serves: the root, the generated domains and the providers' zones they include."""
    zones = {
        path: text for path, text in load_zone_dir().items() if path in ("odoo.com.", "google.com.", "outlook.com.")
    }
    zones["."] = ROOT_ZONE
    zones[f"{ORIGIN}."] = generated_zone
    return zones


def _run_maildns(domains: list[str], forwarder: ForwarderProcess, workers: int) -> dict:
    forwarder.take_questions()
    resolver = Resolver([forwarder.address], timeout=2.0, lifetime=5.0)
    before = _peak_rss()
    started = time.perf_counter()
    results = check_domains(domains, resolver=resolver, workers=workers, timeout=30)
    wall = time.perf_counter() - started
    peak = _peak_rss() - before
    return _row(domains, forwarder, wall, peak) | {
        "results": results,
        "resolver_sent": resolver.stats.messages_sent,
        "cached": resolver.stats.lookups,
    }


def _run_checkdmarc(domains: list[str], forwarder: ForwarderProcess, sample: int) -> dict:
    from checkdmarc.dmarc import check_dmarc
    from checkdmarc.spf import check_spf

    chosen = random.Random(11).sample(domains, min(sample, len(domains)))
    forwarder.take_questions()
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = forwarder.port
    resolver.timeout = resolver.lifetime = 5.0
    before = _peak_rss()
    started = time.perf_counter()
    for domain in chosen:
        check_spf(domain, resolver=resolver, timeout=5.0)
        check_dmarc(domain, resolver=resolver, timeout=5.0)
    wall = time.perf_counter() - started
    peak = _peak_rss() - before
    return _row(chosen, forwarder, wall, peak)


def _row(domains: list[str], forwarder: ForwarderProcess, wall: float, peak: int) -> dict:
    questions = forwarder.take_questions()
    return {
        "domains": len(domains),
        "wall": wall,
        "rate": len(domains) / wall,
        "sent": sum(questions.values()),
        "unique": len(questions),
        "peak_mib": peak / 2**20,
    }


def _peak_rss() -> int:
    """Peak resident memory of this process so far, in bytes (growth of it is what a run added)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (
        f"machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"dnspython {dns.version.version}; start RSS {rss:.0f} MiB"
    )


if __name__ == "__main__":
    sys.exit(main())
