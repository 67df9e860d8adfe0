"""The register's emergency tables: the collection log, imported statements and reconciliation runs.

Only SQL lives here, in the register's one dialect that runs on SQLite and PostgreSQL alike
(new rows' keys come back with RETURNING). Long results come in pages of :data:`BATCH` rows by
keyset (``WHERE key > last ORDER BY key LIMIT n``) and long inserts go in batches, so memory
does not grow with a statement's length on either engine. Callers hold ``register.transaction()`` around every write, so a file's
rows, or a run and its results, are recorded together or not at all.
"""

from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..clock import utcnow
from ..register.store import Register
from .ledger import CLASSES, Entry, Payment, Txn, iso, reference_key
from .rules import refund_target

_ENTRY_COLUMNS = "id, serial, amount_fen, reference, payer, at, source, logged_at"
_LINE_COLUMNS = "statement_id, line, txn_id, paid_at, amount_fen, code, reference, serial, standing, standing_reason"
#: A line of the same txn_id before line {later} (in statement, then line order); the txn_id index finds them.
_EARLIER = (
    "SELECT 1 FROM statement_lines e WHERE e.txn_id = {later}.txn_id AND (e.statement_id < {later}.statement_id "
    "OR (e.statement_id = {later}.statement_id AND e.line < {later}.line))"
)
#: Values in one ``IN (...)`` list (SQLite allows 32,766 parameters, PostgreSQL 65,535).
_IN_LIST = 500
#: txn ids whose sightings are kept while a statement is classified (a few MiB at most).
MAX_KNOWN = 20_000
#: Rows per INSERT batch and per page of a query: memory stays flat however long a statement is.
BATCH = 5000


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


def _batches(rows: Iterable[tuple]) -> Iterator[list[tuple]]:
    source = iter(rows)
    while batch := list(itertools.islice(source, BATCH)):
        yield batch


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

    def add_statement(self, name: str, encoding: str, digest: str, judged: Iterable[Judged]) -> int:
        """Record a statement and its lines, sent in batches as *judged* yields them."""
        (sid,) = self.db.execute(
            "INSERT INTO statements (digest, name, encoding, imported_at) VALUES (?, ?, ?, ?) RETURNING id",
            (digest, name, encoding, utcnow()),
        ).fetchone()
        rows = (
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
        )
        for batch in _batches(rows):
            self.db.executemany(
                f"INSERT INTO statement_lines ({_LINE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch
            )
        return sid

    def statement(self, sid: int) -> dict:
        name, encoding, imported_at = self.db.execute(
            "SELECT name, encoding, imported_at FROM statements WHERE id = ?", (sid,)
        ).fetchone()
        return {"id": sid, "name": name, "encoding": encoding, "imported_at": imported_at}

    def txns(self) -> list[Txn]:
        """Every line of every imported statement (for tests and small registers: held whole)."""
        return [
            Txn(*row)
            for row in self.db.execute(f"SELECT {_LINE_COLUMNS} FROM statement_lines ORDER BY statement_id, line")
        ]

    def payable_firsts(self) -> Iterator[Txn]:
        """First sightings of a txn_id, through a genuine code whose serial has log entries, in
        (statement, line) order: the candidates a log entry can pair with."""
        sql = (
            f"SELECT {_LINE_COLUMNS} FROM statement_lines l "
            "WHERE (l.statement_id > ? OR (l.statement_id = ? AND l.line > ?)) "
            "AND l.standing NOT IN ('forged', 'unknown_code') AND l.amount_fen > 0 "
            "AND l.serial IN (SELECT serial FROM log_entries) "
            f"AND NOT EXISTS ({_EARLIER.format(later='l')}) "
            "ORDER BY l.statement_id, l.line LIMIT ?"
        )
        after = (-1, -1)
        while True:
            page = [Txn(*row) for row in self.db.execute(sql, (after[0], after[0], after[1], BATCH))]
            yield from page
            if len(page) < BATCH:
                return
            after = page[-1].spot

    def _firsts_of(self, where: str, params: tuple) -> Iterator[Txn]:
        """First sightings of txn ids among the lines *where* selects, in (statement, line) order, by pages."""
        sql = (
            f"SELECT {_LINE_COLUMNS} FROM statement_lines l WHERE {where} "
            "AND (l.statement_id > ? OR (l.statement_id = ? AND l.line > ?)) "
            f"AND NOT EXISTS ({_EARLIER.format(later='l')}) ORDER BY l.statement_id, l.line LIMIT ?"
        )
        after = (-1, -1)
        while True:
            page = [Txn(*row) for row in self.db.execute(sql, (*params, after[0], after[0], after[1], BATCH))]
            yield from page
            if len(page) < BATCH:
                return
            after = page[-1].spot

    def reversals(self, serial: int | None = None) -> tuple[dict[tuple[int, int], Txn], dict[tuple[int, int], Txn]]:
        """Which payment each refund reverses (see rules.refund_target), of every code or of code
        *serial*: the refund of each reversed payment, and the payment of each refund, by spot.
        Memory grows with the refunds, which are few, not with the statements."""
        reversed_by: dict[tuple[int, int], Txn] = {}
        reverses: dict[tuple[int, int], Txn] = {}
        where = "l.amount_fen < 0 AND l.standing NOT IN ('forged', 'unknown_code')"
        refunds = self._firsts_of(where + (" AND l.serial = ?" if serial else ""), (serial,) if serial else ())
        for refund in list(refunds):
            candidates = self._firsts_of("l.serial = ? AND l.amount_fen = ?", (refund.serial, -refund.amount))
            target = refund_target(refund, candidates, reversed_by)
            if target is not None:
                reversed_by[target.spot], reverses[refund.spot] = refund, target
        return reversed_by, reverses

    def bill_payment(
        self, serial: int, before: tuple[int, int] | None = None, reversed_by: dict | None = None
    ) -> Txn | None:
        """The payment that pays bill *serial* (listed before *before*, if given): its first payment
        through the live bill (standing ok) that no refund reversed."""
        if reversed_by is None:
            reversed_by = self.reversals(serial)[0]
        for txn in self._firsts_of("l.serial = ? AND l.amount_fen > 0 AND l.standing = 'ok'", (serial,)):
            if before is not None and txn.spot >= before:
                return None
            if txn.spot not in reversed_by:
                return txn
        return None

    def sightings(self, sid: int) -> Iterator[tuple[Txn, int, Txn | None]]:
        """Each line of statement *sid* in order, with the first line of this statement that has
        its txn_id and, if an earlier statement has it, that statement's first line with it.

        Those come from the txn_id index once per txn_id and page, and are kept while the txn_id
        recurs, so a statement listing one txn_id many times costs no more than one that does not.
        """
        known: OrderedDict[str, tuple[int, Txn | None]] = OrderedDict()
        after = -1
        while True:
            page = [
                Txn(*row)
                for row in self.db.execute(
                    f"SELECT {_LINE_COLUMNS} FROM statement_lines WHERE statement_id = ? AND line > ? "
                    "ORDER BY line LIMIT ?",
                    (sid, after, BATCH),
                )
            ]
            self._learn(sid, sorted({txn.txn_id for txn in page} - known.keys()), known)
            for txn in page:
                known.move_to_end(txn.txn_id)
                yield txn, *known[txn.txn_id]
            while len(known) > MAX_KNOWN:
                known.popitem(last=False)
            if len(page) < BATCH:
                return
            after = page[-1].line

    def _learn(self, sid: int, txn_ids: list[str], known: dict[str, tuple[int, Txn | None]]) -> None:
        """For each of *txn_ids*: its first line in statement *sid*, and its first line in the
        earliest statement that has it, if that is an earlier one."""
        for start in range(0, len(txn_ids), _IN_LIST):
            chunk = txn_ids[start : start + _IN_LIST]
            marks = ", ".join("?" * len(chunk))
            firsts: dict[str, dict[int, int]] = {}
            for txn_id, statement, line in self.db.execute(
                "SELECT txn_id, statement_id, MIN(line) FROM statement_lines "
                f"WHERE txn_id IN ({marks}) GROUP BY txn_id, statement_id",
                chunk,
            ):
                firsts.setdefault(txn_id, {})[statement] = line
            wanted: dict[int, list[int]] = {}
            for lines in firsts.values():
                if (earliest := min(lines)) != sid:
                    wanted.setdefault(earliest, []).append(lines[earliest])
            earlier: dict[tuple[int, int], Txn] = {}
            for statement, wanted_lines in wanted.items():
                rows = self.db.execute(
                    f"SELECT {_LINE_COLUMNS} FROM statement_lines WHERE statement_id = ? "
                    f"AND line IN ({', '.join('?' * len(wanted_lines))})",
                    (statement, *wanted_lines),
                )
                earlier.update((txn.spot, txn) for txn in map(lambda row: Txn(*row), rows))
            for txn_id, lines in firsts.items():
                earliest = min(lines)
                known[txn_id] = lines[sid], earlier.get((earliest, lines[earliest])) if earliest != sid else None

    # -- reconciliation runs ---------------------------------------------------------------

    def latest_run(self, sid: int) -> Run | None:
        row = self.db.execute(
            "SELECT id, at FROM reconciliations WHERE statement_id = ? ORDER BY id DESC LIMIT 1", (sid,)
        ).fetchone()
        return None if row is None else Run(row[0], sid, row[1])

    def results(self, run_id: int) -> Iterator[Result]:
        """The stored results of run *run_id*, in order."""
        sql = (
            "SELECT position, class, line, entry_id, reason FROM reconciliation_results "
            "WHERE reconciliation_id = ? AND position > ? ORDER BY position LIMIT ?"
        )
        after = -1
        while True:
            page = list(self.db.execute(sql, (run_id, after, BATCH)))
            for row in page:
                yield Result(*row[1:])
            if len(page) < BATCH:
                return
            after = page[-1][0]

    def add_run(self, sid: int, results: Iterable[Result]) -> tuple[Run, dict[str, int]]:
        """Record a run and its results (sent in batches as *results* yields them), and its summary."""
        at = utcnow()
        (run_id,) = self.db.execute(
            "INSERT INTO reconciliations (statement_id, at, summary) VALUES (?, ?, ?) RETURNING id",
            (sid, at, "{}"),
        ).fetchone()
        counts = dict.fromkeys(CLASSES, 0)
        rows = ((run_id, position, r.cls, r.line, r.entry, r.reason) for position, r in enumerate(results))
        for batch in _batches(rows):
            for row in batch:
                counts[row[2]] += 1
            self.db.executemany(
                "INSERT INTO reconciliation_results (reconciliation_id, position, class, line, entry_id, reason) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                batch,
            )
        self.db.execute("UPDATE reconciliations SET summary = ? WHERE id = ?", (json.dumps(counts), run_id))
        return Run(run_id, sid, at), counts

    def report_rows(self, run: Run) -> Iterator[tuple[Result, Txn | None, Entry | None]]:
        """Each stored result of *run* with its statement line and log entry, in order."""
        lines = ", ".join(f"l.{c}" for c in _LINE_COLUMNS.split(", "))
        entries = ", ".join(f"e.{c}" for c in _ENTRY_COLUMNS.split(", "))
        sql = (
            f"SELECT r.position, r.class, r.line, r.entry_id, r.reason, {lines}, {entries} "
            "FROM reconciliation_results r "
            "LEFT JOIN statement_lines l ON l.statement_id = ? AND l.line = r.line "
            "LEFT JOIN log_entries e ON e.id = r.entry_id "
            "WHERE r.reconciliation_id = ? AND r.position > ? ORDER BY r.position LIMIT ?"
        )
        width = len(_LINE_COLUMNS.split(", "))
        after = -1
        while True:
            page = list(self.db.execute(sql, (run.statement, run.id, after, BATCH)))
            for row in page:
                txn, entry = row[5 : 5 + width], row[5 + width :]
                yield (
                    Result(*row[1:5]),
                    Txn(*txn) if txn[0] is not None else None,
                    Entry(*entry) if entry[0] is not None else None,
                )
            if len(page) < BATCH:
                return
            after = page[-1][0]

    def counts(self) -> dict[str, int]:
        """How many rows each emergency table holds (for tests and audits)."""
        tables = ("log_entries", "statements", "statement_lines", "reconciliations", "reconciliation_results")
        return {table: self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}
