"""The domain record of a minted code, and the checks on what users type to mint one."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING

from ..errors import InputError
from .token import EPOCH, LAST_DATE

if TYPE_CHECKING:
    from .bill import Bill

MAX_SCENE = 64
_ID = re.compile(r"^[cC]0*([1-9][0-9]{0,8})$")


def code_id(serial: int) -> str:
    """The short id users type: ``C`` and the serial in seven digits (more past 9,999,999: bills)."""
    return f"C{serial:07d}"


def parse_id(text: str) -> int:
    """The serial behind an id such as ``C0000042``."""
    match = _ID.match(text.strip())
    if not match:
        raise InputError(f"{text!r} is not a code id; ids look like C0000042 (see 'qrpay list')")
    return int(match.group(1))


def clean_text(value: str, *, field: str, limit: int) -> str:
    """NFC-normalised, trimmed text with single spaces; no control or invisible format characters."""
    text = unicodedata.normalize("NFC", value)
    bad = sorted(
        {
            f"U+{ord(ch):04X}"
            for ch in text
            if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") and ch not in "\t"
        }
    )
    if bad:
        raise InputError(f"{field} contains control or invisible characters ({', '.join(bad)}); type plain text")
    text = " ".join(text.split())
    if not text:
        raise InputError(f"{field} is empty; type some text")
    if len(text) > limit:
        raise InputError(f"{field} is {len(text)} characters; the limit is {limit}")
    return text


def clean_scene(value: str) -> str:
    """A scene label: where a code hangs, e.g. "window 3" or "website"."""
    return clean_text(value, field="scene", limit=MAX_SCENE)


def parse_date(value: str | date | None, *, field: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"{field} {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-31") from None


def check_window(valid_from: date | None, valid_until: date | None, today: date) -> None:
    if valid_from and valid_until and valid_from > valid_until:
        raise InputError(f"valid-from {valid_from} is after valid-until {valid_until}; swap them")
    if valid_until and valid_until < today:
        raise InputError(f"valid-until {valid_until} is already past (today is {today}); give a later date")
    for day in (valid_from, valid_until):
        if day and not EPOCH <= day <= LAST_DATE:
            raise InputError(f"date {day} is outside {EPOCH} to {LAST_DATE}")


@dataclass(frozen=True)
class Code:
    """One row of the register: a minted code and its state."""

    serial: int
    kind: str
    number: int
    scene: str | None
    valid_from: date | None
    valid_until: date | None
    kid: int
    token: str
    payload: str
    payment_code: str
    qr_version: int
    created_at: str
    revoked_at: str | None = None
    revoked_reason: str | None = None
    bill: Bill | None = None  # a bill's amount, payer, notice and due date

    @property
    def id(self) -> str:
        return code_id(self.serial)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def window_status(self, today: date) -> str | None:
        """``expired`` or ``not-yet-valid`` when *today* is outside the validity window."""
        if self.valid_until and today > self.valid_until:
            return "expired"
        if self.valid_from and today < self.valid_from:
            return "not-yet-valid"
        return None

    def to_dict(self, *, public: bool = False) -> dict:
        """The record's fields; a bill's add ``amount``, ``payer`` (masked when *public*), ``notice``, ``due``."""
        data = asdict(self)
        data["id"] = self.id
        for field in ("valid_from", "valid_until"):
            if data[field] is not None:
                data[field] = data[field].isoformat()
        del data["bill"]
        if self.bill is not None:
            data.update(self.bill.to_dict(public=public))
        return data
