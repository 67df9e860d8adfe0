"""The register's emergency tables: the collection log, imported statements and reconciliation runs.

Only SQL lives here, in the register's one dialect that runs on SQLite and PostgreSQL alike
(new rows' keys come back with RETURNING). Callers hold ``register.transaction()`` around every write, so a file's
rows, or a run and its results, are recorded together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from ..clock import utcnow
from ..register.store import Register
from .ledger import Entry, Payment, Statement, Txn, iso, reference_key

_ENTRY_COLUMNS = "id, serial, amount_fen, reference, payer, at, source, logged_at"
_LINE_COLUMNS = "statement_id, line, txn_id, paid_at, amount_fen, code, reference, serial, standing, standing_reason"


@dataclass(frozen=True)
class NewEntry:
    serial: int
    amount: int
    reference: str
    payer: str | None
    at: str
    source: str


@dataclass(frozen=True)
class Judged:
    """A statement payment and what its code was at payment time."""

    payment: Payment
    serial: int | None
    standing: str
    reason: str


@dataclass(frozen=True)
class Result:
    """One stored line of a reconciliation: a statement line or a log entry, and its class."""

    cls: str
    line: int | None
    entry: int | None
    reason: str


@dataclass(frozen=True)
class Run:
    id: int
    statement: int
    at: str
    results: tuple[Result, ...]


class Books:
    """SQL access to the emergency tables of one open register."""

    def __init__(self, register: Register):
        self.register = register
        self.db = register.db

    # -- the collection log ----------------------------------------------------------------

    def entries(self) -> list[Entry]:
        return [Entry(*row) for row in self.db.execute(f"SELECT {_ENTRY_COLUMNS} FROM log_entries ORDER BY id")]

    def entry_for(self, serial: int, reference: str) -> Entry | None:
        row = self.db.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE serial = ? AND reference_key = ?",
            (serial, reference_key(reference)),
        ).fetchone()
        return Entry(*row) if row else None

    def add_entry(self, new: NewEntry) -> Entry:
        (new_id,) = self.db.execute(
            "INSERT INTO log_entries (serial, amount_fen, reference, reference_key, payer, at, source, logged_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                new.serial,
                new.amount,
                new.reference,
                reference_key(new.reference),
                new.payer,
                new.at,
                new.source,
                utcnow(),
            ),
        ).fetchone()
        return Entry(*self.db.execute(f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE id = ?", (new_id,)).fetchone())

    # -- statements ------------------------------------------------------------------------

    def statement_id(self, digest: str) -> int | None:
        row = self.db.execute("SELECT id FROM statements WHERE digest = ?", (digest,)).fetchone()
        return row[0] if row else None

    def add_statement(self, statement: Statement, judged: Sequence[Judged]) -> int:
        (sid,) = self.db.execute(
            "INSERT INTO statements (digest, name, encoding, imported_at) VALUES (?, ?, ?, ?) RETURNING id",
            (statement.digest, statement.name, statement.encoding, utcnow()),
        ).fetchone()
        self.db.executemany(
            f"INSERT INTO statement_lines ({_LINE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    sid,
                    j.payment.line,
                    j.payment.txn_id,
                    iso(j.payment.paid_at),
                    j.payment.amount,
                    j.payment.code,
                    j.payment.reference,
                    j.serial,
                    j.standing,
                    j.reason,
                )
                for j in judged
            ],
        )
        return sid

    def statement(self, sid: int) -> dict:
        name, encoding, imported_at = self.db.execute(
            "SELECT name, encoding, imported_at FROM statements WHERE id = ?", (sid,)
        ).fetchone()
        return {"id": sid, "name": name, "encoding": encoding, "imported_at": imported_at}

    def txns(self) -> list[Txn]:
        """Every line of every imported statement."""
        return [
            Txn(*row)
            for row in self.db.execute(f"SELECT {_LINE_COLUMNS} FROM statement_lines ORDER BY statement_id, line")
        ]

    # -- reconciliation runs ---------------------------------------------------------------

    def latest_run(self, sid: int) -> Run | None:
        row = self.db.execute(
            "SELECT id, at FROM reconciliations WHERE statement_id = ? ORDER BY id DESC LIMIT 1", (sid,)
        ).fetchone()
        if row is None:
            return None
        results = self.db.execute(
            "SELECT class, line, entry_id, reason FROM reconciliation_results WHERE reconciliation_id = ? "
            "ORDER BY position",
            (row[0],),
        )
        return Run(row[0], sid, row[1], tuple(Result(*result) for result in results))

    def add_run(self, sid: int, results: Sequence[Result], summary: dict[str, int]) -> Run:
        at = utcnow()
        (run_id,) = self.db.execute(
            "INSERT INTO reconciliations (statement_id, at, summary) VALUES (?, ?, ?) RETURNING id",
            (sid, at, json.dumps(summary)),
        ).fetchone()
        self.db.executemany(
            "INSERT INTO reconciliation_results (reconciliation_id, position, class, line, entry_id, reason) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(run_id, position, r.cls, r.line, r.entry, r.reason) for position, r in enumerate(results)],
        )
        return Run(run_id, sid, at, tuple(results))

    def counts(self) -> dict[str, int]:
        """How many rows each emergency table holds (for tests and audits)."""
        tables = ("log_entries", "statements", "statement_lines", "reconciliations", "reconciliation_results")
        return {table: self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}
