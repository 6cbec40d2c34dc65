"""The one rollout: verification after an update (injected clock, no waiting), and the rollout
vocabulary from the spec to the UpdateEndpoint request, checked against botocore's model."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from mlops_runtime.aws import endpoint_requests
from mlops_runtime.contract.config import DeployConfig, EndpointTarget
from mlops_runtime.core.clock import UTC
from mlops_runtime.core.rollout import Rollout
from mlops_runtime.memory.endpoints import MemoryEndpoints
from mlops_runtime.memory.registry import MemoryRegistry
from mlops_spec.load import validate_system
from mlops_spec.models import ResolvedSpec
from mlops_spec.plan import plan, render
from tests.plan.conftest import PROD

TARGET = EndpointTarget(
    model_id="churn",
    endpoint_name="shop-prod-churn",
    execution_role_arn="arn:aws:iam::123456789012:role/serve",
    instance_type="ml.m5.large",
    initial_instance_count=2,
)
SAGEMAKER = botocore.session.get_session().get_service_model("sagemaker")


class Clock:
    """Time that moves only when the rollout sleeps."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, tzinfo=UTC)
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


def rollout_of(endpoints: MemoryEndpoints, clock: Clock) -> Rollout:
    return Rollout(endpoints, now=lambda: clock.now, sleep=clock.sleep, poll_seconds=30)


@pytest.fixture
def live() -> tuple[MemoryEndpoints, str, str]:
    """An endpoint serving package 1; package 2 approved since."""
    registry = MemoryRegistry()
    first, second = registry.register("g"), registry.register("g")
    endpoints = MemoryEndpoints(settle_after=3)  # each rollout takes 3 polls
    endpoints.serve(endpoints.release(TARGET, first))
    return endpoints, first, second


@pytest.mark.parametrize(
    ("ending", "outcome"),
    [("serve", "deployed"), ("roll-back", "rolled-back"), ("fail", "failed")],
)
def test_a_waited_update_reports_what_the_endpoint_serves_after_it(
    live: tuple[MemoryEndpoints, str, str], ending: str, outcome: str
) -> None:
    endpoints, first, second = live
    endpoints.next_ending = ending
    clock = Clock()
    release = endpoints.release(TARGET, second)
    result = rollout_of(endpoints, clock).apply(release, wait=timedelta(minutes=30))
    assert result.outcome == outcome
    assert result.verified == (outcome == "deployed")
    assert clock.slept == [30, 30, 30]  # polled until the update ended, without waiting
    assert result.details["previous_config"] == endpoints.release(TARGET, first).config_name
    if outcome == "rolled-back":
        assert "serves" in result.details["reason"]
    # the previous model and config are kept: a rollback (or the next one) needs them
    assert endpoints.release(TARGET, first).config_name in endpoints.revisions


def test_a_rollout_still_running_at_the_deadline_fails_without_waiting_longer(
    live: tuple[MemoryEndpoints, str, str],
) -> None:
    endpoints, _, second = live
    endpoints.settle_after = 100
    clock = Clock()
    result = rollout_of(endpoints, clock).apply(
        endpoints.release(TARGET, second), wait=timedelta(minutes=2)
    )
    assert (result.outcome, result.details["timed_out"]) == ("failed", True)
    assert sum(clock.slept) == 120


def test_a_waited_creation_is_verified() -> None:
    endpoints, clock = MemoryEndpoints(settle_after=1), Clock()
    release = endpoints.release(TARGET, "arn:aws:sagemaker:local:0:model-package/g/1")
    result = rollout_of(endpoints, clock).apply(release, wait=timedelta(minutes=10))
    assert (result.outcome, result.verified) == ("created", True)
    assert endpoints.states() == {"shop-prod-churn": ("InService", release.config_name)}


def test_without_wait_the_update_is_started_and_not_polled(
    live: tuple[MemoryEndpoints, str, str],
) -> None:
    endpoints, _, second = live
    clock = Clock()
    result = rollout_of(endpoints, clock).apply(endpoints.release(TARGET, second))
    assert (result.outcome, result.verified, clock.slept) == ("deployed", False, [])


def deploy_target(rollout: dict[str, Any]) -> EndpointTarget:
    """The deploy function's target planned from a spec with this ``serving.rollout``."""
    data = {
        "spec_version": 1,
        "system": {
            "id": "shop",
            "owner": "owner@example.com",
            "region": "eu-west-1",
            "bucket_namespace": "acme",
        },
        "notifications": {"emails": ["a@example.com"]},
        "data_sources": {"ds": {"prefix": "p/", "features": {"x": "numeric"}, "label": "y"}},
        "models": {
            "churn": {
                "training": {
                    "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1",
                    "inputs": ["ds"],
                },
                "serving": {
                    "tier": "realtime",
                    "rollout": rollout,
                    # ten instances: a 10% canary or a 20% step holds whole instances
                    "autoscaling": {"min_instances": 10, "max_instances": 12},
                },
                "monitors": {"lat": {"type": "latency", "threshold_ms": 100, "action": "rollback"}},
            }
        },
    }
    settings = PROD
    deployment = plan(ResolvedSpec(spec=validate_system(data, settings), environment=settings))
    assert deployment.retraining is not None
    function = deployment.retraining.function("deploy")
    assert function is not None
    refs = {"account": "123456789012", "key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k"}
    (target,) = DeployConfig.from_json(render(function.config, refs)).endpoints.values()
    return target


def test_bake_is_the_wait_between_shifts_and_termination_wait_the_old_fleet_s_time() -> None:
    target = deploy_target(
        {
            "strategy": "linear",
            "traffic_percent": 20,
            "bake_minutes": 15,
            "termination_wait_minutes": 5,
        }
    )
    assert (target.traffic.bake_minutes, target.traffic.termination_wait_minutes) == (15, 5)
    request = endpoint_requests.update_request(target, "shop-prod-churn-0123456789ab")
    shape = SAGEMAKER.operation_model("UpdateEndpoint").input_shape
    assert not ParamValidator().validate(request, shape).has_errors()
    policy = request["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"] == {
        "Type": "LINEAR",
        "WaitIntervalInSeconds": 900,
        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 20},
    }
    assert policy["TerminationWaitInSeconds"] == 300
    assert request["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]


def test_every_request_of_a_release_is_valid_for_sagemaker() -> None:
    target = deploy_target({"strategy": "canary", "traffic_percent": 10})
    release = endpoint_requests.release(target, "arn:aws:sagemaker:eu-west-1:1:model-package/g/3")
    operations = {
        "model": "CreateModel",
        "endpoint_config": "CreateEndpointConfig",
        "endpoint": "CreateEndpoint",
        "update": "UpdateEndpoint",
    }
    for key, operation in operations.items():
        shape = SAGEMAKER.operation_model(operation).input_shape
        report = ParamValidator().validate(release.requests[key], shape)
        assert not report.has_errors(), (operation, report.generate_report())
    assert release.requests["update"]["EndpointConfigName"] == release.config_name
    assert release.requests["endpoint_config"]["ProductionVariants"][0]["ModelName"] == (
        release.model_name
    )


def test_the_runtime_doc_examples_run() -> None:
    text = (Path(__file__).parents[2] / "docs" / "runtime.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert any("Rollout(endpoints).apply" in block for block in blocks)
    for block in blocks:
        exec(compile(block, "docs/runtime.md", "exec"), {})


SCALING = {
    "min_capacity": 2,
    "max_capacity": 8,
    "target_invocations_per_instance": 100,
    "scale_in_cooldown_seconds": 300,
    "scale_out_cooldown_seconds": 60,
    "policy_name": "shop-prod-churn-invocations",
}


def test_fixed_size_updates_exclude_the_count_autoscaled_ones_retain_it() -> None:
    """RetainAllVariantProperties keeps DesiredInstanceCount unless it is excluded: a
    fixed-size variant excludes it (the spec's count reaches the fleet), an autoscaled one
    keeps it (the green fleet starts where autoscaling is, not at the minimum)."""
    fixed = endpoint_requests.update_request(TARGET, "shop-prod-churn-0123456789ab")
    scaled_target = DeployConfig.from_dict(
        {
            "system": "shop",
            "endpoints": {"g": {**_target_dict(), "autoscaling": SCALING}},
        }
    ).endpoints["g"]
    scaled = endpoint_requests.update_request(scaled_target, "shop-prod-churn-0123456789ab")
    shape = SAGEMAKER.operation_model("UpdateEndpoint").input_shape
    for request in (fixed, scaled):
        report = ParamValidator().validate(request, shape)
        assert not report.has_errors(), report.generate_report()
    kinds = SAGEMAKER.shape_for("VariantPropertyType").enum
    assert "DesiredInstanceCount" in kinds  # the name SageMaker knows
    assert fixed["RetainAllVariantProperties"] is True
    assert fixed["ExcludeRetainedVariantProperties"] == [
        {"VariantPropertyType": "DesiredInstanceCount"}
    ]
    assert scaled["RetainAllVariantProperties"] is True
    assert "ExcludeRetainedVariantProperties" not in scaled


def _target_dict() -> dict[str, Any]:
    return {
        "model_id": TARGET.model_id,
        "endpoint_name": TARGET.endpoint_name,
        "execution_role_arn": TARGET.execution_role_arn,
        "instance_type": TARGET.instance_type,
        "initial_instance_count": TARGET.initial_instance_count,
    }
