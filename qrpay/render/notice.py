"""A bill code as a notice prints it: the bill's words, the item's late-fee rule, the day it was made."""

from __future__ import annotations

from datetime import datetime, tzinfo

from ..codes.catalog import Group, Item
from ..codes.record import Code
from .model import BillView


def bill_view(code: Code, subject: Item | Group, tz: tzinfo) -> BillView | None:
    """What *code*'s notice prints of its bill (None for a code that is not a bill); the issue
    date is the day it was minted where the codes hang, so a reprint carries the same one."""
    if code.bill is None:
        return None
    rule = subject.late_fee if isinstance(subject, Item) else None
    issued = datetime.fromisoformat(code.created_at).astimezone(tz).date() if code.created_at else None
    return BillView(
        payer=code.bill.payer,
        notice=code.bill.notice,
        amount_fen=code.bill.amount_fen,
        due=code.bill.due,
        late_fee=rule.describe() if rule else "",
        issued=issued,
    )
