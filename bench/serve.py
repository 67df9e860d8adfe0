"""Benchmark of qrpay serve against a bare ASGI hello-world, served the same way in the same run.

    python bench/serve.py [--duration 30] [--clients 32] [--workers 2]

Both servers are uvicorn with httptools and uvloop, N workers, no access log, no server header.
The load: CLIENTS keep-alive connections from one uvloop process, each sending its next request
when the last answer is in. Printed per target: requests/s, p50/p99 latency, errors, ratio to
the bare app; then TCP_NODELAY as found on every worker's accepted sockets (read from outside
with pidfd_getfd, while the load runs) and where one request's time goes in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
UVICORN = ["--http", "httptools", "--loop", "uvloop", "--no-access-log", "--no-server-header", "--no-proxy-headers"]


async def hello(scope, receive, send):
    """The bare baseline: a fixed 200 with a 13-byte body and its length (so no chunked encoding)."""
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"13")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"Hello, world!"})


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


# -- the servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(app: list[str], port: int, workers: int, env: dict, probe: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "uvicorn", *app, "--port", str(port), "--workers", str(workers), *UVICORN]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit(f"server {app} did not start")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError):
                pass
    return found


def nodelay_of_workers(parent: int, port: int) -> dict[int, str]:
    """For each worker: how many of its accepted connections on *port* have TCP_NODELAY set."""
    libc = ctypes.CDLL(None, use_errno=True)
    result = {}
    for pid in children(parent):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError as exc:
            result[pid] = f"cannot inspect ({exc.strerror})"
            continue
        on = total = 0
        for fd_path in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if not os.readlink(fd_path).startswith("socket:"):
                    continue
            except OSError:
                continue
            dup = libc.syscall(438, pidfd, int(fd_path.name), 0)  # pidfd_getfd
            if dup < 0:
                result[pid] = f"cannot inspect (errno {ctypes.get_errno()})"
                break
            with socket.socket(fileno=dup) as sock:
                try:
                    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.getsockname()[1] != port:
                        continue
                    sock.getpeername()
                except OSError:
                    continue  # the listening socket, or not TCP
                total += 1
                on += bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        else:
            if total:  # uvicorn's other children (multiprocessing's helpers) hold no connections
                result[pid] = f"{on}/{total} accepted connections with TCP_NODELAY"
        os.close(pidfd)
    return result


def measure(name: str, server: subprocess.Popen, port: int, request: bytes, args) -> dict:
    """Load the server; half-way, look at its workers' sockets."""
    import threading

    found = {}
    timer = threading.Timer(args.duration / 2, lambda: found.update(nodelay_of_workers(server.pid, port)))
    timer.start()
    figures = run_load(port, request, args.clients, args.duration)
    timer.join()
    figures["nodelay"] = found
    print(
        f"{name:<28} {figures['rps']:>9.0f} req/s   p50 {figures['p50_ms']:6.2f} ms   p99 {figures['p99_ms']:6.2f} ms"
        f"   errors {figures['errors']}" + (f" ({figures['first_error']})" if figures["errors"] else ""),
        flush=True,
    )
    for pid, state in found.items():
        print(f"{'':<28} worker {pid}: {state}")
    return figures


def request(method: str, path: str, body: bytes = b"", content_type: str = "") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n"
    if body:
        head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


# -- in-process costs -------------------------------------------------------------------------------


def asgi_call(app, method: str, path: str, body: bytes = b"") -> int:
    """One request straight into *app*, no server or socket: the app's own cost."""
    headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json")]
    if body:
        headers.append((b"content-length", str(len(body)).encode()))
    scope = {"type": "http", "http_version": "1.1", "method": method, "path": path, "raw_path": path.encode()}
    scope.update(scheme="http", query_string=b"", root_path="", headers=headers, client=("127.0.0.1", 1))
    scope["server"] = ("127.0.0.1", 80)
    status = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])

    LOOP.run_until_complete(app(scope, receive, send))
    return status[0]


LOOP = asyncio.new_event_loop()


def where_time_goes(home: Path, token: str, payload: str, repeat: int = 3000) -> None:
    """Per request, in one process without sockets: verify, the page's template, the whole app."""
    from qrpay import Qrpay, Settings
    from qrpay.web import ServeSettings, create_app
    from qrpay.web.pages import look_up, templates

    settings = Settings.load(home=home)
    qrpay = Qrpay(settings, reader=True)

    def per_call(action) -> float:
        action()
        started = time.perf_counter()
        for _ in range(repeat):
            action()
        return (time.perf_counter() - started) / repeat * 1e6

    page = look_up(qrpay, token)
    template = templates.get_template("code.html")
    context = dict(page=page, warning=None, form={}, errors={}, platform="p", payee="p", contact="c", css="/x.css")
    costs = {
        "Qrpay.verify (HMAC + one SELECT)": per_call(lambda: qrpay.verify(payload)),
        "look_up (verify + catalog names)": per_call(lambda: look_up(qrpay, token)),
        "Jinja render of the page": per_call(lambda: template.render(**context, can_pay=True, report_hint="")),
    }
    app = create_app(ServeSettings(settings, api_rate=0))
    page_path = "/" + payload.split("/", 3)[3]
    body = json.dumps({"input": payload}).encode()
    costs["whole app, page (direct ASGI call)"] = per_call(lambda: asgi_call(app, "GET", page_path))
    costs["whole app, verify (direct ASGI call)"] = per_call(lambda: asgi_call(app, "POST", "/api/v1/verify", body))
    costs["bare hello (direct ASGI call)"] = per_call(lambda: asgi_call(hello, "GET", "/"))
    print("\nin-process cost per request (µs):")
    for what, micros in costs.items():
        print(f"  {what:<34} {micros:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from qrpay import Qrpay, Settings
    from qrpay.keys import Keyring

    home = Path(tempfile.mkdtemp()) / "home"
    Keyring.init(home / "keyring.json")
    with Qrpay(Settings.load(home=home, base_url="https://pay.hz.gov.cn/q/")) as desk:
        for n in range(200):
            desk.mint_scene("09", f"window {n}")
        code = desk.mint_scene("07", "出入境接待大厅 3 号窗口")[0]
    env = {
        **os.environ,
        "QRPAY_HOME": str(home),
        "QRPAY_BASE_URL": "https://pay.hz.gov.cn/q/",
        "QRPAY_PAY_URL": "https://pay.example.invalid/entry",
        "QRPAY_API_RATE": "0",  # one address sends everything here
    }
    print(
        f"{os.cpu_count()} CPUs; {args.workers} workers per server; {args.clients} clients; {args.duration:.0f} s each"
    )
    results = {}
    port = free_port()
    bare = start(["serve:hello", "--app-dir", str(HERE)], port, args.workers, env, "/")
    try:
        results["bare"] = measure("bare ASGI hello-world", bare, port, request("GET", "/"), args)
    finally:
        bare.terminate()
        bare.wait(10)
    port = free_port()
    site = start(["qrpay.web:app_from_env", "--factory"], port, args.workers, env, "/healthz")
    try:
        path = "/q/" + code.token
        results["page"] = measure("payer page GET /q/TOKEN", site, port, request("GET", path), args)
        body = json.dumps({"input": code.payload}).encode()
        verify = request("POST", "/api/v1/verify", body, "application/json")
        results["verify"] = measure("POST /api/v1/verify", site, port, verify, args)
    finally:
        site.terminate()
        site.wait(10)
    for name in ("page", "verify"):
        print(f"ratio {name} / bare: {results[name]['rps'] / results['bare']['rps']:.2f}")
    where_time_goes(home, code.token, code.payload)


if __name__ == "__main__":
    main()
