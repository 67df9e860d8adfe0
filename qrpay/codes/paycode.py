"""Human-readable payment codes: twelve digits a payer can type when scanning fails.

Layout ``K NN SSSSSSS CC``: kind (1 unified, 2 scene, 3 open), item or group number,
the code's serial, and two ISO 7064 MOD 97-10 check digits (the scheme of IBAN), which
catch every single-digit error and every transposition of adjacent digits. Printed in
groups of four: ``2090 0000 4217``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.iso7064 import mod_97_10

from ..errors import MalformedToken
from .token import KIND_NAMES, KINDS, MAX_SERIAL

LENGTH = 12
_SEPARATORS = re.compile(r"[\s\-]")


@dataclass(frozen=True)
class PaymentCode:
    kind: str
    number: int
    serial: int

    @property
    def digits(self) -> str:
        body = f"{KINDS[self.kind]}{self.number:02d}{self.serial:07d}"
        return body + mod_97_10.calc_check_digits(body)

    def __str__(self) -> str:
        digits = self.digits
        return " ".join(digits[i : i + 4] for i in range(0, LENGTH, 4))


def make(kind: str, number: int, serial: int) -> str:
    if not 1 <= serial <= MAX_SERIAL:
        raise MalformedToken(f"serial {serial} does not fit a payment code")
    return str(PaymentCode(kind, number, serial))


def looks_like(text: str) -> bool:
    """Whether *text* is shaped like a payment code (digits, spaces, dashes only)."""
    compact = _SEPARATORS.sub("", text)
    return compact.isascii() and compact.isdigit()


def parse(text: str) -> PaymentCode:
    """The payment code in *text* (spaces and dashes ignored); MalformedToken if not valid."""
    digits = _SEPARATORS.sub("", text)
    if not (digits.isascii() and digits.isdigit()) or len(digits) != LENGTH:
        raise MalformedToken(f"a payment code has {LENGTH} digits, got {text!r}")
    if not mod_97_10.is_valid(digits):
        raise MalformedToken(f"payment code {text!r} fails its check digits; a digit is mistyped")
    kind = KIND_NAMES.get(int(digits[0]))
    number, serial = int(digits[1:3]), int(digits[3:10])
    if kind is None or number == 0 or serial == 0:
        raise MalformedToken(f"payment code {text!r} is not one qrpay issues")
    return PaymentCode(kind, number, serial)
