"""checkov's Kubernetes checks over rendered manifests, offline, in one run per call.

checkov skips kinds it has no checks for, among them Argo's ``Rollout`` and Knative's
``Service``: ``scannable`` adds a Deployment-shaped copy of each one's pod template
(``as_deployment``) so their pods are checked like any Deployment's. ``POLICY`` lists the checks
the project holds every manifest to (issue 12): no privileged or host-namespace pods, no
privilege escalation, no RBAC wildcards or escalation, and containers that run as non-root with
a read-only root filesystem and no added capabilities. checkov's other checks (image digests,
probes, high UIDs, ...) are reported by ``scan`` but are not the policy.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.k8s.manifests import clean, dump
from tests.k8s.tools import require

TIMEOUT = 300
POLICY = {
    "CKV_K8S_16": "Container should not be privileged",
    "CKV_K8S_17": "Containers should not share the host process ID namespace",
    "CKV_K8S_18": "Containers should not share the host IPC namespace",
    "CKV_K8S_19": "Containers should not share the host network namespace",
    "CKV_K8S_20": "Containers should not run with allowPrivilegeEscalation",
    "CKV_K8S_22": "Use read-only filesystem for containers where possible",
    "CKV_K8S_23": "Minimize the admission of root containers",
    "CKV_K8S_28": "Minimize the admission of containers with the NET_RAW capability",
    "CKV_K8S_37": "Minimize the admission of containers with capabilities assigned",
    "CKV_K8S_49": "Minimize wildcard use in Roles and ClusterRoles",
    "CKV_K8S_157": "Minimize Roles and ClusterRoles that grant permissions to bind RoleBindings",
    "CKV_K8S_158": "Minimize Roles and ClusterRoles that grant permissions to escalate Roles",
}
"""check id -> checkov's title: what every manifest of the project must pass."""
KNATIVE_ONLY = (
    "containerConcurrency",
    "timeoutSeconds",
    "responseStartTimeoutSeconds",
    "idleTimeoutSeconds",
)


@dataclass(frozen=True)
class Finding:
    """One check on one resource."""

    check_id: str
    title: str
    resource: str
    """``Kind.namespace.name`` as checkov names it."""
    passed: bool


def as_deployment(manifest: dict[str, Any]) -> dict[str, Any]:
    """A Deployment with the pod template of an Argo ``Rollout`` (inline template, not
    ``workloadRef``) or a Knative ``Service``, named like the original."""
    body = clean(manifest)
    kind = body.get("kind")
    metadata = body.get("metadata", {})
    spec = body.get("spec", {})
    if kind == "Rollout":
        if "template" not in spec:
            raise ValueError(f"Rollout {metadata.get('name')} has no inline pod template")
        template = spec["template"]
        labels = template.get("metadata", {}).get("labels", {})
        selector = spec.get("selector") or {"matchLabels": labels}
    elif kind == "Service" and str(body.get("apiVersion", "")).startswith("serving.knative.dev/"):
        source = spec.get("template", {})
        labels = source.get("metadata", {}).get("labels") or {"app": metadata.get("name", "")}
        pod = {k: v for k, v in source.get("spec", {}).items() if k not in KNATIVE_ONLY}
        pod["containers"] = [
            {"name": f"user-container-{i}", **c} if "name" not in c else c
            for i, c in enumerate(pod.get("containers", []))
        ]
        template = {"metadata": {**source.get("metadata", {}), "labels": labels}, "spec": pod}
        selector = {"matchLabels": labels}
    else:
        raise ValueError(f"{kind} is neither an Argo Rollout nor a Knative Service")
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {k: metadata[k] for k in ("name", "namespace", "labels") if k in metadata},
        "spec": {"selector": selector, "template": template},
    }


def _skipped_by_checkov(manifest: dict[str, Any]) -> bool:
    api_version = str(manifest.get("apiVersion", ""))
    return (manifest.get("kind") == "Rollout" and api_version.startswith("argoproj.io/")) or (
        manifest.get("kind") == "Service" and api_version.startswith("serving.knative.dev/")
    )


def scannable(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``manifests`` plus a Deployment-shaped copy of every Rollout and Knative Service."""
    return [*manifests, *(as_deployment(m) for m in manifests if _skipped_by_checkov(m))]


def scan(manifests: list[dict[str, Any]]) -> list[Finding]:
    """Every check checkov ran on ``manifests`` (one file each; ``clean`` first), passed and
    failed. Nothing leaves the machine (``--skip-download``)."""
    binary = require("checkov")
    with tempfile.TemporaryDirectory(prefix="checkov-") as folder:
        for i, manifest in enumerate(manifests):
            (Path(folder) / f"manifest-{i:03d}.yaml").write_text(dump([clean(manifest)]))
        done = subprocess.run(
            [
                binary,
                "-d",
                folder,
                "--framework",
                "kubernetes",
                "--output",
                "json",
                "--skip-download",
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    if done.returncode not in (0, 1):  # 1: some check failed
        raise RuntimeError(f"checkov exited {done.returncode}: {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    findings = []
    for framework in report if isinstance(report, list) else [report]:
        results = framework.get("results", {})
        for passed, key in ((True, "passed_checks"), (False, "failed_checks")):
            findings += [
                Finding(c["check_id"], c["check_name"], c["resource"], passed)
                for c in results.get(key, [])
            ]
    return findings


def violations(findings: list[Finding], checks: dict[str, str] = POLICY) -> list[Finding]:
    """The failed findings of ``checks`` (default: the project's policy)."""
    return [f for f in findings if not f.passed and f.check_id in checks]
