"""The plan's unit on Kubernetes: one manifest, as the API server would receive it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object of the stack: its whole manifest, decided from the spec.

    Kept as JSON text so the plan stays immutable data (``body`` parses a fresh copy). String
    values may hold ``${account}`` and ``${key_arn}`` (``plan.documents``), which the
    components fill from the stack's outputs. ``crd`` names the CustomResourceDefinition a
    custom resource needs (the components read it first, so a missing operator fails at
    preview); None for built-in kinds."""

    text: str
    crd: str | None = None
    skip_await: bool = False
    """Pulumi must not wait for this object to become ready (a Service whose pods come from a
    custom resource Pulumi does not await: pulumi-kubernetes#1974)."""

    @classmethod
    def of(
        cls, body: Mapping[str, Any], crd: str | None = None, skip_await: bool = False
    ) -> Manifest:
        """A manifest from its body (a mapping of JSON values)."""
        return cls(json.dumps(body, separators=(",", ":")), crd, skip_await)

    @property
    def body(self) -> dict[str, Any]:
        """The manifest (a new dict on every call)."""
        parsed: dict[str, Any] = json.loads(self.text)
        return parsed

    @property
    def api_version(self) -> str:
        return str(self.body["apiVersion"])

    @property
    def kind(self) -> str:
        return str(self.body["kind"])

    @property
    def name(self) -> str:
        return str(self.body["metadata"]["name"])

    @property
    def key(self) -> str:
        """``Kind/name``: unique within the stack's namespace (the components' logical name)."""
        return f"{self.kind}/{self.name}"


def metadata(name: str, namespace: str, labels: Mapping[str, str], **extra: Any) -> dict[str, Any]:
    """``metadata`` of a namespaced object."""
    return {"name": name, "namespace": namespace, "labels": dict(labels), **extra}


def utc_cronjob(
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    *,
    schedule: str,
    suspend: bool,
    job: Mapping[str, Any],
    pod: Mapping[str, Any],
) -> dict[str, Any]:
    """A ``batch/v1`` CronJob run as EventBridge runs a schedule: in UTC, never two at once
    (``Forbid``), a missed start given up after an hour, the last success and three failures
    kept. ``job`` holds the Job spec's own limits; ``pod`` is the pod template's spec."""
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "schedule": schedule,
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            "suspend": suspend,
            "startingDeadlineSeconds": 3600,
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    **job,
                    "template": {"metadata": {"labels": dict(labels)}, "spec": dict(pod)},
                },
            },
        },
    }
