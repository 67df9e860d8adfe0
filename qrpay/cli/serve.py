"""qrpay serve: the site that answers the codes' links, and the verification API."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from .app import app, desk


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on; keep 127.0.0.1 behind a reverse proxy.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (about one per CPU core).")] = 1,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(help="Proxy address or network whose X-Forwarded-For/-Proto are believed (repeatable)."),
    ] = None,
    api_rate: Annotated[
        int | None, typer.Option(help="API requests per minute per client address and worker; 0 = no limit.")
    ] = None,
    access_log: Annotated[bool, typer.Option(help="Log one line per request on stderr.")] = True,
) -> None:
    """Serve the payer's page at the base URL's path, POST /api/v1/verify, /api/v1/revocations and /healthz."""
    import uvicorn

    from ..web import ServeSettings

    proxies = ",".join(trusted_proxy) if trusted_proxy else None
    settings = ServeSettings.load(desk(ctx).settings, trusted_proxies=proxies, api_rate=api_rate)
    os.environ.update(settings.environ())  # every worker builds its app from these
    uvicorn.run(
        "qrpay.web:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,  # the app itself trusts forwarded headers from --trusted-proxy only
        server_header=False,
        access_log=access_log,
    )
