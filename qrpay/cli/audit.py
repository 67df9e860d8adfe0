"""qrpay audit: photos and scans of the posters hanging in the halls, every code verified."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..audit import Audit, audit
from .app import EXIT_NEGATIVE, JsonFlag, app, desk, emit


def audit_text(report: Audit) -> str:
    """Each file and what it shows, reasons only where something is wrong, then the count per status."""
    lines = []
    for entry in report.files:
        lines.append(str(entry.path))
        for verdict in entry.verdicts:
            name = f"{verdict.code.id} " if verdict.code else ""
            copies = f" (×{verdict.count})" if verdict.count > 1 else ""
            shown = "" if verdict.status == "no-code-found" else f"{name}{verdict.input}{copies}"
            lines.append(f"  {verdict.status.upper():<13}  {shown or verdict.reason}")
            if not verdict.genuine and shown:
                lines.append(f"  {'':<13}  {verdict.reason}")
    counts = ", ".join(f"{status} {count}" for status, count in report.summary.items() if count)
    closing = "Every code is genuine." if report.clean else "NOT ALL GENUINE: act on the files above."
    return "\n".join([*lines, "", f"{len(report.files)} file(s): {counts}", closing])


@app.command("audit")
def audit_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...",
            help="Photos or scans of posters (JPEG, PNG, PDF, ...), or folders of them.",
            show_default=False,
        ),
    ],
    json_out: JsonFlag = False,
) -> None:
    """Check every code in photos of posters: exit 0 only when all are genuine, 1 otherwise."""
    report = audit(desk(ctx), paths)
    emit(json_out, report.to_dict(), audit_text(report))
    if not report.clean:
        raise typer.Exit(EXIT_NEGATIVE)
