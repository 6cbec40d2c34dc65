"""EventBridge schedules as Kubernetes cron: same instants, or a refusal with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mlops_spec.cron_k8s import CronError, to_kubernetes_cron


@pytest.mark.parametrize(
    ("eventbridge", "kubernetes"),
    [
        ("rate(1 minute)", "* * * * *"),
        ("rate(15 minutes)", "*/15 * * * *"),
        ("rate(60 minutes)", "0 * * * *"),
        ("rate(1 hour)", "0 * * * *"),
        ("rate(6 hours)", "0 */6 * * *"),
        ("rate(24 hours)", "0 0 * * *"),
        ("rate(1 day)", "0 0 * * *"),
        ("cron(0 3 ? * MON *)", "0 3 * * 1"),
        ("cron(0 3 ? * 1 *)", "0 3 * * 0"),  # EventBridge counts Sunday as 1
        ("cron(30 2 ? * MON-FRI *)", "30 2 * * 1-5"),
        ("cron(0 0 ? * 2,4,6 *)", "0 0 * * 1,3,5"),
        ("cron(0 12 1 * ? *)", "0 12 1 * *"),
        ("cron(0/10 * * JAN-MAR ? *)", "0/10 * * 1-3 *"),
    ],
)
def test_converted(eventbridge: str, kubernetes: str) -> None:
    assert to_kubernetes_cron(eventbridge) == kubernetes


@pytest.mark.parametrize(
    "expression",
    [
        "rate(7 minutes)",
        "rate(5 hours)",
        "rate(3 days)",
        "cron(0 3 L * ? *)",
        "cron(0 3 15W * ? *)",
        "cron(0 3 ? * 6L *)",
        "cron(0 3 ? * MON#2 *)",
        "cron(0 3 1 1 ? 2030)",
    ],
)
def test_refused(expression: str) -> None:
    with pytest.raises(CronError):
        to_kubernetes_cron(expression)


def _next_mondays_at_three(start: datetime, count: int) -> list[datetime]:
    """Independent reading of cron(0 3 ? * MON *): Mondays, 03:00 UTC."""
    day, found = start, list[datetime]()
    while len(found) < count:
        day += timedelta(days=1)
        if day.weekday() == 0:  # Python: Monday is 0
            found.append(day.replace(hour=3, minute=0))
    return found


def test_day_of_week_numbers_mean_the_same_days() -> None:
    # Kubernetes day 1 is Monday (0 Sunday): the converted field names the same weekday
    # Python's calendar gives for the instants EventBridge fires at.
    converted = to_kubernetes_cron("cron(0 3 ? * 2 *)").split()
    fires = _next_mondays_at_three(datetime(2026, 1, 1, tzinfo=UTC), 3)
    assert [(f.isoweekday() % 7) for f in fires] == [int(converted[4])] * 3
