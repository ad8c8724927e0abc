"""A DNS forwarder on loopback that adds a fixed delay to every answer and counts the questions.

It stands for the network between a checker and the DNS: each query is
forwarded to the real server at once and its answer held back `delay` seconds,
without serialising queries, so a checker that asks in parallel gains from it.
"""

import asyncio
import json
import socket
import struct
import subprocess
import sys
import threading
from collections import Counter

import dns.message
import dns.rdatatype


class LatencyForwarder:
    """UDP and TCP on 127.0.0.1:<port>, forwarding to `upstream` ("host:port") after `delay` seconds."""

    def __init__(self, upstream: str, delay: float):
        host, _, port = upstream.rpartition(":")
        self.upstream = (host, int(port))
        self.delay = delay
        self.questions: Counter[tuple[str, str]] = Counter()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._ready = threading.Event()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "LatencyForwarder":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def reset(self) -> None:
        self.questions.clear()

    async def _serve(self) -> None:
        server = await asyncio.start_server(self._handle_tcp, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        await self._loop.create_datagram_endpoint(lambda: _UdpFront(self), local_addr=("127.0.0.1", self.port))

    def count(self, wire: bytes) -> None:
        try:
            question = dns.message.from_wire(wire).question[0]
        except Exception:
            self.questions[("<malformed>", "")] += 1
            return
        self.questions[(question.name.to_text().lower(), dns.rdatatype.to_text(question.rdtype))] += 1

    async def forward_udp(self, wire: bytes) -> bytes | None:
        loop = asyncio.get_running_loop()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as upstream:
            upstream.setblocking(False)
            await loop.sock_connect(upstream, self.upstream)
            await loop.sock_sendall(upstream, wire)
            try:
                answer = await asyncio.wait_for(loop.sock_recv(upstream, 65535), 5)
            except TimeoutError:
                return None
        await asyncio.sleep(self.delay)
        return answer

    async def _handle_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                length = struct.unpack("!H", await reader.readexactly(2))[0]
                wire = await reader.readexactly(length)
                self.count(wire)
                up_reader, up_writer = await asyncio.open_connection(*self.upstream)
                up_writer.write(struct.pack("!H", len(wire)) + wire)
                answer_length = struct.unpack("!H", await up_reader.readexactly(2))[0]
                answer = await up_reader.readexactly(answer_length)
                up_writer.close()
                await asyncio.sleep(self.delay)
                writer.write(struct.pack("!H", len(answer)) + answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


class _UdpFront(asyncio.DatagramProtocol):
    def __init__(self, forwarder: LatencyForwarder):
        self.forwarder = forwarder
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        self.forwarder.count(data)
        asyncio.ensure_future(self._answer(data, addr))

    async def _answer(self, data: bytes, addr) -> None:
        answer = await self.forwarder.forward_udp(data)
        if answer is not None and self.transport is not None:
            self.transport.sendto(answer, addr)


class ForwarderProcess:
    """The forwarder in a process of its own, so it takes no time from the checker it measures."""

    def __init__(self, upstream: str, delay: float):
        self._process = subprocess.Popen(
            [sys.executable, __file__, upstream, str(delay)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self._process.stdout.readline())

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def take_questions(self) -> Counter[tuple[str, str]]:
        """The questions seen since the last call."""
        self._process.stdin.write("take\n")
        self._process.stdin.flush()
        return Counter({tuple(key): count for key, count in json.loads(self._process.stdout.readline())})

    def stop(self) -> None:
        self._process.stdin.close()
        self._process.wait(10)


def _serve(upstream: str, delay: float) -> None:
    forwarder = LatencyForwarder(upstream, delay).start()
    print(forwarder.port, flush=True)
    for _ in sys.stdin:
        taken = list(forwarder.questions.items())
        forwarder.reset()
        print(json.dumps([[list(key), count] for key, count in taken]), flush=True)
    forwarder.stop()


if __name__ == "__main__":
    _serve(sys.argv[1], float(sys.argv[2]))
