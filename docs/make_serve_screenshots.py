"""Screenshots of the payer's page for the README: genuine and forged, on a phone and on a desktop.

    python docs/make_serve_screenshots.py      # needs /usr/bin/chromium and the test extras

Runs `qrpay serve` on a throw-away home, opens the pages in Chromium and writes docs/img/serve-*.png.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from qrpay import Qrpay, Settings
from qrpay.keys import Keyring

IMG = Path(__file__).parent / "img"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ARGS += ["--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 360, "height": 780}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def main() -> None:
    home = Path(tempfile.mkdtemp()) / "home"
    Keyring.init(home / "keyring.json")
    with Qrpay(Settings.load(home=home, base_url="https://pay.hz.gov.cn/q/")) as desk:
        code = desk.mint_scene("07", "出入境接待大厅 3 号窗口")[0]
    path = urlsplit(code.payload).path
    head, tag = path.rsplit(".", 1)
    forged = f"{head}.{'B' if tag[0] == 'A' else 'A'}{tag[1:]}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "QRPAY_HOME": str(home),
        "QRPAY_BASE_URL": "https://pay.hz.gov.cn/q/",
        "QRPAY_PAY_URL": "https://pay.example.invalid/entry",
    }
    server = subprocess.Popen([sys.executable, "-m", "qrpay", "serve", "--port", str(port), "--no-access-log"], env=env)
    origin = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(origin + "/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for name, device in (("phone", PHONE), ("desktop", DESKTOP)):
                page = browser.new_context(**device, locale="zh-CN").new_page()
                for kind, url_path in (("genuine", path), ("forged", forged)):
                    page.goto(origin + url_path)
                    page.screenshot(path=str(IMG / f"serve-{kind}-{name}.png"), full_page=name == "phone")
            browser.close()
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
