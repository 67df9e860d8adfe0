"""The fee catalog: which items can be paid, by whom, and how they group.

The first batch ships with the package (``catalog.toml``); a user file adds items or
overrides fields of shipped ones, so a later batch needs no code change.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

from ..errors import InputError, NotFoundError

PAYER_TYPES = ("个人", "企业")
_ITEM_CODE = re.compile(r"^(0[1-9]|[1-8][0-9])$")
_GROUP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


@dataclass(frozen=True)
class Item:
    code: str
    department: str
    name: str
    payers: tuple[str, ...] = PAYER_TYPES
    emergency: bool = False
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None

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

    def emergency_items(self) -> list[Item]:
        return [item for item in self.items.values() if item.emergency]

    def to_dict(self) -> dict:
        return {
            "items": [item.to_dict() for item in self.items.values()],
            "groups": [group.to_dict() for group in self.groups.values()],
        }


def _amount(source: str, code: str, field: str, value: object) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InputError(f"{source}: item {code}: {field} must be a number of yuan, got {value!r}") from None
    if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:
        raise InputError(f"{source}: item {code}: {field} must be positive with at most 2 decimals, got {value!r}")
    return amount


def _merge_items(source: str, raw: dict, items: dict[str, Item]) -> None:
    for code, fields in raw.items():
        if not _ITEM_CODE.match(code):
            raise InputError(f"{source}: item code {code!r} must be two digits from 01 to 89")
        if not isinstance(fields, dict):
            raise InputError(f"{source}: item {code} must be a table of fields")
        base = items[code].to_dict() if code in items else {}
        merged = {**base, **fields}
        unknown = set(fields) - {"department", "name", "payers", "emergency", "amount_min", "amount_max"}
        if unknown:
            raise InputError(f"{source}: item {code}: unknown field(s) {', '.join(sorted(unknown))}")
        for field in ("department", "name"):
            if not isinstance(merged.get(field), str) or not merged[field].strip():
                raise InputError(f"{source}: item {code}: {field} is required text")
        payers = tuple(merged.get("payers") or PAYER_TYPES)
        if not set(payers) <= set(PAYER_TYPES):
            raise InputError(
                f"{source}: item {code}: payers must be among {' / '.join(PAYER_TYPES)}, got {list(payers)}"
            )
        low = _amount(source, code, "amount_min", merged.get("amount_min"))
        high = _amount(source, code, "amount_max", merged.get("amount_max"))
        if low is not None and high is not None and low > high:
            raise InputError(f"{source}: item {code}: amount_min {low} is above amount_max {high}")
        items[code] = Item(
            code=code,
            department=merged["department"].strip(),
            name=merged["name"].strip(),
            payers=payers,
            emergency=bool(merged.get("emergency", False)),
            amount_min=low,
            amount_max=high,
        )


def _merge_groups(source: str, raw: dict, groups: dict[str, Group], items: dict[str, Item]) -> None:
    for name, fields in raw.items():
        if not _GROUP_NAME.match(name):
            raise InputError(f"{source}: group name {name!r} must be lowercase letters, digits and '-'")
        base = groups[name].to_dict() if name in groups else {}
        merged = {**base, **fields}
        number = merged.get("number")
        if not isinstance(number, int) or not 90 <= number <= 99:
            raise InputError(f"{source}: group {name}: number must be from 90 to 99, got {number!r}")
        members = tuple(merged.get("items") or ())
        missing = [code for code in members if code not in items]
        if not members or missing:
            raise InputError(
                f"{source}: group {name}: items must be known item codes, unknown: {missing or 'none given'}"
            )
        groups[name] = Group(name=name, number=number, title=str(merged.get("title") or name), items=members)
    numbers = [group.number for group in groups.values()]
    if len(numbers) != len(set(numbers)):
        raise InputError(f"{source}: two groups share a number; each group needs its own from 90 to 99")


def _read(source: str, text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{source}: not valid TOML ({exc})") from None


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
    for source, text in layers:
        data = _read(source, text)
        _merge_items(source, data.get("items", {}), items)
        _merge_groups(source, data.get("groups", {}), groups, items)
    return Catalog(items=dict(sorted(items.items())), groups=groups)
