"""The routed plans through the Cluster component under the recording mocks: the Ingress as a
typed ``networking.k8s.io/v1`` object, the HTTPRoute and VirtualService as custom resources
that wait for their CRD's read, each as the engine would receive it, validated like the plan."""

from __future__ import annotations

from typing import Any

import pytest

from mlops_components.k8s.cluster import Cluster, ClusterArgs
from mlops_spec.load import validate_file
from tests.components.unit import Template, build
from tests.k8s import harness
from tests.k8s.manifests import clean
from tests.k8s.test_routers import ROUTE_KIND, WORKLOAD, _data, _write

TYPES = {
    "nginx": "kubernetes:networking.k8s.io/v1:Ingress",
    "gateway_api": "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
    "istio": "kubernetes:networking.istio.io/v1:VirtualService",
}
CRDS = {
    "gateway_api": "httproutes.gateway.networking.k8s.io",
    "istio": "virtualservices.networking.istio.io",
}


@pytest.fixture(scope="module", params=sorted(TYPES))
def routed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    router = request.param
    path = _write(tmp_path_factory.mktemp(router), _data(router))
    plan = validate_file(path, "prod").stacks["prod"].plan
    assert plan is not None and plan.kubernetes is not None
    cluster = plan.kubernetes
    return router, build(plan, lambda ctx: Cluster("cluster", ClusterArgs(cluster, ctx.refs)))


def _route(router: str, template: Template) -> Any:
    (route,) = [r for r in template.document.resources if r.type == TYPES[router]]
    return route


def test_the_route_is_registered_as_its_kind(routed: tuple[str, Template]) -> None:
    router, template = routed
    route = _route(router, template)
    assert route.name == f"{ROUTE_KIND[router].lower()}-{WORKLOAD}"
    body = dict(route.inputs)
    if router == "nginx":  # a typed class: the type token carries the kind
        body = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", **body}
    assert body["metadata"]["name"] == WORKLOAD
    assert harness.errors([clean(body)]) == []


def test_a_custom_route_waits_for_its_crd(routed: tuple[str, Template]) -> None:
    router, template = routed
    reads = [urn for urn in _route(router, template).depends_on if "::crd-" in urn]
    expected = [CRDS[router]] if router in CRDS else []  # the Ingress is built in: no read
    assert [urn.rsplit("::crd-", 1)[1] for urn in reads] == expected
