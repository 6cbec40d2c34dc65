"""EventBridge schedule expressions, checked offline by EventBridge's rules."""

from __future__ import annotations

import pytest

from mlops_spec.schedule import ScheduleError, schedule_period_minutes, validate_schedule

VALID = [
    "rate(1 minute)",
    "rate(5 minutes)",
    "rate(1 hour)",
    "rate(12 hours)",
    "rate(1 day)",
    "cron(0 3 ? * MON *)",
    "cron(0/15 * * * ? *)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(0 8 1 * ? *)",
    "cron(15 10 ? * 6L 2030-2035)",
    "cron(0 9 ? * 2#1 *)",
    "cron(0 0 L * ? *)",
    "cron(0 0 15W * ? *)",
    "cron(30 2 * JAN,JUL ? *)",
]
INVALID = {
    "rate(0 minutes)": "positive",
    "rate(1 minutes)": "singular",
    "rate(5 minute)": "plural",
    "rate(5 weeks)": "must be cron",
    "cron(0 3 * * ?)": "6 fields",
    "cron(0 3 * * MON *)": "exactly one of",
    "cron(0 3 ? * ? *)": "exactly one of",
    "cron(60 3 ? * MON *)": "outside 0-59",
    "cron(0 24 ? * MON *)": "outside 0-23",
    "cron(0 3 ? 13 MON *)": "outside 1-12",
    "cron(0 3 ? * FUNDAY *)": "not a number",
    "cron(0 3 ? * MON 1900)": "outside 1970-2199",
    "cron(0/0 3 ? * MON *)": "step",
    "cron(? 3 ? * MON *)": "only allowed",
    "0 3 * * *": "must be cron",
}


@pytest.mark.parametrize("expression", VALID)
def test_valid(expression: str) -> None:
    assert validate_schedule(expression) == expression


@pytest.mark.parametrize(("expression", "reason"), INVALID.items())
def test_invalid(expression: str, reason: str) -> None:
    with pytest.raises(ScheduleError, match=reason):
        validate_schedule(expression)


def test_rate_period() -> None:
    assert schedule_period_minutes("rate(2 hours)") == 120
    assert schedule_period_minutes("cron(0 3 ? * MON *)") is None
