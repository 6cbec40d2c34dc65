"""Rollout limits at load time (issue 8, item 5): steps SageMaker accepts, a whole instance per
step of the smallest fleet a stack runs, and the whole rollout within
MaximumExecutionTimeoutInSeconds, which the plan sets. Located messages:
tests/spec/corpus/bad/rollout_*.yaml."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from pydantic import ValidationError

from mlops_runtime.aws.endpoint_requests import update_request
from mlops_spec.load import validate_system
from mlops_spec.plan.serving import endpoint_target
from tests.plan.conftest import DEV, MINIMAL, PROD, example, full, mini

SAGEMAKER = botocore.session.get_session().get_service_model("sagemaker")


def _problems(serving: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    data = {**MINIMAL, "models": {"mm": {**MINIMAL["models"]["mm"], "serving": serving}}}
    try:
        validate_system(data, PROD)
    except ValidationError as error:
        return [(tuple(e["loc"])[3:], e["msg"]) for e in error.errors()]
    return []


def _realtime(fleet: int, **rollout: Any) -> dict[str, Any]:
    return {
        "tier": "realtime",
        "autoscaling": {"min_instances": fleet, "max_instances": fleet + 2},
        "rollout": rollout,
    }


@pytest.mark.parametrize(
    ("fleet", "rollout"),
    [
        (4, {"strategy": "canary", "traffic_percent": 60}),  # SageMaker: canary <= 50%
        (20, {"strategy": "linear", "traffic_percent": 5}),  # SageMaker: linear 10-50%
        (4, {"strategy": "linear", "traffic_percent": 60}),
        (2, {"strategy": "canary", "traffic_percent": 10}),  # 0.2 of an instance
        (4, {"strategy": "linear", "traffic_percent": 20}),  # 0.8 of an instance
    ],
)
def test_a_step_sagemaker_cannot_run_is_refused_at_its_size(fleet: int, rollout: Any) -> None:
    ((where, message),) = _problems(_realtime(fleet, **rollout))
    assert where == ("rollout", "traffic_percent")
    assert "SageMaker allows" in message or "less than one instance" in message


@pytest.mark.parametrize(
    ("fleet", "rollout"),
    [
        (2, {"strategy": "canary", "traffic_percent": 50}),
        (4, {"strategy": "linear", "traffic_percent": 25}),
        (10, {"strategy": "canary", "traffic_percent": 10}),
        (1, {"strategy": "all_at_once"}),
    ],
)
def test_a_step_of_whole_instances_within_sagemaker_s_bounds_passes(
    fleet: int, rollout: Any
) -> None:
    assert _problems(_realtime(fleet, **rollout)) == []


def test_one_instance_cannot_take_part_of_the_traffic() -> None:
    ((where, message),) = _problems(_realtime(1, strategy="canary", traffic_percent=50))
    assert where == ("rollout", "strategy")
    assert "runs one instance" in message


def test_the_default_canary_is_sized_to_the_fleet() -> None:
    def rollout(fleet: int) -> tuple[str, int]:
        scaling = {"min_instances": fleet, "max_instances": fleet + 1}
        serving = {"tier": "realtime", "autoscaling": scaling}
        plan = mini(serving={**serving, "model_version": {"pinned": 1}})
        endpoint = plan.serving_for("mm").endpoint  # type: ignore[union-attr]
        assert endpoint and endpoint.rollout
        return endpoint.rollout.strategy, endpoint.rollout.step_percent

    assert rollout(1) == ("ALL_AT_ONCE", 10)  # one instance: everything at once
    assert rollout(2) == ("CANARY", 50)  # one of two instances
    assert rollout(3) == ("CANARY", 34)
    assert rollout(20) == ("CANARY", 10)  # the documented 10%


def test_a_rollout_longer_than_sagemaker_allows_is_refused_at_the_bake() -> None:
    # ten 10% steps of an hour each: 20 + 600 + 5 minutes > 480
    serving = _realtime(10, strategy="linear", traffic_percent=10, bake_minutes=60)
    ((where, message),) = _problems(serving)
    assert where == ("rollout", "bake_minutes")
    assert "625 minutes" in message and "480" in message


def test_the_limits_hold_per_stack_after_the_overlay() -> None:
    base = _realtime(4, strategy="linear", traffic_percent=25)
    assert _problems(base) == []
    smaller = {**base, "autoscaling": {"min_instances": 2, "max_instances": 4}}
    assert [w for w, _ in _problems(smaller)] == [("rollout", "traffic_percent")]
    validate_system(  # development runs one instance, all at once (the mode preset)
        {**MINIMAL, "models": {"mm": {**MINIMAL["models"]["mm"], "serving": {
            **base, "autoscaling": {"min_instances": 1, "max_instances": 1},
            "rollout": {"strategy": "all_at_once"}}}}},
        DEV,
    )  # fmt: skip


def test_the_plan_sets_the_rollout_s_timeout_on_both_paths() -> None:
    # latest_approved (churn): canary 50% of 2, two bakes of 15, termination wait 5
    churn = example("churn", "prod").serving_for("churn-classifier")
    assert churn and churn.endpoint and churn.endpoint.rollout
    assert churn.endpoint.rollout.max_rollout_minutes == 20 + 2 * 15 + 5
    # pinned (full rt): linear 50%, two bakes of 5, termination wait 3
    rt = full("prod").serving_for("rt")
    assert rt and rt.endpoint and rt.endpoint.rollout
    budget = rt.endpoint.rollout.max_rollout_minutes
    assert budget == 20 + 2 * 5 + 3
    # pulumi up waits longer than SageMaker's own timeout: SageMaker ends it first
    assert rt.endpoint.wait_minutes is not None and rt.endpoint.wait_minutes > budget
    for served, minutes in ((churn, 55), (rt, budget)):
        target = endpoint_target(served, example("churn", "prod").policy, "aws")
        assert target.traffic.max_rollout_minutes == minutes
        request = update_request(target, "config")
        policy = request["DeploymentConfig"]["BlueGreenUpdatePolicy"]
        assert policy["MaximumExecutionTimeoutInSeconds"] == minutes * 60
        shape = SAGEMAKER.shape_for("BlueGreenUpdatePolicy").members
        limits = shape["MaximumExecutionTimeoutInSeconds"].metadata
        assert limits["min"] <= minutes * 60 <= limits["max"]
        waits = policy["TerminationWaitInSeconds"]
        waits += policy["TrafficRoutingConfiguration"]["WaitIntervalInSeconds"]
        assert policy["MaximumExecutionTimeoutInSeconds"] > waits  # botocore's documentation
