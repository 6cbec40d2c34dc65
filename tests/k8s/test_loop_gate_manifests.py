"""The training Job of a gated model with a lineage record: ``lineage-inputs`` first, and the
candidate's model server as a native sidecar between ``train`` and ``register``, against
kubernetes-validate --strict at 1.29 and the newest version, and checkov's policy."""

from __future__ import annotations

import json
from typing import Any

from mlops_runtime.contract.controller import MODEL_SERVER_URL
from mlops_spec.plan.k8s import training
from tests.k8s import harness
from tests.k8s.checkov_scan import scan, violations
from tests.k8s.loop_samples import job


def gated() -> dict[str, Any]:
    return job(score_holdout=True, record_lineage=True).manifest()


def pod(manifest: dict[str, Any]) -> dict[str, Any]:
    return manifest["spec"]["template"]["spec"]


def test_the_gated_job_passes_kubernetes_validate_strict_at_both_versions() -> None:
    assert harness.errors([gated(), job(score_holdout=True, gpu=0).manifest()]) == []


def test_checkov_finds_nothing_against_the_policy() -> None:
    found = scan([gated()])
    assert any(f.resource.startswith("Job.") for f in found)
    assert violations(found) == []


def test_the_model_server_is_a_native_sidecar_after_train_before_register() -> None:
    spec = pod(gated())
    names = [c["name"] for c in spec["initContainers"]]
    assert names == ["lineage-inputs", "fetch-inputs", "train", "model"]
    assert [c["name"] for c in spec["containers"]] == ["register"]
    train, model = spec["initContainers"][2], spec["initContainers"][3]
    assert "restartPolicy" not in train  # a plain init container: it runs to completion first
    assert model["restartPolicy"] == "Always"
    assert (model["image"], model["args"]) == (train["image"], ["serve"])
    assert model["resources"] == train["resources"]  # the GPU too; train has exited by then
    probe = model["startupProbe"]
    assert probe["httpGet"] == {"path": "/ping", "port": 8080}
    assert probe["periodSeconds"] * probe["failureThreshold"] == training.SERVER_START_SECONDS
    assert MODEL_SERVER_URL == "http://127.0.0.1:8080"  # where register reaches it
    mounts = {m["mountPath"]: m.get("readOnly", False) for m in model["volumeMounts"]}
    assert mounts == {"/opt/ml": True, "/tmp": False}  # the candidate cannot touch the holdout


def test_lineage_inputs_reads_the_register_containers_configuration() -> None:
    spec = pod(gated())
    inputs, register = spec["initContainers"][0], spec["containers"][0]
    assert inputs["args"] == ["mlops_runtime.k8s.lineage"]
    assert inputs["env"][0] == register["env"][0]
    assert json.loads(inputs["env"][0]["value"]) == {"model_id": "churn"}


def test_without_a_gate_or_lineage_the_job_is_unchanged() -> None:
    spec = pod(job().manifest())
    assert [c["name"] for c in spec["initContainers"]] == ["fetch-inputs", "train"]
