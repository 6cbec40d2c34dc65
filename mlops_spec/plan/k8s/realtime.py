"""The real-time tier on Kubernetes: one model's Rollout and what serves, scales and guards it.

| object | purpose |
|---|---|
| ``Rollout`` (Argo) | the model pods, rolled out with the spec's steps and rollback analysis |
| ``AnalysisTemplate`` (Argo) | "is any rollback alert firing?" (only with rollback monitors) |
| ``Service`` | the clients' port 80 -> the proxy; ``metrics`` for Prometheus |
| ``ScaledObject`` (KEDA) | requests per minute per pod, only when min < max |
| ``PodDisruptionBudget`` | a node drain takes one pod at a time |
| ``ServiceMonitor`` | Prometheus scrapes the proxy's ``/metrics`` |
| ``NetworkPolicy`` | other pods reach the proxy and metrics ports only, never the model's 8080 |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_runtime.contract.prometheus import MODEL_LABEL, REQUESTS
from mlops_runtime.contract.proxy import DEFAULT_METRICS_PORT, DEFAULT_PORT, ProxyConfig
from mlops_spec.models.kubernetes import KubernetesProfile
from mlops_spec.models.serving import RealtimeServing
from mlops_spec.plan.k8s import pod, rollout
from mlops_spec.plan.k8s.manifests import Manifest, metadata
from mlops_spec.plan.k8s.monitors import rollback_analysis_query
from mlops_spec.plan.k8s.names import KubernetesNames
from mlops_spec.plan.k8s.operators import custom

ROLLOUTS = "argoproj.io/v1alpha1"
SCRAPE_INTERVAL = "30s"


@dataclass(frozen=True)
class RealtimeInputs:
    """What one model's real-time objects are planned from."""

    model: str
    serving: RealtimeServing
    profile: KubernetesProfile
    names: KubernetesNames
    image: str
    package_arn: str
    proxy: ProxyConfig
    region: str
    rollback_monitors: bool
    """The model has rollback monitors and auto_rollback is on: the Rollout runs the analysis."""


def plan_realtime(inputs: RealtimeInputs) -> tuple[Manifest, ...]:
    """Every object of one real-time model, Rollout first."""
    names, model = inputs.names, inputs.model
    analysis = names.analysis(model) if inputs.rollback_monitors else None
    manifests = [_rollout(inputs, analysis)]
    if analysis:
        query = rollback_analysis_query(model, names.namespace)
        body = {
            "apiVersion": ROLLOUTS,
            "kind": "AnalysisTemplate",
            "metadata": metadata(analysis, names.namespace, names.labels(model, "rollback")),
            "spec": rollout.analysis_template(inputs.profile.prometheus.url, query),
        }
        manifests.append(custom(body))
    manifests += [_service(inputs), _budget(inputs), _monitor(inputs), _network_policy(inputs)]
    if inputs.serving.autoscaling.enabled:
        manifests.append(_scaler(inputs))
    return tuple(manifests)


def _sizes(serving: RealtimeServing) -> pod.PodSizes:
    return pod.PodSizes(
        cpu=serving.cpu if serving.cpu is not None else 1.0,
        memory_gib=serving.memory_gib if serving.memory_gib is not None else 2.0,
        gpu=serving.gpu,
    )


def _rollout(inputs: RealtimeInputs, analysis: str | None) -> Manifest:
    names, model, profile = inputs.names, inputs.model, inputs.profile
    pool = profile.node_pools.gpu if inputs.serving.gpu else profile.node_pools.default
    assert pool is not None  # a GPU model without a GPU pool is refused at load time
    template = pod.pod_template(
        {**names.labels(model, "model"), **names.selector(model)},
        profile,
        [
            pod.model_container(inputs.image, _sizes(inputs.serving)),
            pod.proxy_container(profile, inputs.proxy, inputs.region),
        ],
        [pod.fetch_container(profile, inputs.package_arn, inputs.region)],
        pool,
    )
    scaling = inputs.serving.autoscaling
    replicas = None if scaling.enabled else scaling.min_instances
    strategy = rollout.canary_strategy(inputs.serving.rollout, analysis)
    body = {
        "apiVersion": ROLLOUTS,
        "kind": "Rollout",
        "metadata": metadata(names.workload(model), names.namespace, names.labels(model, "model")),
        "spec": rollout.rollout_spec(template, names.selector(model), strategy, replicas),
    }
    return custom(body)


def _service(inputs: RealtimeInputs) -> Manifest:
    names, model = inputs.names, inputs.model
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(
            names.workload(model),
            names.namespace,
            names.labels(model, "model"),
            annotations={"pulumi.com/skipAwait": "true"},
        ),
        "spec": {
            "type": "ClusterIP",
            "selector": names.selector(model),
            "ports": [
                {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"},
                {
                    "name": "metrics",
                    "port": DEFAULT_METRICS_PORT,
                    "targetPort": "metrics",
                    "protocol": "TCP",
                },
            ],
        },
    }
    return Manifest.of(body, skip_await=True)


def _budget(inputs: RealtimeInputs) -> Manifest:
    """maxUnavailable 1: a drain moves one pod at a time, and a single pod can still move."""
    names, model = inputs.names, inputs.model
    body = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(names.workload(model), names.namespace, names.labels(model, "model")),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": names.selector(model)}},
    }
    return Manifest.of(body)


def _monitor(inputs: RealtimeInputs) -> Manifest:
    names, model = inputs.names, inputs.model
    labels = {**names.labels(model, "model"), **inputs.profile.prometheus.monitor_selector_labels}
    body = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": metadata(names.workload(model), names.namespace, labels),
        "spec": {
            "selector": {"matchLabels": names.selector(model)},
            "endpoints": [{"port": "metrics", "path": "/metrics", "interval": SCRAPE_INTERVAL}],
        },
    }
    return custom(body)


def _network_policy(inputs: RealtimeInputs) -> Manifest:
    names, model = inputs.names, inputs.model
    ports = [{"protocol": "TCP", "port": p} for p in (DEFAULT_PORT, DEFAULT_METRICS_PORT)]
    body = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(names.workload(model), names.namespace, names.labels(model, "model")),
        "spec": {
            "podSelector": {"matchLabels": names.selector(model)},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": ports}],
        },
    }
    return Manifest.of(body)


def requests_per_minute(namespace: str, model: str) -> str:
    """PromQL: the model's invocations per minute over all its pods (the proxy's counter)."""
    selector = f'namespace="{namespace}",{MODEL_LABEL}="{model}"'
    return f"sum(rate({REQUESTS}{{{selector}}}[2m])) * 60"


def _scaler(inputs: RealtimeInputs) -> Manifest:
    """KEDA: AverageValue keeps requests per minute per pod at the spec's target."""
    names, model, scaling = inputs.names, inputs.model, inputs.serving.autoscaling
    behavior = {
        "scaleDown": {"stabilizationWindowSeconds": scaling.scale_in_cooldown_seconds},
        "scaleUp": {"stabilizationWindowSeconds": scaling.scale_out_cooldown_seconds},
    }
    trigger: dict[str, Any] = {
        "type": "prometheus",
        "metricType": "AverageValue",
        "metadata": {
            "serverAddress": inputs.profile.prometheus.url,
            "query": requests_per_minute(names.namespace, model),
            "threshold": str(scaling.target_invocations_per_instance),
        },
    }
    body = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": metadata(names.workload(model), names.namespace, names.labels(model, "model")),
        "spec": {
            "scaleTargetRef": {
                "apiVersion": ROLLOUTS,
                "kind": "Rollout",
                "name": names.workload(model),
            },
            "minReplicaCount": scaling.min_instances,
            "maxReplicaCount": scaling.max_instances,
            "cooldownPeriod": scaling.scale_in_cooldown_seconds,
            "advanced": {"horizontalPodAutoscalerConfig": {"behavior": behavior}},
            "triggers": [trigger],
        },
    }
    return custom(body)
