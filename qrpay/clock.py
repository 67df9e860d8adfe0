"""The one place qrpay reads the time, and its calendar arithmetic.

Timestamps stored in the register are UTC (:func:`utcnow`); days a code is valid on are days
in the configured time zone (:func:`today`). :class:`~qrpay.api.Qrpay` takes a ``today``
callable, so tests and other programs can ask "what would this say on that day?" without
touching the system clock. Calendar steps go through :func:`add_months`, never
``date.replace(year=…)`` (which fails on 29 February).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo

from dateutil.relativedelta import relativedelta

#: What :class:`~qrpay.api.Qrpay` calls for the current day.
Today = Callable[[], date]


def utcnow() -> str:
    """Now in UTC as ISO 8601 to the second, the form the register stores."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def now(tz: tzinfo) -> datetime:
    """Now in *tz*, to the second."""
    return datetime.now(tz).replace(microsecond=0)


def today(tz: tzinfo) -> date:
    """The current day in *tz*."""
    return datetime.now(tz).date()


def add_months(day: date, months: int) -> date:
    """*day* moved by whole *months* (negative: back), clamped to the month's last day."""
    return day + relativedelta(months=months)
