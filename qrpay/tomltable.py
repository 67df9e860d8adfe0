"""Typed reading of TOML files the user edits (the catalog, print templates).

A :class:`Table` wraps one table of a parsed file and hands out its fields by type and range;
every refusal is one sentence naming the file, the key, what was expected and what was found,
e.g. ``catalog.toml: items.05.emergency must be true or false, got 'no' (text)``. Fields it
was never asked for are reported as unknown, so a misspelt key is not silently ignored.
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Iterable
from typing import Literal, TypeVar, overload

from .errors import InputError


class _Required(enum.Enum):
    """The type of :data:`REQUIRED`, so a getter's return type can tell it from a default."""

    REQUIRED = enum.auto()


REQUIRED = _Required.REQUIRED  # a getter's default meaning "no default: the field must be there"
T = TypeVar("T")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_TYPE_NAMES = {
    bool: "true/false",
    int: "whole number",
    float: "number",
    str: "text",
    list: "list",
    dict: "table",
}


def found(value: object) -> str:
    """A value as a message shows it: its TOML spelling and its type."""
    kind = _TYPE_NAMES.get(type(value), type(value).__name__)
    return f"{value!r} ({kind})"


def read_toml(source: str, text: str) -> dict:
    """Parse TOML *text*; *source* names the file in the message if it is not valid TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{source}: not valid TOML ({exc})") from None


class Table:
    """One TOML table being read, so every message can name file and key."""

    def __init__(self, source: str, where: str, data: object):
        if not isinstance(data, dict):
            raise InputError(f"{source}: {where or 'the file'} must be a table of fields, got {found(data)}")
        self.source, self.where, self.data = source, where, data
        self.read: set[str] = set()

    def get(self, key: str, default: object = REQUIRED) -> object:
        self.read.add(key)
        if key in self.data:
            return self.data[key]
        if default is REQUIRED:
            raise InputError(f"{self.source}: {self.name(key)} is required")
        return default

    def name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, expected: str, value: object) -> InputError:
        return InputError(f"{self.source}: {self.name(key)} must be {expected}, got {found(value)}")

    @overload
    def number(
        self, key: str, low: float, high: float, default: float | _Required = REQUIRED, unit: str = ""
    ) -> float: ...
    @overload
    def number(self, key: str, low: float, high: float, default: float | None, unit: str = "") -> float | None: ...
    def number(
        self, key: str, low: float, high: float, default: float | None | _Required = REQUIRED, unit: str = ""
    ) -> float | None:
        value = self.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise self.fail(key, f"a number from {low:g} to {high:g}{unit}", value)
        return float(value)

    def integer(self, key: str, low: int, high: int, default: object = REQUIRED) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"a whole number from {low} to {high}", value)
        return value

    def text(self, key: str, default: object = REQUIRED, *, required_text: bool = False, max_len: int = 500) -> str:
        """Text of at most *max_len* characters; with *required_text*, not blank either."""
        value = self.get(key, default)
        if not isinstance(value, str) or (required_text and not value.strip()):
            raise self.fail(key, "non-empty text" if required_text else "text", value)
        if len(value) > max_len:
            raise self.fail(key, f"text of at most {max_len} characters", f"{len(value)} characters")
        return value

    def texts(self, key: str, default: object = REQUIRED) -> tuple[str, ...]:
        value = self.get(key, default)
        if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
            raise self.fail(key, "a list of text", value)
        return tuple(value)

    def choice(self, key: str, choices: Iterable[T], default: T | _Required = REQUIRED) -> T:
        options = tuple(choices)
        value = self.get(key, default)
        if isinstance(value, bool) or value not in options:
            raise self.fail(key, "one of " + ", ".join(map(str, options)), value)
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "true or false", value)
        return value

    @overload
    def color(self, key: str, default: str | _Required = REQUIRED) -> str: ...
    @overload
    def color(self, key: str, default: None) -> str | None: ...
    def color(self, key: str, default: str | None | _Required = REQUIRED) -> str | None:
        value = self.get(key, default)
        if value is not None and not (isinstance(value, str) and _COLOR.match(value)):
            raise self.fail(key, 'a colour such as "#1d4f91"', value)
        return value

    def tables(self, key: str) -> list[Table]:
        value = self.get(key, [])
        if not isinstance(value, list):
            raise self.fail(key, f"a list of tables ([[{self.name(key)}]])", value)
        return [Table(self.source, f"{self.name(key)}[{index}]", item) for index, item in enumerate(value)]

    @overload
    def table(self, key: str, required: Literal[True] = True) -> Table: ...
    @overload
    def table(self, key: str, required: bool) -> Table | None: ...
    def table(self, key: str, required: bool = True) -> Table | None:
        """The table at *key*; when it is absent, None if not *required*, else an error."""
        if key not in self.data and not required:
            self.read.add(key)
            return None
        value = self.get(key)
        if not isinstance(value, dict):
            raise self.fail(key, "a table of fields", value)
        return Table(self.source, self.name(key), value)

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.read)
        if unknown:
            where = f" in {self.where}" if self.where else ""
            raise InputError(f"{self.source}: unknown field(s) {', '.join(unknown)}{where}; check the spelling")
