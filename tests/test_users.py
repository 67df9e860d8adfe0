"""qrpay users and qrpay audit-log: desk accounts kept as argon2 hashes, every change in the trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import register_rows
from helpers import assert_one_error_line

import qrpay.users
from qrpay.users import LOCK, Users

pytestmark = pytest.mark.usefixtures("engine", "cheap_hashes")
PASSWORD = "a-long-password-1"


def add(cli, name="alice", *args, password=PASSWORD):
    return cli("users", "add", name, *args, "--password-stdin", input=password + "\n")


def test_users_add_list_and_the_hash_is_never_shown(cli, desk):
    assert add(cli, "alice", "--role", "clerk", "--department", "国土", "--department", "公安").exit_code == 0
    assert add(cli, "olga", "--role", "officer").exit_code == 0
    listed = cli("users", "list", "--json")
    users = json.loads(listed.stdout)
    assert [(u["name"], u["role"], u["departments"], u["disabled"]) for u in users] == [
        ("alice", "clerk", ["国土", "公安"], False),
        ("olga", "officer", [], False),
    ]
    table = cli("users", "list").stdout
    stored = desk.register.db.execute("SELECT password_hash FROM users").fetchall()
    assert all(row[0].startswith("$argon2id$") for row in stored)
    for out in (listed.stdout, table):
        assert "argon2" not in out and PASSWORD not in out
    assert PASSWORD not in json.dumps(register_rows(desk.settings.home), ensure_ascii=False)


def test_the_password_prompt_asks_twice(cli, desk):
    result = cli("users", "add", "olga", "--role", "officer", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert desk.users.login("olga", PASSWORD, "test") is not None
    mismatch = cli("users", "add", "omar", "--role", "officer", input=f"{PASSWORD}\nother-password-2\n")
    assert mismatch.exit_code != 0 and "omar" not in cli("users", "list").stdout


@pytest.mark.parametrize(
    ("args", "password", "fragment"),
    [
        (["--role", "clerk", "--department", "火星"], PASSWORD, "department '火星' is not in the catalog"),
        (["--role", "clerk"], PASSWORD, "give at least one --department"),
        (["--role", "officer", "--department", "国土"], PASSWORD, "leave out --department"),
        (["--role", "boss"], PASSWORD, "--role must be clerk or officer"),
        (["--role", "officer"], "short", "10 to 256 characters"),
        (["--role", "officer"], " spaced-password ", "may not start or end with a space"),
    ],
)
def test_bad_users_are_one_error_line_and_change_nothing(cli, desk, args, password, fragment):
    before = register_rows(desk.settings.home)
    result = add(cli, "alice", *args, password=password)
    assert_one_error_line(result, fragment)
    assert register_rows(desk.settings.home) == before


def test_a_bad_name_and_a_taken_name_are_refused(cli):
    assert_one_error_line(add(cli, "two words", "--role", "officer"), "no spaces")
    assert add(cli, "olga", "--role", "officer").exit_code == 0
    assert_one_error_line(add(cli, "olga", "--role", "officer"), "already exists")


def test_disable_and_passwd_end_the_users_sessions(cli, desk):
    add(cli, "alice", "--role", "clerk", "--department", "国土")
    first = desk.users.login("alice", PASSWORD, "192.0.2.1")
    second = desk.users.login("alice", PASSWORD, "192.0.2.2")
    assert first and second and desk.users.session(first.secret)
    assert cli("users", "passwd", "alice", "--password-stdin", input="a-new-password-2\n").exit_code == 0
    assert desk.users.session(first.secret) is None and desk.users.session(second.secret) is None
    assert desk.users.login("alice", PASSWORD, "x") is None
    third = desk.users.login("alice", "a-new-password-2", "x")
    assert third is not None
    assert cli("users", "disable", "alice").exit_code == 0
    assert desk.users.session(third.secret) is None
    assert desk.users.login("alice", "a-new-password-2", "x") is None
    assert json.loads(cli("users", "list", "--json").stdout)[0]["disabled"] is True
    assert_one_error_line(cli("users", "disable", "nobody"), "no user named 'nobody'")


def test_audit_log_lists_every_change_newest_first(cli, desk):
    add(cli, "alice", "--role", "clerk", "--department", "国土")
    desk.users.login("alice", "wrong-password-9", "192.0.2.9")
    cli("users", "disable", "alice")
    trail = json.loads(cli("audit-log", "--json").stdout)
    assert [(a["action"], a["target"] or a["user"]) for a in trail] == [
        ("user-disable", "alice"),
        ("login-failed", "alice"),
        ("user-add", "alice"),
    ]
    assert trail[1]["address"] == "192.0.2.9" and trail[0]["user"].startswith("cli")
    only = json.loads(cli("audit-log", "--json", "--user", "alice", "--limit", "1").stdout)
    assert [a["action"] for a in only] == ["login-failed"]
    assert "login-failed" in cli("audit-log").stdout
    assert_one_error_line(cli("audit-log", "--limit", "0"), "--limit must be at least 1")


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def test_five_failures_in_15_minutes_lock_the_name_for_15_minutes(desk, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(qrpay.users, "now_utc", clock)
    users: Users = desk.users
    users.add("olga", "officer", [], PASSWORD)
    for _ in range(4):
        assert users.login("olga", "wrong-password-0", "a") is None
        clock.now += timedelta(minutes=3)
    assert users.login("olga", PASSWORD, "a") is not None  # four failures: not locked, and the count restarts
    for _ in range(5):
        assert users.login("olga", "wrong-password-0", "a") is None
        clock.now += timedelta(minutes=2)
    assert users.locked_until("olga") is not None
    assert users.login("olga", PASSWORD, "a") is None  # the right password does not open a locked name
    clock.now += LOCK - timedelta(minutes=2)
    assert users.login("olga", PASSWORD, "a") is not None
    actions = [a["action"] for a in users.actions(user="olga")]
    assert actions.count("login-locked") == 1 and actions.count("login-failed") == 9


def test_failures_spread_over_more_than_15_minutes_do_not_lock(desk, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(qrpay.users, "now_utc", clock)
    desk.users.add("olga", "officer", [], PASSWORD)
    for _ in range(8):
        desk.users.login("olga", "wrong-password-0", "a")
        clock.now += timedelta(minutes=4)
    assert desk.users.locked_until("olga") is None
    assert desk.users.login("olga", PASSWORD, "a") is not None


def test_an_unknown_name_costs_a_hash_check_like_a_known_one(desk, monkeypatch):
    desk.users.add("olga", "officer", [], PASSWORD)
    checked = []
    real = qrpay.users.HASHER

    class Spy:
        def hash(self, password):
            return real.hash(password)

        def verify(self, hashed, password):
            checked.append(hashed)
            return real.verify(hashed, password)

    monkeypatch.setattr(qrpay.users, "HASHER", Spy())
    assert desk.users.login("nobody", PASSWORD, "a") is None
    assert desk.users.login("olga", "wrong-password-0", "a") is None
    assert len(checked) == 2 and all(h.startswith("$argon2id$") for h in checked)
    for _ in range(5):
        desk.users.login("nobody", "x" * 12, "a")
    assert desk.users.locked_until("nobody") is not None  # unknown names lock alike: nothing tells them apart


def test_sessions_end_when_idle_and_after_a_working_day(desk, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(qrpay.users, "now_utc", clock)
    desk.users.add("olga", "officer", [], PASSWORD)
    session = desk.users.login("olga", PASSWORD, "a")
    clock.now += qrpay.users.IDLE - timedelta(minutes=1)
    assert desk.users.session(session.secret) is not None
    clock.now += qrpay.users.IDLE + timedelta(minutes=1)
    assert desk.users.session(session.secret) is None  # idle too long
    busy = desk.users.login("olga", PASSWORD, "a")
    for _ in range(int(qrpay.users.ABSOLUTE / timedelta(minutes=20))):
        assert desk.users.session(busy.secret) is not None
        clock.now += timedelta(minutes=20)
    assert desk.users.session(busy.secret) is None  # never idle, but too old


def test_users_sessions_and_the_trail_survive_backup_and_restore(desk, tmp_path):
    desk.users.add("olga", "officer", [], PASSWORD)
    session = desk.users.login("olga", PASSWORD, "192.0.2.1")
    desk.backup(tmp_path / "b.sqlite3")
    desk.users.disable("olga")
    desk.users.add("late", "officer", [], PASSWORD)
    desk.restore(tmp_path / "b.sqlite3")
    assert [(u.name, u.disabled_at) for u in desk.users.all()] == [("olga", None)]
    assert desk.users.session(session.secret) is not None
    assert [a["action"] for a in desk.users.actions()] == ["login"]
    desk.users.add("next", "officer", [], PASSWORD)  # the key sequence goes on after the restored rows
    assert [u.name for u in desk.users.all()] == ["next", "olga"]
