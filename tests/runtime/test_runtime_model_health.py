"""Prediction drift, bias and model quality end to end against moto.

The training pipeline's part is played as SageMaker would run it: the evaluation step scores
the holdout (writing evaluation.json and predictions.json), the Profile step profiles the
training data and copies predictions.json, and the test uploads both where the ProcessingOutput
would (the model's reference prefix). The endpoint is played by writing data-capture files
(inputs, outputs, inference ids) and the labelling process by writing ground truth to S3. The
monitoring job then runs for real against moto; every expected value is computed here
independently (scipy, pandas, scikit-learn).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from runtime_support import FEATURES, boto, customers
from scipy.stats import chi2_contingency
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from transform_support import score_holdout, sklearn_container

from mlops_runtime import evaluate, monitoring_job, profile_job
from mlops_runtime.contract import metrics as mm
from mlops_runtime.contract.config import (
    ENV_VAR,
    EvaluateConfig,
    MonitorConfig,
    ProfileConfig,
    QualityCheck,
)
from mlops_runtime.core.clock import UTC
from mlops_runtime.drift import Profile
from mlops_runtime.jobs import capture, model_health

NOW = datetime.now(UTC).replace(microsecond=0)
ENDPOINT = "churn-dev"
NAMES = list(FEATURES)
REFERENCE = "s3://shop-models/models/churn/reference"
LABELS = "s3://shop-labels/labels/"


def churn_frame(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Customers whose churn depends on spend and plan (so positive rates differ by plan)."""
    frame = customers(rows, seed, shift)
    rng = np.random.default_rng(seed + 100)
    effect = frame["plan"].map({"basic": 0.8, "pro": -0.6, "team": 0.0})
    frame["churned"] = (
        (0.15 * (frame["spend"] - 50) + effect + rng.normal(0, 1, rows)) > 0
    ).astype(int)
    return frame


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The training run: model, evaluation step output, Profile step output (local files)."""
    root = tmp_path_factory.mktemp("pipeline")
    train, holdout = churn_frame(2000, seed=1), churn_frame(800, seed=2)
    model = Pipeline(
        [
            (
                "encode",
                ColumnTransformer(
                    [("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"])],
                    remainder="passthrough",
                ),
            ),
            ("fit", LogisticRegression(max_iter=1000)),
        ]
    ).fit(train[NAMES], train["churned"])
    (root / "holdout").mkdir()
    holdout.to_parquet(root / "holdout" / "holdout.parquet")
    # PrepareHoldout and the candidate's container scoring it (ScoreHoldout)
    score = sklearn_container(model, "probability")
    score_holdout(score, root / "holdout", root, label="churned", features=FEATURES)
    (root / "data").mkdir()
    train.to_parquet(root / "data" / "part-0.parquet")
    config = EvaluateConfig.from_dict(
        {
            "model_id": "churn",
            "task": "classification",
            "label": "churned",
            "features": NAMES,
            "output": "probability",
            "gate": {"metric": "auc", "min_value": 0.6},
        }
    )
    evaluation = evaluate.run(config, root / "predictions", root / "prepared", root / "evaluation")
    profile_config = ProfileConfig(
        model_id="churn", features=FEATURES, format="parquet", copy_predictions=True
    )
    profile_job.run(profile_config, root / "data", root / "profile", root / "evaluation")
    return {"model": model, "holdout": holdout, "evaluation": evaluation, "root": root}


@pytest.fixture
def system(trained: dict[str, Any]) -> dict[str, Any]:
    """Buckets, and the reference prefix as the Profile step's ProcessingOutput leaves it."""
    s3 = boto("s3")
    for bucket in ("shop-models", "shop-capture", "shop-reports", "shop-labels"):
        s3.create_bucket(Bucket=bucket)
    for name in ("profile.json", "predictions.json"):
        s3.put_object(
            Bucket="shop-models",
            Key=f"models/churn/reference/{name}",
            Body=(trained["root"] / "profile" / name).read_bytes(),
        )
    return trained


def monitor_config(**changes: Any) -> MonitorConfig:
    data: dict[str, Any] = {
        "system": "shop",
        "model_id": "churn",
        "environment": "dev",
        "endpoint_name": ENDPOINT,
        "profile_uri": f"{REFERENCE}/profile.json",
        "capture_uri": "s3://shop-capture/datacapture",
        "reports_bucket": "shop-reports",
        "prediction_drift": {
            "profile_uri": f"{REFERENCE}/predictions.json",
            "method": "chi2",
            "threshold": 0.01,
        },
        "bias": {"feature": "plan"},
        "model_quality": {
            "ground_truth_uri": LABELS,
            "format": "parquet",
            "label": "churned",
            "metrics": ["accuracy", "auc", "f1"],
        },
    }
    data.update(changes)
    return MonitorConfig.from_dict(data)


def request(
    row: pd.Series, output: dict[str, str], inference_id: str | None, when: datetime
) -> str:
    """One data-capture line: a one-row CSV request, the endpoint's output, the inference id."""
    values = ",".join(str(row[name]) for name in NAMES)
    metadata = {"eventId": str(uuid.uuid4()), "inferenceTime": f"{when:%Y-%m-%dT%H:%M:%SZ}"}
    if inference_id:
        metadata["inferenceId"] = inference_id
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": values,
                    "encoding": "CSV",
                },
                "endpointOutput": {**output, "mode": "OUTPUT"},
            },
            "eventMetadata": metadata,
            "eventVersion": "0",
        }
    )


def label_output(label: Any) -> dict[str, str]:
    return {"observedContentType": "text/csv", "data": f"{label}\n", "encoding": "CSV"}


def score_output(score: float) -> dict[str, str]:
    body = json.dumps({"predictions": [{"score": score}]})
    return {"observedContentType": "application/json", "data": body, "encoding": "JSON"}


def serve(
    model: Any, frame: pd.DataFrame, scores: bool = False, extra: Sequence[str] = ()
) -> list[str]:
    """Plays the endpoint with data capture: one request per row, two hourly capture files.
    Returns the inference ids."""
    ids = [f"req-{i:04d}" for i in range(len(frame))]
    outputs: list[dict[str, str]] = []
    if frame.empty:  # only the extra records
        outputs = []
    elif scores:
        outputs = [score_output(float(s)) for s in model.predict_proba(frame[NAMES])[:, 1]]
    else:
        outputs = [label_output(label) for label in model.predict(frame[NAMES])]
    lines: dict[int, list[str]] = {1: [], 2: []}
    for i, (_, row) in enumerate(frame.iterrows()):
        hour = 1 + i % 2
        lines[hour].append(request(row, outputs[i], ids[i], NOW - timedelta(hours=hour)))
    lines[1] += list(extra)
    for hour, records in lines.items():
        when = NOW - timedelta(hours=hour)
        key = f"datacapture/{ENDPOINT}/AllTraffic/{when:%Y/%m/%d/%H}/{when:%M-%S}-x.jsonl"
        boto("s3").put_object(Bucket="shop-capture", Key=key, Body="\n".join(records).encode())
    return ids


def label(frame: pd.DataFrame, ids: list[str], key: str = "labels/2026/part-0.parquet") -> None:
    """Plays the labelling process: ground truth (inference id, label) lands in S3."""
    truth = pd.DataFrame({"inference_id": ids, "churned": frame["churned"].to_numpy()})
    body = truth.to_parquet(index=False)
    boto("s3").put_object(Bucket="shop-labels", Key=key, Body=body)


def metric(name: str, *extra: tuple[str, str]) -> float | None:
    dimensions = [{"Name": k, "Value": v} for k, v in mm.dimensions("churn", "dev", *extra)]
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


def published_series() -> set[tuple[str, frozenset[tuple[str, str]]]]:
    listed = boto("cloudwatch").list_metrics(Namespace="MLOps/shop")["Metrics"]
    return {
        (m["MetricName"], frozenset((d["Name"], d["Value"]) for d in m["Dimensions"]))
        for m in listed
    }


def assert_only_declared_series(config: MonitorConfig) -> None:
    declared = {(name, frozenset(dims)) for name, dims in mm.published(config, NAMES)}
    assert published_series() <= declared


def positive_rates(frame: pd.DataFrame, positive: pd.Series) -> pd.Series:
    return positive.groupby(frame["plan"].to_numpy()).mean()


def test_the_evaluation_step_profiles_its_predictions(system: dict[str, Any]) -> None:
    root, model, holdout = system["root"], system["model"], system["holdout"]
    written = Profile.from_json((root / "evaluation" / "predictions.json").read_text())
    assert written.kinds == {"prediction": "categorical", "score": "numeric"}
    counts = pd.Series(model.predict(holdout[NAMES])).astype(str).value_counts().to_dict()
    assert written.features["prediction"].categories == counts  # type: ignore[union-attr]
    scores = model.predict_proba(holdout[NAMES])[:, 1]
    assert written.features["score"].mean == pytest.approx(scores.mean())  # type: ignore[union-attr]
    assert system["evaluation"]["predictions"] == {
        "file": "predictions.json",
        "columns": {"prediction": "categorical", "score": "numeric"},
        "content_type": "text/csv",
        "output": "probability",
    }
    # The Profile step copied it next to profile.json: the reference prefix holds both.
    copied = (root / "profile" / "predictions.json").read_text()
    assert copied == (root / "evaluation" / "predictions.json").read_text()


def test_labels_prediction_drift_bias_and_quality(system: dict[str, Any]) -> None:
    model, holdout = system["model"], system["holdout"]
    served = churn_frame(600, seed=11, shift=6.0)  # customers spend more: more churn predicted
    ids = serve(model, served)
    label(served.iloc[:400], ids[:400])  # labels so far for 400 of the 600 requests
    config = monitor_config()

    report = monitoring_job.run(config, now=NOW)

    # Prediction drift (chi2 on labels): the 2 x k table of reference vs served label counts.
    reference = pd.Series(model.predict(holdout[NAMES])).value_counts()
    current = pd.Series(model.predict(served[NAMES])).value_counts()
    table = pd.concat([reference, current], axis=1).fillna(0).to_numpy().T
    statistic, p_value, _, _ = chi2_contingency(table, correction=False)
    assert report["prediction_drift"]["form"] == "labels"
    assert metric(mm.PREDICTION_DRIFT) == pytest.approx(statistic, rel=1e-9)
    assert metric(mm.PREDICTION_DRIFT_P_VALUE) == pytest.approx(p_value, rel=1e-6)
    assert metric(mm.PREDICTION_DRIFTED) == (1.0 if p_value < 0.01 else 0.0) == 1.0
    assert metric(mm.PREDICTION_ROWS) == 600
    assert metric(mm.PREDICTION_DRIFT_NO_DATA) == 0
    # Bias: positive label = the last class ("1"); every plan has >= 30 rows.
    rates = positive_rates(served, pd.Series(model.predict(served[NAMES]) == 1))
    assert metric(mm.DEMOGRAPHIC_PARITY_DIFFERENCE) == pytest.approx(rates.max() - rates.min())
    assert report["bias"]["groups"]["pro"]["positive_rate"] == pytest.approx(rates["pro"])
    assert metric(mm.BIAS_NO_DATA) == 0
    # Quality on the 400 joined requests; auc needs scores, the endpoint returns labels.
    predicted = model.predict(served[NAMES].iloc[:400])
    truth = served["churned"].iloc[:400]
    assert metric(mm.GROUND_TRUTH_ROWS) == 400
    assert metric(mm.MODEL_QUALITY, (mm.METRIC, "accuracy")) == pytest.approx(
        accuracy_score(truth, predicted)
    )
    assert metric(mm.MODEL_QUALITY, (mm.METRIC, "f1")) == pytest.approx(
        f1_score(truth, predicted, pos_label=1)
    )
    assert metric(mm.MODEL_QUALITY, (mm.METRIC, "auc")) is None
    assert metric(mm.MODEL_QUALITY_NO_DATA, (mm.METRIC, "auc")) == 1
    assert metric(mm.MODEL_QUALITY_NO_DATA, (mm.METRIC, "accuracy")) == 0
    assert report["model_quality"]["not_computed"] == {
        "auc": "auc needs scores; the endpoint returns class labels"
    }
    # Data drift still runs on the same records; everything published was declared.
    assert metric(mm.DRIFT_SCORE) is not None and metric(mm.NO_DATA) == 0
    assert_only_declared_series(config)
    keys = report["report_keys"]
    page = boto("s3").get_object(Bucket="shop-reports", Key=keys["html"])["Body"].read()
    assert b"Model health" in page and b"Bias (demographic parity)" in page


def test_scores_use_the_score_reference_and_give_auc(system: dict[str, Any]) -> None:
    model, holdout = system["model"], system["holdout"]
    served = churn_frame(600, seed=12, shift=3.0)
    ids = serve(model, served, scores=True)
    label(served, ids)
    config = monitor_config(
        prediction_drift={"profile_uri": f"{REFERENCE}/predictions.json", "method": "psi"}
    )

    report = monitoring_job.run(config, now=NOW)

    # PSI of the scores on the reference's 10 quantile bins (right-closed), epsilon 1e-4.
    reference = model.predict_proba(holdout[NAMES])[:, 1]
    scores = model.predict_proba(served[NAMES])[:, 1]
    edges = np.unique(np.quantile(reference, np.linspace(0.1, 0.9, 9)))
    r = np.bincount(np.searchsorted(edges, reference, side="left"), minlength=len(edges) + 1)
    c = np.bincount(np.searchsorted(edges, scores, side="left"), minlength=len(edges) + 1)
    r_share = np.maximum(r / r.sum(), 1e-4)
    c_share = np.maximum(c / c.sum(), 1e-4)
    psi = float(np.sum((c_share - r_share) * np.log(c_share / r_share)))
    assert report["prediction_drift"]["column"] == "score"
    assert metric(mm.PREDICTION_DRIFT) == pytest.approx(psi, rel=1e-9)
    assert metric(mm.PREDICTION_DRIFT_P_VALUE) is None  # psi has none
    assert metric(mm.PREDICTION_DRIFTED) == (1.0 if psi > 0.1 else 0.0)
    # Bias on scores: positive at >= 0.5.
    rates = positive_rates(served, pd.Series(scores >= 0.5))
    assert metric(mm.DEMOGRAPHIC_PARITY_DIFFERENCE) == pytest.approx(rates.max() - rates.min())
    # Quality: auc from the scores, accuracy from scores >= 0.5.
    truth = served["churned"].to_numpy()
    assert metric(mm.MODEL_QUALITY, (mm.METRIC, "auc")) == pytest.approx(
        roc_auc_score(truth, scores)
    )
    assert metric(mm.MODEL_QUALITY, (mm.METRIC, "accuracy")) == pytest.approx(
        accuracy_score(truth, scores >= 0.5)
    )
    assert metric(mm.GROUND_TRUTH_ROWS) == 600
    assert_only_declared_series(config)


def test_no_captured_traffic_publishes_no_data_for_every_check(
    system: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = monitor_config()
    monkeypatch.setenv(ENV_VAR, config.to_json())

    assert monitoring_job.main() == 0

    assert metric(mm.NO_DATA) == 1
    assert metric(mm.PREDICTION_DRIFT_NO_DATA) == 1 and metric(mm.PREDICTION_DRIFT) is None
    assert metric(mm.BIAS_NO_DATA) == 1 and metric(mm.DEMOGRAPHIC_PARITY_DIFFERENCE) is None
    assert metric(mm.GROUND_TRUTH_ROWS) == 0
    for name in ("accuracy", "auc", "f1"):
        assert metric(mm.MODEL_QUALITY_NO_DATA, (mm.METRIC, name)) == 1
        assert metric(mm.MODEL_QUALITY, (mm.METRIC, name)) is None
    assert_only_declared_series(config)


def test_unjoined_ground_truth_missing_reference_and_small_groups_are_no_data(
    system: dict[str, Any],
) -> None:
    model = system["model"]
    served = churn_frame(80, seed=13)  # 80 requests over three plans: some group below 30
    serve(model, served)
    label(served, [f"other-{i}" for i in range(len(served))])  # labels of other requests
    boto("s3").delete_object(Bucket="shop-models", Key="models/churn/reference/predictions.json")
    config = monitor_config(
        model_quality={
            "ground_truth_uri": LABELS,
            "format": "parquet",
            "label": "churned",
            "metrics": ["accuracy"],
        }
    )

    report = monitoring_job.run(config, now=NOW)

    assert report["status"] == "ok"  # data drift measured; the others say why not
    assert metric(mm.PREDICTION_DRIFT_NO_DATA) == 1
    assert (
        "prediction profile s3://shop-models/models/churn/reference/predictions.json does not exist"
        in (report["prediction_drift"]["reason"])
    )
    sizes = served["plan"].value_counts()
    assert (sizes >= 30).sum() == 1  # one group large enough: no difference to measure
    assert metric(mm.BIAS_NO_DATA) == 1 and metric(mm.DEMOGRAPHIC_PARITY_DIFFERENCE) is None
    assert report["bias"]["ignored_groups"] == {
        str(g): int(n) for g, n in sorted(sizes.items()) if n < 30
    }
    assert metric(mm.GROUND_TRUTH_ROWS) == 0
    assert metric(mm.MODEL_QUALITY_NO_DATA, (mm.METRIC, "accuracy")) == 1
    assert report["model_quality"]["join"]["ground_truth_ids"] == 80
    assert metric(mm.DRIFT_SCORE) is not None


def test_corrupt_outputs_are_skipped_and_counted(system: dict[str, Any]) -> None:
    model = system["model"]
    served = churn_frame(300, seed=14)
    when = NOW - timedelta(minutes=1)
    broken = request(served.iloc[0], {"encoding": "JSON", "data": "{oops"}, "bad-1", when)
    several = request(served.iloc[1], label_output("1\n0"), "bad-2", when)
    ids = serve(model, served, extra=[broken, several])
    label(served, ids)

    report = monitoring_job.run(monitor_config(), now=NOW)

    assert report["capture"]["corrupt_records"] == 2
    assert metric(mm.CORRUPT_RECORDS) == 2
    problems = " ".join(report["capture"]["problems"])
    assert "payload is not JSON" in problems
    assert "the output holds 2 prediction(s) for 1 input row(s)" in problems
    assert metric(mm.GROUND_TRUTH_ROWS) == 300 and metric(mm.PREDICTION_ROWS) == 300


def test_corrupt_outputs_over_the_bound_fail_the_job(
    system: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served = churn_frame(20, seed=15)
    png = {"observedContentType": "image/png", "encoding": "BASE64", "data": "aGk="}
    when = NOW - timedelta(minutes=1)
    broken = [request(row, png, None, when) for _, row in served.iterrows()]
    serve(system["model"], served.iloc[:5], extra=broken)
    monkeypatch.setenv(ENV_VAR, monitor_config().to_json())

    assert monitoring_job.main() == monitoring_job.EXIT_CORRUPT

    assert "20 of 25 captured records (80.0%) are unreadable" in capsys.readouterr().err
    assert metric(mm.CORRUPT_RECORDS) == 20
    assert metric(mm.PREDICTION_DRIFT) is None


def test_unreadable_ground_truth_is_skipped_or_fails_after_publishing(
    system: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served = churn_frame(200, seed=16)
    ids = serve(system["model"], served)
    s3 = boto("s3")
    s3.put_object(Bucket="shop-labels", Key="labels/broken.parquet", Body=b"not parquet")
    s3.put_object(Bucket="shop-labels", Key="labels/_SUCCESS", Body=b"")
    label(served, ids)

    report = monitoring_job.run(monitor_config(), now=NOW)

    assert report["model_quality"]["ground_truth"]["objects"] == 2
    assert "labels/broken.parquet" in report["model_quality"]["ground_truth"]["problems"][0]
    assert metric(mm.GROUND_TRUTH_ROWS) == 200

    # Every object unreadable (a wrong format or column names would do the same): metrics
    # and the report are written, then the job fails so the misconfiguration is seen.
    s3.delete_object(Bucket="shop-labels", Key="labels/2026/part-0.parquet")
    monkeypatch.setenv(ENV_VAR, monitor_config().to_json())
    assert monitoring_job.main() == monitoring_job.EXIT_INPUT
    assert "every ground-truth object under s3://shop-labels/labels/ is unreadable" in (
        capsys.readouterr().err
    )


def test_regression_predictions_are_a_numeric_reference(tmp_path: Path) -> None:
    frame = customers(400, seed=17)
    frame["revenue"] = 3 * frame["spend"] + frame["tenure"]
    model = LinearRegression().fit(frame[["tenure", "spend"]], frame["revenue"])
    (tmp_path / "holdout").mkdir()
    frame.to_csv(tmp_path / "holdout" / "holdout.csv", index=False)
    score = sklearn_container(model, "label")
    numeric = {"tenure": "numeric", "spend": "numeric"}
    score_holdout(
        score, tmp_path / "holdout", tmp_path, label="revenue", features=numeric, data_format="csv"
    )
    config = EvaluateConfig.from_dict(
        {
            "model_id": "ltv",
            "task": "regression",
            "label": "revenue",
            "features": ["tenure", "spend"],
            "gate": {"metric": "rmse", "max_value": 10},
        }
    )
    evaluate.run(config, tmp_path / "predictions", tmp_path / "prepared", tmp_path / "out")
    profile = Profile.from_json((tmp_path / "out" / "predictions.json").read_text())
    assert profile.kinds == {"prediction": "numeric"}
    predicted = model.predict(frame[["tenure", "spend"]])
    assert profile.features["prediction"].mean == pytest.approx(predicted.mean())  # type: ignore[union-attr]


def test_profile_step_fails_without_predictions_when_asked_to_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    customers(50, seed=18).to_parquet(tmp_path / "train.parquet")
    config = ProfileConfig(
        model_id="churn", features=FEATURES, format="parquet", copy_predictions=True
    )
    monkeypatch.setenv(ENV_VAR, config.to_json())
    status = profile_job.main(
        ["--input", str(tmp_path), "--output", str(tmp_path / "out"), "--evaluation", str(tmp_path)]
    )
    assert status == profile_job.EXIT_INPUT
    assert "predictions.json does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ({"encoding": "CSV", "data": "1\n0\n"}, ["1", "0"]),
        ({"encoding": "JSON", "data": "0.73"}, [0.73]),
        ({"encoding": "JSON", "data": "[0.1, 0.9]"}, [0.1, 0.9]),
        ({"encoding": "JSON", "data": '{"predictions": [1, 0]}'}, [1, 0]),
        (
            {"encoding": "JSON", "data": '{"predictions": [{"score": 0.2, "predicted_label": 0}]}'},
            [0],
        ),
        ({"encoding": "JSON", "data": '[["yes"]]'}, ["yes"]),
        (
            {"observedContentType": "application/jsonlines", "encoding": "JSON", "data": "1\n2"},
            [1, 2],
        ),
        ({"observedContentType": "text/csv", "encoding": "BASE64", "data": "MC40Cg=="}, ["0.4"]),
    ],
)
def test_output_payload_shapes(output: dict[str, str], expected: list[Any]) -> None:
    assert capture.parse_output({"captureData": {"endpointOutput": output}}) == expected


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        ({"encoding": "CSV", "data": "0.2,0.8"}, capture.Mismatch),
        ({"encoding": "JSON", "data": "[[0.2, 0.8]]"}, capture.Mismatch),
        ({"encoding": "JSON", "data": '{"probabilities": [0.2]}'}, capture.Mismatch),
        ({"encoding": "JSON", "data": "[]"}, capture.Corrupt),
        ({"encoding": "XML", "data": "<a/>"}, capture.Corrupt),
    ],
)
def test_unusable_outputs(output: dict[str, str], problem: type[Exception]) -> None:
    with pytest.raises(problem):
        capture.parse_output({"captureData": {"endpointOutput": output}})


def test_labels_and_scores_conventions() -> None:
    assert [model_health.as_label(v) for v in (1, 1.0, "1", "1.0", " yes ", "007", True)] == [
        "1",
        "1",
        "1",
        "1",
        "yes",
        "007",
        "True",
    ]
    assert model_health.prediction_form(["0.2", 0.9, 1]) == "scores"
    assert model_health.prediction_form([0, 1, "1"]) == "labels"
    assert model_health.prediction_form([0.2, "churn"]) == "labels"
    assert model_health.positive_class(None, ["10", "9", "2"]) == "10"  # numeric order
    assert model_health.positive_class(None, ["no", "yes"]) == "yes"
    assert model_health.positive_class("no", ["no", "yes"]) == "no"


def test_regression_quality_matches_scikit_learn() -> None:
    joined = pd.DataFrame({"prediction": ["1.5", 2.0, 3.5, None], "label": [1, 2, 4, 5]})
    check = QualityCheck(
        ground_truth_uri=LABELS, format="csv", label="y", metrics=("rmse", "mae", "r2")
    )
    values, reasons = model_health.quality(joined, check)
    truth, predicted = np.array([1, 2, 4]), np.array([1.5, 2.0, 3.5])
    assert values["rmse"] == pytest.approx(math.sqrt(np.mean((truth - predicted) ** 2)))
    assert values["mae"] == pytest.approx(np.mean(np.abs(truth - predicted)))
    assert values["r2"] == pytest.approx(
        1 - np.sum((truth - predicted) ** 2) / np.sum((truth - truth.mean()) ** 2)
    )
    assert reasons == {}


def test_per_class_score_outputs_are_a_schema_mismatch(system: dict[str, Any]) -> None:
    served = churn_frame(10, seed=19)
    vectors = {"observedContentType": "text/csv", "encoding": "CSV", "data": "0.2,0.8"}
    when = NOW - timedelta(minutes=1)
    serve(
        system["model"],
        served.iloc[:0],
        extra=[request(r, vectors, None, when) for _, r in served.iterrows()],
    )
    with pytest.raises(monitoring_job.MonitorError, match="one prediction per input row") as raised:
        monitoring_job.run(monitor_config(), now=NOW)
    assert raised.value.exit_code == monitoring_job.EXIT_INPUT
    assert "CSV output line has 2 values" in str(raised.value)
