"""Reconciliation: a statement from the platform or a bank, held against the collection log.

Each statement is imported once (recognised by its payments, whatever the file's encoding);
every run classifies its lines and the log entries still unpaid, and stores the results as
a new run only when they differ from the statement's last run. Re-running the same
statement on an unchanged register therefore writes nothing and prints the same report.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..api import Qrpay
from ..codes.record import code_id
from ..fileio import atomic_file
from .books import Judged, Result, Run
from .ledger import Entry, Payment, Txn, classify, format_amount, read_statement, summarize

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
    """One reconciliation of one statement, as stored in the register."""

    statement: dict
    run: Run
    new_statement: bool
    new_run: bool
    rows: list[dict]

    @property
    def summary(self) -> dict[str, int]:
        return summarize([row["class"] for row in self.rows])

    @property
    def clean(self) -> bool:
        """True when every line matched and no logged collection is unpaid."""
        return all(row["class"] == "matched" for row in self.rows)

    def to_dict(self) -> dict:
        return {
            "statement": {**self.statement, "new": self.new_statement},
            "run": {"id": self.run.id, "at": self.run.at, "new": self.new_run},
            "summary": self.summary,
            "rows": self.rows,
        }

    def write_csv(self, path: Path) -> None:
        """The rows as CSV, UTF-8 with a BOM so spreadsheet programs show Chinese text correctly."""
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, REPORT_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(self.rows)
        with atomic_file(path) as handle:
            handle.write(buffer.getvalue().encode("utf-8-sig"))


def judge(qrpay: Qrpay, payment: Payment) -> Judged:
    """A payment and its code's standing at the moment it was paid."""
    found = qrpay.standing_at(payment.code, payment.paid_at)
    serial = found.code.serial if found.code and found.standing not in ("forged", "unknown_code") else None
    return Judged(payment, serial, found.standing, found.reason)


def reconcile(qrpay: Qrpay, path: Path, *, encoding: str | None = None, name: str | None = None) -> Report:
    """Import the statement at *path* (once) and classify it against the collection log."""
    statement = read_statement(path, qrpay.settings.tz, name=name, encoding=encoding)
    books = qrpay.books
    with qrpay.transaction():
        sid = books.statement_id(statement.digest)
        new_statement = sid is None
        if new_statement:
            sid = books.add_statement(statement, [judge(qrpay, payment) for payment in statement.payments])
        txns, entries = books.txns(), books.entries()
        lines, logged = classify(txns, entries)
        results = [
            Result(outcome.cls, line, outcome.entry, outcome.reason)
            for (statement_id, line), outcome in sorted(lines.items())
            if statement_id == sid
        ]
        results += [
            Result("unpaid", None, entry_id, outcome.reason)
            for entry_id, outcome in logged.items()
            if outcome.cls == "unpaid"
        ]
        run = books.latest_run(sid)
        new_run = run is None or run.results != tuple(results)
        if new_run:
            run = books.add_run(sid, results, summarize([result.cls for result in results]))
    here = {txn.line: txn for txn in txns if txn.statement == sid}
    by_id = {entry.id: entry for entry in entries}
    rows = [_row(result, here.get(result.line), by_id.get(result.entry)) for result in run.results]
    return Report(books.statement(sid), run, new_statement, new_run, rows)


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
