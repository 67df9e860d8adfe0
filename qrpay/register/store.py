"""The register: every code minted, file rendered, revocation, collection and reconciliation run.

One class over two engines: the embedded SQLite file (the default) or a shared PostgreSQL
database (``database_url``). The queries are written once; :mod:`.dialect` holds what differs,
:mod:`.schema` the named migrations, :mod:`.files` the SQLite file's safety and :mod:`.transfer`
backup and restore. A database that is not a qrpay register (corrupt, foreign, or from a newer
qrpay) is refused and never written.

A :class:`Register` is one connection: use it from one thread at a time. A service opens one per
request or thread (``Register.connect(url, pooled=True)`` borrows from a pool, so that is cheap).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path

from ..clock import utcnow
from ..codes.bill import Bill
from ..codes.money import yuan
from ..codes.record import Code, code_id
from ..errors import InputError, NotFoundError, RegisterError
from . import files, transfer
from .dialect import Postgres, Sqlite, connect_postgres
from .rows import CODE_COLUMNS, LIVE_BILL, LIVE_PURPOSE, Purpose, bill_columns
from .rows import code as _code
from .schema import MIGRATIONS, MIGRATIONS_TABLE, statements


class Register:
    """An open register. Use :meth:`open` (SQLite) or :meth:`connect` (PostgreSQL); close it
    (or use ``with``) when done."""

    def __init__(self, db: Sqlite | Postgres, *, read_only_because: str | None = None, keep_dir: Path | None = None):
        self.db = db
        self.location = db.location  # the file, or the URL with its password masked
        self.read_only_because = read_only_because  # None when the register can be written
        self.keep_dir = keep_dir  # where a restore saves what a PostgreSQL register held

    @property
    def path(self) -> Path:
        """The SQLite register's file."""
        assert isinstance(self.db, Sqlite), "a PostgreSQL register has no file; see .location"
        return self.db.path

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls, path: Path, *, create: bool = True, readonly: bool = False, busy_timeout: float = files.BUSY_TIMEOUT_S
    ) -> Register:
        """Open the SQLite register at *path*, creating it when allowed; read-only when asked or
        when its file or folder is; waiting at most *busy_timeout* seconds for another writer's lock.
        Anything but a healthy register this qrpay understands is refused before SQLite could write to it."""
        path = Path(path)
        if not path.exists():
            if not create or readonly:
                raise RegisterError(f"no register at {path}; mint a code first or set QRPAY_HOME")
            cls._create(path)
        files.check_header(path)
        because = "it was opened read-only" if readonly else files.read_only_because(path)
        try:
            db = Sqlite(path, files.connect(path, readonly=because is not None, timeout=busy_timeout))
        except sqlite3.Error as exc:
            raise RegisterError(f"cannot open register {path}: {exc}") from None
        register = cls(db, read_only_because=because)
        try:
            register._prepare()
        except sqlite3.DatabaseError as exc:
            db.close()
            raise files.unusable(path, exc) from None
        except BaseException:
            db.close()
            raise
        return register

    @classmethod
    def connect(cls, url: str, *, keep_dir: Path | None = None, pooled: bool = False) -> Register:
        """Open the PostgreSQL register at *url*, creating its tables in an empty database.
        *keep_dir* is where :meth:`restore` saves what the register held; *pooled* borrows the
        connection from this process's pool (for a service: one register per request)."""
        db = connect_postgres(url, pooled=pooled)
        register = cls(db, keep_dir=keep_dir)
        try:
            register._prepare()
        except db.errors as exc:
            db.close()
            raise db.lost(exc) from None
        except BaseException:
            db.close()
            raise
        return register

    @classmethod
    def _create(cls, path: Path) -> None:
        """Build a migrated register beside *path* and link it into place, so that no process
        ever opens half of one; if another process was first, its register is kept."""

        def fill(db: sqlite3.Connection) -> None:
            _migrate(Sqlite(path, db))
            db.execute("PRAGMA journal_mode = WAL")

        files.build_new(path, fill)

    def _prepare(self) -> None:
        version = self.db.check()
        if version < len(MIGRATIONS):
            if self.read_only_because:
                raise RegisterError(
                    f"register {self.location} needs upgrading for this qrpay, but {self.read_only_because}"
                )
            self._migrate()
        if isinstance(self.db, Sqlite):
            self.db.raw.execute("PRAGMA foreign_keys = ON")
        if isinstance(self.db, Sqlite) and not self.read_only_because:
            try:
                self.db.raw.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError:
                pass  # another process is busy with it; a later open switches

    def _migrate(self) -> None:
        """Apply the migrations this register lacks. SQLite rebuilds a table to change its
        constraints, so its foreign keys are off meanwhile (a pragma that only works outside a
        transaction) and checked before the migration commits."""
        if isinstance(self.db, Sqlite):
            self.db.raw.execute("PRAGMA foreign_keys = OFF")
        with self.transaction():
            self.db.lock_schema()
            version = self.db.version()  # again, under the lock: another process may have been first
            if version == 0:
                self.db.execute(MIGRATIONS_TABLE)
            for name, sql in MIGRATIONS[version:]:
                for statement in statements(self.db.ddl(sql)):
                    self.db.execute(statement)
                self.db.execute("INSERT INTO migrations VALUES (?, ?)", (name, utcnow()))
            if isinstance(self.db, Sqlite) and self.db.execute("PRAGMA foreign_key_check").fetchone():
                raise RegisterError(f"register {self.location} has rows whose codes are missing; it was not upgraded")
            self.db.mark(version, len(MIGRATIONS))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_writable(self) -> None:
        if self.read_only_because:
            raise RegisterError(
                f"cannot change register {self.location}: {self.read_only_because}; reading it still works"
            )

    @contextmanager
    def transaction(self) -> Iterator[Sqlite | Postgres]:
        """One write transaction: all of it is recorded, or none (SQLite takes the write lock at once)."""
        self._check_writable()
        try:
            self.db.begin()
        except self.db.errors as exc:
            raise RegisterError(f"cannot write register {self.location}: {exc}") from None
        try:
            yield self.db
            self.db.commit()
        except BaseException as exc:
            self.db.rollback()
            if isinstance(exc, self.db.errors):  # disk full, I/O error, locked too long, server gone
                raise RegisterError(f"cannot write register {self.location}: {' '.join(str(exc).split())}") from None
            raise

    def migrations(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT name FROM migrations ORDER BY name")]

    # -- backup ----------------------------------------------------------------------------

    def backup(self, target: Path) -> Path:
        """Copy the register to the new SQLite file *target*, consistent even while others write
        (SQLite's online backup, or one snapshot of a PostgreSQL register). The copy is one
        self-contained file, and a backup of either engine restores into either; an existing
        file is never overwritten."""
        return transfer.backup(self, target, _migrate)

    def restore(self, source: Path) -> Path:
        """Replace the register's contents with the backup *source*, after checking that its
        schema is exactly what the migrations make and saving the current contents (beside an
        SQLite register; in *keep_dir* for PostgreSQL); returns that safety copy's path. Other
        qrpay processes should be stopped: what they write meanwhile is lost."""
        source = Path(source)
        if not source.is_file():
            raise NotFoundError(f"no backup file {source}")
        self._check_writable()
        kept = transfer.restore(self, source, _migrate)
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
        bill: Bill | None = None,
    ) -> Code | None:
        """The live code for this purpose (a bill's: its item and notice), if there is one."""
        if kind == "bill":
            assert bill is not None, "a bill's purpose carries its Bill"
            row = self.db.execute(
                f"SELECT {CODE_COLUMNS} FROM codes WHERE revoked_at IS NULL AND kind = 'bill' AND number = ? "
                "AND notice = ?",
                (number, bill.notice),
            ).fetchone()
            return _code(row) if row else None
        row = self.db.execute(
            # "kind <> 'bill'" repeats the live-purpose index's WHERE, so that SQLite can use it
            f"SELECT {CODE_COLUMNS} FROM codes WHERE revoked_at IS NULL AND kind <> 'bill' AND kind = ? AND number = ? "
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

    def mint(self, purpose: Purpose, seal: Callable[[int], dict]) -> tuple[Code, bool]:
        """Return the live code for this purpose, or insert one sealed by ``seal(serial)``.

        ``seal`` gives the signed fields (kid, token, payload, payment_code, qr_version) for the
        serial the new row received; all of it happens in one transaction. The boolean says
        whether the code is new.
        """
        with self.transaction():
            return self._mint_one(purpose, seal)

    def mint_many(self, purposes: Iterable[Purpose], seal: Callable[[int, Purpose], dict]) -> list[tuple[Code, bool]]:
        """:meth:`mint` for each purpose, all in one transaction: every code is minted, or none is.

        ``seal(serial, purpose)`` signs each new row, like :meth:`mint`'s ``seal``.
        """
        return list(self.minting(purposes, seal))

    def minting(
        self, purposes: Iterable[Purpose], seal: Callable[[int, Purpose], dict]
    ) -> Generator[tuple[Code, bool], None, None]:
        """:meth:`mint_many` one code at a time, so a caller can start using the first codes: the
        transaction commits once the last code is taken, and closing the iterator before that
        rolls every code back."""
        with self.transaction():
            for purpose in purposes:
                yield self._mint_one(purpose, partial(_seal_for, seal, purpose))

    def _mint_one(self, purpose: Purpose, seal: Callable[[int], dict]) -> tuple[Code, bool]:
        """The live code for *purpose*, inserted if needed, and whether it is new; call inside a transaction.

        The live-purpose unique index decides between desks minting the same purpose at once: the
        second one's insert waits for the first to commit, then does nothing, and it takes the
        first one's code."""
        existing = self.find_live(*purpose)
        if existing:
            if existing.bill != purpose.bill:
                assert existing.bill is not None
                raise InputError(
                    f"notice {existing.bill.notice} already has the live bill {existing.id} "
                    f"({yuan(existing.bill.amount_fen)} yuan, due {existing.bill.due or 'none'}); "
                    f"revoke it first to issue a corrected bill"
                )
            return existing, False
        kind, number, scene, valid_from, valid_until, _ = purpose
        row = self.db.execute(
            "INSERT INTO codes (kind, number, scene, valid_from, valid_until, created_at, amount_fen, payer, notice, due) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT {LIVE_BILL if kind == 'bill' else LIVE_PURPOSE} "
            "DO NOTHING RETURNING serial",
            (
                kind,
                number,
                scene,
                valid_from.isoformat() if valid_from else None,
                valid_until.isoformat() if valid_until else None,
                utcnow(),
                *bill_columns(purpose),
            ),
        ).fetchone()
        if row is None:  # another desk minted it since we looked, and has committed it
            return self._mint_one(purpose, seal)
        serial = row[0]
        fields = seal(serial)
        sealed = self.db.execute(
            "UPDATE codes SET kid = ?, token = ?, payload = ?, payment_code = ?, qr_version = ? WHERE serial = ? "
            f"RETURNING {CODE_COLUMNS}",
            (fields["kid"], fields["token"], fields["payload"], fields["payment_code"], fields["qr_version"], serial),
        ).fetchone()
        return _code(sealed), True

    def get(self, serial: int) -> Code:
        code = self.lookup(serial)
        if code is None:
            raise NotFoundError(f"no code {code_id(serial)} in the register; see 'qrpay list'")
        return code

    def lookup(self, serial: int) -> Code | None:
        row = self.db.execute(
            f"SELECT {CODE_COLUMNS} FROM codes WHERE serial = ? AND token IS NOT NULL", (serial,)
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
        clauses: list[str] = ["token IS NOT NULL"]
        params: list[object] = []
        if kind:
            clauses.append("kind = ?")
            params.append(kind)
        if number is not None:
            clauses.append("number = ?")
            params.append(number)
        if revoked is not None:
            clauses.append("revoked_at IS NOT NULL" if revoked else "revoked_at IS NULL")
        sql = f"SELECT {CODE_COLUMNS} FROM codes WHERE {' AND '.join(clauses)} ORDER BY serial"
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
            done = self.db.execute(
                "UPDATE codes SET revoked_at = ?, revoked_reason = ? "
                "WHERE serial = ? AND revoked_at IS NULL AND token IS NOT NULL RETURNING serial",
                (utcnow(), reason, serial),
            ).fetchone()
            if done is None:
                code = self.get(serial)
                raise RegisterError(f"code {code.id} was already revoked on {code.revoked_at} ({code.revoked_reason})")
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


def _seal_for(seal: Callable[[int, Purpose], dict], purpose: Purpose, serial: int) -> dict:
    return seal(serial, purpose)


def _migrate(db: Sqlite) -> None:
    """Give the new or older SQLite database *db* this qrpay's schema."""
    Register(db)._migrate()
