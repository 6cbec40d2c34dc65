"""The operators a Kubernetes stack needs, derived from the custom resources it plans.

Operators are the cluster's, never this project's: ``mlops plan`` lists them, and the
components read each CRD before creating its custom resources, so a cluster without the
operator fails at preview instead of half-way through ``pulumi up``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mlops_spec.plan.k8s.manifests import Manifest


@dataclass(frozen=True)
class Operator:
    """An operator the stack's custom resources need, and the CRDs they are checked against."""

    name: str
    crds: tuple[str, ...]
    """The CustomResourceDefinitions of the stack's kinds (``<plural>.<group>``)."""


OPERATORS: dict[str, str] = {
    "argoproj.io": "Argo Rollouts",
    "keda.sh": "KEDA",
    "monitoring.coreos.com": "Prometheus Operator",
    "serving.knative.dev": "Knative Serving",
    "kueue.x-k8s.io": "Kueue",
    "gateway.networking.k8s.io": "Gateway API (a Gateway controller)",
    "networking.istio.io": "Istio",
}
"""API group -> the operator that serves it."""

PLURALS: dict[str, str] = {
    "Rollout": "rollouts",
    "AnalysisTemplate": "analysistemplates",
    "ScaledObject": "scaledobjects",
    "ServiceMonitor": "servicemonitors",
    "PrometheusRule": "prometheusrules",
    "AlertmanagerConfig": "alertmanagerconfigs",
    "Service": "services",
    "HTTPRoute": "httproutes",
    "VirtualService": "virtualservices",
}
"""Kind -> the plural of its CRD's name (custom kinds the planner writes)."""


def crd_name(api_version: str, kind: str) -> str:
    """``rollouts.argoproj.io`` for ``argoproj.io/v1alpha1`` ``Rollout``."""
    group = api_version.split("/")[0]
    return f"{PLURALS[kind]}.{group}"


def custom(body: Mapping[str, Any]) -> Manifest:
    """A custom resource, tied to the CRD that defines it."""
    return Manifest.of(body, crd=crd_name(str(body["apiVersion"]), str(body["kind"])))


def of_body(body: Mapping[str, Any]) -> Manifest:
    """A manifest of any kind: custom when an operator serves its API group."""
    group = str(body["apiVersion"]).split("/")[0]
    return custom(body) if group in OPERATORS else Manifest.of(body)


def needed(manifests: Iterable[Manifest]) -> tuple[Operator, ...]:
    """The operators of ``manifests``' custom resources, by name, each with its CRDs."""
    crds: dict[str, set[str]] = {}
    for manifest in manifests:
        if manifest.crd:
            group = manifest.crd.split(".", 1)[1]
            crds.setdefault(OPERATORS[group], set()).add(manifest.crd)
    return tuple(Operator(name, tuple(sorted(names))) for name, names in sorted(crds.items()))
