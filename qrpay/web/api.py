"""The verification API: POST /api/v1/verify, GET /api/v1/revocations, GET /healthz.

Errors are ``{"error": {"code": CODE, "message": TEXT}}`` with one of the stable codes in
:data:`ERROR_CODES`; the OpenAPI document (openapi.py) describes every answer.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse

from qrpay import Qrpay

from .cache import CACHEABLE
from .openapi import MAX_INPUT, document
from .reader import Reader

ERROR_CODES = (
    "bad_json",
    "invalid_request",
    "not_found",
    "method_not_allowed",
    "unsupported_media_type",
    "too_large",
    "rate_limited",
    "unavailable",
    "internal",
)


NO_STORE = {"cache-control": "no-store"}
SHAPE = 'send a JSON object with one field, "input": a scanned link, a token or a 12-digit payment code'


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=NO_STORE)


class Api:
    def __init__(self, reader: Reader):
        self.reader = reader
        self.schema = json.dumps(document(), ensure_ascii=False).encode("utf-8")

    async def verify(self, request: Request) -> JSONResponse:
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return error(415, "unsupported_media_type", "send JSON with Content-Type: application/json")
        try:
            data = json.loads(await request.body())
        except (ValueError, RecursionError):
            return error(400, "bad_json", "the request body is not valid JSON")
        if not isinstance(data, dict) or set(data) != {"input"} or not isinstance(data["input"], str):
            return error(400, "invalid_request", SHAPE)
        text = data["input"]
        if len(text) > MAX_INPUT:
            return error(400, "invalid_request", f"input is {len(text)} characters; the limit is {MAX_INPUT}")
        if any("\ud800" <= ch <= "\udfff" for ch in text):
            return error(400, "invalid_request", "input holds an unpaired surrogate, which is not text")
        verdict = self.reader.read(lambda qrpay: qrpay.verify(text))
        request.scope[CACHEABLE] = True  # the verdict: the same until the marker changes
        return JSONResponse(verdict.to_dict(), headers=NO_STORE)

    async def revocations(self, request: Request) -> JSONResponse:
        return JSONResponse(self.reader.read(Qrpay.revocation_list), headers=NO_STORE)

    async def healthz(self, request: Request) -> JSONResponse:
        def usable(qrpay: Qrpay) -> None:
            qrpay.keyring.signing_key  # noqa: B018 - raises KeyringError when no key can sign
            qrpay.list_codes(limit=1)  # one query: the register is open and readable

        self.reader.read(usable)
        return JSONResponse({"status": "ok"}, headers=NO_STORE)

    async def openapi(self, request: Request) -> JSONResponse:
        return JSONResponse(json.loads(self.schema))
