"""The gate's candidate model is deleted by the Evaluate step once the holdout's transform has
run: exactly the model the run's CandidateModel step created (its name arrives in
``MLOPS_CANDIDATE_MODEL``), against moto over HTTP; errors moto cannot produce through
botocore's Stubber (requests checked against the SageMaker service model)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from runtime_support import ROLE_ARN, OperationStubber, boto
from sklearn.linear_model import LogisticRegression
from test_runtime_evaluate import make_config, put_candidate, trained, workdir  # noqa: F401

from mlops_runtime import evaluate
from mlops_runtime.aws.candidate import delete_candidate, delete_from_env
from mlops_runtime.contract.holdout import CANDIDATE_MODEL_ENV

NAME = "pipelines-7f3k2q9x1m-CandidateModel-Ab12Cd34"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn-train@sha256:" + "0" * 64


def create_model(name: str) -> None:
    boto("sagemaker").create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE_ARN,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://b/training/model.tar.gz"},
    )


def models() -> set[str]:
    return {m["ModelName"] for m in boto("sagemaker").list_models()["Models"]}


def test_the_evaluate_step_deletes_exactly_the_run_s_candidate_model(workdir: Path) -> None:  # noqa: F811
    """The entry point as the Processing job runs it: the other models stay."""
    put_candidate(workdir, trained(workdir, LogisticRegression()))
    create_model(NAME)
    create_model("pipelines-otherrun-CandidateModel-Zz99")
    create_model("churn-prod-churn-classifier-v3")  # a served model
    env = {**os.environ, **make_config(min_value=0.7).to_env(), CANDIDATE_MODEL_ENV: NAME}
    done = subprocess.run(
        [
            sys.executable, "-m", "mlops_runtime.evaluate",
            "--predictions", str(workdir / "predictions"),
            "--holdout", str(workdir / "prepared"),
            "--output", str(workdir / "evaluation"),
        ],
        env=env, capture_output=True, text=True, check=False,
        cwd=Path(evaluate.__file__).parents[1],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert models() == {"pipelines-otherrun-CandidateModel-Zz99", "churn-prod-churn-classifier-v3"}
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert {"message": "candidate model deleted", "model": NAME}.items() <= lines[0].items()
    assert lines[-1]["message"] == "evaluation: passed"


def test_a_retried_step_finds_the_model_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    create_model(NAME)
    monkeypatch.setenv(CANDIDATE_MODEL_ENV, NAME)
    assert delete_from_env(lambda: boto("sagemaker")) == "deleted"
    assert delete_from_env(lambda: boto("sagemaker")) == "already-gone"
    monkeypatch.delenv(CANDIDATE_MODEL_ENV)
    assert delete_from_env(lambda: boto("sagemaker")) is None  # not a gated run: no call


def test_only_pipeline_created_models_are_deleted() -> None:
    create_model("churn-prod-churn-classifier-v3")
    assert delete_candidate(boto("sagemaker"), "churn-prod-churn-classifier-v3") == "refused"
    assert models() == {"churn-prod-churn-classifier-v3"}


def _refused(code: str) -> tuple[Any, OperationStubber]:
    sagemaker = boto("sagemaker")
    stub = OperationStubber(sagemaker, "DeleteModel")
    stub.add_client_error(
        "delete_model", service_error_code=code, expected_params={"ModelName": NAME}
    )
    return sagemaker, stub


def test_a_refused_delete_of_a_model_that_still_exists_is_an_error() -> None:
    create_model(NAME)
    sagemaker, stub = _refused("ValidationException")
    with stub, pytest.raises(Exception, match="ValidationException"):
        delete_candidate(sagemaker, NAME)


def test_a_denied_delete_is_logged_and_the_evaluation_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    create_model(NAME)
    monkeypatch.setenv(CANDIDATE_MODEL_ENV, NAME)
    sagemaker, stub = _refused("AccessDeniedException")
    with stub:
        outcome = delete_from_env(lambda: sagemaker)
    assert outcome is not None and outcome.startswith("error: ")
    assert NAME in models()
    (record,) = [r for r in caplog.records if r.name == "mlops_runtime.aws.candidate"]
    assert (record.levelname, record.getMessage()) == ("ERROR", "candidate model not deleted")
