"""Human-readable payment codes: digits a payer can type when scanning fails.

Layout ``K NN SSSSSSS CC`` (twelve digits) for unified, scene and open codes: kind (1 unified,
2 scene, 3 open), item or group number, the code's serial, and two ISO 7064 MOD 97-10 check
digits (the scheme of IBAN), which catch every single-digit error and every transposition of
adjacent digits. Printed in groups of four: ``2090 0000 4217``.

A bill's code is sixteen digits, ``4 NN XXXXXXXXXXX CC``: kind 4, the item, the serial
scattered over eleven digits by a fixed permutation (a ten-round Feistel network on the
numbers below 10^11, its rounds BLAKE2b with a fixed key), and the same MOD 97-10 check digits. Printed
``4180 3827 1190 5532``. The scattering makes valid bill codes sparse: at most 999,999,999 of
the 10^11 eleven-digit values are serials, and consecutive serials land far apart.

How likely a typo reaches another bill, in a register of N live bills. A two-digit error that
leaves the eleven scattered digits alone leaves the serial alone: it is the same bill or none
(a wrong kind digit is not a bill code at all). One that changes them turns the serial into
``unscatter(X')``, which behaves as a value drawn at random from 10^11, so it is a live bill's
with probability (N-1)/(10^11-1); and the changed code must also pass MOD 97-10. Without the
check digits that bound is 1.0e-5 at N = 1,000,000 (1.0e-3 at 100 million); counting them, the
share of two-digit errors that change the scattered digits and still pass the check is
0.0089 (measured over all 9,720 two-digit errors of each of 300 codes), so the probability is
about 8.9e-8 at N = 1,000,000 and 8.9e-6 at 100 million, well under 1 in 10,000.
``bench/bills.py --typos`` measures both factors again (the hit rate against a register of a
million scattered serials by Monte-Carlo, and the check's pass rate), and ``tests/test_paycode_bills.py``
checks the distance properties with hypothesis.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from stdnum.iso7064 import mod_97_10

from ..errors import MalformedToken
from .token import KIND_NAMES, KINDS, MAX_BILL_SERIAL, MAX_SERIAL

LENGTH = 12
BILL_LENGTH = 16
SCATTER_DIGITS = 11
_HALVES = (5, 6)  # the Feistel network's two halves, in digits
_ROUNDS = 10
_ROUND_KEY = b"qrpay.paycode.bill.v1"
_SEPARATORS = re.compile(r"[\s\-]")


def _round(number: int, index: int, digits: int) -> int:
    data = index.to_bytes(1, "big") + number.to_bytes(8, "big")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8, key=_ROUND_KEY).digest(), "big") % 10**digits


def scatter(serial: int) -> int:
    """*serial*'s place among the 10^11 eleven-digit values (a fixed permutation of them)."""
    low, high = _HALVES
    a, b = divmod(serial, 10**high)  # a: 5 digits, b: 6 digits
    for index in range(_ROUNDS):
        width = low if index % 2 == 0 else high  # the width of a, which the round replaces
        a, b = b, (a + _round(b, index, width)) % 10**width
    return a * 10**high + b


def unscatter(value: int) -> int:
    """The serial :func:`scatter` put at *value*."""
    low, high = _HALVES
    a, b = divmod(value, 10**high)
    for index in reversed(range(_ROUNDS)):
        width = low if index % 2 == 0 else high
        a, b = (b - _round(a, index, width)) % 10**width, a
    return a * 10**high + b


@dataclass(frozen=True)
class PaymentCode:
    kind: str
    number: int
    serial: int

    @property
    def digits(self) -> str:
        if self.kind == "bill":
            body = f"{KINDS[self.kind]}{self.number:02d}{scatter(self.serial):0{SCATTER_DIGITS}d}"
        else:
            body = f"{KINDS[self.kind]}{self.number:02d}{self.serial:07d}"
        return body + mod_97_10.calc_check_digits(body)

    def __str__(self) -> str:
        digits = self.digits
        return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def make(kind: str, number: int, serial: int) -> str:
    if not 1 <= serial <= (MAX_BILL_SERIAL if kind == "bill" else MAX_SERIAL):
        raise MalformedToken(f"serial {serial} does not fit a payment code")
    return str(PaymentCode(kind, number, serial))


def looks_like(text: str) -> bool:
    """Whether *text* is shaped like a payment code (digits, spaces, dashes only)."""
    compact = _SEPARATORS.sub("", text)
    return compact.isascii() and compact.isdigit()


def parse(text: str) -> PaymentCode:
    """The payment code in *text* (spaces and dashes ignored); MalformedToken if not valid."""
    digits = _SEPARATORS.sub("", text)
    if not (digits.isascii() and digits.isdigit()) or len(digits) not in (LENGTH, BILL_LENGTH):
        raise MalformedToken(f"a payment code has {LENGTH} digits ({BILL_LENGTH} for a bill), got {text!r}")
    if not mod_97_10.is_valid(digits):
        raise MalformedToken(f"payment code {text!r} fails its check digits; a digit is mistyped")
    kind = KIND_NAMES.get(int(digits[0]))
    number = int(digits[1:3])
    if len(digits) == BILL_LENGTH:
        serial = unscatter(int(digits[3:-2])) if kind == "bill" else 0
        ok = kind == "bill" and 1 <= number <= 89 and 1 <= serial <= MAX_BILL_SERIAL
    else:
        serial = int(digits[3:10])
        ok = kind is not None and kind != "bill" and number != 0 and serial != 0
    code = PaymentCode(str(kind), number, serial) if ok else None
    if code is None or code.digits != digits:  # check digits 00/97 and 01/98 both pass mod 97: one is issued
        raise MalformedToken(f"payment code {text!r} is not one qrpay issues")
    return code
