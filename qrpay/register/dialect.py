"""What differs between the two engines, behind one small connection interface.

The register writes its SQL once, in the DB-API's ``?`` style that SQLite speaks; a
:class:`Postgres` connection turns it into psycopg's ``%s`` (cached per statement) and
migrations into PostgreSQL's spelling. Everything else that differs — how a write transaction
starts, where the schema version is kept, how a database is recognised as a register, what a
driver error means — is a method here, so no query in the register asks which engine it runs on.

Why not SQLAlchemy Core and Alembic: the register's SQL is some thirty portable statements and
three migrations that existing registers already record by name; Alembic would bring a second
version table those registers lack, and SQLAlchemy's import would add to every command's start-up
for the desks on SQLite, who need none of it. psycopg is imported only when a database URL is set.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..config import mask_password as mask
from ..errors import RegisterError
from . import files
from .schema import APPLICATION_ID, MIGRATIONS, TABLES, for_postgres

CONNECT_TIMEOUT_S = 10  # an unreachable server is reported after this long, not waited for
POOL_SIZE = 8  # connections one process keeps to one server (qrpay serve's threads share them)
LOCK_TIMEOUT_MS = 30_000  # like SQLite's busy timeout: a write waits this long for another's lock


class Sqlite:
    """A connection to the register file."""

    engine = "sqlite"
    errors: tuple[type[Exception], ...] = (sqlite3.OperationalError,)

    def __init__(self, path: Path, connection: sqlite3.Connection):
        self.location = str(path)
        self.path = path
        self.raw = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.raw.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.raw.executemany(sql, rows)

    def begin(self) -> None:
        self.raw.execute("BEGIN IMMEDIATE")  # taken at once, so concurrent writers queue

    def commit(self) -> None:
        self.raw.execute("COMMIT")

    def rollback(self) -> None:
        if self.raw.in_transaction:
            self.raw.execute("ROLLBACK")

    def ddl(self, sql: str) -> str:
        return sql

    def check(self) -> int:
        return files.check_open(self.raw, self.path)

    def version(self) -> int:
        return files.check_version(self.path, self.raw.execute("PRAGMA user_version").fetchone()[0])

    def mark(self, old: int, new: int) -> None:
        """Record that migrations *old* to *new* are applied (*old* is 0 for a new register)."""
        if old == 0:
            self.raw.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        self.raw.execute(f"PRAGMA user_version = {int(new)}")

    def lock_schema(self) -> None:
        pass  # BEGIN IMMEDIATE already holds the file's write lock

    def follow_key(self, table: str, key: str) -> None:
        """Nothing to do: an AUTOINCREMENT key already follows rows inserted with explicit keys."""

    def data_version(self) -> int | None:
        """A number that changes whenever another connection commits (SQLite's ``data_version``)."""
        return int(self.raw.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        self.raw.close()


@lru_cache(maxsize=512)
def _pyformat(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


def _scrub(message: str, url: str) -> str:
    """A driver's message in one line, with no trace of the password in *url*."""
    secret = urlsplit(url).password
    line = " ".join(message.split())
    return line.replace(secret, "***") if secret else line


class Postgres:
    """A connection to a PostgreSQL register (in autocommit: each transaction is explicit)."""

    engine = "postgresql"

    def __init__(self, url: str, connection: Any, pool: Any = None):
        import psycopg

        self.location = mask(url)
        self.url = url
        self.raw = connection
        self.pool = pool
        self.errors = (psycopg.OperationalError, psycopg.errors.LockNotAvailable)
        self._idle = psycopg.pq.TransactionStatus.IDLE

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            return self.raw.execute(_pyformat(sql), params)
        except self.errors as exc:  # the server went away, a lock waited too long, a deadlock
            raise self.lost(exc) from None

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            with self.raw.cursor() as cursor:
                cursor.executemany(_pyformat(sql), rows)
        except self.errors as exc:
            raise self.lost(exc) from None

    def lost(self, exc: Exception) -> RegisterError:
        return RegisterError(f"cannot use register {self.location}: {_scrub(str(exc), self.url)}")

    def begin(self) -> None:
        self.execute("BEGIN")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        if self.raw.closed or self.raw.info.transaction_status == self._idle:
            return  # nothing to undo, or the server has already undone it with the lost connection
        try:
            self.raw.execute("ROLLBACK")
        except self.errors:
            pass

    def ddl(self, sql: str) -> str:
        return for_postgres(sql)

    def check(self) -> int:
        return self.version()

    def version(self) -> int:
        """The number of migrations applied: 0 for an empty database; a database holding
        tables that are not a qrpay register's, or migrations this qrpay does not know, is refused."""
        found = {row[0] for row in self.execute(_TABLES_SQL)}
        if not found:
            return 0
        strangers = sorted(found - set(TABLES))
        if strangers or "migrations" not in found:
            named = ", ".join(strangers[:5]) or ", ".join(sorted(found)[:5])
            raise RegisterError(
                f"the database at {self.location} holds tables that are not a qrpay register's ({named}); "
                f"{files.UNTOUCHED}. Give qrpay a database of its own"
            )
        names = [row[0] for row in self.execute("SELECT name FROM migrations ORDER BY name")]
        known = [name for name, _ in MIGRATIONS]
        if names != known[: len(names)]:
            raise RegisterError(
                f"register {self.location} has schema migrations this qrpay does not know "
                f"({', '.join(sorted(set(names) - set(known))) or 'out of order'}); upgrade qrpay to use it "
                f"({files.UNTOUCHED})"
            )
        return len(names)

    def mark(self, old: int, new: int) -> None:
        if old == 0:
            self.execute("COMMENT ON TABLE migrations IS 'qrpay register'")

    def lock_schema(self) -> None:
        """Serialise migrations between processes (the lock ends with the transaction)."""
        self.execute("SELECT pg_advisory_xact_lock(?)", (APPLICATION_ID,))

    def follow_key(self, table: str, key: str) -> None:
        """After rows were inserted with explicit keys, draw the next key above them."""
        self.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'), "
            f"coalesce((SELECT max({key}) FROM {table}), 0) + 1, false)"
        )

    def data_version(self) -> int | None:
        """None: PostgreSQL keeps no counter of other connections' commits."""
        return None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.putconn(self.raw)
        else:
            self.raw.close()


_TABLES_SQL = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
_pools: dict[str, Any] = {}
_pools_lock = threading.Lock()


def _driver() -> Any:
    try:
        import psycopg
    except ImportError:
        raise RegisterError(
            "a PostgreSQL register needs its driver: pip install 'qrpay[postgres]' (database_url is set)"
        ) from None
    return psycopg


def _options(url: str) -> dict[str, Any]:
    scheme = urlsplit(url).scheme
    if scheme not in ("postgresql", "postgres"):
        raise RegisterError(f"database URL must start with postgresql://, got {mask(url)!r}")
    return {
        "autocommit": True,
        "connect_timeout": CONNECT_TIMEOUT_S,
        "application_name": "qrpay",
        "options": f"-c lock_timeout={LOCK_TIMEOUT_MS}",
    }


def connect_postgres(url: str, *, pooled: bool = False) -> Postgres:
    """Connect to the PostgreSQL register at *url*; with *pooled*, borrow from this process's
    pool for that server (returned on close), so opening a register per request is cheap."""
    psycopg = _driver()
    options = _options(url)
    try:
        if not pooled:
            return Postgres(url, psycopg.connect(url, **options))
        with _pools_lock:
            pool = _pools.get(url)
            if pool is None:
                try:
                    from psycopg_pool import ConnectionPool
                except ImportError:
                    raise RegisterError("a pooled PostgreSQL register needs: pip install 'qrpay[postgres]'") from None
                pool = ConnectionPool(url, kwargs=options, min_size=1, max_size=POOL_SIZE, open=False)
                try:
                    pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
                except BaseException:
                    pool.close()
                    raise
                _pools[url] = pool
        return Postgres(url, pool.getconn(timeout=CONNECT_TIMEOUT_S), pool)
    except RegisterError:
        raise
    except Exception as exc:  # psycopg.Error, psycopg_pool.PoolTimeout
        if not isinstance(exc, psycopg.Error) and type(exc).__module__.split(".")[0] != "psycopg_pool":
            raise
        raise RegisterError(f"cannot open the register at {mask(url)}: {_scrub(str(exc), url)}") from None
