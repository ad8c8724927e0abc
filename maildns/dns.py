"""DNS lookups whose outcome is always data, never an exception.

A Resolver asks a fixed list of nameservers (or the system's), follows CNAME
chains, falls back to TCP when a UDP answer is truncated, and remembers every
(name, type) it asked: one Resolver is one checking run, so a name shared by
many domains (a provider's SPF include, say) goes on the wire once.
"""

import re
import secrets
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum

import dns.exception
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver

from . import wire
from .errors import InvalidNameserver

DEFAULT_TIMEOUT = 2.0
DEFAULT_LIFETIME = 5.0
MAX_CNAME_HOPS = 8
# Seconds a failed lookup (timeout, SERVFAIL...) stays cached: long enough for one domain's checks to share
# it, short enough that a long run (a whole night's batches) asks again after a passing fault.
FAILURE_TTL = 60.0
_PLAIN_NAME = re.compile(r"(?:[A-Za-z0-9_-]{1,63}\.){0,126}[A-Za-z0-9_-]{1,63}\.?")


class Outcome(StrEnum):
    """How a lookup ended."""

    ANSWER = "answer"
    NXDOMAIN = "nxdomain"
    NODATA = "nodata"
    SERVFAIL = "servfail"
    TIMEOUT = "timeout"
    REFUSED = "refused"
    ERROR = "error"


# What a checker reports for each failed outcome: a stable finding code.
FAULT_CODES = {
    Outcome.SERVFAIL: "dns.servfail",
    Outcome.TIMEOUT: "dns.timeout",
    Outcome.REFUSED: "dns.refused",
    Outcome.ERROR: "dns.error",
}


@dataclass(frozen=True)
class Lookup:
    """The outcome of asking for one (name, type).

    `records` are presentation texts: for TXT the strings of each record
    joined without separator (as SPF, DKIM and DMARC read them), for names
    (CNAME, MX, PTR, NS) the lower-case target without its final dot, for
    MX only the exchange. `cnames` lists the aliases followed, in order.
    `nameserver` is the server ("host:port") that gave the outcome, or the
    configured ones when none did (the time ran out); `detail` says what
    went wrong, in words, for a failed lookup.
    """

    name: str
    rdtype: str
    outcome: Outcome
    records: tuple[str, ...] = ()
    cnames: tuple[str, ...] = ()
    detail: str = ""
    nameserver: str = ""

    @property
    def answered(self) -> bool:
        return self.outcome is Outcome.ANSWER

    @property
    def void(self) -> bool:
        """No such name, or no record of that type: a "void lookup" in SPF terms."""
        return self.outcome in (Outcome.NXDOMAIN, Outcome.NODATA)

    @property
    def failed(self) -> bool:
        """The DNS did not give a usable answer: the result is unknown, not negative."""
        return self.outcome in FAULT_CODES

    @property
    def fault_code(self) -> str | None:
        return FAULT_CODES.get(self.outcome)

    @property
    def fault_params(self) -> dict[str, str]:
        """The params of the finding a failed lookup makes (see maildns.messages, codes dns.*)."""
        return {"name": self.name, "nameserver": self.nameserver, "detail": self.detail or str(self.outcome)}


@dataclass
class ResolverStats:
    """What a Resolver did on the wire, for benchmarks and monitoring."""

    lookups: int = 0
    messages_sent: int = 0
    cache_hits: int = 0
    tcp_fallbacks: int = 0
    # Replies that were garbled or answered another query (a spoofing attempt, a confused
    # middlebox): dropped while the resolver goes on waiting for the real answer.
    ignored_replies: int = 0


@dataclass
class _Pending:
    done: threading.Event = field(default_factory=threading.Event)
    result: Lookup | None = None
    finished: float = 0.0

    def settle(self, result: Lookup) -> None:
        self.result = result
        self.finished = time.monotonic()
        self.done.set()

    def expired(self) -> bool:
        return self.result is not None and self.result.failed and time.monotonic() - self.finished > FAILURE_TTL


def parse_nameserver(text: str) -> tuple[str, int]:
    """Split "host" or "host:port" ("[v6]:port" for IPv6) into (host, port)."""
    value = text.strip()
    if not value:
        raise InvalidNameserver("empty nameserver")
    host, port_text = value, "53"
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise InvalidNameserver(f"{text!r}: expected [address]:port")
        port_text = rest[1:] or "53"
    elif value.count(":") == 1:
        host, port_text = value.split(":")
    try:
        port = int(port_text)
    except ValueError:
        raise InvalidNameserver(f"{text!r}: the port must be a number") from None
    if not 0 < port < 65536 or not host:
        raise InvalidNameserver(f"{text!r}: expected host or host:port with a port from 1 to 65535")
    return host, port


class Resolver:
    """A caching, thread-safe stub resolver for one checking run.

    nameservers: "host" or "host:port" strings; None asks the system's.
    timeout: seconds to wait for one answer; lifetime: for one lookup, retries included.
    """

    def __init__(
        self,
        nameservers: list[str] | tuple[str, ...] | str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        lifetime: float = DEFAULT_LIFETIME,
    ):
        if isinstance(nameservers, str):
            nameservers = [part for part in nameservers.replace(",", " ").split() if part]
        if nameservers:
            self.nameservers = [parse_nameserver(server) for server in nameservers]
        else:
            self.nameservers = _system_nameservers()
        if not timeout > 0 or not lifetime > 0:
            raise InvalidNameserver("timeout and lifetime must be positive numbers of seconds")
        self.nameserver_text = ", ".join(_server_text(host, port) for host, port in self.nameservers)
        self.timeout = float(timeout)
        self.lifetime = max(float(lifetime), self.timeout)
        self.stats = ResolverStats()
        self._cache: dict[tuple[str, str], _Pending] = {}
        self._lock = threading.Lock()

    def lookup(self, name: str, rdtype: str, *, deadline: float | None = None) -> Lookup:
        """Return the outcome of asking `name` for `rdtype`, asked at most once per Resolver.

        deadline: a time.monotonic() instant after which the caller no longer waits.
        """
        rdtype = rdtype.upper()
        key = (_cache_name(name), rdtype)
        pending, owner = self._claim(key)
        if not owner:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if pending.done.wait(remaining) and pending.result is not None:
                return pending.result
            return self._failure(key[0], rdtype, Outcome.TIMEOUT, "no answer before the deadline")
        try:
            result = self._resolve(key[0], rdtype, deadline, hops=0)
        except Exception as error:
            # Whatever goes wrong below (a dnspython corner case, a broken socket) must become data.
            result = self._failure(key[0], rdtype, Outcome.ERROR, f"{type(error).__name__}: {error}")
        pending.settle(result)
        return result

    def _claim(self, key: tuple[str, str]) -> tuple[_Pending, bool]:
        """The cache entry for `key`, and whether the caller owns it (must resolve it) or waits on it."""
        with self._lock:
            pending = self._cache.get(key)
            if pending is not None and not pending.expired():
                self.stats.cache_hits += 1
                return pending, False
            pending = self._cache[key] = _Pending()
            self.stats.lookups += 1
            return pending, True

    def _chase(self, name: str, rdtype: str, deadline: float | None, hops: int) -> Lookup:
        """Resolve an alias target through the cache, without waiting on another thread's pending lookup."""
        key = (_cache_name(name), rdtype)
        pending, owner = self._claim(key)
        if not owner:
            # Another thread asks the same target (a provider's key, say): wait for its answer, but only for
            # one lookup's lifetime, since an alias loop spread over threads would otherwise wait for ever.
            wait = self.lifetime if deadline is None else max(0.0, min(self.lifetime, deadline - time.monotonic()))
            if pending.done.wait(wait) and pending.result is not None:
                return pending.result
        result = self._failure(key[0], rdtype, Outcome.ERROR, "alias chase failed")
        try:
            result = self._resolve(key[0], rdtype, deadline, hops)
        finally:
            if owner:
                pending.settle(result)
        return result

    def _resolve(self, name: str, rdtype: str, deadline: float | None, hops: int) -> Lookup:
        try:
            qname = wire.name_to_wire(name)
            wanted = dns.rdatatype.from_text(rdtype)
        except (dns.exception.DNSException, ValueError) as error:
            return self._failure(name, rdtype, Outcome.ERROR, f"not a valid DNS question: {error}")
        answer = self._exchange(_Query(name, qname, wanted), rdtype, deadline)
        if isinstance(answer, Lookup):
            return answer
        reply, server = answer
        return self._read_answer(name, rdtype, wanted, reply, server, deadline, hops)

    def _failure(self, name: str, rdtype: str, outcome: Outcome, detail: str) -> Lookup:
        """A lookup that failed before any one server could be blamed: the configured servers are named."""
        return Lookup(name, rdtype, outcome, detail=detail, nameserver=self.nameserver_text)

    def _exchange(self, query: "_Query", rdtype: str, deadline: float | None) -> tuple[wire.Reply, str] | Lookup:
        """Ask the nameservers in turn until one gives a usable reply (returned with the server that gave it),
        a fault ends the lookup, or time is up."""
        stop = time.monotonic() + self.lifetime
        if deadline is not None:
            stop = min(stop, deadline)
        last = self._failure(query.name, rdtype, Outcome.TIMEOUT, "no reply in the time given")
        attempt = 0
        while True:
            server, port = self.nameservers[attempt % len(self.nameservers)]
            attempt += 1
            remaining = stop - time.monotonic()
            if remaining <= 0.001:
                return last
            answer = self._attempt(query, rdtype, server, port, min(self.timeout, remaining), stop)
            if isinstance(answer, wire.Reply):
                if answer.rcode in (wire.RCODE_NOERROR, wire.RCODE_NXDOMAIN):
                    return answer, _server_text(server, port)
                answer = _rcode_failure(query.name, rdtype, answer.rcode, _server_text(server, port))
            last = answer.lookup
            if answer.rounds is not None and attempt >= answer.rounds * len(self.nameservers):
                return last

    def _attempt(
        self, query: "_Query", rdtype: str, server: str, port: int, timeout: float, stop: float
    ) -> "wire.Reply | _Failure":
        """One try at one server: over UDP, then over TCP when the UDP reply is truncated."""
        where = _server_text(server, port)
        query.renew()
        self._count("messages_sent")
        try:
            reply, ignored = _ask_udp(query, server, port, timeout)
            self._count("ignored_replies", ignored)
            if reply is None:
                return _silence(query.name, rdtype, where, ignored)
            if reply.truncated:
                self._count("tcp_fallbacks")
                reply = _ask_tcp(query, server, port, max(0.001, stop - time.monotonic()))
        except TimeoutError:
            return _Failure(Lookup(query.name, rdtype, Outcome.TIMEOUT, detail="no reply over TCP", nameserver=where))
        except (OSError, ValueError) as error:
            # A broken socket or a garbled TCP reply is worth a second round over the servers.
            return _Failure(_socket_fault(query.name, rdtype, error, where), rounds=2)
        return reply

    def _count(self, statistic: str, amount: int = 1) -> None:
        if amount:
            with self._lock:
                setattr(self.stats, statistic, getattr(self.stats, statistic) + amount)

    def _read_answer(
        self,
        name: str,
        rdtype: str,
        wanted: int,
        reply: wire.Reply,
        server: str,
        deadline: float | None,
        hops: int,
    ) -> Lookup:
        current = name
        chain: list[str] = []
        seen = {name}
        while True:
            records = _records(reply, current, wanted)
            if records:
                return Lookup(name, rdtype, Outcome.ANSWER, records=records, cnames=tuple(chain), nameserver=server)
            alias = _records(reply, current, wire.TYPE_CNAME) if wanted != wire.TYPE_CNAME else ()
            if not alias:
                break
            current = alias[0]
            chain.append(current)
            if current in seen or len(chain) > MAX_CNAME_HOPS:
                return Lookup(name, rdtype, Outcome.ERROR, cnames=tuple(chain), detail="CNAME loop", nameserver=server)
            seen.add(current)
        if reply.rcode == wire.RCODE_NXDOMAIN:
            return Lookup(name, rdtype, Outcome.NXDOMAIN, cnames=tuple(chain), nameserver=server)
        if chain:
            # An authoritative server does not follow an alias out of its zone: ask for the target.
            if hops + len(chain) > MAX_CNAME_HOPS:
                detail = "CNAME chain too long"
                return Lookup(name, rdtype, Outcome.ERROR, cnames=tuple(chain), detail=detail, nameserver=server)
            target = self._chase(chain[-1], rdtype, deadline, hops + len(chain))
            return Lookup(
                name,
                rdtype,
                target.outcome,
                records=target.records,
                cnames=tuple(chain) + target.cnames,
                detail=target.detail,
                nameserver=target.nameserver,
            )
        return Lookup(name, rdtype, Outcome.NODATA, nameserver=server)


@dataclass(frozen=True)
class _Failure:
    """A try that gave no usable reply, and how many rounds over the nameservers such a failure may last
    (None: it is retried until time is up)."""

    lookup: Lookup
    rounds: int | None = None


def _silence(name: str, rdtype: str, server: str, ignored: int) -> _Failure:
    if ignored:
        # Only unreadable or mismatched replies came: say so, it is not a plain silence.
        detail = f"no valid reply, {ignored} ignored"
        return _Failure(Lookup(name, rdtype, Outcome.ERROR, detail=detail, nameserver=server))
    return _Failure(Lookup(name, rdtype, Outcome.TIMEOUT, detail="no reply over UDP", nameserver=server))


def _rcode_failure(name: str, rdtype: str, rcode: int, server: str) -> _Failure:
    outcome = {wire.RCODE_REFUSED: Outcome.REFUSED, wire.RCODE_SERVFAIL: Outcome.SERVFAIL}.get(rcode, Outcome.ERROR)
    detail = f"answered {dns.rcode.to_text(rcode)}"
    # A fault at one server is worth one more try at each of the others, no more.
    return _Failure(Lookup(name, rdtype, outcome, detail=detail, nameserver=server), rounds=1)


def _socket_fault(name: str, rdtype: str, error: Exception, server: str) -> Lookup:
    if isinstance(error, ConnectionRefusedError):
        # Nothing listens there (the kernel answered for it): the server refuses as surely as with REFUSED.
        return Lookup(name, rdtype, Outcome.REFUSED, detail="connection refused", nameserver=server)
    return Lookup(name, rdtype, Outcome.ERROR, detail=f"{type(error).__name__}: {error}", nameserver=server)


def _server_text(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _cache_name(name: str) -> str:
    """The name as asked on the wire, so that "bücher.example" and its A-label share one entry."""
    if _PLAIN_NAME.fullmatch(name):
        # Letters, digits, hyphens and underscores in labels of 1 to 63: dnspython would only lower it.
        return name.lower().rstrip(".")
    try:
        return dns.name.from_text(name).to_text(omit_final_dot=True).lower()
    except (dns.exception.DNSException, UnicodeError, ValueError):
        return name.lower().rstrip(".")


def _records(reply: wire.Reply, owner: str, rdtype: int) -> tuple[str, ...]:
    """The texts of the answer's records of `rdtype` at `owner` (an RRset), in the order they came."""
    return tuple(
        record.text
        for record in reply.answer
        if record.owner == owner and record.rdtype == rdtype and record.rdclass == wire.CLASS_IN
    )


class _Query:
    """One question, sent with a fresh random id (RFC 5452) at each attempt."""

    def __init__(self, name: str, qname: bytes, rdtype: int):
        self.name = name
        self.qname = qname
        self.rdtype = rdtype
        self.id = 0
        self.wire = b""

    def renew(self) -> None:
        self.id = secrets.randbits(16)
        self.wire = wire.make_query(self.id, self.qname, self.rdtype)

    def is_response(self, reply: wire.Reply) -> bool:
        """Whether `reply` answers this query: same id, a response, and this question (RFC 5452 4)."""
        if reply.id != self.id or not reply.flags & wire.FLAG_QR or reply.opcode != wire.OPCODE_QUERY:
            return False
        if not reply.questions:
            # Servers may leave the question out of an error reply (FORMERR, SERVFAIL, NOTIMP, REFUSED).
            return reply.rcode in (wire.RCODE_FORMERR, wire.RCODE_SERVFAIL, wire.RCODE_NOTIMP, wire.RCODE_REFUSED)
        return reply.questions == ((self.name, self.rdtype, wire.CLASS_IN),)


def _ask_udp(query: _Query, server: str, port: int, timeout: float) -> tuple[wire.Reply | None, int]:
    """Send `query` over UDP and wait up to `timeout` for its reply; return it (None if none came)
    and how many other datagrams were dropped on the way.

    A datagram that does not parse, or that is not a response to this query (another id, another
    question), is not an answer: RFC 5452 asks a resolver to drop it and keep listening, since taking
    it, or giving up on it, is what a spoofer wants. The connected socket already drops datagrams
    from any other address.
    """
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    expiration = time.monotonic() + timeout
    ignored = 0
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.connect((server, port))
        sock.send(query.wire)
        while True:
            remaining = expiration - time.monotonic()
            if remaining <= 0:
                return None, ignored
            sock.settimeout(remaining)
            try:
                datagram = sock.recv(65535)
            except TimeoutError:
                return None, ignored
            try:
                reply = wire.parse_reply(datagram)
            except wire.WireError:
                ignored += 1
                continue
            if not query.is_response(reply):
                ignored += 1
                continue
            return reply, ignored


def _ask_tcp(query: _Query, server: str, port: int, timeout: float) -> wire.Reply:
    """Ask `query` again over TCP (its UDP reply was truncated); raise TimeoutError, OSError or
    ValueError (a garbled reply, or one to another query) when no answer can be read."""
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    expiration = time.monotonic() + timeout
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect((server, port))
        sock.sendall(struct.pack("!H", len(query.wire)) + query.wire)
        (length,) = struct.unpack("!H", _receive(sock, 2, expiration))
        reply = wire.parse_reply(_receive(sock, length, expiration))
    if not query.is_response(reply):
        raise ValueError("the TCP reply answers another query")
    return reply


def _receive(sock: socket.socket, count: int, expiration: float) -> bytes:
    data = b""
    while len(data) < count:
        remaining = expiration - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the TCP reply did not come in time")
        sock.settimeout(remaining)
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ValueError("the server closed the connection mid-reply")
        data += chunk
    return data


def _system_nameservers() -> list[tuple[str, int]]:
    try:
        system = dns.resolver.Resolver(configure=True)
    except (dns.exception.DNSException, OSError):
        return [("127.0.0.1", 53)]
    port = getattr(system, "port", 53)
    return [(str(server), port) for server in system.nameservers] or [("127.0.0.1", 53)]
