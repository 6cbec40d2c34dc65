"""Parity: one spec planned for AWS and for Kubernetes watches the same monitors with the same
actions, thresholds and evaluation windows.

Each table is read from what its back end would run, never from the spec: the AWS one from the
planned CloudWatch alarms (comparison and threshold, or the band in the metric math, in the
metric's unit), the Kubernetes one by parsing each alert's PromQL (the comparisons inside the
windowed condition, the subquery's range and step, the ``>= M`` count)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import promql_parser as pp
import pytest

from mlops_spec.plan.alarms import AlarmPlan
from mlops_spec.plan.k8s.monitors import AlertPlan
from tests.k8s.monitor_support import FULL_SPEC, k8s_plan, spec_cases

CASES = spec_cases()
IDS = [f"{p.parent.name if p.name == 'mlops.yaml' else p.stem}-{s}" for p, s in CASES]
OPS = {"GreaterThanThreshold": ">", "LessThanThreshold": "<"}
UNIT_TO_SPEC = {"Microseconds": 1 / 1000.0}
"""CloudWatch units the spec writes differently (latency thresholds are milliseconds)."""

Row = tuple[str, str, frozenset[tuple[str, float]], int, int, int]
"""(kind, action, bounds, periods, datapoints, period seconds)."""


def aws_row(alarm: AlarmPlan) -> Row:
    if alarm.metric is not None:
        scale = UNIT_TO_SPEC.get(alarm.metric.unit or "", 1.0)
        bounds = {(OPS[alarm.comparison], round(alarm.threshold * scale, 9))}
    else:
        (returned,) = [query for query in alarm.queries if query.return_data]
        assert returned.expression is not None
        if returned.expression.startswith("IF("):
            # IF(a < low OR b > high, 1, 0) >= 1
            assert (alarm.comparison, alarm.threshold) == ("GreaterThanOrEqualToThreshold", 1.0)
            found = re.findall(r"\w+ ([<>]) ([-0-9.e+]+)", returned.expression)
            bounds = {(op, float(value)) for op, value in found}
        else:
            bounds = {(OPS[alarm.comparison], alarm.threshold)}
    periods = (alarm.evaluation_periods, alarm.datapoints_to_alarm, alarm.period_seconds)
    return (alarm.kind, alarm.action, frozenset(bounds), *periods)


def _unparen(node: Any) -> Any:
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    return node


def _is_comparison(node: Any) -> bool:
    return isinstance(node, pp.BinaryExpr) and str(node.op) in ("<", ">")


def _calls(node: Any) -> set[str]:
    names: set[str] = set()

    def visit(n: object) -> None:
        if isinstance(n, pp.Call):
            names.add(n.func.name)

    pp.walk(node, visit)
    return names


def _bounds(node: Any) -> set[tuple[str, float]]:
    """The thresholds: comparisons with a number, except a filter compared again (traffic
    ``> 0``) and the job's freshness (``time() - push < period``)."""
    node = _unparen(node)
    if not isinstance(node, pp.BinaryExpr):
        return set()
    if _is_comparison(node) and isinstance(node.rhs, pp.NumberLiteral):
        if "time" in _calls(node.lhs):
            return set()
        scale = 1000.0 if "histogram_quantile" in _calls(node.lhs) else 1.0  # s -> ms
        inner = _unparen(node.lhs)
        filtered = _bounds(inner) if not _is_comparison(inner) else set()
        return {(str(node.op), round(node.rhs.val * scale, 9))} | filtered
    return _bounds(node.lhs) | _bounds(node.rhs)


def k8s_row(alert: AlertPlan) -> Row:
    top = pp.parse(alert.expr)
    assert isinstance(top, pp.BinaryExpr) and str(top.op) == ">=", alert.expr
    call = top.lhs
    assert isinstance(call, pp.Call) and call.func.name == "count_over_time", alert.expr
    (subquery,) = call.args
    assert isinstance(subquery, pp.SubqueryExpr)
    step = int(subquery.step.total_seconds())
    periods = round((subquery.range.total_seconds() + 1) / step)
    bounds = frozenset(_bounds(subquery.expr))
    return (alert.kind, alert.action, bounds, periods, int(top.rhs.val), step)


def tables(path: Path, stack: str) -> tuple[dict[tuple[str, str], Row], dict[tuple[str, str], Row]]:
    aws, k8s = k8s_plan(path, stack)
    aws_table = {(a.model, a.monitor): aws_row(a) for a in aws.monitoring.alarms}
    k8s_table = {
        (a.model, a.monitor): k8s_row(a)
        for a in k8s.alerts
        if a.kind not in ("health", "staleness")
    }
    return aws_table, k8s_table


@pytest.mark.parametrize(("path", "stack"), CASES, ids=IDS)
def test_monitors_actions_thresholds_and_windows_are_the_same_on_both_back_ends(
    path: Path, stack: str
) -> None:
    aws_table, k8s_table = tables(path, stack)
    assert k8s_table == aws_table


@pytest.mark.parametrize(("path", "stack"), CASES, ids=IDS)
def test_both_back_ends_have_a_health_check_per_monitored_model(path: Path, stack: str) -> None:
    aws, k8s = k8s_plan(path, stack)
    assert {m.health.name for m in aws.monitoring.models if m.health} == {
        a.name for a in k8s.alerts if a.kind == "health"
    }


def test_the_table_reads_what_each_back_end_runs() -> None:
    """The rows of the all-tiers spec, written out: a latency threshold in microseconds and
    in seconds both read 120 ms; bands read from metric math and from PromQL."""
    aws_table, k8s_table = tables(FULL_SPEC, "prod")
    expected = {
        ("rt", "latency"): ("latency", "rollback", frozenset({(">", 120.0)}), 3, 3, 60),
        ("rt", "traffic"): (
            "invocations",
            "notify",
            frozenset({("<", 5.0), (">", 5000.0)}),
            3,
            3,
            300,
        ),
        ("rt", "quality"): (
            "model_quality",
            "notify",
            frozenset({("<", 0.7), (">", 0.99)}),
            1,
            1,
            86400,
        ),
        ("rt", "drift"): ("data_drift", "retrain", frozenset({(">", 0.0)}), 1, 1, 86400),
        ("la", "few"): ("invocations", "notify", frozenset({("<", 1.0)}), 3, 3, 60),
    }
    for key, row in expected.items():
        assert aws_table[key] == row, key
        assert k8s_table[key] == row, key


def test_a_changed_threshold_breaks_parity() -> None:
    """The comparison is not vacuous: an alert whose PromQL differs shows in its row."""
    _, k8s = k8s_plan(FULL_SPEC, "prod")
    latency = k8s.rule("rt").alert("latency")
    changed = AlertPlan(**{**latency.__dict__, "expr": latency.expr.replace("> 0.12)", "> 0.121)")})
    assert k8s_row(changed)[2] == frozenset({(">", 121.0)})
