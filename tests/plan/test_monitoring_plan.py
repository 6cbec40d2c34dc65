"""The monitoring job and the alarms of scheduled monitors: no alarm watches a metric no job
publishes (unless the plan notes why), and the job is configured for every scheduled monitor."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from mlops_runtime.contract import metrics as mm
from mlops_runtime.contract.config import MonitorConfig, ProfileConfig, TriggerConfig
from mlops_spec.plan import DeploymentPlan
from mlops_spec.plan.metrics import ENDPOINT_INSTANCE_NAMESPACE, SAGEMAKER_NAMESPACE
from tests.plan.conftest import CASE_IDS, example, full, mini, step_config

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1"
GATED = {"image": IMAGE, "inputs": ["ds"], "gate": {"metric": "f1", "min": 0.5}}
"""Training with a gate: prediction drift compares with the evaluation step's predictions."""
LABELS = {
    "kind": "ground_truth",
    "prefix": "labels/",
    "format": "csv",
    "label": "y",
    "inference_id_column": "request_id",
}


def _config(deployment: DeploymentPlan, model: str) -> MonitorConfig:
    job = deployment.monitoring.model(model).job
    assert job is not None
    return MonitorConfig.from_json(job.config)


@pytest.mark.parametrize("case", CASE_IDS)
def test_every_job_alarm_watches_a_series_its_job_publishes(
    all_plans: dict[str, DeploymentPlan], case: str
) -> None:
    deployment = all_plans[case]
    for model in deployment.monitoring.models:
        published = mm.published(_config(deployment, model.model)) if model.job else frozenset()
        for alarm in model.alarms:
            for metric in alarm.metrics:
                if metric.namespace in (SAGEMAKER_NAMESPACE, ENDPOINT_INSTANCE_NAMESPACE):
                    continue
                assert metric.namespace == deployment.metric_namespace
                if (metric.metric_name, metric.dimensions) in published:
                    continue
                # A dead alarm is allowed only when the plan says why, naming it.
                assert any(alarm.name in note for note in deployment.notes), alarm.name


@pytest.mark.parametrize("case", [c for c in CASE_IDS if not c.startswith("full-")])
def test_no_example_has_a_dead_alarm(all_plans: dict[str, DeploymentPlan], case: str) -> None:
    deployment = all_plans[case]
    for model in deployment.monitoring.models:
        published = mm.published(_config(deployment, model.model)) if model.job else frozenset()
        for alarm in model.alarms:
            for metric in alarm.metrics:
                if metric.namespace == deployment.metric_namespace:
                    assert (metric.metric_name, metric.dimensions) in published, alarm.name
    assert not any("receives no data" in note for note in deployment.notes)


def test_ltv_batch_feature_drift_is_measured_on_the_batch_input() -> None:
    deployment = example("ltv", "prod")
    model = deployment.monitoring.model("lifetime-value")
    assert model.job is not None and model.job.monitors == ("feature-drift",)
    config = MonitorConfig.from_json(model.job.config)
    orders = deployment.storage.location("orders")
    assert (config.source, config.capture_uri, config.endpoint_name) == ("batch", None, "")
    assert config.batch_input_uri == f"s3://{orders.bucket}/orders/"
    assert (config.batch_input_format, config.batch_input_header) == ("parquet", True)
    assert config.batch_output_uri is None  # no prediction drift or bias to read outputs for
    assert config.data_drift and set(config.methods) == {
        "orders_12m",
        "revenue_12m",
        "days_since_last_order",
        "avg_basket",
        "channel",
        "country",
    }
    assert config.methods["channel"] == "chi2" and config.methods["avg_basket"] == "ks"
    (metric,) = model.alarm("feature-drift").metrics
    assert (metric.metric_name, metric.dimensions) in mm.published(config)
    assert metric.metric_name == mm.DRIFT_SCORE
    # The alarm retrains: the trigger knows it.
    assert deployment.retraining is not None
    function = deployment.retraining.function("trigger")
    assert function is not None
    trigger = TriggerConfig.from_json(function.config)
    assert trigger.alarms[model.alarm("feature-drift").name] == "lifetime-value"
    # Reads exactly the input prefix (plus the reference and code), no capture.
    reads = {
        r
        for s in model.job.role.policy.statements
        if "s3:GetObject" in s.actions
        for r in s.resources
    }
    artifacts = deployment.storage.bucket("artifacts").arn
    assert reads == {
        f"{orders.bucket_arn}/orders/*",
        f"{artifacts}/models/lifetime-value/reference/*",
        f"{artifacts}/code/config/ltv-prod-lifetime-value-monitor/*",
        f"{artifacts}/{deployment.storage.code.object_key}*",
    }
    assert model.job.schedule.expression == "rate(1 day)"


def test_batch_job_reads_outputs_and_refuses_what_it_cannot_measure() -> None:
    monitors = _monitors(
        drift={"type": "data_drift"},
        preds={"type": "prediction_drift"},
        fair={"type": "bias", "sensitive_feature": "c"},
    )
    del monitors["lat"]
    serving = {"tier": "batch", "schedule": "rate(1 day)", "input": "ds"}
    csv = {**_sources(), "ds": {**_sources()["ds"], "format": "csv"}}
    deployment = mini({"data_sources": csv}, monitors=monitors, serving=serving, training=GATED)
    model = deployment.monitoring.model("mm")
    assert model.job is not None and model.job.monitors == ("drift", "fair", "preds")
    config = MonitorConfig.from_json(model.job.config)
    assert (config.batch_input_format, config.batch_input_header) == ("csv", True)
    reports = deployment.storage.bucket("reports")
    assert config.batch_output_uri == f"s3://{reports.name}/batch/mm/"
    assert config.bias is not None and config.prediction_drift is not None
    assert config.model_quality is None
    reads = {
        r
        for s in model.job.role.policy.statements
        if "s3:GetObject" in s.actions
        for r in s.resources
    }
    assert f"{reports.arn}/batch/mm/*" in reads
    # Batch records carry no inference id: a quality monitor could never get data.
    quality = {
        "type": "model_quality",
        "metric": "f1",
        "min": 0.5,
        "ground_truth": {"data_source": "gt"},
    }
    with pytest.raises(ValidationError, match="model_quality joins served predictions"):
        mini(
            {"data_sources": csv},
            monitors={**monitors, "quality": quality},
            serving=serving,
            training=GATED,
        )
    # Parquet input: no row-level join, so bias is refused; a raw s3:// input is headerless
    # text/csv.
    parquet = {**_sources(), "ds": {**_sources()["ds"], "format": "parquet"}}
    with pytest.raises(ValidationError, match="bias pairs each prediction with its input row"):
        mini({"data_sources": parquet}, monitors=monitors, serving=serving, training=GATED)
    unpaired = {k: m for k, m in monitors.items() if k != "fair"}
    job = (
        mini({"data_sources": parquet}, monitors=unpaired, serving=serving, training=GATED)
        .monitoring.model("mm")
        .job
    )
    assert job is not None and job.monitors == ("drift", "preds")
    raw = {**serving, "input": "s3://elsewhere/in/"}
    job = (
        mini({"data_sources": _sources()}, monitors=monitors, serving=raw, training=GATED)
        .monitoring.model("mm")
        .job
    )
    assert job is not None
    config = MonitorConfig.from_json(job.config)
    assert (config.batch_input_uri, config.batch_input_format) == ("s3://elsewhere/in/", "csv")
    assert not config.batch_input_header


def test_the_examples_have_no_dead_alarm_on_captured_traffic() -> None:
    churn = example("churn", "prod").monitoring.model("churn-classifier")
    assert churn.job is not None
    assert set(churn.job.monitors) == {"feature-drift", "prediction-drift", "quality", "fairness"}
    watched = {(m.metric_name, m.dimensions) for a in churn.alarms for m in a.metrics}
    dims = mm.dimensions("churn-classifier", "prod")
    assert {
        (mm.DRIFT_SCORE, dims),
        (mm.PREDICTION_DRIFT, dims),
        (mm.DEMOGRAPHIC_PARITY_DIFFERENCE, dims),
        (mm.MODEL_QUALITY, mm.dimensions("churn-classifier", "prod", (mm.METRIC, "auc"))),
    } <= watched
    notes = "\n".join(example("churn", "prod").notes)
    assert "publishes yet" not in notes


def test_the_churn_job_measures_every_scheduled_monitor() -> None:
    config = _config(example("churn", "prod"), "churn-classifier")
    artifacts = "s3://acme-churn-prod-artifacts-eu-west-1/models/churn-classifier/reference"
    assert config.data_drift and config.profile_uri == f"{artifacts}/profile.json"
    assert config.prediction_drift is not None
    assert config.prediction_drift.profile_uri == f"{artifacts}/predictions.json"
    assert (config.prediction_drift.method, config.prediction_drift.threshold) == ("psi", 0.1)
    assert config.bias is not None and config.bias.feature == "region"
    assert (config.bias.min_group_rows, config.bias.positive_label) == (30, None)
    quality = config.model_quality
    assert quality is not None
    assert quality.ground_truth_uri == "s3://acme-churn-prod-data-churn-labels-eu-west-1/labels/"
    assert (quality.format, quality.label, quality.inference_id_column) == (
        "parquet",
        "churned",
        "inference_id",
    )
    assert quality.metrics == ("auc",)


def test_the_prediction_reference_is_what_the_profile_step_writes() -> None:
    deployment = example("churn", "dev")
    training = deployment.training_for("churn-classifier")
    steps = json.loads(training.definition)["Steps"]
    gate = next(s for s in steps if s["Name"] == "CheckGate")
    profile = next(s for s in gate["Arguments"]["IfSteps"] if s["Name"] == "Profile")["Arguments"]
    inputs = {i["InputName"]: i["S3Input"] for i in profile["ProcessingInputs"]}
    assert inputs["evaluation"]["S3Uri"] == {
        "Get": "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"
    }
    assert inputs["evaluation"]["LocalPath"] == "/opt/ml/processing/input/evaluation"
    config = step_config(training, profile, ProfileConfig)
    assert config.copy_predictions
    # a latest_approved endpoint: the step writes each execution's references; the deploy
    # function copies the served package's predictions.json next to the current profile.json
    job = deployment.monitoring.model("churn-classifier").job
    assert training.profile.packages_uri and "predictions.json" in training.profile.files
    assert job and job.prediction_profile_uri == f"{training.profile.output_uri}/predictions.json"
    # Without a gate there is no evaluation step, so nothing to copy.
    drift = {"type": "data_drift", "method": "psi", "threshold": 0.2, "action": "notify"}
    serving = {"tier": "realtime", "data_capture_percent": 10}
    ungated = mini(monitors={"drift": drift}, serving=serving).training_for("mm")
    profile = next(s for s in json.loads(ungated.definition)["Steps"] if s["Name"] == "Profile")
    inputs = [i["InputName"] for i in profile["Arguments"]["ProcessingInputs"]]
    assert inputs == ["code", "config", "data"]
    copy = step_config(ungated, profile["Arguments"], ProfileConfig)
    assert not copy.copy_predictions


@pytest.mark.parametrize(
    "monitor",
    [
        {"type": "prediction_drift"},
        {"type": "bias", "sensitive_feature": "c"},
        {
            "type": "model_quality",
            "metric": "f1",
            "min": 0.5,
            "ground_truth": {"data_source": "gt"},
        },
    ],
    ids=lambda m: m["type"],
)
def test_any_scheduled_monitor_gets_the_job(monitor: dict[str, Any]) -> None:
    deployment = mini(
        {"data_sources": _sources()}, monitors=_monitors(watch=monitor), training=GATED
    )
    model = deployment.monitoring.model("mm")
    assert model.job is not None and model.job.monitors == ("watch",)
    config = MonitorConfig.from_json(model.job.config)
    assert not config.data_drift and config.methods == {}
    kind = monitor["type"]
    assert (config.prediction_drift is not None) == (kind == "prediction_drift")
    assert (config.bias is not None) == (kind == "bias")
    assert (config.model_quality is not None) == (kind == "model_quality")
    (metric,) = model.alarm("watch").metrics
    assert (metric.metric_name, metric.dimensions) in mm.published(config)


def test_quality_job_reads_the_ground_truth_prefix() -> None:
    monitor = {
        "type": "model_quality",
        "metric": "rmse",
        "max": 3,
        "ground_truth": {"data_source": "gt"},
    }
    deployment = mini({"data_sources": _sources()}, monitors=_monitors(qq=monitor))
    job = deployment.monitoring.model("mm").job
    assert job is not None and job.ground_truth == "gt"
    config = MonitorConfig.from_json(job.config)
    assert config.model_quality is not None
    bucket = deployment.storage.location("gt").bucket
    assert config.model_quality.ground_truth_uri == f"s3://{bucket}/labels/"
    assert (config.model_quality.format, config.model_quality.inference_id_column) == (
        "csv",
        "request_id",
    )
    reads = {
        r for s in job.role.policy.statements if "s3:GetObject" in s.actions for r in s.resources
    }
    assert f"arn:aws:s3:::{bucket}/labels/*" in reads
    lists = [s for s in job.role.policy.statements if "s3:ListBucket" in s.actions]
    assert any(s.resources == (f"arn:aws:s3:::{bucket}",) for s in lists)
    alarm = deployment.monitoring.model("mm").alarm("qq")
    assert alarm.metric and alarm.metric.dimension_map == {
        "Model": "mm",
        "Metric": "rmse",
        "Environment": "dev",
    }
    assert (alarm.comparison, alarm.threshold) == ("GreaterThanThreshold", 3.0)


@pytest.mark.parametrize(
    ("method", "name", "comparison", "statistic"),
    [
        ("psi", mm.PREDICTION_DRIFT, "GreaterThanThreshold", "Maximum"),
        ("classifier", mm.PREDICTION_DRIFT, "GreaterThanThreshold", "Maximum"),
        ("ks", mm.PREDICTION_DRIFT_P_VALUE, "LessThanThreshold", "Minimum"),
        ("chi2", mm.PREDICTION_DRIFT_P_VALUE, "LessThanThreshold", "Minimum"),
    ],
)
def test_prediction_drift_alarm_follows_the_method(
    method: str, name: str, comparison: str, statistic: str
) -> None:
    monitor = {"type": "prediction_drift", "method": method, "threshold": 0.05}
    deployment = mini(monitors=_monitors(pd=monitor), training=GATED)
    alarm = deployment.monitoring.model("mm").alarm("pd")
    assert alarm.metric is not None
    assert (alarm.metric.metric_name, alarm.comparison, alarm.metric.statistic) == (
        name,
        comparison,
        statistic,
    )
    assert alarm.threshold == 0.05
    config = _config(deployment, "mm")
    assert config.prediction_drift and config.prediction_drift.method == method
    assert (name, alarm.metric.dimensions) in mm.published(config)


def test_monitors_of_one_kind_must_measure_the_same_thing() -> None:
    monitors = _monitors(
        pa={"type": "prediction_drift", "method": "psi", "threshold": 0.1},
        pb={"type": "prediction_drift", "method": "psi", "threshold": 0.3},
    )
    job = mini(monitors=monitors, training=GATED).monitoring.model("mm").job
    assert job is not None  # thresholds differ
    monitors["pb"]["method"] = "ks"
    with pytest.raises(ValidationError, match=r"prediction_drift monitors .* must share method"):
        mini(monitors=monitors, training=GATED)  # refused at load time (mlops_spec.checks)


def test_notes_say_what_clients_must_do_and_dead_monitors_are_refused() -> None:
    notes = "\n".join(full("prod").notes)
    assert "models.rt.monitors.quality: clients must pass InferenceId to InvokeEndpoint" in notes
    # quality and bias leave their schedule out: they follow the job's (drift's), no note
    assert "measured by the model's monitoring job" not in notes
    with pytest.raises(ValidationError, match=r"runs only with training\.gate"):
        mini(monitors=_monitors(pd={"type": "prediction_drift"}))
    ltv = "\n".join(example("ltv", "prod").notes)
    assert "lifetime-value" not in ltv  # its batch input is monitored: nothing to say


def _sources() -> dict[str, Any]:
    return {
        "ds": {"prefix": "p/", "features": {"x": "numeric", "c": "categorical"}, "label": "y"},
        "gt": dict(LABELS),
    }


def _monitors(**monitors: dict[str, Any]) -> dict[str, Any]:
    rollback = {"type": "latency", "threshold_ms": 100, "action": "rollback"}
    return {"lat": rollback, **{k: dict(v) for k, v in monitors.items()}}
