"""Answers kept while nothing they depend on has changed: the page of a code and its verdict.

A page or a verdict is a function of the request (the path and the kind of in-app browser; the
verify body) and of the state it was read from: the keyring, catalog and register files, every
commit to the register, and the day. :meth:`Reader.marker` sums that state up in a value that
changes whenever any of it does, read *before* the answer is computed; an answer is kept under
the marker it was computed with and given again only while the marker is unchanged. So a
revocation committed by a desk shows on the very next request, as without the cache.

The cache is the outermost layer (inside the forwarded headers): for the two kinds of request
it keeps, it applies the rate limit, the body limit and the security headers itself, so a kept
answer goes out in one step, its headers baked in (for http and for https: HSTS is https's).

Only what an endpoint marks as derived from the verdict alone is kept (``scope[CACHEABLE]``):
never a 503, a 500, a form's answer or an error about the request itself. Where the register
has no change counter (PostgreSQL) the marker is None and nothing is kept: every request reads.
"""

from __future__ import annotations

from collections.abc import Hashable

from .middleware import (
    MAX_BODY,
    ASGIApp,
    Message,
    RateLimit,
    Receive,
    Scope,
    SecurityHeaders,
    Send,
    TooLarge,
    read_body,
    replay,
    too_large,
)
from .reader import Reader
from .texts import in_app_browser

CACHEABLE = "qrpay.cacheable"  # set in the scope by an endpoint whose answer may be kept
MAX_ENTRIES = 2048
MAX_BYTES = 16 * 1024 * 1024  # per worker
JSON = b"application/json"


Headers = tuple[tuple[bytes, bytes], ...]


class Stored:
    """A kept answer, its headers ready to send over http and over https (security headers included)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: tuple[Headers, Headers], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    async def send(self, send: Send, https: bool) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers[https]})
        await send({"type": "http.response.body", "body": self.body})


class AnswerCache:
    """Pure ASGI, the outermost layer: ``GET {page_prefix}TOKEN`` and ``POST /api/v1/verify``
    (JSON) under the same guards as every other request, their answers kept; the rest to *guarded*.

    *guarded* is *app* behind *security*, *limiter* and the body limit; for the two kept kinds this
    layer applies those guards itself, in the same order (rate limit, body limit, then the
    answer, every response with the security headers), so a kept answer is sent in one step, its
    security headers baked in, and a verify body is read once.
    """

    def __init__(
        self,
        app: ASGIApp,
        guarded: ASGIApp,
        reader: Reader,
        page_prefix: str,
        security: SecurityHeaders,
        limiter: RateLimit | None = None,
        body_limit: int = MAX_BODY,
        verify_path: str = "/api/v1/verify",
    ):
        self.app, self.guarded = app, guarded
        self.reader = reader
        self.page_prefix = page_prefix
        self.security, self.limiter, self.body_limit = security, limiter, body_limit
        self.verify_path = verify_path
        self.marker: Hashable | None = None
        self.kept: dict[Hashable, Stored] = {}
        self.size = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = self._kind(scope)
        if kind is None:
            await self.guarded(scope, receive, send)
            return
        if self.limiter is not None:
            wait = self.limiter.wait(scope)
            if wait:
                await self.limiter.refuse(self.security.wrap(scope, send), wait)
                return
        body: bytes | None = None
        if kind == "page":
            agent = next((v for n, v in scope["headers"] if n == b"user-agent"), b"")
            key: Hashable = (scope["path"], in_app_browser(agent.decode("latin-1")))
        else:
            try:
                body = await read_body(scope, receive, self.body_limit)
            except TooLarge:
                await too_large(self.security.wrap(scope, send), self.body_limit)
                return
            if body is None:  # the client left
                return
            key = body
        marker = self.reader.marker()
        if marker is not None:
            if marker != self.marker:
                self._forget()
                self.marker = marker
            stored = self.kept.get(key)
            if stored is not None:
                await stored.send(send, scope.get("scheme") == "https")
                return
        if body is not None:  # only the app, on a miss, reads the body again
            receive = replay(body, receive)
        if marker is None:  # nothing to tell a change by, or the state cannot be read: answer afresh
            self._forget()
            await self.app(scope, receive, self.security.wrap(scope, send))
            return
        await self._answer_and_keep(scope, receive, send, key, marker)

    def _kind(self, scope: Scope) -> str | None:
        """ "page" or "verify" for a request whose answer may be kept, else None."""
        if scope["type"] != "http":
            return None
        method, path = scope["method"], scope["path"]
        if method == "GET" and path.startswith(self.page_prefix) and not scope.get("root_path"):
            token = path[len(self.page_prefix) :]
            return "page" if token and "/" not in token else None
        if method == "POST" and path == self.verify_path:
            kind = next((v for n, v in scope["headers"] if n == b"content-type"), b"")
            return "verify" if kind.split(b";")[0].strip().lower() == JSON else None
        return None

    async def _answer_and_keep(self, scope: Scope, receive: Receive, send: Send, key: Hashable, marker: object) -> None:
        parts: list[Message] = []
        secured = self.security.wrap(scope, send)

        async def keep_and_send(message: Message) -> None:
            parts.append(dict(message))  # as the app sent it: securing replaces its headers
            await secured(message)

        scope[CACHEABLE] = False
        await self.app(scope, receive, keep_and_send)
        if not scope[CACHEABLE] or len(parts) != 2 or parts[1].get("more_body"):
            return
        start, body = parts
        headers = [tuple(self.security.added(start.get("headers", ()), https)) for https in (False, True)]
        stored = Stored(start["status"], (headers[0], headers[1]), bytes(body.get("body", b"")))
        if len(stored.body) > MAX_BYTES // 64:
            return
        while self.kept and (len(self.kept) >= MAX_ENTRIES or self.size + len(stored.body) > MAX_BYTES):
            oldest = next(iter(self.kept))
            self.size -= len(self.kept.pop(oldest).body)
        if marker == self.marker:  # else the state changed while answering: keep nothing
            self.kept[key] = stored
            self.size += len(stored.body)

    def _forget(self) -> None:
        self.kept.clear()
        self.size = 0
