"""Bills: a code for one notice, with a fixed amount, a payer, a notice number and a due date.

The amount due on a day is computed in one place, :func:`amount_due`, and everything that
names an amount (the payer's page, the redirect to the platform, reconciliation) calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from ..errors import InputError
from .money import fen_of, parse_yuan, yuan
from .record import clean_text, parse_date
from .token import EPOCH, LAST_DATE

if TYPE_CHECKING:
    from .catalog import Item

MAX_PAYER, MAX_NOTICE = 80, 64  # characters


@dataclass(frozen=True)
class Bill:
    """What a bill code is for: *amount_fen* owed by *payer* under notice *notice*, by *due*."""

    amount_fen: int
    payer: str
    notice: str
    due: date | None

    @property
    def masked_payer(self) -> str:
        return mask_payer(self.payer)

    def to_dict(self, *, public: bool) -> dict[str, str | None]:
        """The bill's fields as ``--json`` prints them; *public* masks the payer's name."""
        return {
            "amount": yuan(self.amount_fen),
            "payer": self.masked_payer if public else self.payer,
            "notice": self.notice,
            "due": self.due.isoformat() if self.due else None,
        }


def mask_payer(name: str) -> str:
    """A payer's name as shown in public: the first character, then one ``*`` per other character.

    ``"张三"`` -> ``"张*"``, ``"欧阳娜娜"`` -> ``"欧***"``; a one-character name is all ``*``.
    """
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


@dataclass(frozen=True)
class LateFee:
    """An item's late-payment rule: *daily_percent* of the bill's amount for each day after its
    due date, never more than *cap_percent* of the amount in all."""

    daily_percent: Decimal
    cap_percent: Decimal = Decimal(100)
    text: str = ""  # the sentence printed on the notice; a default is worded from the figures

    def describe(self) -> str:
        """The rule in one Chinese sentence, for the notice and the payer's page."""
        if self.text:
            return self.text
        cap = "不超过应缴金额" if self.cap_percent == 100 else f"不超过应缴金额的{_percent(self.cap_percent)}%"
        return f"逾期每日按应缴金额的{_percent(self.daily_percent)}%加收滞纳金，滞纳金总额{cap}"

    def to_dict(self) -> dict[str, str]:
        return {
            "daily_percent": _percent(self.daily_percent),
            "cap_percent": _percent(self.cap_percent),
            "describe": self.describe(),
        }


def _percent(value: Decimal) -> str:
    return format(value.normalize(), "f")


def days_late(bill: Bill, on: date) -> int:
    """Whole days after the due date on *on*: 0 on the due date itself and before it."""
    if bill.due is None or on <= bill.due:
        return 0
    return (on - bill.due).days


def late_fee(bill: Bill, rule: LateFee | None, on: date) -> int:
    """The surcharge in fen that *rule* adds to *bill* when it is paid on *on*.

    Rounding: one day's surcharge is computed once, as ``amount_fen × daily_percent / 100``
    rounded half up to the fen; the surcharge is that times the days late, capped at
    ``amount_fen × cap_percent / 100`` rounded down to the fen (so it never exceeds the cap).
    """
    days = days_late(bill, on)
    if rule is None or days == 0:
        return 0
    amount = Decimal(bill.amount_fen)
    daily = int((amount * rule.daily_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    cap = int((amount * rule.cap_percent / 100).quantize(Decimal(1), rounding=ROUND_FLOOR))
    return min(days * daily, cap)


def amount_due(bill: Bill, rule: LateFee | None, on: date) -> int:
    """What paying *bill* on the day *on* costs, in fen: its amount plus :func:`late_fee`.

    The one place the amount due is computed; see :func:`late_fee` for the rounding rule.
    """
    return bill.amount_fen + late_fee(bill, rule, on)


def make_bill(item: Item, amount: str, payer: str, notice: str, due: date | str | None, today: date) -> Bill:
    """The bill these typed fields describe for *item*, checked; InputError (one CLI line) if not."""
    fen = parse_yuan(amount)
    if item.amount_min is not None and fen < fen_of(item.amount_min):
        raise InputError(f"amount {yuan(fen)} is below item {item.code}'s minimum of {item.amount_min} yuan")
    if item.amount_max is not None and fen > fen_of(item.amount_max):
        raise InputError(f"amount {yuan(fen)} is above item {item.code}'s maximum of {item.amount_max} yuan")
    when = parse_date(due, field="due")
    if when is not None and when < today:
        raise InputError(f"due {when} is already past (today is {today}); give a later date")
    if when is not None and not EPOCH <= when <= LAST_DATE:
        raise InputError(f"due {when} is outside {EPOCH} to {LAST_DATE}")
    return Bill(
        amount_fen=fen,
        payer=clean_text(payer, field="payer", limit=MAX_PAYER),
        notice=clean_text(notice, field="notice", limit=MAX_NOTICE),
        due=when,
    )
