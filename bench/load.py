"""The load for bench/serve.py: wrk (C, two threads), or a Python client where wrk is missing.

wrk is the default because on this 2-core machine one Python client process cannot load even the
bare hello-world fully (it reached about half of wrk's requests/s on it), which would flatter the
ratio of a slower app. Both keep CLIENTS keep-alive connections busy, each sending its next
request when the last answer is in, and count as errors every answer of status 400 or more and
every socket error (the Python client also any status but 200).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import tempfile
import time

WRK_THREADS = 2

DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk_load(port: int, method: str, path: str, body: bytes, content_type: str, clients: int, duration: float) -> dict:
    """One wrk run; its Lua script sets the request and prints the figures as JSON when done."""
    script = f"wrk.method = {json.dumps(method)}\nwrk.headers['User-Agent'] = 'bench'\n"
    if body:
        script += f"wrk.body = [==[{body.decode()}]==]\nwrk.headers['Content-Type'] = {json.dumps(content_type)}\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script + DONE)
        lua.flush()
        command = ["wrk", f"-t{WRK_THREADS}", f"-c{clients}", f"-d{round(duration)}s", "-s", lua.name]
        out = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    seconds = figures["duration_us"] / 1e6
    return {
        "rps": figures["requests"] / seconds,
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "requests": figures["requests"],
        "errors": figures["errors"],
        "first_error": None,
    }


def python_load(
    port: int, method: str, path: str, body: bytes, content_type: str, clients: int, duration: float
) -> dict:
    return run_load(port, request(method, path, body, content_type), clients, duration)


# -- the load ------------------------------------------------------------------------------------


class Client(asyncio.Protocol):
    """One keep-alive connection sending *request* again as soon as each answer is complete."""

    def __init__(self, request: bytes, stop: float, record: list, errors: list):
        self.request, self.stop, self.record, self.errors = request, stop, record, errors
        self.buffer = b""
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport
        self.send()

    def send(self):
        self.started = time.perf_counter()
        self.transport.write(self.request)

    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            length = next((int(h.split(":", 1)[1]) for h in head if h.lower().startswith("content-length:")), 0)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            now = time.perf_counter()
            self.record.append(now - self.started)
            if head[0].split()[1] != "200":
                self.errors.append(head[0])
            if now >= self.stop:
                self.transport.close()
                return
            self.send()

    def connection_lost(self, exc):
        if not self.done.done():
            self.done.set_result(None)
        if exc is not None:
            self.errors.append(repr(exc))


async def load(port: int, request: bytes, clients: int, duration: float) -> tuple[list[float], list[str]]:
    loop = asyncio.get_running_loop()
    stop = time.perf_counter() + duration
    record: list[float] = []
    errors: list[str] = []
    protocols = []
    for _ in range(clients):
        _, protocol = await loop.create_connection(lambda: Client(request, stop, record, errors), "127.0.0.1", port)
        protocols.append(protocol)
    await asyncio.gather(*(p.done for p in protocols))
    return record, errors


def run_load(port: int, request: bytes, clients: int, duration: float) -> dict:
    import uvloop

    record, errors = uvloop.run(load(port, request, clients, duration))
    ordered = sorted(record)
    return {
        "rps": len(record) / duration,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))],
        "requests": len(record),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def request(method: str, path: str, body: bytes = b"", content_type: str = "") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n"
    if body:
        head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body
