"""The SQLite register file: opening, creating and checking it, never harming what is there.

A file that is not a qrpay register (empty, corrupt, foreign, or from a newer qrpay) is refused
from its header before SQLite could write to it. New files (a register, a backup) are built
beside their name and linked into place, so nobody ever sees half of one.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import RegisterError
from ..fileio import check_writable_target
from .schema import APPLICATION_ID, MIGRATIONS, differences, expected_shape, shape

BUSY_TIMEOUT_S = 30.0
SQLITE_MAGIC = b"SQLite format 3\x00"
UNTOUCHED = "it was left untouched"
RESTORE_HINT = "restore your latest backup with 'qrpay restore FILE'"


def foreign(path: Path) -> RegisterError:
    return RegisterError(f"{path} is an SQLite database of another program, not a qrpay register; {UNTOUCHED}")


def check_version(where: object, version: int) -> int:
    """*version*, unless it is newer than the migrations this qrpay knows."""
    if version > len(MIGRATIONS):
        raise RegisterError(
            f"register {where} has schema version {version}, newer than this qrpay knows "
            f"({len(MIGRATIONS)}); upgrade qrpay to use it ({UNTOUCHED})"
        )
    return version


def unusable(path: Path, exc: sqlite3.Error) -> RegisterError:
    """The error for an SQLite failure while opening *path*: damage, or something in the way."""
    if getattr(exc, "sqlite_errorcode", 0) & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return RegisterError(f"register {path} is damaged ({exc}); {RESTORE_HINT}; {UNTOUCHED}")
    return RegisterError(f"cannot open register {path}: {exc}")


def read_only_because(path: Path) -> str | None:
    """Why the register at *path* can only be read, or None when it can be written.

    A file or folder without any write bit counts as read-only even for root, who could
    write it anyway: someone marked it so on purpose.
    """
    for target, what in ((path, "the file"), (path.parent, f"its folder {path.parent}")):
        if not (os.access(target, os.W_OK) and target.stat().st_mode & 0o222):
            return f"{what} is read-only (chmod u+w {target} makes it writable)"
    return None


def connect(path: Path, *, readonly: bool, timeout: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """Connect to *path*. A read-only register nobody can be changing opens immutable, so
    SQLite needs no -wal/-shm beside it (it could not create them in a read-only folder)."""
    uri = path.absolute().as_uri()
    if readonly:
        unchanging = read_only_because(path) is not None and not Path(f"{path}-wal").exists()
        uri += "?immutable=1" if unchanging else "?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=False)


def check_header(path: Path) -> None:
    """Refuse, from its first 100 bytes alone, a file that is not a register this qrpay can use."""
    try:
        with path.open("rb") as handle:
            head = handle.read(100)
    except OSError as exc:
        raise RegisterError(f"cannot read register {path}: {exc.strerror}") from None
    if not head:
        raise RegisterError(
            f"register {path} is an empty file, not a qrpay register; {UNTOUCHED} "
            "(if it should hold nothing, delete it and qrpay starts a new one)"
        )
    if not head.startswith(SQLITE_MAGIC):
        raise RegisterError(f"{path} is not a qrpay register (not an SQLite database); {UNTOUCHED}")
    if len(head) < 100:
        raise RegisterError(f"register {path} is truncated ({len(head)} bytes); {RESTORE_HINT}; {UNTOUCHED}")
    if int.from_bytes(head[68:72], "big") != APPLICATION_ID:
        raise foreign(path)
    check_version(path, int.from_bytes(head[60:64], "big"))


def check_open(db: sqlite3.Connection, path: Path) -> int:
    """Check what SQLite sees (the file's header can lag behind its -wal); return the schema version."""
    if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        raise foreign(path)
    version = check_version(path, db.execute("PRAGMA user_version").fetchone()[0])
    problems = [line for row in db.execute("PRAGMA quick_check") for line in row[0].splitlines()]
    if problems != ["ok"]:
        detail = next(line for line in problems if not line.startswith("***"))
        raise RegisterError(f"register {path} is damaged ({detail}); {RESTORE_HINT}; {UNTOUCHED}")
    return version


def open_backup(source: Path) -> tuple[sqlite3.Connection, int]:
    """A read-only connection to the backup file *source* and its schema version, after checking
    that its schema is exactly what this qrpay's migrations make: the same tables and columns,
    the same indexes, and no trigger or view of its own (a trigger would run inside the register)."""
    check_header(source)
    db = connect(source, readonly=True)
    try:
        version = check_open(db, source)
        names = [row[0] for row in db.execute("SELECT name FROM migrations ORDER BY name")]
        if names != [name for name, _ in MIGRATIONS[:version]]:
            raise RegisterError(f"backup {source} records migrations this qrpay did not make; {UNTOUCHED}")
        problems = differences(shape(db), expected_shape(version))
        if problems:
            raise RegisterError(
                f"backup {source} does not have the schema qrpay makes ({'; '.join(problems[:3])}); "
                f"nothing was restored and the register was left untouched"
            )
    except sqlite3.DatabaseError as exc:
        db.close()
        raise unusable(source, exc) from None
    except BaseException:
        db.close()
        raise
    return db, version


def build_new(path: Path, fill: Callable[[sqlite3.Connection], None]) -> bool:
    """Write a new SQLite file beside *path* with *fill*, then give it the name *path*.

    Returns False, replacing nothing, when *path* exists by then. Nobody ever sees half a file.
    """
    check_writable_target(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
        os.close(handle)
    except OSError as exc:
        raise RegisterError(f"cannot write {path}: {exc.strerror}") from None
    tmp = Path(name)
    try:
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            fill(db)
        finally:
            db.close()
        return _link(tmp, path)
    except (OSError, sqlite3.Error) as exc:
        raise RegisterError(f"cannot write {path}: {exc}") from None
    finally:
        for leftover in (tmp, *(Path(f"{tmp}{end}") for end in ("-journal", "-wal", "-shm"))):
            leftover.unlink(missing_ok=True)


def _link(tmp: Path, path: Path) -> bool:
    """Give *tmp* the name *path* unless that exists (atomically where hard links work)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    except OSError:  # a filesystem without hard links
        if path.exists():
            return False
        os.replace(tmp, path)
    return True
