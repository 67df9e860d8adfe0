"""Batch minting: thousands of codes from one CSV file, checked, minted and printed in one run.

One row per code; the first line names the columns::

    item,scene,kind,valid_from,valid_until
    09,窗口 3,,,
    06,,open,2026-01-01,2026-12-31
    traffic-fine,,unified,,

``kind`` is ``scene`` when left out (as may be every column but ``item``). ``item`` is a catalog
item code, or on a ``unified`` row the group (``traffic-fine``, ``education``); ``scene``
belongs to scene rows only, the dates to open rows.

What a run does, and what an interruption (Ctrl-C, kill) leaves:

1. Every row is checked: catalog, text, dates, duplicates, and whether the template can print
   it (glyphs, text length). Any bad row: one error listing the bad rows; nothing is minted
   and nothing written.
2. All codes are minted in ONE register transaction. Drawing starts on the first codes while
   the rest are minted, and the transaction commits when the last code is handed to the
   drawing: the write lock is held while minting, never for the whole render. The same
   purpose gives back its live code, so running the same CSV again mints nothing new.
   Interrupted before the commit, the transaction rolls back: no code is minted.
3. The codes are drawn into a temporary file (or folder) that takes the output's place only
   after the self-check read every code back. Interrupted after the commit, the codes stay
   minted but unprinted (they hang nowhere; the same CSV run again reuses them) and no
   output appears.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from .api import Qrpay
from .codes import token
from .codes.record import Code, check_window, clean_scene, parse_date
from .csvfile import Problems, Row, csv_bytes, read_table
from .errors import InputError
from .fileio import check_writable_folder, check_writable_target, written_by_qrpay
from .register.store import Purpose
from .render import CodeView, Rendered, Template, load_template
from .render.folder import render_folder
from .render.fonts import load_font
from .render.pdf import preflight
from .render.sheets import Progress, render_sheets
from .render.symbol import place

COLUMNS = ("item", "scene", "kind", "valid_from", "valid_until")
MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("id", "item", "scene", "payment_code", "file", "sha256")
WEB_EXTENSION = ".png"
MAX_LISTED = 10  # bad rows named in the error; the rest are counted
PROGRESS_EVERY = 50  # codes minted between progress reports


@dataclass(frozen=True)
class Request:
    """One checked row: where it is in the file and the code it asks for."""

    line: int
    purpose: Purpose
    item: str  # as the manifest shows it: the item code, or the unified group's name


@dataclass
class Batch:
    """What a run minted and wrote."""

    template: str
    output: Path
    images: bool  # a folder of images, or one PDF
    codes: list[tuple[Code, bool]]  # (code, minted now) in the order of the rows
    items: list[str]
    files: list[Rendered] = field(default_factory=list)
    checked: bool = True

    @property
    def minted(self) -> int:
        return sum(new for _, new in self.codes)

    @property
    def reused(self) -> int:
        return len(self.codes) - self.minted

    def to_dict(self) -> dict:
        decoded = sum(len(rendered.decoded) for rendered in self.files)
        return {
            "template": self.template,
            "output": str(self.output),
            "files": [str(rendered.path) for rendered in self.files],
            "pages": None if self.images else sum(rendered.pages for rendered in self.files),
            "count": len(self.codes),
            "minted": self.minted,
            "reused": self.reused,
            "self_check": {"status": "passed", "codes_read": decoded} if self.checked else {"status": "skipped"},
            "codes": [
                {
                    "id": code.id,
                    "kind": code.kind,
                    "item": item,
                    "scene": code.scene,
                    "payment_code": code.payment_code,
                    "payload": code.payload,
                    "new": new,
                }
                for (code, new), item in zip(self.codes, self.items)
            ],
        }


# -- reading the file ----------------------------------------------------------------------


def read_requests(qrpay: Qrpay, path: Path, layout: Template, *, encoding: str | None = None) -> list[Request]:
    """Every row of the CSV at *path* as a code request, checked against the catalog and *layout*.

    Raises one InputError listing every bad row (line, column, problem).
    """
    path = Path(path)
    table = read_table(path, path.name, required=("item",), optional=COLUMNS[1:], encoding=encoding)
    unknown = [column for column in table.columns if column not in COLUMNS]
    if unknown:
        raise InputError(
            f"{path.name}, line 1: unknown column(s) {', '.join(map(repr, unknown))}; "
            f"the columns are {', '.join(COLUMNS)} (item required)"
        )
    if not table.rows:
        raise InputError(f"{path.name} has no rows below its header; nothing to mint")
    problems = Problems(path.name)
    printable = _Printable(qrpay, layout)
    first: dict[Purpose, int] = {}
    requests = []
    for row in table.rows:
        request = _request(qrpay, problems, row, layout)
        if request is None:
            continue
        column = "scene" if request.purpose.kind == "scene" else "item"
        seen = first.setdefault(request.purpose, request.line)
        if seen != request.line:
            problems.value(
                request.line,
                column,
                _fail,
                f"asks for the same code as line {seen}; each row makes one code, so remove one",
            )
        elif problems.value(request.line, column, printable, request):
            requests.append(request)
    if problems.found:
        listed = "; ".join(problems.found[:MAX_LISTED])
        more = len(problems.found) - MAX_LISTED
        raise InputError(
            f"{len(problems.found)} problem(s) in {path.name}, nothing was minted: {listed}"
            + (f"; and {more} more" if more > 0 else "")
        )
    return requests


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
    if len(problems.found) + problems.more == before:
        problems.value(row.line, "valid_until", check_window, start, end, qrpay.today())
    if number is None or len(problems.found) + problems.more > before:
        return None
    item = cells["item"] if kind == "unified" else f"{number:02d}"
    return Request(row.line, Purpose(kind, number, scene, start, end), item)


def _kind(cell: str, layout: Template) -> str:
    kind = cell.lower() or "scene"
    if kind not in token.KINDS:
        raise ValueError(f"{cell!r} is not a kind of code; write scene, open or unified (empty means scene)")
    if kind not in layout.kinds:
        raise ValueError(f"template {layout.name} does not print {kind} codes (only {', '.join(layout.kinds)})")
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
    """Whether the template can print a row (no missing glyph, no scene too long for its place),
    found before anything is minted by laying out the row's text with a stand-in serial."""

    def __init__(self, qrpay: Qrpay, layout: Template):
        self.qrpay, self.layout = qrpay, layout
        # web images have a fixed size per module and no text to fit
        self.font = load_font(qrpay.settings.font) if layout.format == "pdf" else None
        self.passed: set = set()  # texts known to fit
        self.stand_ins: dict[Purpose, CodeView] = {}  # placed (printed large enough), by purpose without scene

    def __call__(self, request: Request) -> bool:
        if self.font is None:
            return True
        general = request.purpose._replace(scene=None)
        if general not in self.stand_ins:
            stand_in = self.qrpay.view(self.qrpay.stand_in(general))
            place(self.layout, stand_in)
            self.stand_ins[general] = stand_in
        view = replace(self.stand_ins[general], scene=request.purpose.scene or "")
        preflight(self.layout, view, self.font, f"line {request.line}", self.passed)
        return True


# -- the run -------------------------------------------------------------------------------


def default_output(csv_path: Path, layout: Template) -> Path:
    """``output/<csv name>-<template>.pdf``, or the folder ``output/<csv name>-<template>`` for images."""
    name = f"{Path(csv_path).stem}-{layout.name}"
    return Path("output") / (name if layout.format == "web" else name + ".pdf")


def check_output(qrpay: Qrpay, layout: Template, output: Path, *, inputs: tuple[Path, ...] = ()) -> None:
    """Refuse, before minting, an output this template cannot write, or one that would replace
    files qrpay did not write (the rule of :func:`check_writable_target`, for a folder too)."""
    if layout.format != "web":
        if output.is_dir() or output.suffix.lower() != ".pdf":
            raise InputError(f"template {layout.name} writes one PDF; give a file name ending .pdf, got {output}")
        check_writable_target(output, inputs=inputs)
        return
    if output.exists() and not output.is_dir():
        raise InputError(f"template {layout.name} writes a folder of images and a manifest; {output} is a file")
    check_writable_folder(output, inputs=inputs)
    if output.is_dir() and any(output.iterdir()) and not _batch_folder(output):
        raise InputError(f"{output} holds files qrpay did not write; give a new or empty folder for the images")


def _batch_folder(folder: Path) -> bool:
    """Whether *folder* is one a batch wrote: a manifest, and only the files it lists, each
    recorded in the register as qrpay wrote it."""
    manifest = folder / MANIFEST
    try:
        with manifest.open(encoding="utf-8", newline="") as handle:
            listed = {row.get("file") for row in csv.DictReader(handle)}
        others = [entry for entry in folder.iterdir() if entry.name != MANIFEST]
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return all(
        entry.name in listed and entry.is_file() and not entry.is_symlink() and written_by_qrpay(entry)
        for entry in others
    )


def run(
    qrpay: Qrpay,
    csv_path: Path | str,
    template: str,
    output: Path | str | None = None,
    *,
    encoding: str | None = None,
    check: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Batch:
    """Check every row of *csv_path*, then mint its codes in one transaction while they are drawn
    with *template* into *output*; self-checked, and each file recorded in the register."""
    layout = load_template(template, qrpay.settings.user_templates_dir)
    path = Path(output) if output is not None else default_output(Path(csv_path), layout)
    check_output(qrpay, layout, path, inputs=(Path(csv_path),))
    requests = read_requests(qrpay, Path(csv_path), layout, encoding=encoding)
    batch = Batch(layout.name, path, layout.format == "web", [], [request.item for request in requests], checked=check)
    # drawing starts on the first codes while the rest are minted; the transaction commits when
    # the last code is handed to the drawing, and rolls back if the drawing fails before that
    with closing(qrpay.minting(request.purpose for request in requests)) as minted:
        views = _views(qrpay, minted, batch.codes, progress, len(requests))
        if batch.images:
            batch.files = render_folder(
                layout,
                views,
                path,
                count=len(requests),
                extension=WEB_EXTENSION,
                check_codes=check,
                workers=workers,
                progress=progress,
                finish=lambda folder, files: _finish_folder(qrpay, batch, folder, files),
            )
        else:
            batch.files = [
                render_sheets(
                    layout,
                    views,
                    path,
                    count=len(requests),
                    font=qrpay.settings.font,
                    check_codes=check,
                    workers=workers,
                    progress=progress,
                    record=lambda result: _record(qrpay, batch, [result]),
                )
            ]
    return batch


def _views(
    qrpay: Qrpay,
    minted: Iterator[tuple[Code, bool]],
    codes: list[tuple[Code, bool]],
    progress: Progress | None,
    total: int,
) -> Iterator[CodeView]:
    """Each code as the render layer draws it, as it is minted; the codes are kept in *codes*."""
    for code, new in minted:
        codes.append((code, new))
        if progress is not None and (len(codes) % PROGRESS_EVERY == 0 or len(codes) == total):
            progress("minting", len(codes), total)
        yield qrpay.view(code)


def _record(qrpay: Qrpay, batch: Batch, files: list[Rendered]) -> None:
    """Each code's file in the register, so ``qrpay show`` lists every sheet or image of it."""
    codes = {code.id: code for code, _ in batch.codes}
    qrpay.record_renders(
        batch.template, [(codes[code_id], file.path, file.sha256) for file in files for code_id in file.ids]
    )


def _finish_folder(qrpay: Qrpay, batch: Batch, folder: Path, files: list[Rendered]) -> None:
    _write_manifest(folder / MANIFEST, batch, files)
    _record(qrpay, batch, files)


def _write_manifest(path: Path, batch: Batch, files: list[Rendered]) -> None:
    """``manifest.csv``: which file shows which code, with its digest, for the web team
    (formula-safe: a scene such as ``=1+1`` is written ``'=1+1``)."""
    rows = (
        [code.id, item, code.scene or "", code.payment_code, file.path.name, file.sha256]
        for (code, _), item, file in zip(batch.codes, batch.items, files)
    )
    with path.open("wb") as handle:
        for data in csv_bytes(MANIFEST_COLUMNS, rows, line_end="\n"):
            handle.write(data)
