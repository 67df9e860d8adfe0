"""qrpay reconcile: hold a platform or bank statement against the collection log."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from ..emergency.reconcile import Report, reconcile
from ..fileio import check_writable_target
from .app import EXIT_NEGATIVE, JsonFlag, app, desk
from .tables import table_lines

Encoding = Annotated[
    str | None, typer.Option("--encoding", help="The file's encoding, e.g. gbk (default: detect UTF-8 or GBK).")
]


def report_lines(report: Report) -> Iterator[str]:
    """The report for people, line by line: where it came from, one line per row, the count per class."""
    statement, run = report.statement, report.run
    yield (
        f"Statement #{statement['id']} {statement['name']} ({statement['encoding']}, "
        f"{'imported now' if report.new_statement else 'imported ' + statement['imported_at']}); "
        f"run #{run.id} {'recorded now' if report.new_run else 'unchanged since ' + run.at}"
    )
    yield ""
    yield from table_lines(
        ("CLASS", "LINE", "TXN", "PAID AT", "AMOUNT", "CODE", "REFERENCE", "ENTRY", "LOGGED", "WHY"),
        lambda: (
            (
                row["class"],
                row["line"],
                row["txn_id"],
                row["paid_at"],
                row["amount"],
                row["code"],
                row["reference"],
                row["entry"] and f"#{row['entry']}",
                row["logged_amount"],
                row["reason"],
            )
            for row in report.iter_rows()
        ),
        right=("AMOUNT", "LOGGED"),
    )
    yield ""
    yield "  ".join(f"{cls} {count}" for cls, count in report.summary.items())
    yield "Everything matched." if report.clean else "Discrepancies found."


@app.command("reconcile")
def reconcile_command(
    ctx: typer.Context,
    statement: Annotated[
        Path,
        typer.Argument(
            metavar="STATEMENT", help="CSV or Excel (.xlsx) with columns txn_id, paid_at, amount, code, reference."
        ),
    ],
    encoding: Encoding = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Also write the report as CSV here.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Classify every statement line and every logged collection; exit 0 only when all matched."""
    if output is not None:
        check_writable_target(output, example="report.csv")
    report = reconcile(desk(ctx), statement, encoding=encoding, name=str(statement))
    if output is not None:
        report.write_csv(output)
        typer.echo(f"Report written to {output}", err=True)
    if json_out:  # streamed: the same text as emit_json(report.to_dict()), never held whole
        for chunk in report.json_chunks():
            sys.stdout.write(chunk)
        sys.stdout.write("\n")
    else:
        for line in report_lines(report):
            typer.echo(line)
    if not report.clean:
        raise typer.Exit(EXIT_NEGATIVE)
