"""The rules of reconciliation: every payment and every logged collection gets one class.

Nothing here touches the register or the keyring, so each rule can be tested on plain values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..codes.record import code_id
from .values import format_amount, reference_key

#: Every class a reconciliation row can get, in report order.
CLASSES = (
    "matched",
    "amount_mismatch",
    "forged",
    "unknown_code",
    "revoked",
    "expired",
    "duplicate",
    "refunded",
    "unlogged",
    "unpaid",
)


@dataclass(frozen=True)
class Entry:
    """A collection logged under the fallback: the money a counter says it took."""

    id: int
    serial: int
    amount: int
    reference: str
    payer: str | None
    at: str
    source: str
    logged_at: str

    @property
    def key(self) -> tuple[int, str]:
        return self.serial, reference_key(self.reference)


@dataclass(frozen=True)
class Txn:
    """A statement line as stored: the payment plus its code's standing at payment time."""

    statement: int
    line: int
    txn_id: str
    paid_at: str
    amount: int
    code: str
    reference: str
    serial: int | None
    standing: str
    standing_reason: str

    @property
    def spot(self) -> tuple[int, int]:
        return self.statement, self.line

    @property
    def content(self) -> tuple:
        return self.paid_at, self.amount, self.code, self.reference


@dataclass(frozen=True)
class Outcome:
    """The class of one statement line or log entry, why, and the other side of the pair."""

    cls: str
    reason: str
    entry: int | None = None
    txn: tuple[int, int] | None = None


def _firsts(txns: Sequence[Txn], out: dict) -> tuple[list[Txn], list[tuple[Txn, Txn]]]:
    """Split lines into first sightings of a txn_id and repeats; repeats that are duplicates go to *out*."""
    first: dict[str, Txn] = {}
    in_statement: dict[tuple[int, str], Txn] = {}
    firsts, repeats = [], []
    for txn in sorted(txns, key=lambda t: t.spot):
        here = in_statement.get((txn.statement, txn.txn_id))
        earlier = first.get(txn.txn_id)
        if here is not None:
            out[txn.spot] = listed_again(txn, here.line)
        elif earlier is None:
            first[txn.txn_id] = txn
            firsts.append(txn)
        elif earlier.content != txn.content:
            out[txn.spot] = other_details(txn, earlier)
        else:
            repeats.append((txn, earlier))
        in_statement.setdefault((txn.statement, txn.txn_id), txn)
    return firsts, repeats


def classify(
    txns: Sequence[Txn], entries: Sequence[Entry]
) -> tuple[dict[tuple[int, int], Outcome], dict[int, Outcome]]:
    """The outcome of every stored statement line (by statement and line) and every log entry (by id).

    A log entry pairs with at most one payment of the same code and reference: the earliest one
    of equal amount, else the earliest one. Payments through forged or unknown codes never pair.
    """
    lines: dict[tuple[int, int], Outcome] = {}
    firsts, repeats = _firsts(txns, lines)
    by_key = {entry.key: entry for entry in entries}
    payable: dict[tuple[int, str], list[Txn]] = {}
    for txn in firsts:
        if txn.standing in ("forged", "unknown_code"):
            lines[txn.spot] = Outcome(txn.standing, txn.standing_reason)
        else:
            assert txn.serial is not None  # a payment through a code of this register
            payable.setdefault((txn.serial, reference_key(txn.reference)), []).append(txn)
    paid_by: dict[int, Txn] = {}
    for key, candidates in payable.items():
        entry = by_key.get(key)
        if entry is not None:
            paid_by[entry.id] = next((t for t in candidates if t.amount == entry.amount), candidates[0])
    pairs = {paying.spot: entry for entry in entries if (paying := paid_by.get(entry.id))}
    for key, candidates in payable.items():
        for txn in candidates:
            lines[txn.spot] = _paired(txn, pairs.get(txn.spot), by_key.get(key), paid_by)
    for txn, earlier in repeats:
        lines[txn.spot] = same_payment(earlier, lines[earlier.spot])
    logged: dict[int, Outcome] = {}
    for entry in entries:
        paying = paid_by.get(entry.id)
        if paying is None:
            logged[entry.id] = unpaid(entry)
        else:
            logged[entry.id] = paid(entry, paying, lines[paying.spot])
    return lines, logged


def listed_again(txn: Txn, line: int) -> Outcome:
    """A txn_id that an earlier *line* of the same statement already has."""
    return Outcome("duplicate", f"txn {txn.txn_id} is listed again: it is already on line {line}")


def other_details(txn: Txn, earlier: Txn) -> Outcome:
    """A txn_id that an earlier statement has with another time, amount, code or reference."""
    return Outcome(
        "duplicate",
        f"txn {txn.txn_id} is already in statement #{earlier.statement} (line {earlier.line}) with other details",
    )


def same_payment(earlier: Txn, seen: Outcome) -> Outcome:
    """A payment an earlier statement already lists: the class that line has (*seen*)."""
    return Outcome(
        seen.cls,
        f"same payment as statement #{earlier.statement} line {earlier.line}: {seen.reason}",
        seen.entry,
        earlier.spot,
    )


def paid(entry: Entry, txn: Txn, seen: Outcome) -> Outcome:
    """A log entry that payment *txn* pays; it has the class that payment's line has (*seen*)."""
    return Outcome(
        seen.cls, f"paid by txn {txn.txn_id} (statement #{txn.statement} line {txn.line})", entry.id, txn.spot
    )


def unpaid(entry: Entry) -> Outcome:
    return Outcome("unpaid", f"logged {format_amount(entry.amount)} at {entry.at}; no statement shows this payment")


def first_outcome(txn: Txn, holder: Entry | None, paid_by: dict[int, Txn]) -> Outcome:
    """The outcome of the first sighting of a txn_id; *holder* is the log entry of its code and
    reference key, *paid_by* the payment each log entry pairs with."""
    if txn.standing in ("forged", "unknown_code"):
        return Outcome(txn.standing, txn.standing_reason)
    payer = paid_by.get(holder.id) if holder is not None else None
    return _paired(txn, holder if payer is not None and payer.spot == txn.spot else None, holder, paid_by)


def _paired(txn: Txn, entry: Entry | None, holder: Entry | None, paid_by: dict[int, Txn]) -> Outcome:
    """The outcome of a payment through a genuine code, given the log entry it pairs with (if any)."""
    if entry is not None:
        if txn.standing != "ok":
            return Outcome(txn.standing, f"{txn.standing_reason}; it pays log entry #{entry.id}", entry.id)
        if txn.amount == entry.amount:
            return Outcome("matched", f"log entry #{entry.id}", entry.id)
        return Outcome(
            "amount_mismatch",
            f"paid {format_amount(txn.amount)}, logged {format_amount(entry.amount)} (log entry #{entry.id})",
            entry.id,
        )
    if txn.standing != "ok":
        return Outcome(txn.standing, txn.standing_reason)
    if holder is not None:
        other = paid_by[holder.id]
        return Outcome(
            "unlogged",
            f"a second payment for reference {txn.reference!r}: log entry #{holder.id} is paid by txn {other.txn_id}",
        )
    reference = f"reference {txn.reference!r}" if txn.reference else "an empty reference"
    assert txn.serial is not None  # only payments through a code of this register are paired
    return Outcome("unlogged", f"no log entry for {code_id(txn.serial)} with {reference}")


# -- refunds and bills ----------------------------------------------------------------------

#: Codes whose payments can be refunded or pay anything: a forged or unknown code's never do.
_UNPAYABLE = ("forged", "unknown_code")


def refund_target(refund: Txn, candidates: Iterable[Txn], taken: dict[tuple[int, int], Txn]) -> Txn | None:
    """The payment the refund line *refund* (a negative amount) reverses, if any.

    A refund reverses the earliest payment that is listed before it (an earlier statement, or an
    earlier line of the same one), through the same code, of exactly the opposite amount, with the
    same reference (compared as :func:`reference_key` compares them), and not reversed already
    (*taken*, by the spot of the payment). *candidates* are the first sightings of txn ids through
    the refund's code with the opposite amount, in (statement, line) order.
    """
    key = reference_key(refund.reference)
    for txn in candidates:
        if txn.spot >= refund.spot:
            return None
        if (
            txn.amount == -refund.amount
            and txn.standing not in _UNPAYABLE
            and txn.spot not in taken
            and reference_key(txn.reference) == key
        ):
            return txn
    return None


def refund_outcome(refund: Txn, target: Txn | None) -> Outcome:
    """A refund line: ``refunded`` when it reverses a payment, else a discrepancy."""
    if target is None:
        return Outcome(
            "amount_mismatch",
            f"a refund of {format_amount(-refund.amount)} that reverses no earlier payment of that amount "
            f"through this code with reference {refund.reference!r}",
        )
    return Outcome(
        "refunded",
        f"refunds txn {target.txn_id} (statement #{target.statement} line {target.line}, "
        f"{format_amount(target.amount)})",
    )


def reversed_outcome(txn: Txn, refund: Txn) -> Outcome:
    """A payment a later refund reversed: what it paid is open again."""
    return Outcome(
        "refunded",
        f"paid {format_amount(txn.amount)}, refunded by txn {refund.txn_id} "
        f"(statement #{refund.statement} line {refund.line})",
    )


def bill_outcome(txn: Txn, due: int, late: int, earlier: Txn | None) -> Outcome:
    """A payment through a live bill that owed *due* fen at payment time (*late* of it the late
    fee), where *earlier* is the bill's earlier payment, if one stands (not refunded)."""
    bill = code_id(txn.serial) if txn.serial else "the bill"
    if earlier is not None:
        return Outcome(
            "duplicate",
            f"a second payment of bill {bill}: already paid by txn {earlier.txn_id} "
            f"(statement #{earlier.statement} line {earlier.line})",
        )
    owed = f"{format_amount(due)} due" + (f" (late fee {format_amount(late)} included)" if late else "")
    if txn.amount == due:
        return Outcome("matched", f"bill {bill} paid in full: {owed}")
    gap = txn.amount - due
    how = "over-paid" if gap > 0 else "under-paid"
    return Outcome(
        "amount_mismatch", f"bill {bill} {how} by {format_amount(abs(gap))}: paid {format_amount(txn.amount)}, {owed}"
    )


def summarize(classes: Sequence[str]) -> dict[str, int]:
    """A count for every class, zeros included."""
    return {cls: sum(1 for c in classes if c == cls) for cls in CLASSES}
