"""Answers kept while nothing they depend on has changed: the page of a code and its verdict.

A page or a verdict is a function of the request (the path and the kind of in-app browser; the
verify body) and of the state it was read from: the keyring, catalog and register files, every
commit to the register, and the day. :meth:`Reader.marker` sums that state up in a value that
changes whenever any of it does, read *before* the answer is computed; an answer is kept under
the marker it was computed with and given again only while the marker is unchanged. So a
revocation committed by a desk shows on the very next request, as without the cache.

Only what an endpoint marks as derived from the verdict alone is kept (``scope[CACHEABLE]``):
never a 503, a 500, a form's answer or an error about the request itself. Where the register
has no change counter (PostgreSQL) the marker is None and nothing is kept: every request reads.
"""

from __future__ import annotations

from collections.abc import Hashable

from .middleware import ASGIApp, Message, Receive, Scope, Send
from .reader import Reader
from .texts import in_app_browser

CACHEABLE = "qrpay.cacheable"  # set in the scope by an endpoint whose answer may be kept
MAX_ENTRIES = 2048
MAX_BYTES = 16 * 1024 * 1024  # per worker
JSON = b"application/json"


class Stored:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    async def send(self, send: Send) -> None:
        # fresh messages each time: the layers outside may rewrite a message's headers
        await send({"type": "http.response.start", "status": self.status, "headers": list(self.headers)})
        await send({"type": "http.response.body", "body": self.body})


class AnswerCache:
    """Pure ASGI: answers ``GET {page_prefix}TOKEN`` and ``POST /api/v1/verify`` from kept answers."""

    def __init__(self, app: ASGIApp, reader: Reader, page_prefix: str, verify_path: str = "/api/v1/verify"):
        self.app = app
        self.reader = reader
        self.page_prefix = page_prefix
        self.verify_path = verify_path
        self.marker: Hashable | None = None
        self.kept: dict[Hashable, Stored] = {}
        self.size = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key, receive = await self._key(scope, receive)
        if key is None:
            await self.app(scope, receive, send)
            return
        marker = self.reader.marker()
        if marker is None:  # nothing to tell a change by, or the state cannot be read: answer afresh
            self._forget()
            await self.app(scope, receive, send)
            return
        if marker != self.marker:
            self._forget()
            self.marker = marker
        stored = self.kept.get(key)
        if stored is not None:
            await stored.send(send)
            return
        await self._answer_and_keep(scope, receive, send, key, marker)

    async def _key(self, scope: Scope, receive: Receive) -> tuple[Hashable | None, Receive]:
        """What the answer to this request depends on besides the marker; None when it is not kept."""
        method, path = scope["method"], scope["path"]
        if method == "GET" and path.startswith(self.page_prefix) and not scope.get("root_path"):
            token = path[len(self.page_prefix) :]
            if token and "/" not in token:
                agent = next((v for n, v in scope["headers"] if n == b"user-agent"), b"")
                return ("page", path, in_app_browser(agent.decode("latin-1"))), receive
            return None, receive
        if method == "POST" and path == self.verify_path:
            kind = next((v for n, v in scope["headers"] if n == b"content-type"), b"")
            if kind.split(b";")[0].strip().lower() != JSON:
                return None, receive
            body, receive = await _read_body(receive)
            return (None, receive) if body is None else (("verify", body), receive)
        return None, receive

    async def _answer_and_keep(self, scope: Scope, receive: Receive, send: Send, key: Hashable, marker: object) -> None:
        parts: list[Message] = []

        async def keep_and_send(message: Message) -> None:
            parts.append(message)
            await send(message)

        scope[CACHEABLE] = False
        await self.app(scope, receive, keep_and_send)
        if not scope[CACHEABLE] or len(parts) != 2 or parts[1].get("more_body"):
            return
        start, body = parts
        stored = Stored(start["status"], list(start.get("headers", ())), bytes(body.get("body", b"")))
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


async def _read_body(receive: Receive) -> tuple[bytes | None, Receive]:
    """The whole request body (None if the client left), and a ``receive`` that gives it again."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, _replay([message], receive)
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    return body, _replay([{"type": "http.request", "body": body, "more_body": False}], receive)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replayed() -> Message:
        return messages.pop(0) if messages else await receive()

    return replayed
