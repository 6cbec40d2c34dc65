"""How many times an EventBridge schedule can fire inside a window of time.

``rate(v unit)`` fires every ``v unit``, so a window of ``w`` seconds holds at most
``ceil(w / interval)`` runs. A ``cron(...)`` expression is laid out over three calendar
years (one of them a leap year; or the first years its year field names) and every window is
counted. The calendar tokens ``L``, ``W`` and ``#`` are read as "any day": that can only
over-count, so a rule built on this count never refuses a schedule that could fire often
enough.
"""

from __future__ import annotations

import math
from datetime import date
from functools import lru_cache

from mlops_spec.schedule import schedule_period_minutes

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
SAMPLE_YEARS = (2027, 2028, 2029)
"""Years a ``*`` year field is laid out over (2028 is a leap year)."""
MAX_YEARS = 10


def _special(part: str) -> bool:
    """``L``, ``LW``, ``15W`` (day of month), ``6L``, ``2#1`` (day of week)."""
    return part in ("L", "LW") or "#" in part or (part[-1:] in ("W", "L") and part[:-1].isdigit())


def _values(text: str, low: int, high: int, names: tuple[str, ...] = ()) -> set[int] | None:
    """The values a cron field selects; None for "any" (``*``, ``?``, or a calendar token)."""
    parts = text.upper().split(",")
    if text in ("*", "?") or any(_special(part) for part in parts):
        return None
    found: set[int] = set()
    for part in parts:
        base, _, step = part.partition("/")
        if base == "*":
            first, last = low, high
        else:
            start, dash, end = base.partition("-")
            first = _number(start, names, low)
            last = _number(end, names, low) if dash else (high if step else first)
        wrapped = [*range(first, high + 1), *range(low, last + 1)]  # FRI-MON
        span = list(range(first, last + 1)) if last >= first else wrapped
        found |= set(span[:: int(step or 1)])
    return found


def _number(token: str, names: tuple[str, ...], low: int) -> int:
    return names.index(token) + low if token in names else int(token)


def _days(fields: list[str]) -> list[int]:
    """Ordinals of the days a cron expression can fire on."""
    years = _values(fields[5], 1970, 2199)
    sample = sorted(years)[:MAX_YEARS] if years is not None else list(SAMPLE_YEARS)
    months = _values(fields[3], 1, 12, tuple(_MONTHS))
    days_of_month = _values(fields[2], 1, 31)
    weekdays = _values(fields[4], 1, 7, tuple(_DAYS))
    found = []
    for year in sample:
        for ordinal in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1):
            day = date.fromordinal(ordinal)
            weekday = (day.weekday() + 1) % 7 + 1  # EventBridge: SUN=1 ... SAT=7
            if (
                (months is None or day.month in months)
                and (days_of_month is None or day.day in days_of_month)
                and (weekdays is None or weekday in weekdays)
            ):
                found.append(ordinal)
    return found


@lru_cache(maxsize=256)
def most_runs_in(expression: str, window_seconds: int, enough: int) -> int:
    """The most runs of a valid schedule ``expression`` inside any ``window_seconds``
    (half-open) stretch of time, counted up to ``enough``."""
    minutes = schedule_period_minutes(expression)
    if minutes is not None:
        return min(enough, math.ceil(window_seconds / (minutes * 60)))
    fields = expression[len("cron(") : -1].split()
    hours = _values(fields[1], 0, 23) or set(range(24))
    minutes_of_hour = _values(fields[0], 0, 59) or set(range(60))
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
