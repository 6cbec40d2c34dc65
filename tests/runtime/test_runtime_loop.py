"""The whole retraining loop against one moto server, each runtime unit playing its real part.

Captured traffic drifts -> the monitoring job publishes metrics and a report -> the drift alarm
fires -> the trigger starts the retraining pipeline -> the candidate is evaluated against the
champion -> it is registered approved or rejected -> an approval rolls the endpoint onto it.
The first approved model is deployed the way a new system's is: the deploy function creates the
endpoint, and the profile job writes the reference profile the monitoring job reads.

moto stores state but runs nothing: the test plays CloudWatch (evaluating the alarm), the
pipeline's training, Processing I/O, condition and register steps, and EventBridge (delivering
the events AWS would emit). Every such place says so. UpdateEndpoint (HTTP 500 in moto) is
answered by a Stubber that checks its parameters against the AWS service model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from runtime_events import alarm_state_change, model_package_state_change
from runtime_support import (
    FEATURES,
    ROLE_ARN,
    OperationStubber,
    audit_records,
    boto,
    capture_line,
    create_pipeline,
    customers,
    executions,
    model_tarball,
    put_capture,
)
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier
from transform_support import score_holdout, sklearn_container

from mlops_runtime import deploy, evaluate, monitoring_job, profile_job, trigger
from mlops_runtime.contract.config import (
    DeployConfig,
    EvaluateConfig,
    MonitorConfig,
    ProfileConfig,
    TriggerConfig,
)
from mlops_runtime.core.clock import UTC
from mlops_runtime.evaluate import package_metadata

NOW = datetime.now(UTC).replace(microsecond=0)
GROUP, ENDPOINT, PIPELINE, ALARM = "churn", "churn-dev", "churn-retrain", "churn-dev-drift"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3"
NUMERIC = [name for name, kind in FEATURES.items() if kind == "numeric"]


def churn_data(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Customers with a 'churned' label that depends on every feature."""
    frame = customers(rows, seed, shift)
    logit = (
        -0.15 * (frame["tenure"] - 24)
        + 0.12 * (frame["spend"] - 50)
        + 0.5 * (frame["calls"] - 3)
        + np.where(frame["plan"] == "basic", 1.0, -0.5)
    )
    frame["churned"] = (np.random.default_rng(seed).random(rows) < 1 / (1 + np.exp(-logit))) * 1
    return frame


def model(classifier: Any, train: pd.DataFrame) -> Any:
    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["plan"]),
        ]
    )
    return make_pipeline(prep, classifier).fit(train[list(FEATURES)], train["churned"])


CONFIGS = {
    "monitor": MonitorConfig.from_dict(
        {
            "system": "shop",
            "model_id": "churn",
            "environment": "dev",
            "endpoint_name": ENDPOINT,
            "profile_uri": "s3://shop-models/models/churn/reference/profile.json",
            "capture_uri": "s3://shop-capture/datacapture",
            "reports_bucket": "shop-reports",
        }
    ),
    "trigger": TriggerConfig.from_dict(
        {
            "system": "shop",
            "table_name": "mlops-runtime",
            "models": {"churn": {"pipeline_name": PIPELINE, "cooldown_hours": 12}},
            "alarms": {ALARM: "churn"},
        }
    ),
    "evaluate": EvaluateConfig.from_dict(
        {
            "model_id": "churn",
            "task": "classification",
            "label": "churned",
            "features": list(FEATURES),
            "model_package_group": GROUP,
            "output": "probability",
            "gate": {"metric": "auc", "min_value": 0.6, "min_improvement": 0.01},
        }
    ),
    "profile": ProfileConfig(model_id="churn", features=FEATURES, format="parquet"),
    "deploy": DeployConfig.from_dict(
        {
            "system": "shop",
            "table_name": "mlops-runtime",
            "endpoints": {
                GROUP: {
                    "model_id": "churn",
                    "endpoint_name": ENDPOINT,
                    "execution_role_arn": ROLE_ARN,
                    "instance_type": "ml.m5.large",
                    "traffic": {"strategy": "linear", "step_percent": 50, "bake_minutes": 5},
                    "rollback_alarms": ["churn-dev-5xx"],
                    "data_capture": {"destination_s3_uri": "s3://shop-capture/datacapture"},
                }
            },
        }
    ),
}


def register(evaluation: dict[str, Any], artifact_uri: str, report_uri: str) -> str:
    """Plays the pipeline's ConditionStep (JsonGet gate.passed) and RegisterModel step."""
    status = "Approved" if evaluation["gate"]["passed"] else "Rejected"
    return str(
        boto("sagemaker").create_model_package(
            ModelPackageGroupName=GROUP,
            ModelApprovalStatus=status,
            CustomerMetadataProperties=package_metadata(evaluation),
            InferenceSpecification={
                "Containers": [{"Image": IMAGE, "ModelDataUrl": artifact_uri}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelMetrics={
                "ModelQuality": {
                    "Statistics": {"ContentType": "application/json", "S3Uri": report_uri}
                }
            },
        )["ModelPackageArn"]
    )


def evaluate_candidate(tmp: Path, classifier: Any, name: str) -> tuple[dict[str, Any], str]:
    """Plays training (uploads model.tar.gz) and Processing I/O around the evaluation step."""
    s3 = boto("s3")
    train = churn_data(1500, seed=21, shift=8.0)  # retrained on the new (drifted) data
    artifact_key = f"churn/{name}/output/model.tar.gz"
    candidate = model(classifier, train)
    s3.put_object(Bucket="shop-models", Key=artifact_key, Body=model_tarball(candidate))
    # PrepareHoldout, then the candidate's container scores it (the ScoreHoldout transform);
    # the Evaluate step's ProcessingInputs download both outputs.
    (tmp / name / "holdout").mkdir(parents=True)
    churn_data(800, seed=22, shift=8.0).to_parquet(tmp / name / "holdout" / "holdout.parquet")
    score = sklearn_container(candidate, "probability")
    score_holdout(score, tmp / name / "holdout", tmp / name, label="churned", features=FEATURES)
    evaluation = evaluate.run(
        CONFIGS["evaluate"],
        tmp / name / "predictions",
        tmp / name / "prepared",
        tmp / name / "evaluation",
    )
    # ProcessingOutput: SageMaker uploads evaluation.json.
    report_key = f"churn/{name}/evaluation/evaluation.json"
    s3.put_object(
        Bucket="shop-models",
        Key=report_key,
        Body=(tmp / name / "evaluation" / "evaluation.json").read_bytes(),
    )
    return evaluation, register(
        evaluation, f"s3://shop-models/{artifact_key}", f"s3://shop-models/{report_key}"
    )


@pytest.fixture
def system(table: str, tmp_path: Path) -> str:
    """What Pulumi and the first training run leave behind: buckets, pipeline, champion, endpoint."""
    s3, sagemaker = boto("s3"), boto("sagemaker")
    for bucket in ("shop-models", "shop-capture", "shop-reports"):
        s3.create_bucket(Bucket=bucket)
    create_pipeline(PIPELINE)
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    # The first model (a weak one) passed the gate with no champion and was approved.
    champion, champion_arn = evaluate_candidate(tmp_path, DecisionTreeClassifier(max_depth=1), "v1")
    assert champion["verdict"] == "passed"
    # The profile step of that run: training data in, profile.json out; the ProcessingOutput
    # (played here) uploads it to the monitor's profile_uri.
    (tmp_path / "train").mkdir()
    churn_data(3000, seed=1).to_parquet(tmp_path / "train" / "part-0.parquet")
    profile_job.run(CONFIGS["profile"], tmp_path / "train", tmp_path / "profile")
    s3.put_object(
        Bucket="shop-models",
        Key="models/churn/reference/profile.json",
        Body=(tmp_path / "profile" / "profile.json").read_bytes(),
    )
    # Its approval: Pulumi created no endpoint for latest_approved, the deploy function does.
    ports = deploy.aws_ports(CONFIGS["deploy"])
    created = deploy.process(approval_event(champion_arn), CONFIGS["deploy"], ports)
    assert created["decision"] == "created"
    cloudwatch = boto("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=ALARM,
        Namespace="MLOps/shop",
        MetricName="DriftScore",
        Dimensions=[{"Name": "Model", "Value": "churn"}, {"Name": "Environment", "Value": "dev"}],
        Statistic="Maximum",
        Period=3600,
        EvaluationPeriods=1,
        Threshold=0.2,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
    )
    return champion_arn


def drift_until_alarm() -> dict[str, Any]:
    """Drifted traffic -> monitoring job (as SageMaker runs it) -> metric -> alarm event."""
    for hour in (1, 2, 3):  # plays the endpoint's data capture
        when = NOW - timedelta(hours=hour)
        rows = churn_data(600, seed=30 + hour, shift=8.0)[list(FEATURES)]
        lines = [capture_line(rows.iloc[i::20], when) for i in range(20)]
        put_capture("shop-capture", "datacapture", ENDPOINT, when, lines)
    env = {**os.environ, **CONFIGS["monitor"].to_env()}
    job = subprocess.run(
        [sys.executable, "-m", "mlops_runtime.monitoring_job"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(monitoring_job.__file__).parents[1],
    )
    assert job.returncode == 0, job.stderr

    cloudwatch, s3 = boto("cloudwatch"), boto("s3")
    points = cloudwatch.get_metric_statistics(
        Namespace="MLOps/shop",
        MetricName="DriftScore",
        Dimensions=[{"Name": "Model", "Value": "churn"}, {"Name": "Environment", "Value": "dev"}],
        StartTime=NOW - timedelta(hours=2),
        EndTime=NOW + timedelta(hours=1),
        Period=3600,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert [p["Maximum"] for p in points] == [0.25]  # 'spend' of 4 features drifted
    reports = [o["Key"] for o in s3.list_objects_v2(Bucket="shop-reports")["Contents"]]
    assert sorted(Path(k).name for k in reports) == ["drift.html", "drift.json"]
    report = json.loads(s3.get_object(Bucket="shop-reports", Key=reports[1])["Body"].read())
    assert report["drift"]["drifted_features"] == ["spend"]

    # moto never evaluates alarms: the test does CloudWatch's job (Maximum >= threshold over
    # one period), sets the state, and builds the EventBridge event AWS would then deliver.
    alarm = cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]
    assert points[0]["Maximum"] >= alarm["Threshold"]
    cloudwatch.set_alarm_state(
        AlarmName=ALARM,
        StateValue="ALARM",
        StateReason="Threshold Crossed: 1 datapoint [0.25] was greater than or equal to 0.2.",
        StateReasonData=json.dumps({"version": "1.0", "recentDatapoints": [0.25]}),
    )
    alarm = cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]
    return alarm_state_change(alarm)


def start_retraining(event: dict[str, Any]) -> str:
    config = CONFIGS["trigger"]
    result = trigger.process(event, config, trigger.aws_ports(config))
    assert [d["decision"] for d in result["decisions"]] == ["started"]
    (run,) = executions(PIPELINE)
    parameters = boto("sagemaker").list_pipeline_parameters_for_execution(
        PipelineExecutionArn=run["PipelineExecutionArn"]
    )["PipelineParameters"]
    assert parameters[0] == {"Name": "TriggerReason", "Value": f"alarm:{ALARM}"}
    assert [p["Name"] for p in parameters[1:]] == ["TriggerId"]  # for the lineage record
    # The same alarm event delivered again (EventBridge is at-least-once) changes nothing.
    again = trigger.process(event, config, trigger.aws_ports(config))
    assert [d["decision"] for d in again["decisions"]] == ["duplicate"]
    assert len(executions(PIPELINE)) == 1
    return str(run["PipelineExecutionArn"])


def stubbed(ports: deploy.DeployPorts, operation: str) -> OperationStubber:
    """A Stubber for one SageMaker operation of the deploy function's client."""
    return OperationStubber(ports.endpoints.sagemaker, operation)


def approval_event(arn: str) -> dict[str, Any]:
    # moto emits no registry events: the test builds the one EventBridge would deliver.
    return model_package_state_change(
        boto("sagemaker").describe_model_package(ModelPackageName=arn)
    )


def test_drift_retrains_and_a_better_candidate_reaches_the_endpoint(
    system: str, tmp_path: Path
) -> None:
    start_retraining(drift_until_alarm())

    evaluation, candidate = evaluate_candidate(tmp_path, LogisticRegression(), "v2")

    assert evaluation["verdict"] == "passed", evaluation["gate"]["reasons"]
    assert evaluation["champion"]["model_package_arn"] == system
    assert evaluation["metrics"]["auc"] > evaluation["champion"]["metrics"]["auc"] + 0.01
    package = boto("sagemaker").describe_model_package(ModelPackageName=candidate)
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["CustomerMetadataProperties"]["mlops:verdict"] == "passed"
    assert package["CustomerMetadataProperties"]["mlops:champion"] == system

    ports = deploy.aws_ports(CONFIGS["deploy"])
    with stubbed(ports, "UpdateEndpoint") as stub:
        stub.add_response(
            "update_endpoint",
            {"EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}"},
        )
        record = deploy.process(approval_event(candidate), CONFIGS["deploy"], ports)
        stub.assert_no_pending_responses()

    assert record["decision"] == "deployed"
    sagemaker = boto("sagemaker")
    new_config = sagemaker.describe_endpoint_config(EndpointConfigName=record["endpoint_config"])
    served = sagemaker.describe_model(ModelName=new_config["ProductionVariants"][0]["ModelName"])
    assert served["PrimaryContainer"]["ModelPackageName"] == candidate
    assert new_config["DataCaptureConfig"]["DestinationS3Uri"] == "s3://shop-capture/datacapture"
    decisions = {
        unit: [r["decision"] for r in audit_records("mlops-runtime", unit, "churn")]
        for unit in ("trigger", "deploy")
    }
    assert decisions == {"trigger": ["started", "duplicate"], "deploy": ["created", "deployed"]}


def test_drift_retrains_but_a_worse_candidate_is_rejected_and_never_deployed(
    system: str, tmp_path: Path
) -> None:
    start_retraining(drift_until_alarm())

    evaluation, candidate = evaluate_candidate(tmp_path, DummyClassifier(strategy="prior"), "v2")
    serving = boto("sagemaker").describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]

    assert evaluation["verdict"] == "rejected"
    package = boto("sagemaker").describe_model_package(ModelPackageName=candidate)
    assert package["ModelApprovalStatus"] == "Rejected"
    assert package["CustomerMetadataProperties"]["mlops:verdict"] == "rejected"
    ports = deploy.aws_ports(CONFIGS["deploy"])
    with stubbed(ports, "UpdateEndpoint"):  # no response: must not be called
        record = deploy.process(approval_event(candidate), CONFIGS["deploy"], ports)
    # The registry's Rejected event reconciles: the endpoint does not serve it, nothing changes.
    assert (record["decision"], record["trigger"]) == ("already-deployed", "rejected")
    assert boto("sagemaker").describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"] == (
        serving
    )
