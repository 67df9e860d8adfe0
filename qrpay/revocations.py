"""The revocation list: every revoked code, signed, so the payment platform can refuse them.

The list is one JSON document. Its ``signature`` is HMAC-SHA256 (itsdangerous, key derived
with HMAC and the salt ``qrpay.revocations.v1``, distinct from the codes' salt) over the
canonical JSON of every other field: keys sorted, no spaces, UTF-8. Any changed, added or
removed entry breaks it. Whoever holds the keyring can check it, in any language.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from itsdangerous.encoding import base64_decode, base64_encode
from itsdangerous.signer import Signer

from .clock import utcnow
from .codes.record import Code
from .errors import NotFoundError
from .fileio import check_writable_target, write_atomic
from .keys import Key, Keyring

FORMAT = 1
SALT = b"qrpay.revocations.v1"
MAX_BYTES = 64 * 1024 * 1024  # about 250,000 revoked codes
MAX_DEPTH = 4  # document -> revoked -> entry -> value
FIELDS = {"format", "generated_at", "kid", "count", "revoked", "signature"}
ENTRY_FIELDS = {"id", "payment_code", "token_sha256", "revoked_at", "reason"}
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{43}")  # 32 bytes of HMAC-SHA256, base64url without padding


class _NotStrict(ValueError):
    """The JSON parses, but not in exactly one way (a duplicate key, NaN, a too deep nesting)."""


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen = [name for name, _ in pairs]
        raise _NotStrict(f"the key {next(n for n in seen if seen.count(n) > 1)!r} appears twice")
    return document


def _no_constant(name: str) -> object:
    raise _NotStrict(f"{name} is not a JSON number")


def _depth(text: str) -> int:
    """How deeply arrays and objects nest in the JSON *text* (strings skipped), in one pass."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_strict(data: bytes) -> object:
    """The JSON of *data*, refusing duplicate keys, NaN/Infinity and nesting deeper than a list has."""
    text = data.decode("utf-8")
    if _depth(text) > MAX_DEPTH:
        raise _NotStrict(f"nested deeper than {MAX_DEPTH} levels")
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def _well_formed(document: object) -> str | None:
    """Why *document* is not exactly a revocation list of this format, or None."""
    if not isinstance(document, dict) or set(document) != FIELDS:
        return f"not a qrpay revocation list (format {FORMAT} with exactly the fields {', '.join(sorted(FIELDS))})"
    if document["format"] != FORMAT or type(document["format"]) is not int:
        return f"not a qrpay revocation list of format {FORMAT}"
    if type(document["kid"]) is not int or not isinstance(document["generated_at"], str):
        return "kid must be a whole number and generated_at a text"
    revoked = document["revoked"]
    if not isinstance(revoked, list) or type(document["count"]) is not int or document["count"] != len(revoked):
        return "count must be the number of entries in revoked"
    for entry in revoked:
        if not isinstance(entry, dict) or set(entry) != ENTRY_FIELDS:
            return f"every revoked entry has exactly the fields {', '.join(sorted(ENTRY_FIELDS))}"
        if not all(isinstance(value, str) for value in entry.values()):
            return "every field of a revoked entry is a text"
    signature = document["signature"]
    if not isinstance(signature, str) or not _SIGNATURE.fullmatch(signature):
        return "the signature is not spelled as qrpay writes it (43 characters of base64url)"
    if base64_encode(base64_decode(signature)).decode("ascii") != signature:
        return "the signature is not spelled as qrpay writes it (its last character has stray bits)"
    return None


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
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise NotFoundError(f"no file {path}; export one with: qrpay revocations export -o {path}") from None
    except OSError as exc:
        raise NotFoundError(f"cannot read {path}: {exc.strerror}") from None
    where = str(path)
    if len(data) > MAX_BYTES:
        return Check(where, False, f"over {MAX_BYTES // 2**20} MiB, larger than any revocation list qrpay writes")
    try:
        document = parse_strict(data)
    except _NotStrict as exc:
        return Check(where, False, f"not strict JSON ({exc}), so not a list qrpay signed")
    except (UnicodeDecodeError, ValueError, RecursionError):
        return Check(where, False, "not JSON, so not a revocation list")
    problem = _well_formed(document)
    if problem is not None:
        return Check(where, False, problem)
    assert isinstance(document, dict)
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
