"""How often an EventBridge schedule fires, in runs per 730-hour month.

A month is 730 hours (AWS's convention for monthly prices, ``8760 / 12``). ``rate(v unit)``
fires ``730 h / period`` times. A ``cron(...)`` expression is counted exactly over the calendar:
over the 400-year Gregorian cycle (which repeats dates and weekdays) when the year field is
``*``, else over the years it names; runs per month = firings per hour of that window * 730.
So ``cron(0 3 ? * MON *)`` fires ``730 / 168 = 4.345`` times a month and a monthly cron
``0.9993`` times (a calendar month averages 730.5 hours). The calendar (which days a cron
fires on) is :mod:`mlops_spec.schedule_runs`'s, the one the load-time window rule counts with.
"""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date
from functools import lru_cache

from mlops_spec.schedule import schedule_period_minutes, validate_schedule
from mlops_spec.schedule_runs import cron_fields, expand, firing_days

HOURS_PER_MONTH = 730
_CYCLE_START, _CYCLE_YEARS = 2000, 400


def _year_kind(year: int) -> tuple[bool, int]:
    """Years with the same leap flag and weekday of 1 January have the same calendar."""
    return calendar.isleap(year), date(year, 1, 1).weekday()


def _representative(kind: tuple[bool, int]) -> int:
    return next(y for y in range(_CYCLE_START, _CYCLE_START + 28) if _year_kind(y) == kind)


@lru_cache(maxsize=256)
def runs_per_month(expression: str) -> float:
    """Runs per 730-hour month of an EventBridge ``rate(...)`` or ``cron(...)`` expression
    (``ScheduleError`` if EventBridge would reject it)."""
    validate_schedule(expression)
    period = schedule_period_minutes(expression)
    if period is not None:
        return HOURS_PER_MONTH * 60 / period
    fields = cron_fields(expression)
    per_day = len(expand(fields[0], 0, 59)) * len(expand(fields[1], 0, 23))
    years = (
        range(_CYCLE_START, _CYCLE_START + _CYCLE_YEARS)
        if fields[5] in ("*", "?")
        else sorted(expand(fields[5], 1970, 2199))
    )
    kinds = Counter(_year_kind(year) for year in years)
    days = sum(n * len(firing_days(fields, _representative(kind))) for kind, n in kinds.items())
    hours = sum(n * (366 if kind[0] else 365) * 24 for kind, n in kinds.items())
    return days * per_day * HOURS_PER_MONTH / hours
