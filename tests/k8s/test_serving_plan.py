"""The Kubernetes serving planner: the real-time tier of the example, checked against the
upstream schemas (kubernetes-validate, vendored CRDs), checkov, and the behaviour it promises."""

from __future__ import annotations

import copy
import dataclasses
import fcntl
import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from mlops_runtime.contract.config import ENV_VAR
from mlops_runtime.contract.prometheus import published
from mlops_runtime.contract.proxy import ProxyConfig
from mlops_spec.load import validate_file
from mlops_spec.models.serving import Rollout
from mlops_spec.plan import DeploymentPlan
from mlops_spec.plan.documents import render
from mlops_spec.plan.k8s import KubernetesPlan
from mlops_spec.plan.k8s.rollout import effective_share, steps, weights
from tests.conftest import ROOT
from tests.k8s import harness
from tests.k8s.checkov_scan import Finding, scan, scannable, violations
from tests.k8s.promql import metric_names

SPEC = ROOT / "examples/churn-k8s/mlops.yaml"
MODEL = "churn-classifier"
SERVERLESS = "retention-offer"
REFS = {"account": "123456789012", "key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k"}


def _plan(stack: str, path: Path = SPEC) -> DeploymentPlan:
    resolution = validate_file(path, stack).stacks[stack]
    assert resolution.plan is not None
    return resolution.plan


def _cluster(stack: str, path: Path = SPEC) -> KubernetesPlan:
    cluster = _plan(stack, path).kubernetes
    assert cluster is not None
    return cluster


def _templates(cluster: KubernetesPlan) -> list[dict[str, Any]]:
    """The Rollouts the loop controller creates (``latest_approved``) from their templates."""
    return [body for _, body in cluster.loop.rollouts()] if cluster.loop else []


def _rendered(cluster: KubernetesPlan) -> list[dict[str, Any]]:
    """The manifests as the components send them (placeholders filled), and the Rollouts the
    controller creates from their templates."""
    bodies = [m.body for m in cluster.all_manifests] + _templates(cluster)
    return [json.loads(render(json.dumps(b), REFS)) for b in bodies]


def _kind(cluster: KubernetesPlan, kind: str) -> dict[str, Any]:
    """The real-time model's object of ``kind`` (the serverless one is test_serverless_plan's);
    its Rollout whoever creates it (Pulumi when pinned, the controller when latest_approved)."""
    (found,) = [
        body
        for body in [*(m.body for m in cluster.manifests), *_templates(cluster)]
        if body["kind"] == kind
        and body["metadata"]["labels"]["app.kubernetes.io/name"].endswith(MODEL)
    ]
    return copy.deepcopy(dict(found))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_manifest_validates_against_its_schema(stack: str) -> None:
    assert harness.errors(_rendered(_cluster(stack))) == []


def test_the_aws_side_builds_no_serving_and_no_alarms() -> None:
    deployment = _plan("prod")
    assert deployment.serving == ()
    assert all(not m.alarms for m in deployment.monitoring.models)
    assert deployment.models == (SERVERLESS,)  # SageMaker trains and registers it; the cluster
    # trains MODEL: no package group, pipeline or schedule of it on AWS
    assert [g.model for g in deployment.registry.groups] == [SERVERLESS]
    assert deployment.retraining is None or not deployment.retraining.schedule_for(MODEL)


def test_the_pod_runs_the_model_behind_the_proxy() -> None:
    rollout = _kind(_cluster("prod"), "Rollout")
    pod = rollout["spec"]["template"]["spec"]
    model, proxy = pod["containers"]
    assert (model["name"], model["args"], model["ports"][0]["containerPort"]) == (
        "model",
        ["serve"],
        8080,
    )
    assert model["image"].endswith(
        "/churn-train@sha256:4f1c3b8a9d2e7f60a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2"
    )  # the package serves its training image
    assert (
        model["resources"]["requests"]
        == model["resources"]["limits"]
        == {
            "cpu": "1",
            "memory": "2Gi",
        }
    )
    assert proxy["readinessProbe"]["httpGet"] == {"path": "/ping", "port": "http"}
    config = ProxyConfig.from_json(proxy["env"][0]["value"])
    assert proxy["env"][0]["name"] == ENV_VAR
    assert config.endpoint_name == rollout["metadata"]["name"]
    assert config.latency_thresholds_ms == (250.0,)
    assert config.capture is not None and config.capture.sampling_percent == 25.0
    assert config.capture.destination == "s3://acme-churnk-prod-capture-eu-west-1/endpoints"
    (fetch,) = pod["initContainers"]
    env = {e["name"]: e.get("value") for e in fetch["env"]}
    assert env["MLOPS_MODEL_DATA_URL"] == ""  # the controller writes the approved version's
    assert "MLOPS_MODEL_PACKAGE_ARN" not in env
    (dev_fetch,) = _kind(_cluster("dev"), "Rollout")["spec"]["template"]["spec"]["initContainers"]
    pinned = {e["name"]: e.get("value") for e in dev_fetch["env"]}["MLOPS_MODEL_PACKAGE_ARN"]
    # dev pins version 1 of the cluster's registry (the loop's state in the artifacts bucket)
    assert pinned == (
        "s3://acme-churnk-dev-artifacts-eu-west-1/loop/registry/churn-classifier/versions/1"
    )
    for container in [*pod["containers"], fetch]:
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] and not security["allowPrivilegeEscalation"]
        assert security["capabilities"] == {"drop": ["ALL"]}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert model["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "10"]


def test_an_autoscaled_rollout_never_sets_replicas() -> None:
    prod, dev = _cluster("prod"), _cluster("dev")
    assert "replicas" not in _kind(prod, "Rollout")["spec"]
    scaler = _kind(prod, "ScaledObject")["spec"]
    assert (scaler["minReplicaCount"], scaler["maxReplicaCount"]) == (2, 6)
    assert scaler["scaleTargetRef"]["kind"] == "Rollout"
    (trigger,) = scaler["triggers"]
    assert trigger["metadata"]["threshold"] == "200"  # invocations per pod per minute
    assert metric_names(trigger["metadata"]["query"]) <= published()
    # development: a fixed single pod, no scaler
    assert _kind(dev, "Rollout")["spec"]["replicas"] == 1
    assert not [m for m in dev.manifests if m.kind == "ScaledObject"]


def test_the_canary_steps_and_the_rollback_analysis() -> None:
    cluster = _cluster("prod")
    canary = _kind(cluster, "Rollout")["spec"]["strategy"]["canary"]
    assert canary["steps"] == [
        {"setWeight": 50},
        {"pause": {"duration": "15m"}},
        {"setWeight": 100},
        {"pause": {"duration": "15m"}},
    ]
    assert _kind(cluster, "Rollout")["spec"]["progressDeadlineAbort"] is True
    template = _kind(cluster, "AnalysisTemplate")
    assert canary["analysis"]["templates"] == [{"templateName": template["metadata"]["name"]}]
    (metric,) = template["spec"]["metrics"]
    query = metric["provider"]["prometheus"]["query"]
    # the query promtool checks against the alerts (tests/k8s/test_monitor_semantics.py)
    assert query == (
        'count(ALERTS{alertstate="firing",namespace="churn-ml",mlops_model="churn-classifier",'
        'mlops_action="rollback"}) or vector(0)'
    )
    assert (metric["successCondition"], metric["failureLimit"]) == ("result[0] == 0", 0)


def test_without_rollback_monitors_there_is_no_analysis(tmp_path: Path) -> None:
    data = YAML(typ="safe").load(SPEC.read_text())
    monitors = data["models"][MODEL]["monitors"]
    for monitor in monitors.values():
        if monitor.get("action") == "rollback":
            monitor["action"] = "notify"
    data["environments"]["prod"]["mode"] = "development"  # production requires rollback monitors
    path = tmp_path / "mlops.yaml"
    with path.open("w") as handle:
        YAML().dump(data, handle)
    cluster = _cluster("prod", path)
    assert not [m for m in cluster.manifests if m.kind == "AnalysisTemplate"]
    assert "analysis" not in _kind(cluster, "Rollout")["spec"]["strategy"]["canary"]


def test_the_service_skips_await_and_the_policy_hides_the_model_port() -> None:
    cluster = _cluster("prod")
    (service,) = [m for m in cluster.manifests if m.kind == "Service" and m.name.endswith(MODEL)]
    assert service.skip_await
    assert service.body["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
    policy = _kind(cluster, "NetworkPolicy")["spec"]
    ports = {p["port"] for rule in policy["ingress"] for p in rule["ports"]}
    assert ports == {8081, 8090}  # never the model's 8080
    budget = _kind(cluster, "PodDisruptionBudget")["spec"]
    assert budget["maxUnavailable"] == 1


def test_custom_resources_name_their_crd_and_operators_are_listed() -> None:
    cluster = _cluster("prod")
    crds = {m.kind: m.crd for m in cluster.manifests if m.crd}
    assert crds == {  # no Rollout: the controller creates it (its CRD is still needed)
        "Service": "services.serving.knative.dev",  # the serverless model's
        "AnalysisTemplate": "analysistemplates.argoproj.io",
        "ScaledObject": "scaledobjects.keda.sh",
        "ServiceMonitor": "servicemonitors.monitoring.coreos.com",
    }
    assert [(o.name, o.crds) for o in cluster.operators] == [
        ("Argo Rollouts", ("analysistemplates.argoproj.io", "rollouts.argoproj.io")),
        ("KEDA", ("scaledobjects.keda.sh",)),
        ("Knative Serving", ("services.serving.knative.dev",)),
        (
            "Prometheus Operator",
            (
                "alertmanagerconfigs.monitoring.coreos.com",
                "prometheusrules.monitoring.coreos.com",
                "servicemonitors.monitoring.coreos.com",
            ),
        ),
    ]
    assert any("Argo Rollouts (analysistemplates.argoproj.io" in n for n in cluster.notes)


def test_the_monitor_carries_the_prometheus_selector_labels() -> None:
    labels = _kind(_cluster("prod"), "ServiceMonitor")["metadata"]["labels"]
    assert labels["release"] == "kube-prometheus-stack"


@pytest.mark.parametrize(
    ("rollout", "expected"),
    [
        ({"strategy": "all_at_once"}, [100.0]),
        ({"strategy": "canary", "traffic_percent": 10.0}, [10.0, 100.0]),
        ({"strategy": "linear", "traffic_percent": 25.0}, [25.0, 50.0, 75.0, 100.0]),
        ({"strategy": "linear", "traffic_percent": 30.0}, [30.0, 60.0, 90.0, 100.0]),
    ],
)
def test_weights_follow_the_sagemaker_shifts(
    rollout: dict[str, Any], expected: list[float]
) -> None:
    assert weights(Rollout.model_validate(rollout)) == expected


def test_a_rollout_without_bake_has_no_pauses() -> None:
    assert steps(Rollout.model_validate({"traffic_percent": 10.0, "bake_minutes": 0})) == [
        {"setWeight": 10},
        {"setWeight": 100},
    ]


@pytest.mark.parametrize(
    ("weight", "replicas", "expected"),
    [(50.0, 2, (1, 50.0)), (10.0, 2, (1, 50.0)), (10.0, 20, (2, 10.0)), (25.0, 3, (1, 33.3))],
)
def test_the_effective_share_is_whole_pods(
    weight: float, replicas: int, expected: tuple[int, float]
) -> None:
    assert effective_share(weight, replicas) == expected


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> list[Finding]:
    """One checkov scan of both stacks' manifests (plus Deployment-shaped Rollout copies)."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    cache = shared / "checkov-serving-findings.json"
    with (shared / "checkov-serving-findings.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cache.exists():
            manifests = _rendered(_cluster("dev")) + _rendered(_cluster("prod"))
            found = scan(scannable(manifests))
            cache.write_text(json.dumps([dataclasses.asdict(f) for f in found]))
    return [Finding(**item) for item in json.loads(cache.read_text())]


def test_checkov_finds_no_policy_violation(findings: list[Finding]) -> None:
    assert violations(findings) == []
    pods = {f.resource for f in findings if f.resource.startswith("Deployment.")}
    assert pods == {
        "Deployment.churn-ml-dev.churnk-dev-churn-classifier",
        "Deployment.churn-ml.churnk-prod-churn-classifier",
        "Deployment.churn-ml-dev.churnk-dev-retention-offer",  # Knative Services' pods
        "Deployment.churn-ml.churnk-prod-retention-offer",
        "Deployment.churn-ml-dev.churnk-dev-loop",  # the loop controllers
        "Deployment.churn-ml.churnk-prod-loop",
    }
