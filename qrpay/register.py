"""The register: an SQLite file recording every code, render and revocation.

Schema changes are named migrations recorded in the database itself. WAL mode and a busy
timeout let several qrpay processes work at once. A file that is not a qrpay register
(corrupt, foreign, or from a newer qrpay) is refused and never written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

from .codes import Code, code_id
from .errors import NotFoundError, RegisterError

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


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _code(row: sqlite3.Row | tuple) -> Code:
    (serial, kind, number, scene, valid_from, valid_until, kid, token, payload, payment_code,
     qr_version, created_at, revoked_at, revoked_reason) = row
    return Code(serial, kind, number, scene, _day(valid_from), _day(valid_until), kid, token,
                payload, payment_code, qr_version, created_at, revoked_at, revoked_reason)


class Register:
    """An open register. Use :meth:`open`; close it (or use ``with``) when done."""

    def __init__(self, path: Path, connection: sqlite3.Connection):
        self.path = path
        self.db = connection

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Register:
        path = Path(path)
        existed = path.exists()
        if existed:
            cls._check_header(path)
        elif not create:
            raise RegisterError(f"no register at {path}; mint a code first or set QRPAY_HOME")
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise RegisterError(f"cannot create {path.parent}: {exc.strerror}") from None
        try:
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise RegisterError(f"cannot open register {path}: {exc}") from None
        register = cls(path, db)
        try:
            register._prepare(existed)
        except sqlite3.DatabaseError as exc:
            db.close()
            raise RegisterError(f"register {path} is damaged or not a database ({exc}); it was left untouched") from None
        except BaseException:
            db.close()
            raise
        return register

    @staticmethod
    def _check_header(path: Path) -> None:
        try:
            with path.open("rb") as handle:
                head = handle.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise RegisterError(f"cannot read register {path}: {exc.strerror}") from None
        if head != SQLITE_MAGIC:
            raise RegisterError(f"{path} is not a qrpay register (not an SQLite database); it was left untouched")

    def _prepare(self, existed: bool) -> None:
        db = self.db
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        if existed and app_id != APPLICATION_ID:
            raise RegisterError(f"{self.path} is an SQLite database of another program, not a qrpay register; it was left untouched")
        self._check_version()
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        db.execute("PRAGMA foreign_keys = ON")
        if db.execute("PRAGMA user_version").fetchone()[0] < len(MIGRATIONS):
            self._migrate()
        try:
            db.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:
            pass  # a read-only register still reads in its current journal mode

    def _check_version(self) -> int:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise RegisterError(
                f"register {self.path} has schema version {version}, newer than this qrpay knows "
                f"({len(MIGRATIONS)}); upgrade qrpay to use it"
            )
        return version

    def _migrate(self) -> None:
        with self.transaction():
            version = self._check_version()
            if version == 0:
                self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self.db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
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

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so concurrent writers queue."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise RegisterError(f"cannot write register {self.path}: {exc}") from None
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            try:
                self.db.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self.db.execute("ROLLBACK")
                raise RegisterError(f"cannot write register {self.path}: {exc}") from None

    def migrations(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT name FROM migrations ORDER BY name")]

    # -- codes -----------------------------------------------------------------------------

    def find_live(self, kind: str, number: int, scene: str | None = None,
                  valid_from: date | None = None, valid_until: date | None = None) -> Code | None:
        row = self.db.execute(
            f"SELECT {_CODE_COLUMNS} FROM codes WHERE revoked_at IS NULL AND kind = ? AND number = ? "
            "AND coalesce(scene, '') = ? AND coalesce(valid_from, '') = ? AND coalesce(valid_until, '') = ?",
            (kind, number, scene or "", valid_from.isoformat() if valid_from else "",
             valid_until.isoformat() if valid_until else ""),
        ).fetchone()
        return _code(row) if row else None

    def mint(self, kind: str, number: int, scene: str | None, valid_from: date | None,
             valid_until: date | None, seal: Callable[[int], dict]) -> tuple[Code, bool]:
        """Return the live code for this purpose, or insert one sealed by ``seal(serial)``.

        ``seal`` gives the signed fields (kid, token, payload, payment_code, qr_version) for the
        serial the new row received; all of it happens in one transaction. The boolean says
        whether the code is new.
        """
        with self.transaction():
            existing = self.find_live(kind, number, scene, valid_from, valid_until)
            if existing:
                return existing, False
            cursor = self.db.execute(
                "INSERT INTO codes (kind, number, scene, valid_from, valid_until, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (kind, number, scene, valid_from.isoformat() if valid_from else None,
                 valid_until.isoformat() if valid_until else None, utcnow()),
            )
            serial = cursor.lastrowid
            fields = seal(serial)
            self.db.execute(
                "UPDATE codes SET kid = :kid, token = :token, payload = :payload, payment_code = :payment_code, "
                "qr_version = :qr_version WHERE serial = :serial",
                {**fields, "serial": serial},
            )
        return self.get(serial), True

    def get(self, serial: int) -> Code:
        code = self.lookup(serial)
        if code is None:
            raise NotFoundError(f"no code {code_id(serial)} in the register; see 'qrpay list'")
        return code

    def lookup(self, serial: int) -> Code | None:
        row = self.db.execute(f"SELECT {_CODE_COLUMNS} FROM codes WHERE serial = ? AND token IS NOT NULL", (serial,)).fetchone()
        return _code(row) if row else None

    def list_codes(self, *, kind: str | None = None, number: int | None = None,
                   revoked: bool | None = None, limit: int | None = None) -> list[Code]:
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
            self.db.execute("UPDATE codes SET revoked_at = ?, revoked_reason = ? WHERE serial = ?", (utcnow(), reason, serial))
        return self.get(serial)

    # -- renders ---------------------------------------------------------------------------

    def add_render(self, serial: int, template: str, path: str, sha256: str) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO renders (serial, template, path, sha256, created_at) VALUES (?, ?, ?, ?, ?)",
                (serial, template, path, sha256, utcnow()),
            )

    def renders(self, serial: int) -> list[dict]:
        rows = self.db.execute(
            "SELECT template, path, sha256, created_at FROM renders WHERE serial = ? ORDER BY id", (serial,)
        )
        return [dict(zip(("template", "path", "sha256", "created_at"), row)) for row in rows]
