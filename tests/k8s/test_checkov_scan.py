"""checkov through the harness: one scan for the run (checkov takes seconds to start)."""

from __future__ import annotations

import dataclasses
import fcntl
import json

import pytest

from tests.k8s import builtin, crds, samples
from tests.k8s.checkov_scan import Finding, as_deployment, scan, scannable, violations


def _privileged(manifest: dict) -> dict:
    manifest["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = True
    return manifest


WILDCARD_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "Role",
    "metadata": {"name": "too-much", "namespace": samples.NAMESPACE},
    "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
}
MANIFESTS = [
    samples.deployment("hardened"),
    _privileged(samples.deployment("privileged")),
    _privileged(samples.rollout("privileged-rollout")),
    samples.rollout("hardened-rollout"),
    samples.knative_service("hardened-knative"),
    WILDCARD_ROLE,
]


@pytest.fixture(scope="session")
def findings(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> list[Finding]:
    """One checkov scan (seconds) for the whole run: xdist workers share it through a file in
    the run's temporary directory, under a lock."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    cache = shared / "checkov-findings.json"
    with (shared / "checkov-findings.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cache.exists():
            found = scan(scannable(MANIFESTS))
            cache.write_text(json.dumps([dataclasses.asdict(f) for f in found]))
    return [Finding(**item) for item in json.loads(cache.read_text())]


def _failed(findings: list[Finding], resource: str) -> set[str]:
    return {f.check_id for f in violations(findings) if f.resource == resource}


def test_a_privileged_container_is_flagged(findings: list[Finding]):
    assert "CKV_K8S_16" in _failed(findings, f"Deployment.{samples.NAMESPACE}.privileged")


def test_a_hardened_deployment_breaks_none_of_the_policy(findings: list[Finding]):
    resource = f"Deployment.{samples.NAMESPACE}.hardened"
    assert _failed(findings, resource) == set()
    checked = {f.check_id for f in findings if f.resource == resource and f.passed}
    assert {"CKV_K8S_16", "CKV_K8S_20", "CKV_K8S_22", "CKV_K8S_23", "CKV_K8S_37"} <= checked


def test_rollouts_are_checked_through_their_deployment_shaped_copy(findings: list[Finding]):
    assert "CKV_K8S_16" in _failed(findings, f"Deployment.{samples.NAMESPACE}.privileged-rollout")
    assert _failed(findings, f"Deployment.{samples.NAMESPACE}.hardened-rollout") == set()
    assert _failed(findings, f"Deployment.{samples.NAMESPACE}.hardened-knative") == set()
    assert not any(f.resource.startswith("Rollout.") for f in findings)  # checkov skips them


def test_an_rbac_wildcard_is_flagged(findings: list[Finding]):
    assert "CKV_K8S_49" in _failed(findings, f"Role.{samples.NAMESPACE}.too-much")


def test_the_deployment_shaped_copies_are_valid_deployments():
    for source in (samples.rollout(), samples.knative_service()):
        copy = as_deployment(source)
        assert builtin.errors(copy) == [], source["kind"]
        assert copy["metadata"]["name"] == source["metadata"]["name"]
    knative = as_deployment(samples.knative_service())
    assert "containerConcurrency" not in knative["spec"]["template"]["spec"]
    assert knative["spec"]["template"]["spec"]["containers"][0]["name"] == "user-container-0"
    assert crds.errors(samples.knative_service()) == []


def test_only_rollouts_and_knative_services_get_a_copy():
    with pytest.raises(ValueError, match="neither an Argo Rollout nor a Knative Service"):
        as_deployment(samples.deployment())
    assert len(scannable([samples.deployment(), samples.rollout()])) == 3
