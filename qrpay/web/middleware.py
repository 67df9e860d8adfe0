"""Pure ASGI middleware: security headers on every response, a body size limit, a rate limit.

Pure ASGI rather than Starlette's BaseHTTPMiddleware: each layer only wraps ``send`` or
``receive``, which costs microseconds per request, and sees the errors other layers answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers + [(b"strict-transport-security", HSTS)] * (scope.get("scheme") == "https")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {name.lower() for name, _ in message.get("headers", ())}
                message["headers"] = [*message.get("headers", ()), *(h for h in extra if h[0] not in have)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Reads a request's body up to MAX_BODY bytes before the app sees it; more is answered 413."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await send_json(send, 413, "too_large", f"the request body is limited to {self.limit} bytes")
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await send_json(send, 413, "too_large", f"the request body is limited to {self.limit} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def receive_buffered() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, receive_buffered, send)


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
        if scope["type"] == "http" and self.capacity and scope["path"].startswith(self.prefix):
            wait = self.take((scope.get("client") or ("?", 0))[0])
            if wait:
                await send_json(
                    send,
                    429,
                    "rate_limited",
                    f"too many requests from this address; try again in {wait} s",
                    [(b"retry-after", str(wait).encode())],
                )
                return
        await self.app(scope, receive, send)

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
