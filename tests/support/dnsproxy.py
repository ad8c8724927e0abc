"""A DNS proxy on 127.0.0.1 that forwards to a real server and injects faults.

Tests put it between a Resolver and the Knot server to see how the engine
behaves when DNS misbehaves: per (name, type) it drops queries (a timeout),
answers SERVFAIL or REFUSED, truncates UDP answers, sends garbage instead of
an answer, sends a forged reply (wrong message id, or another question) just
before the real answer, or answers late; a latency, if set, delays every UDP
answer, as a distant server would. Everything else is forwarded
unchanged, over UDP and TCP alike.
"""

import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Self

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from .dnsserver import free_port

UPSTREAM_TIMEOUT = 3.0
# A rule for this name applies to every name asked: a server that refuses everything, say.
ANY_NAME = "*"


class Fault(StrEnum):
    DROP = "drop"
    SERVFAIL = "servfail"
    REFUSED = "refused"
    TRUNCATE = "truncate"
    GARBAGE = "garbage"
    WRONG_ID = "wrong_id"
    WRONG_QUESTION = "wrong_question"
    DELAY = "delay"


@dataclass(frozen=True)
class FaultRule:
    """What to do with queries for `name` (any type when `rdtype` is None)."""

    name: str
    fault: Fault
    rdtype: str | None = None
    delay: float = 0.0

    def applies(self, name: str, rdtype: str) -> bool:
        return self.name in (ANY_NAME, name) and (self.rdtype is None or self.rdtype == rdtype)


def _normalize(name: str) -> str:
    return name.lower().rstrip(".")


class FaultProxy:
    """Forwards DNS from its own address to `upstream` ("host:port"), applying fault rules.

    `queries` counts what arrived, per (name, type, transport), so tests can see retries.
    """

    def __init__(self, upstream: str, rules: list[FaultRule] | tuple[FaultRule, ...] = (), *, latency: float = 0.0):
        host, _, port = upstream.rpartition(":")
        self.upstream = (host, int(port))
        self.rules: list[FaultRule] = list(rules)
        self.latency = latency
        self.queries: Counter[tuple[str, str, str]] = Counter()
        # (arrived, answered) wall-clock times of every query answered, for tests that line them up
        # with what a client did meanwhile.
        self.intervals: list[tuple[float, float]] = []
        self.port = 0
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def add_rule(self, name: str, fault: Fault | str, rdtype: str | None = None, delay: float = 0.0) -> FaultRule:
        rule = FaultRule(_normalize(name), Fault(fault), rdtype.upper() if rdtype else None, delay)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear_rules(self) -> None:
        with self._lock:
            self.rules.clear()

    def rule_for(self, name: str, rdtype: str) -> FaultRule | None:
        with self._lock:
            return next((rule for rule in self.rules if rule.applies(_normalize(name), rdtype)), None)

    # Life cycle.

    def start(self) -> Self:
        self.port = free_port()
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._udp.bind(("127.0.0.1", self.port))
        self._tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._tcp.bind(("127.0.0.1", self.port))
        self._tcp.listen(16)
        for target in (self._serve_udp, self._serve_tcp):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        for sock in (self._udp, self._tcp):
            if sock is not None:
                # shutdown() wakes the thread blocked in recvfrom()/accept().
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
        for thread in self._threads:
            thread.join(2)
        self._threads.clear()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # UDP.

    def _serve_udp(self) -> None:
        while not self._stopping.is_set():
            try:
                wire, client = self._udp.recvfrom(65535)
            except OSError:
                return
            # One thread per query, so that a delayed answer does not hold up the others.
            threading.Thread(target=self._answer_udp, args=(wire, client), daemon=True).start()

    def _answer_udp(self, wire: bytes, client: tuple[str, int]) -> None:
        arrived = time.time()
        if self.latency:
            time.sleep(self.latency)
        responses = self._respond(wire, "udp")
        if responses:
            with self._lock:
                self.intervals.append((arrived, time.time()))
        for response in responses:
            if self._stopping.is_set():
                return
            try:
                self._udp.sendto(response, client)
            except OSError:
                return

    # TCP: two-byte length prefix before each message (RFC 1035 4.2.2).

    def _serve_tcp(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._tcp.accept()
            except OSError:
                return
            threading.Thread(target=self._handle_tcp, args=(connection,), daemon=True).start()

    def _handle_tcp(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(UPSTREAM_TIMEOUT)
            while not self._stopping.is_set():
                wire = _read_framed(connection)
                if wire is None:
                    return
                responses = self._respond(wire, "tcp")
                if not responses:
                    return
                try:
                    connection.sendall(b"".join(struct.pack("!H", len(each)) + each for each in responses))
                except OSError:
                    return

    # The faults.

    def _respond(self, wire: bytes, transport: str) -> list[bytes]:
        """The datagrams (or TCP messages) to send back, in order; none for a dropped query."""
        try:
            query = dns.message.from_wire(wire)
            question = query.question[0]
        except (dns.exception.DNSException, IndexError):
            return _some(self._forward(wire, transport))
        name = question.name.to_text(omit_final_dot=True)
        rdtype = dns.rdatatype.to_text(question.rdtype)
        with self._lock:
            self.queries[(_normalize(name), rdtype, transport)] += 1
        rule = self.rule_for(name, rdtype)
        if rule is None:
            return _some(self._forward(wire, transport))
        return self._apply(rule, query, wire, transport)

    def _apply(self, rule: FaultRule, query: dns.message.Message, wire: bytes, transport: str) -> list[bytes]:
        fault = rule.fault
        if fault is Fault.DROP:
            return []
        if fault in (Fault.SERVFAIL, Fault.REFUSED):
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.SERVFAIL if fault is Fault.SERVFAIL else dns.rcode.REFUSED)
            return [response.to_wire()]
        if fault is Fault.TRUNCATE:
            if transport == "tcp":
                return _some(self._forward(wire, transport))
            response = dns.message.make_response(query)
            response.flags |= dns.flags.TC
            return [response.to_wire()]
        if fault is Fault.GARBAGE:
            return [wire[:2] + b"\x81\x80 this is not a DNS message"]
        if fault is Fault.DELAY:
            time.sleep(rule.delay)
            return _some(self._forward(wire, transport))
        answer = self._forward(wire, transport)
        if answer is None:
            return []
        # The forged reply arrives first, as a spoofer's would; the real answer follows it.
        if fault is Fault.WRONG_ID:
            return [struct.pack("!H", (query.id + 1) & 0xFFFF) + answer[2:], answer]
        return [_with_other_question(answer), answer]

    def _forward(self, wire: bytes, transport: str) -> bytes | None:
        try:
            if transport == "udp":
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as upstream:
                    upstream.settimeout(UPSTREAM_TIMEOUT)
                    upstream.sendto(wire, self.upstream)
                    return upstream.recv(65535)
            with socket.create_connection(self.upstream, timeout=UPSTREAM_TIMEOUT) as upstream:
                upstream.sendall(struct.pack("!H", len(wire)) + wire)
                return _read_framed(upstream)
        except OSError:
            return None


def _some(wire: bytes | None) -> list[bytes]:
    return [] if wire is None else [wire]


def _read_framed(connection: socket.socket) -> bytes | None:
    header = _read_exactly(connection, 2)
    if header is None:
        return None
    return _read_exactly(connection, struct.unpack("!H", header)[0])


def _read_exactly(connection: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        try:
            chunk = connection.recv(size - len(data))
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    return data


def _with_other_question(answer: bytes) -> bytes:
    """The same answer about another name: a resolver must not take it for its own."""
    original = dns.message.from_wire(answer)
    query = dns.message.make_query("wrong-question.invalid.", original.question[0].rdtype)
    response = dns.message.make_response(query)
    response.id = original.id
    return response.to_wire()


class SilentServer:
    """A DNS server on 127.0.0.1 that reads every question and never answers: over UDP it reads and drops each
    datagram; over TCP it accepts, reads and keeps the connection open without a word. What a resolver meets at
    an address where a firewall swallows DNS, without any packet leaving the machine.

    truncate_udp: answer each UDP question with an empty truncated reply instead, so that the resolver asks
    again over TCP, where it gets no answer.
    """

    def __init__(self, *, truncate_udp: bool = False):
        self.truncate_udp = truncate_udp
        self.questions: Counter[str] = Counter()
        self.port = 0
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Self:
        self.port = free_port()
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._udp.bind(("127.0.0.1", self.port))
        self._tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._tcp.bind(("127.0.0.1", self.port))
        self._tcp.listen(16)
        for target in (self._serve_udp, self._serve_tcp):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            sockets = [self._udp, self._tcp, *self._connections]
        for sock in sockets:
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
        for thread in self._threads:
            thread.join(2)
        self._threads.clear()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _serve_udp(self) -> None:
        while not self._stopping.is_set():
            try:
                wire, client = self._udp.recvfrom(65535)
            except OSError:
                return
            with self._lock:
                self.questions["udp"] += 1
            if self.truncate_udp:
                try:
                    response = dns.message.make_response(dns.message.from_wire(wire))
                    response.flags |= dns.flags.TC
                    self._udp.sendto(response.to_wire(), client)
                except (dns.exception.DNSException, OSError):
                    pass

    def _serve_tcp(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._tcp.accept()
            except OSError:
                return
            with self._lock:
                self._connections.append(connection)
            threading.Thread(target=self._swallow, args=(connection,), daemon=True).start()

    def _swallow(self, connection: socket.socket) -> None:
        # Read every question, answer none; the connection stays open until the client gives up.
        while _read_framed(connection) is not None:
            with self._lock:
                self.questions["tcp"] += 1
