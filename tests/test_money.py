"""The one reader of yuan (qrpay.codes.money.read_yuan): what it reads, exactly in fen, and why it refuses."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from qrpay.codes.money import MAX_FEN, AmountRefused, Refusal, fen_of, read_yuan, yuan

FEN = st.integers(min_value=1, max_value=MAX_FEN)
FULL_WIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")


def refusal(text: str, **options: object) -> AmountRefused:
    with pytest.raises(AmountRefused) as caught:
        read_yuan(text, **options)  # type: ignore[arg-type]
    return caught.value


def grouped(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


@given(FEN)
@example(1)
@example(MAX_FEN)
def test_every_amount_up_to_the_bound_reads_back_from_yuan(fen):
    assert read_yuan(yuan(fen)) == fen
    assert read_yuan(grouped(fen)) == fen


@given(FEN, st.sampled_from(["¥", "￥", "¥ ", " ￥"]), st.sampled_from(["", " ", "\t", "\u3000"]))
def test_a_yen_sign_grouping_space_and_full_width_are_what_people_write(fen, sign, space):
    assert read_yuan(f"{space}{sign}{grouped(fen)}{space}") == fen
    assert read_yuan(grouped(fen).translate(FULL_WIDTH)) == fen
    assert read_yuan(f"{sign}{yuan(fen)}".translate(FULL_WIDTH)) == fen


@given(FEN, st.sampled_from(["-{}", "-¥{}", "¥-{}", "－{}", "- {}"]))
def test_a_minus_sign_is_read_only_where_the_caller_takes_refunds(fen, form):
    text = form.format(yuan(fen))
    assert read_yuan(text, negative=True) == -fen
    assert refusal(text).reason is Refusal.NEGATIVE


@given(FEN, st.text("0123456789", min_size=3, max_size=8))
def test_more_than_two_decimals_are_refused_and_counted(fen, decimals):
    refused = refusal(f"{fen // 100}.{decimals}")
    assert (refused.reason, refused.decimals) == (Refusal.TOO_MANY_DECIMALS, len(decimals))


def _badly_grouped(groups: list[str]) -> bool:
    first, rest = groups[0], groups[1:]
    return not (1 <= len(first) <= 3 and first[0] != "0" and all(len(group) == 3 for group in rest))


@given(st.lists(st.text("0123456789", min_size=1, max_size=5), min_size=2, max_size=4).filter(_badly_grouped))
@example(["1", "20", "0"])
@example(["12", "34"])
@example(["1", "0000"])
@example(["0", "200"])
def test_commas_that_do_not_group_thousands_are_refused(groups):
    assert refusal(",".join(groups)).reason is Refusal.NOT_A_NUMBER


@given(st.integers(min_value=MAX_FEN + 1, max_value=10**30))
@example(MAX_FEN + 1)
def test_more_than_the_bound_is_refused_either_way(fen):
    assert refusal(yuan(fen)).reason is Refusal.TOO_LARGE
    assert refusal(yuan(-fen), negative=True).reason is Refusal.TOO_LARGE
    assert refusal(grouped(fen)).limit == MAX_FEN


def test_a_caller_may_set_a_tighter_bound():
    assert read_yuan("500.00", limit=50000) == 50000
    refused = refusal("500.01", limit=50000)
    assert (refused.reason, refused.limit) == (Refusal.TOO_LARGE, 50000)


@given(st.text("0123456789,.-¥ ", max_size=14))
def test_whatever_is_read_is_the_decimal_it_writes(text):
    """Any text the reader accepts is exactly the number Decimal reads once the ¥, space and commas are gone."""
    try:
        fen = read_yuan(text, negative=True)
    except AmountRefused:
        return
    plain = text.replace("¥", "").replace(" ", "").replace(",", "")
    assert Decimal(plain) * 100 == fen and fen != 0


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", Refusal.EMPTY),
        (" \u3000 ", Refusal.EMPTY),
        ("abc", Refusal.NOT_A_NUMBER),
        ("二百", Refusal.NOT_A_NUMBER),
        ("1e3", Refusal.NOT_A_NUMBER),
        ("NaN", Refusal.NOT_A_NUMBER),
        ("Infinity", Refusal.NOT_A_NUMBER),
        ("+5", Refusal.NOT_A_NUMBER),
        ("200.", Refusal.NOT_A_NUMBER),
        (".50", Refusal.NOT_A_NUMBER),
        ("1 200", Refusal.NOT_A_NUMBER),
        ("¥¥200", Refusal.NOT_A_NUMBER),
        ("-¥-5", Refusal.NOT_A_NUMBER),
        ("200 元", Refusal.NOT_A_NUMBER),
        ("٢٠٠", Refusal.NOT_A_NUMBER),  # other scripts' digits are not yuan figures, though int() reads them
        ("0", Refusal.ZERO),
        ("0.00", Refusal.ZERO),
        ("-0.00", Refusal.ZERO),
        ("¥0,000.0", Refusal.NOT_A_NUMBER),
        ("0.001", Refusal.TOO_MANY_DECIMALS),
        ("-5", Refusal.NEGATIVE),
        ("9" * 5000, Refusal.TOO_LARGE),  # beyond what int() reads from text: refused, not a crash
    ],
)
def test_each_refusal_says_why(text, reason):
    assert refusal(text).reason is reason


def test_a_refusal_is_worded_by_its_caller_from_the_text_as_read():
    refused = refusal(" １２．３４５ ")
    says = {reason: f"{reason.name}: {{text!r}} {{decimals}} {{limit}}" for reason in Refusal}
    assert refused.worded(says) == "TOO_MANY_DECIMALS: '12.345' 3 100000000.00"
    assert isinstance(refused, ValueError)


def test_leading_zeros_are_read_without_growing_the_amount():
    assert read_yuan("0" * 5000 + "1.50") == 150


def test_catalog_limits_become_fen():
    assert [fen_of(Decimal(text)) for text in ("10", "0.01", "500.50", "100000000")] == [1000, 1, 50050, MAX_FEN]
