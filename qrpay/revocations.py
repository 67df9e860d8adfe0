"""The revocation list: every revoked code, signed, so the payment platform can refuse them.

The list is one JSON document. Its ``signature`` is HMAC-SHA256 (itsdangerous, key derived
with HMAC and the salt ``qrpay.revocations.v1``, distinct from the codes' salt) over the
canonical JSON of every other field: keys sorted, no spaces, UTF-8. Any changed, added or
removed entry breaks it. Whoever holds the keyring can check it, in any language.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from itsdangerous.signer import Signer

from .clock import utcnow
from .codes.record import Code
from .errors import NotFoundError
from .fileio import check_writable_target, write_atomic
from .keys import Key, Keyring

FORMAT = 1
SALT = b"qrpay.revocations.v1"


@dataclass(frozen=True)
class Check:
    """Whether a revocation list is intact and signed by a key of this keyring."""

    path: str
    valid: bool
    reason: str
    kid: int | None = None
    count: int | None = None
    generated_at: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _signer(secret: bytes) -> Signer:
    return Signer(secret, salt=SALT, key_derivation="hmac", digest_method=hashlib.sha256)


def canonical(document: dict) -> bytes:
    """The bytes the signature covers: every field but ``signature``, keys sorted, no spaces."""
    body = {name: value for name, value in document.items() if name != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def build(codes: Iterable[Code], key: Key) -> dict:
    """The signed list of *codes* (the revoked ones), signed with *key*."""
    entries = [
        {
            "id": code.id,
            "payment_code": code.payment_code,
            "token_sha256": hashlib.sha256(code.token.encode("ascii")).hexdigest(),
            "revoked_at": code.revoked_at,
            "reason": code.revoked_reason,
        }
        for code in codes
        if code.revoked
    ]
    document = {"format": FORMAT, "generated_at": utcnow(), "kid": key.kid, "count": len(entries), "revoked": entries}
    document["signature"] = _signer(key.secret).get_signature(canonical(document)).decode("ascii")
    return document


def export(codes: Iterable[Code], key: Key, path: Path) -> dict:
    """Write the signed list to *path* (atomically) and return it."""
    check_writable_target(Path(path), example="revoked.json")
    document = build(codes, key)
    write_atomic(Path(path), (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    return document


def check(path: Path, ring: Keyring) -> Check:
    """Read the list at *path* and check its signature against *ring* (constant-time comparison)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"no file {path}; export one with: qrpay revocations export -o {path}") from None
    except OSError as exc:
        raise NotFoundError(f"cannot read {path}: {exc.strerror}") from None
    where = str(path)
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return Check(where, False, "not JSON, so not a revocation list")
    if not (
        isinstance(document, dict)
        and document.get("format") == FORMAT
        and type(document.get("kid")) is int
        and isinstance(document.get("signature"), str)
        and isinstance(document.get("revoked"), list)
    ):
        return Check(where, False, f"not a qrpay revocation list (format {FORMAT} with kid, revoked and signature)")
    kid, count, generated = document["kid"], len(document["revoked"]), document.get("generated_at")
    key = ring.get(kid)
    if key is None:
        return Check(where, False, f"signed with key {kid}, which this keyring does not hold", kid, count, generated)
    if not key.active:
        return Check(where, False, f"signed with key {kid}, retired on {key.retired_at}", kid, count, generated)
    if not _signer(key.secret).verify_signature(canonical(document), document["signature"]):
        return Check(
            where,
            False,
            "the signature does not match: the list was changed after it was signed",
            kid,
            count,
            generated,
        )
    return Check(where, True, f"signed by key {kid}; {count} revoked code(s)", kid, count, generated)
