"""The whole retraining loop on Kubernetes, the same story as the AWS loop test, through the
Kubernetes adapters: the object store is moto's S3 over HTTP, the API server is the stand-in
(every body validated against the Kubernetes and Argo schemas), the Pushgateway is its
stand-in, and the controller runs its real HTTP server.

reference data -> the first version (registered, profiled, rolled out) -> drifted traffic,
captured as the proxy captures it -> the unchanged monitoring job pushes DriftScore -> the
retrain alert fires -> Alertmanager's webhook -> the controller creates one training Job ->
the candidate is trained, gated against the champion and registered -> the controller patches
the Rollout -> the canary's analysis fails -> Argo aborts -> the controller records the
rollback, restores the template, and never retries that version.

What no emulator can play is played here, each place saying so: Prometheus evaluating the
alert rule and Alertmanager sending it, the training Job's pods running (the test trains,
scores and calls the register step as the Job's containers would), and the Argo Rollouts
controller (the test writes the Rollout's status).
"""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from k8s_loop_support import (
    ABORTED,
    HEALTHY,
    MODEL,
    NAMESPACE,
    PROGRESSING,
    ROLLOUT,
    alert,
    cluster,
    controller,
    registry,
    rollout,
    running,
    served_image,
)
from runtime_support import FEATURES, boto, capture_line, customers, model_tarball, put_capture
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from mlops_runtime import monitoring_job, profile_job
from mlops_runtime.contract import pushgateway as pg
from mlops_runtime.contract.config import GateConfig, MonitorConfig, ProfileConfig
from mlops_runtime.core import gate
from mlops_runtime.core.clock import UTC, iso
from mlops_runtime.core.registry import find_champion
from mlops_runtime.k8s.controller import Loop
from mlops_runtime.k8s.register import register_candidate
from mlops_runtime.k8s.state import ObjectAudit, ObjectRolloutMemory
from tests.k8s import pushgateway_standin
from tests.k8s.api_server import ApiServerStandIn

NOW = datetime.now(UTC).replace(microsecond=0)
NUMERIC = [name for name, kind in FEATURES.items() if kind == "numeric"]
GATE = GateConfig(metric="auc", min_value=0.6, min_improvement=0.01)
IMAGE = "registry.example/churn-train@sha256:"
DRIFT_THRESHOLD = 0.2
"""The spec's data_drift monitor threshold: the PrometheusRule alert compares DriftScore with it."""


def churn_data(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    frame = customers(rows, seed, shift)
    logit = (
        -0.15 * (frame["tenure"] - 24)
        + 0.12 * (frame["spend"] - 50)
        + 0.5 * (frame["calls"] - 3)
        + np.where(frame["plan"] == "basic", 1.0, -0.5)
    )
    frame["churned"] = (np.random.default_rng(seed).random(rows) < 1 / (1 + np.exp(-logit))) * 1
    return frame


def train(classifier: Any, data: pd.DataFrame) -> Any:
    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["plan"]),
        ]
    )
    return make_pipeline(prep, classifier).fit(data[list(FEATURES)], data["churned"])


def training_job(
    aws: str, run: str, classifier: Any, shift: float, trigger: str
) -> tuple[str, str]:
    """Plays the training Job's pods: ``train`` fits the model on the fetched inputs; the
    ``register`` container uploads it, scores the holdout, applies the gate against the
    champion read from the registry (core.gate, core.registry: what evaluate runs) and calls
    the real register step."""
    fitted = train(classifier, churn_data(1500, seed=21, shift=shift))
    artifact = f"churn/{run}/model.tar.gz"
    boto("s3").put_object(Bucket="shop-models", Key=artifact, Body=model_tarball(fitted))
    holdout = churn_data(800, seed=22, shift=shift)
    auc = float(
        roc_auc_score(holdout["churned"], fitted.predict_proba(holdout[list(FEATURES)])[:, 1])
    )
    versions = registry(aws)
    champion = find_champion(versions, MODEL)
    result = gate.apply(GATE, {"auc": auc}, champion.metrics if champion else None)
    evaluation = {
        "model_id": MODEL,
        "evaluated_at": iso(NOW),
        "metrics": {"auc": auc},
        "champion": champion.to_dict() if champion else None,
        "gate": result.to_dict(),
        "verdict": "passed" if result.passed else "rejected",
    }
    report = f"churn/{run}/evaluation.json"
    boto("s3").put_object(Bucket="shop-models", Key=report, Body=json.dumps(evaluation).encode())
    return register_candidate(
        versions,
        MODEL,
        image=IMAGE + hashlib.sha256(run.encode()).hexdigest(),
        artifact_uri=f"s3://shop-models/{artifact}",
        evaluation=evaluation,
        report_uri=f"s3://shop-models/{report}",
        reference_uri=f"s3://shop-models/references/{run}/",
        trigger_reason=trigger,
        manual_approval=False,
    )


def reference_profile(tmp: Path) -> bytes:
    """The first run's profile step (the real profile job) writes the run's reference where
    its version's ``mlops:reference`` points; the controller promotes it once served."""
    (tmp / "train").mkdir()
    churn_data(3000, seed=1).to_parquet(tmp / "train" / "part-0.parquet")
    profile_job.run(
        ProfileConfig(model_id=MODEL, features=FEATURES, format="parquet"),
        tmp / "train",
        tmp / "profile",
    )
    body = (tmp / "profile" / "profile.json").read_bytes()
    boto("s3").put_object(Bucket="shop-models", Key="references/run-1/profile.json", Body=body)
    return body


REFERENCES = {
    "current_uri": "s3://shop-models/models/churn/reference/",
    "packages_uri": "s3://shop-models/references/",
}


MONITOR = MonitorConfig.from_dict(
    {
        "system": "shop",
        "model_id": MODEL,
        "environment": "dev",
        "endpoint_name": ROLLOUT,
        "profile_uri": "s3://shop-models/models/churn/reference/profile.json",
        "capture_uri": "s3://shop-capture/datacapture",
        "reports_bucket": "shop-reports",
    }
)


@pytest.fixture
def http_controller(api: ApiServerStandIn, aws: str) -> Iterator[tuple[str, Loop]]:
    """The controller's real HTTP server on a free port, in its own event loop; the test
    drives the periodic reconcile itself (on its clock)."""
    loop = controller(api, aws, lambda: NOW, cooldown_hours=12.0, references=REFERENCES)
    with running(loop) as url:
        yield url, loop


@pytest.fixture
def api() -> Iterator[ApiServerStandIn]:
    with ApiServerStandIn() as server:
        cluster(server)
        yield server


def current_profile() -> bytes:
    found = boto("s3").get_object(Bucket="shop-models", Key="models/churn/reference/profile.json")
    return bytes(found["Body"].read())


def post(url: str, body: Any) -> dict[str, Any]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return dict(json.loads(answer.read()))


def test_drift_retrains_and_a_canary_whose_analysis_fails_is_rolled_back_and_recorded(
    api: ApiServerStandIn, aws: str, http_controller: tuple[str, Loop], tmp_path: Path
) -> None:
    url, loop = http_controller
    for bucket in ("shop-models", "shop-capture", "shop-reports"):
        boto("s3").create_bucket(Bucket=bucket)

    # The first version: trained on the reference data, gated with no champion, rolled out.
    champion, status = training_job(
        aws, "run-1", DecisionTreeClassifier(max_depth=1), 0.0, "manual"
    )
    assert status == "Approved"
    first_profile = reference_profile(tmp_path)
    assert [r["decision"] for r in loop.reconcile()] == ["created"]
    api.set_status(NAMESPACE, ROLLOUT, HEALTHY)  # Argo: the first revision is fully rolled out
    # Served: its references become the current ones the monitoring job reads.
    assert [r["decision"] for r in loop.reconcile()] == ["already-deployed"]
    assert current_profile() == first_profile
    first_image = served_image(api)

    # Current traffic drifts. The proxy captures it in SageMaker's layout (played: the test
    # writes the capture objects); the unchanged monitoring job pushes to the Pushgateway.
    for hour in (1, 2, 3):
        when = NOW - timedelta(hours=hour)
        rows = churn_data(600, seed=30 + hour, shift=8.0)[list(FEATURES)]
        put_capture(
            "shop-capture",
            "datacapture",
            ROLLOUT,
            when,
            [capture_line(rows.iloc[i::20], when) for i in range(20)],
        )
    with (
        pushgateway_standin.running() as (gateway_url, gateway),
        pytest.MonkeyPatch.context() as env,
    ):
        env.setenv(pg.URL_ENV, gateway_url)
        report = monitoring_job.run(MONITOR, now=NOW)
    assert report["drift"]["drifted_features"] == ["spend"]
    group = tuple(sorted({("job", "MLOps/shop"), ("Model", MODEL), ("Environment", "dev")}))
    drift = gateway.series()[("DriftScore", group)]

    # Prometheus evaluates the model's drift alert (DriftScore >= threshold) and Alertmanager
    # sends it to the controller's webhook: played, with the payload Alertmanager sends.
    assert drift >= DRIFT_THRESHOLD
    answer = post(f"{url}/alerts", alert())
    assert [d["decision"] for d in answer["decisions"]] == ["started"]
    assert [d["decision"] for d in post(f"{url}/alerts", alert())["decisions"]] == ["duplicate"]
    scheduled = post(
        f"{url}/schedule",
        {"model": MODEL, "scheduled_time": "shop-dev-churn-train-schedule-29443680"},
    )
    assert [d["decision"] for d in scheduled["decisions"]] == ["cooldown"]
    (job,) = [o for (g, r, _, _), o in api.objects.items() if r == "jobs"]
    register_env = {
        e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    reason = register_env["MLOPS_TRIGGER_REASON"]
    assert reason == "alert:shop-dev-churn-feature-drift"

    # The Job's pods run (played): a better model on the new data passes the gate.
    candidate, status = training_job(aws, "run-2", LogisticRegression(), 8.0, reason)
    assert status == "Approved"
    manifest = registry(aws).manifest(candidate)
    assert manifest["metadata"]["mlops:champion"] == champion
    assert manifest["metadata"]["mlops:trigger"] == reason

    # The controller rolls the candidate out: a patch of the Rollout's pod template.
    assert [r["decision"] for r in loop.reconcile()] == ["deployed"]
    assert served_image(api) == manifest["image"]
    api.set_status(NAMESPACE, ROLLOUT, PROGRESSING)  # Argo: canary steps, analysis running
    assert [r["decision"] for r in loop.reconcile()] == ["rollout-in-progress"]
    # A rollback alert fires during the canary; the AnalysisTemplate's query sees it and Argo
    # aborts the rollout: played by writing the aborted status Argo writes.
    api.set_status(NAMESPACE, ROLLOUT, ABORTED)
    assert [r["decision"] for r in loop.reconcile()] == ["rollout-restored"]
    assert served_image(api) == first_image
    api.set_status(NAMESPACE, ROLLOUT, HEALTHY)
    assert [r["decision"] for r in loop.reconcile()] == ["already-deployed"]  # never retried

    memory = ObjectRolloutMemory(registry(aws).bucket).read(ROLLOUT)
    assert [entry.package_arn for entry in memory.rolled_back] == [candidate]
    audit = ObjectAudit(registry(aws).bucket)
    assert [r["decision"] for r in audit.records("trigger", MODEL)] == [
        "started",
        "duplicate",
        "cooldown",
    ]
    deploy = [r["decision"] for r in audit.records("deploy", MODEL)]
    assert deploy == [
        "created",
        "references-promoted",
        "already-deployed",
        "deployed",
        "rollout-in-progress",
        "rolled-back",
        "already-deployed",
        "rollout-restored",
        "already-deployed",
    ]
    assert current_profile() == first_profile  # the rolled-back candidate never became it
    assert (
        rollout(api)["spec"]["template"]["metadata"]["annotations"]["mlops.dev/package"] == champion
    )
    assert api.invalid == []
