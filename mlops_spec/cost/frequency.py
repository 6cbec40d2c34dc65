"""How often an EventBridge schedule fires, in runs per 730-hour month.

A month is 730 hours (AWS's convention for monthly prices, ``8760 / 12``). ``rate(v unit)``
fires ``730 h / period`` times. A ``cron(...)`` expression is counted exactly over the calendar:
over the 400-year Gregorian cycle (which repeats dates and weekdays) when the year field is
``*``, else over the years it names; runs per month = firings per hour of that window * 730.
So ``cron(0 3 ? * MON *)`` fires ``730 / 168 = 4.345`` times a month and a monthly cron
``0.9993`` times (a calendar month averages 730.5 hours).
"""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date
from functools import lru_cache

from mlops_spec.schedule import schedule_period_minutes, validate_schedule

HOURS_PER_MONTH = 730
_CYCLE_START, _CYCLE_YEARS = 2000, 400
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


def _number(token: str, names: list[str], low: int) -> int:
    upper = token.upper()
    return names.index(upper) + low if upper in names else int(token)


def _expand(text: str, low: int, high: int, names: list[str] | None = None) -> set[int]:
    """The values a plain cron field (numbers, names, ranges, steps, lists) selects."""
    if text in ("*", "?"):
        return set(range(low, high + 1))
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            first, last = low, high
        else:
            start, dash, end = base.partition("-")
            first = _number(start, names or [], low)
            last = _number(end, names or [], low) if dash else (high if step_text else first)
        span = (
            range(first, last + 1)
            if last >= first
            else [
                *range(first, high + 1),
                *range(low, last + 1),
            ]
        )  # day-of-week ranges may wrap (FRI-MON)
        values |= set(list(span)[::step])
    return values


def _weekday(day: date) -> int:
    """EventBridge's day of week: SUN=1 ... SAT=7."""
    return (day.weekday() + 1) % 7 + 1


def _nearest_weekday(year: int, month: int, day: int) -> int:
    """The weekday (Mon-Fri) nearest to ``day`` within its month (cron's ``W``)."""
    length = calendar.monthrange(year, month)[1]
    day = min(day, length)
    weekday = date(year, month, day).weekday()
    if weekday == 5:  # Saturday: Friday before, or Monday after on the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday after, or Friday before on the last day
        return day + 1 if day < length else day - 2
    return day


def _day_of_month_matches(text: str, day: date) -> bool:
    if text in ("*", "?"):
        return True
    length = calendar.monthrange(day.year, day.month)[1]
    for part in text.split(","):
        if part == "L" and day.day == length:
            return True
        if part == "LW" and day.day == _nearest_weekday(day.year, day.month, length):
            return True
        if part.endswith("W") and part != "LW":
            if day.day == _nearest_weekday(day.year, day.month, int(part[:-1])):
                return True
        elif part not in ("L", "LW") and day.day in _expand(part, 1, 31):
            return True
    return False


def _day_of_week_matches(text: str, day: date) -> bool:
    if text in ("*", "?"):
        return True
    weekday = _weekday(day)
    length = calendar.monthrange(day.year, day.month)[1]
    for part in text.split(","):
        if "#" in part:
            name, nth = part.split("#")
            if weekday == _number(name, _DAYS, 1) and (day.day - 1) // 7 + 1 == int(nth):
                return True
        elif part.endswith("L") and len(part) > 1:
            if weekday == _number(part[:-1], _DAYS, 1) and day.day + 7 > length:
                return True
        elif weekday in _expand(part, 1, 7, _DAYS):
            return True
    return False


def _matching_days(fields: list[str], year: int) -> int:
    months = _expand(fields[3], 1, 12, _MONTHS)
    count = 0
    for ordinal in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1):
        day = date.fromordinal(ordinal)
        if (
            day.month in months
            and _day_of_month_matches(fields[2], day)
            and _day_of_week_matches(fields[4], day)
        ):
            count += 1
    return count


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
    fields = expression[len("cron(") : -1].split()
    per_day = len(_expand(fields[0], 0, 59)) * len(_expand(fields[1], 0, 23))
    years = (
        range(_CYCLE_START, _CYCLE_START + _CYCLE_YEARS)
        if fields[5] == "*"
        else sorted(_expand(fields[5], 1970, 2199))
    )
    kinds = Counter(_year_kind(year) for year in years)
    days = sum(n * _matching_days(fields, _representative(kind)) for kind, n in kinds.items())
    hours = sum(n * (366 if kind[0] else 365) * 24 for kind, n in kinds.items())
    return days * per_day * HOURS_PER_MONTH / hours
