"""Traffic routers (nginx, gateway_api, istio) for the real-time Rollout: the routed system of
``specs/routed.yaml`` plans with each, every manifest validates (kubernetes-validate --strict
at 1.29 and 1.37, the vendored CRDs strict, HTTPRoute and VirtualService from
``tests/k8s/vendor``), checkov finds no violation, the Rollout's steps carry the spec's
weights, and a missing router field is a located error (file:line, path, value, exit 1)."""

from __future__ import annotations

import copy
import dataclasses
import fcntl
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from mlops_spec.load import validate_file
from mlops_spec.plan.documents import render
from mlops_spec.plan.k8s import KubernetesPlan
from tests.k8s import crds, harness
from tests.k8s.checkov_scan import Finding, scan, scannable, violations

SPEC = Path(__file__).parent / "specs/routed.yaml"
WORKLOAD = "churnr-prod-churn-classifier"
CANARY = f"{WORKLOAD}-canary"
HOST = f"{WORKLOAD}.ml.example.com"
REFS = {"account": "123456789012", "key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k"}
BLOCKS: dict[str, dict[str, Any]] = {
    "nginx": {"ingress_class": "nginx", "domain": "ml.example.com", "tls_secret_name": "ml-tls"},
    "gateway_api": {
        "gateway": {"name": "public", "namespace": "gateways", "section_name": "https"},
        "domain": "ml.example.com",
    },
    "istio": {"gateways": ["istio-ingress/public"], "domain": "ml.example.com"},
}
ROUTERS = sorted(BLOCKS)
ROUTE_KIND = {"nginx": "Ingress", "gateway_api": "HTTPRoute", "istio": "VirtualService"}


def _data(router: str) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(SPEC.read_text())
    data["system"]["kubernetes"]["traffic_router"] = router
    if router in BLOCKS:
        data["system"]["kubernetes"][router] = copy.deepcopy(BLOCKS[router])
    return data


def _write(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "mlops.yaml"
    with path.open("w") as handle:
        YAML().dump(data, handle)
    return path


def _cluster(folder: Path, data: dict[str, Any]) -> KubernetesPlan:
    plan = validate_file(_write(folder, data), "prod").stacks["prod"].plan
    assert plan is not None and plan.kubernetes is not None
    return plan.kubernetes


def _objects(cluster: KubernetesPlan) -> dict[str, dict[str, Any]]:
    """The real-time model's objects by ``Kind/name``."""
    return {m.key: m.body for m in cluster.for_model(WORKLOAD)}


def _rendered(cluster: KubernetesPlan) -> list[dict[str, Any]]:
    return [json.loads(render(json.dumps(m.body), REFS)) for m in cluster.all_manifests]


@pytest.fixture(scope="module", params=ROUTERS)
def routed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    router = request.param
    return router, _cluster(tmp_path_factory.mktemp(router), _data(router))


def test_every_manifest_validates_strictly(routed: tuple[str, KubernetesPlan]) -> None:
    router, cluster = routed
    manifests = _rendered(cluster)
    kinds = {m["kind"] for m in manifests}
    assert ROUTE_KIND[router] in kinds
    assert harness.errors(manifests) == []


@pytest.mark.parametrize(
    ("kind", "path", "typo"),
    [
        ("HTTPRoute", ("spec", "rules", 0, "backendRefs", 0), "wieght"),
        ("VirtualService", ("spec", "http", 0, "route", 0), "wieght"),
    ],
)
def test_the_vendored_route_schemas_refuse_a_misspelled_field(
    tmp_path: Path, kind: str, path: tuple[str | int, ...], typo: str
) -> None:
    router = {"HTTPRoute": "gateway_api", "VirtualService": "istio"}[kind]
    (body,) = [m for m in _rendered(_cluster(tmp_path, _data(router))) if m["kind"] == kind]
    node: Any = body
    for part in path:
        node = node[part]
    node[typo] = node.pop("weight")
    assert crds.errors(body) and any(typo in e for e in crds.errors(body))


def test_the_rollout_steps_carry_the_spec_weights(routed: tuple[str, KubernetesPlan]) -> None:
    _, cluster = routed
    canary = _objects(cluster)[f"Rollout/{WORKLOAD}"]["spec"]["strategy"]["canary"]
    # specs/routed.yaml: canary, traffic_percent 25, bake 15, termination wait 5
    assert canary["steps"] == [
        {"setWeight": 25},
        {"pause": {"duration": "15m"}},
        {"setWeight": 100},
        {"pause": {"duration": "15m"}},
    ]
    assert (canary["stableService"], canary["canaryService"]) == (WORKLOAD, CANARY)
    assert canary["scaleDownDelaySeconds"] == 300


def test_a_linear_rollout_shifts_each_step_through_the_router(tmp_path: Path) -> None:
    data = _data("istio")
    data["models"]["churn-classifier"]["serving"]["rollout"] = {
        "strategy": "linear",
        "traffic_percent": 25,
        "bake_minutes": 0,
    }
    canary = _objects(_cluster(tmp_path, data))[f"Rollout/{WORKLOAD}"]["spec"]["strategy"]
    weights = [s["setWeight"] for s in canary["canary"]["steps"]]
    assert weights == [25, 50, 75, 100]


def _services_select_the_pods(objects: dict[str, dict[str, Any]]) -> None:
    pods = objects[f"Rollout/{WORKLOAD}"]["spec"]["template"]["metadata"]["labels"]
    for name in (WORKLOAD, CANARY, f"{WORKLOAD}-metrics"):
        selector = objects[f"Service/{name}"]["spec"]["selector"]
        assert selector.items() <= pods.items(), name


def test_nginx_routes_the_stable_ingress(tmp_path: Path) -> None:
    objects = _objects(_cluster(tmp_path, _data("nginx")))
    routing = objects[f"Rollout/{WORKLOAD}"]["spec"]["strategy"]["canary"]["trafficRouting"]
    assert routing == {"nginx": {"stableIngress": WORKLOAD}}
    ingress = objects[f"Ingress/{WORKLOAD}"]["spec"]
    assert ingress["ingressClassName"] == "nginx"
    (rule,) = ingress["rules"]
    (path,) = rule["http"]["paths"]
    assert (rule["host"], path["backend"]["service"]["name"]) == (HOST, WORKLOAD)
    assert ingress["tls"] == [{"hosts": [HOST], "secretName": "ml-tls"}]
    _services_select_the_pods(objects)


def test_gateway_api_splits_an_httproute_between_stable_and_canary(tmp_path: Path) -> None:
    objects = _objects(_cluster(tmp_path, _data("gateway_api")))
    routing = objects[f"Rollout/{WORKLOAD}"]["spec"]["strategy"]["canary"]["trafficRouting"]
    assert routing == {
        "plugins": {"argoproj-labs/gatewayAPI": {"httpRoute": WORKLOAD, "namespace": "churn-ml"}}
    }
    route = objects[f"HTTPRoute/{WORKLOAD}"]["spec"]
    assert route["parentRefs"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": "public",
            "namespace": "gateways",
            "sectionName": "https",
        }
    ]
    assert route["hostnames"] == [HOST]
    (rule,) = route["rules"]
    assert [(b["name"], b["port"], b["weight"]) for b in rule["backendRefs"]] == [
        (WORKLOAD, 80, 100),
        (CANARY, 80, 0),
    ]
    _services_select_the_pods(objects)


def test_istio_splits_the_host_between_two_services(tmp_path: Path) -> None:
    cluster = _cluster(tmp_path, _data("istio"))
    objects = _objects(cluster)
    routing = objects[f"Rollout/{WORKLOAD}"]["spec"]["strategy"]["canary"]["trafficRouting"]
    assert routing == {"istio": {"virtualService": {"name": WORKLOAD, "routes": ["primary"]}}}
    service = objects[f"VirtualService/{WORKLOAD}"]["spec"]
    assert service["hosts"] == [WORKLOAD, HOST]
    assert service["gateways"] == ["mesh", "istio-ingress/public"]
    (route,) = service["http"]
    assert route["name"] == "primary"
    assert [(d["destination"]["host"], d["weight"]) for d in route["route"]] == [
        (WORKLOAD, 100),
        (CANARY, 0),
    ]
    assert not [m for m in cluster.manifests if m.kind == "DestinationRule"]  # no subsets
    _services_select_the_pods(objects)


def test_istio_without_gateways_routes_in_the_mesh_only(tmp_path: Path) -> None:
    data = _data("istio")
    del data["system"]["kubernetes"]["istio"]
    service = _objects(_cluster(tmp_path, data))[f"VirtualService/{WORKLOAD}"]["spec"]
    assert service["hosts"] == [WORKLOAD] and "gateways" not in service


def test_prometheus_scrapes_both_sets_through_a_service_argo_leaves_alone(
    routed: tuple[str, KubernetesPlan],
) -> None:
    _, cluster = routed
    objects = _objects(cluster)
    selector = objects[f"ServiceMonitor/{WORKLOAD}"]["spec"]["selector"]["matchLabels"]
    scraped = [
        key
        for key, body in objects.items()
        if key.startswith("Service/") and selector.items() <= body["metadata"]["labels"].items()
    ]
    assert scraped == [f"Service/{WORKLOAD}-metrics"]
    ports = [p["name"] for p in objects[f"Service/{WORKLOAD}-metrics"]["spec"]["ports"]]
    assert ports == ["metrics"]
    for name in (WORKLOAD, CANARY):  # the Services Argo re-selects carry the requests only
        assert [p["port"] for p in objects[f"Service/{name}"]["spec"]["ports"]] == [80]


def test_the_plan_states_the_router_and_its_exact_weights(
    routed: tuple[str, KubernetesPlan],
) -> None:
    router, cluster = routed
    assert not [n for n in cluster.notes if "share of the pods" in n]
    (note,) = [n for n in cluster.notes if n.startswith("models.churn-classifier.serving.rollout")]
    assert f"traffic_router {router} gives the canary exactly 25% then 100%" in note
    assert [n for n in cluster.notes if n.startswith("system.kubernetes.traffic_router")]


def test_the_gateway_plugin_is_a_listed_prerequisite(tmp_path: Path) -> None:
    cluster = _cluster(tmp_path, _data("gateway_api"))
    (note,) = [n for n in cluster.notes if n.startswith("system.kubernetes.traffic_router")]
    assert "argoproj-labs/gatewayAPI to trafficRouterPlugins in the argo-rollouts-config" in note
    operators = {o.name: o.crds for o in cluster.operators}
    assert operators["Gateway API (a Gateway controller)"] == (
        "httproutes.gateway.networking.k8s.io",
    )


def test_without_a_router_the_plan_keeps_the_replica_share(tmp_path: Path) -> None:
    cluster = _cluster(tmp_path, _data("none"))
    objects = _objects(cluster)
    assert "trafficRouting" not in objects[f"Rollout/{WORKLOAD}"]["spec"]["strategy"]["canary"]
    assert f"Service/{CANARY}" not in objects
    assert [n for n in cluster.notes if "25% is 1 of 4 pods (25% of requests)" in n]


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> list[Finding]:
    """One checkov scan of the three routed plans (plus Deployment-shaped pod templates)."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    cache = shared / "checkov-router-findings.json"
    with (shared / "checkov-router-findings.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cache.exists():
            manifests = []
            for router in ROUTERS:
                cluster = _cluster(tmp_path_factory.mktemp(f"checkov-{router}"), _data(router))
                manifests += [m for m in _rendered(cluster) if router == ROUTERS[0] or _routed(m)]
            found = scan(scannable(manifests))
            cache.write_text(json.dumps([dataclasses.asdict(f) for f in found]))
    return [Finding(**item) for item in json.loads(cache.read_text())]


def _routed(manifest: dict[str, Any]) -> bool:
    """What differs between the routed plans: the route objects and the Services."""
    return manifest["kind"] in {"Ingress", "HTTPRoute", "VirtualService", "Service"}


def test_checkov_finds_no_policy_violation(findings: list[Finding]) -> None:
    assert violations(findings) == []
    assert any(f.resource.startswith("Ingress.") for f in findings)  # checkov read the route


def _validate(mlops_bin: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [mlops_bin, "validate", str(path), "--stack", "prod"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize("router", ["nginx", "gateway_api"])
def test_a_router_without_its_block_is_a_located_error(
    mlops_bin: str, tmp_path: Path, router: str
) -> None:
    data = _data(router)
    del data["system"]["kubernetes"][router]
    path = _write(tmp_path, data)
    result = _validate(mlops_bin, path)
    assert result.returncode == 1
    line = _line_of(path, "traffic_router:")
    assert f"{path}:{line}:" in result.stderr
    assert "spec.system.kubernetes.traffic_router" in result.stderr
    assert f"(got '{router}'" in result.stderr
    assert f"set system.kubernetes.{router} with" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("router", "drop", "message", "below"),
    [  # a missing key is located at its block's key, a rule across keys at the block's lines
        ("nginx", "ingress_class", "nginx.ingress_class: required key 'ingress_class'", 0),
        ("gateway_api", "gateway", "gateway_api.gateway: required key 'gateway'", 0),
        ("istio", "domain", "istio: gateways need a domain", 1),
    ],
)
def test_a_missing_router_field_is_a_located_error(
    mlops_bin: str, tmp_path: Path, router: str, drop: str, message: str, below: int
) -> None:
    data = _data(router)
    del data["system"]["kubernetes"][router][drop]
    path = _write(tmp_path, data)
    result = _validate(mlops_bin, path)
    assert result.returncode == 1
    assert f"{path}:{_line_of(path, f'{router}:') + below}:" in result.stderr
    assert f"spec.system.kubernetes.{message}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_another_routers_block_and_a_fractional_percent_are_refused(
    mlops_bin: str, tmp_path: Path
) -> None:
    data = _data("istio")
    data["system"]["kubernetes"]["nginx"] = copy.deepcopy(BLOCKS["nginx"])
    data["models"]["churn-classifier"]["serving"]["rollout"]["traffic_percent"] = 25.5
    path = _write(tmp_path, data)
    result = _validate(mlops_bin, path)
    assert result.returncode == 1
    assert f"{path}:{_line_of(path, 'nginx:') + 1}:" in result.stderr  # the block's line
    assert "spec.system.kubernetes.nginx: nginx configures traffic_router nginx" in result.stderr
    assert f"{path}:{_line_of(path, 'traffic_percent:')}:" in result.stderr
    assert "whole-percent weights" in result.stderr and "(got 25.5" in result.stderr


def test_the_vendored_crds_are_the_files_their_readme_lists() -> None:
    """The sha256 block of tests/k8s/vendor/README.md matches the files (nothing drifted)."""
    readme = (crds.VENDOR / "README.md").read_text()
    listed = dict(
        (name, digest)
        for digest, name in (line.split() for line in readme.split("```")[1].strip().splitlines())
    )
    files = sorted(p.name for p in crds.VENDOR.glob("*.yaml"))
    assert sorted(listed) == files
    for name in files:
        assert hashlib.sha256((crds.VENDOR / name).read_bytes()).hexdigest() == listed[name]
