"""Evaluation and champion gate against a moto model registry. The candidate's container
scores the holdout in a batch transform that ``transform_support`` plays (moto runs no job)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from runtime_support import OperationStubber, boto, classification_data
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from transform_support import score_holdout, sklearn_container

from mlops_runtime import evaluate
from mlops_runtime.aws.registry import SageMakerRegistry
from mlops_runtime.contract.config import ENV_VAR, EvaluateConfig
from mlops_runtime.core.registry import metrics_from_metadata
from mlops_runtime.evaluate import package_metadata
from mlops_runtime.jobs import holdout

GROUP = "churn"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3"


def make_config(**gate: Any) -> EvaluateConfig:
    return EvaluateConfig.from_dict(
        {
            "model_id": "churn",
            "task": "classification",
            "label": "churned",
            "model_package_group": GROUP,
            "output": "probability",
            "gate": {"metric": "auc", **gate},
        }
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """/opt/ml/processing as SageMaker lays it out: model/, holdout/, evaluation/."""
    data = classification_data()
    (tmp_path / "holdout").mkdir()
    data.iloc[400:].to_parquet(tmp_path / "holdout" / "holdout.parquet")
    data.iloc[:400].to_parquet(tmp_path / "train.parquet")
    return tmp_path


FEATURES = {f"f{i}": "numeric" for i in range(6)}


def put_candidate(workdir: Path, model: Any, output: str = "probability") -> Path:
    """PrepareHoldout and the candidate's container scoring it (ScoreHoldout): the Evaluate
    step's two inputs land in ``prepared/`` and ``predictions/``."""
    score_holdout(
        sklearn_container(model, output),
        workdir / "holdout",
        workdir,
        label="churned",
        features=FEATURES,
    )
    return workdir / "predictions"


def trained(workdir: Path, model: Any) -> Any:
    train = pd.read_parquet(workdir / "train.parquet")
    return model.fit(train.drop(columns="churned"), train["churned"])


def register(evaluation: dict[str, Any], status: str) -> str:
    """Plays the pipeline's RegisterModel step, attaching the verdict as metadata."""
    sagemaker = boto("sagemaker")
    groups = sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]
    if not any(g["ModelPackageGroupName"] == GROUP for g in groups):
        sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    return str(
        sagemaker.create_model_package(
            ModelPackageGroupName=GROUP,
            ModelApprovalStatus=status,
            CustomerMetadataProperties=package_metadata(evaluation),
            InferenceSpecification={
                "Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://artifacts/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]
    )


def run(workdir: Path, config: EvaluateConfig) -> dict[str, Any]:
    return evaluate.run(
        config, workdir / "predictions", workdir / "prepared", workdir / "evaluation"
    )


def test_first_model_passes_without_a_champion(workdir: Path) -> None:
    put_candidate(workdir, trained(workdir, LogisticRegression()))

    evaluation = run(workdir, make_config(min_value=0.7))

    written = json.loads((workdir / "evaluation" / "evaluation.json").read_text())
    assert written == evaluation
    assert evaluation["verdict"] == "passed"
    assert evaluation["gate"]["passed"] is True  # what the ConditionStep's JsonGet reads
    assert evaluation["champion"] is None
    assert "no approved champion: nothing to beat" in evaluation["gate"]["reasons"]
    assert set(evaluation["metrics"]) == {"auc", "accuracy", "f1", "precision", "recall"}
    assert evaluation["metrics"]["auc"] > 0.85


def test_worse_candidate_is_rejected_against_the_champion(workdir: Path) -> None:
    put_candidate(workdir, trained(workdir, LogisticRegression()))
    champion = run(workdir, make_config())
    champion_arn = register(champion, "Approved")
    put_candidate(workdir, trained(workdir, DummyClassifier(strategy="stratified", random_state=0)))

    evaluation = run(workdir, make_config(min_improvement=0.01))

    assert evaluation["verdict"] == "rejected"
    assert evaluation["gate"]["passed"] is False
    assert evaluation["champion"]["model_package_arn"] == champion_arn
    assert evaluation["champion"]["source"] == "metadata"
    assert evaluation["gate"]["champion_value"] == pytest.approx(champion["metrics"]["auc"])
    assert "does not beat the champion" in evaluation["gate"]["reasons"][0]


def test_candidate_must_beat_the_champion_by_the_margin(workdir: Path) -> None:
    put_candidate(workdir, trained(workdir, LogisticRegression()))
    register(run(workdir, make_config()), "Approved")

    same = run(workdir, make_config())  # the same model: equal counts as "at least as good"
    margin = run(workdir, make_config(min_improvement=0.001))

    assert same["verdict"] == "passed"
    assert margin["verdict"] == "rejected"


def test_only_approved_packages_are_champions(workdir: Path) -> None:
    put_candidate(workdir, trained(workdir, LogisticRegression()))
    good = run(workdir, make_config())
    register(good, "Rejected")
    register(good, "PendingManualApproval")
    put_candidate(workdir, trained(workdir, DummyClassifier(strategy="prior")))

    evaluation = run(workdir, make_config())

    assert evaluation["champion"] is None
    assert evaluation["verdict"] == "passed"


def test_bounds_reject_a_candidate_even_without_champion(workdir: Path) -> None:
    put_candidate(workdir, trained(workdir, DummyClassifier(strategy="prior")))
    evaluation = run(workdir, make_config(min_value=0.6))
    assert evaluation["verdict"] == "rejected"
    assert evaluation["gate"]["reasons"][0] == "auc 0.5 is below the minimum 0.6"


def test_champion_metrics_fall_back_to_its_evaluation_report(workdir: Path) -> None:
    # A package registered without metadata but with ModelQuality statistics in S3.
    s3, sagemaker = boto("s3"), boto("sagemaker")
    s3.create_bucket(Bucket="reports")
    s3.put_object(
        Bucket="reports",
        Key="eval/evaluation.json",
        Body=json.dumps({"binary_classification_metrics": {"auc": {"value": 0.99}}}).encode(),
    )
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus="Approved",
        ModelMetrics={
            "ModelQuality": {
                "Statistics": {
                    "ContentType": "application/json",
                    "S3Uri": "s3://reports/eval/evaluation.json",
                }
            }
        },
    )
    put_candidate(workdir, trained(workdir, LogisticRegression()))

    evaluation = run(workdir, make_config())

    assert evaluation["champion"]["source"] == "report"
    assert evaluation["gate"]["champion_value"] == 0.99
    assert evaluation["verdict"] == "rejected"


def test_regression_metrics_with_lower_is_better_gate(workdir: Path) -> None:
    frame = classification_data()
    frame["churned"] = frame["f0"] * 3 + frame["f1"]
    (workdir / "holdout" / "holdout.parquet").unlink()
    frame.iloc[400:].to_parquet(workdir / "holdout" / "holdout.parquet")
    model = LinearRegression().fit(frame.iloc[:400].drop(columns="churned"), frame["churned"][:400])
    put_candidate(workdir, model, output="label")
    config = EvaluateConfig.from_dict(
        {
            "model_id": "m",
            "task": "regression",
            "label": "churned",
            "gate": {"metric": "rmse", "max_value": 0.01},
        }
    )

    evaluation = run(workdir, config)

    assert set(evaluation["metrics"]) == {"rmse", "mae", "r2"}
    assert evaluation["gate"]["higher_is_better"] is False
    assert evaluation["verdict"] == "passed"


def test_package_metadata_round_trips_and_respects_the_registry_limits(workdir: Path) -> None:
    put_candidate(workdir, trained(workdir, LogisticRegression()))
    evaluation = run(workdir, make_config())

    metadata = package_metadata(evaluation)

    assert evaluation["package_metadata"] == metadata  # also in evaluation.json for the pipeline
    assert metadata["mlops:verdict"] == "passed"
    assert metadata["mlops:gate.passed"] == "true"
    assert metadata["mlops:champion"] == "none"
    assert metrics_from_metadata(metadata) == pytest.approx(evaluation["metrics"])
    assert len(metadata) <= 50
    assert all(1 <= len(k) <= 128 and 1 <= len(v) <= 256 for k, v in metadata.items())


def test_missing_label_is_a_clear_error(workdir: Path) -> None:
    model = trained(workdir, LogisticRegression())
    with pytest.raises(holdout.HoldoutError, match="target"):
        score_holdout(
            sklearn_container(model, "label"),
            workdir / "holdout",
            workdir,
            label="target",
            features=FEATURES,
        )


def test_module_entry_point_as_the_processing_job_runs_it(workdir: Path) -> None:
    put_candidate(workdir, trained(workdir, LogisticRegression()))
    env = {**os.environ, **make_config(min_value=0.7).to_env()}
    command = [
        sys.executable,
        "-m",
        "mlops_runtime.evaluate",
        "--predictions",
        str(workdir / "predictions"),
        "--holdout",
        str(workdir / "prepared"),
        "--output",
        str(workdir / "evaluation"),
    ]

    done = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(evaluate.__file__).parents[1],
    )

    assert done.returncode == 0, done.stderr
    report = json.loads((workdir / "evaluation" / "evaluation.json").read_text())
    assert report["gate"]["passed"] is True
    log_lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert log_lines[-1]["message"] == "evaluation: passed"


def test_entry_point_exits_2_with_a_clear_message_on_bad_config(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV_VAR, "{")
    status = evaluate.main(["--predictions", str(workdir), "--holdout", str(workdir)])
    assert status == 2
    assert "not valid JSON" in capsys.readouterr().err


@pytest.mark.parametrize(
    "code",
    ["ValidationException", "ResourceNotFound", "AccessDeniedException", "ThrottlingException"],
)
def test_a_champion_lookup_error_fails_the_gate(workdir: Path, code: str) -> None:
    """Only a group without an Approved package means "no champion"; any other error of the
    lookup fails the gate (must_beat_champion_by would otherwise be skipped), and the report
    says why."""
    put_candidate(workdir, trained(workdir, LogisticRegression()))
    sagemaker = boto("sagemaker")
    registry = SageMakerRegistry(sagemaker, boto("s3"))
    with OperationStubber(sagemaker, "ListModelPackages") as stub:
        stub.add_client_error("list_model_packages", service_error_code=code, service_message="no")
        evaluation = evaluate.run(
            make_config(min_value=0.5, min_improvement=0.01),
            workdir / "predictions",
            workdir / "prepared",
            workdir / "evaluation",
            registry=registry,
        )
    assert (evaluation["verdict"], evaluation["gate"]["passed"]) == ("rejected", False)
    assert evaluation["champion"] is None
    assert code in evaluation["champion_error"] or "does not exist" in evaluation["champion_error"]
    assert evaluation["gate"]["reasons"][0].startswith("the champion is unknown")
    written = json.loads((workdir / "evaluation" / "evaluation.json").read_text())
    assert written["gate"]["passed"] is False  # what the pipeline's condition reads
