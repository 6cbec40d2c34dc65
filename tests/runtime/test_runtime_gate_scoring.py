"""The gate from predictions files, for any serving container: the real PrepareHoldout job and
the real evaluation, with the batch transform's output in the shapes containers return (CSV
lines, JSON Lines; labels, a probability, per-class probabilities). No model is loaded by the
evaluation; moto runs no transform, so the output files are written here (by hand, or by a
scikit-learn container played by ``transform_support``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from runtime_support import classification_data
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from transform_support import score_holdout, sklearn_container

from mlops_runtime import evaluate
from mlops_runtime.contract.config import EvaluateConfig
from mlops_runtime.contract.holdout import HoldoutConfig
from mlops_runtime.drift import Profile
from mlops_runtime.jobs import holdout

FEATURES = {f"f{i}": "numeric" for i in range(6)}


def config(metric: str, output: str, content_type: str = "text/csv", **gate: Any) -> EvaluateConfig:
    return EvaluateConfig.from_dict(
        {
            "model_id": "churn",
            "task": "classification",
            "label": "churned",
            "content_type": content_type,
            "output": output,
            "gate": {"metric": metric, **gate},
        }
    )


def run(workdir: Path, evaluate_config: EvaluateConfig) -> dict[str, Any]:
    return evaluate.run(
        evaluate_config, workdir / "predictions", workdir / "prepared", workdir / "evaluation"
    )


# --- format 1: a scikit-learn container, CSV with a header in, one label per line out ---------


@pytest.fixture
def sklearn_scored(tmp_path: Path) -> tuple[Path, pd.DataFrame, Any]:
    data = classification_data()
    model = LogisticRegression().fit(data.iloc[:400][list(FEATURES)], data.iloc[:400]["churned"])
    (tmp_path / "holdout").mkdir()
    test = data.iloc[400:]
    test.to_csv(tmp_path / "holdout" / "part-0.csv", index=False)  # a header row, extra order
    score_holdout(
        sklearn_container(model, "label"),
        tmp_path / "holdout",
        tmp_path,
        label="churned",
        features=FEATURES,
        data_format="csv",
    )
    return tmp_path, test, model


def test_a_scikit_learn_containers_labels_pass_the_gate(
    sklearn_scored: tuple[Path, pd.DataFrame, Any],
) -> None:
    workdir, test, model = sklearn_scored
    expected = accuracy_score(test["churned"], model.predict(test[list(FEATURES)]))
    assert expected > 0.8

    evaluation = run(workdir, config("accuracy", "label", min_value=0.8))

    assert evaluation["verdict"] == "passed" and evaluation["gate"]["passed"] is True
    assert evaluation["metrics"]["accuracy"] == pytest.approx(expected)
    assert "auc" not in evaluation["metrics"]  # labels carry no scores
    assert evaluation["holdout"]["rows"] == len(test)
    profile = Profile.from_json((workdir / "evaluation" / "predictions.json").read_text())
    assert profile.kinds == {"prediction": "categorical"}


def test_the_same_predictions_fail_a_stricter_gate(
    sklearn_scored: tuple[Path, pd.DataFrame, Any],
) -> None:
    workdir, _, _ = sklearn_scored
    evaluation = run(workdir, config("accuracy", "label", min_value=0.99))
    assert (evaluation["verdict"], evaluation["gate"]["passed"]) == ("rejected", False)
    written = json.loads((workdir / "evaluation" / "evaluation.json").read_text())
    assert written["gate"]["passed"] is False  # what the pipeline's CheckGate reads
    assert (workdir / "evaluation" / "predictions.json").is_file()


# --- format 2: an XGBoost built-in (binary:logistic), headerless CSV in, probabilities out -----

ROWS = [  # (id, label, x1, x2): the holdout as the team stores it, no header row
    ("a", 1, 0.5, 3.0),
    ("b", 0, 0.1, 1.0),
    ("c", 1, 0.9, 2.0),
    ("d", 0, 0.4, 0.0),
    ("e", 1, 0.2, 5.0),
    ("f", 0, 0.7, 1.5),
]
PROBABILITIES = ["0.9", "0.2", "0.6", "0.4", "0.3", "0.55"]
"""What the container wrote per row: one positive-class probability per CSV line."""


def xgboost_scored(tmp_path: Path) -> Path:
    (tmp_path / "holdout" / "day=1").mkdir(parents=True)
    lines = [",".join(str(v) for v in row) for row in ROWS]
    (tmp_path / "holdout" / "day=1" / "part-0.csv").write_text("\n".join(lines) + "\n")
    prepare = HoldoutConfig(
        model_id="churn",
        features={"x1": "numeric", "x2": "numeric"},
        label="churned",
        format="csv",
        columns=("id", "churned", "x1", "x2"),
    )
    holdout.run(prepare, tmp_path / "holdout", tmp_path / "prepared")
    prepared = (tmp_path / "prepared" / "day=1" / "part-0.csv").read_text().splitlines()
    assert prepared == [
        "1,0.5,3.0",
        "0,0.1,1.0",
        "1,0.9,2.0",
        "0,0.4,0.0",
        "1,0.2,5.0",
        "0,0.7,1.5",
    ]
    # SageMaker: OutputFilter $[0,3:] keeps the label and the container's value per line
    out = [f"{line.split(',')[0]},{p}" for line, p in zip(prepared, PROBABILITIES, strict=True)]
    target = tmp_path / "predictions" / "day=1" / "part-0.csv.out"
    target.parent.mkdir(parents=True)
    target.write_text("\n".join(out) + "\n")
    return tmp_path


def test_xgboost_style_probabilities_give_auc_and_labels(tmp_path: Path) -> None:
    workdir = xgboost_scored(tmp_path)
    evaluation = run(workdir, config("auc", "probability", min_value=0.7))
    # By hand: positives score 0.9, 0.6, 0.3; negatives 0.2, 0.4, 0.55. Of the 9 pairs the
    # positive ranks higher in 7 (0.9 beats all 3, 0.6 beats all 3, 0.3 beats 0.2 only).
    assert evaluation["metrics"]["auc"] == pytest.approx(7 / 9)
    # Labels at 0.5: 1,0,1,0,0,1 against 1,0,1,0,1,0: 4 of 6 right.
    assert evaluation["metrics"]["accuracy"] == pytest.approx(4 / 6)
    assert evaluation["metrics"]["precision"] == pytest.approx(2 / 3)
    assert evaluation["verdict"] == "passed"
    profile = Profile.from_json((workdir / "evaluation" / "predictions.json").read_text())
    assert profile.kinds == {"prediction": "categorical", "score": "numeric"}
    assert profile.features["score"].mean == pytest.approx(2.95 / 6)  # type: ignore[union-attr]


def test_xgboost_style_probabilities_fail_a_higher_bar(tmp_path: Path) -> None:
    evaluation = run(xgboost_scored(tmp_path), config("auc", "probability", min_value=0.8))
    assert (evaluation["verdict"], evaluation["gate"]["passed"]) == ("rejected", False)


def test_json_lines_answers_score_the_same_as_csv(tmp_path: Path) -> None:
    """The same container answering JSON objects (``{"score": p}``) through JSON Lines."""
    data = classification_data()
    model = LogisticRegression().fit(data.iloc[:400][list(FEATURES)], data.iloc[:400]["churned"])
    (tmp_path / "holdout").mkdir()
    data.iloc[400:].to_parquet(tmp_path / "holdout" / "part-0.parquet")
    scored: dict[str, dict[str, float]] = {}
    for content_type in ("text/csv", "application/jsonlines"):
        root = tmp_path / content_type.replace("/", "-")
        score_holdout(
            sklearn_container(model, "probability"),
            tmp_path / "holdout",
            root,
            label="churned",
            features=FEATURES,
            content_type=content_type,
            json_answer=lambda p: {"score": p},
        )
        scored[content_type] = run(root, config("auc", "probability", content_type))["metrics"]
    assert scored["application/jsonlines"] == pytest.approx(scored["text/csv"])
    first = (tmp_path / "application-jsonlines" / "prepared" / "part-0.parquet").read_text()
    assert json.loads(first.splitlines()[0]).keys() == {"label", "features"}


def test_per_class_probabilities_pick_the_likeliest_class(tmp_path: Path) -> None:
    """A multi:softprob-style container: one probability per class, classes in sorted order."""
    (tmp_path / "holdout").mkdir()
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "churned": ["b", "a", "c", "b"]})
    frame.to_json(tmp_path / "holdout" / "part-0.jsonl", orient="records", lines=True)
    answers = iter([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.3, 0.6, 0.1]])
    score_holdout(
        lambda rows: [next(answers) for _ in range(len(rows))],
        tmp_path / "holdout",
        tmp_path,
        label="churned",
        features={"x": "numeric"},
        data_format="jsonl",
        content_type="application/jsonlines",
        json_answer=lambda p: {"probabilities": p},
    )
    evaluation = run(tmp_path, config("accuracy", "probabilities", "application/jsonlines"))
    # argmax per row: b, a, b, b against b, a, c, b
    assert evaluation["metrics"]["accuracy"] == pytest.approx(3 / 4)
    assert "auc" in evaluation["metrics"]


def test_outputs_that_do_not_pair_with_the_holdout_fail(tmp_path: Path) -> None:
    workdir = xgboost_scored(tmp_path)
    out = workdir / "predictions" / "day=1" / "part-0.csv.out"
    lines = out.read_text().splitlines()
    out.write_text("\n".join([lines[1], lines[0], *lines[2:]]) + "\n")
    with pytest.raises(evaluate.EvaluationError, match="line 1 carries label '0' where the"):
        run(workdir, config("auc", "probability"))
    out.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(evaluate.EvaluationError, match="holdout has 6 rows, the transform"):
        run(workdir, config("auc", "probability"))
    out.rename(workdir / "predictions" / "day=1" / "other.csv.out")
    with pytest.raises(evaluate.EvaluationError, match="does not match the holdout"):
        run(workdir, config("auc", "probability"))


@pytest.mark.parametrize(
    ("answer", "output", "message"),
    [
        ("0.9,0.1", "probability", "returned 2 values for a row"),
        ("1.7", "probability", r"must lie in \[0, 1\]"),
        ("yes", "probability", "must be a number"),
        ("0.9,0.1,0.0", "probabilities", "the holdout has 2 classes"),
    ],
)
def test_answers_that_do_not_fit_the_declared_output_fail_clearly(
    tmp_path: Path, answer: str, output: str, message: str
) -> None:
    workdir = xgboost_scored(tmp_path)
    out = workdir / "predictions" / "day=1" / "part-0.csv.out"
    labels = [line.split(",")[0] for line in out.read_text().splitlines()]
    out.write_text("".join(f"{label},{answer}\n" for label in labels))
    with pytest.raises(evaluate.EvaluationError, match=message):
        run(workdir, config("accuracy", output))


def test_preparation_drops_unlabelled_rows_and_keeps_categorical_text(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    frame = pd.DataFrame(
        {"plan": ["007", "basic", "pro"], "x": [1.5, 2.0, 3.0], "y": ["1", None, "0"]}
    )
    frame.to_csv(tmp_path / "in" / "a.csv", index=False)
    prepare = HoldoutConfig(
        model_id="m", features={"x": "numeric", "plan": "categorical"}, label="y", format="csv"
    )
    assert holdout.run(prepare, tmp_path / "in", tmp_path / "out") == 2
    assert (tmp_path / "out" / "a.csv").read_text().splitlines() == ["1,1.5,007", "0,3.0,pro"]
    frame["y"] = None
    frame.to_csv(tmp_path / "in" / "a.csv", index=False)
    with pytest.raises(holdout.HoldoutError, match="no labelled rows"):
        holdout.run(prepare, tmp_path / "in", tmp_path / "out2")


def test_the_preparation_job_exits_2_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "in").mkdir()
    pd.DataFrame({"x": [1.0]}).to_csv(tmp_path / "in" / "a.csv", index=False)
    prepare = HoldoutConfig(model_id="m", features={"x": "numeric"}, label="y", format="csv")
    monkeypatch.setenv("MLOPS_RUNTIME_CONFIG", prepare.to_json())
    status = holdout.main(["--input", str(tmp_path / "in"), "--output", str(tmp_path / "out")])
    assert status == 2
    assert "holdout preparation failed" in capsys.readouterr().err
