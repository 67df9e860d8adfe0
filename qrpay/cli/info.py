"""qrpay info and qrpay catalog."""

from __future__ import annotations

import typer

from .app import JsonFlag, app, desk, emit_json


@app.command()
def info(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Every path and setting qrpay uses (never key material)."""
    data = desk(ctx).info()
    if json_out:
        emit_json(data)
    else:
        width = max(map(len, data))
        typer.echo("\n".join(f"{name:<{width}}  {'-' if value is None else value}" for name, value in data.items()))


@app.command()
def catalog(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """The fee items and unified groups codes can be minted for."""
    cat = desk(ctx).catalog
    if json_out:
        emit_json(cat.to_dict())
        return
    for item in cat.items.values():
        flags = " [emergency]" if item.emergency else ""
        limits = ""
        if item.amount_min or item.amount_max:
            limits = f"  ¥{item.amount_min or 0}–{item.amount_max or '∞'}"
        typer.echo(f"{item.code}  {item.department}  {item.name}{limits}{flags}")
    for group in cat.groups.values():
        typer.echo(f"unified {group.name}: {group.title} (items {', '.join(group.items)})")
