"""qrpay restore holds a backup to exactly the schema the migrations make: the same tables and
columns, the same indexes, and no trigger or view of its own. Anything else is one clean error,
and the register (on either engine) is left as it was, with no safety copy made."""

from __future__ import annotations

import os
import sqlite3

import pytest
from conftest import register_rows

pytestmark = pytest.mark.usefixtures("engine")  # each test on SQLite and on PostgreSQL

CHANGES = {
    "a trigger": "CREATE TRIGGER steal AFTER INSERT ON codes BEGIN UPDATE codes SET payload = 'https://evil.example/'; END",
    "a view": "CREATE VIEW live AS SELECT * FROM codes WHERE revoked_at IS NULL",
    "a table of its own": "CREATE TABLE notes (body TEXT)",
    "an extra column": "ALTER TABLE codes ADD COLUMN bank_account TEXT",
    "a dropped index": "DROP INDEX renders_serial",
    "an index of its own": "CREATE INDEX codes_kid ON codes (kid)",
    "a dropped unique index": "DROP INDEX codes_live_purpose",
    "a changed index": "DROP INDEX renders_serial; CREATE INDEX renders_serial ON renders (path)",
    "a table rebuilt without its checks": (
        "PRAGMA foreign_keys = OFF; ALTER TABLE statements RENAME TO old; "
        "CREATE TABLE statements (id INTEGER PRIMARY KEY, digest TEXT, name TEXT, encoding TEXT, imported_at TEXT); "
        "DROP TABLE old"
    ),
}


@pytest.fixture
def keyed(cli, keyring):
    return cli


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_backup_whose_schema_differs_is_refused_and_the_register_is_untouched(keyed, desk, home, tmp_path, change):
    desk.mint_scene("09", "window 1")
    assert keyed("backup", "-o", tmp_path / "b.sqlite3").exit_code == 0
    desk.mint_scene("09", "window 2")
    desk.close()
    db = sqlite3.connect(tmp_path / "b.sqlite3", isolation_level=None)
    db.executescript(CHANGES[change])
    db.close()
    before, files = register_rows(home), sorted(os.listdir(home))

    result = keyed("restore", tmp_path / "b.sqlite3")
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("Error: backup ") and len(result.stderr.splitlines()) == 1
    assert "does not have the schema qrpay makes" in result.stderr and "Traceback" not in result.stderr
    assert register_rows(home) == before and len(before["codes"]) == 2
    assert sorted(os.listdir(home)) == files  # no before-restore copy either


def test_an_unchanged_backup_restores(keyed, desk, home, tmp_path):
    desk.mint_scene("09", "window 1")
    assert keyed("backup", "-o", tmp_path / "b.sqlite3").exit_code == 0
    desk.mint_scene("09", "window 2")
    desk.close()
    result = keyed("restore", tmp_path / "b.sqlite3")
    assert result.exit_code == 0, result.stderr
    assert [row[0] for row in register_rows(home)["codes"]] == [1]


def test_a_backup_recording_migrations_qrpay_never_made_is_refused(keyed, desk, home, tmp_path):
    desk.mint_scene("09", "window 1")
    assert keyed("backup", "-o", tmp_path / "b.sqlite3").exit_code == 0
    desk.close()
    db = sqlite3.connect(tmp_path / "b.sqlite3", isolation_level=None)
    db.execute("UPDATE migrations SET name = '0002_something_else' WHERE name = '0002_renders'")
    db.close()
    before = register_rows(home)
    result = keyed("restore", tmp_path / "b.sqlite3")
    assert result.exit_code == 2 and "migrations this qrpay did not make" in result.stderr
    assert register_rows(home) == before
