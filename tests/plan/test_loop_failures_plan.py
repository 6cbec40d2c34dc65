"""Failures that reach people, as plan data: the loop's functions are serialised or bounded."""

from __future__ import annotations

from mlops_spec.plan import DeploymentPlan
from tests.plan.conftest import MINIMAL, mini


def _loop() -> DeploymentPlan:
    """The minimal spec retraining on a schedule and following latest_approved."""
    training = {**MINIMAL["models"]["mm"]["training"], "schedule": "rate(7 days)"}
    return mini(serving={"tier": "realtime"}, training=training)


def test_the_deploy_function_is_serialised_and_the_trigger_bounded() -> None:
    retraining = _loop().retraining
    assert retraining is not None
    deploy, trigger = retraining.function("deploy"), retraining.function("trigger")
    assert deploy is not None and trigger is not None
    assert deploy.reserved_concurrency == 1
    assert trigger.reserved_concurrency == 5
