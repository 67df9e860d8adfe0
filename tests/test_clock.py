"""The clock: UTC timestamps, days in the configured zone, month steps that never fail."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from qrpay import clock


def test_utcnow_is_iso_8601_utc_to_the_second():
    stamp = datetime.fromisoformat(clock.utcnow())
    assert stamp.utcoffset().total_seconds() == 0 and stamp.microsecond == 0
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 5


def test_today_is_the_day_in_the_given_zone():
    assert clock.today(ZoneInfo("Asia/Shanghai")) == datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert clock.now(ZoneInfo("Europe/Berlin")).tzinfo == ZoneInfo("Europe/Berlin")


def test_month_steps_clamp_to_the_last_day_of_the_month():
    assert clock.add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)  # where .replace(year=…) fails
    assert clock.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert clock.add_months(date(2027, 3, 15), -3) == date(2026, 12, 15)
