"""Monitoring a batch-served model against moto: the transform's input and output objects in S3
in, CloudWatch metrics and S3 reports out.

The batch transform is played as SageMaker runs it: input objects under the input prefix, one
``<execution id>/<input key>.out`` per input object under the output prefix, one prediction
line per input row. Expected values are computed here from the frames written (pandas, scipy,
the drift engine on an in-memory frame), not read back through the job's code.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from runtime_support import FEATURES, OperationStubber, boto, customers
from scipy.stats import chi2_contingency

from mlops_runtime import monitoring_job
from mlops_runtime.contract import metrics as mm
from mlops_runtime.contract.config import ENV_VAR, MonitorConfig
from mlops_runtime.core.clock import UTC
from mlops_runtime.drift import build_profile, compare

NAMES = list(FEATURES)
INPUT = "s3://shop-data/scoring/"
OUTPUT = "s3://shop-out/batch/churn/"


def predict(frame: pd.DataFrame) -> np.ndarray:
    """The model: churn when spend is high, more so on the basic plan."""
    boost = np.where(frame["plan"] == "basic", 4.0, 0.0)
    return ((frame["spend"] + boost) > 55).astype(int).to_numpy()


@pytest.fixture
def now() -> datetime:
    """The run time: just after the objects the test writes (moto stamps them with the clock)."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)


@pytest.fixture
def reference() -> pd.DataFrame:
    """Buckets, and the reference prefix as the training pipeline's Profile step leaves it."""
    s3 = boto("s3")
    for bucket in ("shop-models", "shop-data", "shop-out", "shop-reports"):
        s3.create_bucket(Bucket=bucket)
    train = customers(3000, seed=1)
    holdout = customers(1000, seed=2)
    predictions = pd.DataFrame({"prediction": predict(holdout).astype(str)})
    documents = {
        "profile.json": build_profile(train, FEATURES).to_json(),
        "predictions.json": build_profile(predictions, {"prediction": "categorical"}).to_json(),
    }
    for name, text in documents.items():
        s3.put_object(Bucket="shop-models", Key=f"churn/{name}", Body=text.encode())
    return holdout


def batch_config(fmt: str, **changes: Any) -> MonitorConfig:
    data: dict[str, Any] = {
        "system": "shop",
        "model_id": "churn",
        "environment": "dev",
        "source": "batch",
        "profile_uri": "s3://shop-models/churn/profile.json",
        "batch_input_uri": INPUT,
        "batch_input_format": fmt,
        "batch_output_uri": OUTPUT,
        "reports_bucket": "shop-reports",
        "prediction_drift": {
            "profile_uri": "s3://shop-models/churn/predictions.json",
            "method": "chi2",
            "threshold": 0.01,
        },
        "max_corrupt_fraction": 0.2,
    }
    data.update(changes)
    return MonitorConfig.from_dict(data)


def put(uri: str, key: str, body: bytes) -> None:
    bucket = uri.split("/")[2]
    prefix = uri.split("/", 3)[3]
    boto("s3").put_object(Bucket=bucket, Key=prefix + key, Body=body)


def encode(frame: pd.DataFrame, fmt: str) -> bytes:
    if fmt == "parquet":
        return frame.to_parquet(index=False)
    if fmt == "csv":
        return frame.to_csv(index=False).encode()
    return frame.to_json(orient="records", lines=True).encode()


def transform(
    frames: dict[str, pd.DataFrame], fmt: str, execution: str = "exec-b", extra: int = 0
) -> None:
    """Plays one batch transform run: input objects, then one .out per object (``extra``
    predictions more than rows for the first object)."""
    for name, frame in frames.items():
        put(INPUT, name, encode(frame, fmt))
    for i, (name, frame) in enumerate(frames.items()):
        lines = [str(p) for p in predict(frame)] + ["1"] * (extra if i == 0 else 0)
        put(OUTPUT, f"{execution}/{name}.out", ("\n".join(lines) + "\n").encode())


def metric(name: str, at: datetime) -> float | None:
    dimensions = [{"Name": k, "Value": v} for k, v in mm.dimensions("churn", "dev")]
    points = boto("cloudwatch").get_metric_statistics(
        Namespace="MLOps/shop",
        MetricName=name,
        Dimensions=dimensions,
        StartTime=at - timedelta(minutes=5),
        EndTime=at + timedelta(minutes=5),
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    return points[0]["Maximum"] if points else None


def published_only_declared(config: MonitorConfig) -> bool:
    listed = boto("cloudwatch").list_metrics(Namespace="MLOps/shop")["Metrics"]
    found = {
        (m["MetricName"], frozenset((d["Name"], d["Value"]) for d in m["Dimensions"]))
        for m in listed
    }
    declared = {(name, frozenset(dims)) for name, dims in mm.published(config, NAMES)}
    return found <= declared


def chi2_p(reference: pd.Series, current: pd.Series) -> tuple[float, float]:
    table = pd.concat([reference.value_counts(), current.value_counts()], axis=1).fillna(0)
    statistic, p_value, _, _ = chi2_contingency(table.to_numpy().T, correction=False)
    return float(statistic), float(p_value)


def test_parquet_batch_gives_data_and_prediction_drift(
    reference: pd.DataFrame, now: datetime
) -> None:
    frames = {f"2026/01/part-{i}.parquet": customers(400, seed=10 + i, shift=8.0) for i in range(3)}
    # An earlier run scored part-0 differently: only the newest output of an object counts.
    put(OUTPUT, "exec-a/2026/01/part-0.parquet.out", b"0\n" * 400)
    transform(frames, "parquet")
    put(INPUT, "_SUCCESS", b"")
    config = batch_config("parquet")

    report = monitoring_job.run(config, now=now)

    current = pd.concat(frames.values(), ignore_index=True)
    profile = build_profile(customers(3000, seed=1), FEATURES)
    expected = compare(profile, current[NAMES])
    assert report["status"] == "ok" and report["source"] == "batch"
    assert report["batch"]["input_objects"] == 3 and report["batch"]["output_objects"] == 3
    assert metric(mm.ROWS_ANALYZED, now) == 1200
    assert metric(mm.DRIFT_SCORE, now) == pytest.approx(expected.overall_score)
    assert report["drift"]["drifted_features"] == expected.drifted_features == ["spend"]
    assert metric(mm.DRIFTED_FEATURES, now) == 1
    statistic, p_value = chi2_p(
        pd.Series(predict(reference)).astype(str), pd.Series(predict(current)).astype(str)
    )
    assert metric(mm.PREDICTION_ROWS, now) == 1200
    assert metric(mm.PREDICTION_DRIFT, now) == pytest.approx(statistic, rel=1e-9)
    assert metric(mm.PREDICTION_DRIFT_P_VALUE, now) == pytest.approx(p_value, rel=1e-6)
    assert metric(mm.PREDICTION_DRIFTED, now) == (1.0 if p_value < 0.01 else 0.0)
    assert metric(mm.NO_DATA, now) == 0 and metric(mm.CORRUPT_RECORDS, now) == 0
    assert published_only_declared(config)
    stored = boto("s3").get_object(Bucket="shop-reports", Key=report["report_keys"]["json"])
    assert json.loads(stored["Body"].read()) == report


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_line_split_batch_joins_predictions_for_bias(
    reference: pd.DataFrame, now: datetime, fmt: str
) -> None:
    frames = {f"day/part-{i}.{fmt}": customers(300, seed=20 + i) for i in range(3)}
    transform(frames, fmt, extra=2)  # part-0's output holds two lines too many: not joined
    config = batch_config(fmt, bias={"feature": "plan"})

    report = monitoring_job.run(config, now=now)

    joined = pd.concat([frames[f"day/part-{i}.{fmt}"] for i in (1, 2)], ignore_index=True)
    rates = pd.Series(predict(joined) == 1).groupby(joined["plan"].to_numpy()).mean()
    assert metric(mm.DEMOGRAPHIC_PARITY_DIFFERENCE, now) == pytest.approx(rates.max() - rates.min())
    assert metric(mm.BIAS_NO_DATA, now) == 0
    assert report["bias"]["rows"] == 600
    assert report["bias"]["join"]["joined_objects"] == 2
    assert report["bias"]["join"]["unjoined_objects"] == {
        "prediction count differs from input row count": 1
    }
    assert "302 prediction(s) for 300 input row(s)" in report["bias"]["join"]["problems"][0]
    assert metric(mm.ROWS_ANALYZED, now) == 900  # data drift reads every input object
    assert metric(mm.PREDICTION_ROWS, now) == 902
    assert published_only_declared(config)


def test_headerless_csv_is_read_in_feature_order(reference: pd.DataFrame, now: datetime) -> None:
    frame = customers(500, seed=30)
    put(INPUT, "in.csv.gz", _gzip(frame[NAMES].to_csv(index=False, header=False).encode()))
    config = batch_config("csv", batch_input_header=False, prediction_drift=None)

    report = monitoring_job.run(config, now=now)

    expected = compare(build_profile(customers(3000, seed=1), FEATURES), frame[NAMES])
    assert metric(mm.ROWS_ANALYZED, now) == 500
    assert report["drift"]["overall_score"] == pytest.approx(expected.overall_score)


def test_no_batch_objects_publish_no_data(
    reference: pd.DataFrame, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(INPUT, "_SUCCESS", b"")
    put(OUTPUT, ".hidden/x.out", b"1\n")
    config = batch_config("csv", bias={"feature": "plan"})
    monkeypatch.setattr(monitoring_job, "utcnow", lambda: now)
    monkeypatch.setenv(ENV_VAR, config.to_json())

    assert monitoring_job.main() == 0

    assert metric(mm.NO_DATA, now) == 1
    assert metric(mm.ROWS_ANALYZED, now) == 0 and metric(mm.DRIFT_SCORE, now) is None
    assert metric(mm.PREDICTION_DRIFT_NO_DATA, now) == 1
    assert metric(mm.BIAS_NO_DATA, now) == 1
    keys = boto("s3").list_objects_v2(Bucket="shop-reports")["Contents"]
    key = next(k["Key"] for k in keys if k["Key"].endswith(".json"))
    report = json.loads(boto("s3").get_object(Bucket="shop-reports", Key=key)["Body"].read())
    assert report["message"] == "no batch transform input or output objects in the window"
    assert report["bias"]["reason"] == (
        "no batch transform output joined with its input rows in the window"
    )


def test_objects_outside_the_window_are_not_read(reference: pd.DataFrame, now: datetime) -> None:
    transform({"a.parquet": customers(100, seed=40)}, "parquet")
    report = monitoring_job.run(batch_config("parquet"), now=now + timedelta(hours=30))
    assert report["status"] == "no_data" and report["batch"]["input_objects"] == 0


def test_corrupt_objects_are_counted_and_bound_the_job(
    reference: pd.DataFrame,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    frames = {f"p{i}.parquet": customers(200, seed=50 + i) for i in range(4)}
    transform(frames, "parquet")
    put(INPUT, "broken.parquet", b"PAR1 not really")
    put(OUTPUT, "exec-b/p9.parquet.out", b'{"predictions": [{"oops": 1}]}\n')
    config = batch_config("parquet")

    report = monitoring_job.run(config, now=now)  # 2 of 10 objects: at the 20 % bound

    assert report["capture"]["corrupt_records"] == 2
    assert metric(mm.CORRUPT_RECORDS, now) == 2
    assert metric(mm.ROWS_ANALYZED, now) == 800 and metric(mm.PREDICTION_ROWS, now) == 800
    problems = " ".join(report["capture"]["problems"])
    assert "broken.parquet: cannot read the object as parquet" in problems
    assert "a prediction object needs one of" in problems

    put(INPUT, "broken-2.parquet", b"garbage")  # 3 of 11: above the bound
    monkeypatch.setattr(monitoring_job, "utcnow", lambda: now)
    monkeypatch.setenv(ENV_VAR, config.to_json())
    assert monitoring_job.main() == 3
    assert "3 of 11 batch objects (27.3%) are unreadable" in capsys.readouterr().err


def test_input_without_the_profile_features_is_a_schema_mismatch(
    reference: pd.DataFrame, now: datetime
) -> None:
    frame = customers(50, seed=60).drop(columns="plan")
    transform({"x.parquet": frame.assign(plan="basic")}, "parquet")  # readable outputs
    put(INPUT, "x.parquet", frame.to_parquet())  # the input changed: no profile column 'plan'
    with pytest.raises(monitoring_job.MonitorError, match="schema mismatch") as raised:
        monitoring_job.run(batch_config("parquet"), now=now)
    assert raised.value.exit_code == 2
    assert "lacks feature column(s) ['plan']" in str(raised.value)


def _gzip(body: bytes) -> bytes:
    import gzip

    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as archive:
        archive.write(body)
    return buffer.getvalue()


def test_access_denied_on_an_input_object_fails_the_job_instead_of_counting_it_missing(
    reference: pd.DataFrame, now: datetime
) -> None:
    """HeadObject 403 is a broken role or key policy (the role may list the bucket, so a
    missing object answers 404): the job fails, saying so, rather than measure bias on less."""
    frames = {f"day/part-{i}.csv": customers(300, seed=40 + i) for i in range(2)}
    transform(frames, "csv")
    s3 = boto("s3")
    with OperationStubber(s3, "HeadObject") as stub:
        stub.add_client_error("head_object", service_error_code="403", http_status_code=403)
        with pytest.raises(monitoring_job.MonitorError, match=r"access denied \(403\)"):
            monitoring_job.run(batch_config("csv", bias={"feature": "plan"}), s3=s3, now=now)
