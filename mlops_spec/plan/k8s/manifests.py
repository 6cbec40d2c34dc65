"""The plan's unit on Kubernetes: one manifest, as the API server would receive it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object of the stack: its whole manifest, decided from the spec.

    String values may hold ``${account}`` and ``${key_arn}`` (``plan.documents``), which the
    components fill from the stack's outputs. ``crd`` names the CustomResourceDefinition a
    custom resource needs (the components read it first, so a missing operator fails at
    preview); None for built-in kinds."""

    body: Mapping[str, Any]
    crd: str | None = None
    skip_await: bool = False
    """Pulumi must not wait for this object to become ready (a Service whose pods come from a
    custom resource Pulumi does not await: pulumi-kubernetes#1974)."""

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
