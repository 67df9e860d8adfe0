"""An amount in Chinese capitals (人民币大写), as a payment notice must print it.

The rules are the People's Bank of China's《正确填写票据和结算凭证的基本规定》(an annex of
《支付结算办法》, 银发〔1997〕393号), point 2 on 中文大写金额数字:

- the digits 壹贰叁肆伍陆柒捌玖, the units 拾佰仟万亿 and 元角分, and 零 and 整; 人民币 stands
  before the amount (rule 2(3));
- an amount that ends at 元 ends with 整; one that ends at 角 needs no 整 (none is written here);
  one with 分 never has 整 (rule 2(2));
- a 0 between digits is written 零; several 0 in a row, one 零 (rule 2(4)1 and 2);
- where the 元 digit is 0 (or a run of 0 ends there) and the 角 is not, one 零 may be written
  after 元 or left out: it is written, as in the rule's first examples (壹仟陆佰捌拾元零叁角贰分,
  壹拾万柒仟元零伍角叁分), and where a run of 0 ends at the 万 digit before a 仟 that is not 0, none
  is (壹拾万柒仟) (rule 2(4)3);
- where the 角 is 0 and the 分 is not, 零 is written after 元 (壹万陆仟肆佰零玖元零贰分) (rule 2(4)4).

Tens are written 壹拾 wherever they stand (壹拾万, 壹拾元): the leading 壹 is what stops a
拾 from being made into 贰拾 by hand.
"""

from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
GROUP_UNITS = ("", "万", "亿")
MAX_FEN = 10**12 * 100 - 1  # just under 1 万亿 yuan: far beyond any notice


def _group(value: int) -> str:
    """0 < value < 10,000 in capitals, a 零 for each run of 0 between its digits."""
    text, zero = "", False
    for position in range(3, -1, -1):
        digit = value // 10**position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += DIGITS[digit] + SMALL_UNITS[position]
    return text


def _integer(value: int) -> str:
    """The whole yuan (> 0) in capitals: groups of four digits with 万 and 亿."""
    groups = []
    while value:
        groups.append(value % 10_000)
        value //= 10_000
    text, gap = "", False  # gap: a 0 stands between what is written and the next digit
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            gap = bool(text)
            continue
        if text and (gap or group < 1000):
            text += "零"
        text += _group(group) + GROUP_UNITS[index]
        gap = False
    return text


def capitals(fen: int) -> str:
    """*fen* (a whole number of fen, 0 or more) as 人民币 in capitals: 20000 → 人民币贰佰元整,
    100550 → 人民币壹仟零伍元伍角, 1000007 → 人民币壹万元零柒分, 30 → 人民币叁角."""
    if isinstance(fen, bool) or not isinstance(fen, int) or not 0 <= fen <= MAX_FEN:
        raise ValueError(f"an amount in capitals is a whole number of fen from 0 to {MAX_FEN}, got {fen!r}")
    yuan, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
    if fen == 0:
        return "人民币零元整"
    text = "人民币"
    if yuan:
        text += _integer(yuan) + "元"
        if not jiao and not cents:
            return text + "整"
        if yuan % 10 == 0 or not jiao:
            text += "零"
    if jiao:
        text += DIGITS[jiao] + "角"
    if cents:
        text += DIGITS[cents] + "分"
    return text
