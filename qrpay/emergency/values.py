"""The emergency ledger's values: money in fen, payment times, and the text cells of its files."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from ..codes.money import AmountRefused, Refusal, read_yuan, yuan
from ..codes.record import clean_text

MAX_REFERENCE = 100
MAX_PAYER = 100
MAX_TXN_ID = 100

format_amount = yuan  # fen as yuan with two decimals: 12000 -> "120.00", -500 -> "-5.00" (one rule, the bills')

# -- money ---------------------------------------------------------------------------------

#: How a logged or statement amount is refused: a sentence after the line and column.
_AMOUNT_SAYS = {
    Refusal.EMPTY: "{text!r} is not an amount of yuan; write it like 120.00",
    Refusal.NOT_A_NUMBER: "{text!r} is not an amount of yuan; write it like 120.00",
    Refusal.TOO_MANY_DECIMALS: "{text!r} has {decimals} decimal places; amounts have at most 2 (fen), e.g. 120.50",
    Refusal.ZERO: "{text!r} is zero; an amount collected must be more than 0.00",
    Refusal.NEGATIVE: (
        "{text!r} is negative; amounts collected are positive (a refund is a negative line of a statement)"
    ),
    Refusal.TOO_LARGE: "{text!r} is too large; amounts are at most {limit} yuan",
}


def parse_amount(text: str, *, refunds: bool = False) -> int:
    """Yuan as people write them (``120``, ``120.5``, ``1,200.00``, ``¥120``) in whole fen, read by
    :func:`~qrpay.codes.money.read_yuan`; with *refunds* (a statement's lines) a negative amount
    (``-120.00``, a refund) is read too. Raises ValueError with a sentence otherwise.
    """
    try:
        return read_yuan(text, negative=refunds)
    except AmountRefused as refused:
        raise ValueError(refused.worded(_AMOUNT_SAYS)) from None


# -- time ----------------------------------------------------------------------------------


def parse_time(text: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 date and time of day; one without an offset is taken in *tz*."""
    value = unicodedata.normalize("NFKC", text).strip()
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO 8601 time; write it like 2024-05-01 14:30 or 2024-05-01T14:30:00+08:00"
        ) from None
    if not re.search(r"\d[T ]\d", value):
        raise ValueError(f"{value!r} has no time of day; write it like {value} 14:30")
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    try:
        return when.astimezone(tz).replace(microsecond=0)
    except OverflowError:
        raise ValueError(f"{value!r} is out of the range of dates qrpay can compare") from None


def iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


# -- text cells ----------------------------------------------------------------------------


def clean_cell(value: str, *, field: str, limit: int, required: bool = True) -> str | None:
    """A trimmed, NFC text cell; ``None`` when empty and not *required*."""
    if not value.strip():
        if required:
            raise ValueError("nothing given; this value is required")
        return None
    return clean_text(value, field=field, limit=limit)


def reference_key(reference: str) -> str:
    """What two references must share to be the same: NFKC (full-width = half-width),
    case-folded, whitespace collapsed. Bank systems often upper-case or widen what payers type."""
    return " ".join(unicodedata.normalize("NFKC", reference).casefold().split())
