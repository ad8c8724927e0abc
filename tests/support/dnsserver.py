"""A real authoritative DNS server (Knot DNS) for the tests, on 127.0.0.1.

Each AuthoritativeServer runs its own knotd on a free port, serving zone
files that the tests keep under tests/zones/ or write on the fly.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

import dns.exception
import dns.message
import dns.query
import dns.rcode

KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"
ZONES_DIR = Path(__file__).resolve().parent.parent / "zones"


class ServerError(RuntimeError):
    """The test DNS server could not be started."""


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise ServerError("no free port on 127.0.0.1")


def stop_process_group(process: subprocess.Popen, grace: float) -> None:
    """SIGTERM a process started in its own session, and SIGKILL it if it is still there after `grace` s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def knot_available() -> bool:
    return os.path.exists(KNOTD)


class AuthoritativeServer:
    """knotd serving `zones`: a mapping of zone origin to zone-file text."""

    def __init__(self, zones: dict[str, str]):
        self.zones = zones
        self.port = 0
        self._workdir: tempfile.TemporaryDirectory | None = None
        self._process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "AuthoritativeServer":
        if not knot_available():
            raise ServerError(f"knotd not found at {KNOTD}: install the Debian package 'knot'")
        self._workdir = tempfile.TemporaryDirectory(prefix="maildns-knot-")
        workdir = Path(self._workdir.name)
        zone_entries = []
        for index, (origin, text) in enumerate(sorted(self.zones.items())):
            path = workdir / f"zone{index}.zone"
            path.write_text(text, encoding="utf-8")
            zone_entries.append(f'  - domain: "{origin}"\n    file: "{path}"\n')
        for _ in range(5):
            self.port = free_port()
            (workdir / "knot.conf").write_text(
                _KNOT_CONF.format(workdir=workdir, port=self.port) + "".join(zone_entries),
                encoding="utf-8",
            )
            log = open(workdir / "knotd.log", "wb")
            self._process = subprocess.Popen(
                [KNOTD, "-c", str(workdir / "knot.conf")],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()
            if self._wait_ready(next(iter(sorted(self.zones)))):
                return self
            self._kill()
        log_text = (workdir / "knotd.log").read_text(errors="replace")[-2000:]
        raise ServerError(f"knotd did not start:\n{log_text}")

    def _wait_ready(self, origin: str) -> bool:
        """True once knotd answers; raises when a zone file did not load (a broken fixture)."""
        until = time.monotonic() + 10
        while time.monotonic() < until:
            if self._process.poll() is not None:
                return False
            if self._responds(origin):
                return self._wait_all_zones(until)
            time.sleep(0.05)
        return False

    def _wait_all_zones(self, until: float) -> bool:
        missing = sorted(self.zones)
        while True:
            missing = [zone for zone in missing if not self._soa_answered(zone)]
            if not missing:
                return True
            if time.monotonic() > until:
                self._kill()
                log = (Path(self._workdir.name) / "knotd.log").read_text(errors="replace")[-3000:]
                raise ServerError(f"knotd did not load zones {missing}:\n{log}")
            time.sleep(0.1)

    def _responds(self, origin: str) -> bool:
        try:
            dns.query.udp(dns.message.make_query(origin, "SOA"), "127.0.0.1", port=self.port, timeout=0.2)
        except (OSError, dns.exception.DNSException):
            return False
        return True

    def _soa_answered(self, origin: str) -> bool:
        query = dns.message.make_query(origin, "SOA")
        for _ in range(20):
            try:
                response = dns.query.udp(query, "127.0.0.1", port=self.port, timeout=0.2)
            except (OSError, dns.exception.DNSException):
                if self._process.poll() is not None:
                    return False
                time.sleep(0.05)
                continue
            return response.rcode() == dns.rcode.NOERROR and bool(response.answer)
        return False

    def _kill(self) -> None:
        if self._process:
            stop_process_group(self._process, grace=5)
        self._process = None

    def stop(self) -> None:
        self._kill()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def zone_head(origin: str) -> list[str]:
    """The first lines of a generated zone file: origin, TTL, SOA and the name server on loopback."""
    return [
        f"$ORIGIN {origin}.",
        "$TTL 300",
        f"@ SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 300",
        f"@ NS ns.{origin}.",
        "ns A 127.0.0.1",
    ]


def load_zone_dir(directory: Path = ZONES_DIR) -> dict[str, str]:
    """Every `<origin>.zone` file of a directory, keyed by origin."""
    return {
        path.name.removesuffix(".zone") + ".": path.read_text(encoding="utf-8") for path in directory.glob("*.zone")
    }


# Semantic checks off: the tests serve deliberately broken data.
_KNOT_CONF = """\
server:
    listen: 127.0.0.1@{port}
    rundir: "{workdir}"
    udp-workers: 2
    tcp-workers: 2
    background-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: "{workdir}"
control:
    listen: "{workdir}/knot.sock"
template:
  - id: default
    storage: "{workdir}"
    semantic-checks: off
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
"""
