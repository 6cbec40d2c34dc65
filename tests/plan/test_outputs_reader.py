"""The typed reader of ``pulumi stack output --json`` (mlops_spec.outputs)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mlops_spec.outputs import CONTRACT_VERSION, OutputsError, loads, parse, read

OUTPUTS: dict[str, Any] = {
    "contract_version": CONTRACT_VERSION,
    "system": "churn",
    "environment": "prod",
    "region": "eu-west-1",
    "kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k",
    "alarm_topic_arn": "arn:aws:sns:eu-west-1:123456789012:churn-prod-alarms",
    "buckets": {"artifacts": "acme-churn-prod-artifacts-eu-west-1"},
    "models": {
        "churn-classifier": {
            "model_package_group": "churn-prod-churn-classifier",
            "model_package_group_arn": "arn:aws:sagemaker:eu-west-1:123456789012:"
            "model-package-group/churn-prod-churn-classifier",
            "training_pipeline": "churn-prod-churn-classifier-train",
            "dashboard_name": "churn-prod-churn-classifier",
            "health_alarm_name": "churn-prod-churn-classifier-health",
            "serving_tier": "realtime",
            "endpoint_name": "churn-prod-churn-classifier",
            "endpoint_arn": "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/x",
            "endpoint_owner": "deploy-function",
            "batch_pipeline": None,
        }
    },
    "retraining": {
        "table_name": "churn-prod-retraining",
        "dead_letter_queue_url": "https://sqs.eu-west-1.amazonaws.com/123/churn-prod-events-dlq",
        "trigger_function": "churn-prod-retrain-trigger",
        "deploy_function": None,
    },
}


def test_reads_a_complete_document(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(OUTPUTS))
    outputs = read(path)
    model = outputs.model("churn-classifier")
    assert model.endpoint_name == "churn-prod-churn-classifier"
    assert model.batch_pipeline is None and model.endpoint_owner == "deploy-function"
    assert outputs.retraining and outputs.retraining.deploy_function is None
    assert outputs.buckets["artifacts"].startswith("acme-")


def test_missing_keys_are_named_with_their_path() -> None:
    data = copy.deepcopy(OUTPUTS)
    del data["models"]["churn-classifier"]["endpoint_arn"]
    with pytest.raises(OutputsError, match=r"models\.churn-classifier\.endpoint_arn is missing"):
        parse(data)
    with pytest.raises(OutputsError, match="alarm_topic_arn is missing"):
        parse({k: v for k, v in OUTPUTS.items() if k != "alarm_topic_arn"})


def test_wrong_types_versions_and_unknown_models() -> None:
    with pytest.raises(OutputsError, match="should be str"):
        parse({**OUTPUTS, "region": 3})
    with pytest.raises(OutputsError, match="contract version 2"):
        parse({**OUTPUTS, "contract_version": 2})
    assert parse({**OUTPUTS, "contract_version": 1.0}).contract_version == 1
    with pytest.raises(OutputsError, match="no model 'nope'"):
        parse(OUTPUTS).model("nope")
    with pytest.raises(OutputsError, match="not JSON"):
        loads("{")
    assert parse({**OUTPUTS, "retraining": None}).retraining is None
    # Pulumi leaves a top-level None out of the stack outputs
    assert parse({k: v for k, v in OUTPUTS.items() if k != "retraining"}).retraining is None


KUBERNETES: dict[str, Any] = {
    "namespace": "churn-ml",
    "models": {
        "churn-classifier": {
            "serving": {
                "tier": "realtime",
                "url": "http://churnk-prod-churn-classifier.churn-ml.svc.cluster.local:80"
                "/invocations",
                "workload": "churnk-prod-churn-classifier",
                "owner": "controller",
                "batch_output": None,
            },
            "training": {
                "registry": "s3://acme-churnk-prod-artifacts-eu-west-1/loop/registry/"
                "churn-classifier/",
                "job_template": "churnk-prod-churn-classifier-train",
                "schedule": None,
            },
        },
        "scores": {
            "serving": {
                "tier": "batch",
                "url": None,
                "workload": "churnk-prod-scores-batch",
                "owner": "pulumi",
                "batch_output": "s3://acme-churnk-prod-reports-eu-west-1/batch/scores/",
            },
            "training": None,
        },
    },
    "controller": {
        "name": "churnk-prod-loop",
        "webhook_url": "http://churnk-prod-loop.churn-ml.svc:8080/alerts",
    },
}


def test_reads_the_kubernetes_section() -> None:
    cluster = parse({**OUTPUTS, "kubernetes": KUBERNETES}).kubernetes
    assert cluster is not None and cluster.namespace == "churn-ml"
    served = cluster.model("churn-classifier").serving
    assert served and served.url and served.url.endswith(".svc.cluster.local:80/invocations")
    assert served.owner == "controller"
    trained = cluster.model("churn-classifier").training
    assert trained and trained.registry.endswith("/registry/churn-classifier/")
    assert trained.schedule is None
    batch = cluster.model("scores")
    assert batch.training is None and batch.serving and batch.serving.url is None
    assert batch.serving.batch_output == "s3://acme-churnk-prod-reports-eu-west-1/batch/scores/"
    assert cluster.controller and cluster.controller.name == "churnk-prod-loop"
    with pytest.raises(OutputsError, match="no model 'nope'"):
        cluster.model("nope")


def test_the_kubernetes_section_is_null_on_aws_and_absent_before_it_existed() -> None:
    assert parse({**OUTPUTS, "kubernetes": None}).kubernetes is None
    assert "kubernetes" not in OUTPUTS and parse(OUTPUTS).kubernetes is None  # additive: v1
    no_loop = parse({**OUTPUTS, "kubernetes": {**KUBERNETES, "controller": None}}).kubernetes
    assert no_loop and no_loop.controller is None


def test_kubernetes_keys_are_checked_with_their_path() -> None:
    data = copy.deepcopy({**OUTPUTS, "kubernetes": KUBERNETES})
    del data["kubernetes"]["models"]["churn-classifier"]["serving"]["url"]
    with pytest.raises(
        OutputsError, match=r"kubernetes\.models\.churn-classifier\.serving\.url is missing"
    ):
        parse(data)
    data = copy.deepcopy({**OUTPUTS, "kubernetes": KUBERNETES})
    data["kubernetes"]["models"]["scores"]["training"] = "yes"
    with pytest.raises(OutputsError, match=r"kubernetes\.models\.scores\.training should be"):
        parse(data)
    with pytest.raises(OutputsError, match="kubernetes should be an object"):
        parse({**OUTPUTS, "kubernetes": []})
