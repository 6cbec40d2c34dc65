"""Drift monitoring job against moto: S3 capture in, CloudWatch metrics and S3 reports out."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from runtime_support import FEATURES, boto, capture_line, customers, put_capture

from mlops_runtime import monitoring_job
from mlops_runtime.contract.config import ENV_VAR, MonitorConfig
from mlops_runtime.core.clock import UTC
from mlops_runtime.drift import build_profile
from mlops_runtime.jobs import capture
from mlops_runtime.memory.services import MemoryMetrics

NOW = datetime.now(UTC).replace(microsecond=0)
ENDPOINT = "churn-dev"


@pytest.fixture
def config() -> MonitorConfig:
    """Buckets, and the reference profile built from training data, as the pipeline leaves them."""
    s3 = boto("s3")
    for bucket in ("shop-models", "shop-capture", "shop-reports"):
        s3.create_bucket(Bucket=bucket)
    profile = build_profile(customers(3000, seed=1), FEATURES)
    s3.put_object(Bucket="shop-models", Key="churn/profile.json", Body=profile.to_json().encode())
    return MonitorConfig.from_dict(
        {
            "system": "shop",
            "model_id": "churn",
            "environment": "dev",
            "endpoint_name": ENDPOINT,
            "profile_uri": "s3://shop-models/churn/profile.json",
            "capture_uri": "s3://shop-capture/datacapture",
            "reports_bucket": "shop-reports",
            "max_corrupt_fraction": 0.1,
        }
    )


def capture_traffic(
    frame: pd.DataFrame, requests: int, fmt: str = "csv", extra: list[str] = ()
) -> None:
    """Plays the endpoint: captured requests of the last hours, one file per hour."""
    chunks = [frame.iloc[i::requests] for i in range(requests)]
    for hour in (1, 2):
        when = NOW - timedelta(hours=hour)
        lines = [capture_line(chunk, when, fmt) for chunk in chunks[hour - 1 :: 2]]
        put_capture(
            "shop-capture", "datacapture", ENDPOINT, when, lines + list(extra if hour == 1 else [])
        )


def metric(name: str, feature: str | None = None) -> float | None:
    dimensions = [{"Name": "Model", "Value": "churn"}]
    if feature:
        dimensions.append({"Name": "Feature", "Value": feature})
    dimensions.append({"Name": "Environment", "Value": "dev"})
    points = boto("cloudwatch").get_metric_statistics(
        Namespace="MLOps/shop",
        MetricName=name,
        Dimensions=dimensions,
        StartTime=NOW - timedelta(minutes=5),
        # main() runs at the wall clock, which may be well past NOW on a slow run
        EndTime=datetime.now(UTC) + timedelta(minutes=5),
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    return points[0]["Maximum"] if points else None


def s3_json(bucket: str, key: str) -> dict[str, Any]:
    return json.loads(boto("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


@pytest.mark.parametrize("fmt", ["csv", "json", "base64"])
def test_drift_is_measured_published_and_reported(config: MonitorConfig, fmt: str) -> None:
    capture_traffic(customers(1200, seed=2, shift=8.0), requests=40, fmt=fmt)

    report = monitoring_job.run(config, now=NOW)

    assert report["status"] == "ok"
    assert report["rows_analyzed"] == 1200
    assert report["drift"]["drifted_features"] == ["spend"]
    assert metric("DriftScore") == pytest.approx(0.25)
    assert metric("DriftedFeatures") == 1
    assert metric("RowsAnalyzed") == 1200
    assert metric("CorruptRecords") == 0
    assert metric("NoData") == 0
    assert metric("FeatureDrifted", "spend") == 1
    assert metric("FeatureDrifted", "plan") == 0
    prefix = f"drift/churn/{NOW:%Y/%m/%d/%H%M%S}Z/"
    assert report["report_keys"] == {"json": prefix + "drift.json", "html": prefix + "drift.html"}
    assert s3_json("shop-reports", prefix + "drift.json") == report
    page = boto("s3").get_object(Bucket="shop-reports", Key=prefix + "drift.html")["Body"].read()
    assert b"spend" in page


def test_the_job_publishes_through_the_metrics_sink_it_is_given(config: MonitorConfig) -> None:
    """The gauges go to the ``MetricsSink`` port: the same series, only there."""
    capture_traffic(customers(1200, seed=2, shift=8.0), requests=40)
    sink = MemoryMetrics()
    report = monitoring_job.run(config, metrics=sink, now=NOW)
    assert sink.value("DriftScore", Model="churn", Environment="dev") == pytest.approx(0.25)
    assert sink.value("FeatureDrifted", Model="churn", Feature="spend", Environment="dev") == 1
    counts = {
        g.name: g.unit for _, _, g in sink.published if g.name in ("CorruptRecords", "NoData")
    }
    assert counts == {"CorruptRecords": "Count", "NoData": "None"}
    assert {namespace for namespace, _, _ in sink.published} == {"MLOps/shop"}
    assert report["metrics"]["datapoints"] == len(sink.published)
    assert metric("DriftScore") is None  # nothing reached CloudWatch


def test_unchanged_traffic_does_not_drift(config: MonitorConfig) -> None:
    capture_traffic(customers(1200, seed=3), requests=30)
    report = monitoring_job.run(config, now=NOW)
    assert report["drift"]["drifted_features"] == []
    assert metric("DriftScore") == 0


def test_no_data_publishes_nodata_and_says_so(
    config: MonitorConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = NOW - timedelta(days=3)  # outside the 24 h window
    put_capture(
        "shop-capture", "datacapture", ENDPOINT, old, [capture_line(customers(10, seed=4), old)]
    )
    monkeypatch.setenv(ENV_VAR, config.to_json())

    assert monitoring_job.main() == 0

    assert metric("NoData") == 1
    assert metric("RowsAnalyzed") == 0
    assert metric("DriftScore") is None
    keys = boto("s3").list_objects_v2(Bucket="shop-reports")["Contents"]
    report = s3_json("shop-reports", next(k["Key"] for k in keys if k["Key"].endswith(".json")))
    assert report["status"] == "no_data"
    assert report["message"] == "no captured requests in the window"


def test_corrupt_records_under_the_bound_are_skipped_and_counted(config: MonitorConfig) -> None:
    broken = [
        "{not json",
        json.dumps(
            {
                "captureData": {
                    "endpointInput": {
                        "observedContentType": "text/csv",
                        "encoding": "CSV",
                        "data": "1,2,abc,basic",
                    }
                }
            }
        ),
    ]
    capture_traffic(customers(1200, seed=5), requests=40, extra=broken)  # 2 of 42 records

    report = monitoring_job.run(config, now=NOW)

    assert report["status"] == "ok"
    assert report["capture"]["corrupt_records"] == 2
    assert metric("CorruptRecords") == 2
    assert any("not JSON" in p for p in report["capture"]["problems"])
    assert any("'calls' is numeric but got 'abc'" in p for p in report["capture"]["problems"])


def test_corrupt_records_over_the_bound_fail_the_job(
    config: MonitorConfig, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    capture_traffic(customers(100, seed=6), requests=10, extra=["garbage"] * 5)  # 5 of 15
    monkeypatch.setenv(ENV_VAR, config.to_json())

    assert monitoring_job.main() == 3

    assert "5 of 15 captured records (33.3%) are unreadable" in capsys.readouterr().err
    assert metric("CorruptRecords") == 5
    assert metric("DriftScore") is None


def test_missing_profile_is_a_clear_error(
    config: MonitorConfig, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    boto("s3").delete_object(Bucket="shop-models", Key="churn/profile.json")
    monkeypatch.setenv(ENV_VAR, config.to_json())
    assert monitoring_job.main() == 2
    err = capsys.readouterr().err
    assert "reference profile s3://shop-models/churn/profile.json does not exist (NoSuchKey)" in err


def test_schema_mismatch_is_a_clear_error(config: MonitorConfig) -> None:
    # The endpoint now receives three columns: the profile has four features.
    capture_traffic(customers(100, seed=7).drop(columns="plan"), requests=10)
    with pytest.raises(monitoring_job.MonitorError, match="schema mismatch") as raised:
        monitoring_job.run(config, now=NOW)
    assert raised.value.exit_code == 2
    assert "CSV row has 3 columns; the profile has 4" in str(raised.value)


def test_json_records_missing_a_feature_are_a_schema_mismatch(config: MonitorConfig) -> None:
    capture_traffic(customers(100, seed=8).drop(columns="tenure"), requests=10, fmt="json")
    with pytest.raises(monitoring_job.MonitorError, match=r"lacks feature\(s\) \['tenure'\]"):
        monitoring_job.run(config, now=NOW)


@pytest.mark.parametrize(
    ("captured", "rows"),
    [
        ({"encoding": "JSON", "data": '[[1, 2, 3, "pro"], [4, 5, 6, "team"]]'}, 2),
        ({"encoding": "JSON", "data": '{"features": [1, 2, 3, "pro"]}'}, 1),
        (
            {"encoding": "JSON", "data": '{"tenure": 1, "spend": 2, "calls": null, "plan": "pro"}'},
            1,
        ),
        (
            {
                "observedContentType": "application/jsonlines",
                "encoding": "JSON",
                "data": '[1, 2, 3, "pro"]\n{"features": [4, 5, 6, "team"]}',
            },
            2,
        ),
        ({"observedContentType": "text/csv", "encoding": "CSV", "data": "1,2,,pro\n"}, 1),
    ],
)
def test_capture_payload_shapes(captured: dict[str, str], rows: int) -> None:
    batch = capture.CaptureBatch(features=list(FEATURES), kinds=dict(FEATURES))
    batch.add_line(json.dumps({"captureData": {"endpointInput": captured}}), "test")
    assert (batch.records, batch.skipped, len(batch.rows)) == (1, 0, rows)
    assert batch.frame()["plan"].iloc[0] == "pro"


def test_bad_base64_and_unknown_content_types_are_corrupt() -> None:
    batch = capture.CaptureBatch(features=list(FEATURES), kinds=dict(FEATURES))
    for captured in (
        {"observedContentType": "text/csv", "encoding": "BASE64", "data": "@@@"},
        {"observedContentType": "image/png", "encoding": "BASE64", "data": "aGVsbG8="},
    ):
        batch.add_line(json.dumps({"captureData": {"endpointInput": captured}}), "test")
    assert (batch.records, batch.corrupt, batch.mismatched) == (2, 2, 0)
