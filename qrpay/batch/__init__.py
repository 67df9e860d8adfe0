"""Batch minting: thousands of codes from one CSV file or Excel workbook, checked, minted and
printed in one run. The rows and their columns: :mod:`qrpay.batch.rows`.

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
from dataclasses import dataclass, field
from pathlib import Path

from ..api import Qrpay
from ..codes.money import yuan
from ..codes.record import Code
from ..csvfile import csv_bytes
from ..errors import InputError
from ..fileio import check_writable_folder, check_writable_target, written_by_qrpay
from ..render import CodeView, Rendered, Template, load_template
from ..render.folder import render_folder
from ..render.sheets import Progress, render_sheets
from .rows import COLUMNS, Request, read_requests

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("id", "item", "scene", "payment_code", "file", "sha256")
BILL_MANIFEST_COLUMNS = ("id", "item", "notice", "amount", "due", "payment_code", "file", "sha256")
WEB_EXTENSION = ".png"
PROGRESS_EVERY = 50  # codes minted between progress reports

__all__ = ["COLUMNS", "MANIFEST", "Batch", "Request", "read_requests", "run"]


@dataclass
class Batch:
    """What a run minted and wrote."""

    template: str
    output: Path
    folder: bool  # a folder of files, one per code (images, or PDFs), or one PDF
    extension: str  # of each file in a folder
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
            "pages": None if self.extension != ".pdf" else sum(rendered.pages for rendered in self.files),
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
                    **({"notice": code.bill.notice, "amount": yuan(code.bill.amount_fen)} if code.bill else {}),
                }
                for (code, new), item in zip(self.codes, self.items)
            ],
        }


# -- the run -------------------------------------------------------------------------------


def default_output(path: Path, layout: Template) -> Path:
    """``output/<file name>-<template>.pdf``, or the folder ``output/<file name>-<template>`` for images."""
    name = f"{Path(path).stem}-{layout.name}"
    return Path("output") / (name if layout.format == "web" else name + ".pdf")


def is_folder(layout: Template, output: Path) -> bool:
    """Whether *output* is a folder of files, one per code: always for web images; for a print
    template, a folder already there or a name without an extension (one PDF per code)."""
    return layout.format == "web" or output.is_dir() or not output.suffix


def check_output(qrpay: Qrpay, layout: Template, output: Path, *, inputs: tuple[Path, ...] = ()) -> None:
    """Refuse, before minting, an output this template cannot write, or one that would replace
    files qrpay did not write (the rule of :func:`check_writable_target`, for a folder too)."""
    if not is_folder(layout, output):
        if output.suffix.lower() != ".pdf":
            raise InputError(
                f"template {layout.name} writes one PDF: give a file name ending .pdf (or a name without an "
                f"extension for a folder of one PDF per code), got {output}"
            )
        check_writable_target(output, inputs=inputs)
        return
    if output.exists() and not output.is_dir():
        raise InputError(f"template {layout.name} writes a folder of files and a manifest; {output} is a file")
    check_writable_folder(output, inputs=inputs)
    if output.is_dir() and any(output.iterdir()) and not _batch_folder(output):
        raise InputError(f"{output} holds files qrpay did not write; give a new or empty folder for the files")


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
    source: Path | str,
    template: str,
    output: Path | str | None = None,
    *,
    encoding: str | None = None,
    check: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Batch:
    """Check every row of *source* (a CSV file or an Excel workbook), then mint its codes in one
    transaction while they are drawn with *template* into *output*; self-checked, and each file
    recorded in the register."""
    layout = load_template(template, qrpay.settings.user_templates_dir)
    path = Path(output) if output is not None else default_output(Path(source), layout)
    check_output(qrpay, layout, path, inputs=(Path(source),))
    requests = read_requests(qrpay, Path(source), layout, encoding=encoding)
    extension = WEB_EXTENSION if layout.format == "web" else ".pdf"
    items = [request.item for request in requests]
    batch = Batch(layout.name, path, is_folder(layout, path), extension, [], items, checked=check)
    # drawing starts on the first codes while the rest are minted; the transaction commits when
    # the last code is handed to the drawing, and rolls back if the drawing fails before that
    with closing(qrpay.minting(request.purpose for request in requests)) as minted:
        views = _views(qrpay, minted, batch.codes, progress, len(requests))
        if batch.folder:
            batch.files = render_folder(
                layout,
                views,
                path,
                count=len(requests),
                extension=extension,
                font=qrpay.settings.font,
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
    """``manifest.csv``: which file shows which code (and, for bills, which notice), with its
    digest (formula-safe: a scene such as ``=1+1`` is written ``'=1+1``)."""
    bills = any(code.bill for code, _ in batch.codes)  # a notice template prints bills only
    rows = (
        [code.id, item, *_described(code), code.payment_code, file.path.name, file.sha256]
        for (code, _), item, file in zip(batch.codes, batch.items, files)
    )
    with path.open("wb") as handle:
        for data in csv_bytes(BILL_MANIFEST_COLUMNS if bills else MANIFEST_COLUMNS, rows, line_end="\n"):
            handle.write(data)


def _described(code: Code) -> list[str]:
    """The manifest's cells between item and payment code: a bill's notice, amount and due date,
    or the scene."""
    if code.bill is not None:
        return [code.bill.notice, yuan(code.bill.amount_fen), code.bill.due.isoformat() if code.bill.due else ""]
    return [code.scene or ""]
