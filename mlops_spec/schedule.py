"""EventBridge schedule expressions: ``cron(...)`` and ``rate(...)``, checked offline.

Rules follow the EventBridge user guide ("Schedule expressions"): six cron fields
(minutes hours day-of-month month day-of-week year); exactly one of day-of-month and
day-of-week is ``?``; ``rate(value unit)`` with a positive integer and a singular unit for 1.
"""

from __future__ import annotations

import re

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

# (name, low, high, names, extra single-token wildcards allowed)
_FIELDS: list[tuple[str, int, int, list[str]]] = [
    ("minutes", 0, 59, []),
    ("hours", 0, 23, []),
    ("day-of-month", 1, 31, []),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, []),
]

_RATE = re.compile(r"^rate\((?P<value>\d+) (?P<unit>minutes?|hours?|days?)\)$")
_CRON = re.compile(r"^cron\((?P<body>[^()]*)\)$")


class ScheduleError(ValueError):
    """A schedule expression EventBridge would reject."""


def _value(token: str, low: int, high: int, names: list[str], field: str) -> int:
    upper = token.upper()
    if names and upper in names:
        return names.index(upper) + low
    if not token.isdigit():
        allowed = f"{low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
        raise ScheduleError(f"{field} value {token!r} is not a number in {allowed}")
    number = int(token)
    if not low <= number <= high:
        raise ScheduleError(f"{field} value {number} is outside {low}-{high}")
    return number


def _check_field(text: str, index: int) -> None:
    field, low, high, names = _FIELDS[index]
    if text in ("*", "?"):
        if text == "?" and field not in ("day-of-month", "day-of-week"):
            raise ScheduleError(f"'?' is only allowed in day-of-month or day-of-week, not {field}")
        return
    for part in text.split(","):
        if field == "day-of-month" and (part in ("L", "LW") or re.fullmatch(r"\d{1,2}W", part)):
            if part.endswith("W") and part not in ("LW",):
                _value(part[:-1], low, high, names, field)
            continue
        if field == "day-of-week" and re.fullmatch(r"[^#]+#[1-5]", part):
            _value(part.split("#")[0], low, high, names, field)
            continue
        if field == "day-of-week" and part.endswith("L") and len(part) > 1:
            _value(part[:-1], low, high, names, field)
            continue
        base, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            raise ScheduleError(f"{field} step {step!r} must be a positive integer")
        if base == "*":
            continue
        start, dash, end = base.partition("-")
        first = _value(start, low, high, names, field)
        if dash:
            last = _value(end, low, high, names, field)
            if field != "day-of-week" and last < first:
                raise ScheduleError(f"{field} range {base!r} runs backwards")


def validate_schedule(expression: str) -> str:
    """Return ``expression`` unchanged if EventBridge accepts it, else raise ScheduleError."""
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate["value"]), rate["unit"]
        if value == 0:
            raise ScheduleError("rate value must be a positive integer")
        if value == 1 and unit.endswith("s"):
            raise ScheduleError(f"use the singular unit for 1: rate(1 {unit[:-1]})")
        if value > 1 and not unit.endswith("s"):
            raise ScheduleError(f"use the plural unit for {value}: rate({value} {unit}s)")
        return expression
    cron = _CRON.match(expression)
    if not cron:
        raise ScheduleError(
            "must be cron(minutes hours day-of-month month day-of-week year) "
            "or rate(value minute|minutes|hour|hours|day|days)"
        )
    fields = cron["body"].split()
    if len(fields) != 6:
        raise ScheduleError(f"cron needs 6 fields, got {len(fields)}: {cron['body']!r}")
    for index, text in enumerate(fields):
        _check_field(text, index)
    if (fields[2] == "?") == (fields[4] == "?"):
        raise ScheduleError("exactly one of day-of-month and day-of-week must be '?'")
    return expression


def schedule_period_minutes(expression: str) -> int | None:
    """Minutes between runs for ``rate(...)`` expressions, ``None`` for cron."""
    rate = _RATE.match(expression)
    if not rate:
        return None
    factor = {"minute": 1, "hour": 60, "day": 1440}[rate["unit"].rstrip("s")]
    return int(rate["value"]) * factor
