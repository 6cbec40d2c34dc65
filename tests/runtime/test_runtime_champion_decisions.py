"""The champion lookup and the gate through the in-memory registry (no emulator), and the two
registry adapters no unit wires yet (package metadata writes, SNS notifications) against moto."""

from __future__ import annotations

import json

import pytest
from runtime_support import boto

from mlops_runtime.aws.registry_writes import SageMakerRegistryWriter
from mlops_runtime.aws.sns import SnsNotifier
from mlops_runtime.contract.config import GateConfig
from mlops_runtime.core import gate
from mlops_runtime.core.registry import ChampionLookupError, find_champion
from mlops_runtime.memory.registry import MemoryRegistry

GROUP = "shop-prod-churn"


def test_the_champion_is_the_newest_approved_package_and_keeps_its_metrics() -> None:
    registry = MemoryRegistry()
    registry.register(GROUP, metadata={"mlops:metric.auc": "0.81"}, created_at=10.0)
    newest = registry.register(GROUP, metadata={"mlops:metric.auc": "0.84"}, created_at=20.0)
    registry.register(GROUP, "PendingManualApproval", created_at=30.0)
    registry.register(GROUP, "Rejected", metadata={"mlops:metric.auc": "0.99"}, created_at=40.0)
    champion = find_champion(registry, GROUP)
    assert champion is not None
    assert (champion.model_package_arn, champion.metrics, champion.source) == (
        newest,
        {"auc": 0.84},
        "metadata",
    )


def test_a_tie_in_creation_time_goes_to_the_higher_version() -> None:
    registry = MemoryRegistry()
    registry.register(GROUP, created_at=5.0)
    second = registry.register(GROUP, created_at=5.0)
    champion = find_champion(registry, GROUP)
    assert champion is not None and champion.model_package_arn == second


def test_without_metadata_the_metrics_come_from_the_package_s_report() -> None:
    registry = MemoryRegistry()
    registry.register(GROUP, report={"binary_classification_metrics": {"auc": {"value": 0.8}}})
    champion = find_champion(registry, GROUP)
    assert champion is not None and (champion.metrics, champion.source) == ({"auc": 0.8}, "report")


def test_only_a_group_without_an_approved_package_has_no_champion() -> None:
    registry = MemoryRegistry()
    registry.create_group(GROUP)
    assert find_champion(registry, GROUP) is None
    registry.register(GROUP, "PendingManualApproval")
    assert find_champion(registry, GROUP) is None
    # A group that does not exist is a broken configuration, not "no champion".
    with pytest.raises(ChampionLookupError, match="'unknown' does not exist"):
        find_champion(registry, "unknown")


def test_a_champion_that_cannot_be_read_fails_the_gate() -> None:
    """Comparing with nothing would let a worse candidate through: the gate fails, saying why."""
    registry = MemoryRegistry()
    registry.register(GROUP, report={"metrics": {"auc": 0.9}})
    del registry.reports[next(iter(registry.reports))]  # the champion's report is gone
    with pytest.raises(ChampionLookupError) as raised:
        find_champion(registry, GROUP)
    result = gate.apply(
        GateConfig(metric="auc", min_value=0.5), {"auc": 0.7}, None, str(raised.value)
    )
    assert not result.passed
    assert result.reasons[0].startswith("the champion is unknown")


@pytest.mark.parametrize(
    ("metric", "candidate", "champion", "passed"),
    [
        ("auc", 0.86, 0.84, True),  # beats it by the margin
        ("auc", 0.845, 0.84, False),  # better, but not by 0.01
        ("rmse", 3.0, 3.5, True),  # lower is better
        ("rmse", 3.6, 3.5, False),
    ],
)
def test_the_gate_needs_the_margin_in_the_metric_s_better_direction(
    metric: str, candidate: float, champion: float, passed: bool
) -> None:
    registry = MemoryRegistry()
    registry.register(GROUP, metadata={f"mlops:metric.{metric}": str(champion)})
    found = find_champion(registry, GROUP)
    assert found is not None
    result = gate.apply(
        GateConfig(metric=metric, min_improvement=0.01), {metric: candidate}, found.metrics
    )
    assert result.passed is passed
    assert result.champion_value == champion


def test_a_champion_without_the_gate_metric_is_not_compared() -> None:
    registry = MemoryRegistry()
    registry.register(GROUP, metadata={"mlops:metric.f1": "0.9"})
    found = find_champion(registry, GROUP)
    assert found is not None
    result = gate.apply(GateConfig(metric="auc", min_value=0.7), {"auc": 0.75}, found.metrics)
    assert result.passed
    assert "champion recorded no auc: comparison skipped" in result.reasons


def test_package_metadata_written_through_the_writer_is_what_the_registry_reads() -> None:
    sagemaker = boto("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties={"mlops:verdict": "passed"},
        InferenceSpecification={
            "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    SageMakerRegistryWriter(sagemaker).set_metadata(arn, {"mlops:rollout": "rolled-back"})
    metadata = sagemaker.describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"]
    assert metadata == {"mlops:verdict": "passed", "mlops:rollout": "rolled-back"}


def test_notifications_reach_the_topic_s_subscribers() -> None:
    sns, sqs = boto("sns"), boto("sqs")
    topic = sns.create_topic(Name="shop-prod-alarms")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
    SnsNotifier(sns, topic).notify(
        "churn: rolled back\nafter alarm", "the endpoint serves v3 again"
    )
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    body = json.loads(message["Body"])
    assert (body["Subject"], body["Message"]) == (
        "churn: rolled back after alarm",
        "the endpoint serves v3 again",
    )
