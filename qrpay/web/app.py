"""The ASGI app of `qrpay serve`, built by :func:`create_app` from settings.

Layers, outermost first: forwarded headers (only from the configured proxies), the answer cache
(cache.py: pages and verdicts kept while the register, keyring, catalog and day are unchanged;
it applies the guards below itself to the requests it answers), then security headers, the API
rate limit, the body size limit, and Starlette's routes.
"""

from __future__ import annotations

import logging
from typing import Any, cast
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .api import Api, error
from .cache import AnswerCache
from .middleware import ASGIApp, BodyLimit, RateLimit, SecurityHeaders, content_security_policy
from .pages import Pages
from .payment import form_origin
from .reader import Reader, Unavailable
from .settings import ServeSettings

log = logging.getLogger("qrpay.web")
API_PATHS = ("/api/", "/healthz")


def base_path(base_url: str) -> str:
    """Where the codes' links arrive: ``https://pay.hz.gov.cn/q/`` gives ``/q/``, so the link
    ``…/q/TOKEN`` is answered at ``/q/TOKEN`` (the configuration makes every base URL end in '/')."""
    return urlsplit(base_url).path


def create_app(serve: ServeSettings) -> ASGIApp:
    """One ASGI app answering the payer's pages at the base URL's path, the API and the health check."""
    settings = serve.settings
    reader = Reader(settings)
    path = base_path(settings.base_url)
    pages = Pages(serve, reader, f"{path}static/")
    api = Api(reader)

    def is_api(request: Request) -> bool:
        return request.url.path.startswith(API_PATHS)

    async def unavailable(request: Request, exc: Exception) -> Response:
        if is_api(request):
            return error(503, "unavailable", "the keyring or register cannot be used right now; try again later")
        return pages.message(request, 503, "服务暂时不可用，请稍后再试", "The service is unavailable; try again later.")

    async def http_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.status_code == 405:
            if is_api(request):
                return error(405, "method_not_allowed", f"{request.method} is not allowed here")
            return pages.message(request, 405, "不支持此操作", "This method is not allowed here.")
        if is_api(request):
            return error(404, "not_found", "no such API path; see /api/openapi.json")
        return pages.message(request, 404, "页面不存在", "There is no page at this address.")

    async def internal(request: Request, exc: Exception) -> Response:
        log.error("unexpected failure answering %s %s", request.method, request.url.path, exc_info=exc)
        if is_api(request):
            return error(500, "internal", "an unexpected failure; it has been logged")
        return pages.message(request, 500, "出错了，请稍后再试", "Something went wrong; please try again later.")

    page_route = f"{path}{{token}}"
    routes = [
        Route("/healthz", api.healthz, methods=["GET"]),
        Route("/api/openapi.json", api.openapi, methods=["GET"]),
        Route("/api/v1/verify", api.verify, methods=["POST"]),
        Route("/api/v1/revocations", api.revocations, methods=["GET"]),
        Mount(f"{path}static", StaticFiles(packages=[("qrpay.web", "static")])),
        Route(page_route, pages.code, methods=["GET", "POST"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={Unavailable: unavailable, HTTPException: http_error, Exception: internal},
    )
    guarded: ASGIApp = BodyLimit(app)
    limiter = RateLimit(guarded, serve.api_rate) if serve.api_rate else None
    security = SecurityHeaders(limiter or guarded, content_security_policy(form_origin(settings.pay_url)))
    wrapped: ASGIApp = AnswerCache(app, security, reader, path, security, limiter)
    if serve.trusted_proxies:
        # uvicorn types ASGI apps by its own protocol classes; ours are the plain callables of the spec
        wrapped = cast(ASGIApp, ProxyHeadersMiddleware(cast(Any, wrapped), trusted_hosts=list(serve.trusted_proxies)))
    return wrapped


def app_from_env() -> ASGIApp:
    """The app from the environment: what each worker of ``qrpay serve --workers N`` builds."""
    return create_app(ServeSettings.load())
