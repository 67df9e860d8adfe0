"""qrpay serve in a real browser: Debian's Chromium driven by Playwright, on a phone's viewport.

The service runs as `qrpay serve` in its own process; the platform's payment entry is a stub
server in this test. Without /usr/bin/chromium the tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing; CI installs it with apt-get install chromium", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(args: list[str], env: dict[str, str], probe: str) -> Iterator[str]:
    """``python -m qrpay ARGS --port P`` in its own process, once *probe* answers; yields its origin."""
    port = free_port()
    command = [sys.executable, "-m", "qrpay", *args, "--port", str(port), "--no-access-log"]
    server = subprocess.Popen(command, env={**os.environ, **env}, stderr=subprocess.PIPE, text=True)
    origin = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(origin + probe, timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"qrpay {args[0]} did not start: {server.stderr.read()}")
            time.sleep(0.1)
    try:
        yield origin
    finally:
        server.terminate()
        server.wait(10)


class Platform(BaseHTTPRequestHandler):
    """The stub payment platform: records each arrival's query and says where the payer landed."""

    arrivals: list[dict] = []

    def do_GET(self) -> None:
        where = urlsplit(self.path)
        if where.path == "/pay":  # not the browser's /favicon.ico
            Platform.arrivals.append(parse_qs(where.query))
        body = b"<!doctype html><title>platform</title><h1 id=landed>platform stub</h1>"
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def platform():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Platform)
    Platform.arrivals = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/pay"
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(desk, platform):
    """`qrpay serve` on a free port, on the test's home; yields its origin."""
    env = {"QRPAY_PAY_URL": platform, "QRPAY_HOME": str(desk.settings.home)}
    with serving(["serve"], env, "/api/openapi.json") as origin:
        yield origin


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    page.csp_errors = []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text))
    yield page
    context.close()


def link(origin: str, code) -> str:
    return origin + urlsplit(code.payload).path


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_phone_opens_an_open_code_fills_the_form_and_lands_on_the_platform(site, desk, phone):
    code = desk.mint_open("06")[0]
    response = phone.goto(link(site, code))
    assert response.status == 200
    assert phone.get_attribute("body", "data-status") == "genuine"
    assert phone.is_visible("text=公民出入境证件费")
    phone.fill("#amount", "1.5")  # the server writes it with two decimals
    phone.fill("#reference", "出入境〔2026〕第12号")
    phone.click("button[type=submit]")
    phone.wait_for_selector("#landed")
    assert urlsplit(phone.url).path == "/pay"
    assert Platform.arrivals == [
        {
            "code": [code.payment_code.replace(" ", "")],
            "item": ["06"],
            "amount": ["1.50"],
            "ref": ["出入境〔2026〕第12号"],
        }
    ]
    assert phone.csp_errors == []


def test_a_wrong_amount_comes_back_with_the_error_and_goes_nowhere(site, desk, phone):
    code = desk.mint_open("06")[0]
    phone.goto(link(site, code))
    phone.fill("#amount", "12.345")
    phone.fill("#reference", "R-1")
    phone.click("button[type=submit]")
    phone.wait_for_selector("#amount-error")
    assert "两位小数" in phone.inner_text("#amount-error")
    assert Platform.arrivals == [] and phone.input_value("#reference") == "R-1"
    assert no_sideways_scroll(phone)


def test_a_forged_code_shows_the_warning(site, desk, phone):
    code = desk.mint_scene("09", "window 1")[0]
    forged = link(site, code)[:-2] + ("AA" if not link(site, code).endswith("AA") else "BB")
    response = phone.goto(forged)
    assert response.status == 404
    assert phone.get_attribute("body", "data-status") in ("forged", "malformed")
    assert phone.is_visible("text=请勿付款") and phone.is_visible("text=Do not pay")
    assert phone.locator("form").count() == 0
    color = phone.evaluate("getComputedStyle(document.querySelector('.verdict.stop')).backgroundColor")
    assert color == "rgb(198, 40, 40)"  # the stylesheet loaded under the CSP: the warning is red


@pytest.mark.parametrize("scene", ["窗口 3", "W" * 64, "出入境管理大队一楼自助缴费区第十二号窗口旁边的公告栏左侧位置"])
def test_no_page_scrolls_sideways_at_360_px(site, desk, phone, scene):
    genuine = desk.mint_scene("07", scene)[0]
    revoked = desk.mint_scene("09", scene)[0]
    desk.revoke(revoked.id, "replaced")
    for url in (link(site, genuine), link(site, revoked), site + "/q/" + "x" * 150):
        phone.goto(url)
        assert no_sideways_scroll(phone), url
    assert phone.csp_errors == []
