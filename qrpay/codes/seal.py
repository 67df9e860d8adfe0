"""Sealing a code: its purpose and serial signed into a token, and the payload and payment
code that carry it. The one place a code's signed fields are made, for real codes and for
the stand-ins that measure a code's printed text before it is minted."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from . import paycode, token
from .record import Code

if TYPE_CHECKING:
    from .bill import Bill

#: The serial and key id a stand-in carries: it prints as wide as any real code.
STAND_IN_SERIAL, STAND_IN_KID = token.MAX_SERIAL, 1
STAND_IN_BILL_SERIAL = token.MAX_BILL_SERIAL


def seal(
    kind: str,
    number: int,
    scene: str | None,
    valid_from: date | None,
    valid_until: date | None,
    serial: int,
    kid: int,
    secret: bytes,
    base_url: str,
    bill: Bill | None = None,
) -> dict[str, Any]:
    """The signed fields of code *serial*: key id, token, payload and payment code (*scene* is not
    signed; a bill's amount and due date are, its payer and notice are bound by the register)."""
    amount, due = (bill.amount_fen, bill.due) if bill is not None else (None, None)
    signed = token.sign(token.Claims(kind, kid, number, serial, valid_from, valid_until, amount, due), secret)
    return {
        "kid": kid,
        "token": signed,
        "payload": base_url + signed,
        "payment_code": paycode.make(kind, number, serial),
    }


def stand_in(
    kind: str,
    number: int,
    scene: str | None,
    valid_from: date | None,
    valid_until: date | None,
    bill: Bill | None,
    base_url: str,
) -> Code:
    """A code as it will be minted (the fields of a register Purpose, then the base URL), with a
    stand-in serial and key: never stored, never genuine."""
    serial = STAND_IN_BILL_SERIAL if kind == "bill" else STAND_IN_SERIAL
    fields = seal(kind, number, scene, valid_from, valid_until, serial, STAND_IN_KID, b"stand-in", base_url, bill=bill)
    return Code(serial, kind, number, scene, valid_from, valid_until, **fields, qr_version=0, created_at="", bill=bill)
