"""qrpay emergency: kits of open codes, and the log of what was collected under the fallback."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..emergency.kit import make_kit
from ..emergency.log import CollectionLog
from .app import JsonFlag, app, desk, emit_json
from .reconcile import Encoding
from .tables import text_table

emergency_app = typer.Typer(
    help="Emergency fallback: kits of open codes and the offline collection log.", no_args_is_help=True
)
app.add_typer(emergency_app, name="emergency")
log_app = typer.Typer(
    help="The collection log: what counters took while the platform was out of reach.", no_args_is_help=True
)
emergency_app.add_typer(log_app, name="log")
#: The collection log as a table: heading, and the field of each entry under it.
LOG_COLUMNS = {
    "#": "id",
    "CODE": "code",
    "ITEM": "item",
    "AMOUNT": "amount",
    "REFERENCE": "reference",
    "PAYER": "payer",
    "AT": "at",
    "STATUS": "status",
}


@emergency_app.command("kit")
def kit(
    ctx: typer.Context,
    items: Annotated[
        list[str] | None,
        typer.Option(
            "--item", help="Emergency-eligible item, e.g. 06; repeat for several (default: every eligible item)."
        ),
    ] = None,
    valid_from: Annotated[
        str | None, typer.Option("--valid-from", help="First valid day of the codes, YYYY-MM-DD.")
    ] = None,
    valid_until: Annotated[
        str | None, typer.Option("--valid-until", help="Last valid day of the codes, YYYY-MM-DD.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="PDF to write (default: output/emergency-kit-<today>.pdf).")
    ] = None,
    font: Annotated[
        Path | None,
        typer.Option(
            "--font", help="TrueType font (.ttf/.ttc) for the text (default: Noto Sans CJK SC, Regular and Bold)."
        ),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Print-ready kit: a cover listing the codes, then each item's emergency poster and staff log sheet."""
    done = make_kit(desk(ctx), output, items=items, valid_from=valid_from, valid_until=valid_until, font=font)
    if json_out:
        emit_json(done.to_dict())
        return
    typer.echo(f"Wrote {done.path}  ({done.pages} pages; self-check read {len(done.codes)} code(s) back)")
    for code in done.codes:
        typer.echo(
            f"  {code.id}  item {code.number:02d}  {code.payment_code}  "
            f"{'minted now' if code.id in done.minted else 'reused'}"
        )


@log_app.command("add")
def log_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Option("--code", help="The open code: its id (C0000042) or payment code.")],
    amount: Annotated[str, typer.Option("--amount", help="Yuan, at most 2 decimals, e.g. 120.00.")],
    reference: Annotated[str, typer.Option("--reference", help="The business reference the payer entered.")],
    payer: Annotated[str | None, typer.Option("--payer", help="Who paid (person or enterprise).")] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at", help="When, ISO 8601, e.g. 2024-05-01T14:30 (default: now; no offset = configured time zone)."
        ),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Log one collection taken through an open code."""
    log = CollectionLog(desk(ctx))
    entry, new = log.add(code, amount, reference, payer=payer, at=at)
    if json_out:
        emit_json({**log.describe(entry), "new": new})
    else:
        info = log.describe(entry)
        typer.echo(
            f"{'Logged' if new else 'Already logged'} entry #{entry.id}: {info['code']} "
            f"{info['amount']} reference {entry.reference} at {entry.at}"
        )


@log_app.command("import")
def log_import(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(metavar="FILE.csv", help="CSV with columns code, amount, reference[, payer, at].")
    ],
    encoding: Encoding = None,
    json_out: JsonFlag = False,
) -> None:
    """Log every line of a CSV file: all of them, or none if any line is wrong."""
    log = CollectionLog(desk(ctx))
    done = log.import_csv(path, encoding=encoding, name=str(path))
    if json_out:
        emit_json(
            {
                "file": done.name,
                "added": [log.describe(entry) for entry in done.added],
                "already_logged": [log.describe(entry) for entry in done.existing],
            }
        )
    else:
        typer.echo(
            f"Logged {len(done.added)} new entr{'y' if len(done.added) == 1 else 'ies'} from {done.name}"
            f" ({len(done.existing)} already logged)."
        )


@log_app.command("list")
def log_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Every logged collection and its status against the statements reconciled so far."""
    log = CollectionLog(desk(ctx))
    rows = [log.describe(entry, outcome) for entry, outcome in log.entries()]
    if json_out:
        emit_json(rows)
        return
    if not rows:
        typer.echo("Nothing logged yet.", err=True)
        return
    table = [[row[key] for key in LOG_COLUMNS.values()] for row in rows]
    typer.echo(text_table(tuple(LOG_COLUMNS), table, right=("AMOUNT",)))
