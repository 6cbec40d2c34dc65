"""The training Job's register container (``mlops_runtime.k8s.finish``) against moto's S3:
what the user's training left in /opt/ml becomes a registered version with its artifact and
drift reference, as the AWS pipeline's model, profile and register steps leave them."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from k8s_loop_support import MODEL, registry
from k8s_store_support import STATE_BUCKET
from runtime_support import FEATURES, boto, customers

from mlops_runtime.contract.controller import FinishConfig
from mlops_runtime.k8s import finish
from mlops_runtime.k8s.store import s3_client


def settings(aws: str, **overrides: object) -> FinishConfig:
    return FinishConfig.from_dict(
        {
            "model_id": MODEL,
            "store": {"uri": f"s3://{STATE_BUCKET}/mlops/", "endpoint_url": aws},
            "image": "registry.example/churn-train@sha256:" + "b" * 64,
            "artifacts_uri": "s3://shop-models/churn/runs/",
            "references_uri": "s3://shop-models/churn/references/",
            "profile": {"model_id": MODEL, "features": FEATURES, "format": "parquet"},
            "profile_channel": "customer-events",
            **overrides,
        }
    )


@pytest.fixture
def opt_ml(tmp_path: Path, aws: str) -> Path:
    """What fetch-inputs and train left: the channel's data and the model's files."""
    registry(aws)  # the controller created the model's registry at start-up
    boto("s3").create_bucket(Bucket="shop-models")
    data = tmp_path / "input" / "data" / "customer-events"
    data.mkdir(parents=True)
    customers(500, seed=3).to_parquet(data / "part-0.parquet")
    (tmp_path / "model" / "sub").mkdir(parents=True)
    (tmp_path / "model" / "model.joblib").write_bytes(b"model bytes")
    (tmp_path / "model" / "sub" / "vocab.txt").write_text("a\nb\n")
    return tmp_path


def test_the_run_is_uploaded_profiled_and_registered_pending_approval(
    opt_ml: Path, aws: str
) -> None:
    config = settings(aws, root=str(opt_ml))
    run = finish.Run("shop-dev-churn-train-0a1b2c3d4e", "alert:drift")
    arn, status = finish.finish(config, run, s3_client(config.store))
    assert status == "PendingManualApproval"
    body = (
        boto("s3")
        .get_object(
            Bucket="shop-models", Key="churn/runs/shop-dev-churn-train-0a1b2c3d4e/model.tar.gz"
        )["Body"]
        .read()
    )
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:
        assert sorted(archive.getnames()) == ["model.joblib", "sub/vocab.txt"]
    profile = json.loads(
        boto("s3")
        .get_object(
            Bucket="shop-models",
            Key="churn/references/shop-dev-churn-train-0a1b2c3d4e/profile.json",
        )["Body"]
        .read()
    )
    assert set(profile["features"]) == set(FEATURES)
    manifest = registry(aws).manifest(arn)
    assert (
        manifest["artifact_uri"]
        == "s3://shop-models/churn/runs/shop-dev-churn-train-0a1b2c3d4e/model.tar.gz"
    )
    assert manifest["metadata"] == {
        "mlops:trigger": "alert:drift",
        "mlops:reference": "s3://shop-models/churn/references/shop-dev-churn-train-0a1b2c3d4e/",
    }
    assert registry(aws).latest_approved(MODEL) is None  # waits for mlops approve


def test_automatic_approval_registers_approved(opt_ml: Path, aws: str) -> None:
    config = settings(
        aws, root=str(opt_ml), manual_approval=False, profile=None, profile_channel=None
    )
    arn, status = finish.finish(config, finish.Run("run-2", "schedule:t"), s3_client(config.store))
    assert status == "Approved"
    latest = registry(aws).latest_approved(MODEL)
    assert latest is not None and latest.arn == arn
    assert "mlops:reference" not in registry(aws).manifest(arn)["metadata"]


def test_a_bad_configuration_exits_2(monkeypatch: pytest.MonkeyPatch, aws: str) -> None:
    monkeypatch.setenv("MLOPS_RUNTIME_CONFIG", json.dumps({"model_id": MODEL}))
    monkeypatch.setenv("MLOPS_RUN", "run-3")
    assert finish.main() == 2
