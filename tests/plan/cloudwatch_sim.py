"""A small model of how CloudWatch evaluates a metric alarm, to test planned alarms against
datapoints instead of against their own expressions.

What it models (from CloudWatch's documentation of alarm evaluation and metric math):

- raw datapoints are aggregated per ``period_seconds`` with the query's statistic
  (``Minimum``, ``Maximum``, ``Sum``, ``Average``, ``SampleCount``, percentiles ``pNN``); a
  period without a raw datapoint has no value;
- metric math (``IF``, ``FILL``, ``OR``/``AND``, comparisons, arithmetic) runs period by
  period; an expression over a missing value has no value, except through ``FILL``;
- the alarm compares the returned series with its threshold and judges the last
  ``evaluation_periods`` periods: ALARM when at least ``datapoints_to_alarm`` breach, missing
  periods counting as ``treat_missing_data`` says (``breaching``, ``notBreaching``; ``missing``
  and ``ignore`` count as neither, and an all-missing window is INSUFFICIENT_DATA).

It simplifies two things the tests do not depend on: CloudWatch looks further back for
datapoints when ``missing`` periods leave too few, and ``ignore`` keeps the previous state
(both are reported here as INSUFFICIENT_DATA when nothing was measured, else OK or ALARM).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mlops_spec.plan.alarms import AlarmPlan
from mlops_spec.plan.metrics import MetricDescriptor

Points = Sequence[tuple[float, float]]
"""Raw datapoints: (seconds since the start of the window, value)."""
Series = list[float | None]

_STATISTICS: dict[str, Callable[[list[float]], float]] = {
    "Minimum": min,
    "Maximum": max,
    "Sum": sum,
    "Average": lambda values: sum(values) / len(values),
    "SampleCount": lambda values: float(len(values)),
}
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


def aggregate(points: Points, period: int, statistic: str, periods: int) -> Series:
    """The value of each of ``periods`` periods (None: no datapoint in it)."""
    buckets: list[list[float]] = [[] for _ in range(periods)]
    for at, value in points:
        index = int(at // period)
        if 0 <= index < periods:
            buckets[index].append(value)
    combine = _STATISTICS.get(statistic) or _percentile(statistic)
    return [combine(bucket) if bucket else None for bucket in buckets]


def _percentile(statistic: str) -> Callable[[list[float]], float]:
    """``pNN``: the nearest-rank percentile of the period's datapoints."""
    share = float(statistic[1:]) / 100

    def combine(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]

    return combine


def _if(condition: Any, yes: float, no: float) -> float:
    return yes if condition else no


def _fill(value: float | None, default: float) -> float:
    return default if value is None else value


def _evaluate(expression: str, values: Mapping[str, float | None]) -> float | None:
    """One period of a metric-math expression; None when it reads a missing value."""
    python = re.sub(r"\bIF\(", "_if(", expression)
    python = re.sub(r"\bFILL\(", "_fill(", python)
    python = python.replace(" OR ", " or ").replace(" AND ", " and ")
    try:
        result = eval(python, {"_if": _if, "_fill": _fill}, dict(values))  # test helper only
    except (TypeError, ZeroDivisionError):
        return None
    return float(result)


def series(alarm: AlarmPlan, data: Mapping[MetricDescriptor, Points], periods: int) -> Series:
    """The series the alarm judges: its metric, or its metric math's returned expression.
    ``data`` holds raw datapoints per metric (any statistic: matched on namespace, name and
    dimensions)."""

    def raw(metric: MetricDescriptor) -> Points:
        key = (metric.namespace, metric.metric_name, metric.dimensions)
        found = [p for m, p in data.items() if (m.namespace, m.metric_name, m.dimensions) == key]
        return found[0] if found else ()

    def of(metric: MetricDescriptor) -> Series:
        return aggregate(raw(metric), alarm.period_seconds, metric.statistic, periods)

    if alarm.metric is not None:
        return of(alarm.metric)
    columns = {q.id: of(q.metric) for q in alarm.queries if q.metric is not None}
    (returned,) = [q for q in alarm.queries if q.return_data]
    assert returned.expression is not None
    return [
        _evaluate(returned.expression, {k: v[i] for k, v in columns.items()})
        for i in range(periods)
    ]


def state(alarm: AlarmPlan, data: Mapping[MetricDescriptor, Points], periods: int) -> str:
    """ALARM, OK or INSUFFICIENT_DATA after ``periods`` periods of ``data``."""
    window = series(alarm, data, periods)[-alarm.evaluation_periods :]
    compare = _COMPARE[alarm.comparison]
    breaching = 0
    for value in window:
        if value is None:
            breaching += alarm.treat_missing_data == "breaching"
        else:
            breaching += compare(value, alarm.threshold)
    if breaching >= alarm.datapoints_to_alarm:
        return "ALARM"
    if all(v is None for v in window) and alarm.treat_missing_data in ("missing", "ignore"):
        return "INSUFFICIENT_DATA"
    return "OK"
