"""Training plan: pipeline definition, role, gate, schedule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mlops_runtime.config import EvaluateConfig
from mlops_spec.plan.errors import PlanError
from tests.plan.conftest import PROD, example, full, mini


def _steps(definition: str) -> dict[str, Any]:
    steps: dict[str, Any] = {}

    def collect(items: list[dict[str, Any]]) -> None:
        for step in items:
            steps[step["Name"]] = step
            collect(step.get("Arguments", {}).get("IfSteps", []))
            collect(step.get("Arguments", {}).get("ElseSteps", []))

    collect(json.loads(definition)["Steps"])
    return steps


def test_churn_pipeline_trains_evaluates_gates_and_registers() -> None:
    training = example("churn", "prod").training_for("churn-classifier")
    document = json.loads(training.definition)
    assert [s["Name"] for s in document["Steps"]] == ["Train", "Evaluate", "CheckGate"]
    assert document["Parameters"] == [
        {"Name": "TriggerReason", "Type": "String", "DefaultValue": "manual"}
    ]
    steps = _steps(training.definition)
    train = steps["Train"]["Arguments"]
    assert train["EnableManagedSpotTraining"] is True
    assert train["StoppingCondition"] == {
        "MaxRuntimeInSeconds": 5400,
        "MaxWaitTimeInSeconds": 10800,
    }
    assert train["HyperParameters"] == {"max_depth": "6", "n_estimators": "300"}
    assert train["Environment"] == {"SAGEMAKER_PROGRAM": "train.py"}
    assert train["InputDataConfig"][0]["ChannelName"] == "customer-events"
    assert train["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == (
        "s3://acme-churn-prod-data-customer-events-eu-west-1/events/"
    )
    assert train["RoleArn"] == "arn:aws:iam::${account}:role/churn-prod-churn-classifier-train"
    assert train["OutputDataConfig"]["KmsKeyId"] == "${key_arn}"
    assert train["CheckpointConfig"]["S3Uri"].endswith("/models/churn-classifier/checkpoints")
    condition = steps["CheckGate"]["Arguments"]["Conditions"][0]
    assert condition["LeftValue"]["Std:JsonGet"]["Path"] == "gate.passed"
    assert condition["RightValue"] is True
    assert steps["GateFailed"]["Type"] == "Fail"
    register = steps["Register"]["Arguments"]
    assert register["ModelApprovalStatus"] == "PendingManualApproval"
    assert register["ModelPackageGroupName"] == "churn-prod-churn-classifier"
    assert register["InferenceSpecification"]["SupportedRealtimeInferenceInstanceTypes"] == [
        "ml.c5.large"
    ]


def test_evaluation_step_runs_the_runtime_with_its_config() -> None:
    training = example("churn", "dev").training_for("churn-classifier")
    evaluate = _steps(training.definition)["Evaluate"]
    args = evaluate["Arguments"]
    assert args["AppSpecification"]["ImageUri"] == (
        "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    )
    assert "python3 -m mlops_runtime.evaluate" in args["AppSpecification"]["ContainerEntrypoint"][2]
    config = EvaluateConfig.from_json(args["Environment"]["MLOPS_RUNTIME_CONFIG"])
    assert (config.task, config.label, config.gate.metric, config.gate.min_value) == (
        "classification",
        "churned",
        "auc",
        0.78,
    )
    assert config.gate.min_improvement == 0.002
    assert config.model_package_group == "churn-dev-churn-classifier"
    assert evaluate["PropertyFiles"] == [
        {
            "PropertyFileName": "EvaluationReport",
            "OutputName": "evaluation",
            "FilePath": "evaluation.json",
        }
    ]
    inputs = {i["InputName"]: i["S3Input"]["LocalPath"] for i in args["ProcessingInputs"]}
    assert inputs == {
        "code": "/opt/ml/processing/code",
        "model": "/opt/ml/processing/model",
        "holdout": "/opt/ml/processing/holdout",
    }


def test_dev_auto_approval_and_regression_gate() -> None:
    churn_dev = _steps(example("churn", "dev").training_for("churn-classifier").definition)
    assert churn_dev["Register"]["Arguments"]["ModelApprovalStatus"] == "Approved"
    bt = full("prod").training_for("bt")  # development presets force spot
    assert bt.gate and bt.gate.task == "regression" and bt.gate.max_value == 10
    assert bt.spot is False and bt.max_wait_seconds is None and bt.checkpoint_uri is None
    train = _steps(bt.definition)["Train"]["Arguments"]
    assert "MaxWaitTimeInSeconds" not in train["StoppingCondition"]
    assert "CheckpointConfig" not in train


def test_without_a_gate_the_candidate_is_registered_directly() -> None:
    la = full().training_for("la")
    assert la.gate is None
    assert [s["Name"] for s in json.loads(la.definition)["Steps"]] == ["Train", "Register"]


def test_hyperparameters_are_strings_and_multi_instance_traffic_is_encrypted() -> None:
    rt = full("prod").training_for("rt")  # development presets use one instance
    assert dict(rt.hyperparameters) == {
        "balanced": "true",
        "depth": "6",
        "eta": "0.1",
        "name": "rt",
    }
    assert _steps(rt.definition)["Train"]["Arguments"]["EnableInterContainerTrafficEncryption"]


def test_schedules_are_paused_in_development() -> None:
    dev = example("churn", "dev").training_for("churn-classifier").schedule
    prod = example("churn", "prod").training_for("churn-classifier").schedule
    assert dev and prod
    assert (dev.state, prod.state) == ("DISABLED", "ENABLED")
    assert prod.expression == "cron(0 3 ? * MON *)"
    assert prod.target_arn == "arn:aws:scheduler:::aws-sdk:sagemaker:startPipelineExecution"
    assert json.loads(prod.input) == {
        "PipelineName": "churn-prod-churn-classifier-train",
        "PipelineParameters": [{"Name": "TriggerReason", "Value": "schedule"}],
        "PipelineExecutionDescription": "churn-prod/churn-classifier: scheduled retraining",
    }


def test_scheduler_role_starts_exactly_the_models_pipelines() -> None:
    deployment = full("prod")
    rt = deployment.training_for("rt")
    assert rt.scheduler_role is not None
    (statement,) = rt.scheduler_role.policy.statements
    assert statement.actions == ("sagemaker:StartPipelineExecution",)
    assert {r.rsplit("/", 1)[1] for r in statement.resources} == {
        "full-prod-rt-train",
        "full-prod-rt-monitor",
    }
    assert rt.scheduler_role.trust.statements[0].conditions[0].key == "aws:SourceAccount"
    assert deployment.training_for("reg").scheduler_role is None


def test_kubernetes_training_is_refused_with_the_spec_path() -> None:
    with pytest.raises(PlanError, match=r"models\.mm\.training\.platform"):
        mini(
            training={
                "platform": "kubernetes",
                "image": "r.example.com/m:1",
                "cpu": 2,
                "memory_gib": 4,
                "inputs": ["ds"],
            }
        )


def test_a_gate_needs_a_label_on_the_first_input() -> None:
    changes = {"data_sources": {"ds": {"features": {"x": "numeric"}}}}
    with pytest.raises(PlanError, match="label"):
        mini(
            changes,
            training={
                "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1",
                "inputs": ["ds"],
                "gate": {"metric": "auc", "min": 0.5},
            },
            settings=PROD,
        )
