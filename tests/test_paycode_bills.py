"""Typo distance of bill payment codes (hypothesis): errors are caught, and the codes are sparse
enough that a two-digit error does not land on another bill."""

from hypothesis import assume, find, given, settings
from hypothesis import strategies as st

from qrpay import MalformedToken
from qrpay.codes import paycode
from qrpay.codes.token import MAX_BILL_SERIAL

serials = st.integers(1, MAX_BILL_SERIAL)
items = st.integers(1, 89)
REGISTER = 10_000  # a register of the first ten thousand serials, every one a live bill
LIVE = {paycode.PaymentCode("bill", 18, serial).digits for serial in range(1, REGISTER + 1)}


def typo(digits: str, data: st.DataObject, count: int) -> str:
    """*digits* with *count* distinct positions changed to other digits, as *data* draws them."""
    positions = data.draw(st.lists(st.integers(0, len(digits) - 1), min_size=count, max_size=count, unique=True))
    chars = list(digits)
    for position in positions:
        chars[position] = data.draw(st.sampled_from([d for d in "0123456789" if d != digits[position]]))
    return "".join(chars)


def parses(text: str) -> paycode.PaymentCode | None:
    try:
        return paycode.parse(text)
    except MalformedToken:
        return None


@given(st.integers(0, 10**paycode.SCATTER_DIGITS - 1))
def test_scattering_is_a_permutation(value):
    assert paycode.unscatter(paycode.scatter(value)) == value
    assert paycode.scatter(paycode.unscatter(value)) == value
    assert 0 <= paycode.scatter(value) < 10**paycode.SCATTER_DIGITS


@given(items, serials)
def test_a_bill_code_round_trips(number, serial):
    code = paycode.make("bill", number, serial)
    assert len(code) == 19 and code.count(" ") == 3
    assert paycode.parse(code) == paycode.PaymentCode("bill", number, serial)


@given(items, serials, st.data())
def test_every_single_digit_error_is_caught(number, serial, data):
    digits = paycode.PaymentCode("bill", number, serial).digits
    assert parses(typo(digits, data, 1)) is None


@given(items, serials, st.integers(0, paycode.BILL_LENGTH - 2))
def test_every_adjacent_transposition_is_caught(number, serial, position):
    digits = paycode.PaymentCode("bill", number, serial).digits
    a, b = digits[position], digits[position + 1]
    assume(a != b)
    assert parses(digits[:position] + b + a + digits[position + 2 :]) is None


@given(st.integers(1, REGISTER), st.data())
@settings(max_examples=500)
def test_a_two_digit_error_never_lands_on_another_bill_of_a_register(serial, data):
    digits = paycode.PaymentCode("bill", 18, serial).digits
    wrong = typo(digits, data, 2)
    assert wrong not in LIVE
    parsed = parses(wrong)
    if parsed is not None and parsed.serial == serial:  # only the kind, item or check digits changed
        assert parsed.digits != digits  # ...so it is no code the register holds for this serial


def test_the_property_above_finds_the_collisions_of_dense_twelve_digit_codes():
    """The same search on the twelve-digit layout (serials in plain sight) finds a two-digit error
    that is another live code at once: the test above can fail."""
    live = {paycode.PaymentCode("scene", 18, serial).digits for serial in range(1, REGISTER + 1)}

    def lands_on_another(pair: tuple[int, int, int, str, str]) -> bool:
        serial, i, j, a, b = pair
        digits = paycode.PaymentCode("scene", 18, serial).digits
        chars = list(digits)
        chars[i], chars[j] = a, b
        wrong = "".join(chars)
        return wrong != digits and wrong in live and wrong[i] != digits[i] and wrong[j] != digits[j]

    digits = st.sampled_from("0123456789")
    pairs = st.tuples(st.integers(1, REGISTER), st.integers(3, 9), st.integers(10, 11), digits, digits)
    found = find(pairs, lands_on_another, settings=settings(max_examples=20_000, database=None))
    assert lands_on_another(found)
