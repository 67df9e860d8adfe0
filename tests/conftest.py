"""Shared fixtures: every test gets its own qrpay home, keyring and register."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qrpay import Qrpay, Settings
from qrpay.cli import app
from qrpay.emergency import CollectionLog
from qrpay.keys import Keyring

BASE_URL_24 = "https://pay.hz.gov.cn/q/"  # a realistic 24-character platform address


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty QRPAY_HOME, with the environment pointing at it."""
    home = tmp_path / "home"
    monkeypatch.setenv("QRPAY_HOME", str(home))
    monkeypatch.setenv("QRPAY_BASE_URL", BASE_URL_24)
    monkeypatch.delenv("QRPAY_TZ", raising=False)
    return home


@pytest.fixture
def keyring(home: Path) -> Keyring:
    return Keyring.init(home / "keyring.json")


@pytest.fixture
def desk(keyring: Keyring, home: Path):
    """A Qrpay with a fresh keyring and register, closed after the test."""
    qrpay = Qrpay(Settings.load(home=home))
    yield qrpay
    qrpay.close()


class Cli:
    """Runs qrpay commands in-process, with stdout and stderr kept apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):
        return self.runner.invoke(app, [str(arg) for arg in args], input=input, catch_exceptions=False)


@pytest.fixture
def cli(home: Path) -> Cli:
    return Cli()


@pytest.fixture
def code(desk):
    """An open code (item 06): the kind the collection log and reconciliation work with."""
    return desk.mint_open("06")[0]


@pytest.fixture
def log(desk) -> CollectionLog:
    return CollectionLog(desk)


# -- qrpay serve -------------------------------------------------------------------------------

PAY_URL = "https://platform.example.test/pay?channel=qr"  # the platform's payment entry (stubbed)


@pytest.fixture
def serve_app(desk):
    """Build the web app on the test's home: ``serve_app(pay_url=..., api_rate=...)`` gives a TestClient."""
    from starlette.testclient import TestClient

    from qrpay.web import ServeSettings, create_app

    clients = []

    def make(*, pay_url: str | None = PAY_URL, base_url: str | None = None, client=("192.0.2.10", 5000), **serve):
        settings = Settings.load(home=desk.settings.home, base_url=base_url, pay_url=pay_url)
        if pay_url is None:
            settings = replace(settings, pay_url=None)
        app = create_app(ServeSettings(settings, **serve))
        test_client = TestClient(app, follow_redirects=False, raise_server_exceptions=False, client=client)
        clients.append(test_client)
        return test_client

    yield make
    for test_client in clients:
        test_client.close()


@pytest.fixture
def web(serve_app):
    """The payer's site and API, in-process, redirecting to PAY_URL."""
    return serve_app()
