"""The retraining loop on Kubernetes (issue 13): the training Job templates and Rollout
templates as ConfigMaps, the schedule CronJobs, the NetworkPolicies, and the controller with
its ServiceAccount, Role, RoleBinding, Deployment and Service, from ``mlops_spec.plan.k8s.controller.LoopPlan``
(the plan decides every field; this only registers them, typed).

Pulumi creates no training Job (the controller does, per run) and no ``latest_approved``
Rollout (the controller creates it on the first approved version and owns its pod template).
Manifests holding ``${account}`` / ``${key_arn}`` (an ``s3`` store's key in the controller's and
the register container's configuration) are filled from the stack's key (``LoopArgs.refs``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from mlops_components.refs import Refs
from mlops_spec.plan.documents import PLACEHOLDERS
from mlops_spec.plan.k8s.controller import LoopPlan, webhook_url

TYPE = "mlops:k8s:Loop"


@dataclass(frozen=True)
class LoopArgs:
    plan: LoopPlan
    """The stack's ``KubernetesPlan.loop``."""
    refs: Refs | None = None
    """The account and the system key, for manifests holding placeholders (required then)."""
    depends_on: tuple[pulumi.Resource, ...] = ()
    """What every object waits for (the namespace, when the stack creates it)."""


class Loop(pulumi.ComponentResource):
    """The controller and what it reads, in one stack's namespace."""

    controller_name: pulumi.Output[str]
    """The controller's Deployment and Service name."""
    webhook_url: pulumi.Output[str]
    """Alertmanager's receiver for retrain alerts (``/alerts`` on the controller's Service)."""
    job_templates: pulumi.Output[dict[str, str]]
    """Model id -> the ConfigMap holding its training Job template."""

    def __init__(self, name: str, args: LoopArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        plan, self._args = args.plan, args
        child = self._opts()
        for manifest in plan.service_account_manifests():
            k8s.core.v1.ServiceAccount(
                manifest["metadata"]["name"],
                metadata=manifest["metadata"],
                automount_service_account_token=False,
                opts=child,
            )
        templates = [self._config_map(f"{j.model}-job-template", j.config_map()) for j in plan.jobs]
        templates += [
            self._config_map(f"{m['metadata']['name']}-rollout-template", m)
            for m in plan.rollout_config_maps()
        ]
        control = plan.controller
        account = k8s.core.v1.ServiceAccount(
            "controller", metadata=control.service_account()["metadata"], opts=child
        )
        role = control.role()
        role_resource = k8s.rbac.v1.Role(
            "controller", metadata=role["metadata"], rules=role["rules"], opts=child
        )
        binding = control.role_binding()
        k8s.rbac.v1.RoleBinding(
            "controller",
            metadata=binding["metadata"],
            role_ref=binding["roleRef"],
            subjects=binding["subjects"],
            opts=self._opts(account, role_resource),
        )
        deployment = control.deployment()
        k8s.apps.v1.Deployment(
            "controller",
            metadata=deployment["metadata"],
            spec=self._filled(deployment["spec"]),
            opts=self._opts(*templates, account),
        )
        service = control.service()
        k8s.core.v1.Service(
            "controller",
            metadata={
                **service["metadata"],
                # No ready pod until the store's probe passed: do not make pulumi up wait.
                "annotations": {"pulumi.com/skipAwait": "true"},
            },
            spec=service["spec"],
            opts=child,
        )
        for schedule in plan.schedules:
            manifest = schedule.manifest()
            k8s.batch.v1.CronJob(
                f"{schedule.model}-training-schedule",
                metadata=manifest["metadata"],
                spec=manifest["spec"],
                opts=child,
            )
        for policy in plan.network_policies():
            k8s.networking.v1.NetworkPolicy(
                f"{policy['metadata']['name']}-network-policy",
                metadata=policy["metadata"],
                spec=policy["spec"],
                opts=child,
            )
        self.controller_name = pulumi.Output.from_input(control.name)
        self.webhook_url = pulumi.Output.from_input(webhook_url(control.name, control.namespace))
        self.job_templates = pulumi.Output.from_input({j.model: j.name for j in plan.jobs})
        self.register_outputs(
            {
                "controller_name": self.controller_name,
                "webhook_url": self.webhook_url,
                "job_templates": self.job_templates,
            }
        )

    def _opts(self, *waits: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=[*self._args.depends_on, *waits])

    def _filled(self, section: dict[str, Any]) -> Any:
        """``section``, or an Output of it with the placeholders filled in."""
        text = json.dumps(section)
        if not any(f"${{{name}}}" in text for name in PLACEHOLDERS):
            return section
        if self._args.refs is None:
            raise ValueError("the loop's manifests hold placeholders: LoopArgs.refs is required")
        return self._args.refs.render(text).apply(json.loads)

    def _config_map(self, name: str, manifest: dict[str, Any]) -> k8s.core.v1.ConfigMap:
        return k8s.core.v1.ConfigMap(
            name,
            metadata=manifest["metadata"],
            data=self._filled(manifest["data"]),
            opts=self._opts(),
        )
