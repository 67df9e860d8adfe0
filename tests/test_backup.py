"""qrpay backup and restore: a consistent copy of the register (SQLite or PostgreSQL) into a new
SQLite file, and back."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from conftest import register_rows

from qrpay import Qrpay, RegisterError, Settings
from qrpay.register import store as register_module
from qrpay.register.store import Register

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL


@pytest.fixture
def keyed(cli, keyring):
    return cli


def ids(home) -> list[str]:
    with Qrpay(Settings.load(home=home)) as desk:
        return [code.id for code in desk.register.list_codes()]


def test_backup_writes_a_self_contained_copy_that_opens_as_a_register(keyed, desk, home, tmp_path):
    for scene in ("window 1", "window 2"):
        desk.mint_scene("09", scene)
    target = tmp_path / "saved" / "register-backup.sqlite3"
    result = keyed("backup", "-o", target, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["backup"] == str(target)
    assert target.read_bytes()[18:20] == b"\x01\x01"  # rollback journal: no -wal needed beside it
    assert target.stat().st_mode & 0o777 == 0o600
    with Register.open(target, readonly=True) as copy:
        assert [code.id for code in copy.list_codes()] == ["C0000001", "C0000002"]
    assert os.listdir(target.parent) == [target.name]


def test_backup_includes_what_another_connection_has_not_checkpointed(keyed, desk, home, tmp_path):
    desk.mint_scene("09", "window 1")  # committed, still in the -wal while desk stays open
    assert keyed("backup", "-o", tmp_path / "b.sqlite3").exit_code == 0
    with Register.open(tmp_path / "b.sqlite3", readonly=True) as copy:
        assert len(copy.list_codes()) == 1


@pytest.mark.parametrize("case", ["exists", "folder", "under a file"])
def test_backup_never_overwrites_and_refuses_impossible_targets(keyed, desk, tmp_path, case):
    desk.mint_scene("09", "window 1")
    target = {"exists": tmp_path / "old.sqlite3", "folder": tmp_path, "under a file": tmp_path / "f" / "b.sqlite3"}[
        case
    ]
    if case == "exists":
        target.write_bytes(b"precious")
    if case == "under a file":
        (tmp_path / "f").write_bytes(b"a file")
    before = sorted(os.listdir(tmp_path))
    result = keyed("backup", "-o", target)
    assert result.exit_code == 2 and result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    assert sorted(os.listdir(tmp_path)) == before
    if case == "exists":
        assert target.read_bytes() == b"precious"


def test_restore_brings_back_the_backup_and_keeps_what_was_there(keyed, desk, home, tmp_path):
    desk.mint_scene("09", "window 1")
    keyed("backup", "-o", tmp_path / "b.sqlite3")
    later, _ = desk.mint_scene("09", "window 2")
    desk.revoke("C0000001", "reprinted")
    desk.close()

    result = keyed("restore", tmp_path / "b.sqlite3", "--json")
    assert result.exit_code == 0, result.stderr
    kept = json.loads(result.stdout)["previous_saved_to"]
    assert ids(home) == ["C0000001"]
    assert keyed("verify", desk.get("C0000001").payload).exit_code == 0  # no longer revoked
    assert keyed("verify", later.payload).exit_code == 1  # minted after the backup: not found
    with Register.open(kept, readonly=True) as previous:
        assert [code.id for code in previous.list_codes(revoked=True)] == ["C0000001"]
        assert len(previous.list_codes()) == 2


def test_restore_refuses_what_is_not_a_healthy_register_and_changes_nothing(keyed, desk, home, tmp_path, engine):
    desk.mint_scene("09", "window 1")
    desk.close()
    before = register_rows(home)
    if engine == "sqlite":
        before_bytes = (home / "register.sqlite3").read_bytes()
    bad = tmp_path / "bad.sqlite3"
    for content, fragment in ((b"", "empty"), (b"not a database", "not an SQLite database")):
        bad.write_bytes(content)
        result = keyed("restore", bad)
        assert result.exit_code == 2 and fragment in result.stderr and str(bad) in result.stderr
    result = keyed("restore", tmp_path / "missing.sqlite3")
    assert result.exit_code == 2 and "no backup file" in result.stderr
    assert register_rows(home) == before
    if engine == "sqlite":
        assert (home / "register.sqlite3").read_bytes() == before_bytes
    assert sorted(os.listdir(home)) == ["keyring.json"] + (["register.sqlite3"] if engine == "sqlite" else [])


def test_restoring_a_backup_from_an_older_qrpay_brings_it_up_to_date(home, keyring, tmp_path, monkeypatch):
    old = tmp_path / "old.sqlite3"
    with monkeypatch.context() as patch:
        patch.setattr(register_module, "MIGRATIONS", register_module.MIGRATIONS[:1])
        with Register.open(old) as register:
            assert register.migrations() == ["0001_codes"]
    with Qrpay(Settings.load(home=home)) as desk:
        desk.register.restore(old)
        assert desk.register.migrations() == [name for name, _ in register_module.MIGRATIONS]
    with pytest.raises(RegisterError, match="newer than this qrpay"):
        db = sqlite3.connect(old)
        db.execute("PRAGMA user_version = 99")
        db.commit()
        db.close()
        with Qrpay(Settings.load(home=home)) as desk:
            desk.register.restore(old)
