"""A reconciliation run classified straight from the register, one statement line at a time.

The same rules as :func:`qrpay.emergency.rules.classify`, which holds every line in memory,
computed from ordered queries instead: memory grows with the collection log, not with the
statements. First, which payment each log entry pairs with (one pass over the first sightings
of txn ids whose code has log entries); then each line of the statement with the first line
that has its txn_id in this and in any earlier statement, found through the register's txn_id
index; then the log entries unpaid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from .books import Books, Result
from .ledger import Entry, Txn, reference_key
from .rules import (
    Outcome,
    bill_outcome,
    first_outcome,
    listed_again,
    other_details,
    paid,
    refund_outcome,
    reversed_outcome,
    same_payment,
    unpaid,
)

#: For a payment through a bill: the amount due when it was paid and the late fee in it (fen);
#: None for a payment through any other code.
DueOf = Callable[[Txn], "tuple[int, int] | None"]


def pairings(
    books: Books, by_key: dict[tuple[int, str], Entry], reversed_by: dict[tuple[int, int], Txn] | None = None
) -> dict[int, Txn]:
    """The payment each log entry pairs with: the earliest of equal amount, else the earliest; a
    payment a refund reversed pairs with nothing (the entry it paid is open again)."""
    if reversed_by is None:
        reversed_by = books.reversals()[0]
    earliest: dict[int, Txn] = {}
    equal: dict[int, Txn] = {}
    for txn in books.payable_firsts():
        entry = by_key.get((txn.serial, reference_key(txn.reference)))  # type: ignore[arg-type]
        if entry is None or txn.spot in reversed_by:
            continue
        earliest.setdefault(entry.id, txn)
        if txn.amount == entry.amount:
            equal.setdefault(entry.id, txn)
    return {entry_id: equal.get(entry_id, txn) for entry_id, txn in earliest.items()}


def results(books: Books, sid: int, entries: Sequence[Entry], due_of: DueOf | None = None) -> Iterator[Result]:
    """Every result of a run on statement *sid*: its lines in order, then the log entries unpaid.

    Refunds first reverse the payments they refund (:meth:`Books.reversals`); a payment through a
    bill (*due_of* tells which, and what it owed) is held against the bill, not the log."""
    by_key = {entry.key: entry for entry in entries}
    reversed_by, reverses = books.reversals()
    paid_by = pairings(books, by_key, reversed_by)

    def outcome_of_first(txn: Txn) -> Outcome:
        if txn.standing in ("forged", "unknown_code"):
            return Outcome(txn.standing, txn.standing_reason)
        if txn.amount < 0:
            return refund_outcome(txn, reverses.get(txn.spot))
        if txn.spot in reversed_by:
            return reversed_outcome(txn, reversed_by[txn.spot])
        owed = due_of(txn) if due_of is not None else None
        if owed is not None and txn.standing == "ok":
            assert txn.serial is not None
            earlier = books.bill_payment(txn.serial, before=txn.spot, reversed_by=reversed_by)
            return bill_outcome(txn, owed[0], owed[1], earlier)
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
