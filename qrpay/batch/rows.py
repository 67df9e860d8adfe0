"""The rows of a batch file (CSV or Excel workbook), each checked into a code request before
anything is minted.

One row per code; the first row names the columns::

    item,scene,kind,valid_from,valid_until
    09,窗口 3,,,
    06,,open,2026-01-01,2026-12-31
    traffic-fine,,unified,,

    kind,item,amount,payer,notice,due
    bill,18,200.00,张三,3301002026120100001,2026-12-31

``kind`` is ``scene`` when left out, or ``bill`` with a notice template (``notice-a4``,
``slip-a5``). ``item`` is a catalog item code, or on a ``unified`` row the group
(``traffic-fine``, ``education``); ``scene`` belongs to scene rows only, the dates to open rows,
and ``amount``, ``payer``, ``notice`` and ``due`` to bill rows. Chinese headers name the bill
columns too: 项目编码, 金额, 缴款人, 通知书编号, 缴款期限. In a workbook an amount may be a number or
text, and a due date an Excel date or text (2026-12-31, 2026/12/31, 2026年12月31日).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from ..api import Qrpay
from ..codes import token
from ..codes.bill import MAX_NOTICE, MAX_PAYER
from ..codes.money import parse_yuan, yuan
from ..codes.record import Code, check_window, clean_scene, clean_text, parse_date
from ..csvfile import Problems, Row
from ..errors import InputError
from ..register.store import Purpose
from ..render import CodeView, Template
from ..render.fonts import load_font
from ..render.layout import BILL
from ..render.pdf import preflight
from ..render.symbol import place
from ..xlsxfile import read_file

COLUMNS = ("item", "scene", "kind", "valid_from", "valid_until", "amount", "payer", "notice", "due")
BILL_COLUMNS = ("amount", "payer", "notice", "due")
#: Chinese column headers, as a finance office's spreadsheet names them.
ALIASES = {"项目编码": "item", "金额": "amount", "缴款人": "payer", "通知书编号": "notice", "缴款期限": "due"}
MAX_LISTED = 10  # bad rows named in the error; the rest are counted
_DAY = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_CURRENCY = ("RMB", "CNY")  # a ¥ or ￥ the amount reader takes itself


@dataclass(frozen=True)
class Request:
    """One checked row: where it is in the file and the code it asks for."""

    line: int
    purpose: Purpose
    item: str  # as the manifest shows it: the item code, or the unified group's name


def _columns(table_columns: tuple[str, ...], name: str) -> tuple[str, ...]:
    """The file's columns by their English names; unknown or doubled ones refused."""
    columns = tuple(ALIASES.get(column, column) for column in table_columns)
    unknown = [column for column in table_columns if ALIASES.get(column, column) not in COLUMNS]
    if unknown:
        raise InputError(
            f"{name}: unknown column(s) {', '.join(map(repr, unknown))} in the header; the columns are "
            f"{', '.join(COLUMNS)} (item required; 项目编码, 金额, 缴款人, 通知书编号, 缴款期限 for the bill columns)"
        )
    for index, column in enumerate(columns):
        if column in columns[:index]:
            raise InputError(f"{name}: two columns of the header name {column}; keep one")
    if "item" not in columns:
        raise InputError(
            f"{name}: no column item (项目编码) in the header (it has: {', '.join(table_columns)}); "
            f"the first row must name the columns, e.g. {', '.join(COLUMNS[:3])}"
        )
    return columns


def read_requests(qrpay: Qrpay, path: Path, layout: Template, *, encoding: str | None = None) -> list[Request]:
    """Every row of the CSV file or workbook at *path* as a code request, checked against the
    catalog, the register (a notice with another live bill) and *layout*.

    Raises one InputError listing every bad row (line, column, problem).
    """
    path = Path(path)
    table = read_file(path, path.name, required=(), optional=COLUMNS, encoding=encoding)
    columns = _columns(table.columns, path.name)
    bill_columns = [column for column in BILL_COLUMNS if column in columns]
    if bill_columns and "kind" not in columns and BILL not in layout.kinds:
        raise InputError(
            f"{path.name} has bill column(s) {', '.join(bill_columns)}, and template {layout.name} does not "
            "print bills; print them with notice-a4 or slip-a5"
        )
    rows = [
        Row(row.line, {columns[i]: row.cells[column] for i, column in enumerate(table.columns)}) for row in table.rows
    ]
    if not rows:
        raise InputError(f"{path.name} has no rows below its header; nothing to mint")
    problems = Problems(path.name)
    printable = _Printable(qrpay, layout)
    first: dict[object, int] = {}
    requests = []
    for row in rows:
        request = _request(qrpay, problems, row, layout)
        if request is None:
            continue
        purpose = request.purpose
        column = {"scene": "scene", BILL: "notice"}.get(purpose.kind, "item")
        key = (purpose.kind, purpose.number, purpose.bill.notice) if purpose.bill else purpose
        seen = first.setdefault(key, request.line)
        if seen != request.line:
            problems.value(request.line, column, _fail, _twice(purpose, seen))
        elif problems.value(request.line, column, _no_other_bill, qrpay, purpose) and problems.value(
            request.line,
            "payer" if purpose.bill else column,
            printable,
            request,  # a bill's longest text
        ):
            requests.append(request)
    if problems.found:
        listed = "; ".join(problems.found[:MAX_LISTED])
        more = len(problems.found) - MAX_LISTED
        raise InputError(
            f"{len(problems.found)} problem(s) in {path.name}, nothing was minted: {listed}"
            + (f"; and {more} more" if more > 0 else "")
        )
    return requests


def _twice(purpose: Purpose, seen: int) -> str:
    if purpose.bill:
        return f"the same notice as line {seen} for item {purpose.number:02d}; each notice is one bill, so remove one"
    return f"asks for the same code as line {seen}; each row makes one code, so remove one"


def _no_other_bill(qrpay: Qrpay, purpose: Purpose) -> bool:
    """A bill's notice must not have a live bill with another amount, payer or due date."""
    existing = qrpay.live(purpose) if purpose.bill else None
    if existing is not None and existing.bill is not None and existing.bill != purpose.bill:
        raise ValueError(
            f"notice {existing.bill.notice} already has the live bill {existing.id} "
            f"({yuan(existing.bill.amount_fen)} yuan, due {existing.bill.due or 'none'}); revoke it first "
            "to issue a corrected bill"
        )
    return True


def _request(qrpay: Qrpay, problems: Problems, row: Row, layout: Template) -> Request | None:
    """The request on one row, or None with its problems recorded."""
    cells = {column: row.cells.get(column, "").strip() for column in COLUMNS}
    before = len(problems.found) + problems.more  # past MAX_PROBLEMS a problem is only counted
    kind = problems.value(row.line, "kind", _kind, cells["kind"], layout)
    if kind is None:
        return None
    number = problems.value(row.line, "item", _number, qrpay, kind, cells["item"])
    scene = problems.value(row.line, "scene", _scene, kind, cells["scene"])
    start = problems.value(row.line, "valid_from", _day, kind, cells["valid_from"], "valid_from")
    end = problems.value(row.line, "valid_until", _day, kind, cells["valid_until"], "valid_until")
    if kind != BILL:
        for column in BILL_COLUMNS:
            if cells[column]:
                problems.value(
                    row.line, column, _fail, f"only bill rows have {column}; leave it empty for a {kind} code"
                )
    if len(problems.found) + problems.more == before:
        problems.value(row.line, "valid_until", check_window, start, end, qrpay.today())
    if number is None or len(problems.found) + problems.more > before:
        return None
    item = cells["item"] if kind == "unified" else f"{number:02d}"
    if kind == BILL:
        purpose = _bill(qrpay, problems, row.line, cells, item)
        return None if purpose is None else Request(row.line, purpose, item)
    return Request(row.line, Purpose(kind, number, scene, start, end), item)


def _bill(qrpay: Qrpay, problems: Problems, line: int, cells: dict[str, str], item: str) -> Purpose | None:
    """A bill row's purpose, each column checked on its own first so a problem names its column."""
    before = len(problems.found) + problems.more
    amount = problems.value(line, "amount", _amount, cells["amount"])
    problems.value(line, "payer", clean_text, cells["payer"], field="payer", limit=MAX_PAYER)
    problems.value(line, "notice", clean_text, cells["notice"], field="notice", limit=MAX_NOTICE)
    due = problems.value(line, "due", _due, cells["due"])
    if amount is None or len(problems.found) + problems.more > before:
        return None
    try:
        return qrpay.bill_purpose(item, amount, cells["payer"], cells["notice"], due)
    except InputError as exc:  # an item's amount limits, a past due date: the message names its field first
        field = str(exc).split(" ", 1)[0]
        problems.value(line, field if field in BILL_COLUMNS else "amount", _fail, str(exc))
        return None


def _amount(cell: str) -> str:
    """The amount as yuan text: a number, or text such as ¥1,200.00."""
    if not cell:
        raise ValueError("empty; give the bill's amount in yuan, e.g. 200 or 200.50")
    text = cell
    for mark in _CURRENCY:
        text = text.removeprefix(mark).strip()
    return yuan(parse_yuan(text))


def _due(cell: str) -> date | None:
    """The due date: an Excel date, or text such as 2026-12-31, 2026/12/31 or 2026年12月31日."""
    if not cell:
        return None
    match = _DAY.fullmatch(cell)
    if match:
        try:
            return date(*map(int, match.groups()))
        except ValueError:
            pass
    raise ValueError(f"due {cell!r} is not a date; write it as 2026-12-31 (or make the cell an Excel date)")


def _kind(cell: str, layout: Template) -> str:
    kind = cell.lower() or (BILL if layout.kinds == (BILL,) else "scene")
    if kind not in token.KINDS:
        raise ValueError(f"{cell!r} is not a kind of code; write scene, open, unified or bill (empty means scene)")
    if kind not in layout.kinds:
        hint = "; print bills with notice-a4 or slip-a5" if kind == BILL else ""
        raise ValueError(f"template {layout.name} does not print {kind} codes (only {', '.join(layout.kinds)}){hint}")
    return kind


def _number(qrpay: Qrpay, kind: str, cell: str) -> int:
    if not cell:
        raise ValueError(
            "empty; give a catalog item code such as 09"
            + (", or for a unified row the group name" if kind == "unified" else "")
        )
    if kind == "unified":
        return qrpay.catalog.group(cell).number
    if kind == "open":
        return qrpay.open_item(cell).number
    return qrpay.catalog.item(cell).number


def _scene(kind: str, cell: str) -> str | None:
    if kind == "scene":
        if not cell:
            raise ValueError("empty; a scene code names where it hangs, e.g. 窗口 3 or website")
        return clean_scene(cell)
    if cell:
        raise ValueError(f"only scene codes have a scene; leave it empty for a {kind} code")
    return None


def _day(kind: str, cell: str, column: str) -> date | None:
    if cell and kind != "open":
        raise ValueError(f"only open codes have validity dates; leave {column} empty for a {kind} code")
    return parse_date(cell, field=column) if cell else None


def _fail(message: str) -> None:
    raise ValueError(message)


class _Printable:
    """Whether the template can print a row (no missing glyph, no text too long for its place),
    found before anything is minted by laying out the row's text with a stand-in serial."""

    def __init__(self, qrpay: Qrpay, layout: Template):
        self.qrpay, self.layout = qrpay, layout
        # web images have a fixed size per module and no text to fit
        self.font = load_font(qrpay.settings.font) if layout.format == "pdf" else None
        self.passed: set = set()  # texts known to fit
        self.stand_ins: dict[object, CodeView] = {}  # placed (printed large enough), by what sets the symbol

    def __call__(self, request: Request) -> bool:
        if self.font is None:
            return True
        purpose = request.purpose
        general = purpose._replace(scene=None)
        if purpose.bill is None:
            view = self.stand_ins.get(general)
            if view is None:
                view = self.stand_ins[general] = self._placed(self.qrpay.stand_in(general))
            view = replace(view, scene=purpose.scene or "")
        else:  # a bill's payload signs its amount and due date: the symbol is set by its length
            code = self.qrpay.stand_in(purpose)
            key = (purpose.number, len(code.payload))
            if key not in self.stand_ins:
                self.stand_ins[key] = self._placed(code)
            view = self.stand_ins[key]
            assert view.bill is not None
            view = replace(
                view,
                payload=code.payload,
                bill=replace(
                    view.bill,
                    payer=purpose.bill.payer,
                    notice=purpose.bill.notice,
                    amount_fen=purpose.bill.amount_fen,
                    due=purpose.bill.due,
                ),
            )
        preflight(self.layout, view, self.font, f"line {request.line}", self.passed)
        return True

    def _placed(self, code: Code) -> CodeView:
        view = self.qrpay.view(code)
        place(self.layout, view)
        return view
