"""The endpoint teardown: ``pulumi destroy`` deletes what the stack's deploy function created,
and only that. On SageMaker in memory (the deploy function's own rollout creates the
endpoints) and once through boto3 on moto, whose ListEndpoints/ListEndpointConfigs/ListModels,
ListTags and Delete* behave as SageMaker's (in-process ``mock_aws``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from mlops_components.endpoint_admin import aws_backends
from mlops_components.endpoint_provider import EndpointInputs, target_data
from mlops_components.teardown import TeardownProvider
from mlops_runtime.aws.endpoint_requests import release
from mlops_runtime.contract.config import AutoscalingTarget, EndpointTarget
from mlops_runtime.core.ports import EndpointDeployer
from mlops_runtime.core.rollout import Rollout
from mlops_spec.plan import DeploymentPlan
from mlops_spec.plan.documents import render
from mlops_spec.plan.serving import endpoint_target
from tests.components.endpoint_fakes import FakeSageMaker
from tests.plan.conftest import PROD, REFS, mini

PACKAGE = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/mini-dev-mm/{}"
TEARDOWN = {
    "region": "eu-west-1",
    "prefix": "mini-dev",
    "tags": {"system": "mini", "environment": "dev", "mlops:endpoint-owner": "deploy-function"},
    "endpoints": ["mini-dev-mm"],
}
SCALING = AutoscalingTarget(
    min_capacity=1,
    max_capacity=2,
    target_invocations_per_instance=100.0,
    scale_in_cooldown_seconds=300,
    scale_out_cooldown_seconds=60,
    policy_name="mini-dev-mm-invocations",
)


def target(deployment: DeploymentPlan, model: str = "mm") -> EndpointTarget:
    """The planned target, with the account and key filled in as the deploy function sees it."""
    serving = deployment.serving_for(model)
    assert serving is not None
    planned = endpoint_target(serving, deployment.policy, deployment.partition)
    data = json.loads(render(json.dumps(target_data(planned)), REFS))
    props = {"endpointName": "-", "region": "-", "packageArn": "-", "waitMinutes": 1}
    return EndpointInputs.parse({**props, "target": data}).target


def latest(**changes: Any) -> DeploymentPlan:
    return mini(serving={"tier": "realtime", **changes})


def pinned_target() -> EndpointTarget:
    """A pinned endpoint of the same stack (tagged ``mlops:endpoint-owner: pulumi``)."""
    pinned = target(mini(serving={"tier": "realtime", "model_version": {"pinned": 4}}))
    return replace(pinned, endpoint_name="mini-dev-pinned")


def deployed(endpoints: EndpointDeployer, release_target: EndpointTarget, version: int) -> None:
    """What the deploy function does on an approval of package ``version``."""
    Rollout(endpoints).apply(endpoints.release(release_target, PACKAGE.format(version)))


def test_create_and_update_call_nothing() -> None:
    aws = FakeSageMaker()
    provider = TeardownProvider(aws.backends)
    created = provider.create(dict(TEARDOWN))
    assert created.id == "mini-dev-endpoint-teardown" and created.outs == TEARDOWN
    more = {**TEARDOWN, "endpoints": ["mini-dev-mm", "mini-dev-other"]}
    assert provider.update(created.id, TEARDOWN, more).outs == more
    assert aws.calls == [] and aws.regions == []


def test_its_diff_never_replaces_it() -> None:
    """A replacement would run the delete: every change is an update in place."""
    provider = TeardownProvider()
    for changed in ({"prefix": "mini-staging"}, {"region": "us-east-1"}, {"endpoints": []}):
        diff = provider.diff("x", TEARDOWN, {**TEARDOWN, **changed})
        assert (diff.changes, diff.replaces) == (True, [])
    assert provider.diff("x", TEARDOWN, dict(TEARDOWN)).changes is False


def test_delete_removes_what_this_stack_s_deploy_function_created_and_nothing_else() -> None:
    aws = FakeSageMaker()
    ours = target(latest())
    deployed(aws, ours, 3)
    deployed(aws, ours, 4)  # a second approval: a second model and config
    aws.describe("mini-dev-mm")  # the update ends
    aws.apply_autoscaling("mini-dev-mm", "AllTraffic", SCALING)
    pinned_release = release(pinned_target(), PACKAGE.format(4))
    aws.serve(pinned_release)  # Pulumi's, in the same stack
    other = target(latest(), "mm")
    other = replace(other, endpoint_name="mini-prod-mm", tags={**other.tags, "environment": "prod"})
    deployed(aws, other, 3)
    TeardownProvider(aws.backends).delete("mini-dev-endpoint-teardown", dict(TEARDOWN))
    assert sorted(aws.endpoints) == ["mini-dev-pinned", "mini-prod-mm"]
    assert len(aws.operations("delete_endpoint_config")) == 2
    assert len(aws.operations("delete_model")) == 2
    assert sorted(aws.revisions) == sorted(
        [pinned_release.config_name, release(other, PACKAGE.format(3)).config_name]
    )
    assert aws.calls.index(("deregister_scalable_target", "mini-dev-mm")) < aws.calls.index(
        ("delete_endpoint", "mini-dev-mm")
    )
    assert aws.regions == ["eu-west-1"]


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def test_delete_through_boto3_finds_by_tags_and_deletes(moto: None) -> None:
    endpoints, _ = aws_backends("eu-west-1")
    deployed(endpoints, target(latest()), 3)
    # a later approval's model and config (moto has no UpdateEndpoint: prepared only)
    endpoints.prepare(endpoints.release(target(latest()), PACKAGE.format(4)))
    pinned = pinned_target()
    deployed(endpoints, pinned, 4)  # Pulumi's, in the same stack
    production = target(mini(serving={"tier": "realtime"}, settings=PROD))
    deployed(endpoints, production, 3)  # another stack
    sagemaker = boto3.client("sagemaker", region_name="eu-west-1")
    assert len(sagemaker.list_endpoint_configs()["EndpointConfigs"]) == 4
    TeardownProvider().delete("mini-dev-endpoint-teardown", dict(TEARDOWN))
    left = sorted(e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"])
    configs = {
        c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
    }
    models = {m["ModelName"] for m in sagemaker.list_models()["Models"]}
    kept = [release(pinned, PACKAGE.format(4)), release(production, PACKAGE.format(3))]
    assert left == sorted([pinned.endpoint_name, production.endpoint_name])
    assert configs == {k.config_name for k in kept} and models == {k.model_name for k in kept}
