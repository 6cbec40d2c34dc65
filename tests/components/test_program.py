"""The real program under mocks: components, counts, outputs contract, rendered documents."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from mlops_spec.outputs import parse
from tests.components.conftest import STACKS, Stack

pytestmark = pytest.mark.xdist_group("components")

COMPONENTS = {
    "mlops:storage:Storage",
    "mlops:registry:Registry",
    "mlops:monitoring:Monitoring",
    "mlops:training:Training",
    "mlops:serving:Serving",
    "mlops:monitoring_job:MonitoringJob",
    "mlops:retraining:Retraining",
    "mlops:system:MlSystem",
    "mlops:k8s:Cluster",
    "mlops:k8s:Loop",
    "mlops:k8s:KubernetesServing",
    "mlops:k8s:Monitors",
}


# buckets, pipelines, schedules, metric alarms, health alarms, endpoints, functions, rules
COUNTS = {  # churn: 13 metric alarms and 3 functions with the webhook notifier's
    # every stack: the pipeline-failure rule and its dead-letter queue's alarm, and one alarm
    # per schedule (its dead-letter queue's); churn and ltv: a bucket for a gate's holdout
    "churn-dev": (7, 2, 2, 13, 1, 0, 3, 4),
    "churn-staging": (7, 2, 2, 13, 1, 0, 3, 4),
    "churn-prod": (7, 2, 2, 13, 1, 0, 3, 4),
    "ltv-dev": (6, 4, 3, 8, 2, 0, 2, 5),  # lifetime-value's batch monitoring pipeline
    "ltv-prod": (6, 4, 3, 8, 2, 1, 1, 3),
    "full-dev": (6, 9, 4, 17, 3, 2, 2, 6),
    "full-prod": (6, 9, 4, 17, 3, 2, 2, 6),
    # served and monitored on the cluster: the AWS side trains (a pipeline and its schedule per
    # model, the new-data rule) and alarms only on its dead-letter queues; no endpoint, no
    # deploy function
    # the classifier trains on the cluster: no holdout bucket, pipeline, schedule or its DLQ alarm
    "churn-k8s-dev": (6, 1, 1, 3, 0, 0, 1, 2),  # 6: the cluster's gate has a holdout bucket too
    "churn-k8s-prod": (6, 1, 1, 3, 0, 0, 1, 2),
}
COUNTED = (
    "aws:s3/bucket:Bucket",
    "aws:sagemaker/pipeline:Pipeline",
    "aws:scheduler/schedule:Schedule",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm",
    "pulumi-python:dynamic/mlops:Endpoint",  # pinned endpoints (the one rollout's resource)
    "aws:lambda/function:Function",
    "aws:cloudwatch/eventRule:EventRule",
)


@pytest.mark.parametrize("key", STACKS)
def test_resource_counts(stacks: dict[str, Stack], key: str) -> None:
    counts = stacks[key].doc.counts_by_type()
    assert tuple(counts.get(t, 0) for t in COUNTED) == COUNTS[key]


def test_full_prod_serving_resources(stacks: dict[str, Stack]) -> None:
    counts = stacks["full-prod"].doc.counts_by_type()
    expected = {
        "aws:sagemaker/model:Model": 0,  # the pinned endpoints' rollout creates them
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration": 0,
        "aws:appautoscaling/target:Target": 0,
        "pulumi-python:dynamic/mlops:Endpoint": 2,
        "pulumi-python:dynamic/mlops:EndpointTeardown": 1,
        "mlops:serving:Serving": 5,
        "mlops:monitoring_job:MonitoringJob": 1,
        "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": 1,
        "aws:s3/bucketNotification:BucketNotification": 1,
        "aws:sns/topicSubscription:TopicSubscription": 2,
    }
    assert {t: counts.get(t, 0) for t in expected} == expected


@pytest.mark.parametrize("key", STACKS)
def test_every_resource_belongs_to_a_component(stacks: dict[str, Stack], key: str) -> None:
    doc = stacks[key].doc
    by_urn = {r.urn: r for r in doc.resources}
    for resource in doc.resources:
        if resource.custom:
            assert resource.parent in by_urn, resource.urn
            assert by_urn[resource.parent].type in COMPONENTS, resource.urn
        else:
            assert resource.type in COMPONENTS
    urns = Counter(r.urn for r in doc.resources)
    assert max(urns.values()) == 1


@pytest.mark.parametrize("key", STACKS)
def test_no_placeholder_survives_rendering(stacks: dict[str, Stack], key: str) -> None:
    text = stacks[key].doc.to_json()
    assert "${account}" not in text and "${key_arn}" not in text
    for resource in stacks[key].of_type("aws:sagemaker/pipeline:Pipeline"):
        definition = json.loads(resource.inputs["pipelineDefinition"])
        assert definition["Version"] == "2020-12-01"
        assert resource.inputs["pipelineDisplayName"] == resource.inputs["pipelineName"]


@pytest.mark.parametrize("key", STACKS)
def test_outputs_follow_the_contract(stacks: dict[str, Stack], key: str) -> None:
    stack = stacks[key]
    outputs = parse(stack.doc.outputs)
    assert (outputs.system, outputs.environment) == (stack.plan.system, stack.stack)
    assert set(outputs.models) == set(stack.plan.models)
    endpoints = {
        r.inputs["endpointName"] for r in stack.of_type("pulumi-python:dynamic/mlops:Endpoint")
    }
    for model_id, model in outputs.models.items():
        serving = stack.plan.serving_for(model_id)
        assert model.serving_tier == (serving.tier if serving else None)
        if model.endpoint_owner == "pulumi":
            assert model.endpoint_name in endpoints
        if serving and serving.endpoint:
            assert model.endpoint_name == serving.endpoint.name
            assert model.endpoint_arn and model.endpoint_arn.endswith(serving.endpoint.name)
    buckets = {r.inputs["bucket"] for r in stack.of_type("aws:s3/bucket:Bucket")}
    assert set(outputs.buckets.values()) == buckets


def test_runtime_code_archive_holds_the_runtime_and_drift_engine(stacks: dict[str, Stack]) -> None:
    (code,) = [
        o
        for o in stacks["churn-dev"].of_type("aws:s3/bucketObjectv2:BucketObjectv2")
        if "source" in o.inputs
    ]
    files = code.inputs["source"]["archive"]["assets"]
    assert "mlops_runtime/evaluate.py" in files and "mlops_runtime/drift/compare.py" in files
    assert "mlops_runtime/contract/config.py" in files and not any(
        "__pycache__" in f for f in files
    )
    assert not any(f.startswith("mlops_spec/") for f in files)  # the data plane alone
    assert all(not a["asset"]["path"].startswith("/") for a in files.values())
    assert code.inputs["key"] == "code/mlops_runtime.zip"
    assert code.inputs["serverSideEncryption"] == "aws:kms"


def test_a_bad_spec_fails_the_program_as_a_user_error(root: Path) -> None:
    """Under `pulumi up` the program reports spec problems as a RunError (no traceback)."""
    from mlops_preview import PreviewError, preview_project

    bad = root / "tests/spec/corpus/bad/tier_typo.yaml"
    with pytest.raises(PreviewError) as caught:
        preview_project(root, "dev", config={"spec": str(bad)})
    message = str(caught.value)
    assert "RunError" in message and "unknown tier (got 'realtme'" in message
