"""Pure ASGI middleware: security headers on every response, a body size limit, a rate limit.

Pure ASGI rather than Starlette's BaseHTTPMiddleware: each layer only wraps ``send`` or
``receive``, which costs microseconds per request, and sees the errors other layers answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY = 4096  # bytes: a verify request or the payment form is a few hundred
HSTS = b"max-age=31536000"


def content_security_policy(form_targets: str = "") -> str:
    """No script at all, styles from our own files, forms to us (and the platform, where our 303 leads)."""
    form_action = " ".join(filter(None, ("'self'", form_targets)))
    return (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )


async def send_json(
    send: Send, status: int, code: str, message: str, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """An error as the API answers every error: ``{"error": {"code": ..., "message": ...}}``."""
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Adds the security headers to every HTTP response; HSTS only on https (as the proxy reports it)."""

    def __init__(self, app: ASGIApp, csp: str):
        self.app = app
        self.headers = [
            (b"content-security-policy", csp.encode("ascii")),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
        ]
        self.https_headers = [*self.headers, (b"strict-transport-security", HSTS)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self.wrap(scope, send))

    def added(self, headers: Iterable[tuple[bytes, bytes]], https: bool) -> list[tuple[bytes, bytes]]:
        """*headers* and the security headers they lack (with HSTS over *https*)."""
        headers = list(headers)
        have = {name.lower() for name, _ in headers}
        return headers + [h for h in (self.https_headers if https else self.headers) if h[0] not in have]

    def wrap(self, scope: Scope, send: Send) -> Send:
        """*send* adding this request's security headers to the response's start."""
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self.added(message.get("headers", ()), https)
            await send(message)

        return send_with_headers


class TooLarge(Exception):
    """A request body beyond the limit, declared or sent."""


async def read_body(scope: Scope, receive: Receive, limit: int = MAX_BODY) -> bytes | None:
    """The whole request body, or None if the client left first; :class:`TooLarge` past *limit* bytes."""
    declared = next((value for name, value in scope["headers"] if name == b"content-length"), None)
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge
    message = await receive()
    if message["type"] == "http.disconnect":
        return None
    body = message.get("body", b"")
    if not message.get("more_body") and len(body) <= limit:
        return body  # the usual case: one message
    chunks, size = [body], len(body)
    while size <= limit and message.get("more_body"):
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
    if size > limit:
        raise TooLarge
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` giving *body* once as the whole request, then whatever *receive* gives."""
    given = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return given.pop() if given else await receive()

    return replayed


async def too_large(send: Send, limit: int = MAX_BODY) -> None:
    await send_json(send, 413, "too_large", f"the request body is limited to {limit} bytes")


class BodyLimit:
    """Reads a request's body up to MAX_BODY bytes before the app sees it; more is answered 413."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        try:
            body = await read_body(scope, receive, self.limit)
        except TooLarge:
            await too_large(send, self.limit)
            return
        if body is not None:
            await self.app(scope, replay(body, receive), send)


class RateLimit:
    """A token bucket per client address on paths under *prefix*: *per_minute* requests, refilled evenly.

    Each worker keeps its own buckets, so with N workers a client may get up to N times the rate.
    """

    MAX_CLIENTS = 65536  # beyond this many addresses, full buckets are forgotten

    def __init__(self, app: ASGIApp, per_minute: int, prefix: str = "/api/"):
        self.app = app
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0
        self.prefix = prefix
        self.buckets: dict[str, tuple[float, float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            wait = self.wait(scope)
            if wait:
                await self.refuse(send, wait)
                return
        await self.app(scope, receive, send)

    def wait(self, scope: Scope) -> int:
        """0 when this HTTP request may go on (a token taken where the limit applies), else the
        whole seconds to wait, to be answered by :meth:`refuse`."""
        if not self.capacity or not scope["path"].startswith(self.prefix):
            return 0
        return self.take((scope.get("client") or ("?", 0))[0])

    async def refuse(self, send: Send, wait: int) -> None:
        """The 429 for a request that must *wait* seconds."""
        message = f"too many requests from this address; try again in {wait} s"
        await send_json(send, 429, "rate_limited", message, [(b"retry-after", str(wait).encode())])

    def take(self, client: str) -> int:
        """Take one token for *client*: 0 when allowed, else the whole seconds until a token is back."""
        now = time.monotonic()
        tokens, then = self.buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - then) * self.refill)
        if tokens < 1:
            self.buckets[client] = (tokens, now)
            return max(1, int((1 - tokens) / self.refill + 0.999))
        if len(self.buckets) >= self.MAX_CLIENTS:
            self.forget(now)
        self.buckets[client] = (tokens - 1, now)
        return 0

    def forget(self, now: float) -> None:
        full = [c for c, (t, then) in self.buckets.items() if t + (now - then) * self.refill >= self.capacity]
        for client in full or list(self.buckets):
            del self.buckets[client]
