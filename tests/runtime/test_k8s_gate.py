"""The gate on the cluster: the training Job's register container (``mlops_runtime.k8s.finish``)
against moto's S3 over HTTP and a real model server on 127.0.0.1 standing for the Job's
``model`` sidecar (it loads the model ``train`` wrote and answers SageMaker's hosting
contract). The holdout is prepared, scored through the local batch transform, evaluated and
gated with the AWS pipeline's code; the registry is the object store's.

What no emulator plays, played here: the kubelet running the pod (the test calls the register
step with /opt/ml as fetch-inputs and train leave it, and starts the model server itself).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from k8s_gate_support import LABEL, churn_data, model_server, trained_opt_ml
from k8s_loop_support import MODEL, registry
from k8s_store_support import STATE_BUCKET
from runtime_support import FEATURES, boto
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.tree import DecisionTreeClassifier

from mlops_runtime.contract.controller import FinishConfig
from mlops_runtime.k8s import finish
from mlops_runtime.k8s.register import register_candidate
from mlops_runtime.k8s.store import s3_client

RUN = "shop-dev-churn-train-0a1b2c3d4e"
HOLDOUT_ROWS = 800
CSV, JSONL = "text/csv", "application/jsonlines"


def holdout_frame() -> Any:
    return churn_data(HOLDOUT_ROWS, seed=22)


def gate_config(url: str, content_type: str, output: str, **gate: Any) -> dict[str, Any]:
    """``FinishConfig.gate`` as the planner writes it from ``training.gate`` and
    ``training.evaluation``."""
    return {
        "holdout": {
            "model_id": MODEL,
            "features": FEATURES,
            "label": LABEL,
            "format": "parquet",
            "content_type": content_type,
        },
        "holdout_uri": "s3://shop-data/holdout/",
        "evaluation": {
            "model_id": MODEL,
            "task": "classification",
            "label": LABEL,
            "gate": gate,
            "model_package_group": MODEL,
            "features": list(FEATURES),
            "content_type": content_type,
            "output": output,
        },
        "max_payload_mb": 1,
        "server_url": url,
    }


def settings(aws: str, root: Path, gate: dict[str, Any], **overrides: Any) -> FinishConfig:
    return FinishConfig.from_dict(
        {
            "model_id": MODEL,
            "store": {"uri": f"s3://{STATE_BUCKET}/mlops/", "endpoint_url": aws},
            "image": "registry.example/churn-train@sha256:" + "b" * 64,
            "artifacts_uri": "s3://shop-models/churn/runs/",
            "references_uri": "s3://shop-models/churn/references/",
            "profile": {
                "model_id": MODEL,
                "features": FEATURES,
                "format": "parquet",
                "copy_predictions": True,
            },
            "profile_channel": "customer-events",
            "root": str(root),
            "manual_approval": False,
            "gate": gate,
            **overrides,
        }
    )


@pytest.fixture
def world(tmp_path: Path, aws: str) -> Path:
    """The data, the model bucket and the registry the controller created; /opt/ml's root."""
    registry(aws)
    s3 = boto("s3")
    for bucket in ("shop-data", "shop-models"):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket="shop-data", VersioningConfiguration={"Status": "Enabled"})
    half = HOLDOUT_ROWS // 2
    for part, rows in (
        ("part-0", holdout_frame().iloc[:half]),
        ("part-1", holdout_frame().iloc[half:]),
    ):
        buffer = io.BytesIO()
        rows.to_parquet(buffer)
        s3.put_object(Bucket="shop-data", Key=f"holdout/{part}.parquet", Body=buffer.getvalue())
    return tmp_path / "opt-ml"


def objects(bucket: str, prefix: str) -> list[str]:
    found = boto("s3").list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return sorted(o["Key"] for o in found)


def expected(model: Any, metric: str) -> float:
    """The metric computed here, from the fitted model and the holdout (not by the runtime)."""
    data = holdout_frame()
    rows = data[list(FEATURES)]
    if metric == "auc":
        return float(roc_auc_score(data[LABEL], model.predict_proba(rows)[:, 1]))
    return float(accuracy_score(data[LABEL], model.predict(rows)))


def run_finish(config: FinishConfig) -> tuple[str, str]:
    return finish.finish(config, finish.Run(RUN, "alert:drift", "ab" * 32), s3_client(config.store))


def test_a_csv_label_candidate_passing_its_gate_is_registered_approved(
    world: Path, aws: str
) -> None:
    model = trained_opt_ml(world, LogisticRegression())
    with model_server(world / "model", "label") as (url, served):
        gate = gate_config(url, CSV, "label", metric="accuracy", min_value=0.6)
        current = "s3://shop-models/churn/references/current/"
        arn, status = run_finish(settings(aws, world, gate, current_references_uri=current))

    assert status == "Approved"
    manifest = registry(aws).manifest(arn)
    evaluation = manifest["evaluation"]
    assert evaluation["metrics"]["accuracy"] == pytest.approx(expected(model, "accuracy"))
    assert evaluation["holdout"]["rows"] == HOLDOUT_ROWS
    assert evaluation["gate"]["passed"] is True and evaluation["champion"] is None
    assert manifest["metadata"]["mlops:verdict"] == "passed"
    assert manifest["quality_report_uri"] == f"s3://shop-models/churn/runs/{RUN}/evaluation.json"
    # The transform's requests: SageMaker's content type and accept, every row once, batched.
    assert {(h["Content-Type"], h["Accept"]) for h, _ in served.requests} == {(CSV, CSV)}
    assert sum(rows for _, rows in served.requests) == HOLDOUT_ROWS
    for folder in (RUN, "current"):  # the run's, and the model's current ones (no controller)
        assert objects("shop-models", f"churn/references/{folder}/") == [
            f"churn/references/{folder}/predictions.json",
            f"churn/references/{folder}/profile.json",
        ]
    assert manifest["metadata"]["mlops:reference"] == f"s3://shop-models/churn/references/{RUN}/"
    assert registry(aws).latest_approved(MODEL).arn == arn


def test_a_jsonl_probability_candidate_waits_for_manual_approval(world: Path, aws: str) -> None:
    model = trained_opt_ml(world, LogisticRegression())
    with model_server(world / "model", "probability", lambda p: {"probability": p}) as (
        url,
        served,
    ):
        gate = gate_config(url, JSONL, "probability", metric="auc", min_value=0.6)
        arn, status = run_finish(settings(aws, world, gate, manual_approval=True))

    assert status == "PendingManualApproval"
    evaluation = registry(aws).manifest(arn)["evaluation"]
    assert evaluation["metrics"]["auc"] == pytest.approx(expected(model, "auc"))
    assert evaluation["predictions"]["content_type"] == JSONL
    assert {(h["Content-Type"], h["Accept"]) for h, _ in served.requests} == {(JSONL, JSONL)}
    assert registry(aws).latest_approved(MODEL) is None


def test_a_candidate_failing_its_gate_is_rejected_with_the_reasons(world: Path, aws: str) -> None:
    model = trained_opt_ml(world, DecisionTreeClassifier(max_depth=1))
    with model_server(world / "model", "probability") as (url, _):
        gate = gate_config(url, CSV, "probability", metric="auc", min_value=0.95)
        current = "s3://shop-models/churn/references/current/"
        arn, status = run_finish(settings(aws, world, gate, current_references_uri=current))

    assert status == "Rejected"
    manifest = registry(aws).manifest(arn)
    auc = expected(model, "auc")
    assert manifest["evaluation"]["metrics"]["auc"] == pytest.approx(auc)
    reason = manifest["approvals"][-1]["reason"]
    assert f"auc {auc:.6g} is below the minimum 0.95" in reason
    assert manifest["metadata"]["mlops:verdict"] == "rejected"
    assert "mlops:reference" not in manifest["metadata"]
    # No reference for a rejected run, and the model's current ones are left alone.
    assert objects("shop-models", "churn/references/") == []
    assert registry(aws).latest_approved(MODEL) is None


def test_a_better_champion_in_the_registry_blocks_the_candidate(world: Path, aws: str) -> None:
    champion_evaluation = {
        "evaluated_at": "2026-01-01T00:00:00.000Z",
        "metrics": {"auc": 0.99},
        "gate": {"metric": "auc", "value": 0.99, "passed": True, "reasons": []},
        "verdict": "passed",
    }
    champion, _ = register_candidate(
        registry(aws), MODEL, image="registry.example/churn-train@sha256:" + "a" * 64,
        artifact_uri="s3://shop-models/churn/runs/first/model.tar.gz",
        evaluation=champion_evaluation, report_uri=None, reference_uri=None,
        trigger_reason="manual", manual_approval=False,
    )  # fmt: skip
    model = trained_opt_ml(world, LogisticRegression())
    with model_server(world / "model", "probability") as (url, _):
        gate = gate_config(url, CSV, "probability", metric="auc", min_value=0.6)
        arn, status = run_finish(settings(aws, world, gate))

    assert status == "Rejected"
    evaluation = registry(aws).manifest(arn)["evaluation"]
    assert evaluation["champion"]["model_package_arn"] == champion
    auc = expected(model, "auc")
    assert auc < 0.99
    assert any(
        f"auc {auc:.6g} does not beat the champion's 0.99" in r
        for r in evaluation["gate"]["reasons"]
    )
    assert registry(aws).latest_approved(MODEL).arn == champion


def test_an_unreachable_model_server_fails_the_run_without_registering(
    world: Path, aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mlops_runtime.k8s.gate.SERVER_READY_SECONDS", 0.5)
    trained_opt_ml(world, LogisticRegression())
    config = settings(
        aws, world, gate_config("http://127.0.0.1:9", CSV, "label", metric="accuracy")
    )
    monkeypatch.setenv("MLOPS_RUNTIME_CONFIG", config.to_json())
    monkeypatch.setenv("MLOPS_RUN", RUN)
    assert finish.main() == 1
    assert registry(aws).latest_approved(MODEL) is None
    assert objects(STATE_BUCKET, f"mlops/registry/{MODEL}/versions/") == []


def test_a_candidate_whose_answers_do_not_fit_fails_for_good(
    world: Path, aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server answers every class's probability where the spec says one label: exit 3,
    which the Job's podFailurePolicy turns into a failed Job instead of training again."""
    trained_opt_ml(world, LogisticRegression())
    with model_server(world / "model", "probabilities") as (url, _):
        config = settings(aws, world, gate_config(url, CSV, "label", metric="accuracy"))
        monkeypatch.setenv("MLOPS_RUNTIME_CONFIG", config.to_json())
        monkeypatch.setenv("MLOPS_RUN", RUN)
        assert finish.main() == 3
    assert objects(STATE_BUCKET, f"mlops/registry/{MODEL}/versions/") == []


def test_the_configuration_keeps_the_models_feature_order() -> None:
    """The holdout's columns reach the model server in the model's order, not sorted."""
    features = {"tenure": "numeric", "spend": "numeric", "calls": "numeric", "plan": "categorical"}
    gate = gate_config("http://127.0.0.1:8080", CSV, "label", metric="accuracy")
    gate["holdout"]["features"] = dict(reversed(features.items()))
    config = FinishConfig.from_dict(
        {
            "model_id": MODEL,
            "store": {"uri": f"s3://{STATE_BUCKET}/mlops/"},
            "image": "i@sha256:" + "c" * 64,
            "artifacts_uri": "s3://m/a/",
            "references_uri": "s3://m/r/",
            "gate": gate,
        }
    )
    again = FinishConfig.from_json(config.to_json())
    assert again.gate is not None
    assert list(again.gate.holdout.features) == ["plan", "calls", "spend", "tenure"]
    assert (
        json.loads(config.to_json())["gate"]["holdout"]["features"] == gate["holdout"]["features"]
    )
