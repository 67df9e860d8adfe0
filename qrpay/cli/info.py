"""qrpay info and qrpay catalog."""

from __future__ import annotations

import typer

from .. import __version__
from ..errors import KeyringError
from .app import JsonFlag, app, desk, emit_json


@app.command()
def info(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Every path and setting qrpay uses (never key material)."""
    qrpay = desk(ctx)
    settings = qrpay.settings
    try:
        ring = qrpay.keyring
        signing, key_count, key_state = ring.signing_key.kid, len(ring.keys), "ok"
    except KeyringError as exc:
        signing, key_count, key_state = None, 0, str(exc)
    data = {
        "version": __version__,
        "home": str(settings.home),
        "keyring": str(settings.keyring_path),
        "keyring_status": key_state,
        "active_kid": signing,
        "keys": key_count,
        "register": settings.register_location,
        "register_engine": "postgresql" if settings.database_url else "sqlite",
        "config_file": str(settings.config_file) if settings.config_file else None,
        "user_catalog": str(settings.user_catalog_path),
        "user_templates": str(settings.user_templates_dir),
        "base_url": settings.base_url,
        "timezone": settings.timezone,
        "font": str(settings.font) if settings.font else None,
    }
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
