"""EventBridge schedule expressions -> Kubernetes CronJob schedules (5-field cron, UTC).

Kubernetes cron has five fields (minute hour day-of-month month day-of-week), day of week
0-6 from Sunday, no ``?``, ``L``, ``W``, ``#`` and no year. EventBridge's six-field cron is
converted where the two mean the same instants; ``rate(...)`` where the rate divides its next
unit (an hour, a day), since a CronJob fires at clock instants, not at intervals from its
creation. Everything else is refused with the reason. Expressions reaching here are valid
EventBridge expressions (``mlops_spec.schedule`` checked them).
"""

from __future__ import annotations

import re

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
_RATE = re.compile(r"^rate\((?P<value>\d+) (?P<unit>minute|hour|day)s?\)$")


class CronError(ValueError):
    """An EventBridge schedule with no Kubernetes cron of the same meaning."""


def to_kubernetes_cron(expression: str) -> str:
    """The 5-field cron firing at the instants ``expression`` does (UTC); CronError if none."""
    expression = expression.strip()
    rate = _RATE.match(expression)
    if rate:
        return _rate(int(rate["value"]), rate["unit"])
    if expression.startswith("cron(") and expression.endswith(")"):
        return _cron(expression[5:-1].split())
    raise CronError(f"{expression!r} is neither cron(...) nor rate(...)")


def _rate(value: int, unit: str) -> str:
    if unit == "minute":
        if 60 % value:
            raise CronError(
                f"rate({value} minutes) does not divide an hour; a CronJob fires at clock "
                "minutes: use a divisor of 60 or a cron(...) expression"
            )
        return "* * * * *" if value == 1 else ("0 * * * *" if value == 60 else f"*/{value} * * * *")
    if unit == "hour":
        if 24 % value:
            raise CronError(
                f"rate({value} hours) does not divide a day; use a divisor of 24 or a cron(...) "
                "expression"
            )
        return "0 * * * *" if value == 1 else ("0 0 * * *" if value == 24 else f"0 */{value} * * *")
    if value != 1:
        raise CronError(
            f"rate({value} days) has no cron equivalent (day-of-month steps restart each "
            "month); use rate(1 day) or a cron(...) expression"
        )
    return "0 0 * * *"


def _cron(fields: list[str]) -> str:
    minute, hour, day_of_month, month, day_of_week, year = fields
    if year != "*":
        raise CronError(f"the year field {year!r} has no Kubernetes equivalent; use '*'")
    if re.search(r"[LW]", day_of_month):
        raise CronError(
            f"day-of-month {day_of_month!r}: L and W (last day, nearest weekday) have no "
            "Kubernetes equivalent"
        )
    if "#" in day_of_week or re.search(r"\dL|^L$", day_of_week):
        raise CronError(
            f"day-of-week {day_of_week!r}: # and L (nth or last weekday of the month) have no "
            "Kubernetes equivalent"
        )
    return " ".join(
        [
            minute,
            hour,
            "*" if day_of_month == "?" else day_of_month,
            _names(month, _MONTHS, 1),
            "*" if day_of_week == "?" else _weekdays(day_of_week),
        ]
    )


def _names(field: str, names: list[str], first: int) -> str:
    """Names (JAN, MON) as numbers counted from ``first``."""

    def number(match: re.Match[str]) -> str:
        return str(names.index(match[0].upper()) + first)

    pattern = "|".join(names)
    return re.sub(pattern, number, field, flags=re.IGNORECASE)


def _weekdays(field: str) -> str:
    """EventBridge's day of week (1-7 from Sunday, or names) as Kubernetes' (0-6)."""
    named = _names(field, _DAYS, 1)

    def shift(part: str) -> str:
        if part == "*" or part.startswith("*/"):
            return part
        base, _, step = part.partition("/")
        low, _, high = base.partition("-")
        shifted = str(int(low) - 1) + (f"-{int(high) - 1}" if high else "")
        return shifted + (f"/{step}" if step else "")

    return ",".join(shift(part) for part in named.split(","))
