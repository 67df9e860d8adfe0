"""qrpay serve workers and minting desks on one register: a desk's revocation shows on every
worker's next answer, on SQLite and on PostgreSQL, with real processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from qrpay import Qrpay, Settings

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def get_or_none(url: str) -> int | None:
    try:
        return get(url)
    except OSError:
        return None


def verify(base: str, payload: str) -> str:
    request = urllib.request.Request(
        f"{base}/api/v1/verify", data=json.dumps({"input": payload}).encode(), method="POST"
    )
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["status"]


@pytest.fixture
def served(desk):
    """``qrpay serve --workers 2`` on the test's register, answering on a free loopback port."""
    desk.list_codes()  # the register exists before the service opens it (read-only, never creating it)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "qrpay", "serve", "--port", str(port), "--workers", "2", "--no-access-log"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while get_or_none(f"{base}/healthz") != 200:
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else "serve exited"
        assert time.monotonic() < deadline, "qrpay serve did not become healthy"
        time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(timeout=30)


def test_every_worker_shows_a_desks_revocation_on_its_next_answer(served, desk, home):
    code = desk.mint_scene("09", "window 1")[0]
    path = urlsplit(code.payload).path
    # many requests over fresh connections reach both workers
    assert {get(served + path) for _ in range(12)} == {200}
    assert {verify(served, code.payload) for _ in range(12)} == {"genuine"}
    other_desk = subprocess.run(
        [sys.executable, "-m", "qrpay", "revoke", code.id, "--reason", "sticker pasted over"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
    )
    assert other_desk.returncode == 0, other_desk.stderr
    assert {get(served + path) for _ in range(12)} == {410}
    assert {verify(served, code.payload) for _ in range(12)} == {"revoked"}
    with Qrpay(Settings.load(home=home)) as again:
        assert again.verify(code.payload).status == "revoked"
