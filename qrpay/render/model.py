"""What a renderer needs to know about one code: plain values, no register or catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from .capitals import capitals
from .sample import is_sample

if TYPE_CHECKING:
    from .emblem import Emblem
    from .fonts import Font

KIND_LABELS = {
    "unified": "全市统一缴款码",
    "scene": "场景缴款码",
    "open": "开放式缴款码（一费一码）",
    "bill": "缴款通知书专用码（一单一码）",
}

#: For payers from abroad: shown only on codes of items the catalog names in English.
KIND_HINTS_EN = {
    "unified": "Scan with Alipay, WeChat Pay or UnionPay and enter the number of your payment notice",
    "scene": "Scan with Alipay, WeChat Pay or UnionPay, check the fee shown and pay",
    "open": "Scan with Alipay, WeChat Pay or UnionPay and enter the amount and reference the officer gives you",
}

KIND_HINTS = {
    "unified": "扫码后按页面提示输入缴款通知书或决定书编号",
    "scene": "扫码后核对缴费项目，按页面提示完成缴费",
    "open": "扫码后请输入工作人员告知的缴款金额和业务编号",
    "bill": "扫码后核对缴款人、通知书编号和金额，确认后付款",
}
NONE = "无"  # a bill's due date or late-fee rule when it has none


@dataclass(frozen=True)
class BillView:
    """What a notice prints of a bill: the payer in full (the notice is the payer's own)."""

    payer: str
    notice: str  # 通知书编号
    amount_fen: int
    due: date | None = None
    late_fee: str = ""  # the item's late-fee rule in words; none: 无
    issued: date | None = None  # the day the bill was made


@dataclass(frozen=True)
class CodeView:
    """One code as printed: the payload to encode and the words around it."""

    id: str
    kind: str
    payload: str
    payment_code: str
    name: str  # the item name, or the unified group's title
    department: str = ""
    item: str = ""  # catalog item code such as "06"; empty for a group of several items
    group: str = ""  # unified group name such as "traffic-fine"
    scene: str = ""
    valid_from: date | None = None
    valid_until: date | None = None
    name_en: str = ""  # the item's English name, for items paid by foreigners
    basis: str = ""  # 收费依据: the legal basis of the fee
    complaints: str = ""  # 监督电话: where a payer complains
    bill: BillView | None = None  # a bill code's

    @property
    def sample(self) -> bool:
        """A code on the placeholder base URL: it prints as a 样张 and can take no payment."""
        return is_sample(self.payload)

    @property
    def kind_hint_en(self) -> str:
        return KIND_HINTS_EN.get(self.kind, "") if self.name_en else ""

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def kind_hint(self) -> str:
        return KIND_HINTS.get(self.kind, "")

    @property
    def validity(self) -> str:
        """The validity window in words a payer reads: 长期有效, or the dates."""
        start, end = self.valid_from, self.valid_until
        if start and end:
            return f"有效期 {start.isoformat()} 至 {end.isoformat()}"
        if end:
            return f"有效期至 {end.isoformat()}"
        if start:
            return f"{start.isoformat()} 起有效"
        return "长期有效"

    @property
    def validity_en(self) -> str:
        start, end = self.valid_from, self.valid_until
        if not self.name_en:
            return ""
        if start and end:
            return f"Valid {start.isoformat()} to {end.isoformat()}"
        if end:
            return f"Valid until {end.isoformat()}"
        if start:
            return f"Valid from {start.isoformat()}"
        return "No expiry date"

    def fields(self) -> dict[str, str]:
        """The values template text can name as ``{field}``."""
        return {
            "id": self.id,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "kind_hint": self.kind_hint,
            "payload": self.payload,
            "payment_code": self.payment_code,
            "name": self.name,
            "department": self.department,
            "item": self.item,
            "group": self.group,
            "scene": self.scene,
            "validity": self.validity,
            "validity_en": self.validity_en,
            "name_en": self.name_en,
            "kind_hint_en": self.kind_hint_en,
            "basis": self.basis,
            "complaints": self.complaints,
            **bill_fields(self.bill),
        }


def bill_fields(bill: BillView | None) -> dict[str, str]:
    """A bill's template fields; all empty for a code that is not a bill."""
    if bill is None:
        return dict.fromkeys(("payer", "notice", "amount", "amount_capitals", "due", "late_fee", "issued"), "")
    fen = bill.amount_fen
    return {
        "payer": bill.payer,
        "notice": bill.notice,
        "amount": f"{fen // 100:,}.{fen % 100:02d}",
        "amount_capitals": capitals(fen),
        "due": chinese_day(bill.due) if bill.due else NONE,
        "late_fee": bill.late_fee or NONE,
        "issued": chinese_day(bill.issued) if bill.issued else "",
    }


def chinese_day(day: date) -> str:
    """A date as a notice prints it: 2026年12月31日."""
    return f"{day.year}年{day.month}月{day.day}日"


#: Every field a template may use, besides the template's own ``[values]``.
FIELDS = tuple(CodeView("C0000001", "scene", "", "", "").fields())


@dataclass(frozen=True)
class Options:
    """How to draw, beyond the template: the font, an emblem, PNG scale, data-URI snippet."""

    font: Font | None = None  # print templates need one
    emblem: Emblem | None = None
    scale: int = 1
    data_uri: bool = False


@dataclass(frozen=True)
class Drawn:
    """What a writer produced: the file's bytes and the payloads each page must read back as."""

    data: bytes
    pages: list[list[str]]
    check_dpi: float = 0.0  # resolution to rasterise a PDF at for the self-check
    page_modules: list[float] = field(default_factory=list)  # mm, each page's largest module: its widest quiet zone
