"""The desk's code list as SQL: a user's scope, a search, the filters and the paging (no catalog here).

:class:`Filter` is what the API layer made of a user's departments and a search text, in the
register's own terms (item and group numbers, a scene's text, payment-code digits, a serial), so
the database picks, counts and pages the codes: a page reads about as many rows as it shows, and
a count stops at its cap, whatever the register's size.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ..codes.record import Code
from . import rows
from .rows import CODE_COLUMNS
from .store import Register


@dataclass(frozen=True)
class Filter:
    """Codes of *kind* (None: any), revoked or live (None: both), for *numbers* (None: all) and,
    when *searching*, matching one of the rest."""

    kind: str | None = None
    revoked: bool | None = None
    numbers: Collection[int] | None = None  # a clerk's departments' items and unified groups
    searching: bool = False
    named: Collection[int] = ()  # items and groups whose code, name or department the search names
    scene: str = ""  # a scene containing this (compared in lower case)
    digits: str = ""  # a payment code containing these digits (spaces ignored), or a bill of this notice number
    serial: int | None = None  # one code, by its id or its whole payment code


def _within(column: str, values: Collection[int], params: list[object]) -> str:
    if not values:
        return "1 = 0"
    params.extend(sorted(values))
    return f"{column} IN ({', '.join('?' * len(values))})"


def page(register: Register, where: Filter, offset: int, limit: int) -> list[Code]:
    """The codes *where* picks, newest first, *limit* of them from the *offset*-th."""
    found, params = _clauses(where)
    sql = f"SELECT {CODE_COLUMNS} FROM codes WHERE {found} ORDER BY serial DESC LIMIT ? OFFSET ?"
    return [rows.code(row) for row in register.db.execute(sql, [*params, limit, offset])]


def count(register: Register, where: Filter, upto: int) -> int:
    """How many codes *where* picks, counted only up to *upto*, so that counting reads at most that many."""
    found, params = _clauses(where)
    sql = f"SELECT count(*) FROM (SELECT 1 FROM codes WHERE {found} LIMIT ?) AS found"
    return register.db.execute(sql, [*params, upto]).fetchone()[0]


def _clauses(where: Filter) -> tuple[str, list[object]]:
    found: list[str] = ["token IS NOT NULL"]
    params: list[object] = []
    if where.kind:
        found.append("kind = ?")
        params.append(where.kind)
    if where.revoked is not None:
        found.append("revoked_at IS NOT NULL" if where.revoked else "revoked_at IS NULL")
    if where.numbers is not None:
        found.append(_within("number", where.numbers, params))
    if where.searching:
        found.append(f"({_search(where, params)})")
    return " AND ".join(found), params


def _search(where: Filter, params: list[object]) -> str:
    if where.serial is not None:  # an exact id or payment code: one row, by the primary key
        params.append(where.serial)
        return "serial = ?"
    terms = [_within("number", where.named, params)] if where.named else []
    if where.scene:
        terms.append("lower(scene) LIKE ? ESCAPE '\\'")
        params.append("%" + _escape(where.scene.lower()) + "%")
    if where.digits:
        terms.append("replace(payment_code, ' ', '') LIKE ? OR notice = ?")  # a bill's notice: its whole number
        params.extend((f"%{where.digits}%", where.digits))
    return " OR ".join(terms) or "1 = 0"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
