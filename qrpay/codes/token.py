"""The signed token a QR code carries: compact, versioned, key id inside.

Layout of format 1 (all integers big-endian), then ``.`` and the signature::

    byte 0      version (4 bits) | kind (2 bits) | has valid_from | has valid_until
    byte 1      key id (1-255)
    byte 2      item number (01-89) or unified group number (90-99)
    bytes 3-5   serial (the register's number for this code)
    [2 bytes]   valid_from, days since 2020-01-01, when flagged
    [2 bytes]   valid_until, likewise

A bill's token is format 2, which signs the amount and due date with the serial::

    byte 0      version 2 (4 bits) | 0 0 0 | has due
    byte 1      key id (1-255)
    byte 2      item number (01-89)
    bytes 3-6   serial (up to 999,999,999: room for 100 million bills and more)
    bytes 7-11  amount in fen
    [2 bytes]   due date, days since 2020-01-01, when flagged

Both halves are unpadded URL-safe base64; the signature is HMAC-SHA256 (itsdangerous,
key derived per purpose with a salt) truncated to 80 bits. A scene code's token is 23
characters, an open code with a validity window 29, so a 24-character base URL plus token
fits QR version 4 at error correction M; a bill's token is 34 characters with a due date.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache

from itsdangerous import BadData, base64_decode, base64_encode
from itsdangerous.signer import HMACAlgorithm, Signer

from ..errors import MalformedToken

FORMAT_VERSION = 1
BILL_FORMAT = 2
TAG_BYTES = 10  # 80-bit tag
KINDS = {"unified": 1, "scene": 2, "open": 3, "bill": 4}  # format 1 carries kinds 1-3 in two bits
KIND_NAMES = {number: name for name, number in KINDS.items()}
EPOCH = date(2020, 1, 1)
LAST_DATE = EPOCH + timedelta(days=0xFFFF)  # 2199-06-06, the last day two bytes can carry
MAX_SERIAL = 9_999_999  # also the width of the serial in the payment code
MAX_BILL_SERIAL = 999_999_999  # a bill's serial: four bytes in its token, ids up to C999999999
MAX_AMOUNT_FEN = 2**40 - 1  # five bytes
SALT = b"qrpay.code.v1"
SEP = "."


@dataclass(frozen=True)
class Claims:
    """What a token says; only trustworthy once its signature checked out."""

    kind: str
    kid: int
    number: int
    serial: int
    valid_from: date | None = None
    valid_until: date | None = None
    amount_fen: int | None = None  # a bill's amount and due date
    due: date | None = None


def max_serial(kind: str) -> int:
    """The largest serial a code of *kind* can carry."""
    return MAX_BILL_SERIAL if kind == "bill" else MAX_SERIAL


def _day(value: date) -> bytes:
    if not EPOCH <= value <= LAST_DATE:
        raise MalformedToken(f"date {value} is outside what a token can carry ({EPOCH} to {LAST_DATE})")
    return (value - EPOCH).days.to_bytes(2, "big")


def _encode_bill(claims: Claims) -> bytes:
    if not 1 <= claims.number <= 89 or claims.amount_fen is None or not 1 <= claims.amount_fen <= MAX_AMOUNT_FEN:
        raise MalformedToken(f"cannot encode {claims!r}")
    if not 1 <= claims.serial <= MAX_BILL_SERIAL:
        raise MalformedToken(f"serial {claims.serial} is outside 1-{MAX_BILL_SERIAL}")
    head = BILL_FORMAT << 4 | (claims.due is not None)
    raw = bytes([head, claims.kid, claims.number]) + claims.serial.to_bytes(4, "big")
    raw += claims.amount_fen.to_bytes(5, "big")
    return raw + (_day(claims.due) if claims.due is not None else b"")


def _decode_bill(raw: bytes) -> Claims:
    head, kid, number = raw[0], raw[1], raw[2]
    if head & 0b1110 or kid == 0 or not 1 <= number <= 89:
        raise MalformedToken("token header is invalid")
    if len(raw) != 12 + 2 * (head & 1):
        raise MalformedToken("token length does not match its header")
    serial, amount = int.from_bytes(raw[3:7], "big"), int.from_bytes(raw[7:12], "big")
    if not 1 <= serial <= MAX_BILL_SERIAL or amount == 0:
        raise MalformedToken("token serial or amount is invalid")
    due = EPOCH + timedelta(days=int.from_bytes(raw[12:14], "big")) if head & 1 else None
    return Claims("bill", kid, number, serial, amount_fen=amount, due=due)


def encode(claims: Claims) -> bytes:
    if claims.kind == "bill" and 1 <= claims.kid <= 255:
        return _encode_bill(claims)
    if claims.kind not in KINDS or claims.kind == "bill" or not 1 <= claims.kid <= 255 or not 1 <= claims.number <= 99:
        raise MalformedToken(f"cannot encode {claims!r}")
    if not 1 <= claims.serial <= MAX_SERIAL:
        raise MalformedToken(f"serial {claims.serial} is outside 1-{MAX_SERIAL}")
    head = FORMAT_VERSION << 4 | KINDS[claims.kind] << 2
    head |= (claims.valid_from is not None) << 1 | (claims.valid_until is not None)
    raw = bytes([head, claims.kid, claims.number]) + claims.serial.to_bytes(3, "big")
    for day in (claims.valid_from, claims.valid_until):
        if day is not None:
            raw += _day(day)
    return raw


def decode(raw: bytes) -> Claims:
    if len(raw) < 6:
        raise MalformedToken("token is too short")
    head, kid, number = raw[0], raw[1], raw[2]
    if head >> 4 == BILL_FORMAT:
        return _decode_bill(raw)
    if head >> 4 != FORMAT_VERSION:
        raise MalformedToken(
            f"token format {head >> 4} is not one this qrpay reads (formats {FORMAT_VERSION} and {BILL_FORMAT})"
        )
    kind = KIND_NAMES.get(head >> 2 & 0b11)  # 0 names no kind
    if kind is None or kid == 0 or not 1 <= number <= 99:
        raise MalformedToken("token header is invalid")
    has_from, has_until = bool(head & 0b10), bool(head & 0b01)
    if len(raw) != 6 + 2 * (has_from + has_until):
        raise MalformedToken("token length does not match its header")
    serial = int.from_bytes(raw[3:6], "big")
    rest = raw[6:]
    days = [int.from_bytes(rest[i : i + 2], "big") for i in range(0, len(rest), 2)]
    valid_from = EPOCH + timedelta(days=days.pop(0)) if has_from else None
    valid_until = EPOCH + timedelta(days=days.pop(0)) if has_until else None
    if serial == 0 or serial > MAX_SERIAL:
        raise MalformedToken("token serial is invalid")
    return Claims(kind, kid, number, serial, valid_from, valid_until)


def _b64(data: bytes) -> str:
    return base64_encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    """Decode strictly: a string that is not the one canonical encoding is malformed."""
    try:
        data = base64_decode(text)
    except BadData:  # itsdangerous wraps every base64 failure in it
        raise MalformedToken("token is not valid base64") from None
    if _b64(data) != text:
        raise MalformedToken("token is not canonical base64")
    return data


class _TruncatedHMAC(HMACAlgorithm):
    """HMAC-SHA256 cut to TAG_BYTES; itsdangerous compares it in constant time."""

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return super().get_signature(key, value)[:TAG_BYTES]


class _OneKeySigner(Signer):
    """A Signer for one secret that derives its key once; itsdangerous derives it anew for every
    token, a third of the cost of checking a signature."""

    @cached_property
    def _derived(self) -> bytes:
        return super().derive_key()

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        return self._derived


@lru_cache(maxsize=64)
def _signer(secret: bytes) -> Signer:
    return _OneKeySigner(
        secret,
        salt=SALT,
        sep=SEP,
        key_derivation="hmac",
        digest_method=hashlib.sha256,
        algorithm=_TruncatedHMAC(hashlib.sha256),
    )


def sign(claims: Claims, secret: bytes) -> str:
    """The token for *claims*, signed with *secret* (whose id must be ``claims.kid``)."""
    return _signer(secret).sign(_b64(encode(claims))).decode("ascii")


def parse(token: str) -> Claims:
    """Read a token's claims without checking its signature; raise MalformedToken if it is not one."""
    body, sep, tag = token.partition(SEP)
    if not sep or not body or not tag or SEP in tag:
        raise MalformedToken("not a qrpay token (expected BODY.SIGNATURE)")
    if len(_unb64(tag)) != TAG_BYTES:
        raise MalformedToken("token signature has the wrong length")
    return decode(_unb64(body))


def signature_ok(token: str, secret: bytes) -> bool:
    """True when *token* was signed with *secret* (constant-time comparison)."""
    return _signer(secret).validate(token.encode("ascii", "replace"))
