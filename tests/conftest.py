"""Shared fixtures: every test gets its own qrpay home, keyring and register.

A test module that says ``pytestmark = pytest.mark.usefixtures("engine")`` runs each of its
tests twice: on the SQLite file and on a fresh PostgreSQL database of its own, made on the
server QRPAY_TEST_DATABASE_URL names (.ci/run starts one). Without that variable the PostgreSQL
cases are skipped with the reason, except under CI=true, where they fail: CI never passes
without having tested PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from helpers import BASE_URL_24, Cli

from qrpay import Qrpay, Settings
from qrpay.emergency.log import CollectionLog
from qrpay.keys import Keyring

TEST_SERVER = "QRPAY_TEST_DATABASE_URL"
os.environ.pop("QRPAY_DATABASE_URL", None)  # a developer's own shared register is never touched


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The PostgreSQL server to make test databases on (its role may create databases)."""
    url = os.environ.get(TEST_SERVER)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {TEST_SERVER} is unset: .ci/run must start PostgreSQL for the register tests")
        pytest.skip(
            f"PostgreSQL cases need {TEST_SERVER} (a server whose role may create databases; .ci/run starts one)"
        )
    return url


def database_url(server: str, name: str) -> str:
    """*server*'s URL naming the database *name* instead."""
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


@pytest.fixture
def pg_database(pg_server: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    import psycopg

    name = f"qrpay_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield database_url(pg_server, name)
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which engine the register is on for this run of the test: QRPAY_DATABASE_URL is set for PostgreSQL."""
    if request.param == "postgresql":
        monkeypatch.setenv("QRPAY_DATABASE_URL", request.getfixturevalue("pg_database"))
    return request.param


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


def register_rows(home: Path) -> dict[str, list[tuple]]:
    """Every row of every table of the register *home*'s settings name, on either engine
    (to show a failed command changed nothing)."""
    from qrpay.register.schema import TABLES

    with Qrpay(Settings.load(home=home)) as qrpay:
        db = qrpay.register.db
        return {table: [tuple(row) for row in db.execute(f"SELECT * FROM {table} ORDER BY 1, 2")] for table in TABLES}


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


# -- qrpay desk --------------------------------------------------------------------------------

DESK_PASSWORDS = {"clerk": "clerk-password-1", "officer": "officer-password-1"}


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its lowest costs, so tests that log in many times stay quick (the format is the same)."""
    from argon2 import PasswordHasher

    import qrpay.users

    monkeypatch.setattr(qrpay.users, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def desk_app(desk, cheap_hashes):
    """The staff desk in-process: ``desk_app(insecure_http=...)`` gives a TestClient on https://desk.test."""
    from starlette.testclient import TestClient

    from qrpay.desk import DeskSettings, create_app

    clients = []

    def make(*, client=("192.0.2.20", 5000), **desk_settings):
        app = create_app(DeskSettings(Settings.load(home=desk.settings.home), **desk_settings))
        test_client = TestClient(
            app, base_url="https://desk.test", follow_redirects=False, raise_server_exceptions=False, client=client
        )
        clients.append(test_client)
        return test_client

    yield make
    for test_client in clients:
        test_client.close()
