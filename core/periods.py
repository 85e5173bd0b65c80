"""Calendar months in the community's time zone (Asia/Shanghai).

A month runs from local midnight on the 1st to local midnight on the 1st of the next month,
never by `__month` lookups, which would cut months at UTC midnight.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy, pgettext

#: Monday to Sunday as residents say them (Python's `weekday()` order).
WEEKDAY_NAMES = [
    gettext_lazy("周一"),
    gettext_lazy("周二"),
    gettext_lazy("周三"),
    gettext_lazy("周四"),
    gettext_lazy("周五"),
    gettext_lazy("周六"),
    gettext_lazy("周日"),
]


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    """(year, month) moved by n months: add_months(2026, 1, -1) == (2025, 12)."""
    y, m0 = divmod(year * 12 + (month - 1) + n, 12)
    return y, m0 + 1


def month_start(year: int, month: int) -> dt.datetime:
    """Local midnight on the 1st of the month, as an aware datetime."""
    # With zoneinfo (unlike pytz) tzinfo= is exact; same as make_aware(naive, zone).
    return dt.datetime(year, month, 1, tzinfo=local_zone())


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the month: local midnight on the 1st and on the 1st of the next."""
    return month_start(year, month), month_start(*add_months(year, month, 1))


def month_label(year: int, month: int) -> str:
    """2026年11月 (November 2026 in English)."""
    return formats.date_format(dt.date(year, month, 1), "YEAR_MONTH_FORMAT")


def short_month_label(year: int, month: int, *, with_year: bool = False) -> str:
    """For chart axes: 3月, or 2026年1月 where the year changes (Mar / January 2026)."""
    day = dt.date(year, month, 1)
    if with_year:
        return month_label(year, month)
    return formats.date_format(day, pgettext("month on a chart axis, no year", "n月"))


def month_key(value) -> tuple[int, int]:
    """(year, month) of a TruncMonth value, read in the local zone."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, local_zone())
        return value.year, value.month
    return value.year, value.month
