"""Benchmark of qrpay serve against a bare ASGI hello-world, served the same way in the same run.

    python bench/serve.py [--duration 30] [--repeat 3] [--clients 32] [--workers 2] [--client wrk|python]
                          [--compare CHECKOUT]

Both servers are uvicorn with httptools and uvloop, N workers, no access log, no server header,
no proxy-header layer (as `qrpay serve` runs). The load (load.py): wrk with two threads keeping
CLIENTS keep-alive connections busy. Each round loads the bare app, the payer page and
POST /api/v1/verify in turn, with the load average before each; printed per target: requests/s,
p50/p99 latency, the workers' CPU time per request (from /proc: steadier than requests/s on a
shared machine), errors, TCP_NODELAY as found on every worker's accepted sockets half-way (read
from outside with pidfd_getfd); then the medians over the rounds, the ratio to the bare app (the
median of the rounds' ratios) and where one request's time goes in-process. --compare CHECKOUT
serves that checkout's qrpay too (PYTHONPATH), loaded in the same rounds: before and after.
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
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from load import have_wrk, python_load, wrk_load

HERE = Path(__file__).resolve().parent
BASE_URL = "https://pay.hz.gov.cn/q/"
PAY_URL = "https://pay.example.invalid/entry"
UVICORN = ["--http", "httptools", "--loop", "uvloop", "--no-access-log", "--no-server-header", "--no-proxy-headers"]


async def hello(scope, receive, send):
    """The bare baseline: a fixed 200 with a 13-byte body and its length (so no chunked encoding)."""
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"13")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"Hello, world!"})


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


def cpu_seconds(parent: int) -> float:
    """User and system CPU time of *parent*'s children so far (the server's workers)."""
    ticks = 0
    for pid in children(parent):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(name: str, server: subprocess.Popen, port: int, target: tuple, args) -> dict:
    """Load the server with *target* (method, path, body, content type); half-way, look at its workers' sockets."""
    found: dict[int, str] = {}
    cpu_before = cpu_seconds(server.pid)
    timer = threading.Timer(args.duration / 2, lambda: found.update(nodelay_of_workers(server.pid, port)))
    timer.start()
    load = wrk_load if args.client == "wrk" else python_load
    method, path, body, content_type = target
    figures = load(port, method, path, body, content_type, args.clients, args.duration)
    figures["cpu_us"] = (cpu_seconds(server.pid) - cpu_before) / max(figures["requests"], 1) * 1e6
    timer.join()
    nodelay = ", ".join(state.split(" accepted")[0] for state in found.values())
    print(
        f"  {name:<26} {figures['rps']:>8.0f} req/s   p50 {figures['p50_ms']:6.2f} ms   p99 {figures['p99_ms']:6.2f} ms"
        f"   workers' CPU {figures['cpu_us']:5.1f} µs/req   errors {figures['errors']}   TCP_NODELAY on {nodelay} per worker"
        + (f" ({figures['first_error']})" if figures["first_error"] else ""),
        flush=True,
    )
    return figures


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

    settings = Settings.load(home=home, base_url=BASE_URL, pay_url=PAY_URL)
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
    costs["whole app, page (answer kept)"] = per_call(lambda: asgi_call(app, "GET", page_path))
    costs["whole app, verify (answer kept)"] = per_call(lambda: asgi_call(app, "POST", "/api/v1/verify", body))
    cache: Any = app  # the answer cache is the outermost layer; behind it, the routes
    costs["  of which the reader's marker"] = per_call(cache.reader.marker)
    starlette = cache.app  # the same app behind the cache: every request verifies and renders
    costs["whole app, page (nothing kept)"] = per_call(lambda: asgi_call(starlette, "GET", page_path))
    costs["whole app, verify (nothing kept)"] = per_call(lambda: asgi_call(starlette, "POST", "/api/v1/verify", body))
    costs["bare hello"] = per_call(lambda: asgi_call(hello, "GET", "/"))
    print("\nin-process cost per request, direct ASGI calls without a socket (µs):")
    for what, micros in costs.items():
        print(f"  {what:<34} {micros:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per target and round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk" if have_wrk() else "python")
    parser.add_argument(
        "--compare",
        metavar="CHECKOUT",
        help="also serve the qrpay of another checkout (e.g. the main branch's) in the same rounds",
    )
    args = parser.parse_args()
    if args.client == "python":
        print(
            "wrk not found (apt-get install wrk): the Python client cannot load the bare app fully, "
            "so the ratios below are flattering",
            file=sys.stderr,
        )

    from qrpay import Qrpay, Settings
    from qrpay.keys import Keyring

    home = Path(tempfile.mkdtemp()) / "home"
    Keyring.init(home / "keyring.json")
    with Qrpay(Settings.load(home=home, base_url=BASE_URL)) as desk:
        for n in range(200):
            desk.mint_scene("09", f"window {n}")
        code = desk.mint_scene("07", "出入境接待大厅 3 号窗口")[0]
    env = {
        **os.environ,
        "QRPAY_HOME": str(home),
        "QRPAY_BASE_URL": BASE_URL,
        "QRPAY_PAY_URL": PAY_URL,
        "QRPAY_API_RATE": "0",  # one address sends everything here
    }
    print(
        f"{os.cpu_count()} CPUs; {args.workers} workers per server; {args.clients} clients ({args.client}); "
        f"{args.duration:.0f} s per target; {args.repeat} rounds"
    )
    bare_port, site_port = free_port(), free_port()
    bare = start(["serve:hello", "--app-dir", str(HERE)], bare_port, args.workers, env, "/")
    site = start(["qrpay.web:app_from_env", "--factory"], site_port, args.workers, env, "/healthz")
    verify = ("POST", "/api/v1/verify", json.dumps({"input": code.payload}).encode(), "application/json")
    targets = {
        "bare": ("bare ASGI hello-world", bare, bare_port, ("GET", "/", b"", "")),
        "page": ("payer page GET /q/TOKEN", site, site_port, ("GET", "/q/" + code.token, b"", "")),
        "verify": ("POST /api/v1/verify", site, site_port, verify),
    }
    servers = [bare, site]
    if args.compare:
        other_port = free_port()
        other_env = {**env, "PYTHONPATH": str(Path(args.compare).resolve())}
        other = start(["qrpay.web:app_from_env", "--factory"], other_port, args.workers, other_env, "/healthz")
        servers.append(other)
        targets["page, compared"] = ("page of " + args.compare, other, other_port, targets["page"][3])
        targets["verify, compared"] = ("verify of " + args.compare, other, other_port, verify)
    rounds: list[dict] = []
    try:
        for n in range(args.repeat):
            print(f"round {n + 1}, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
            rounds.append(
                {
                    key: measure(name, server, port, target, args)
                    for key, (name, server, port, target) in targets.items()
                }
            )
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
    print(f"\nmedians over {len(rounds)} rounds:")
    for key, (name, *_) in targets.items():
        rps, p50, p99, cpu = (
            statistics.median(r[key][f] for r in rounds) for f in ("rps", "p50_ms", "p99_ms", "cpu_us")
        )
        errors = sum(r[key]["errors"] for r in rounds)
        print(
            f"  {name:<26} {rps:>8.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"
            f"   workers' CPU {cpu:5.1f} µs/req   errors {errors}"
        )
    for key in [key for key in targets if key != "bare"]:
        ratios = [r[key]["rps"] / r["bare"]["rps"] for r in rounds]
        print(f"ratio {key} / bare: {statistics.median(ratios):.2f} (rounds: {', '.join(f'{x:.2f}' for x in ratios)})")
    where_time_goes(home, code.token, code.payload)


if __name__ == "__main__":
    main()
