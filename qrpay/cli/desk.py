"""qrpay desk: the staff site (log in, find and print codes; officers mint, revoke, make kits, reconcile)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from .app import app, desk


@app.command("desk")
def desk_command(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on; keep 127.0.0.1 behind the bureau's TLS reverse proxy.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8001,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(help="Proxy address or network whose X-Forwarded-For/-Proto are believed (repeatable)."),
    ] = None,
    insecure_http: Annotated[
        bool,
        typer.Option(
            "--insecure-http",
            help="Send the session cookie over plain http too (no Secure flag): only for trying the desk at 127.0.0.1.",
        ),
    ] = False,
    access_log: Annotated[bool, typer.Option(help="Log one line per request on stderr.")] = True,
) -> None:
    """Serve the staff desk (users: 'qrpay users add'); the session key: QRPAY_DESK_SECRET_FILE or QRPAY_HOME/desk-secret."""
    import uvicorn

    from ..desk import DeskSettings

    proxies = ",".join(trusted_proxy) if trusted_proxy else None
    settings = DeskSettings.load(desk(ctx).settings, insecure_http=insecure_http, trusted_proxies=proxies)
    settings.session_key()  # made (or found unsafe) now, once, not by racing workers
    os.environ.update(settings.environ())
    uvicorn.run(
        "qrpay.desk:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        server_header=False,
        access_log=access_log,
    )
