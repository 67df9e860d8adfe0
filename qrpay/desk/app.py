"""The ASGI app of `qrpay desk`, built by :func:`create_app` from settings.

Layers, outermost first: forwarded headers (only from the configured proxies), qrpay serve's
security headers, its rate limit (on /login; a browser is told in a page), its body size limit
(larger for the statement upload), then the routes. Every view goes through :meth:`Desk.handle`:
the session from the cookie (none: a page answers 303 to /login, a download 401), the CSRF token
of every POST (wrong or missing: 403), then the view in a worker thread with that thread's Qrpay
(kept open between requests, see kept.py), narrowed to the user's departments.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from qrpay import QrpayError, __version__
from qrpay.users import Session
from qrpay.web.middleware import (
    ASGIApp,
    BodyLimit,
    RateLimit,
    Receive,
    Scope,
    SecurityHeaders,
    Send,
    content_security_policy,
)

from . import texts, views
from .auth import Cookies, same
from .kept import Kept
from .preview import CACHE_CONTROL
from .settings import DeskSettings
from .views import Ask, File, Page, Refused

log = logging.getLogger("qrpay.desk")
MAX_FORM = 64 * 1024  # bytes: every form but the statement upload
MAX_UPLOAD = 32 * 1024 * 1024  # bytes: a statement, CSV or Excel workbook
UPLOAD_PATHS = ("/reconcile",)
LOGIN_RATE = 60  # requests to /login per minute per client address (and worker), besides the lockout per name
NO_STORE = {"cache-control": "no-store"}

templates = Environment(
    loader=PackageLoader("qrpay.desk", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.globals.update(kinds=texts.KINDS, states=texts.STATES, roles=texts.ROLES, actions=texts.ACTIONS)
templates.globals.update(formats=texts.FORMATS, classes=texts.CLASSES, css=f"/static/desk.css?v={__version__}")
templates.globals.update(print_css=f"/static/print.css?v={__version__}")

View = Callable[..., views.Answer]


class Limits:
    """qrpay serve's body limit, with room for a statement on the upload path only."""

    def __init__(self, app: ASGIApp):
        self.small = BodyLimit(app, MAX_FORM)
        self.large = BodyLimit(app, MAX_UPLOAD)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        large = scope["type"] == "http" and scope["path"] in UPLOAD_PATHS
        await (self.large if large else self.small)(scope, receive, send)


class LoginLimit(RateLimit):
    """qrpay serve's rate limit on /login; a browser (asking for HTML) is told in a Chinese page, a program in JSON."""

    def __init__(self, app: ASGIApp, per_minute: int, page: Callable[[int], Response]):
        super().__init__(app, per_minute, prefix="/login")
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wait = self.wait(scope) if scope["type"] == "http" else 0
        if not wait:
            await self.app(scope, receive, send)
        elif "text/html" in Headers(scope=scope).get("accept", ""):
            await self.page(wait)(scope, receive, send)
        else:
            await self.refuse(send, wait)


class Desk:
    """The views' shared state: settings, cookies, and how a request becomes a view's answer."""

    def __init__(self, desk: DeskSettings):
        self.settings = desk.settings
        self.cookies = Cookies(desk.session_key(), secure=not desk.insecure_http)
        self.qrpay = Kept(desk.settings)  # with self.qrpay() as qrpay: this thread's, kept open

    def html(self, template: str, status: int = 200, **context: object) -> HTMLResponse:
        body = templates.get_template(template).render(**context)
        return HTMLResponse(body, status_code=status, headers=NO_STORE)

    def message(self, status: int, heading: str, session: Session | None = None) -> HTMLResponse:
        user = session.user if session else None
        return self.html("message.html", status, heading=heading, session=session, user=user)

    def too_many(self, wait: int) -> Response:
        """The login page's 429: the same limit qrpay serve's API answers in JSON, in words a clerk reads."""
        response = self.message(429, f"登录尝试过于频繁，请 {wait} 秒后再试")
        response.headers["retry-after"] = str(wait)
        return response

    async def read_form(self, request: Request) -> tuple[dict[str, str], UploadFile | None]:
        if request.method != "POST":
            return {}, None
        try:
            raw = await request.form(max_files=1, max_fields=100)
        except Exception:  # a malformed body: nothing of it is used
            return {}, None
        form = {key: value for key, value in raw.items() if isinstance(value, str)}
        upload = next((value for value in raw.values() if isinstance(value, UploadFile)), None)
        return form, upload

    def route(self, view: View, *, download: bool = False) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            form, upload = await self.read_form(request)
            return await run_in_threadpool(self.handle, request, view, form, upload, download)

        return endpoint

    def handle(
        self, request: Request, view: View, form: dict[str, str], upload: UploadFile | None, download: bool
    ) -> Response:
        with self.qrpay() as qrpay:
            session = self.cookies.session(request, qrpay.users)
            if session is None:
                if download:
                    return PlainTextResponse("请先登录 (log in first)", 401, headers=NO_STORE)
                return RedirectResponse("/login", 303, headers=NO_STORE)
            if request.method == "POST" and not same(session.csrf, form.get("csrf")):
                return self.message(403, "表单已过期或来源不明，请返回重试", session)
            ask = Ask(request, qrpay.scoped(session.user.scope), session, form, upload)
            try:
                answer = view(ask, **request.path_params)
            except Refused as exc:
                return self.message(exc.status, exc.heading, session)
            if isinstance(answer, str):
                response = RedirectResponse(answer, 303, headers=NO_STORE)
                if isinstance(answer, LoggedOut):
                    self.cookies.end(response)
                return response
            if isinstance(answer, File) and answer.etag:
                return self.image(request, answer)
            if isinstance(answer, File):
                disposition = f'attachment; filename="{answer.name}"'
                return Response(
                    answer.data, media_type=answer.media, headers={**NO_STORE, "content-disposition": disposition}
                )
            return self.page(answer, session)

    def image(self, request: Request, image: File) -> Response:
        """An image shown in a page, which the browser keeps and revalidates by its ETag (304)."""
        headers = {"cache-control": CACHE_CONTROL, "etag": image.etag}
        if request.headers.get("if-none-match") == image.etag:
            return Response(status_code=304, headers=headers)
        return Response(image.data, media_type=image.media, headers=headers)

    def page(self, page: Page, session: Session) -> HTMLResponse:
        return self.html(page.template, page.status, session=session, user=session.user, **page.context)

    # -- logging in and out ----------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        form, _ = await self.read_form(request)
        return await run_in_threadpool(self.do_login, request, form)

    def login_page(self, status: int, error: str = "", name: str = "") -> Response:
        token = secrets.token_urlsafe(24)
        response = self.html("login.html", status, csrf=token, error=error, name=name)
        self.cookies.set_login_token(response, token)
        return response

    def do_login(self, request: Request, form: dict[str, str]) -> Response:
        if request.method != "POST":
            return self.login_page(200)
        if not same(self.cookies.login_token(request), form.get("csrf")):
            return self.login_page(403, "登录表单已过期，请重新输入")
        address = request.client.host if request.client else "-"
        name = form.get("username", "")
        with self.qrpay() as qrpay:
            session = qrpay.users.login(name, form.get("password", ""), address)
        if session is None:
            return self.login_page(401, texts.LOGIN_FAILED, name[:64])
        response = RedirectResponse("/", 303, headers=NO_STORE)
        self.cookies.start(response, session)
        return response

    def logout(self, ask: Ask) -> LoggedOut:
        ask.qrpay.users.logout(ask.session, ask.address)
        return LoggedOut("/login")


class LoggedOut(str):
    """Where to go once the session has ended; the cookie is dropped too."""


def create_app(settings: DeskSettings) -> ASGIApp:
    """The staff site: login, the code list and pages, downloads, and the officers' pages."""
    desk = Desk(settings)

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        return desk.message(status, "页面不存在" if status == 404 else "不支持此操作")

    async def internal(request: Request, exc: Exception) -> Response:
        if isinstance(exc, QrpayError):  # the register or keyring cannot be used right now
            log.warning("answering 503: %s: %s", type(exc).__name__, exc)
            return desk.message(503, "服务暂时不可用，请稍后再试")
        log.error("unexpected failure answering %s %s", request.method, request.url.path, exc_info=exc)
        return desk.message(500, "出错了，请稍后再试")

    routes = [
        Route("/login", desk.login, methods=["GET", "POST"]),
        Route("/logout", desk.route(desk.logout), methods=["POST"]),
        Route("/", desk.route(views.code_list), methods=["GET"]),
        Route("/codes/{code_id}", desk.route(views.code_page), methods=["GET"]),
        Route("/codes/{code_id}/revoke", desk.route(views.revoke), methods=["POST"]),
        Route("/codes/{code_id}/preview.png", desk.route(views.preview, download=True), methods=["GET"]),
        Route("/codes/{code_id}/print/{template}.png", desk.route(views.print_image, download=True), methods=["GET"]),
        Route("/codes/{code_id}/print/{template}", desk.route(views.print_page), methods=["GET"]),
        Route("/codes/{code_id}/{filename}", desk.route(views.download, download=True), methods=["GET"]),
        Route("/mint", desk.route(views.mint_form), methods=["GET"]),
        Route("/mint/{kind}", desk.route(views.mint), methods=["POST"]),
        Route("/emergency", desk.route(views.kit_form), methods=["GET"]),
        Route("/emergency/kit", desk.route(views.kit), methods=["POST"]),
        Route("/reconcile", desk.route(views.reconcile_page), methods=["GET", "POST"]),
        Route("/audit", desk.route(views.audit), methods=["GET"]),
        Mount("/static", StaticFiles(packages=[("qrpay.desk", "static")])),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        desk.qrpay.close()

    handlers = {HTTPException: not_found, Exception: internal}
    app = Starlette(routes=routes, exception_handlers=handlers, lifespan=lifespan)
    wrapped: ASGIApp = SecurityHeaders(LoginLimit(Limits(app), LOGIN_RATE, desk.too_many), content_security_policy())
    if settings.trusted_proxies:
        wrapped = cast(
            ASGIApp, ProxyHeadersMiddleware(cast(Any, wrapped), trusted_hosts=list(settings.trusted_proxies))
        )
    return wrapped


def app_from_env() -> ASGIApp:
    """The app from the environment: what each worker of ``qrpay desk --workers N`` builds."""
    return create_app(DeskSettings.load())
