"""A reconciliation run classified straight from the register, one statement line at a time.

The same rules as :func:`qrpay.emergency.rules.classify`, which holds every line in memory,
computed from ordered queries instead: memory grows with the collection log, not with the
statements. First, which payment each log entry pairs with (one pass over the first sightings
of txn ids whose code has log entries); then each line of the statement with the first line
that has its txn_id in this and in any earlier statement, found through the register's txn_id
index; then the log entries unpaid.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .books import Books, Result
from .ledger import Entry, Txn, reference_key
from .rules import Outcome, first_outcome, listed_again, other_details, paid, same_payment, unpaid


def pairings(books: Books, by_key: dict[tuple[int, str], Entry]) -> dict[int, Txn]:
    """The payment each log entry pairs with: the earliest of equal amount, else the earliest."""
    earliest: dict[int, Txn] = {}
    equal: dict[int, Txn] = {}
    for txn in books.payable_firsts():
        entry = by_key.get((txn.serial, reference_key(txn.reference)))  # type: ignore[arg-type]
        if entry is None:
            continue
        earliest.setdefault(entry.id, txn)
        if txn.amount == entry.amount:
            equal.setdefault(entry.id, txn)
    return {entry_id: equal.get(entry_id, txn) for entry_id, txn in earliest.items()}


def results(books: Books, sid: int, entries: Sequence[Entry]) -> Iterator[Result]:
    """Every result of a run on statement *sid*: its lines in order, then the log entries unpaid."""
    by_key = {entry.key: entry for entry in entries}
    paid_by = pairings(books, by_key)

    def outcome_of_first(txn: Txn) -> Outcome:
        return first_outcome(txn, by_key.get((txn.serial, reference_key(txn.reference))), paid_by)  # type: ignore[arg-type]

    for txn, here, earlier in books.sightings(sid):
        if here != txn.line:
            outcome = listed_again(txn, here)
        elif earlier is None:
            outcome = outcome_of_first(txn)
        elif earlier.content != txn.content:
            outcome = other_details(txn, earlier)
        else:
            outcome = same_payment(earlier, outcome_of_first(earlier))
        yield Result(outcome.cls, txn.line, outcome.entry, outcome.reason)
    for entry in entries:
        if entry.id not in paid_by:
            yield Result("unpaid", None, entry.id, unpaid(entry).reason)


def logged(books: Books, entries: Sequence[Entry]) -> dict[int, Outcome]:
    """The outcome of every log entry (by id) against all statements imported so far."""
    by_key = {entry.key: entry for entry in entries}
    paid_by = pairings(books, by_key)
    outcomes = {}
    for entry in entries:
        txn = paid_by.get(entry.id)
        outcomes[entry.id] = unpaid(entry) if txn is None else paid(entry, txn, first_outcome(txn, entry, paid_by))
    return outcomes
