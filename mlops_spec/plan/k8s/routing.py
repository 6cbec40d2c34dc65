"""Traffic routers of the real-time tier: the canary gets exactly each step's share of requests.

Without a router Argo Rollouts sets a weight by scaling pods (``rollout.effective_share``).
With one, the Rollout names a stable and a canary Service and a route object, and Argo sets
the route's weights at every step (argo-rollouts ``docs/features/traffic-management``):

| router | route object (``<workload>``) | Rollout ``strategy.canary.trafficRouting`` |
|---|---|---|
| ``nginx`` | ``Ingress`` -> the stable Service at ``<workload>.<domain>`` | ``nginx.stableIngress``; Argo creates ``<workload>-<workload>-canary`` with ``canary-weight`` |
| ``gateway_api`` | ``HTTPRoute``: stable weight 100, canary 0 | ``plugins["argoproj-labs/gatewayAPI"]`` (``httpRoute``, ``namespace``) |
| ``istio`` | ``VirtualService`` route ``primary``: host stable 100, host canary 0 | ``istio.virtualService`` (``name``, ``routes``); no DestinationRule |

Every router adds the Services ``<workload>`` (stable) and ``<workload>-canary`` on port 80,
whose selectors Argo pins to each set's pod-template hash, and ``<workload>-metrics``, which
Argo never touches, so Prometheus scrapes both sets (the canary's series reach the rollback
analysis). Argo keeps the old set ``termination_wait_minutes`` after the promotion
(``scaleDownDelaySeconds``), as SageMaker keeps the blue fleet.
"""

from __future__ import annotations

from typing import Any

from mlops_spec.enums import RolloutStrategy
from mlops_spec.models.kubernetes import KubernetesProfile
from mlops_spec.models.serving import Rollout
from mlops_spec.plan.k8s import rollout as steps
from mlops_spec.plan.k8s.manifests import Manifest, metadata
from mlops_spec.plan.k8s.names import KubernetesNames, checked
from mlops_spec.plan.k8s.operators import custom

GATEWAY_PLUGIN = "argoproj-labs/gatewayAPI"
"""The plugin's name in Argo Rollouts' ``trafficRouterPlugins`` (argo-rollouts-config)."""
ISTIO_ROUTE = "primary"
"""The VirtualService's one HTTP route, which Argo shifts."""
HTTP_PORT = 80
SKIP_AWAIT = {"pulumi.com/skipAwait": "true"}


def routed(profile: KubernetesProfile) -> bool:
    """Whether a router sets the canary's share (else the share of pods does)."""
    return profile.traffic_router != "none"


def canary_name(names: KubernetesNames, model: str) -> str:
    """The canary Service (the stable one is the workload's name)."""
    return checked(f"{names.workload(model)}-canary", ("models", model))


def host(profile: KubernetesProfile, names: KubernetesNames, model: str) -> str | None:
    """``<workload>.<domain>``: where clients reach the model through the router (None: only
    in the mesh, by the stable Service's name)."""
    block = getattr(profile, profile.traffic_router, None)
    domain = getattr(block, "domain", None)
    return f"{names.workload(model)}.{domain}" if domain else None


def canary_fields(
    profile: KubernetesProfile, names: KubernetesNames, model: str, rollout: Rollout
) -> dict[str, Any]:
    """What a router adds to the Rollout's ``strategy.canary``."""
    workload = names.workload(model)
    router = profile.traffic_router
    routing: dict[str, Any]
    if router == "nginx":
        routing = {"nginx": {"stableIngress": workload}}
    elif router == "gateway_api":
        route = {"httpRoute": workload, "namespace": names.namespace}
        routing = {"plugins": {GATEWAY_PLUGIN: route}}
    else:
        routing = {"istio": {"virtualService": {"name": workload, "routes": [ISTIO_ROUTE]}}}
    return {
        "canaryService": canary_name(names, model),
        "stableService": workload,
        "trafficRouting": routing,
        "scaleDownDelaySeconds": rollout.termination_wait_minutes * 60,
    }


def plan_routes(
    profile: KubernetesProfile, names: KubernetesNames, model: str
) -> tuple[Manifest, ...]:
    """The stable and canary Services and the router's route object."""
    services = (
        _service(names, model, names.workload(model), "stable"),
        _service(names, model, canary_name(names, model), "canary"),
    )
    route = {"nginx": _ingress, "gateway_api": _http_route, "istio": _virtual_service}
    return (*services, route[profile.traffic_router](profile, names, model))


def _service(names: KubernetesNames, model: str, name: str, role: str) -> Manifest:
    """Port 80 -> the proxy; Argo adds ``rollouts-pod-template-hash`` to the selector."""
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(
            name, names.namespace, names.labels(model, role), annotations=dict(SKIP_AWAIT)
        ),
        "spec": {
            "type": "ClusterIP",
            "selector": names.selector(model),
            "ports": [{"name": "http", "port": HTTP_PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }
    return Manifest.of(body, skip_await=True)


def _ingress(profile: KubernetesProfile, names: KubernetesNames, model: str) -> Manifest:
    block = profile.nginx
    assert block is not None  # refused at load time (checks_k8s)
    workload, hostname = names.workload(model), host(profile, names, model)
    backend = {"service": {"name": workload, "port": {"name": "http"}}}
    spec: dict[str, Any] = {
        "ingressClassName": block.ingress_class,
        "rules": [
            {
                "host": hostname,
                "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
            }
        ],
    }
    if block.tls_secret_name:
        spec["tls"] = [{"hosts": [hostname], "secretName": block.tls_secret_name}]
    body = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata(workload, names.namespace, names.labels(model, "route")),
        "spec": spec,
    }
    return Manifest.of(body)


def _http_route(profile: KubernetesProfile, names: KubernetesNames, model: str) -> Manifest:
    block = profile.gateway_api
    assert block is not None  # refused at load time (checks_k8s)
    gateway = block.gateway
    parent = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway.name}
    if gateway.namespace:
        parent["namespace"] = gateway.namespace
    if gateway.section_name:
        parent["sectionName"] = gateway.section_name
    backends = [
        {"group": "", "kind": "Service", "name": name, "port": HTTP_PORT, "weight": weight}
        for name, weight in ((names.workload(model), 100), (canary_name(names, model), 0))
    ]
    body = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": metadata(names.workload(model), names.namespace, names.labels(model, "route")),
        "spec": {
            "parentRefs": [parent],
            "hostnames": [host(profile, names, model)],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": backends,
                }
            ],
        },
    }
    return custom(body)


def _virtual_service(profile: KubernetesProfile, names: KubernetesNames, model: str) -> Manifest:
    """A host-level split: the stable and the canary Service as the two destinations."""
    workload = names.workload(model)
    spec: dict[str, Any] = {"hosts": [workload]}
    gateways = profile.istio.gateways if profile.istio else []
    if gateways:
        spec["hosts"].append(host(profile, names, model))
        spec["gateways"] = ["mesh", *gateways]  # mesh: in-mesh clients are split too
    destinations = ((workload, 100), (canary_name(names, model), 0))
    spec["http"] = [
        {
            "name": ISTIO_ROUTE,
            "route": [
                {"destination": {"host": name, "port": {"number": HTTP_PORT}}, "weight": weight}
                for name, weight in destinations
            ],
        }
    ]
    body = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": metadata(workload, names.namespace, names.labels(model, "route")),
        "spec": spec,
    }
    return custom(body)


def prerequisite(profile: KubernetesProfile) -> str | None:
    """What the cluster must provide for the stack's router (None: no router)."""
    router = profile.traffic_router
    where = "system.kubernetes.traffic_router"
    if router == "nginx":
        assert profile.nginx is not None
        return (
            f"{where}: nginx needs the ingress-nginx controller of IngressClass "
            f"{profile.nginx.ingress_class} (Argo Rollouts' nginx router writes its canary "
            "annotations) and DNS for each model's host"
        )
    if router == "gateway_api":
        return (
            f"{where}: gateway_api needs Argo Rollouts' Gateway API plugin: add "
            f"{GATEWAY_PLUGIN} to trafficRouterPlugins in the argo-rollouts-config ConfigMap "
            "(namespace argo-rollouts), and let Argo's service account get, list, update and "
            "patch httproutes; the Gateway must allow routes from this namespace"
        )
    if router == "istio":
        return (
            f"{where}: istio needs Istio's control plane; clients are split by their own "
            "sidecar or by the gateways, so they must call the model's host through the mesh"
        )
    return None


def weights_note(
    model_id: str, rollout: Rollout, profile: KubernetesProfile, names: KubernetesNames
) -> str | None:
    """The exact shares a routed canary gets, step by step (None: all at once)."""
    if rollout.strategy is RolloutStrategy.ALL_AT_ONCE:
        return None
    shares = " then ".join(f"{w['setWeight']}%" for w in steps.steps(rollout) if "setWeight" in w)
    where = host(profile, names, model_id) or f"the Service {names.workload(model_id)}"
    return (
        f"models.{model_id}.serving.rollout: traffic_router {profile.traffic_router} gives the "
        f"canary exactly {shares} of the requests sent to {where}; requests that do not "
        "pass through the router reach the stable pods only"
    )
