"""``mlops approve`` and ``mlops lineage [--verify]`` on a model the cluster trains, from the
churn-k8s example's prod stack as planned, against moto's S3 and STS over HTTP.

The training Job's two runtime containers run with the configuration the planner rendered into
the Job template (``lineage-inputs``, then ``register``); what no emulator plays is played here:
the kubelet running them in order, and the user's ``train`` container (a model file and the
fetched channel in /opt/ml).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from ruamel.yaml import YAML
from runtime_support import boto
from typer.testing import CliRunner

from mlops_runtime.contract.controller import FinishConfig
from mlops_runtime.k8s import finish
from mlops_runtime.k8s import lineage as k8s_lineage
from mlops_runtime.k8s.registry import ObjectRegistry
from mlops_runtime.k8s.store import Bucket, s3_client
from mlops_spec.cli import app
from mlops_spec.load import resolve
from mlops_spec.plan import plan
from tests.conftest import ROOT

SPEC = ROOT / "examples/churn-k8s/mlops.yaml"
STACK, MODEL, REGION = "prod", "churn-classifier", "eu-west-1"
RUN = "churnk-prod-churn-classifier-train-0a1b2c3d4e"


def events(rows: int, seed: int) -> pd.DataFrame:
    """The example's customer-events: its features, label and timestamp."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "tenure_months": rng.integers(1, 72, rows).astype(float),
            "monthly_charges": rng.normal(70, 20, rows),
            "total_charges": rng.normal(2000, 800, rows),
            "support_tickets_90d": rng.poisson(1, rows).astype(float),
            "logins_30d": rng.poisson(12, rows).astype(float),
            "contract": rng.choice(["monthly", "yearly"], rows),
            "payment_method": rng.choice(["card", "transfer"], rows),
            "region": rng.choice(["north", "south"], rows),
            "churned": rng.integers(0, 2, rows),
            "event_time": pd.Timestamp("2026-01-01", tz="UTC"),
        }
    )


def mlops(*args: str) -> tuple[int, Any]:
    result = CliRunner().invoke(app, [*args, "--spec", str(SPEC), "--stack", STACK, "-f", "json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else None


def put_events(bucket: str, key: str, frame: pd.DataFrame) -> None:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    boto("s3").put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())


def ungated(folder: Path) -> Path:
    """The example without its gate (this run registers without a model server to score)."""
    data: dict[str, Any] = YAML(typ="safe").load(SPEC.read_text())
    for key in ("gate", "evaluation"):  # evaluation says how the gate scores
        del data["models"][MODEL]["training"][key]
    folder.mkdir()
    path = folder / "mlops.yaml"
    with path.open("w") as handle:
        YAML().dump(data, handle)
    return path


@pytest.fixture
def registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[FinishConfig, str, str]:
    """A run of the planned Job registered: (its configuration, the version, the data URI)."""
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    loop = plan(resolve(ungated(tmp_path / "spec"), STACK)).kubernetes.loop
    (job,) = [j for j in loop.jobs if j.model == MODEL]
    planned = json.loads(job.finish_config)
    config = FinishConfig.from_dict({**planned, "root": str(tmp_path)})
    (channel, data_uri), *_ = job.channels
    data_bucket, data_prefix = data_uri.removeprefix("s3://").split("/", 1)
    s3 = boto("s3")
    for bucket in {config.store.bucket, data_bucket, config.artifacts_uri.split("/")[2]}:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=data_bucket, VersioningConfiguration={"Status": "Enabled"})
    put_events(data_bucket, f"{data_prefix}2026/01/part-0.parquet", events(300, seed=1))
    client = s3_client(config.store)
    ObjectRegistry(Bucket.from_settings(config.store, client)).ensure_group(MODEL)  # controller
    monkeypatch.setenv("MLOPS_RUNTIME_CONFIG", config.to_json())
    assert k8s_lineage.main() == 0  # lineage-inputs
    (tmp_path / "input" / "data" / channel).mkdir(parents=True)  # fetch-inputs and train
    events(300, seed=1).to_parquet(tmp_path / "input" / "data" / channel / "part-0.parquet")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.joblib").write_bytes(b"weights")
    arn, status = finish.finish(config, finish.Run(RUN, "schedule:2026-01-05T03:00:00Z"), client)
    assert status == "PendingManualApproval"  # prod: approval manual
    return config, arn, data_uri


def test_approve_lineage_and_verify_a_cluster_trained_version(
    registered: tuple[FinishConfig, str, str],
) -> None:
    _, arn, data_uri = registered
    code, decided = mlops("approve", MODEL, "1", "--reason", "reviewed the holdout")
    assert code == 0, decided
    assert decided["package_arn"] == arn
    assert decided["by"] == "arn:aws:sts::123456789012:user/moto"  # the caller's AWS identity

    code, shown = mlops("lineage", MODEL)
    assert code == 0, shown
    assert (shown["version"], shown["status"], shown["serves_this_version"]) == (
        1,
        "Approved",
        True,
    )
    assert shown["serving"]["endpoint"] == f"churnk-{STACK}-{MODEL}"  # the Rollout
    assert shown["record_integrity"] == "intact"
    record = shown["record"]
    assert record["stack"] == STACK and record["run"]["training_job"] == RUN
    assert record["data"][0]["uri"] == data_uri and record["data"][0]["count"] == 1
    image = record["image"]  # the example pins its image by digest: the record names it
    assert (
        image["digest"]
        == "sha256:" + "4f1c3b8a9d2e7f60a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2"
    )
    assert image["unresolved"] is None
    assert [link["step"] for link in shown["chain"]] == ["trigger", "run", "approval"]

    code, verified = mlops("lineage", MODEL, "1", "--verify")
    assert (code, verified["verification"]["verdict"]) == (0, "unchanged")
    data_bucket, data_prefix = data_uri.removeprefix("s3://").split("/", 1)
    put_events(data_bucket, f"{data_prefix}2026/01/part-0.parquet", events(10, seed=2))
    code, verified = mlops("lineage", MODEL, "1", "--verify")
    assert (code, verified["verification"]["verdict"]) == (3, "changed")


def test_an_unknown_version_is_a_message_and_exit_1(
    registered: tuple[FinishConfig, str, str],
) -> None:
    code, answer = mlops("approve", MODEL, "7", "--reason", "ok")
    assert code == 1
    assert "has no version 7" in answer["error"]
