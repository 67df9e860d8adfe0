"""qrpay desk's settings: the session key from QRPAY_HOME/desk-secret or a shared QRPAY_DESK_SECRET_FILE."""

from __future__ import annotations

import pytest
from conftest import DESK_PASSWORDS
from helpers import assert_one_error_line
from test_desk import login

from qrpay import Settings
from qrpay.desk import DeskSettings
from qrpay.desk.settings import SECRET_ENV

KEY = "k3y-shared-by-every-desk-behind-the-proxy-0123456789"


@pytest.fixture
def shared(tmp_path):
    path = tmp_path / "etc" / "desk-secret"
    path.parent.mkdir()
    path.write_text(KEY + "\n")
    path.chmod(0o600)
    return path


def test_the_secret_file_setting_signs_the_sessions_and_reaches_the_workers(shared, home, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, str(shared))
    settings = DeskSettings.load(Settings.load(home=home))
    assert settings.secret_file == shared and settings.session_key() == KEY.encode()
    assert not (home / "desk-secret").exists()  # the home's own key is not made
    monkeypatch.delenv(SECRET_ENV)
    for name, value in settings.environ().items():
        monkeypatch.setenv(name, value)
    assert DeskSettings.load().session_key() == KEY.encode()


def test_desks_given_one_secret_file_accept_each_others_sessions(desk_app, desk, cheap_hashes, shared):
    desk.users.add("land", "clerk", ["国土"], DESK_PASSWORDS["clerk"])
    first, second, own = desk_app(secret_file=shared), desk_app(secret_file=shared), desk_app()
    assert login(first, "land", DESK_PASSWORDS["clerk"]).status_code == 303
    second.cookies.update(dict(first.cookies))
    own.cookies.update(dict(first.cookies))
    assert second.get("/").status_code == 200
    assert own.get("/").status_code == 303  # signed with another key: no session


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda path: path.chmod(0o644), "must be readable by its owner only: chmod 600"),
        (lambda path: path.unlink(), "is not a file; make it once"),
        (lambda path: path.write_text("short\n"), "holds no usable key; put at least 32 characters in it"),
    ],
)
def test_an_unsafe_missing_or_empty_secret_file_is_one_error_line(cli, desk, shared, monkeypatch, make, fragment):
    make(shared)
    monkeypatch.setenv(SECRET_ENV, str(shared))
    line = assert_one_error_line(cli("desk", "--port", "1"), str(shared), fragment)
    assert KEY not in line
