"""The fee catalog: which items can be paid, by whom, and how they group.

The first batch ships with the package (``catalog.toml``); a user file adds items or
overrides fields of shipped ones, so a later batch needs no code change.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, NotFoundError
from ..tomltable import REQUIRED, Table, read_toml
from .bill import LateFee, amount_due

if TYPE_CHECKING:
    from .record import Code

PAYER_TYPES = ("个人", "企业")
_ITEM_CODE = re.compile(r"^(0[1-9]|[1-8][0-9])$")
_GROUP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
MAX_NAME, MAX_BASIS = 80, 200  # characters; a poster has room for no more
MAX_AMOUNT = Decimal("100000000")


@dataclass(frozen=True)
class Item:
    code: str
    department: str
    name: str
    payers: tuple[str, ...] = PAYER_TYPES
    emergency: bool = False
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    name_en: str = ""  # for items paid by foreigners: their posters carry English lines
    basis: str = ""  # 收费依据, the legal basis printed on the poster
    late_fee: LateFee | None = None  # a bill's surcharge when paid after its due date

    @property
    def number(self) -> int:
        return int(self.code)

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "department": self.department,
            "name": self.name,
            "payers": list(self.payers),
            "emergency": self.emergency,
            "amount_min": None if self.amount_min is None else str(self.amount_min),
            "amount_max": None if self.amount_max is None else str(self.amount_max),
            "name_en": self.name_en or None,
            "basis": self.basis or None,
            "late_fee": self.late_fee.to_dict() if self.late_fee else None,
        }


@dataclass(frozen=True)
class Group:
    """A city-wide unified purpose (全市统一), such as all traffic fines."""

    name: str
    number: int
    title: str
    items: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"name": self.name, "number": self.number, "title": self.title, "items": list(self.items)}


@dataclass(frozen=True)
class Catalog:
    items: dict[str, Item]
    groups: dict[str, Group]
    complaints: dict[str, str] = field(default_factory=dict)  # department -> 监督电话; "" for every other

    def complaints_line(self, department: str) -> str:
        """The complaints line (监督电话) printed for *department*'s codes."""
        return self.complaints.get(department, self.complaints.get("", ""))

    def print_fields(self, subject: Item | Group | None) -> dict[str, str]:
        """What a poster prints besides the name: English name, 收费依据 and 监督电话."""
        if isinstance(subject, Item):
            return {
                "name_en": subject.name_en,
                "basis": subject.basis,
                "complaints": self.complaints_line(subject.department),
            }
        bases = {self.items[i].basis for i in subject.items if i in self.items} if subject else set()
        return {
            "name_en": "",
            "basis": bases.pop() if len(bases) == 1 else "",
            "complaints": self.complaints_line((self.department_of(subject) if subject else None) or ""),
        }

    def department_of(self, subject: Item | Group) -> str | None:
        """The department a code collects for; a unified group's when all its items share one."""
        if isinstance(subject, Item):
            return subject.department
        departments = {self.items[i].department for i in subject.items if i in self.items}
        return departments.pop() if len(departments) == 1 else None

    def subject_of(self, code: Code) -> Item | Group:
        """The item or unified group *code* collects for."""
        found = self.by_number(code.number)
        if found is None:
            raise InputError(f"code {code.id} names item {code.number:02d}, which the catalog no longer has")
        return found

    def describe(self, code: Code) -> dict[str, Any]:
        """*code* as the CLI and JSON show it: its register fields plus the catalog's names."""
        data = code.to_dict()
        subject = self.by_number(data.pop("number"))
        if isinstance(subject, Group):
            data.update(
                item=subject.items[0] if len(subject.items) == 1 else None,
                group=subject.name,
                items=list(subject.items),
                department=None,
                name=subject.title,
            )
        else:
            data.update(
                item=f"{code.number:02d}",
                group=None,
                department=subject.department if subject else None,
                name=subject.name if subject else None,
            )
        return data

    def item(self, code: str) -> Item:
        key = code.strip()
        if key.isdigit() and len(key) == 1:
            key = "0" + key
        try:
            return self.items[key]
        except KeyError:
            raise NotFoundError(
                f"unknown item {code!r}; run 'qrpay catalog' to see the item codes (01-{max(self.items)})"
            ) from None

    def group(self, name: str) -> Group:
        try:
            return self.groups[name]
        except KeyError:
            known = ", ".join(sorted(self.groups))
            raise NotFoundError(f"unknown unified group {name!r}; choose one of: {known}") from None

    def by_number(self, number: int) -> Item | Group | None:
        """The item (01-89) or group (90-99) a token's number field names."""
        for group in self.groups.values():
            if group.number == number:
                return group
        return self.items.get(f"{number:02d}")

    def late_fee(self, code: Code) -> LateFee | None:
        """The late-fee rule of the item bill *code* collects for (None: the item has none)."""
        found = self.items.get(f"{code.number:02d}")
        return found.late_fee if found else None

    def amount_due(self, code: Code, on: date) -> int:
        """What bill *code* costs paid on *on*, in fen, by its item's late-fee rule (bill.amount_due)."""
        assert code.bill is not None, f"{code.id} is not a bill"
        return amount_due(code.bill, self.late_fee(code), on)

    def emergency_items(self) -> list[Item]:
        return [item for item in self.items.values() if item.emergency]

    def to_dict(self) -> dict:
        return {
            "items": [item.to_dict() for item in self.items.values()],
            "groups": [group.to_dict() for group in self.groups.values()],
        }


def _amount(table: Table, key: str) -> Decimal | None:
    value = table.get(key, None)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise table.fail(key, "a number of yuan such as 200 or 12.50", value)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise table.fail(key, "a number of yuan such as 200 or 12.50", value) from None
    exponent = amount.as_tuple().exponent  # an int for every finite amount
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT or (isinstance(exponent, int) and exponent < -2):
        raise table.fail(key, f"a positive amount up to {MAX_AMOUNT} yuan with at most 2 decimals", value)
    return amount


def _percent(table: Table, key: str, high: float, default: float | None = None) -> Decimal:
    value = table.number(key, 0.01, high, REQUIRED if default is None else default, unit=" percent")
    percent = Decimal(str(value)).normalize()
    exponent = percent.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise table.fail(key, "a percentage with at most 2 decimals", value)
    return percent


def _late_fee(table: Table) -> LateFee | None:
    """``late_fee = { daily_percent = 3, cap_percent = 100, text = "…" }``, or ``late_fee = false``."""
    if table.data.get("late_fee") is False:
        table.get("late_fee")
        return None
    rule = table.table("late_fee")
    fee = LateFee(
        daily_percent=_percent(rule, "daily_percent", 100),
        cap_percent=_percent(rule, "cap_percent", 1000, 100),
        text=rule.text("text", "", max_len=MAX_BASIS).strip(),
    )
    rule.done()
    return fee


def _merge_items(source: str, raw: Table, items: dict[str, Item]) -> None:
    for code in list(raw.data):
        if not _ITEM_CODE.match(code):
            raise InputError(f"{source}: item code {code!r} must be two digits from 01 to 89")
        table = raw.table(code)
        base = items.get(code)
        fields: dict = {}
        for key in ("department", "name"):
            if key in table.data or base is None:
                fields[key] = table.text(key, required_text=True, max_len=MAX_NAME).strip()
        for key in ("name_en", "basis"):
            if key in table.data:
                fields[key] = table.text(key, max_len=MAX_NAME if key == "name_en" else MAX_BASIS).strip()
        if "payers" in table.data:
            payers = table.texts("payers")
            if not payers or not set(payers) <= set(PAYER_TYPES):
                raise table.fail("payers", f"a list drawn from {' / '.join(PAYER_TYPES)}", list(payers))
            fields["payers"] = payers
        if "emergency" in table.data:
            fields["emergency"] = table.flag("emergency")
        for key in ("amount_min", "amount_max"):
            if key in table.data:
                fields[key] = _amount(table, key)
        if "late_fee" in table.data:
            fields["late_fee"] = _late_fee(table)
        table.done()
        item = dataclasses.replace(base, **fields) if base else Item(code=code, **fields)
        if item.amount_min is not None and item.amount_max is not None and item.amount_min > item.amount_max:
            raise InputError(
                f"{source}: items.{code}.amount_min {item.amount_min} is above amount_max {item.amount_max}"
            )
        items[code] = item


def _merge_groups(source: str, raw: Table, groups: dict[str, Group], items: dict[str, Item]) -> None:
    for name in list(raw.data):
        if not _GROUP_NAME.match(name):
            raise InputError(f"{source}: group name {name!r} must be lowercase letters, digits and '-'")
        table = raw.table(name)
        base = groups.get(name)
        number = table.integer("number", 90, 99, default=base.number if base else REQUIRED)
        members = table.texts("items", default=base.items if base else REQUIRED)
        missing = [code for code in members if code not in items]
        if not members or missing:
            raise table.fail("items", "a list of known item codes", list(members))
        title = table.text("title", default=base.title if base else name, max_len=MAX_NAME).strip() or name
        table.done()
        groups[name] = Group(name=name, number=number, title=title, items=members)
    numbers = [group.number for group in groups.values()]
    if len(numbers) != len(set(numbers)):
        raise InputError(f"{source}: two groups share a number; each group needs its own from 90 to 99")


def _merge_departments(source: str, top: Table, complaints: dict[str, str]) -> None:
    if "complaints" in top.data:
        complaints[""] = top.text("complaints", max_len=MAX_NAME).strip()
    departments = top.table("departments", required=False)
    if departments is None:
        return
    for name in list(departments.data):
        table = departments.table(name)
        complaints[name] = table.text("complaints", max_len=MAX_NAME).strip()
        table.done()


def load_catalog(user_file: Path | None = None) -> Catalog:
    """The shipped catalog, extended or overridden by *user_file* when it exists."""
    items: dict[str, Item] = {}
    groups: dict[str, Group] = {}
    layers = [("catalog.toml (shipped)", resources.files("qrpay.codes").joinpath("catalog.toml").read_text("utf-8"))]
    if user_file is not None and user_file.is_file():
        try:
            layers.append((str(user_file), user_file.read_text("utf-8")))
        except UnicodeDecodeError:
            raise InputError(f"{user_file}: not UTF-8 text; save the catalog as UTF-8") from None
    complaints: dict[str, str] = {}
    for source, text in layers:
        top = Table(source, "", read_toml(source, text))
        _merge_items(source, top.table("items", required=False) or Table(source, "items", {}), items)
        _merge_groups(source, top.table("groups", required=False) or Table(source, "groups", {}), groups, items)
        _merge_departments(source, top, complaints)
        top.done()
    return Catalog(items=dict(sorted(items.items())), groups=groups, complaints=complaints)
