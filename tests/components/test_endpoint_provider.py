"""The pinned endpoint's dynamic provider, called as the engine calls it (create, update, diff,
delete), on SageMaker in memory: the one rollout, verification, adoption, autoscaling around
an instance-type change, cleanup only after verification. No test waits (injected clock).

Props are built from a planned spec as the Serving component builds them, with every number a
float as the engine sends it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from pulumi.runtime.rpc import UNKNOWN

from mlops_components.endpoint_admin import SageMakerAdmin
from mlops_components.endpoint_provider import (
    EndpointInputs,
    EndpointProvider,
    RolloutError,
    target_data,
)
from mlops_runtime.aws.endpoint_requests import release
from mlops_runtime.aws.endpoints import SageMakerEndpoints
from mlops_spec.plan import DeploymentPlan
from mlops_spec.plan.documents import render
from mlops_spec.plan.serving import endpoint_target
from tests.components.endpoint_fakes import Clock, FakeSageMaker
from tests.plan.conftest import REFS, mini

FIXED = {"min_instances": 1, "max_instances": 1}
PINNED = {"tier": "realtime", "model_version": {"pinned": 4}, "autoscaling": FIXED}
SCALED = {**PINNED, "autoscaling": {"min_instances": 1, "max_instances": 3}}
NAME = "mini-dev-mm"


def _floats(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return value


def props(deployment: DeploymentPlan, package: str | None = None) -> dict[str, Any]:
    """The inputs the Serving component gives model ``mm``'s resource, rendered as `pulumi up`
    would; ``package`` for a ``latest_approved`` plan (which pins none)."""
    serving = deployment.serving_for("mm")
    assert serving and serving.endpoint
    target = endpoint_target(serving, deployment.policy, deployment.partition)
    return _floats(
        {
            "endpointName": serving.endpoint.name,
            "region": deployment.region,
            "packageArn": package or render(str(serving.endpoint.package_arn), REFS),
            "target": json.loads(render(json.dumps(target_data(target)), REFS)),
            "waitMinutes": serving.endpoint.wait_minutes or 45,
        }
    )


def names(inputs: dict[str, Any]) -> tuple[str, str]:
    """(model, config) names the rollout gives these inputs."""
    parsed = EndpointInputs.parse(inputs)
    built = release(parsed.target, parsed.package_arn)
    return built.model_name, built.config_name


@pytest.fixture
def aws() -> FakeSageMaker:
    return FakeSageMaker(settle_after=2)


@pytest.fixture
def provider(aws: FakeSageMaker) -> EndpointProvider:
    clock = Clock()
    return EndpointProvider(aws.backends, now=clock.now, sleep=clock.sleep, poll_seconds=30)


def created(provider: EndpointProvider, inputs: dict[str, Any]) -> dict[str, Any]:
    result = provider.create(inputs)
    assert result.id == inputs["endpointName"]
    assert result.outs is not None
    return result.outs


def test_create_builds_model_config_and_endpoint_and_waits_until_it_serves_them(
    aws: FakeSageMaker, provider: EndpointProvider
) -> None:
    inputs = props(mini(serving=PINNED))
    outs = created(provider, inputs)
    model, config = names(inputs)
    assert (outs["modelName"], outs["endpointConfigName"]) == (model, config)
    assert aws.states()[NAME] == ("InService", config)
    assert [op for op, _ in aws.calls] == [
        "create_model",
        "create_endpoint_config",
        "create_endpoint",
    ]
    assert aws.regions == ["eu-west-1"]  # the plan's region
    assert aws.tags[("endpoint", NAME)]["mlops:endpoint-owner"] == "pulumi"
    assert {k: outs[k] for k in inputs} == inputs  # the inputs are recorded as given


def test_create_registers_autoscaling_once_the_endpoint_is_in_service(
    aws: FakeSageMaker, provider: EndpointProvider
) -> None:
    created(provider, props(mini(serving=SCALED)))
    scaling = aws.scaling[(NAME, "AllTraffic")]
    assert (scaling.min_capacity, scaling.max_capacity) == (1, 3)
    assert aws.operations("register_scalable_target") == [NAME]


def test_create_adopts_an_existing_endpoint_by_name_and_updates_it(
    aws: FakeSageMaker, provider: EndpointProvider
) -> None:
    """A stack moving from the aws.sagemaker resources (or from latest_approved) keeps its
    endpoint: the first create updates it blue/green, never creates or replaces it."""
    package = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/mini-dev-mm/3"
    deployed = EndpointInputs.parse(props(mini(serving={"tier": "realtime"}), package))
    old = release(deployed.target, deployed.package_arn)
    aws.serve(old)  # what the deploy function left
    assert aws.tags[("endpoint", NAME)]["mlops:endpoint-owner"] == "deploy-function"
    inputs = props(mini(serving=PINNED))
    outs = created(provider, inputs)
    assert aws.operations("create_endpoint") == []
    assert aws.operations("update_endpoint") == [outs["endpointConfigName"]]
    assert aws.states()[NAME] == ("InService", outs["endpointConfigName"])
    assert aws.tags[("endpoint", NAME)]["mlops:endpoint-owner"] == "pulumi"  # teardown skips it
    # the adopted config and model are retired once the new ones are verified
    assert aws.operations("delete_endpoint_config") == [old.config_name]
    assert aws.operations("delete_model") == [old.model_name]


def test_an_update_that_is_rolled_back_fails_naming_the_alarm_and_keeps_the_old_config(
    aws: FakeSageMaker, provider: EndpointProvider
) -> None:
    before = props(mini(serving=PINNED))
    outs = created(provider, before)
    after = props(mini(serving={**PINNED, "model_version": {"pinned": 5}}))
    aws.next_ending, aws.firing = "roll-back", {"mini-dev-mm-lat"}
    with pytest.raises(RolloutError) as failure:
        provider.update(NAME, outs, after)
    message = str(failure.value)
    assert "rolled back" in message and "mini-dev-mm-lat" in message
    assert "model-package/mini-dev-mm/5" in message
    new_model, new_config = names(after)
    assert aws.states()[NAME] == ("InService", outs["endpointConfigName"])
    assert outs["endpointConfigName"] in aws.revisions and outs["modelName"] in aws.models
    assert new_config not in aws.revisions and new_model not in aws.models  # the unused ones go


def test_a_verified_update_retires_the_previous_config_and_model_only_afterwards(
    aws: FakeSageMaker, provider: EndpointProvider
) -> None:
    outs = created(provider, props(mini(serving=PINNED)))
    after = props(mini(serving={**PINNED, "model_version": {"pinned": 5}}))
    updated = provider.update(NAME, outs, after).outs
    assert updated is not None
    order = [call for call in aws.calls if call[0] in ("update_endpoint", "delete_endpoint_config")]
    assert order == [
        ("update_endpoint", updated["endpointConfigName"]),
        ("delete_endpoint_config", outs["endpointConfigName"]),
    ]
    assert aws.operations("delete_model") == [outs["modelName"]]
    assert aws.states()[NAME] == ("InService", updated["endpointConfigName"])


def test_an_instance_type_change_of_an_autoscaled_endpoint_deregisters_then_registers(
    aws: FakeSageMaker, provider: EndpointProvider
) -> None:
    outs = created(provider, props(mini(serving=SCALED)))
    bigger = props(mini(serving={**SCALED, "instance_type": "ml.m5.xlarge"}))
    provider.update(NAME, outs, bigger)  # the fake refuses the update while still registered
    steps = [op for op, _ in aws.calls if "scalable" in op or op == "update_endpoint"]
    assert steps == [
        "register_scalable_target",  # at create
        "deregister_scalable_target",
        "update_endpoint",
        "register_scalable_target",
    ]
    assert (NAME, "AllTraffic") in aws.scaling


def test_a_rollback_monitor_change_updates_in_place_without_touching_the_endpoint(
    aws: FakeSageMaker, provider: EndpointProvider
) -> None:
    before = props(mini(serving=PINNED))
    outs = created(provider, before)
    after = props(mini(serving=PINNED, monitors={}))
    assert after["target"]["rollback_alarms"] != before["target"]["rollback_alarms"]
    diff = provider.diff(NAME, outs, after)
    assert (diff.changes, diff.replaces) == (True, [])
    calls = len(aws.calls)
    updated = provider.update(NAME, outs, after).outs
    assert updated and updated["endpointConfigName"] == outs["endpointConfigName"]
    assert [op for op, _ in aws.calls[calls:]] == ["add_tags"]  # no UpdateEndpoint


def test_only_the_endpoint_name_or_region_replace_it(provider: EndpointProvider) -> None:
    before = props(mini(serving=PINNED))
    assert provider.diff(NAME, before, before).changes is False
    for changed in (
        {**before, "packageArn": before["packageArn"].replace("/4", "/5")},
        {**before, "target": {**before["target"], "instance_type": "ml.m5.xlarge"}},
        {**before, "waitMinutes": 90.0},
    ):
        diff = provider.diff(NAME, before, changed)
        assert (diff.changes, diff.replaces) == (True, [])
    renamed = provider.diff(NAME, before, {**before, "endpointName": "mini-dev-other"})
    assert renamed.replaces == ["endpointName"] and renamed.delete_before_replace is False
    moved = provider.diff(NAME, before, {**before, "region": "us-east-1"})
    assert moved.replaces == ["region"]


def test_delete_removes_the_endpoint_its_scaling_configs_and_models(
    aws: FakeSageMaker, provider: EndpointProvider
) -> None:
    outs = created(provider, props(mini(serving=SCALED)))
    provider.delete(NAME, outs)
    assert NAME not in aws.endpoints and not aws.scaling
    assert aws.operations("delete_endpoint_config") == [outs["endpointConfigName"]]
    assert aws.operations("delete_model") == [outs["modelName"]]
    assert aws.calls.index(("deregister_scalable_target", NAME)) < aws.calls.index(
        ("delete_endpoint", NAME)
    )


def test_a_rollout_that_outlasts_the_wait_fails_saying_it_may_still_finish(
    provider: EndpointProvider,
) -> None:
    slow = FakeSageMaker(settle_after=10_000)
    clock = Clock()
    waiting = EndpointProvider(slow.backends, now=clock.now, sleep=clock.sleep, poll_seconds=60)
    inputs = props(mini(serving=PINNED))
    with pytest.raises(RolloutError, match=r"did not end within 1:05:00.*may still finish"):
        waiting.create(inputs)
    assert clock.naps == 65  # polled once a minute for the planned 65 minutes


def test_check_reports_a_bad_target_on_the_target_input(provider: EndpointProvider) -> None:
    inputs = props(mini(serving=PINNED))
    bad = {**inputs, "target": {**inputs["target"], "initial_instance_count": 0.0}}
    [failure] = provider.check({}, bad).failures
    assert failure.property == "target" and "initial_instance_count" in failure.reason


def test_an_update_through_the_sagemaker_adapter_sends_valid_requests_in_order() -> None:
    """The update path on boto3 clients stubbed with botocore's Stubber (moto has no
    UpdateEndpoint): every request is checked against the service model, in this order."""
    sagemaker = boto3.client("sagemaker", region_name="eu-west-1", **FAKE_KEYS)
    autoscaling = boto3.client("application-autoscaling", region_name="eu-west-1", **FAKE_KEYS)
    cloudwatch = boto3.client("cloudwatch", region_name="eu-west-1", **FAKE_KEYS)
    before = props(mini(serving=PINNED))
    after = props(mini(serving={**PINNED, "model_version": {"pinned": 5}}))
    (old_model, old_config), (new_model, new_config) = names(before), names(after)
    new = EndpointInputs.parse(after)
    built = release(new.target, new.package_arn)
    arn = f"arn:aws:sagemaker:eu-west-1:123456789012:endpoint/{NAME}"
    with Stubber(sagemaker) as sm, Stubber(autoscaling) as aas:
        sm.add_response(
            "describe_endpoint", _endpoint(old_config, "InService"), {"EndpointName": NAME}
        )
        sm.add_response(
            "describe_endpoint", _endpoint(old_config, "InService"), {"EndpointName": NAME}
        )
        tags = [{"Key": k, "Value": v} for k, v in sorted(new.target.tags.items())]
        sm.add_response("add_tags", {"Tags": tags}, {"ResourceArn": arn, "Tags": tags})
        sm.add_response(
            "describe_endpoint_config",
            _config(old_config, old_model),
            {"EndpointConfigName": old_config},
        )
        sm.add_response(
            "describe_model", _model(old_model, before["packageArn"]), {"ModelName": old_model}
        )
        sm.add_client_error(
            "describe_model", "ValidationException", f'Could not find model "{new_model}".'
        )
        sm.add_response("create_model", {"ModelArn": f"{arn}-model"}, built.requests["model"])
        sm.add_client_error(
            "describe_endpoint_config",
            "ValidationException",
            "Could not find endpoint configuration",
        )
        sm.add_response(
            "create_endpoint_config",
            {"EndpointConfigArn": f"{arn}-config"},
            built.requests["endpoint_config"],
        )
        sm.add_response("update_endpoint", {"EndpointArn": arn}, built.requests["update"])
        sm.add_response(
            "describe_endpoint", _endpoint(old_config, "Updating"), {"EndpointName": NAME}
        )
        sm.add_response(
            "describe_endpoint", _endpoint(new_config, "InService"), {"EndpointName": NAME}
        )
        key = {
            "ServiceNamespace": "sagemaker",
            "ResourceIds": [f"endpoint/{NAME}/variant/AllTraffic"],
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        }
        aas.add_response("describe_scalable_targets", {"ScalableTargets": []}, key)
        sm.add_response(
            "describe_endpoint_config",
            _config(old_config, old_model),
            {"EndpointConfigName": old_config},
        )
        sm.add_response("delete_endpoint_config", {}, {"EndpointConfigName": old_config})
        sm.add_response("delete_model", {}, {"ModelName": old_model})
        clock = Clock()
        adapter = (
            SageMakerEndpoints(sagemaker, autoscaling),
            SageMakerAdmin(sagemaker, autoscaling, cloudwatch),
        )
        provider = EndpointProvider(lambda region: adapter, now=clock.now, sleep=clock.sleep)
        outs = provider.update(
            NAME, {**before, "modelName": old_model, "endpointConfigName": old_config}, after
        ).outs
        sm.assert_no_pending_responses()
        aas.assert_no_pending_responses()
    assert outs and (outs["modelName"], outs["endpointConfigName"]) == (new_model, new_config)
    assert clock.naps == 1


FAKE_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def _endpoint(config: str, status: str) -> dict[str, Any]:
    return {
        "EndpointName": NAME,
        "EndpointArn": f"arn:aws:sagemaker:eu-west-1:123456789012:endpoint/{NAME}",
        "EndpointConfigName": config,
        "EndpointStatus": status,
        "CreationTime": WHEN,
        "LastModifiedTime": WHEN,
    }


def _config(config: str, model: str) -> dict[str, Any]:
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": model,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1,
    }
    return {
        "EndpointConfigName": config,
        "EndpointConfigArn": f"arn:aws:sagemaker:eu-west-1:123456789012:endpoint-config/{config}",
        "ProductionVariants": [variant],
        "CreationTime": WHEN,
    }


def _model(model: str, package: str) -> dict[str, Any]:
    return {
        "ModelName": model,
        "ModelArn": f"arn:aws:sagemaker:eu-west-1:123456789012:model/{model}",
        "PrimaryContainer": {"ModelPackageName": package},
        "CreationTime": WHEN,
    }


def test_check_accepts_inputs_a_preview_does_not_know_yet(provider: EndpointProvider) -> None:
    """Before the system key or the role exist, ``pulumi preview`` sends the rendered target as
    unknown: nothing to validate yet, and no error."""
    inputs = props(mini(serving=PINNED))
    for unknown in (
        {**inputs, "target": UNKNOWN},
        {**inputs, "target": {**inputs["target"], "kms_key_id": UNKNOWN}},
    ):
        assert provider.check({}, unknown).failures == []


def test_the_alarms_in_alarm_are_read_with_one_describe_alarms() -> None:
    """What names the alarm that rolled an update back (checked against CloudWatch's model)."""
    cloudwatch = boto3.client("cloudwatch", region_name="eu-west-1", **FAKE_KEYS)
    admin = SageMakerAdmin(None, None, cloudwatch)
    with Stubber(cloudwatch) as cw:
        cw.add_response(
            "describe_alarms",
            {"MetricAlarms": [{"AlarmName": "mini-dev-mm-lat"}]},
            {"AlarmNames": ["mini-dev-mm-lat", "mini-dev-mm-err"], "StateValue": "ALARM"},
        )
        assert admin.alarms_in_alarm(["mini-dev-mm-lat", "mini-dev-mm-err"]) == ("mini-dev-mm-lat",)
    assert admin.alarms_in_alarm([]) == ()  # no call without rollback alarms
