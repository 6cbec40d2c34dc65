"""When an EventBridge schedule fires: the one cron calendar of the control plane.

``expand`` and ``fires_on`` read a ``cron(...)`` expression's fields exactly as EventBridge
does (names, ranges that may wrap, steps, lists; ``L``, ``LW``, ``15W`` in the day of month;
``6L``, ``2#1`` in the day of week). Two questions are answered from them:

- :func:`most_runs_in`: how many times a schedule can fire inside a window of time (the
  load-time rule that an alarm's window can hold the runs it needs). ``rate(v unit)`` fires
  every ``v unit``, so a window of ``w`` seconds holds at most ``ceil(w / interval)`` runs; a
  ``cron(...)`` is laid out over three calendar years (one of them a leap year; or the first
  years its year field names) and every window is counted.
- ``mlops_spec.cost.frequency.runs_per_month``: how often it fires per month (costs).
"""

from __future__ import annotations

import calendar
import math
from datetime import date
from functools import lru_cache

from mlops_spec.schedule import schedule_period_minutes

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
SAMPLE_YEARS = (2027, 2028, 2029)
"""Years a ``*`` year field is laid out over (2028 is a leap year)."""
MAX_YEARS = 10


def cron_fields(expression: str) -> list[str]:
    """The six fields of ``cron(minutes hours day-of-month month day-of-week year)``."""
    return expression[len("cron(") : -1].split()


def _number(token: str, names: list[str], low: int) -> int:
    upper = token.upper()
    return names.index(upper) + low if upper in names else int(token)


def expand(text: str, low: int, high: int, names: list[str] | None = None) -> set[int]:
    """The values a plain cron field (numbers, names, ranges, steps, lists) selects."""
    if text in ("*", "?"):
        return set(range(low, high + 1))
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        if base == "*":
            first, last = low, high
        else:
            start, dash, end = base.partition("-")
            first = _number(start, names or [], low)
            last = _number(end, names or [], low) if dash else (high if step_text else first)
        wrapped = [*range(first, high + 1), *range(low, last + 1)]  # FRI-MON
        span = list(range(first, last + 1)) if last >= first else wrapped
        values |= set(span[:: int(step_text or 1)])
    return values


def weekday(day: date) -> int:
    """EventBridge's day of week: SUN=1 ... SAT=7."""
    return (day.weekday() + 1) % 7 + 1


def _nearest_weekday(year: int, month: int, day: int) -> int:
    """The weekday (Mon-Fri) nearest to ``day`` within its month (cron's ``W``)."""
    length = calendar.monthrange(year, month)[1]
    day = min(day, length)
    week_day = date(year, month, day).weekday()
    if week_day == 5:  # Saturday: Friday before, or Monday after on the 1st
        return day - 1 if day > 1 else day + 2
    if week_day == 6:  # Sunday: Monday after, or Friday before on the last day
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
        elif part not in ("L", "LW") and day.day in expand(part, 1, 31):
            return True
    return False


def _day_of_week_matches(text: str, day: date) -> bool:
    if text in ("*", "?"):
        return True
    today = weekday(day)
    length = calendar.monthrange(day.year, day.month)[1]
    for part in text.split(","):
        if "#" in part:
            name, nth = part.split("#")
            if today == _number(name, DAYS, 1) and (day.day - 1) // 7 + 1 == int(nth):
                return True
        elif part.endswith("L") and len(part) > 1:
            if today == _number(part[:-1], DAYS, 1) and day.day + 7 > length:
                return True
        elif today in expand(part, 1, 7, DAYS):
            return True
    return False


def fires_on(fields: list[str], day: date) -> bool:
    """The expression fires at some time of ``day`` (its month and day fields; the year is
    the caller's)."""
    return (
        day.month in expand(fields[3], 1, 12, MONTHS)
        and _day_of_month_matches(fields[2], day)
        and _day_of_week_matches(fields[4], day)
    )


def firing_days(fields: list[str], year: int) -> list[int]:
    """Ordinals of the days of ``year`` the expression fires on."""
    first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
    return [o for o in range(first, last + 1) if fires_on(fields, date.fromordinal(o))]


def _days(fields: list[str]) -> list[int]:
    """Ordinals of the days a cron expression fires on, over its sample years."""
    years = None if fields[5] in ("*", "?") else sorted(expand(fields[5], 1970, 2199))
    sample = years[:MAX_YEARS] if years is not None else list(SAMPLE_YEARS)
    return [ordinal for year in sample for ordinal in firing_days(fields, year)]


@lru_cache(maxsize=256)
def most_runs_in(expression: str, window_seconds: int, enough: int) -> int:
    """The most runs of a valid schedule ``expression`` inside any ``window_seconds``
    (half-open) stretch of time, counted up to ``enough``."""
    minutes = schedule_period_minutes(expression)
    if minutes is not None:
        return min(enough, math.ceil(window_seconds / (minutes * 60)))
    fields = cron_fields(expression)
    hours, minutes_of_hour = expand(fields[1], 0, 23), expand(fields[0], 0, 59)
    times = sorted(hour * 3600 + minute * 60 for hour in hours for minute in minutes_of_hour)
    best, first = 0, 0
    runs: list[int] = []
    for day in _days(fields):
        for time in times:
            runs.append(day * 86400 + time)
            while runs[-1] - runs[first] >= window_seconds:
                first += 1
            best = max(best, len(runs) - first)
            if best >= enough:
                return enough
    return best
