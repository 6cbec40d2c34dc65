"""``KubernetesServing``: the models' serving objects on the cluster, from the plan's manifests.

Built-in kinds are typed ``pulumi_kubernetes`` classes, custom resources
``apiextensions.CustomResource`` (YAML and Helm components expand only under the engine, so
they would be invisible offline). Each custom resource depends on the read of its
``CustomResourceDefinition``, so a cluster without the operator fails at preview, and every
object depends on the namespace when the stack creates it. A manifest holding ``${account}``
or ``${key_arn}`` is filled from the stack's outputs (``Refs.render``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from mlops_components.refs import Refs
from mlops_spec.plan.documents import PLACEHOLDERS
from mlops_spec.plan.k8s import Manifest

TYPE = "mlops:k8s:KubernetesServing"

BUILTIN: dict[str, Callable[..., pulumi.CustomResource]] = {
    "Service": k8s.core.v1.Service,
    "CronJob": k8s.batch.v1.CronJob,
    "PodDisruptionBudget": k8s.policy.v1.PodDisruptionBudget,
    "NetworkPolicy": k8s.networking.v1.NetworkPolicy,
    "Ingress": k8s.networking.v1.Ingress,
}
"""Built-in kinds the serving planner writes -> their typed class."""


@dataclass(frozen=True)
class KubernetesServingArgs:
    manifests: tuple[Manifest, ...]
    """The plan's serving objects (``KubernetesPlan.manifests`` without the namespace)."""
    refs: Refs
    """The account and the system key, for manifests holding placeholders."""
    crds: Mapping[str, pulumi.Resource] = field(default_factory=dict)
    """CRD name (``rollouts.argoproj.io``) -> the program's read of it."""
    depends_on: tuple[pulumi.Resource, ...] = ()
    """What every object waits for (the namespace, when the stack creates it)."""


class KubernetesServing(pulumi.ComponentResource):
    """Every serving object of a stack's models on its cluster."""

    names: dict[str, str]
    """``Kind/name`` of every object created, by logical name (for tests and outputs)."""

    def __init__(
        self, name: str, args: KubernetesServingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        self.names = {}
        for manifest in args.manifests:
            self._create(manifest, args)
        self.register_outputs({"objects": sorted(self.names.values())})

    def _create(self, manifest: Manifest, args: KubernetesServingArgs) -> pulumi.CustomResource:
        logical = f"{manifest.kind.lower()}-{manifest.name}"
        self.names[logical] = manifest.key
        waits = list(args.depends_on)
        if manifest.crd:
            waits.append(args.crds[manifest.crd])
        options = pulumi.ResourceOptions(parent=self, depends_on=waits)
        metadata, spec = _sections(manifest.body, args.refs)
        if manifest.crd:
            return k8s.apiextensions.CustomResource(
                logical,
                api_version=manifest.api_version,
                kind=manifest.kind,
                metadata=metadata,
                spec=spec,
                opts=options,
            )
        return BUILTIN[manifest.kind](logical, metadata=metadata, spec=spec, opts=options)


def _sections(body: Mapping[str, Any], refs: Refs) -> tuple[dict[str, Any], Any]:
    """(metadata, spec) of a manifest; the spec is an Output when placeholders must be
    filled (the metadata never holds one: names stay known at preview)."""
    text = json.dumps(body["spec"])
    if not any(f"${{{name}}}" in text for name in PLACEHOLDERS):
        return dict(body["metadata"]), dict(body["spec"])
    return dict(body["metadata"]), refs.render(text).apply(json.loads)
