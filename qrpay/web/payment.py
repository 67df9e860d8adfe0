"""The continue-to-payment form: checking what the payer typed, and the platform link it leads to.

The link is always built from the configured pay URL; nothing in a request chooses its host.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..codes.money import AmountRefused, Refusal, fen_of, read_yuan

#: What the platform's amount field holds (99,999,999.99 yuan), whatever the catalog says.
PLATFORM_MAX_FEN = 99_999_999_99
MAX_REFERENCE = 40
_REFERENCE_PUNCTUATION = set("-_/.()（）〔〕[]【】#＃:：")
OUR_PARAMS = ("code", "item", "amount", "ref")


@dataclass(frozen=True)
class Payment:
    """A checked submission: what the platform is told to collect."""

    payment_code: str  # 12 digits (a bill's 16), no spaces
    item: str
    amount: Decimal
    reference: str


#: How the payer's amount is refused, beside the field. ``{limit}`` is the item's maximum (or the platform's).
_AMOUNT_SAYS = {
    Refusal.EMPTY: "请填写金额 · Enter the amount",
    Refusal.NOT_A_NUMBER: "金额应为数字，如 200 或 200.50 · The amount must be a number such as 200 or 200.50",
    Refusal.TOO_MANY_DECIMALS: "金额最多两位小数（元、角、分）· At most two decimals (yuan, jiao, fen)",
    Refusal.ZERO: "金额应大于 0 · The amount must be more than 0",
    Refusal.NEGATIVE: "金额应大于 0 · The amount must be more than 0",
    Refusal.TOO_LARGE: "此项目金额不超过 ¥{limit} · The amount for this item is at most ¥{limit}",
}


def parse_amount(text: str, low: Decimal | None, high: Decimal | None) -> tuple[Decimal | None, str | None]:
    """The amount in yuan (read by :func:`~qrpay.codes.money.read_yuan`, within the item's
    *low* and *high* and the platform's field), or None and the error to show beside the field."""
    top = min(fen_of(high), PLATFORM_MAX_FEN) if high is not None else PLATFORM_MAX_FEN
    try:
        fen = read_yuan(text, limit=top)
    except AmountRefused as refused:
        return None, refused.worded(_AMOUNT_SAYS)
    if low is not None and fen < fen_of(low):
        return None, f"此项目金额不低于 ¥{low:.2f} · The amount for this item is at least ¥{low:.2f}"
    return Decimal(fen).scaleb(-2), None


def parse_reference(text: str) -> tuple[str | None, str | None]:
    """The business reference (e.g. a decision-notice number), or None and the error to show."""
    value = " ".join(unicodedata.normalize("NFKC", text).split())
    if not value:
        return None, "请填写业务编号（如决定书编号）· Enter the reference, e.g. the notice number"
    if len(value) > MAX_REFERENCE:
        return None, f"业务编号最多 {MAX_REFERENCE} 个字符 · At most {MAX_REFERENCE} characters"
    bad = sorted({ch for ch in value if not _reference_char(ch)})
    if bad:
        shown = " ".join(bad[:5])
        return (
            None,
            f"业务编号只能包含文字、数字和 - / ( ) 〔 〕 # 等符号，不能有：{shown} · Letters, digits and - / ( ) # only",
        )
    return value, None


def _reference_char(ch: str) -> bool:
    return ch == " " or ch in _REFERENCE_PUNCTUATION or unicodedata.category(ch)[0] in "LN"


def platform_link(pay_url: str, payment: Payment) -> str:
    """*pay_url* with the payment's query parameters; its scheme, host and path are kept as configured."""
    parts = urlsplit(pay_url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in OUR_PARAMS]
    ours = [
        ("code", payment.payment_code),
        ("item", payment.item),
        ("amount", f"{payment.amount:.2f}"),
        ("ref", payment.reference),
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(kept + ours), ""))


def form_origin(pay_url: str | None) -> str:
    """The pay URL's origin, which the page's CSP must allow as a form target for the 303 to be followed."""
    if not pay_url:
        return ""
    parts = urlsplit(pay_url)
    return f"{parts.scheme}://{parts.netloc}"
