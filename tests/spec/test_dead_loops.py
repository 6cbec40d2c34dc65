"""The load-time rules that keep loops alive, beyond the corpus: the schedule count they rely
on, that they read the alarm the planner builds, and that they hold per stack."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from mlops_spec.load import validate_file, validate_system
from mlops_spec.schedule_runs import most_runs_in
from tests.conftest import EXAMPLES, ROOT
from tests.plan.conftest import DEV

HOUR, DAY = 3600, 86400


@pytest.mark.parametrize(
    ("expression", "window", "runs"),
    [
        ("rate(1 day)", 3 * HOUR, 1),
        ("rate(6 hours)", DAY, 4),
        ("rate(6 hours)", DAY + 1, 5),
        ("rate(30 minutes)", HOUR, 2),
        ("cron(0 */6 * * ? *)", 7 * HOUR, 2),  # 00:00 and 06:00
        ("cron(0 3 ? * MON *)", 3 * DAY, 1),  # weekly
        ("cron(0 3 ? * MON *)", 7 * DAY + 1, 2),
        ("cron(30 2 ? * MON-FRI *)", 3 * DAY, 3),  # weekdays: three in a row
        ("cron(15 4 ? * SUN,WED *)", 3 * DAY + 1, 2),  # Sunday 04:15 -> Wednesday 04:15
        ("cron(0 0 1 * ? *)", 28 * DAY, 1),  # monthly: 1 Feb -> 1 Mar 2027 is 28 days
        ("cron(0 0 1 * ? *)", 28 * DAY + 1, 2),
        ("cron(0 0 29 FEB ? *)", 365 * DAY, 1),  # leap days only
        ("cron(0 0 L * ? *)", 2 * DAY, 1),  # last day of the month: 31 Jan -> 28 Feb 2027
        ("cron(0 0 L * ? *)", 28 * DAY + 1, 2),
        ("cron(0 0 ? * 2#1 *)", 28 * DAY, 1),  # first Monday: 1 Feb -> 1 Mar 2027
        ("cron(0 0 ? * 2#1 *)", 28 * DAY + 1, 2),
        ("cron(0 0 LW * ? *)", 2 * DAY + 1, 1),  # last weekday: at most one per month
    ],
)
def test_most_runs_in_a_window(expression: str, window: int, runs: int) -> None:
    """Counts worked out by hand from the calendar (half-open windows)."""
    assert most_runs_in(expression, window, 100) == runs


def test_counting_stops_at_enough() -> None:
    assert most_runs_in("cron(* * * * ? *)", 7 * DAY, 3) == 3


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_the_rules_read_the_alarm_and_schedule_the_planner_builds(path: Any) -> None:
    """The window rule's inputs (``window_seconds``, ``alarm_datapoints``, ``job_driver``)
    are what the planner writes into each alarm and the monitoring job's schedule."""
    for resolution in validate_file(path).stacks.values():
        plan, spec = resolution.plan, resolution.spec.spec
        assert plan is not None
        for model_plan in plan.monitoring.models:
            model = spec.models[model_plan.model]
            for alarm in model_plan.alarms:
                monitor = model.monitors[alarm.monitor]
                assert alarm.evaluation_periods * alarm.period_seconds == monitor.window_seconds
                assert alarm.datapoints_to_alarm == monitor.alarm_datapoints
            if model_plan.job is not None:
                driver = model.job_driver
                assert driver is not None
                assert model_plan.job.schedule.expression == driver[1].schedule


FULL = ROOT / "tests/components/specs/full.yaml"


def test_the_all_tiers_spec_plans_its_job_on_the_driver_schedule() -> None:
    resolution = validate_file(FULL, "prod").stacks["prod"]
    assert resolution.plan is not None
    job = resolution.plan.monitoring.model("rt").job
    assert job is not None and job.schedule.expression == "rate(6 hours)"  # drift's


SPEC: dict[str, Any] = {
    "spec_version": 1,
    "system": {"id": "shop", "owner": "o@example.com", "region": "eu-west-1"},
    "data_sources": {
        "ds": {"features": {"x": "numeric", "c": "categorical"}, "label": "y"},
        "gt": {"kind": "ground_truth", "label": "y"},
    },
    "models": {
        "mm": {
            "training": {
                "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1",
                "inputs": ["ds"],
            },
            "serving": {"tier": "realtime", "model_version": {"pinned": 1}},
            "monitors": {},
        }
    },
}


def _validate(training: dict[str, Any] | None = None, **monitors: dict[str, Any]) -> Any:
    data = copy.deepcopy(SPEC)
    data["system"]["bucket_namespace"] = "acme"
    data["models"]["mm"]["training"].update(training or {})
    data["models"]["mm"]["monitors"] = monitors
    return validate_system(data, DEV)


QUALITY_MAE = {
    "type": "model_quality",
    "metric": "mae",
    "max": 3,
    "ground_truth": {"data_source": "gt"},
}


def test_the_task_is_inferred_when_the_metrics_agree() -> None:
    _validate({"gate": {"metric": "rmse", "max": 2.0}}, quality=QUALITY_MAE)


def test_positive_label_implies_classification() -> None:
    with pytest.raises(ValidationError) as caught:
        _validate({"positive_label": "1", "gate": {"metric": "rmse", "max": 2.0}})
    (error,) = caught.value.errors()
    assert error["loc"] == ("models", "mm", "training", "gate", "metric")
    assert (
        "gate metric rmse is for regression, but positive_label is for classification"
        in (error["msg"])
    )


def test_a_declared_task_settles_it() -> None:
    _validate({"task": "regression", "gate": {"metric": "r2", "min": 0.5}}, quality=QUALITY_MAE)
    with pytest.raises(ValidationError, match=r"model_quality metric mae of 'quality' is for"):
        _validate({"task": "classification"}, quality=QUALITY_MAE)


def test_an_error_metric_gate_may_be_a_band_only_with_max() -> None:
    _validate({"gate": {"metric": "mae", "max": 3.0}})
    with pytest.raises(ValidationError, match=r"mae is an error metric"):
        _validate({"gate": {"metric": "mae", "min": 0.1, "max": 3.0}})


def test_a_quality_band_is_allowed() -> None:
    band = {**QUALITY_MAE, "metric": "accuracy", "min": 0.7, "max": 0.99}
    _validate(quality=band)


def test_an_hourly_drift_alarm_on_an_hourly_job_can_fire() -> None:
    drift = {
        "type": "data_drift",
        "schedule": "rate(1 hour)",
        "period_seconds": 3600,
        "periods": 3,
    }
    _validate(drift=drift)
    with pytest.raises(ValidationError, match=r"runs at most 1 time in that window"):
        _validate(drift={**drift, "schedule": "rate(2 hours)", "periods": 2})


def test_rules_run_per_stack_after_the_overlay(tmp_path: Any) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(
        """\
spec_version: 1
system: {id: shop, owner: o@example.com, region: eu-west-1, bucket_namespace: acme}
notifications: {emails: [o@example.com]}
data_sources:
  ds: {features: {x: numeric}, label: y}
  hold: {prefix: holdout/, features: {x: numeric}, label: y}
models:
  mm:
    training:
      image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1
      inputs: [ds]
      holdout: hold
      gate: {metric: accuracy, min: 0.7}
    serving: {tier: realtime, model_version: {pinned: 1}}
    monitors:
      lat: {type: latency, threshold_ms: 100, action: rollback}
      preds: {type: prediction_drift}
environments:
  dev:
    mode: development
    models: {mm: {training: {gate: null}}}
  prod: {mode: production}
"""
    )
    from mlops_spec.errors import SpecError

    with pytest.raises(SpecError) as caught:
        validate_file(spec)
    (problem,) = caught.value.problems
    assert (problem.path, problem.environment, problem.line) == (
        "models.mm.monitors.preds.type",
        "dev",
        17,
    )
    assert validate_file(spec, "prod").stacks["prod"].plan is not None


def test_auc_on_a_regression_model_is_reported_once_by_the_task_rule(tmp_path: Any) -> None:
    """A regression gate (output: label) and an auc quality monitor: the task rule names the
    mistake; the scores rule (auc needs scores) would only say the same thing again."""
    spec = tmp_path / "mlops.yaml"
    spec.write_text(
        """\
spec_version: 1
system: {id: shop, owner: o@example.com, region: eu-west-1, bucket_namespace: acme}
notifications: {emails: [o@example.com]}
data_sources:
  ds: {prefix: events/, features: {x: numeric}, label: y}
  labels: {kind: ground_truth, prefix: labels/, label: y}
models:
  mm:
    training:
      image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1
      inputs: [ds]
      gate: {metric: rmse, max: 3}
    serving: {tier: realtime, model_version: {pinned: 1}}
    monitors:
      lat: {type: latency, threshold_ms: 100, action: rollback}
      quality: {type: model_quality, metric: auc, min: 0.7, ground_truth: {data_source: labels}}
"""
    )
    from mlops_spec.errors import SpecError

    with pytest.raises(SpecError) as caught:
        validate_file(spec)
    (problem,) = caught.value.problems
    assert problem.path == "models.mm.monitors.quality.metric"
    assert "is for classification, but gate metric rmse is for regression" in problem.message
