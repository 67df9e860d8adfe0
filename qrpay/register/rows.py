"""How a code is stored: the codes table's columns, a row made into a :class:`Code`, and the
:class:`Purpose` the register keeps one live code for."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple

from ..codes.bill import Bill
from ..codes.record import Code

if TYPE_CHECKING:
    from .store import Register

CODE_COLUMNS = (
    "serial, kind, number, scene, valid_from, valid_until, kid, token, payload, payment_code, "
    "qr_version, created_at, revoked_at, revoked_reason, amount_fen, payer, notice, due"
)
#: The unique indexes that hold one live code per purpose (schema.py makes them), as ON CONFLICT names them.
LIVE_PURPOSE = (
    "(kind, number, coalesce(scene, ''), coalesce(valid_from, ''), coalesce(valid_until, '')) "
    "WHERE revoked_at IS NULL AND kind <> 'bill'"
)
LIVE_BILL = "(number, notice) WHERE revoked_at IS NULL AND kind = 'bill'"


class Purpose(NamedTuple):
    """What a code is for; the register holds one live code per purpose (a bill's: item and notice)."""

    kind: str
    number: int
    scene: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    bill: Bill | None = None


def day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def code(row: Any) -> Code:
    """The :class:`Code` in a row of :data:`CODE_COLUMNS`."""
    serial, kind, number, scene, valid_from, valid_until, kid, token, payload, payment_code, *rest = row
    qr_version, created_at, revoked_at, revoked_reason, amount_fen, payer, notice, due = rest
    return Code(
        serial,
        kind,
        number,
        scene,
        day(valid_from),
        day(valid_until),
        kid,
        token,
        payload,
        payment_code,
        qr_version,
        created_at,
        revoked_at,
        revoked_reason,
        bill=Bill(amount_fen, payer, notice, day(due)) if kind == "bill" else None,
    )


def bill_columns(purpose: Purpose) -> tuple[int | None, str | None, str | None, str | None]:
    """The amount_fen, payer, notice and due columns of a new code for *purpose*."""
    bill = purpose.bill
    if bill is None:
        return None, None, None, None
    return bill.amount_fen, bill.payer, bill.notice, bill.due.isoformat() if bill.due else None


def insert_codes(register: Register, codes: Iterable[Code], *, chunk: int = 5000) -> int:
    """Insert already sealed *codes* (their serials included) in one transaction, in chunks: a
    bulk fill of the register, for a benchmark or an import; returns how many were inserted."""
    marks = ", ".join("?" * len(CODE_COLUMNS.split(", ")))
    sql = f"INSERT INTO codes ({CODE_COLUMNS}) VALUES ({marks})"
    count = 0
    items = iter(codes)
    with register.transaction() as db:
        while batch := list(islice(items, chunk)):
            db.executemany(sql, [_row(code) for code in batch])
            count += len(batch)
        db.follow_key("codes", "serial")
    return count


def _row(code: Code) -> tuple[Any, ...]:
    purpose = Purpose(code.kind, code.number, bill=code.bill)
    return (
        code.serial,
        code.kind,
        code.number,
        code.scene,
        code.valid_from.isoformat() if code.valid_from else None,
        code.valid_until.isoformat() if code.valid_until else None,
        code.kid,
        code.token,
        code.payload,
        code.payment_code,
        code.qr_version,
        code.created_at,
        code.revoked_at,
        code.revoked_reason,
        *bill_columns(purpose),
    )
