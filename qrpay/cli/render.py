"""qrpay render / templates / demo: print-ready PDFs and web images, each read back before success."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..demo import run_demo
from ..render import Rendered
from .app import JsonFlag, app, desk, emit, emit_json


def rendered_line(result: Rendered) -> str:
    codes = result.to_dict()["self_check"]["codes_read"]
    return f"Wrote {result.path}  ({result.template}, {', '.join(result.ids)}; self-check read {codes} code(s) back)"


@app.command()
def render(
    ctx: typer.Context,
    code_id: Annotated[str, typer.Argument(metavar="ID", help="Code id, e.g. C0000042.")],
    template: Annotated[str, typer.Option("--template", "-t", help="Template name (see 'qrpay templates').")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write; the extension picks .pdf / .png / .svg / .html (default: output/<ID>-<template>.pdf or .png).",
        ),
    ] = None,
    emblem: Annotated[
        Path | None, typer.Option("--emblem", help="Image for the centre of the QR (error correction goes up to H).")
    ] = None,
    scale: Annotated[int, typer.Option("--scale", help="PNG pixel density: 2 for high-density (retina) screens.")] = 1,
    data_uri: Annotated[
        bool, typer.Option("--data-uri", help="HTML snippet: embed the image as a PNG data URI.")
    ] = False,
    font: Annotated[
        Path | None,
        typer.Option(
            "--font", help="TrueType font (.ttf/.ttc) for the text (default: Noto Sans CJK SC, Regular and Bold)."
        ),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Render a code with a template; the file is decoded again before success is reported."""
    result = desk(ctx).render(code_id, template, output, emblem=emblem, scale=scale, data_uri=data_uri, font=font)
    emit(json_out, result.to_dict(), rendered_line(result))


@app.command()
def templates(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """The layout templates, shipped and your own ($QRPAY_HOME/templates/*.toml)."""
    found = desk(ctx).templates()
    if json_out:
        emit_json([template.to_dict() for template in found])
        return
    for template in found:
        size = f"{template.web.module_px} px/module" if template.web is not None else f"QR {template.qr.size:g} mm"
        typer.echo(
            f"{template.name:<14} {template.format:<4} {size:<14} min module {template.qr.min_module:.1f} mm  {template.title}"
        )


@app.command()
def demo(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder to write into (files there are replaced).")
    ] = Path("output"),
    json_out: JsonFlag = False,
) -> None:
    """Mint sample codes (unified, scene, open) and render every template into a folder."""
    result = run_demo(desk(ctx), output)
    typer.echo(
        f"Sample codes (printed as 样张, they take no payment) live in {result.home}, not in QRPAY_HOME.", err=True
    )
    emit(
        json_out,
        [{"path": str(r.path), "id": r.ids[0], "template": r.template} for r in result.files],
        "\n".join(rendered_line(r) for r in result.files),
    )
