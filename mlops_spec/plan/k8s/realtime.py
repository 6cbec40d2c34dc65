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

With a traffic router (``routing.py``) the ``Service`` is the stable one, a canary ``Service``
and the router's route object join it, and Prometheus scrapes a ``<workload>-metrics``
Service instead (Argo pins the stable and canary Services to one set of pods each).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_runtime.contract.prometheus import MODEL_LABEL, REQUESTS
from mlops_runtime.contract.proxy import DEFAULT_METRICS_PORT, DEFAULT_PORT, ProxyConfig
from mlops_spec.models.kubernetes import KubernetesProfile
from mlops_spec.models.serving import RealtimeServing
from mlops_spec.plan.k8s import pod, rollout, routing
from mlops_spec.plan.k8s.manifests import Manifest, metadata
from mlops_spec.plan.k8s.monitors import rollback_analysis_query
from mlops_spec.plan.k8s.names import KubernetesNames, checked
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
    names, profile = inputs.names, inputs.profile
    if routing.routed(profile):
        manifests += routing.plan_routes(profile, names, model)
        manifests.append(metrics_service(names, model))
    else:
        manifests.append(_service(inputs))
    manifests += [_budget(inputs), _monitor(inputs), _network_policy(inputs)]
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
    if routing.routed(profile):
        strategy.update(routing.canary_fields(profile, names, model, inputs.serving.rollout))
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
    names, model, profile = inputs.names, inputs.model, inputs.profile
    selector = metrics_selector(names, model) if routing.routed(profile) else None
    return service_monitor(names, model, profile, selector)


def service_monitor(
    names: KubernetesNames,
    model: str,
    profile: KubernetesProfile,
    selector: dict[str, str] | None = None,
) -> Manifest:
    """Prometheus scrapes the proxies' ``/metrics`` through the Service ``selector`` picks
    (default: the model's Service)."""
    labels = {**names.labels(model, "model"), **profile.prometheus.monitor_selector_labels}
    body = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": metadata(names.workload(model), names.namespace, labels),
        "spec": {
            "selector": {"matchLabels": selector or names.selector(model)},
            "endpoints": [{"port": "metrics", "path": "/metrics", "interval": SCRAPE_INTERVAL}],
        },
    }
    return custom(body)


def metrics_name(names: KubernetesNames, model: str) -> str:
    """The core Service in front of the proxies' metrics port."""
    return checked(f"{names.workload(model)}-metrics", ("models", model))


def metrics_selector(names: KubernetesNames, model: str) -> dict[str, str]:
    """The ServiceMonitor's selector of the metrics Service (never the model's others)."""
    return {**names.selector(model), "app.kubernetes.io/component": "metrics"}


def metrics_service(names: KubernetesNames, model: str) -> Manifest:
    """The proxies' metrics port over every pod of the model (no one re-selects it)."""
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(
            metrics_name(names, model),
            names.namespace,
            names.labels(model, "metrics"),
            annotations={"pulumi.com/skipAwait": "true"},
        ),
        "spec": {
            "type": "ClusterIP",
            "selector": names.selector(model),
            "ports": [
                {
                    "name": "metrics",
                    "port": DEFAULT_METRICS_PORT,
                    "targetPort": DEFAULT_METRICS_PORT,
                    "protocol": "TCP",
                }
            ],
        },
    }
    return Manifest.of(body, skip_await=True)


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
