"""Runtime configuration: the JSON contract between the Pulumi components and the runtime."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mlops_runtime.contract.config import (
    CONFIGS,
    ENV_VAR,
    FILE_ENV_VAR,
    ConfigError,
    DeployConfig,
    EvaluateConfig,
    MonitorConfig,
    NotifyConfig,
    ProfileConfig,
    TriggerConfig,
    reference_markdown,
)

DOCS = Path(__file__).parents[2] / "docs" / "runtime.md"

EXAMPLES: dict[type, dict[str, Any]] = {
    TriggerConfig: {
        "system": "shop",
        "table_name": "t",
        "models": {
            "churn": {
                "pipeline_name": "p",
                "cooldown_hours": 6,
                "max_runs_per_day": 2,
            }
        },
        "alarms": {"a": "churn"},
        "data_sources": [{"bucket": "b", "prefix": "x/", "models": ["churn"]}],
    },
    EvaluateConfig: {
        "model_id": "churn",
        "task": "classification",
        "label": "y",
        "features": ["a", "b"],
        "gate": {"metric": "auc", "min_value": 0.7, "min_improvement": 0.01},
    },
    DeployConfig: {
        "system": "shop",
        "endpoints": {
            "churn": {
                "model_id": "churn",
                "endpoint_name": "e",
                "execution_role_arn": "arn:aws:iam::1:role/r",
                "instance_type": "ml.m5.large",
                "traffic": {
                    "strategy": "canary",
                    "step_percent": 10,
                    "bake_minutes": 15,
                    "termination_wait_minutes": 5,
                },
                "data_capture": {"destination_s3_uri": "s3://b/c"},
                "autoscaling": {
                    "min_capacity": 1,
                    "max_capacity": 4,
                    "target_invocations_per_instance": 100,
                    "scale_in_cooldown_seconds": 300,
                    "scale_out_cooldown_seconds": 60,
                    "policy_name": "e-invocations",
                },
            }
        },
    },
    MonitorConfig: {
        "system": "shop",
        "model_id": "churn",
        "environment": "dev",
        "endpoint_name": "e",
        "profile_uri": "s3://b/p.json",
        "capture_uri": "s3://b/c",
        "reports_bucket": "r",
        "thresholds": {"spend": 0.01},
        "prediction_drift": {"profile_uri": "s3://b/predictions.json", "method": "ks"},
        "bias": {"feature": "plan", "min_group_rows": 50},
        "model_quality": {
            "ground_truth_uri": "s3://g/labels/",
            "format": "csv",
            "label": "churned",
            "metrics": ["auc", "f1"],
            "window_hours": 48,
        },
    },
    ProfileConfig: {
        "model_id": "churn",
        "features": {"tenure": "numeric", "plan": "categorical"},
        "format": "parquet",
        "sample_rows": 50_000,
    },
    NotifyConfig: {
        "system": "shop",
        "environment": "dev",
        "webhook_parameter": "/shop/alerts/webhook-url",
        "max_attempts": 4,
    },
}

SCALING = EXAMPLES[DeployConfig]["endpoints"]["churn"]["autoscaling"]
EXAMPLES_QUALITY = EXAMPLES[MonitorConfig]["model_quality"]
BATCH: dict[str, Any] = {
    "source": "batch",
    "endpoint_name": "",
    "capture_uri": None,
    "batch_input_uri": "s3://b/in/",
    "batch_input_format": "csv",
    "batch_output_uri": "s3://b/out/",
    "model_quality": None,
}


def test_batch_source_round_trip() -> None:
    config = MonitorConfig.from_dict({**EXAMPLES[MonitorConfig], **BATCH})
    assert MonitorConfig.from_env(config.to_env()) == config
    assert (config.source, config.capture_uri, config.batch_input_header) == ("batch", None, True)


@pytest.mark.parametrize("kind", CONFIGS, ids=lambda c: c.__name__)
def test_env_round_trip(kind: type) -> None:
    config = kind.from_dict(EXAMPLES[kind])
    env = config.to_env()
    assert list(env) == [ENV_VAR]
    assert kind.from_env(env) == config
    assert kind.from_json(config.to_json()).to_dict() == config.to_dict()


@pytest.mark.parametrize(
    ("kind", "change", "message"),
    [
        (TriggerConfig, {"modles": {}}, r"unknown field\(s\) \['modles'\]"),
        (TriggerConfig, {"alarms": {"a": "fraud"}}, r"unknown model id\(s\) \['fraud'\]"),
        (
            TriggerConfig,
            {"models": {"churn": {"pipeline_name": "p", "cooldown_hours": -1}}},
            r"TriggerConfig.models.churn: cooldown_hours must be >= 0, got -1.0",
        ),
        (EvaluateConfig, {"task": "ranking"}, "task must be one of"),
        (
            EvaluateConfig,
            {"gate": {"metric": "auc", "min_value": "high"}},
            r"EvaluateConfig.gate.min_value: expected a number, got 'high'",
        ),
        (
            DeployConfig,
            {
                "endpoints": {
                    "churn": {"model_id": "m", "endpoint_name": "e", "execution_role_arn": "r"}
                }
            },
            "set exactly one of instance_type and serverless_memory_mb",
        ),
        (
            DeployConfig,
            {
                "endpoints": {
                    "churn": {
                        **EXAMPLES[DeployConfig]["endpoints"]["churn"],
                        "autoscaling": {**SCALING, "min_capacity": 5},
                    }
                }
            },
            r"endpoints.churn.autoscaling: max_capacity \(4\) must be >= min_capacity \(5\)",
        ),
        (
            DeployConfig,
            {
                "endpoints": {
                    "churn": {
                        **EXAMPLES[DeployConfig]["endpoints"]["churn"],
                        "instance_type": None,
                        "serverless_memory_mb": 2048,
                    }
                }
            },
            "autoscaling applies to instance-based variants",
        ),
        (MonitorConfig, {"profile_uri": "/tmp/p.json"}, "profile_uri must be an s3:// URI"),
        (MonitorConfig, {"window_hours": True}, "expected an integer, got True"),
        (
            MonitorConfig,
            {"model_quality": {**EXAMPLES_QUALITY, "metrics": ["auc", "logloss"]}},
            r"MonitorConfig.model_quality: metrics must be among .*, got \['logloss'\]",
        ),
        (
            MonitorConfig,
            {"prediction_drift": {"profile_uri": "s3://b/p.json", "method": "wasserstein"}},
            r"MonitorConfig.prediction_drift: method must be one of",
        ),
        (
            MonitorConfig,
            {"data_drift": False, "prediction_drift": None, "bias": None, "model_quality": None},
            "nothing to measure",
        ),
        (MonitorConfig, {"source": "stream"}, r"source must be one of \['capture', 'batch'\]"),
        (MonitorConfig, {"capture_uri": None}, r"capture_uri must be an s3:// URI"),
        (MonitorConfig, {"endpoint_name": ""}, r"endpoint_name must not be empty"),
        (
            MonitorConfig,
            {"batch_input_uri": "s3://b/in/"},
            r"\['batch_input_uri'\] apply to source 'batch' only",
        ),
        (MonitorConfig, {**BATCH, "capture_uri": "s3://b/c"}, "capture_uri applies to source"),
        (MonitorConfig, {**BATCH, "batch_input_uri": None}, "batch_input_uri must be an s3://"),
        (MonitorConfig, {**BATCH, "batch_input_format": "xlsx"}, "batch_input_format must be"),
        (
            MonitorConfig,
            {**BATCH, "batch_output_uri": None},
            "batch_output_uri must be an s3:// URI when prediction_drift or bias",
        ),
        (
            MonitorConfig,
            {**BATCH, "batch_input_format": "parquet"},
            "bias cannot be measured on parquet batch input",
        ),
        (
            MonitorConfig,
            {**BATCH, "model_quality": EXAMPLES_QUALITY},
            "model_quality needs inference ids",
        ),
        (ProfileConfig, {"features": {"plan": "text"}}, r"feature kinds must be one of"),
        (ProfileConfig, {"format": "xlsx"}, r"format must be one of \['parquet', 'csv', 'jsonl'\]"),
        (NotifyConfig, {"webhook_parameter": "https://hooks"}, "must be an SSM parameter name"),
        (NotifyConfig, {"timeout_seconds": 0}, r"timeout_seconds must be within 1\.\.60"),
    ],
)
def test_invalid_configs_name_the_field(kind: type, change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        kind.from_dict({**EXAMPLES[kind], **change})


def test_profile_config_keeps_the_feature_order_through_the_environment() -> None:
    features = {"tenure": "numeric", "spend": "numeric", "calls": "numeric", "plan": "categorical"}
    config = ProfileConfig(model_id="churn", features=features, format="csv")
    assert list(ProfileConfig.from_env(config.to_env()).features) == list(features)


def test_missing_required_field_and_missing_variable() -> None:
    data = dict(EXAMPLES[MonitorConfig])
    del data["profile_uri"]
    with pytest.raises(ConfigError, match=r"MonitorConfig\.profile_uri: required field is missing"):
        MonitorConfig.from_dict(data)
    with pytest.raises(ConfigError, match=f"{ENV_VAR} is not set"):
        MonitorConfig.from_env({})


def test_docs_carry_the_generated_field_reference() -> None:
    text = DOCS.read_text()
    match = re.search(
        r"<!-- config-reference:start -->\n(.*)<!-- config-reference:end -->", text, re.S
    )
    assert match, "docs/runtime.md lacks the config-reference markers"
    assert match.group(1) == reference_markdown(), (
        "docs/runtime.md is stale: paste mlops_runtime.contract.config.reference_markdown() between "
        "the markers"
    )


def test_processing_jobs_read_the_config_file_their_environment_names(tmp_path: Path) -> None:
    config = ProfileConfig(model_id="m", features={"x": "numeric"}, format="csv")
    path = tmp_path / "Profile.json"
    path.write_text(config.to_json())
    # the file wins over the variable; the variable stays for the Lambdas
    environ = {FILE_ENV_VAR: str(path), ENV_VAR: "not json"}
    assert ProfileConfig.from_env(environ) == config
    assert ProfileConfig.from_env({ENV_VAR: config.to_json()}) == config
    with pytest.raises(ConfigError, match=f"cannot read {FILE_ENV_VAR}"):
        ProfileConfig.from_env({FILE_ENV_VAR: str(tmp_path / "missing.json")})
    path.write_text('{"model_id": "m"')
    with pytest.raises(ConfigError, match="not valid JSON"):
        ProfileConfig.from_env({FILE_ENV_VAR: str(path)})
