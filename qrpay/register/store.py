"""The register: an SQLite file recording every code, render and revocation.

Schema changes are named migrations recorded in the database itself. WAL mode and a busy
timeout let several qrpay processes work at once. A file that is not a qrpay register
(corrupt, foreign, or from a newer qrpay) is refused and never written.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NamedTuple

from ..clock import utcnow
from ..codes.record import Code, code_id
from ..errors import InputError, NotFoundError, RegisterError
from ..fileio import check_writable_target

APPLICATION_ID = 0x51525059  # "QRPY"
BUSY_TIMEOUT_S = 30.0
SQLITE_MAGIC = b"SQLite format 3\x00"

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_codes",
        """
        CREATE TABLE codes (
            serial INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('unified', 'scene', 'open')),
            number INTEGER NOT NULL CHECK (number BETWEEN 1 AND 99),
            scene TEXT,
            valid_from TEXT,
            valid_until TEXT,
            kid INTEGER,
            token TEXT UNIQUE,
            payload TEXT,
            payment_code TEXT UNIQUE,
            qr_version INTEGER,
            created_at TEXT NOT NULL,
            revoked_at TEXT,
            revoked_reason TEXT
        );
        -- one live code per purpose: minting the same purpose again returns it
        CREATE UNIQUE INDEX codes_live_purpose ON codes (
            kind, number, coalesce(scene, ''), coalesce(valid_from, ''), coalesce(valid_until, '')
        ) WHERE revoked_at IS NULL;
        """,
    ),
    (
        "0002_renders",
        """
        CREATE TABLE renders (
            id INTEGER PRIMARY KEY,
            serial INTEGER NOT NULL REFERENCES codes (serial),
            template TEXT NOT NULL,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX renders_serial ON renders (serial);
        """,
    ),
    (
        "0003_emergency",
        """
        CREATE TABLE log_entries (
            id INTEGER PRIMARY KEY,
            serial INTEGER NOT NULL REFERENCES codes (serial),
            amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
            reference TEXT NOT NULL,
            reference_key TEXT NOT NULL,
            payer TEXT,
            at TEXT NOT NULL,
            source TEXT NOT NULL,
            logged_at TEXT NOT NULL,
            UNIQUE (serial, reference_key)
        );
        CREATE TABLE statements (
            id INTEGER PRIMARY KEY,
            digest TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            encoding TEXT NOT NULL,
            imported_at TEXT NOT NULL
        );
        CREATE TABLE statement_lines (
            statement_id INTEGER NOT NULL REFERENCES statements (id),
            line INTEGER NOT NULL,
            txn_id TEXT NOT NULL,
            paid_at TEXT NOT NULL,
            amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
            code TEXT NOT NULL,
            reference TEXT NOT NULL,
            serial INTEGER REFERENCES codes (serial),
            standing TEXT NOT NULL CHECK (standing IN ('ok', 'forged', 'unknown_code', 'revoked', 'expired')),
            standing_reason TEXT NOT NULL,
            PRIMARY KEY (statement_id, line)
        );
        CREATE INDEX statement_lines_txn ON statement_lines (txn_id);
        CREATE TABLE reconciliations (
            id INTEGER PRIMARY KEY,
            statement_id INTEGER NOT NULL REFERENCES statements (id),
            at TEXT NOT NULL,
            summary TEXT NOT NULL
        );
        CREATE TABLE reconciliation_results (
            reconciliation_id INTEGER NOT NULL REFERENCES reconciliations (id),
            position INTEGER NOT NULL,
            class TEXT NOT NULL,
            line INTEGER,
            entry_id INTEGER REFERENCES log_entries (id),
            reason TEXT NOT NULL,
            PRIMARY KEY (reconciliation_id, position)
        );
        """,
    ),
]

_CODE_COLUMNS = (
    "serial, kind, number, scene, valid_from, valid_until, kid, token, payload, payment_code, "
    "qr_version, created_at, revoked_at, revoked_reason"
)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _code(row: sqlite3.Row | tuple) -> Code:
    (
        serial,
        kind,
        number,
        scene,
        valid_from,
        valid_until,
        kid,
        token,
        payload,
        payment_code,
        qr_version,
        created_at,
        revoked_at,
        revoked_reason,
    ) = row
    return Code(
        serial,
        kind,
        number,
        scene,
        _day(valid_from),
        _day(valid_until),
        kid,
        token,
        payload,
        payment_code,
        qr_version,
        created_at,
        revoked_at,
        revoked_reason,
    )


# -- files -----------------------------------------------------------------------------------

UNTOUCHED = "it was left untouched"
RESTORE_HINT = "restore your latest backup with 'qrpay restore FILE'"


def _foreign(path: Path) -> RegisterError:
    return RegisterError(f"{path} is an SQLite database of another program, not a qrpay register; {UNTOUCHED}")


def _check_schema(path: Path, version: int) -> int:
    if version > len(MIGRATIONS):
        raise RegisterError(
            f"register {path} has schema version {version}, newer than this qrpay knows "
            f"({len(MIGRATIONS)}); upgrade qrpay to use it ({UNTOUCHED})"
        )
    return version


def _unusable(path: Path, exc: sqlite3.Error) -> RegisterError:
    """The error for an SQLite failure while opening *path*: damage, or something in the way."""
    if getattr(exc, "sqlite_errorcode", 0) & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return RegisterError(f"register {path} is damaged ({exc}); {RESTORE_HINT}; {UNTOUCHED}")
    return RegisterError(f"cannot open register {path}: {exc}")


def _read_only_because(path: Path) -> str | None:
    """Why the register at *path* can only be read, or None when it can be written.

    A file or folder without any write bit counts as read-only even for root, who could
    write it anyway: someone marked it so on purpose.
    """
    for target, what in ((path, "the file"), (path.parent, f"its folder {path.parent}")):
        if not (os.access(target, os.W_OK) and target.stat().st_mode & 0o222):
            return f"{what} is read-only (chmod u+w {target} makes it writable)"
    return None


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    """Connect to *path*. A read-only register nobody can be changing opens immutable, so
    SQLite needs no -wal/-shm beside it (it could not create them in a read-only folder)."""
    uri = path.absolute().as_uri()
    if readonly:
        unchanging = _read_only_because(path) is not None and not Path(f"{path}-wal").exists()
        uri += "?immutable=1" if unchanging else "?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)


def _build_new(path: Path, fill: Callable[[sqlite3.Connection], None]) -> bool:
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


class Purpose(NamedTuple):
    """What a code is for; the register holds one live code per purpose."""

    kind: str
    number: int
    scene: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None


class Register:
    """An open register. Use :meth:`open`; close it (or use ``with``) when done."""

    def __init__(self, path: Path, connection: sqlite3.Connection, *, read_only_because: str | None = None):
        self.path = path
        self.db = connection
        self.read_only_because = read_only_because  # None when the register can be written

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = True, readonly: bool = False) -> Register:
        """Open the register at *path*, creating it when allowed; read-only when asked or when
        its file or folder is. Anything but a healthy register this qrpay understands is
        refused before SQLite could write to it."""
        path = Path(path)
        if not path.exists():
            if not create or readonly:
                raise RegisterError(f"no register at {path}; mint a code first or set QRPAY_HOME")
            cls._create(path)
        cls._check_header(path)
        because = "it was opened read-only" if readonly else _read_only_because(path)
        try:
            db = _connect(path, readonly=because is not None)
        except sqlite3.Error as exc:
            raise RegisterError(f"cannot open register {path}: {exc}") from None
        register = cls(path, db, read_only_because=because)
        try:
            register._prepare()
        except sqlite3.DatabaseError as exc:
            db.close()
            raise _unusable(path, exc) from None
        except BaseException:
            db.close()
            raise
        return register

    @classmethod
    def _create(cls, path: Path) -> None:
        """Build a migrated register beside *path* and link it into place, so that no process
        ever opens half of one; if another process was first, its register is kept."""

        def fill(db: sqlite3.Connection) -> None:
            cls(path, db)._migrate()
            db.execute("PRAGMA journal_mode = WAL")

        _build_new(path, fill)

    @staticmethod
    def _check_header(path: Path) -> None:
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
            raise _foreign(path)
        _check_schema(path, int.from_bytes(head[60:64], "big"))

    def _check(self) -> int:
        """Check what SQLite sees (the file's header can lag behind its -wal); return the schema version."""
        if self.db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            raise _foreign(self.path)
        version = self._check_version()
        problems = [line for row in self.db.execute("PRAGMA quick_check") for line in row[0].splitlines()]
        if problems != ["ok"]:
            detail = next(line for line in problems if not line.startswith("***"))
            raise RegisterError(f"register {self.path} is damaged ({detail}); {RESTORE_HINT}; {UNTOUCHED}")
        return version

    def _prepare(self) -> None:
        db = self.db
        version = self._check()
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        db.execute("PRAGMA foreign_keys = ON")
        if self.read_only_because:
            if version < len(MIGRATIONS):
                raise RegisterError(
                    f"register {self.path} needs upgrading for this qrpay, but {self.read_only_because}"
                )
            return
        if version < len(MIGRATIONS):
            self._migrate()
        try:
            db.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:
            pass  # another process is busy with it; a later open switches

    def _check_version(self) -> int:
        return _check_schema(self.path, self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self.transaction():
            version = self._check_version()
            if version == 0:
                self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self.db.execute(
                    "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
                )
            for name, sql in MIGRATIONS[version:]:
                for statement in sql.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute("INSERT INTO migrations VALUES (?, ?)", (name, utcnow()))
            self.db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_writable(self) -> None:
        if self.read_only_because:
            raise RegisterError(f"cannot change register {self.path}: {self.read_only_because}; reading it still works")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so concurrent writers queue."""
        self._check_writable()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise RegisterError(f"cannot write register {self.path}: {exc}") from None
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):  # disk full, I/O error, locked too long
                raise RegisterError(f"cannot write register {self.path}: {exc}") from None
            raise

    def migrations(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT name FROM migrations ORDER BY name")]

    # -- backup ----------------------------------------------------------------------------

    def backup(self, target: Path) -> Path:
        """Copy the register to the new file *target* with SQLite's online backup, which is
        consistent even while others write. The copy is one self-contained file (no -wal);
        an existing file is never overwritten."""
        target = check_writable_target(Path(target), example="register-backup.sqlite3")
        taken = f"{target} already exists; a backup never overwrites a file, so give a new name"
        if target.exists():
            raise InputError(taken)

        def fill(copy: sqlite3.Connection) -> None:
            self.db.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")

        if not _build_new(target, fill):
            raise InputError(taken)
        return target

    def restore(self, source: Path) -> Path:
        """Replace the register's contents with the backup *source*, after checking it and
        saving the current contents beside the register; returns that safety copy's path.
        Other qrpay processes should be stopped: what they write meanwhile is lost."""
        source = Path(source)
        if not source.is_file():
            raise NotFoundError(f"no backup file {source}")
        self._check_writable()
        self._check_header(source)
        try:
            backup = Register(source, _connect(source, readonly=True), read_only_because="it is a backup")
            with backup:
                backup._check()
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                kept = self.backup(self.path.with_name(f"{self.path.name}.before-restore-{stamp}"))
                backup.db.backup(self.db)
        except sqlite3.DatabaseError as exc:
            raise _unusable(source, exc) from None
        self._prepare()  # a backup from an older qrpay is brought up to date
        return kept

    # -- codes -----------------------------------------------------------------------------

    def find_live(
        self,
        kind: str,
        number: int,
        scene: str | None = None,
        valid_from: date | None = None,
        valid_until: date | None = None,
    ) -> Code | None:
        row = self.db.execute(
            f"SELECT {_CODE_COLUMNS} FROM codes WHERE revoked_at IS NULL AND kind = ? AND number = ? "
            "AND coalesce(scene, '') = ? AND coalesce(valid_from, '') = ? AND coalesce(valid_until, '') = ?",
            (
                kind,
                number,
                scene or "",
                valid_from.isoformat() if valid_from else "",
                valid_until.isoformat() if valid_until else "",
            ),
        ).fetchone()
        return _code(row) if row else None

    def mint(
        self,
        kind: str,
        number: int,
        scene: str | None,
        valid_from: date | None,
        valid_until: date | None,
        seal: Callable[[int], dict],
    ) -> tuple[Code, bool]:
        """Return the live code for this purpose, or insert one sealed by ``seal(serial)``.

        ``seal`` gives the signed fields (kid, token, payload, payment_code, qr_version) for the
        serial the new row received; all of it happens in one transaction. The boolean says
        whether the code is new.
        """
        with self.transaction():
            serial, new = self._mint_one(Purpose(kind, number, scene, valid_from, valid_until), seal)
        return self.get(serial), new

    def mint_many(self, purposes: Iterable[Purpose], seal: Callable[[int, Purpose], dict]) -> list[tuple[Code, bool]]:
        """:meth:`mint` for each purpose, all in one transaction: every code is minted, or none is.

        ``seal(serial, purpose)`` signs each new row, like :meth:`mint`'s ``seal``.
        """
        return list(self.minting(purposes, seal))

    def minting(self, purposes: Iterable[Purpose], seal: Callable[[int, Purpose], dict]) -> Iterator[tuple[Code, bool]]:
        """:meth:`mint_many` one code at a time, so a caller can start using the first codes: the
        transaction commits once the last code is taken, and closing the iterator before that
        rolls every code back."""
        with self.transaction():
            for purpose in purposes:
                serial, new = self._mint_one(purpose, lambda serial, p=purpose: seal(serial, p))
                yield self.get(serial), new

    def _mint_one(self, purpose: Purpose, seal: Callable[[int], dict]) -> tuple[int, bool]:
        """The serial of the live code for *purpose*, inserted if needed; call inside a transaction."""
        existing = self.find_live(*purpose)
        if existing:
            return existing.serial, False
        kind, number, scene, valid_from, valid_until = purpose
        cursor = self.db.execute(
            "INSERT INTO codes (kind, number, scene, valid_from, valid_until, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                kind,
                number,
                scene,
                valid_from.isoformat() if valid_from else None,
                valid_until.isoformat() if valid_until else None,
                utcnow(),
            ),
        )
        serial = cursor.lastrowid
        fields = seal(serial)
        self.db.execute(
            "UPDATE codes SET kid = :kid, token = :token, payload = :payload, payment_code = :payment_code, "
            "qr_version = :qr_version WHERE serial = :serial",
            {**fields, "serial": serial},
        )
        return serial, True

    def get(self, serial: int) -> Code:
        code = self.lookup(serial)
        if code is None:
            raise NotFoundError(f"no code {code_id(serial)} in the register; see 'qrpay list'")
        return code

    def lookup(self, serial: int) -> Code | None:
        row = self.db.execute(
            f"SELECT {_CODE_COLUMNS} FROM codes WHERE serial = ? AND token IS NOT NULL", (serial,)
        ).fetchone()
        return _code(row) if row else None

    def list_codes(
        self,
        *,
        kind: str | None = None,
        number: int | None = None,
        revoked: bool | None = None,
        limit: int | None = None,
    ) -> list[Code]:
        clauses, params = ["token IS NOT NULL"], []
        if kind:
            clauses.append("kind = ?")
            params.append(kind)
        if number is not None:
            clauses.append("number = ?")
            params.append(number)
        if revoked is not None:
            clauses.append("revoked_at IS NOT NULL" if revoked else "revoked_at IS NULL")
        sql = f"SELECT {_CODE_COLUMNS} FROM codes WHERE {' AND '.join(clauses)} ORDER BY serial"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_code(row) for row in self.db.execute(sql, params)]

    def count_live_by_key(self, kid: int, today: date) -> int:
        return self.db.execute(
            "SELECT count(*) FROM codes WHERE kid = ? AND revoked_at IS NULL AND (valid_until IS NULL OR valid_until >= ?)",
            (kid, today.isoformat()),
        ).fetchone()[0]

    def revoke(self, serial: int, reason: str) -> Code:
        with self.transaction():
            code = self.get(serial)
            if code.revoked:
                raise RegisterError(f"code {code.id} was already revoked on {code.revoked_at} ({code.revoked_reason})")
            self.db.execute(
                "UPDATE codes SET revoked_at = ?, revoked_reason = ? WHERE serial = ?", (utcnow(), reason, serial)
            )
        return self.get(serial)

    # -- renders ---------------------------------------------------------------------------

    def add_render(self, serial: int, template: str, path: str, sha256: str) -> None:
        self.add_renders([(serial, path, sha256)], template)

    def add_renders(self, files: Iterable[tuple[int, str, str]], template: str) -> None:
        """Record ``(serial, path, sha256)`` for each code drawn, in one transaction."""
        now = utcnow()
        with self.transaction():
            self.db.executemany(
                "INSERT INTO renders (serial, template, path, sha256, created_at) VALUES (?, ?, ?, ?, ?)",
                [(serial, template, path, sha256, now) for serial, path, sha256 in files],
            )

    def rendered(self, path: str) -> bool:
        """Whether qrpay recorded writing the file at *path* (an absolute path)."""
        return self.db.execute("SELECT 1 FROM renders WHERE path = ? LIMIT 1", (path,)).fetchone() is not None

    def render_hashes(self, path: str) -> set[str]:
        """The SHA-256 of every file qrpay recorded writing at *path* (an absolute path)."""
        return {row[0] for row in self.db.execute("SELECT sha256 FROM renders WHERE path = ?", (path,))}

    def renders(self, serial: int) -> list[dict]:
        rows = self.db.execute(
            "SELECT template, path, sha256, created_at FROM renders WHERE serial = ? ORDER BY id", (serial,)
        )
        return [dict(zip(("template", "path", "sha256", "created_at"), row)) for row in rows]
