import pytest

from qrpay import MalformedToken
from qrpay.codes import paycode

SAMPLES = [("scene", 9, 1), ("unified", 91, 4), ("open", 6, 9_999_999), ("scene", 89, 1_234_567)]


@pytest.mark.parametrize("kind, number, serial", SAMPLES)
def test_payment_code_round_trips_and_prints_in_groups_of_four(kind, number, serial):
    text = paycode.make(kind, number, serial)
    assert len(text) == 14 and text[4] == text[9] == " "
    parsed = paycode.parse(text)
    assert (parsed.kind, parsed.number, parsed.serial) == (kind, number, serial)
    assert paycode.parse(text.replace(" ", "-")) == parsed == paycode.parse(text.replace(" ", ""))


@pytest.mark.parametrize("kind, number, serial", SAMPLES)
def test_every_single_digit_error_is_caught(kind, number, serial):
    digits = paycode.PaymentCode(kind, number, serial).digits
    for position, original in enumerate(digits):
        for replacement in "0123456789":
            if replacement != original:
                typo = digits[:position] + replacement + digits[position + 1 :]
                with pytest.raises(MalformedToken):
                    paycode.parse(typo)


@pytest.mark.parametrize("kind, number, serial", SAMPLES)
def test_every_adjacent_transposition_is_caught(kind, number, serial):
    digits = paycode.PaymentCode(kind, number, serial).digits
    for position in range(len(digits) - 1):
        a, b = digits[position], digits[position + 1]
        if a != b:
            swapped = digits[:position] + b + a + digits[position + 2 :]
            with pytest.raises(MalformedToken):
                paycode.parse(swapped)


@pytest.mark.parametrize("text", ["", "1234", "2090 0000 0170 1", "abcd efgh ijkl", "２０９０００００01７0"])
def test_wrong_length_or_non_ascii_digits_are_malformed(text):
    with pytest.raises(MalformedToken):
        paycode.parse(text)
