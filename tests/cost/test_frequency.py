"""Runs per 730-hour month of EventBridge schedules, counted over the 400-year Gregorian cycle
(146097 days = 3506328 hours, exactly 20871 weeks; 97 leap years; 4800 months)."""

from __future__ import annotations

import pytest

from mlops_spec.cost.frequency import runs_per_month
from mlops_spec.schedule import ScheduleError

CYCLE_HOURS = 146097 * 24  # 3506328


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("rate(1 day)", 30.416667),  # 730 / 24
        ("rate(7 days)", 4.345238),  # 730 / 168
        ("rate(6 hours)", 121.666667),  # 730 / 6
        ("rate(15 minutes)", 2920.0),  # 730 * 60 / 15
        ("cron(0 3 ? * MON *)", 4.345238),  # 20871 Mondays * 730 / 3506328 = 730 / 168
        ("cron(30 2 * * ? *)", 30.416667),  # 146097 days * 730 / 3506328 = 730 / 24
        ("cron(0 9 ? * MON-FRI *)", 21.726190),  # 5 * 730 / 168
        ("cron(0 9 ? * FRI-MON *)", 17.380952),  # wraps: FRI SAT SUN MON = 4 * 730 / 168
        ("cron(0/15 * * * ? *)", 2920.0),  # 4 * 24 = 96 a day * 730 / 24
        ("cron(0 8,20 * * ? *)", 60.833333),  # 2 a day * 730 / 24
        ("cron(0 12 1 * ? *)", 0.999336),  # 4800 months * 730 / 3506328
        ("cron(0 12 L * ? *)", 0.999336),  # one last day per month
        ("cron(0 12 15W * ? *)", 0.999336),  # one weekday nearest the 15th per month
        ("cron(0 12 ? * 6#3 *)", 0.999336),  # one third Friday per month
        ("cron(0 12 ? * FRIL *)", 0.999336),  # one last Friday per month
        ("cron(0 0 29 2 ? *)", 0.020195),  # 97 leap days * 730 / 3506328
        ("cron(0 0 1 1 ? 2030)", 0.083333),  # once in 2030: 1 * 730 / 8760
        ("cron(0 0 1 1 ? 2030-2031)", 0.083333),  # twice in 17520 hours
    ],
)
def test_runs_per_month(expression: str, expected: float) -> None:
    assert runs_per_month(expression) == pytest.approx(expected, abs=1e-6)


def test_a_weekly_cron_runs_exactly_as_often_as_a_weekly_rate() -> None:
    assert runs_per_month("cron(0 3 ? * MON *)") == pytest.approx(runs_per_month("rate(7 days)"))


@pytest.mark.parametrize("expression", ["cron(0 3 * * * *)", "rate(0 days)", "every day"])
def test_expressions_eventbridge_rejects_are_refused(expression: str) -> None:
    with pytest.raises(ScheduleError):
        runs_per_month(expression)
