"""Lineage and approvals on the cluster (issue 11 item 4), against moto's S3 over HTTP: the
training Job's ``lineage-inputs`` container lists the inputs, the register container builds the
AWS record (``core.lineage``) with the gate's evaluation and stores it with the version; then
``mlops approve|reject`` and ``mlops lineage [--verify]`` (``mlops_runtime.k8s.lineage_ops``)
read and decide on the object-store registry as a person would, with their own credentials.

Played here: the kubelet (the test runs the two containers' entry points in order, and the
model server standing for the sidecar) and the controller's trigger record of the run.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from k8s_gate_support import churn_data, model_server, trained_opt_ml
from k8s_loop_support import (
    MODEL,
    NAMESPACE,
    ROLLOUT,
    cluster,
    controller,
    model_data_url,
    registry,
    served_image,
)
from k8s_store_support import STATE_BUCKET
from runtime_support import boto
from sklearn.linear_model import LogisticRegression
from test_k8s_gate import RUN, gate_config, holdout_frame

from mlops_runtime.contract.controller import FinishConfig, ObjectStoreSettings
from mlops_runtime.core import lineage
from mlops_runtime.core.clock import utcnow
from mlops_runtime.k8s import finish, lineage_ops
from mlops_runtime.k8s import lineage as k8s_lineage
from mlops_runtime.k8s.state import ObjectAudit
from mlops_runtime.k8s.store import Bucket, s3_client
from tests.k8s.api_server import ApiServerStandIn

IMAGE = "registry.example/churn-train@sha256:" + "b" * 64
TRIGGER_ID = "5e" * 32
SPEC_SHA = "c0" * 32


def store(aws: str, compatible: bool) -> ObjectStoreSettings:
    """The loop's store: AWS S3 (boto3 reaches moto through AWS_ENDPOINT_URL) or an
    S3-compatible one at an explicit endpoint."""
    return ObjectStoreSettings(
        uri=f"s3://{STATE_BUCKET}/mlops/", endpoint_url=aws if compatible else None
    )


def settings(aws: str, root: Path, url: str, compatible: bool = False) -> FinishConfig:
    sources = [
        {"name": "customer-events", "uri": "s3://shop-data/events/", "roles": ["train"]},
        {"name": "customer-holdout", "uri": "s3://shop-data/holdout/", "roles": ["holdout"]},
    ]
    return FinishConfig.from_dict(
        {
            "model_id": MODEL,
            "store": {
                "uri": f"s3://{STATE_BUCKET}/mlops/",
                "endpoint_url": aws if compatible else None,
            },
            "image": IMAGE,
            "artifacts_uri": "s3://shop-models/churn/runs/",
            "references_uri": "s3://shop-models/churn/references/",
            "root": str(root),
            "manual_approval": True,
            "gate": gate_config(url, "text/csv", "probability", metric="auc", min_value=0.6),
            "lineage": {
                "config": {
                    "system": "shop",
                    "model_id": MODEL,
                    "pipeline_name": "shop-dev-churn-train",
                    "image": IMAGE,
                    "sources": sources,
                    "records_uri": "s3://shop-models/churn/lineage/",
                    "instance_type": "cpu=2,memory=4Gi",
                    "spot": True,
                    "hyperparameters": {"max_depth": "6"},
                    "package_group": MODEL,
                },
                "spec_sha256": SPEC_SHA,
                "commit": "9b2e4f1c",
                "stack": "dev",
            },
        }
    )


def put_parquet(key: str, frame: Any) -> str:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return str(
        boto("s3").put_object(Bucket="shop-data", Key=key, Body=buffer.getvalue())["VersionId"]
    )


@pytest.fixture
def trained(tmp_path: Path, aws: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A run up to the register container: data in a versioned bucket, lineage-inputs run,
    train's model in /opt/ml; returns (root, the training object's version id)."""
    registry(aws)
    s3 = boto("s3")
    for bucket in ("shop-data", "shop-models"):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket="shop-data", VersioningConfiguration={"Status": "Enabled"})
    version = put_parquet("events/part-0.parquet", churn_data(1500, seed=21))
    put_parquet("holdout/part-0.parquet", holdout_frame())
    root = tmp_path / "opt-ml"
    trained_opt_ml(root, LogisticRegression())
    return root, version


def run_job(aws: str, root: Path, monkeypatch: pytest.MonkeyPatch, compatible: bool = False,
            between: Any = None) -> tuple[str, str]:  # fmt: skip
    """lineage-inputs, then (after ``between``) the register container, as the pod runs them."""
    with model_server(root / "model", "probability") as (url, _):
        config = settings(aws, root, url, compatible)
        monkeypatch.setenv("MLOPS_RUNTIME_CONFIG", config.to_json())
        assert k8s_lineage.main() == 0
        if between:
            between()
        run = finish.Run(RUN, "alert:shop-dev-churn-feature-drift", TRIGGER_ID)
        return finish.finish(config, run, s3_client(config.store))


def target(aws: str, compatible: bool = False) -> lineage_ops.StoreTarget:
    return lineage_ops.StoreTarget(MODEL, store(aws, compatible), rollout="churn-classifier")


def test_the_version_carries_the_aws_record(
    trained: tuple[Path, str], aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, version_id = trained
    arn, status = run_job(aws, root, monkeypatch)
    assert status == "PendingManualApproval"
    manifest = registry(aws).manifest(arn)
    record = manifest["lineage"]
    assert (record["stack"], record["source"]) == (
        "dev",
        {"spec_sha256": SPEC_SHA, "commit": "9b2e4f1c"},
    )
    assert (
        record["image"]["digest"] == "sha256:" + "b" * 64 and record["image"]["unresolved"] is None
    )
    assert record["trigger"] == {"reason": "alert:shop-dev-churn-feature-drift", "id": TRIGGER_ID}
    assert record["run"]["execution_id"] == RUN
    events, holdout = record["data"]
    assert (events["source"], events["roles"], events["count"]) == ("customer-events", ["train"], 1)
    assert events["objects"][0]["version_id"] == version_id and events["versioned"] is True
    listed = boto("s3").head_object(Bucket="shop-data", Key="holdout/part-0.parquet")
    assert holdout["objects"][0]["etag"] == listed["ETag"]
    assert holdout["total_bytes"] == listed["ContentLength"]
    assert record["evaluation"]["verdict"] == "passed"
    assert record["evaluation"]["metrics"] == manifest["evaluation"]["metrics"]
    assert record["data_changed_during_run"] == []
    # The short facts and the stored bytes, as an AWS package's.
    body = (
        boto("s3")
        .get_object(Bucket="shop-models", Key=f"churn/lineage/{RUN}/lineage.json")["Body"]
        .read()
    )
    assert json.loads(body) == record
    metadata = manifest["metadata"]
    assert metadata["mlops:lineage.uri"] == f"s3://shop-models/churn/lineage/{RUN}/lineage.json"
    assert metadata["mlops:lineage.sha256"] == lineage.sha256(body)
    assert (metadata["mlops:image.digest"], metadata["mlops:data.objects"]) == (
        "sha256:" + "b" * 64,
        "2",
    )
    assert (metadata["mlops:trigger.id"], metadata["mlops:run"]) == (TRIGGER_ID, RUN)


def test_an_input_changed_during_the_run_is_recorded(
    trained: tuple[Path, str], aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = trained
    later = lambda: put_parquet("events/part-1.parquet", churn_data(10, seed=5))  # noqa: E731
    arn, _ = run_job(aws, root, monkeypatch, between=later)
    record = registry(aws).manifest(arn)["lineage"]
    assert record["data_changed_during_run"] == [
        {"source": "customer-events", "key": "events/part-1.parquet", "change": "added"}
    ]
    assert record["data"][0]["count"] == 1  # what was there when the run listed it


def test_a_tag_is_recorded_unresolved() -> None:
    section = k8s_lineage.image_section("registry.example/churn-train:1.4.0", utcnow())
    assert (section["tag"], section["digest"]) == ("1.4.0", None)
    assert "pin the training image by digest" in section["unresolved"]
    pinned = k8s_lineage.image_section("registry.example:5000/churn@sha256:" + "d" * 64, utcnow())
    assert (pinned["tag"], pinned["digest"]) == (None, "sha256:" + "d" * 64)


def test_approval_is_attributed_audited_and_shown_in_the_chain(
    trained: tuple[Path, str], aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = trained
    arn, _ = run_job(aws, root, monkeypatch)
    bucket = Bucket.from_settings(store(aws, False), s3_client(store(aws, False)))
    ObjectAudit(bucket).append(  # the controller's trigger record of this run (played)
        {"unit": "trigger", "model": MODEL, "decision": "started", "execution_arn": RUN,
         "decided_at": "2026-01-05T03:00:00.000Z"},
        expires_at=None,
    )  # fmt: skip
    record = lineage_ops.decide("approve", target(aws), 1, "holdout auc reviewed")
    assert record["by"] == "arn:aws:sts::123456789012:user/moto"  # moto's caller identity
    manifest = registry(aws).manifest(arn)
    assert manifest["status"] == "Approved"
    assert manifest["metadata"]["mlops:approval.id"] == record["audit_id"]
    assert manifest["approvals"][-1]["by"] == record["by"]
    assert registry(aws).latest_approved(MODEL).arn == arn  # the deploy reconcile's input

    shown = lineage_ops.show(target(aws), None)  # default: the version serving
    assert (shown["version"], shown["serves_this_version"], shown["record_integrity"]) == (
        1,
        True,
        "intact",
    )
    steps = [(link["step"], link["decision"]) for link in shown["chain"]]
    assert steps == [("trigger", "started"), ("run", "trained"), ("gate", "passed"),
                     ("approval", "approved")]  # fmt: skip
    assert shown["chain"][-1]["by"] == record["by"]


def test_an_s3_compatible_store_attributes_the_access_key(
    trained: tuple[Path, str], aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = trained
    run_job(aws, root, monkeypatch, compatible=True)
    record = lineage_ops.decide("reject", target(aws, compatible=True), 1, "skews young customers")
    host = aws.removeprefix("http://")
    assert record["by"] == f"s3-access-key:testing@{host}"
    assert registry(aws).manifest(record["package_arn"])["status"] == "Rejected"
    with pytest.raises(Exception, match="say why"):
        lineage_ops.decide("approve", target(aws, compatible=True), 1, "  ")


def test_verify_reports_a_changed_input_and_an_altered_record(
    trained: tuple[Path, str], aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = trained
    arn, _ = run_job(aws, root, monkeypatch)
    report = lineage_ops.verify(target(aws), 1)["verification"]
    assert report["verdict"] == "unchanged"
    assert report["image"]["status"] == "unverified"

    put_parquet("events/part-0.parquet", churn_data(20, seed=9))  # a new version of an input
    report = lineage_ops.verify(target(aws), 1)["verification"]
    assert report["verdict"] == "changed"
    assert report["data"][0]["replaced"] == ["events/part-0.parquet"]
    assert lineage_ops.EXIT_CODES[report["verdict"]] == 3

    versions = registry(aws)
    versions._update(arn, lambda m: {**m, "lineage": {**m["lineage"], "stack": "prod"}})
    shown = lineage_ops.verify(target(aws), 1)
    assert shown["record_integrity"] == "altered"
    assert shown["verification"]["verdict"] == "gone"


def test_the_controller_rolls_out_what_a_person_approved(
    trained: tuple[Path, str], aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The approval is the controller's next deploy reconcile's input: the Rollout is created
    with the approved version's image and artifact (the API server stand-in validates it)."""
    root, _ = trained
    arn, _ = run_job(aws, root, monkeypatch)  # PendingManualApproval
    with ApiServerStandIn() as api:
        cluster(api)
        loop = controller(api, aws)
        loop.reconcile()
        assert api.get("argoproj.io", "rollouts", NAMESPACE, ROLLOUT) is None
        lineage_ops.decide("approve", target(aws), 1, "holdout auc reviewed")
        loop.reconcile()
        assert served_image(api) == IMAGE
        assert model_data_url(api) == registry(aws).manifest(arn)["artifact_uri"]
