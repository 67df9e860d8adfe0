"""Reconciliation: a statement from the platform or a bank, held against the collection log.

Each statement is imported once (recognised by its payments, whatever the file's encoding);
every run classifies its lines and the log entries still unpaid, and stores the results as
a new run only when they differ from the statement's last run. Re-running the same
statement on an unchanged register therefore writes nothing and prints the same report.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from ..api import Qrpay
from ..codes.record import Code, code_id
from ..csvfile import write_csv
from . import runs
from .books import Books, Judged, Result, Run
from .ledger import CLASSES, Entry, Payment, Txn, format_amount
from .statement import StatementFile

REPORT_COLUMNS = (
    "class",
    "line",
    "txn_id",
    "paid_at",
    "amount",
    "code",
    "given_code",
    "reference",
    "entry",
    "logged_amount",
    "logged_at",
    "payer",
    "reason",
)


@dataclass(frozen=True)
class Report:
    """One reconciliation of one statement, as stored in the register.

    Its rows are read from the register as they are used (:meth:`iter_rows`), so a report on a
    statement of any length is written as CSV or JSON in flat memory; :attr:`rows` holds them all.
    """

    statement: dict
    run: Run
    new_statement: bool
    new_run: bool
    summary: dict[str, int]
    books: Books = field(repr=False, compare=False)

    @property
    def clean(self) -> bool:
        """True when every line matched or is a refund and the payment it reversed, and no logged
        collection is unpaid."""
        return sum(self.summary.values()) == self.summary["matched"] + self.summary["refunded"]

    def iter_rows(self) -> Iterator[dict]:
        """The report's rows in order, read from the register a page at a time."""
        for result, txn, entry in self.books.report_rows(self.run):
            yield _row(result, txn, entry)

    @property
    def rows(self) -> list[dict]:
        return list(self.iter_rows())

    def _head(self) -> dict:
        return {
            "statement": {**self.statement, "new": self.new_statement},
            "run": {"id": self.run.id, "at": self.run.at, "new": self.new_run},
            "summary": self.summary,
        }

    def to_dict(self) -> dict:
        return {**self._head(), "rows": self.rows}

    def json_chunks(self) -> Iterator[str]:
        """``json.dumps(self.to_dict(), ensure_ascii=False, indent=2)``, one row at a time."""
        text = json.dumps({**self._head(), "rows": []}, ensure_ascii=False, indent=2)
        yield text[: -len("[]\n}")]
        opening = "[\n    "
        for row in self.iter_rows():
            yield opening + json.dumps(row, ensure_ascii=False, indent=2).replace("\n", "\n    ")
            opening = ",\n    "
        yield "[]\n}" if opening.startswith("[") else "\n  ]\n}"

    def write_csv(self, path: Path) -> None:
        """The rows as CSV, UTF-8 with a BOM so spreadsheet programs show Chinese text correctly,
        formula-safe (a reference such as ``=HYPERLINK(…)`` is written ``'=HYPERLINK(…)``)."""
        rows = ([row[column] for column in REPORT_COLUMNS] for row in self.iter_rows())
        write_csv(path, REPORT_COLUMNS, rows, bom=True)


def judge(qrpay: Qrpay, payment: Payment) -> Judged:
    """A payment and its code's standing at the moment it was paid."""
    found = qrpay.standing_at(payment.code, payment.paid_at)
    serial = found.code.serial if found.code and found.standing not in ("forged", "unknown_code") else None
    return Judged(payment, serial, found.standing, found.reason)


def dues(qrpay: Qrpay) -> runs.DueOf:
    """What a payment through a bill owed when it was paid (amount due and late fee, in fen), by
    the one rule of :func:`qrpay.codes.bill.amount_due`; None for other codes. Bills are looked up
    once each (a few thousand kept)."""

    @lru_cache(maxsize=4096)
    def bill(serial: int) -> Code | None:
        code = qrpay.register.lookup(serial)
        return code if code is not None and code.bill is not None else None

    def due_of(txn: Txn) -> tuple[int, int] | None:
        code = bill(txn.serial) if txn.serial is not None else None
        if code is None or code.bill is None:
            return None
        due = qrpay.amount_due(code, datetime.fromisoformat(txn.paid_at).astimezone(qrpay.settings.tz).date())
        return due, due - code.bill.amount_fen

    return due_of


def reconcile(qrpay: Qrpay, path: Path, *, encoding: str | None = None, name: str | None = None) -> Report:
    """Import the statement at *path* (once) and classify it against the collection log.

    The file is read twice, never held whole: once to check every cell and find its digest,
    and, if it is new, again to record its lines in batches (the digest must come out the same).
    """
    source = StatementFile(Path(path), qrpay.settings.tz, name or str(path), encoding)
    used, digest = source.check()
    books = qrpay.books
    with qrpay.transaction():
        sid = books.statement_id(digest)
        new_statement = sid is None
        if sid is None:
            judged = (judge(qrpay, payment) for payment in source.payments(digest))
            sid = books.add_statement(source.name, used, digest, judged)
        entries = books.entries()
        due_of = dues(qrpay)
        run = books.latest_run(sid)
        summary = dict.fromkeys(CLASSES, 0)
        same = run is not None
        if run is not None:
            stored = books.results(run.id)
            for result in runs.results(books, sid, entries, due_of):
                summary[result.cls] += 1
                same = same and next(stored, None) == result
            same = same and next(stored, None) is None
        if not same:
            run, summary = books.add_run(sid, runs.results(books, sid, entries, due_of))
    assert run is not None
    return Report(books.statement(sid), run, new_statement, not same, summary, books)


def _row(result: Result, txn: Txn | None, entry: Entry | None) -> dict:
    row = dict.fromkeys(REPORT_COLUMNS)
    row.update({"class": result.cls, "line": result.line, "entry": result.entry, "reason": result.reason})
    if txn is not None:
        row.update(
            txn_id=txn.txn_id,
            paid_at=txn.paid_at,
            amount=format_amount(txn.amount),
            code=code_id(txn.serial) if txn.serial else None,
            given_code=txn.code,
            reference=txn.reference,
        )
    if entry is not None:
        row.update(logged_amount=format_amount(entry.amount), logged_at=entry.at, payer=entry.payer)
        row["code"] = row["code"] or code_id(entry.serial)
        row["reference"] = row["reference"] if txn is not None else entry.reference
    return row
