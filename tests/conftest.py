"""Shared fixtures: every test gets its own qrpay home, keyring and register."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import BASE_URL_24, Cli

from qrpay import Qrpay, Settings
from qrpay.emergency.log import CollectionLog
from qrpay.keys import Keyring


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
