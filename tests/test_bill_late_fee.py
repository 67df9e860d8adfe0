"""Late fees: the amount due on a day, exact in fen, at the boundaries (due day, day after, cap)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from qrpay import InputError
from qrpay.codes.bill import Bill, LateFee, amount_due, days_late, late_fee
from qrpay.codes.catalog import load_catalog

DUE = date(2024, 3, 1)  # a fixed day: the arithmetic is the subject, not the clock
FINE = LateFee(Decimal(3), Decimal(100))


def bill(fen: int, due: date | None = DUE) -> Bill:
    return Bill(fen, "张三", "N1", due)


def test_traffic_fines_carry_the_laws_rule_and_other_items_none():
    catalog = load_catalog()
    rule = catalog.items["18"].late_fee
    assert rule is not None and (rule.daily_percent, rule.cap_percent) == (3, 100)
    assert rule.describe() == "逾期每日按罚款数额的3%加处罚款，加处罚款数额不超过罚款本数"
    assert [code for code, item in catalog.items.items() if item.late_fee] == ["18"]


@pytest.mark.parametrize(
    "on, due",
    [
        (DUE - timedelta(days=10), 20000),  # early
        (DUE, 20000),  # the due day itself is not late
        (DUE + timedelta(days=1), 20600),  # the day after: one day's 3 %
        (DUE + timedelta(days=2), 21200),
        (DUE + timedelta(days=33), 39800),  # 33 × 600 = 19,800
        (DUE + timedelta(days=34), 40000),  # 34 × 600 = 20,400, capped at the fine
        (DUE + timedelta(days=1000), 40000),
    ],
)
def test_the_fine_grows_3_percent_a_day_after_due_capped_at_the_fine(on, due):
    assert amount_due(bill(20000), FINE, on) == due


def test_each_days_surcharge_is_rounded_half_up_to_the_fen_then_multiplied():
    # 3 % of 50 fen is 1.5 fen: rounded half up to 2 fen a day
    assert late_fee(bill(50), FINE, DUE + timedelta(days=1)) == 2
    assert late_fee(bill(50), FINE, DUE + timedelta(days=10)) == 20
    assert late_fee(bill(50), FINE, DUE + timedelta(days=30)) == 50  # 60, capped at the fine
    # 3 % of 33 fen is 0.99 fen: 1 fen a day
    assert late_fee(bill(33), FINE, DUE + timedelta(days=7)) == 7


def test_the_cap_is_rounded_down_so_it_is_never_exceeded():
    half = LateFee(Decimal(1), Decimal(50))
    assert late_fee(bill(333), half, DUE + timedelta(days=10_000)) == 166  # 50 % of 333 is 166.5


def test_no_rule_or_no_due_date_means_no_late_fee():
    assert amount_due(bill(20000), None, DUE + timedelta(days=5)) == 20000
    assert amount_due(bill(20000, None), FINE, DUE + timedelta(days=5)) == 20000
    assert days_late(bill(20000, None), DUE + timedelta(days=5)) == 0


def test_a_user_catalog_can_give_an_item_a_rule_or_take_it_away(tmp_path):
    user = tmp_path / "catalog.toml"
    user.write_text('[items."01"]\nlate_fee = { daily_percent = 0.05 }\n[items."18"]\nlate_fee = false\n', "utf-8")
    catalog = load_catalog(user)
    assert catalog.items["18"].late_fee is None
    rule = catalog.items["01"].late_fee
    assert rule == LateFee(Decimal("0.05"), Decimal(100))
    assert "0.05%" in rule.describe()
    assert amount_due(bill(100_000), rule, DUE + timedelta(days=3)) == 100_150


@pytest.mark.parametrize(
    "table, fragment",
    [
        ("late_fee = { daily_percent = 0 }", "daily_percent"),
        ("late_fee = { daily_percent = 3, cap_percent = 5000 }", "cap_percent"),
        ("late_fee = { daily_percent = 1.005 }", "at most 2 decimals"),
        ("late_fee = { daily_percent = 3, extra = 1 }", "extra"),
        ("late_fee = { }", "daily_percent"),
    ],
)
def test_a_wrong_rule_is_refused_naming_the_key(tmp_path, table, fragment):
    user = tmp_path / "catalog.toml"
    user.write_text(f'[items."18"]\n{table}\n', "utf-8")
    with pytest.raises(InputError, match=fragment):
        load_catalog(user)
