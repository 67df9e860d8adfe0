"""qrpay keys: create, rotate, list and retire signing keys (never printing them)."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import JsonFlag, app, desk, emit_json

keys_app = typer.Typer(help="Create, rotate, list and retire signing keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("init")
def init(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Create the keyring (owner-only file) with its first key. Never overwrites one."""
    ring = desk(ctx).init_keyring()
    if json_out:
        emit_json({"path": str(ring.path), "kid": ring.signing_key.kid})
    else:
        typer.echo(f"Created keyring {ring.path} with key {ring.signing_key.kid}. Back it up somewhere safe.")


@keys_app.command("rotate")
def rotate(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Add a new key that signs from now on; older keys keep verifying."""
    key = desk(ctx).rotate_key()
    if json_out:
        emit_json(key.public_dict())
    else:
        typer.echo(f"Key {key.kid} now signs new codes; earlier keys still verify until retired.")


@keys_app.command("list")
def list_keys(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Show key ids, dates and which key signs (never the secrets)."""
    rows = desk(ctx).keys()
    if json_out:
        emit_json(rows)
        return
    for row in rows:
        state = "signing" if row["signing"] else ("retired " + row["retired_at"] if row["retired_at"] else "verifying")
        typer.echo(f"key {row['kid']:>3}  created {row['created_at']}  {state}")


@keys_app.command("retire")
def retire(
    ctx: typer.Context,
    kid: Annotated[int, typer.Argument(help="Key id to retire (see 'qrpay keys list').")],
    force: Annotated[bool, typer.Option("--force", help="Retire even though live codes still use the key.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Stop a key verifying: codes it signed will read as unknown-key."""
    key = desk(ctx).retire_key(kid, force=force)
    if json_out:
        emit_json(key.public_dict())
    else:
        typer.echo(f"Key {key.kid} retired; codes it signed no longer verify.")
