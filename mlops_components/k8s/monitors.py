"""Monitors on Kubernetes: the models' ``PrometheusRule``s, the stack's ``AlertmanagerConfig``
and the monitoring jobs' ``CronJob``s, from ``mlops_spec.plan.k8s.monitors_plan`` (the plan
decides every field; this only registers them).

Custom resources depend on their CRD when the caller read it (``MonitorsArgs.crds``), so a
cluster without the Prometheus Operator fails at preview, not at apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from mlops_spec.plan.k8s.monitors_plan import K8sMonitoringPlan

TYPE = "mlops:k8s:Monitors"


@dataclass(frozen=True)
class MonitorsArgs:
    plan: K8sMonitoringPlan
    crds: Mapping[str, pulumi.Resource] = field(default_factory=dict)
    """Kind (``PrometheusRule``, ``AlertmanagerConfig``) -> the program's read of its
    ``CustomResourceDefinition``; resources of that kind depend on it. Default: none."""
    depends_on: tuple[pulumi.Resource, ...] = ()
    """What every object waits for (the namespace, when the stack creates it; a component's
    own ``depends_on`` does not reach its children). Default: nothing."""


class Monitors(pulumi.ComponentResource):
    """The alerts, their routing and the monitoring jobs of one stack."""

    rule_names: pulumi.Output[dict[str, str]]
    """Model id -> its PrometheusRule's name."""
    alertmanager_config_name: pulumi.Output[str]
    """The AlertmanagerConfig's name."""
    cronjob_names: pulumi.Output[dict[str, str]]
    """Model id -> its monitoring CronJob's name."""

    def __init__(
        self, name: str, args: MonitorsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        plan = args.plan
        rules = {r.model: self._custom(f"{r.model}-rules", r.manifest(), args) for r in plan.rules}
        config = self._custom("alertmanager-config", plan.alertmanager.manifest(), args)
        cronjobs = {
            c.model: self._cronjob(f"{c.model}-monitoring-job", c.manifest(), args)
            for c in plan.cronjobs
        }
        # Names come from the plan; each output waits for its resource.
        self.rule_names = pulumi.Output.all(*(r.urn for r in rules.values())).apply(
            lambda _: {r.model: r.name for r in plan.rules}
        )
        self.alertmanager_config_name = config.urn.apply(lambda _: plan.alertmanager.name)
        self.cronjob_names = pulumi.Output.all(*(c.urn for c in cronjobs.values())).apply(
            lambda _: {c.model: c.name for c in plan.cronjobs}
        )
        self.register_outputs(
            {
                "rule_names": self.rule_names,
                "alertmanager_config_name": self.alertmanager_config_name,
                "cronjob_names": self.cronjob_names,
            }
        )

    def _custom(
        self, name: str, manifest: dict[str, Any], args: MonitorsArgs
    ) -> k8s.apiextensions.CustomResource:
        crd = args.crds.get(manifest["kind"])
        waits = [*args.depends_on, *([crd] if crd else [])]
        return k8s.apiextensions.CustomResource(
            name,
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=waits or None),
        )

    def _cronjob(
        self, name: str, manifest: dict[str, Any], args: MonitorsArgs
    ) -> k8s.batch.v1.CronJob:
        return k8s.batch.v1.CronJob(
            name,
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on) or None),
        )
