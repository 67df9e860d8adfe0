"""Backup and restore: a register's rows copied whole between engines.

A backup is always one self-contained SQLite register file, whichever engine the register is on:
SQLite's online backup copies the file; a PostgreSQL register is read in one REPEATABLE READ
snapshot (consistent while desks keep writing) and written into a new SQLite register. A
restore checks the file first (:func:`.files.open_backup`), saves what the register holds, then
replaces every row in one transaction: all of the backup is restored, or nothing changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import REGISTER_NAME
from ..errors import InputError
from ..fileio import check_writable_target
from . import files
from .dialect import Postgres, Sqlite
from .schema import MIGRATIONS, SEQUENCES, TABLES, expected_shape

if TYPE_CHECKING:
    from .store import Register

CHUNK = 5000  # rows per executemany


def _columns(table: str) -> list[str]:
    tables = expected_shape(len(MIGRATIONS))["tables"]
    assert isinstance(tables, dict)
    return [column[0] for column in tables[table][0]]


def copy_rows(source: Sqlite | Postgres, dest: Sqlite | Postgres) -> None:
    """Copy every row of every table from *source* into *dest* (both at this qrpay's schema),
    parents before children; the caller holds the transactions."""
    for table in TABLES:
        names = ", ".join(_columns(table))
        marks = ", ".join("?" * len(_columns(table)))
        cursor = source.execute(f"SELECT {names} FROM {table} ORDER BY 1")
        while rows := cursor.fetchmany(CHUNK):
            dest.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def backup(register: Register, target: Path, migrate: Callable[[Sqlite], None]) -> Path:
    """Write the register to the new file *target*; *migrate* makes an empty SQLite register's schema."""
    target = check_writable_target(Path(target), example="register-backup.sqlite3")
    taken = f"{target} already exists; a backup never overwrites a file, so give a new name"
    if target.exists():
        raise InputError(taken)
    db = register.db

    def fill(copy: sqlite3.Connection) -> None:
        if isinstance(db, Sqlite):
            db.raw.backup(copy)
        else:
            dest = Sqlite(target, copy)
            migrate(dest)
            db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                dest.begin()
                dest.execute("DELETE FROM migrations")
                copy_rows(db, dest)
                dest.commit()
            finally:
                db.rollback()
        copy.execute("PRAGMA journal_mode = DELETE")

    if not files.build_new(target, fill):
        raise InputError(taken)
    return target


def restore(register: Register, source: Path, migrate: Callable[[Sqlite], None]) -> Path:
    """Replace *register*'s rows with the backup file *source*; returns where the old ones were saved."""
    backup_db, version = files.open_backup(source)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    db = register.db
    try:
        if isinstance(db, Sqlite):
            kept = register.backup(db.path.with_name(f"{db.path.name}.before-restore-{stamp}"))
            backup_db.backup(db.raw)  # brought up to date when the register is prepared again
            return kept
        current = sqlite3.connect(":memory:", isolation_level=None)
        try:
            backup_db.backup(current)
            upgraded = Sqlite(source, current)
            if version < len(MIGRATIONS):
                migrate(upgraded)  # a backup from an older qrpay
            kept = register.backup((register.keep_dir or Path.cwd()) / f"{REGISTER_NAME}.before-restore-{stamp}")
            with register.transaction():
                db.lock_schema()
                db.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
                copy_rows(upgraded, db)
                for table, key in SEQUENCES.items():
                    db.follow_key(table, key)
            return kept
        finally:
            current.close()
    except sqlite3.DatabaseError as exc:
        raise files.unusable(source, exc) from None
    finally:
        backup_db.close()
