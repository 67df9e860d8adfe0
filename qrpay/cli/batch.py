"""qrpay batch: a code for every row of a CSV file or Excel workbook, printed on sticker sheets,
posters, payment notices or web images."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from ..batch import MANIFEST, Batch, run
from ..render.sheets import Progress
from .app import JsonFlag, app, desk, emit


@contextmanager
def progress_bar(quiet: bool) -> Iterator[Progress | None]:
    """A rich progress bar on stderr, or nothing when *quiet* or stderr is not a terminal."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    # refreshed by hand: no refresh thread may run while the drawing processes fork
    bar = Bar(
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        auto_refresh=False,
    )
    stages: dict[str, TaskID] = {}

    def tell(stage: str, done: int, total: int) -> None:
        if stage not in stages:
            stages[stage] = bar.add_task(stage, total=total)
        bar.update(stages[stage], completed=done, total=total)
        bar.refresh()

    with bar:
        yield tell


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Let ``kill`` clean up like Ctrl-C does: temporary files removed, the transaction rolled back."""
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def summary(batch: Batch) -> str:
    data = batch.to_dict()
    check = f"self-check read {data['self_check']['codes_read']} codes back" if batch.checked else "not self-checked"
    what = "images" if batch.extension != ".pdf" else "PDFs"
    wrote = (
        f"{len(batch.files)} {what} and {MANIFEST} into {batch.output}"
        if batch.folder
        else f"{batch.output} ({data['pages']} page{'s' if data['pages'] != 1 else ''})"
    )
    return f"Minted {batch.minted} new code(s), reused {batch.reused}; wrote {wrote}; {check}"


@app.command()
def batch(
    ctx: typer.Context,
    source: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="CSV file or Excel workbook (.xlsx). Columns item, scene; optional kind, valid_from, valid_until; "
            "bills: item, amount, payer, notice, due (or 项目编码, 金额, 缴款人, 通知书编号, 缴款期限).",
        ),
    ],
    template: Annotated[
        str,
        typer.Option(
            "--template",
            "-t",
            help="labels-a4 (sticker sheets), poster-a4, tent-a6, notice-a4 / slip-a5 (bills), web (folder of PNGs) ...",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="PDF file, or a folder (a name without extension: one PDF per code; always for web images); "
            "default: output/<FILE>-<template>[.pdf].",
        ),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Encoding of a CSV FILE, e.g. gbk (default: UTF-8, else GBK).")
    ] = None,
    no_check: Annotated[bool, typer.Option("--no-check", help="Skip reading every code back from the output.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Mint a code for every row of a CSV file or Excel workbook and print them all: all rows or none."""
    qrpay = desk(ctx)
    with terminate_as_interrupt(), progress_bar(quiet) as progress:
        result = run(qrpay, source, template, output, encoding=encoding, check=not no_check, progress=progress)
    emit(json_out, result.to_dict(), summary(result))
