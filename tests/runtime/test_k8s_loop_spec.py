"""The controller built from the example spec's plan: the ``ControllerConfig`` and the
templates ``mlops_spec.plan.k8s.loop`` derives from examples/churn-k8s (prod), run on the real
adapters against moto's S3 (over HTTP) and the API-server stand-in (every stored object
validated with kubernetes-validate or the vendored CRDs).

Only the store's location is the test's (moto instead of the artifacts bucket, no KMS key); the
names, templates, alerts and Role are the planner's. Played by the test, as in
test_k8s_loop.py: the Job running (the register step is a registry write) and Prometheus firing
(the webhook delivery)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from k8s_loop_support import HEALTHY, decisions
from k8s_store_support import STATE_BUCKET
from runtime_support import boto

from mlops_runtime.contract.controller import ControllerConfig, ObjectStoreSettings
from mlops_runtime.k8s import main
from mlops_runtime.k8s.kube import ApiServer
from mlops_runtime.k8s.registry import ObjectRegistry
from mlops_runtime.k8s.store import Bucket, s3_client
from mlops_spec.load import validate_file
from mlops_spec.plan.documents import render
from mlops_spec.plan.k8s.controller import LoopPlan
from tests.conftest import ROOT
from tests.k8s.api_server import TOKEN, ApiServerStandIn, allowed

SPEC = ROOT / "examples/churn-k8s/mlops.yaml"
MODEL = "churn-classifier"
REFS = {"account": "123456789012", "key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k"}
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn-train@sha256:" + "a" * 64
ARTIFACT = (
    "s3://acme-churnk-prod-artifacts-eu-west-1/models/churn-classifier/training/r1/model.tar.gz"
)


@pytest.fixture(scope="module")
def loop_plan() -> LoopPlan:
    plan = validate_file(SPEC, "prod").stacks["prod"].plan
    assert plan is not None and plan.kubernetes is not None and plan.kubernetes.loop is not None
    return plan.kubernetes.loop


def _config(loop_plan: LoopPlan, store_url: str) -> ControllerConfig:
    """The planner's configuration with the store on moto (no KMS key there)."""
    planned = loop_plan.controller.config
    models = {
        m: dataclasses.replace(
            model,
            references=dataclasses.replace(model.references, kms_key_id=None)
            if model.references
            else None,
        )
        for m, model in planned.models.items()
    }
    store = ObjectStoreSettings(uri=f"s3://{STATE_BUCKET}/mlops/", endpoint_url=store_url)
    return dataclasses.replace(planned, store=store, models=models)


def _cluster(api: ApiServerStandIn, loop_plan: LoopPlan) -> None:
    """What Pulumi leaves in the namespace for the controller: the spec's template ConfigMaps."""
    for manifest in loop_plan.manifests():
        if manifest["kind"] == "ConfigMap":
            api.put("", "configmaps", json.loads(render(json.dumps(manifest), REFS)))


def _alert(name: str) -> dict[str, Any]:
    labels = {"alertname": name, "mlops_model": MODEL, "mlops_action": "retrain"}
    return {
        "version": "4",
        "status": "firing",
        "receiver": "mlops-controller",
        "groupLabels": {"alertname": name},
        "commonLabels": labels,
        "alerts": [
            {
                "status": "firing",
                "labels": {**labels, "mlops_monitor": "feature-drift"},
                "startsAt": "2026-01-05T02:55:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": "4f1c2a9d",
            }
        ],
    }


def test_the_spec_derived_controller_deploys_retrains_within_its_role(
    aws: str, loop_plan: LoopPlan
) -> None:
    config = _config(loop_plan, aws)
    boto("s3").create_bucket(Bucket=STATE_BUCKET)
    with ApiServerStandIn() as api:
        _cluster(api, loop_plan)
        loop = main.build(config, ApiServer(api.url, token=TOKEN), s3_client(config.store))
        registry = ObjectRegistry(Bucket.from_settings(config.store, s3_client(config.store)))
        registry.register(MODEL, status="Approved", metadata={}, image=IMAGE, artifact_uri=ARTIFACT)
        (record,) = loop.reconcile()
        assert record["decision"] == "created"
        rollout = api.get("argoproj.io", "rollouts", "churn-ml", "churnk-prod-churn-classifier")
        assert rollout is not None
        pod = rollout["spec"]["template"]["spec"]
        (fetch,) = pod["initContainers"]
        assert {"name": "MLOPS_MODEL_DATA_URL", "value": ARTIFACT} in fetch["env"]
        assert next(c for c in pod["containers"] if c["name"] == "model")["image"] == IMAGE
        api.set_status("churn-ml", "churnk-prod-churn-classifier", HEALTHY)  # Argo's part
        newer = IMAGE.replace("a" * 64, "b" * 64)
        registry.register(MODEL, status="Approved", metadata={}, image=newer, artifact_uri=ARTIFACT)
        loop.reconcile()  # the next approved version patches the Rollout the controller owns
        rollout = api.get("argoproj.io", "rollouts", "churn-ml", "churnk-prod-churn-classifier")
        assert rollout is not None
        assert rollout["spec"]["template"]["spec"]["containers"][0]["image"] == newer
        (alert,) = config.alerts  # the PrometheusRule's name for the retrain monitor
        assert decisions(loop.alerts(_alert(alert))) == ["started"]
        (job,) = api.writes("create", "jobs")
        assert job.name is not None and job.name.startswith("churnk-prod-churn-classifier-train-")
        assert api.invalid == []
        role = loop_plan.controller.role()
        made = {(c.verb, c.group, c.resource) for c in api.calls}
        assert all(allowed(call, role) for call in api.calls), made
        granted = {
            (verb, group, resource)
            for rule in role["rules"]
            for verb in rule["verbs"]
            for group in rule["apiGroups"]
            for resource in rule["resources"]
        }
        assert made == granted  # every grant used, nothing else asked
