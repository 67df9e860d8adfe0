"""Money as qrpay holds it: whole fen (分) in integers, read from and printed as yuan text."""

from __future__ import annotations

import re

from ..errors import InputError

#: The largest amount one bill can carry (as the catalog's amount limits): 100,000,000 yuan.
MAX_FEN = 100_000_000 * 100
_YUAN = re.compile(r"^([0-9]{1,9})(?:\.([0-9]{1,2}))?$")


def parse_yuan(text: str) -> int:
    """The fen in *text*, an amount of yuan such as ``200``, ``200.5`` or ``200.00``.

    More than two decimals, a sign, a zero or a figure above :data:`MAX_FEN` is an InputError.
    """
    compact = str(text).strip().replace(",", "")
    match = _YUAN.match(compact)
    if not match:
        raise InputError(f"amount {text!r} is not an amount of yuan; write it like 200 or 200.50 (at most 2 decimals)")
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    fen = int(whole) * 100 + int(cents)
    if fen <= 0:
        raise InputError(f"amount {text!r} must be more than 0 yuan")
    if fen > MAX_FEN:
        raise InputError(f"amount {text!r} is above the limit of {yuan(MAX_FEN)} yuan")
    return fen


def yuan(fen: int) -> str:
    """*fen* as yuan with two decimals: ``20000`` -> ``"200.00"`` (negative amounts keep their sign)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
