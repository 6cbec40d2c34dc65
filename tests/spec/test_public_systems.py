"""Specs modelled on public systems validate and plan on every stack, and the plan has what
the system is about (issue 9, "Done when"). The 50-model estate is benchmarks/' spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_spec.load import validate_file
from mlops_spec.plan import DeploymentPlan
from mlops_spec.plan.schedules import SchedulePlan
from tests.conftest import ROOT

GOOD = ROOT / "tests/spec/corpus/good"


def _plans(path: Path) -> dict[str, DeploymentPlan]:
    stacks = validate_file(path).stacks
    assert len(stacks) >= 2, f"{path.name}: model a system with at least dev and prod"
    plans = {name: resolution.plan for name, resolution in stacks.items()}
    assert all(plan is not None for plan in plans.values()), plans
    return plans  # type: ignore[return-value]


def test_drift_detection_with_hourly_monitoring_and_retraining() -> None:
    for stack, plan in _plans(GOOD / "hourly_drift_retrain.yaml").items():
        (job,) = plan.monitoring.jobs
        assert job.schedule.expression == "rate(1 hour)", stack
        assert "drift" in job.monitors
        assert plan.retraining is not None
        assert any(r.name.endswith("-alarm-retrain") for r in plan.retraining.rules)


def test_safe_deployment_canary_with_autoscaling() -> None:
    plans = _plans(ROOT / "examples/churn/mlops.yaml")
    (serving,) = plans["prod"].serving
    assert serving.endpoint is not None and serving.endpoint.rollout is not None
    assert serving.endpoint.rollout.strategy == "CANARY"
    assert serving.endpoint.rollout.rollback_alarms
    assert serving.endpoint.autoscaling is not None
    assert serving.endpoint.autoscaling.max_capacity > serving.endpoint.autoscaling.min_capacity


def test_daily_retrain_template_with_a_quality_monitor() -> None:
    plans = _plans(GOOD / "daily_retrain_template.yaml")
    assert set(plans) == {"dev", "staging", "prod"}
    for stack, plan in plans.items():
        (training,) = plan.training
        assert training.gate is not None, stack
        (job,) = plan.monitoring.jobs
        assert "quality" in job.monitors and job.ground_truth is not None, stack
    prod_schedules = {s.expression for s in _schedules(plans["prod"])}
    assert "cron(0 2 * * ? *)" in prod_schedules


def test_serverless_plus_batch() -> None:
    for stack, plan in _plans(ROOT / "examples/ltv/mlops.yaml").items():
        tiers = {s.tier: s for s in plan.serving}
        assert set(tiers) == {"serverless", "batch"}, stack
        assert tiers["serverless"].endpoint is not None
        assert tiers["serverless"].endpoint.serverless is not None
        assert tiers["batch"].batch is not None and tiers["batch"].batch.schedule is not None


def _schedules(plan: DeploymentPlan) -> list[SchedulePlan]:
    """Every EventBridge Scheduler schedule the plan holds, wherever it is planned."""
    found: list[SchedulePlan] = []

    def walk(value: object, depth: int = 0) -> None:
        if isinstance(value, SchedulePlan):
            found.append(value)
        elif depth < 6 and hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                walk(getattr(value, name), depth + 1)
        elif depth < 6 and isinstance(value, tuple | list):
            for item in value:
                walk(item, depth + 1)

    walk(plan)
    return found


@pytest.mark.parametrize("region", ["il-central-1", "ca-west-1"])
def test_regions_that_crashed_before_now_plan(region: str, tmp_path: Path) -> None:
    text = (GOOD / "hourly_drift_retrain.yaml").read_text().replace("eu-west-1", region)
    path = tmp_path / "mlops.yaml"
    path.write_text(text)
    for plan in _plans(path).values():
        assert plan.region == region
