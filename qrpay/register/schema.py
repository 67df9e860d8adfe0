"""The register's schema: named migrations, written once for both engines.

The SQL is SQLite's (the file format existing registers have); :func:`for_postgres` turns its
few engine-specific spellings into PostgreSQL's. :func:`shape` describes a schema as tables,
columns, indexes, triggers and views, so that a backup can be held to exactly what the
migrations make before it is restored.
"""

from __future__ import annotations

import re
import sqlite3
from functools import cache

APPLICATION_ID = 0x51525059  # "QRPY", in an SQLite register's header

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
    (
        "0004_bills",
        # SQLite cannot change a CHECK constraint: it rebuilds codes and statement_lines (the
        # register runs migrations with foreign keys off, and checks them after). PostgreSQL
        # changes the constraints in place: the lines marked "-- postgres:" are its spelling.
        """
        -- sqlite:begin
        CREATE TABLE codes_new (
            serial INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('unified', 'scene', 'open', 'bill')),
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
            revoked_reason TEXT,
            amount_fen INTEGER CHECK (amount_fen > 0),
            payer TEXT,
            notice TEXT,
            due TEXT,
            CHECK ((kind = 'bill') = (amount_fen IS NOT NULL AND payer IS NOT NULL AND notice IS NOT NULL))
        );
        INSERT INTO codes_new (
            serial, kind, number, scene, valid_from, valid_until, kid, token, payload, payment_code, qr_version,
            created_at, revoked_at, revoked_reason
        ) SELECT serial, kind, number, scene, valid_from, valid_until, kid, token, payload, payment_code, qr_version,
            created_at, revoked_at, revoked_reason FROM codes;
        DROP TABLE codes;
        ALTER TABLE codes_new RENAME TO codes;
        CREATE TABLE statement_lines_new (
            statement_id INTEGER NOT NULL REFERENCES statements (id),
            line INTEGER NOT NULL,
            txn_id TEXT NOT NULL,
            paid_at TEXT NOT NULL,
            amount_fen INTEGER NOT NULL CHECK (amount_fen <> 0),
            code TEXT NOT NULL,
            reference TEXT NOT NULL,
            serial INTEGER REFERENCES codes (serial),
            standing TEXT NOT NULL CHECK (standing IN ('ok', 'forged', 'unknown_code', 'revoked', 'expired')),
            standing_reason TEXT NOT NULL,
            PRIMARY KEY (statement_id, line)
        );
        INSERT INTO statement_lines_new SELECT * FROM statement_lines;
        DROP TABLE statement_lines;
        ALTER TABLE statement_lines_new RENAME TO statement_lines;
        CREATE INDEX statement_lines_txn ON statement_lines (txn_id);
        -- sqlite:end
        -- postgres: ALTER TABLE codes DROP CONSTRAINT codes_kind_check;
        -- postgres: ALTER TABLE codes ADD CONSTRAINT codes_kind_check CHECK (kind IN ('unified', 'scene', 'open', 'bill'));
        -- postgres: ALTER TABLE codes ADD COLUMN amount_fen INTEGER CHECK (amount_fen > 0);
        -- postgres: ALTER TABLE codes ADD COLUMN payer TEXT;
        -- postgres: ALTER TABLE codes ADD COLUMN notice TEXT;
        -- postgres: ALTER TABLE codes ADD COLUMN due TEXT;
        -- postgres: ALTER TABLE codes ADD CHECK ((kind = 'bill') = (amount_fen IS NOT NULL AND payer IS NOT NULL AND notice IS NOT NULL));
        -- postgres: ALTER TABLE statement_lines DROP CONSTRAINT statement_lines_amount_fen_check;
        -- postgres: ALTER TABLE statement_lines ADD CONSTRAINT statement_lines_amount_fen_check CHECK (amount_fen <> 0);
        -- postgres: DROP INDEX codes_live_purpose;
        -- one live code per purpose (bills: per item and notice): minting it again returns it
        CREATE UNIQUE INDEX codes_live_purpose ON codes (
            kind, number, coalesce(scene, ''), coalesce(valid_from, ''), coalesce(valid_until, '')
        ) WHERE revoked_at IS NULL AND kind <> 'bill';
        CREATE UNIQUE INDEX codes_live_bill ON codes (number, notice) WHERE revoked_at IS NULL AND kind = 'bill';
        CREATE INDEX codes_notice ON codes (notice) WHERE notice IS NOT NULL;
        -- a bill's payments and a refund's payment are found by code
        CREATE INDEX statement_lines_serial ON statement_lines (serial, amount_fen);
        """,
    ),
    (
        "0005_desk",
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('clerk', 'officer')),
            departments TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            password_changed_at TEXT NOT NULL,
            disabled_at TEXT
        );
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id),
            csrf TEXT NOT NULL,
            address TEXT NOT NULL,
            created_at TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            ended_at TEXT
        );
        CREATE INDEX sessions_user ON sessions (user_id);
        CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            user_name TEXT NOT NULL,
            address TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE INDEX actions_user_action ON actions (user_name, action, at);
        """,
    ),
    (
        "0006_listing",
        # The desk's list picks a clerk's codes by item or group number, newest first. A scope
        # holding few codes of a large register is found here instead of by reading the register
        # in serial order (the primary key) until a page is full; for one number the index gives
        # its codes in serial order. PostgreSQL chooses between the two by its statistics (taken
        # here for a register that already holds codes, by autovacuum after); SQLite, which keeps
        # none unless asked and then only an average per number, always takes the index for a
        # scope, so that a page costs at most the scope's size, never the register's.
        """
        CREATE INDEX codes_number_serial ON codes (number, serial);
        -- postgres: ANALYZE codes;
        """,
    ),
]

#: Every table the migrations make, parents before children (the order rows are copied in).
TABLES = (
    "migrations",
    "codes",
    "renders",
    "log_entries",
    "statements",
    "statement_lines",
    "reconciliations",
    "reconciliation_results",
    "users",
    "sessions",
    "actions",
)
#: The tables whose integer key PostgreSQL draws from a sequence, and that key.
SEQUENCES = {
    "codes": "serial",
    "renders": "id",
    "log_entries": "id",
    "statements": "id",
    "reconciliations": "id",
    "users": "id",
    "actions": "id",
}
MIGRATIONS_TABLE = "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"

_POSTGRES = (
    # a key from a sequence; SQLite's INTEGER PRIMARY KEY is its rowid
    (re.compile(r"\bINTEGER PRIMARY KEY( AUTOINCREMENT)?"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),  # SQLite's integers are 64-bit
)


def statements(sql: str) -> list[str]:
    return [statement.strip() for statement in sql.split(";") if statement.strip()]


_SQLITE_ONLY = re.compile(r"^\s*-- sqlite:begin$.*?^\s*-- sqlite:end$", re.M | re.S)
_POSTGRES_ONLY = re.compile(r"^(\s*)-- postgres: ", re.M)


def for_postgres(sql: str) -> str:
    """The migration *sql* in PostgreSQL's spelling: the part between ``-- sqlite:begin`` and
    ``-- sqlite:end`` left out, the lines marked ``-- postgres:`` put in."""
    sql = _POSTGRES_ONLY.sub(r"\1", _SQLITE_ONLY.sub("", sql))
    for pattern, replacement in _POSTGRES:
        sql = pattern.sub(replacement, sql)
    return sql


def shape(db: sqlite3.Connection) -> dict[str, object]:
    """What an SQLite database's schema holds: each table's columns, each index, trigger and view."""
    tables: dict[str, object] = {}
    others: list[tuple[str, str, str]] = []
    rows = db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    for kind, name, table, sql in rows.fetchall():
        if kind == "table":
            columns = db.execute('SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)', (name,))
            tables[name] = (tuple(columns.fetchall()), " ".join((sql or "").split()))
        else:
            others.append((kind, name, " ".join((sql or "").split()) + f" ON {table}"))
    return {"tables": tables, "others": sorted(others)}


@cache
def expected_shape(version: int) -> dict[str, object]:
    """The schema the first *version* migrations make in a new SQLite register."""
    db = sqlite3.connect(":memory:")
    try:
        db.execute(MIGRATIONS_TABLE)
        for _name, sql in MIGRATIONS[:version]:
            for statement in statements(sql):
                db.execute(statement)
        return shape(db)
    finally:
        db.close()


def differences(found: dict[str, object], expected: dict[str, object]) -> list[str]:
    """What *found* has that *expected* has not, and the other way round, in words."""
    problems = []
    found_tables, expected_tables = found["tables"], expected["tables"]
    assert isinstance(found_tables, dict) and isinstance(expected_tables, dict)
    for name in sorted(set(found_tables) - set(expected_tables)):
        problems.append(f"a table {name} qrpay does not make")
    for name in sorted(set(expected_tables) - set(found_tables)):
        problems.append(f"no table {name}")
    for name in sorted(set(found_tables) & set(expected_tables)):
        if found_tables[name] != expected_tables[name]:
            problems.append(f"table {name} has other columns or constraints")
    found_others, expected_others = set(found["others"]), set(expected["others"])  # type: ignore[call-overload]
    for kind, name, _ in sorted(found_others - expected_others):
        problems.append(f"a {kind} {name} qrpay does not make")
    for kind, name, _ in sorted(expected_others - found_others):
        problems.append(f"no {kind} {name}")
    return problems
