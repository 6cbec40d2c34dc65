"""``Cluster``: the cluster side of a ``platform: kubernetes`` stack.

In order: the namespace (when the stack creates it), a read of every CustomResourceDefinition
the stack's custom resources need (``CustomResourceDefinition.get``: a missing operator fails
the preview, naming the CRD), the serving objects (``KubernetesServing``), the monitors
(``Monitors``: alerts, their routing, the monitoring jobs) and, when the cluster trains, the
loop (``Loop``: Job and Rollout templates, schedules, the controller). Operators are the
cluster's: this component reads their CRDs and never installs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from mlops_components.k8s.loop import Loop, LoopArgs
from mlops_components.k8s.monitors import Monitors, MonitorsArgs
from mlops_components.k8s.serving import KubernetesServing, KubernetesServingArgs
from mlops_components.refs import Refs
from mlops_spec.plan.k8s import KubernetesPlan

TYPE = "mlops:k8s:Cluster"


@dataclass(frozen=True)
class ClusterArgs:
    plan: KubernetesPlan
    """The stack's ``DeploymentPlan.kubernetes``."""
    refs: Refs
    """The account and the system key (the pinned package's ARN, capture encryption)."""


class Cluster(pulumi.ComponentResource):
    """Namespace, CRD reads, serving and monitors of one stack."""

    namespace: str
    """The namespace every object lives in."""
    crds: dict[str, k8s.apiextensions.v1.CustomResourceDefinition]
    """CRD name -> its read (custom resources depend on it)."""
    loop: Loop | None
    """The retraining loop, when the cluster trains a model."""

    def __init__(
        self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        plan = args.plan
        self.namespace = plan.namespace
        namespace = self._namespace(plan)
        waits = (namespace,) if namespace else ()
        self.crds = {
            crd: k8s.apiextensions.v1.CustomResourceDefinition.get(
                f"crd-{crd}", crd, opts=pulumi.ResourceOptions(parent=self)
            )
            for operator in plan.operators
            for crd in operator.crds
        }
        serving = KubernetesServing(
            "serving",
            KubernetesServingArgs(
                manifests=tuple(m for m in plan.manifests if m.kind != "Namespace"),
                refs=args.refs,
                crds=self.crds,
                depends_on=waits,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        by_kind = {m.kind: self.crds[m.crd] for m in plan.all_manifests if m.crd}
        Monitors(
            "monitors",
            MonitorsArgs(plan.monitoring, crds=by_kind, depends_on=waits),
            pulumi.ResourceOptions(parent=self, depends_on=[*waits, serving]),
        )
        self.loop = None
        if plan.loop is not None:
            self.loop = Loop(
                "loop",
                LoopArgs(plan.loop, refs=args.refs, depends_on=waits),
                pulumi.ResourceOptions(parent=self, depends_on=[*waits, serving]),
            )
        self.register_outputs({"namespace": self.namespace})

    def _namespace(self, plan: KubernetesPlan) -> k8s.core.v1.Namespace | None:
        manifest = next((m for m in plan.manifests if m.kind == "Namespace"), None)
        if manifest is None:
            return None
        metadata: Any = dict(manifest.body["metadata"])  # camelCase keys pass as they are
        return k8s.core.v1.Namespace(
            "namespace",
            metadata=metadata,
            opts=pulumi.ResourceOptions(parent=self),
        )
