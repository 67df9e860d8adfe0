"""The OpenAPI document of the verification API, written out rather than generated, as the contract."""

from __future__ import annotations

from qrpay import STATUSES, __version__
from qrpay.codes.token import KINDS

MAX_INPUT = 2048


def _error(description: str, codes: list[str]) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _error_schema(codes)}}}


def _error_schema(codes: list[str]) -> dict:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string", "enum": codes}, "message": {"type": "string"}},
            }
        },
    }


RATE = _error("Too many requests from this address; see Retry-After.", ["rate_limited"])
UNAVAILABLE = _error("The keyring or register cannot be used right now.", ["unavailable"])
INTERNAL = _error("An unexpected failure; nothing about it is disclosed.", ["internal"])

VERDICT = {
    "type": "object",
    "required": ["input", "status", "reason", "id", "count"],
    "properties": {
        "input": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "reason": {"type": "string"},
        "id": {"type": "string", "nullable": True, "pattern": "^C[0-9]{7,9}$"},
        "count": {"type": "integer", "minimum": 1},
        "kind": {"type": "string", "enum": list(KINDS)},
        "payment_code": {
            "type": "string",
            "pattern": "^[0-9]{4} [0-9]{4} [0-9]{4}( [0-9]{4})?$",
            "description": "12 digits; a bill's 16",
        },
        "payload": {"type": "string"},
        "amount": {"type": "string", "pattern": "^[0-9]+\\.[0-9]{2}$", "description": "a bill's amount in yuan"},
        "payer": {"type": "string", "description": "a bill's payer, masked: the first character, then *"},
        "notice": {"type": "string", "description": "a bill's notice number"},
        "due": {"type": "string", "format": "date", "nullable": True, "description": "a bill's due date"},
    },
}

REVOCATIONS = {
    "type": "object",
    "required": ["format", "generated_at", "kid", "count", "revoked", "signature"],
    "properties": {
        "format": {"type": "integer", "enum": [1]},
        "generated_at": {"type": "string"},
        "kid": {"type": "integer"},
        "count": {"type": "integer", "minimum": 0},
        "revoked": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "payment_code", "token_sha256", "revoked_at", "reason"],
                "properties": {
                    "id": {"type": "string"},
                    "payment_code": {"type": "string"},
                    "token_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "revoked_at": {"type": "string"},
                    "reason": {"type": "string"},
                },
            },
        },
        "signature": {"type": "string"},
    },
}


def document() -> dict:
    """The OpenAPI 3.0 description of /api/v1/verify, /api/v1/revocations and /healthz."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "qrpay verification API",
            "version": __version__,
            "description": "Is a payment code genuine and live? The same answers as 'qrpay verify --json'.",
        },
        "paths": {
            "/api/v1/verify": {
                "post": {
                    "operationId": "verify",
                    "summary": "Verify one scanned link, token or payment code",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["input"],
                                    "additionalProperties": False,
                                    "properties": {"input": {"type": "string", "maxLength": MAX_INPUT}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The verdict (any status, genuine or not).",
                            "content": {"application/json": {"schema": VERDICT}},
                        },
                        "400": _error(
                            'The body is not JSON or not {"input": string}.', ["bad_json", "invalid_request"]
                        ),
                        "413": _error("The body is over 4096 bytes.", ["too_large"]),
                        "415": _error("The body is not sent as application/json.", ["unsupported_media_type"]),
                        "429": RATE,
                        "500": INTERNAL,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/api/v1/revocations": {
                "get": {
                    "operationId": "revocations",
                    "summary": "The signed list of revoked codes ('qrpay revocations export')",
                    "responses": {
                        "200": {
                            "description": "Every revoked code, HMAC-signed by the newest key.",
                            "content": {"application/json": {"schema": REVOCATIONS}},
                        },
                        "429": RATE,
                        "500": INTERNAL,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "healthz",
                    "summary": "200 when keyring and register are usable, 503 otherwise",
                    "responses": {
                        "200": {
                            "description": "Usable.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["status"],
                                        "properties": {"status": {"type": "string", "enum": ["ok"]}},
                                    }
                                }
                            },
                        },
                        "500": INTERNAL,
                        "503": UNAVAILABLE,
                    },
                }
            },
        },
    }
