"""The loop controller on Kubernetes (issue 13): its Deployment, Service, ServiceAccount and
the namespaced Role granting exactly what it calls.

One replica with the ``Recreate`` strategy (two controllers would only contend on the object
store's conditional writes, but one is what the design promises), the runtime image running
``python -m mlops_runtime.k8s`` as a non-root user on a read-only root filesystem, its
``ControllerConfig`` in ``MLOPS_RUNTIME_CONFIG``. The Service carries Alertmanager's webhook
(``/alerts``) and the schedule CronJobs' calls (``/schedule``).

The Role lists the controller's calls and nothing else (no ClusterRole, no wildcard): ``get``
of its template ConfigMaps (by name), ``create`` of Jobs, ``get`` / ``patch`` of its Rollouts
(by name) and ``create`` of Rollouts (RBAC cannot limit ``create`` by name). It reads no Pods:
a Rollout's status says what its pods serve.

Its NetworkPolicy admits ingress on the http port only, from the schedule CronJobs' pods of
its namespace and from Alertmanager. The profile does not say where Alertmanager runs (nor
which labels its pods carry: they depend on how it was installed), so the port is open to
the pods of every namespace; every other port, and every source outside the pod network
but the node, is closed. Egress stays open (the object store, the API server).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from mlops_runtime.contract.config import ENV_VAR
from mlops_runtime.contract.controller import DEFAULT_PORT, ControllerConfig
from mlops_spec.plan.k8s.monitors import check_name
from mlops_spec.plan.k8s.training import (
    MANAGED_BY,
    RUN_AS_USER,
    ScheduleCronJobPlan,
    TrainingJobPlan,
    hardened,
)

ROLLOUT_TEMPLATE_KEY = "rollout.json"
"""The key ``mlops_runtime.k8s.rollouts`` reads a Rollout template from."""
CONTAINER = "controller"
MODULE = "mlops_runtime.k8s"
RESOURCES = {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}}


def webhook_url(name: str, namespace: str) -> str:
    """Alertmanager's webhook receiver URL for ``retrain`` alerts."""
    return f"http://{name}.{namespace}.svc:{DEFAULT_PORT}/alerts"


def schedule_url(name: str, namespace: str) -> str:
    """What a schedule CronJob calls."""
    return f"http://{name}.{namespace}.svc:{DEFAULT_PORT}/schedule"


def role_rules(config: ControllerConfig) -> list[dict[str, Any]]:
    """Exactly the controller's calls (``mlops_runtime.k8s.jobs`` and ``rollouts``)."""
    templates = sorted({m.job_template for m in config.models.values()})
    templates += sorted({m.rollout_template for m in config.models.values() if m.rollout_template})
    rollouts = sorted({m.rollout for m in config.models.values() if m.rollout})
    rules: list[dict[str, Any]] = [
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "verbs": ["get"],
            "resourceNames": templates,
        },
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create"]},
    ]
    if rollouts:
        rules += [
            {
                "apiGroups": ["argoproj.io"],
                "resources": ["rollouts"],
                "verbs": ["get", "patch"],
                "resourceNames": rollouts,
            },
            {"apiGroups": ["argoproj.io"], "resources": ["rollouts"], "verbs": ["create"]},
        ]
    return rules


@dataclass(frozen=True)
class ControllerPlan:
    """The controller and its RBAC in the stack's namespace."""

    name: str
    config_json: str
    """The ``ControllerConfig`` as JSON (the plan stays plain frozen data): ``config``."""
    runtime_image: str
    env: tuple[tuple[str, str], ...] = ()
    credentials_secret: str | None = None
    """Secret with ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` of an S3-compatible store."""
    service_account_annotations: tuple[tuple[str, str], ...] = ()
    """E.g. ``eks.amazonaws.com/role-arn`` (IRSA) for an s3 store."""

    @cached_property
    def config(self) -> ControllerConfig:
        """Parsed once per plan: the manifests read it a dozen times."""
        return ControllerConfig.from_json(self.config_json)

    @property
    def namespace(self) -> str:
        return self.config.namespace

    def manifests(self) -> list[dict[str, Any]]:
        return [
            self.service_account(),
            self.role(),
            self.role_binding(),
            self.deployment(),
            self.service(),
        ]

    def network_policy(self, schedules: tuple[ScheduleCronJobPlan, ...]) -> dict[str, Any]:
        """Ingress on the http port only: from ``schedules``' pods (this namespace) and from
        Alertmanager, whose namespace the profile does not give: any namespace's pods."""
        peers: list[dict[str, Any]] = [
            {"podSelector": {"matchLabels": s.selector()}} for s in schedules
        ]
        peers.append({"namespaceSelector": {}})  # Alertmanager, wherever it runs
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": self._meta(),
            "spec": {
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": self.name}},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": peers, "ports": [{"protocol": "TCP", "port": "http"}]}],
            },
        }

    def _meta(self, **extra: Any) -> dict[str, Any]:
        labels = {**MANAGED_BY, "app.kubernetes.io/name": self.name}
        return {"name": self.name, "namespace": self.namespace, "labels": labels, **extra}

    def service_account(self) -> dict[str, Any]:
        meta = self._meta()
        if self.service_account_annotations:
            meta["annotations"] = dict(self.service_account_annotations)
        return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}

    def role(self) -> dict[str, Any]:
        return {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": self._meta(),
            "rules": role_rules(self.config),
        }

    def role_binding(self) -> dict[str, Any]:
        return {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": self._meta(),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": self.name},
            "subjects": [
                {"kind": "ServiceAccount", "name": self.name, "namespace": self.namespace}
            ],
        }

    def deployment(self) -> dict[str, Any]:
        selector = {"app.kubernetes.io/name": self.name}
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": self._meta(),
            "spec": {
                "replicas": 1,
                "strategy": {"type": "Recreate"},
                "selector": {"matchLabels": selector},
                "template": {
                    "metadata": {"labels": {**MANAGED_BY, **selector}},
                    "spec": self._pod(),
                },
            },
        }

    def service(self) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self._meta(),
            "spec": {
                "selector": {"app.kubernetes.io/name": self.name},
                "ports": [{"name": "http", "port": DEFAULT_PORT, "targetPort": "http"}],
            },
        }

    def _pod(self) -> dict[str, Any]:
        probe = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10}
        container: dict[str, Any] = {
            "name": CONTAINER,
            "image": self.runtime_image,
            "args": [MODULE],
            "env": [
                {"name": ENV_VAR, "value": self.config_json},
                *({"name": k, "value": v} for k, v in self.env),
            ],
            "ports": [{"name": "http", "containerPort": self.config.port}],
            "readinessProbe": probe,
            "livenessProbe": {**probe, "failureThreshold": 6},
            "resources": RESOURCES,
            "securityContext": hardened(),
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }
        if self.credentials_secret:
            container["envFrom"] = [{"secretRef": {"name": self.credentials_secret}}]
        return {
            "serviceAccountName": self.name,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": RUN_AS_USER,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [container],
            "volumes": [{"name": "tmp", "emptyDir": {}}],
        }


def controller(
    name: str, config: ControllerConfig, runtime_image: str, **extra: Any
) -> ControllerPlan:
    """The controller plan; ``name``: a Kubernetes name (PlanError when too long)."""
    name = check_name(name, "controller name")
    return ControllerPlan(name, config.to_json(), runtime_image, **extra)


@dataclass(frozen=True)
class LoopPlan:
    """The retraining loop of one stack on its cluster (``mlops_components.k8s.loop``)."""

    controller: ControllerPlan
    jobs: tuple[TrainingJobPlan, ...] = ()
    """Each model's training Job template (registered as its ConfigMap)."""
    schedules: tuple[ScheduleCronJobPlan, ...] = ()
    rollout_templates: tuple[tuple[str, str], ...] = ()
    """(ConfigMap name, Rollout manifest as JSON; a dict is converted): the ``latest_approved``
    Rollouts the controller creates on the first approved version (Pulumi creates only their
    template)."""
    service_accounts: tuple[str, ...] = ()
    """ServiceAccounts of the training Jobs' pods (no token mounted: they call no Kubernetes
    API; bound to a cloud role or given the store's Secret)."""

    def __post_init__(self) -> None:
        texts = tuple(
            (name, body if isinstance(body, str) else json.dumps(body, sort_keys=True))
            for name, body in self.rollout_templates
        )
        object.__setattr__(self, "rollout_templates", texts)

    def rollouts(self) -> list[tuple[str, dict[str, Any]]]:
        """(ConfigMap name, Rollout manifest) of every ``latest_approved`` model."""
        return [(name, json.loads(text)) for name, text in self.rollout_templates]

    def service_account_manifests(self) -> list[dict[str, Any]]:
        return [
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {
                    "name": name,
                    "namespace": self.controller.namespace,
                    "labels": dict(MANAGED_BY),
                },
                "automountServiceAccountToken": False,
            }
            for name in self.service_accounts
        ]

    def rollout_config_maps(self) -> list[dict[str, Any]]:
        return [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": name,
                    "namespace": self.controller.namespace,
                    "labels": dict(MANAGED_BY),
                },
                "data": {ROLLOUT_TEMPLATE_KEY: text},
            }
            for name, text in self.rollout_templates
        ]

    def manifests(self) -> list[dict[str, Any]]:
        """Every object Pulumi creates for the loop, in creation order."""
        return [
            *self.service_account_manifests(),
            *(job.config_map() for job in self.jobs),
            *self.rollout_config_maps(),
            *self.controller.manifests(),
            *(schedule.manifest() for schedule in self.schedules),
            *self.network_policies(),
        ]

    def network_policies(self) -> list[dict[str, Any]]:
        """The controller's, and one per training Job template (no ingress to a run)."""
        return [
            self.controller.network_policy(self.schedules),
            *(job.network_policy() for job in self.jobs),
        ]
