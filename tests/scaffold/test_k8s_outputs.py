"""The churn-k8s stack's outputs under the recording mocks: an application finds in
``kubernetes`` the in-cluster URLs to call, who owns each workload, the cluster's registry and
the loop controller, and each named object is one the program creates."""

from __future__ import annotations

from typing import Any

import pytest

from mlops_spec.outputs import KubernetesOutputs, parse
from tests.components.conftest import Stack


@pytest.fixture(scope="module", params=["prod", "dev"])
def k8s(request: pytest.FixtureRequest) -> tuple[str, Stack, KubernetesOutputs]:
    stack = Stack(f"churn-k8s-{request.param}")
    cluster = parse(stack.doc.outputs).kubernetes
    assert cluster is not None
    return request.param, stack, cluster


def _created(stack: Stack, type_: str, name: str) -> dict[str, Any]:
    (resource,) = [
        r for r in stack.of_type(type_) if r.inputs.get("metadata", {}).get("name") == name
    ]
    inputs: dict[str, Any] = resource.inputs
    return inputs


def test_the_urls_an_application_calls(k8s: tuple[str, Stack, KubernetesOutputs]) -> None:
    env, stack, cluster = k8s
    namespace = "churn-ml" if env == "prod" else "churn-ml-dev"
    assert cluster.namespace == namespace
    realtime = cluster.model("churn-classifier").serving
    assert realtime and realtime.tier == "realtime"
    service = f"churnk-{env}-churn-classifier"
    assert realtime.url == f"http://{service}.{namespace}.svc.cluster.local:80/invocations"
    created = _created(stack, "kubernetes:core/v1:Service", service)  # the clients' port 80
    assert created["metadata"]["namespace"] == namespace
    assert {"name": "http", "port": 80} in [
        {"name": p["name"], "port": p["port"]} for p in created["spec"]["ports"]
    ]
    serverless = cluster.model("retention-offer").serving
    ksvc = f"churnk-{env}-retention-offer"
    assert serverless and serverless.tier == "serverless" and serverless.owner == "pulumi"
    assert serverless.url == f"http://{ksvc}.{namespace}.svc.cluster.local/invocations"
    _created(stack, "kubernetes:serving.knative.dev/v1:Service", ksvc)


def test_who_owns_the_rollout(k8s: tuple[str, Stack, KubernetesOutputs]) -> None:
    """prod follows latest_approved (the controller creates the Rollout from its template);
    dev pins version 1 (Pulumi creates it)."""
    env, stack, cluster = k8s
    serving = cluster.model("churn-classifier").serving
    assert serving and serving.workload == f"churnk-{env}-churn-classifier"
    rollouts = [
        r.inputs["metadata"]["name"]
        for r in stack.of_type("kubernetes:argoproj.io/v1alpha1:Rollout")
    ]
    if env == "prod":
        assert serving.owner == "controller" and rollouts == []
        _created(stack, "kubernetes:core/v1:ConfigMap", f"{serving.workload}-rollout")
    else:
        assert serving.owner == "pulumi" and rollouts == [serving.workload]


def test_the_cluster_trained_model_and_the_controller(
    k8s: tuple[str, Stack, KubernetesOutputs],
) -> None:
    env, stack, cluster = k8s
    outputs = parse(stack.doc.outputs)
    trained = cluster.model("churn-classifier").training
    assert trained is not None
    bucket = f"acme-churnk-{env}-artifacts-eu-west-1"
    assert trained.registry == f"s3://{bucket}/loop/registry/churn-classifier/"
    assert outputs.buckets["artifacts"] == bucket
    _created(stack, "kubernetes:core/v1:ConfigMap", trained.job_template)
    assert trained.schedule is not None
    _created(stack, "kubernetes:batch/v1:CronJob", trained.schedule)
    # SageMaker neither trains nor registers it: no model package group, so not in `models`
    assert "churn-classifier" not in outputs.models
    assert cluster.model("retention-offer").training is None  # SageMaker trains it
    assert "retention-offer" in outputs.models
    controller = cluster.controller
    assert controller is not None and controller.name == f"churnk-{env}-loop"
    assert controller.webhook_url == f"http://{controller.name}.{cluster.namespace}.svc:8080/alerts"
    _created(stack, "kubernetes:apps/v1:Deployment", controller.name)


def test_an_aws_stack_has_no_kubernetes_section() -> None:
    """The section is None on AWS, which Pulumi leaves out of the outputs (a top-level None
    is not exported); the reader reads it back as None."""
    outputs = Stack("churn-dev").doc.outputs
    assert "kubernetes" not in outputs and "models" in outputs
    assert parse(outputs).kubernetes is None


@pytest.mark.parametrize(
    "name",
    [
        "KubernetesOutputs",
        "KubernetesModelOutputs",
        "KubernetesServingOutputs",
        "KubernetesTrainingOutputs",
        "ControllerOutputs",
    ],
)
def test_every_kubernetes_output_is_documented_and_typed_by_the_reader(name: str) -> None:
    from mlops_components import outputs as written
    from mlops_spec import outputs as read
    from tests.scaffold.test_ml_system import _undocumented

    cls = getattr(written, name)
    assert _undocumented(cls) == [] and cls.__annotations__
    assert list(cls.__annotations__) == list(getattr(read, name).__annotations__)
