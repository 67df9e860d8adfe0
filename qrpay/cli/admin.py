"""qrpay backup / restore, and the signed revocation list for the payment platform."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import EXIT_NEGATIVE, JsonFlag, app, desk, emit_json

revocations_app = typer.Typer(help="The signed list of revoked codes, for the payment platform.", no_args_is_help=True)
app.add_typer(revocations_app, name="revocations")


@app.command()
def backup(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="The backup file to create (never overwritten).")],
    json_out: JsonFlag = False,
) -> None:
    """Copy the register to a new file, consistent even while others use it."""
    done = desk(ctx).backup(output)
    if json_out:
        emit_json(done)
    else:
        typer.echo(f"Backed up {done['register']} to {done['backup']} ({done['bytes']} bytes).")


@app.command()
def restore(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(metavar="BACKUP", help="A file made by 'qrpay backup'.")],
    json_out: JsonFlag = False,
) -> None:
    """Replace the register with a backup; the current one is kept beside it first. Stop other qrpay runs before."""
    done = desk(ctx).restore(source)
    if json_out:
        emit_json(done)
    else:
        typer.echo(
            f"Restored {done['register']} from {source}; what it held before is saved in {done['previous_saved_to']}."
        )


@revocations_app.command("export")
def export(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the list, e.g. revoked.json.")],
    json_out: JsonFlag = False,
) -> None:
    """Write every revoked code (id, payment code, token hash, time, reason), signed."""
    summary = desk(ctx).export_revocations(output)
    if json_out:
        emit_json(summary)
    else:
        typer.echo(f"Wrote {summary['count']} revoked code(s) to {output}, signed with key {summary['kid']}.")


@revocations_app.command("verify")
def verify(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="FILE", help="A list written by 'qrpay revocations export'.")],
    json_out: JsonFlag = False,
) -> None:
    """Check a revocation list's signature: exit 0 if intact, 1 if changed or not signed by this keyring."""
    result = desk(ctx).check_revocations(path)
    if json_out:
        emit_json(result.to_dict())
    else:
        typer.echo(f"{'VALID' if result.valid else 'INVALID'}  {path}\n  {result.reason}")
    if not result.valid:
        raise typer.Exit(EXIT_NEGATIVE)
