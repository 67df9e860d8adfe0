"""Money as qrpay holds it: whole fen (分) in integers, read from and printed as yuan text.

:func:`read_yuan` is the one reader of amounts people write (a bill's ``--amount``, a batch row,
the desk's and the payer's forms, the collection log, a bank statement). It says why it refuses
one as a :class:`Refusal`; each caller words that for its own audience from a table.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum

from ..errors import InputError

#: The largest amount qrpay reads (as the catalog's amount limits): 100,000,000 yuan.
MAX_FEN = 100_000_000 * 100
# After NFKC (which makes ￥ ¥, full-width digits, points, commas and minus ASCII): a sign before
# or after an optional ¥, then whole yuan, grouped by thousands or not at all, then any decimals.
_YUAN = re.compile(
    r"(?P<before>-)?\s*(?:¥\s*)?(?P<after>-)?\s*"
    r"(?P<whole>[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<decimals>[0-9]+))?"
)


class Refusal(Enum):
    """Why :func:`read_yuan` refused a text; stable, for each caller to word for its audience."""

    EMPTY = "empty"
    NOT_A_NUMBER = "not a number"
    TOO_MANY_DECIMALS = "too many decimals"
    ZERO = "zero"
    NEGATIVE = "negative"
    TOO_LARGE = "too large"


class AmountRefused(ValueError):
    """An amount :func:`read_yuan` would not read: the *reason*, and the *text* as read (NFKC, trimmed)."""

    def __init__(self, reason: Refusal, text: str, *, decimals: int = 0, limit: int = MAX_FEN) -> None:
        super().__init__(f"{text!r}: {reason.value}")
        self.reason = reason
        self.text = text
        self.decimals = decimals  # how many a TOO_MANY_DECIMALS text has
        self.limit = limit  # the bound a TOO_LARGE text is over, in fen

    def worded(self, says: Mapping[Refusal, str]) -> str:
        """The caller's sentence for this reason; it may name ``{text!r}``, ``{decimals}`` and ``{limit}`` (yuan)."""
        return says[self.reason].format(text=self.text, decimals=self.decimals, limit=yuan(self.limit))


def read_yuan(text: str, *, negative: bool = False, limit: int = MAX_FEN) -> int:
    """The fen in *text*, yuan as people write them: ``200``, `` 200.5 ``, ``¥1,200.00``, ``１２０``.

    Exact, with no floats. Full-width forms read as their ASCII (NFKC); surrounding space and a
    leading ``¥``/``￥`` are dropped; commas must group thousands (``1,200``, not ``1,20,0``); at
    most two decimals. A minus sign (``-120.00``, ``-¥5``) is read only with *negative* (refunds).
    Anything else, zero, or more than *limit* fen either way raises :class:`AmountRefused`.
    """
    written = unicodedata.normalize("NFKC", text).strip()
    match = _YUAN.fullmatch(written)
    if not written:
        raise AmountRefused(Refusal.EMPTY, written)
    if match is None or (match["before"] and match["after"]):
        raise AmountRefused(Refusal.NOT_A_NUMBER, written)
    whole, decimals = match["whole"].replace(",", "").lstrip("0"), match["decimals"] or ""
    if len(decimals) > 2:
        raise AmountRefused(Refusal.TOO_MANY_DECIMALS, written, decimals=len(decimals))
    if not (whole + decimals).strip("0"):
        raise AmountRefused(Refusal.ZERO, written)
    minus = bool(match["before"] or match["after"])
    if minus and not negative:
        raise AmountRefused(Refusal.NEGATIVE, written)
    if len(whole) > len(str(limit)):  # far too many digits: refused before int() is asked to read them
        raise AmountRefused(Refusal.TOO_LARGE, written, limit=limit)
    fen = int(whole or "0") * 100 + int(decimals.ljust(2, "0"))
    if fen > limit:
        raise AmountRefused(Refusal.TOO_LARGE, written, limit=limit)
    return -fen if minus else fen


#: How a bill's amount (``--amount``, a batch row, the desk's form) is refused: one CLI sentence.
_BILL_SAYS = {
    Refusal.EMPTY: "amount is empty; give it in yuan, like 200 or 200.50",
    Refusal.NOT_A_NUMBER: "amount {text!r} is not an amount of yuan; write it like 200 or 200.50 (at most 2 decimals)",
    Refusal.TOO_MANY_DECIMALS: "amount {text!r} has {decimals} decimals; write it like 200 or 200.50 (at most 2 decimals)",
    Refusal.ZERO: "amount {text!r} must be more than 0 yuan",
    Refusal.NEGATIVE: "amount {text!r} must be more than 0 yuan",
    Refusal.TOO_LARGE: "amount {text!r} is above the limit of {limit} yuan",
}


def parse_yuan(text: str) -> int:
    """The fen in a bill's *text*, read by :func:`read_yuan`; an InputError naming it and what is wrong if not."""
    try:
        return read_yuan(text)
    except AmountRefused as refused:
        raise InputError(refused.worded(_BILL_SAYS)) from None


def fen_of(amount: Decimal) -> int:
    """Whole fen for a Decimal of yuan with at most two decimals (a catalog's amount limit)."""
    return int(amount * 100)


def yuan(fen: int) -> str:
    """*fen* as yuan with two decimals: ``20000`` -> ``"200.00"`` (negative amounts keep their sign)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
