"""Amounts in Chinese capitals (人民币大写) by the People's Bank's rules for bills and vouchers:
the rules' own worked examples, and a round trip through a parser written here, apart from
the code under test."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from qrpay.render.capitals import MAX_FEN, capitals

#: 《正确填写票据和结算凭证的基本规定》point 2's examples (the first form where it allows two),
#: and the brief's.
WORKED = {
    "1409.50": "人民币壹仟肆佰零玖元伍角",  # 2(4)1: a 0 between digits is 零
    "6007.14": "人民币陆仟零柒元壹角肆分",  # 2(4)2: one 零 for several 0
    "1680.32": "人民币壹仟陆佰捌拾元零叁角贰分",  # 2(4)3: 元 digit 0, 角 not
    "107000.53": "人民币壹拾万柒仟元零伍角叁分",  # 2(4)3: 万 digit 0 before a 仟
    "16409.02": "人民币壹万陆仟肆佰零玖元零贰分",  # 2(4)4: 角 0, 分 not
    "325.04": "人民币叁佰贰拾伍元零肆分",  # 2(4)4
    "200.00": "人民币贰佰元整",  # 2(2): ends at 元, so 整
    "1005.50": "人民币壹仟零伍元伍角",  # ends at 角: no 整
    "10000.07": "人民币壹万元零柒分",
    "0.30": "人民币叁角",
    "0.07": "人民币柒分",
    "10.00": "人民币壹拾元整",  # 壹拾, never a bare 拾
    "100010.00": "人民币壹拾万零壹拾元整",
    "100000007.00": "人民币壹亿零柒元整",
    "200003000.00": "人民币贰亿零叁仟元整",  # a whole 万 group of 0 is one 零
    "1000100000.00": "人民币壹拾亿零壹拾万元整",
    "0.00": "人民币零元整",
}


@pytest.mark.parametrize(("figures", "words"), WORKED.items())
def test_worked_examples(figures, words):
    yuan, fen = figures.split(".")
    assert capitals(int(yuan) * 100 + int(fen)) == words


@pytest.mark.parametrize("bad", [-1, MAX_FEN + 1, 1.5, True, "100"])
def test_what_is_not_a_whole_number_of_fen_is_refused(bad):
    with pytest.raises(ValueError, match="whole number of fen"):
        capitals(bad)


# -- an independent reader of capitals -----------------------------------------------------

NUMERALS = dict(zip("壹贰叁肆伍陆柒捌玖", range(1, 10)))
SMALL = {"拾": 10, "佰": 100, "仟": 1000}
WORDS = re.compile(r"人民币(?:(?P<yuan>[^元]+)元)?(?P<zero>零)?(?:(?P<jiao>.)角)?(?:(?P<fen>.)分)?(?P<whole>整)?")


def read_integer(text: str) -> int:
    """Whole yuan from capitals, read the way a clerk would: digit-unit pairs, 万 and 亿 scaling
    everything written before them in their group."""
    total, section, digit = 0, 0, 0
    for char in text:
        if char in NUMERALS:
            assert digit == 0, f"two digits in a row in {text}"
            digit = NUMERALS[char]
        elif char in SMALL:
            assert digit, f"a unit with no digit before it in {text} (a bare 拾?)"
            section, digit = section + digit * SMALL[char], 0
        elif char == "万":
            total, section, digit = total + (section + digit) * 10_000, 0, 0
        elif char == "亿":
            total, section, digit = (total + section + digit) * 100_000_000, 0, 0
        else:
            assert char == "零", f"{char!r} in {text}"
    return total + section + digit


def read_capitals(words: str) -> int:
    """The fen an amount in capitals stands for; AssertionError where it breaks a rule."""
    match = WORDS.fullmatch(words)
    assert match, words
    if match["yuan"] == "零":
        assert words == "人民币零元整"
        return 0
    yuan = read_integer(match["yuan"]) if match["yuan"] else 0
    jiao = NUMERALS[match["jiao"]] if match["jiao"] else 0
    fen = NUMERALS[match["fen"]] if match["fen"] else 0
    assert bool(match["whole"]) == (yuan > 0 and not jiao and not fen), f"整 only after 元: {words}"
    assert bool(match["zero"]) == (yuan > 0 and bool(jiao or fen) and (yuan % 10 == 0 or not jiao)), words
    return yuan * 100 + jiao * 10 + fen


@given(st.integers(min_value=0, max_value=MAX_FEN))
@example(10_000_000_000)
@example(1_000_000_100)
def test_capitals_read_back_as_the_amount(fen):
    words = capitals(fen)
    assert read_capitals(words) == fen
    if fen:
        assert "零零" not in words and not re.search(r"零[万亿元]", words), words  # one 零, never before a unit


@given(st.integers(min_value=1, max_value=MAX_FEN))
def test_every_ten_is_written_with_its_digit(fen):
    words = capitals(fen)
    assert not re.search(r"(^|[^壹贰叁肆伍陆柒捌玖])拾", words.removeprefix("人民币")), words
