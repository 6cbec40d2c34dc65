"""The serverless tier on Kubernetes: the example's ``retention-offer`` as a Knative Service
(validated against the vendored CRD with the rest in test_serving_plan), its sizes and scale
bounds from the spec, the proxy in front, and what stays refused."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from mlops_runtime.contract.config import ENV_VAR
from mlops_runtime.contract.proxy import ProxyConfig
from mlops_spec.errors import SpecError
from mlops_spec.load import validate_file
from mlops_spec.plan.k8s import KubernetesPlan
from tests.conftest import ROOT
from tests.k8s import harness

SPEC = ROOT / "examples/churn-k8s/mlops.yaml"
MODEL = "retention-offer"


def _data() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(SPEC.read_text())
    return data


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "mlops.yaml"
    with path.open("w") as handle:
        YAML().dump(data, handle)
    return path


def _cluster(stack: str, path: Path = SPEC) -> KubernetesPlan:
    plan = validate_file(path, stack).stacks[stack].plan
    assert plan is not None and plan.kubernetes is not None
    return plan.kubernetes


def _objects(cluster: KubernetesPlan) -> dict[tuple[str, str], dict[str, Any]]:
    """The serverless model's objects by (apiVersion, kind)."""
    found = {}
    for manifest in cluster.manifests:
        labels = manifest.body["metadata"]["labels"]
        if labels.get("app.kubernetes.io/name", "").endswith(MODEL):
            key = (manifest.api_version, manifest.kind)
            assert key not in found, key
            found[key] = manifest.body
    return found


def _knative(cluster: KubernetesPlan) -> dict[str, Any]:
    return _objects(cluster)[("serving.knative.dev/v1", "Service")]


def test_a_serverless_model_is_a_knative_service_a_metrics_service_and_a_monitor() -> None:
    objects = _objects(_cluster("prod"))
    assert sorted(objects) == [
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("serving.knative.dev/v1", "Service"),
        ("v1", "Service"),
    ]
    knative = objects[("serving.knative.dev/v1", "Service")]
    assert knative["metadata"]["name"] == "churnk-prod-retention-offer"
    assert knative["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"
    assert harness.errors([copy.deepcopy(o) for o in objects.values()]) == []


@pytest.mark.parametrize(("stack", "min_scale"), [("prod", "1"), ("dev", "0")])
def test_scale_bounds_and_concurrency_come_from_the_spec(stack: str, min_scale: str) -> None:
    template = _knative(_cluster(stack))["spec"]["template"]
    assert template["metadata"]["annotations"] == {
        "autoscaling.knative.dev/min-scale": min_scale,  # provisioned concurrency, 0 if unset
        "autoscaling.knative.dev/max-scale": "10",  # max_concurrency
    }
    assert template["spec"]["containerConcurrency"] == 1


@pytest.mark.parametrize(
    ("memory_mb", "expected"),
    [
        (2048, {"cpu": "1", "memory": "2Gi"}),
        (1024, {"cpu": "500m", "memory": "1Gi"}),
        (6144, {"cpu": "3", "memory": "6Gi"}),
    ],
)
def test_memory_request_equals_limit(
    tmp_path: Path, memory_mb: int, expected: dict[str, str]
) -> None:
    data = _data()
    data["models"][MODEL]["serving"]["memory_mb"] = memory_mb
    template = _knative(_cluster("prod", _write(tmp_path, data)))["spec"]["template"]
    model = next(c for c in template["spec"]["containers"] if c["name"] == "model")
    assert model["resources"] == {"requests": expected, "limits": expected}


def test_the_proxy_is_the_one_routed_container_in_front_of_the_model() -> None:
    spec = _knative(_cluster("prod"))["spec"]["template"]["spec"]
    proxy, model = spec["containers"]
    assert [c["name"] for c in spec["containers"] if "ports" in c] == ["mlops-proxy"]
    assert proxy["ports"] == [{"name": "http1", "containerPort": 8081, "protocol": "TCP"}]
    assert proxy["readinessProbe"]["httpGet"] == {"path": "/ping"}  # the routed port only
    assert (model["args"], "lifecycle" in model) == (["serve"], False)
    assert model["image"].endswith("/retention-offer-train:0.3.0")
    config = ProxyConfig.from_json(proxy["env"][0]["value"])
    assert proxy["env"][0]["name"] == ENV_VAR
    assert (config.endpoint_name, config.capture) == ("churnk-prod-retention-offer", None)
    assert config.latency_thresholds_ms == (800.0,)
    (fetch,) = spec["initContainers"]
    package = {e["name"]: e.get("value") for e in fetch["env"]}["MLOPS_MODEL_PACKAGE_ARN"]
    assert package.endswith(":model-package/churnk-prod-retention-offer/2")
    for container in [proxy, model, fetch]:
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] and not security["allowPrivilegeEscalation"]
        assert security["runAsNonRoot"] and security["capabilities"] == {"drop": ["ALL"]}
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["automountServiceAccountToken"] is False


def test_prometheus_scrapes_the_proxies_through_the_metrics_service() -> None:
    objects = _objects(_cluster("prod"))
    service = objects[("v1", "Service")]
    knative = objects[("serving.knative.dev/v1", "Service")]
    monitor = objects[("monitoring.coreos.com/v1", "ServiceMonitor")]
    pods = knative["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pods.items()
    assert service["spec"]["ports"][0]["targetPort"] == 8090
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    # Knative copies the Service's labels onto the Services it makes: they are not scraped
    assert not selector.items() <= knative["metadata"]["labels"].items()
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_the_plan_lists_knative_and_the_feature_flags_its_pods_need() -> None:
    cluster = _cluster("prod")
    assert ("Knative Serving", ("services.serving.knative.dev",)) in [
        (o.name, o.crds) for o in cluster.operators
    ]
    (note,) = [n for n in cluster.notes if "config-features" in n]
    for flag in ("init-containers", "securitycontext", "emptydir", "nodeselector", "tolerations"):
        assert f"kubernetes.podspec-{flag}: enabled" in note


def _refused(tmp_path: Path, data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(SpecError) as raised:
        validate_file(_write(tmp_path, data), "prod")
    return [(p.loc, p.message) for p in raised.value.problems]


def test_latest_approved_stays_refused_for_serverless(tmp_path: Path) -> None:
    data = _data()
    data["models"][MODEL]["serving"]["model_version"] = "latest_approved"
    problems = _refused(tmp_path, data)
    assert [loc for loc, _ in problems] == [("models", MODEL, "serving", "model_version")]
