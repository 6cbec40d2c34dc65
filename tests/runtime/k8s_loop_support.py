"""The Kubernetes loop controller wired for the tests: its real adapters against moto's S3
(state, registry, data) and the API server stand-in (Jobs, Rollouts), nothing faked inside.

``JOB_TEMPLATE`` and ``ROLLOUT_TEMPLATE`` are the ConfigMaps the planner renders (the test
stores the planner's own output; see ``templates``).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from k8s_store_support import STATE_BUCKET
from runtime_support import boto

from mlops_runtime.contract.controller import ControllerConfig
from mlops_runtime.k8s import main
from mlops_runtime.k8s.controller import Loop
from mlops_runtime.k8s.kube import ApiServer
from mlops_runtime.k8s.registry import ObjectRegistry
from mlops_runtime.k8s.server import serve
from mlops_runtime.k8s.store import Bucket, s3_client
from mlops_spec.plan.k8s import training
from mlops_spec.plan.k8s.training import TrainingJobPlan
from tests.k8s import samples
from tests.k8s.api_server import TOKEN, ApiServerStandIn

NAMESPACE = samples.NAMESPACE
MODEL, ROLLOUT, ALERT = "churn", "churn-classifier", "shop-dev-churn-feature-drift"
JOB_TEMPLATE, ROLLOUT_TEMPLATE = "shop-dev-churn-train", "shop-dev-churn-rollout"
DATA_BUCKET, DATA_PREFIX = "shop-data", "events/"
IMAGE = "registry.example/churn@sha256:"


def config(store_url: str, **model: Any) -> ControllerConfig:
    """The controller's configuration as the planner writes it, with ``model`` overrides."""
    return ControllerConfig.from_dict(
        {
            "system": "shop",
            "namespace": NAMESPACE,
            "store": {"uri": f"s3://{STATE_BUCKET}/mlops/", "endpoint_url": store_url},
            "models": {
                MODEL: {
                    "job_template": JOB_TEMPLATE,
                    "rollout": ROLLOUT,
                    "rollout_template": ROLLOUT_TEMPLATE,
                    **model,
                }
            },
            "alerts": {ALERT: MODEL},
            "data_sources": [{"bucket": DATA_BUCKET, "prefix": DATA_PREFIX, "models": [MODEL]}],
        }
    )


def job_plan(**overrides: Any) -> TrainingJobPlan:
    """The churn model's training Job as the planner renders it."""
    fields: dict[str, Any] = {
        "name": JOB_TEMPLATE,
        "namespace": NAMESPACE,
        "model": MODEL,
        "image": "registry.example/churn-train:1.4.0",
        "runtime_image": "registry.example/mlops-runtime:1",
        "entry_point": "train.py",
        "channels": (("customer-events", f"s3://{DATA_BUCKET}/{DATA_PREFIX}"),),
        "hyperparameters": (("max_depth", "6"),),
        "cpu": 2.0,
        "memory_gib": 4.0,
        "gpu": 0,
        "volume_gib": 30,
        "max_runtime_minutes": 120,
        "finish_config": json.dumps({"model_id": MODEL}),
        "service_account": "shop-dev-training",
        "env": (("AWS_ENDPOINT_URL_S3", "http://minio.storage:9000"),),
        "credentials_secret": "shop-store",
    }
    return training.training_job(**{**fields, **overrides})


def job_template() -> dict[str, Any]:
    """The training Job the planner renders (``mlops_spec.plan.k8s.training``)."""
    return job_plan().manifest()


def rollout_template() -> dict[str, Any]:
    """The Rollout the controller creates on the first approval: the sample Rollout with the
    artifact variable on its model container."""
    rollout = samples.rollout(ROLLOUT)
    model = rollout["spec"]["template"]["spec"]["containers"][0]
    model["env"] = [{"name": "MLOPS_MODEL_DATA_URL", "value": ""}]
    return rollout


def config_map(name: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "data": {key: json.dumps(body)},
    }


def cluster(api: ApiServerStandIn) -> None:
    """What Pulumi leaves in the namespace: the two template ConfigMaps."""
    api.put("", "configmaps", config_map(JOB_TEMPLATE, "job.json", job_template()))
    api.put("", "configmaps", config_map(ROLLOUT_TEMPLATE, "rollout.json", rollout_template()))


def controller(api: ApiServerStandIn, store_url: str, now: Any = None, **model: Any) -> Loop:
    """A controller built as ``python -m mlops_runtime.k8s`` builds it (probe included)."""
    settings = config(store_url, **model)
    if not _exists(STATE_BUCKET):
        boto("s3").create_bucket(Bucket=STATE_BUCKET)
    loop = main.build(settings, ApiServer(api.url, token=TOKEN), s3_client(settings.store))
    if now is not None:
        loop.now = now
    return loop


def registry(store_url: str) -> ObjectRegistry:
    """The registry the controller keeps (the bucket and the model's registry created)."""
    if not _exists(STATE_BUCKET):
        boto("s3").create_bucket(Bucket=STATE_BUCKET)
    settings = config(store_url).store
    found = ObjectRegistry(Bucket.from_settings(settings, s3_client(settings)))
    found.ensure_group(MODEL)
    return found


def alert(
    fingerprint: str = "4f1c2a9d", starts: str = "2026-01-05T02:55:00Z", status: str = "firing"
) -> dict[str, Any]:
    """An Alertmanager webhook delivery (version 4) of the model's drift alert."""
    return {
        "version": "4",
        "groupKey": '{}/{mlops_action="retrain"}:{alertname="' + ALERT + '"}',
        "status": status,
        "receiver": "mlops-controller",
        "groupLabels": {"alertname": ALERT},
        "commonLabels": {"alertname": ALERT, "mlops_model": MODEL, "mlops_action": "retrain"},
        "alerts": [
            {
                "status": status,
                "labels": {
                    "alertname": ALERT,
                    "mlops_model": MODEL,
                    "mlops_action": "retrain",
                    "mlops_monitor": "feature-drift",
                    "severity": "warning",
                    "namespace": NAMESPACE,
                },
                "annotations": {"summary": "feature drift above 0.2"},
                "startsAt": starts,
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus/graph",
                "fingerprint": fingerprint,
            }
        ],
    }


def decisions(result: dict[str, Any]) -> list[str]:
    return [d["decision"] for d in result["decisions"]]


def _exists(bucket: str) -> bool:
    return bucket in {b["Name"] for b in boto("s3").list_buckets()["Buckets"]}


def at(moment: datetime) -> Any:
    return lambda: moment


def register(
    store_url: str, version_hint: int, status: str = "Approved", when: datetime | None = None
) -> str:
    """Plays the training Job's register step: a version with its image and artifact."""
    return registry(store_url).register(
        MODEL,
        status=status,
        metadata={"mlops:verdict": "passed" if status == "Approved" else "rejected"},
        image=f"{IMAGE}{version_hint:064x}",
        artifact_uri=f"s3://shop-models/churn/run-{version_hint}/model.tar.gz",
        now=when,
    )


def rollout(api: ApiServerStandIn) -> dict[str, Any]:
    found = api.get("argoproj.io", "rollouts", NAMESPACE, ROLLOUT)
    assert found is not None
    return found


def served_image(api: ApiServerStandIn) -> str:
    return str(rollout(api)["spec"]["template"]["spec"]["containers"][0]["image"])


def model_data_url(api: ApiServerStandIn) -> str:
    (env,) = rollout(api)["spec"]["template"]["spec"]["containers"][0]["env"]
    return str(env["value"])


HEALTHY = {"phase": "Healthy", "stableRS": "stable", "currentPodHash": "stable"}
PROGRESSING = {"phase": "Progressing", "stableRS": "old", "currentPodHash": "new"}
ABORTED = {
    "phase": "Degraded",
    "abort": True,
    "stableRS": "old",
    "currentPodHash": "new",
    "message": 'RolloutAborted: Rollout aborted update to revision 2: Metric "rollback-alerts" assessed Failed due to failed (1) > failureLimit (0)',
}


@contextmanager
def running(loop: Loop) -> Iterator[str]:
    """The controller's real HTTP server for ``loop`` on a free port, in its own event loop
    (the test drives the periodic reconcile itself); yields its URL once /healthz answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    events, stopping = asyncio.new_event_loop(), asyncio.Event()
    thread = threading.Thread(
        target=events.run_until_complete,
        args=(serve(loop, stopping, port, periodic=False),),
        daemon=True,
    )
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                break
        except OSError:
            threading.Event().wait(0.05)
    try:
        yield url
    finally:
        events.call_soon_threadsafe(stopping.set)
        thread.join(timeout=10)
