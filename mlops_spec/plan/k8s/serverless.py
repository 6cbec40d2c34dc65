"""The serverless tier on Kubernetes: one model's Knative ``Service`` and what Prometheus reads.

| object | purpose |
|---|---|
| ``Service`` (Knative, ``serving.knative.dev/v1``) | the model pods, one request per pod at a time, scaled by Knative between min-scale and max-scale (0 when nothing is provisioned) |
| ``Service`` (core, ``<workload>-metrics``) | the proxy's ``metrics`` port for Prometheus (Knative routes one port only) |
| ``ServiceMonitor`` | Prometheus scrapes the proxy's ``/metrics`` |
| ``NetworkPolicy`` | other pods reach the queue-proxy's ports and the metrics port only |

The pod is the real-time tier's (``pod.py``): ``fetch-model`` puts the pinned package into
``/opt/ml/model``, the model serves under the SageMaker hosting contract on 8080, and
``mlops-proxy`` sits in front of it. Knative allows one port on one container of a service;
that is the proxy's (8081, named ``http1``), so every request passes through it and the
metrics and alerts are the real-time tier's series. Knative refuses ``lifecycle`` and
``terminationGracePeriodSeconds`` (its queue-proxy drains the pod) and a probe on any port but
the routed one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_runtime.contract.proxy import DEFAULT_METRICS_PORT, DEFAULT_PORT, ProxyConfig
from mlops_spec.models.kubernetes import KubernetesProfile
from mlops_spec.models.serving import ServerlessServing
from mlops_spec.plan.k8s import pod
from mlops_spec.plan.k8s.manifests import Manifest, metadata
from mlops_spec.plan.k8s.names import KubernetesNames
from mlops_spec.plan.k8s.operators import custom
from mlops_spec.plan.k8s.realtime import metrics_selector, metrics_service, service_monitor

KNATIVE = "serving.knative.dev/v1"
MIN_SCALE = "autoscaling.knative.dev/min-scale"
MAX_SCALE = "autoscaling.knative.dev/max-scale"
CLUSTER_LOCAL = {"networking.knative.dev/visibility": "cluster-local"}
"""Reached from inside the cluster only, as the real-time tier's ClusterIP Service."""
CONTAINER_CONCURRENCY = 1
"""One request per pod at a time: max-scale pods serve max_concurrency requests at once."""
TIMEOUT_SECONDS = 60
"""A request's deadline: SageMaker serverless invocations time out after 60 s."""
MIB_PER_CORE = 2048
"""The model container's CPU: one core per 2 GiB of memory (request = limit). SageMaker does
not publish its serverless ratio; this is our choice, documented in docs/kubernetes.md."""
FEATURES = (
    "kubernetes.podspec-init-containers",
    "kubernetes.podspec-securitycontext",
    "kubernetes.podspec-emptydir",
)
"""Knative ``config-features`` flags the pod needs (the fetch-model init container, the pod's
``fsGroup``/``seccompProfile``, the ``emptyDir`` volumes); the node pool's selector and
tolerations need ``kubernetes.podspec-nodeselector`` and ``kubernetes.podspec-tolerations``."""
UNSUPPORTED_POD_KEYS = ("terminationGracePeriodSeconds",)
"""Pod fields the Knative Service's schema does not have."""
QUEUE_PROXY_PORTS = (8012, 8013, 8112, 9090)
"""Ports of the queue-proxy Knative adds to each pod that other pods reach: requests from the
activator or the ingress (HTTP/1 8012, HTTP/2 8013, TLS 8112 with system-internal-tls) and
the autoscaler's scrape of its stats (9090); knative/serving ``pkg/networking/constants.go``.
Its admin port (8022) serves the pod's own preStop hook only, and 9091 (its user metrics) is
not scraped here."""


@dataclass(frozen=True)
class ServerlessInputs:
    """What one model's serverless objects are planned from."""

    model: str
    serving: ServerlessServing
    profile: KubernetesProfile
    names: KubernetesNames
    image: str
    package_arn: str
    proxy: ProxyConfig
    region: str


def plan_serverless(inputs: ServerlessInputs) -> tuple[Manifest, ...]:
    """Every object of one serverless model, the Knative Service first."""
    names, model = inputs.names, inputs.model
    return (
        _knative_service(inputs),
        metrics_service(names, model),
        service_monitor(names, model, inputs.profile, metrics_selector(names, model)),
        _network_policy(inputs),
    )


def features(profile: KubernetesProfile) -> tuple[str, ...]:
    """The ``config-features`` flags the stack's serverless pods need enabled."""
    pool = profile.node_pools.default
    extra = (
        *(("kubernetes.podspec-nodeselector",) if pool.node_selector else ()),
        *(("kubernetes.podspec-tolerations",) if pool.tolerations else ()),
    )
    return (*FEATURES, *extra)


def sizes(serving: ServerlessServing) -> pod.PodSizes:
    """The model container's requests (= limits) from the spec's memory size."""
    return pod.PodSizes(
        cpu=serving.memory_mb / MIB_PER_CORE, memory_gib=serving.memory_mb / 1024, gpu=0
    )


def scale_annotations(serving: ServerlessServing) -> dict[str, str]:
    """min-scale = provisioned concurrency (0: scale to zero), max-scale = max concurrency."""
    return {
        MIN_SCALE: str(serving.provisioned_concurrency or 0),
        MAX_SCALE: str(serving.max_concurrency),
    }


def _containers(inputs: ServerlessInputs) -> list[dict[str, Any]]:
    """The proxy (the routed container, first) and the model (no port, no lifecycle)."""
    proxy = pod.proxy_container(inputs.profile, inputs.proxy, inputs.region)
    proxy["ports"] = [{"name": "http1", "containerPort": DEFAULT_PORT, "protocol": "TCP"}]
    proxy["readinessProbe"] = {"httpGet": {"path": "/ping"}, "periodSeconds": 5}
    del proxy["livenessProbe"]  # a probe may only use the routed port; the queue-proxy watches
    model = pod.model_container(inputs.image, sizes(inputs.serving))
    for key in ("ports", "lifecycle"):
        del model[key]
    return [proxy, model]


def _knative_service(inputs: ServerlessInputs) -> Manifest:
    names, model, profile = inputs.names, inputs.model, inputs.profile
    template = pod.pod_template(
        {**names.labels(model, "model"), **names.selector(model)},
        profile,
        _containers(inputs),
        [pod.fetch_container(profile, inputs.package_arn, inputs.region)],
        profile.node_pools.default,
    )
    for key in UNSUPPORTED_POD_KEYS:
        del template["spec"][key]
    template["metadata"]["annotations"] = scale_annotations(inputs.serving)
    template["spec"]["containerConcurrency"] = CONTAINER_CONCURRENCY
    template["spec"]["timeoutSeconds"] = TIMEOUT_SECONDS
    labels = {**names.labels(model, "serverless"), **CLUSTER_LOCAL}
    body = {
        "apiVersion": KNATIVE,
        "kind": "Service",
        "metadata": metadata(names.workload(model), names.namespace, labels),
        "spec": {"template": template},
    }
    return custom(body)


def _network_policy(inputs: ServerlessInputs) -> Manifest:
    """Other pods reach the queue-proxy and the proxy's metrics, never the proxy's 8081 or
    the model's 8080 directly (which would bypass Knative's concurrency and the capture)."""
    names, model = inputs.names, inputs.model
    ports = [{"protocol": "TCP", "port": p} for p in (*QUEUE_PROXY_PORTS, DEFAULT_METRICS_PORT)]
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
