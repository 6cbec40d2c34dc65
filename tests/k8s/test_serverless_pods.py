"""The serverless tier's pods as Knative makes them: the NetworkPolicy in front of them, and
the resource alerts selecting them by the names Knative gives them (``promtool test rules``).

Knative names a Knative Service's revision ``<service>-<generation as %05d>`` and its
Deployment ``<revision>-deployment`` (``kmeta.ChildName``: a name over 63 characters becomes
the parent's head plus its MD5 in hex); the ReplicaSet adds its hash and the pod a 5-character
suffix, the generated part cut to 58 characters. ``_knative_pod`` re-derives that from the Go
code independently of the planner's pattern."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from mlops_spec.load import validate_file
from mlops_spec.plan.k8s import KubernetesPlan
from mlops_spec.plan.k8s.monitors import AlertPlan
from mlops_spec.plan.k8s.monitors_promql import knative_pods
from tests.k8s import harness, prom
from tests.k8s.monitor_support import counter, firing, gauge, selector

SPEC = Path(__file__).parent / "specs/routed.yaml"
SERVICE = "churnr-prod-retention-offer"
NAMESPACE = "churn-ml"
MINUTES = 20


@pytest.fixture(scope="module")
def cluster() -> KubernetesPlan:
    plan = validate_file(SPEC, "prod").stacks["prod"].plan
    assert plan is not None and plan.kubernetes is not None
    return plan.kubernetes


def _child_name(parent: str, suffix: str) -> str:
    """knative.dev/pkg kmeta.ChildName."""
    if len(parent) > 63 - len(suffix):
        parent = parent[: 63 - 32 - len(suffix)] + hashlib.md5(parent.encode()).hexdigest()
    return parent + suffix


def _knative_pod(service: str, generation: int = 1, rs_hash: str = "5d8f7c9b4d") -> str:
    revision = _child_name(service, f"-{generation:05d}")
    deployment = _child_name(revision, "-deployment")
    return f"{deployment}-{rs_hash}-"[:58] + "x7k2p"


@pytest.mark.parametrize("length", [20, 28, 29, 45, 46, 47, 57, 58, 63])
def test_the_pod_pattern_matches_knatives_names_at_every_length(length: int) -> None:
    service = ("churnr-prod-" + "a" * 63)[:length].rstrip("-")
    pattern = knative_pods(service)
    for generation in (1, 42, 123456):
        assert re.fullmatch(pattern, _knative_pod(service, generation)), (service, generation)
    assert not re.fullmatch(pattern, f"{service}-7d9f8c6b5-abcde")  # a ReplicaSet's pod


def test_the_network_policy_opens_the_queue_proxy_and_metrics_only(
    cluster: KubernetesPlan,
) -> None:
    objects = {m.key: m.body for m in cluster.for_model(SERVICE)}
    policy = objects[f"NetworkPolicy/{SERVICE}"]
    pods = objects[f"Service/{SERVICE}"]["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pods.items()
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    ports = {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]}
    # queue-proxy: 8012 HTTP/1, 8013 HTTP/2, 8112 TLS, 9090 the autoscaler's scrape; 8090 ours
    assert ports == {8012, 8013, 8112, 9090, 8090}
    assert not ports & {8080, 8081}  # never the model, never the proxy behind the queue-proxy
    assert harness.errors([policy]) == []


def _alert(cluster: KubernetesPlan, monitor: str) -> AlertPlan:
    (rule,) = [r for r in cluster.monitoring.rules if r.model == "retention-offer"]
    (alert,) = [a for a in rule.alerts if a.rule()["labels"]["mlops_monitor"] == monitor]
    return alert


def _series(kind: str, pods: dict[str, float], given: float) -> list[dict[str, str]]:
    """The model container of each pod using its share of ``given`` (CPU cores as a counter of
    seconds, memory in bytes), and Knative's queue-proxy container at 100% beside it."""
    usage = (
        "container_cpu_usage_seconds_total"
        if kind == "cpu"
        else ("container_memory_working_set_bytes")
    )
    capacity = "kube_pod_container_resource_" + ("requests" if kind == "cpu" else "limits")
    series = []
    for pod, used in pods.items():
        for container, share in (("model", used), ("queue-proxy", given)):
            where = {"namespace": NAMESPACE, "pod": pod, "container": container}
            values = counter([share * 60] * MINUTES) if kind == "cpu" else gauge([share] * MINUTES)
            series.append({"series": selector(usage, **where), "values": values})
            series.append(
                {
                    "series": selector(capacity, **where, resource=kind),
                    "values": gauge([given] * MINUTES),
                }
            )
    return series


@pytest.mark.parametrize(
    ("kind", "used", "given", "fires"),
    [
        ("cpu", 0.8, 1.0, False),  # 80% of the request: the threshold, not above it
        ("cpu", 0.81, 1.0, True),
        ("memory", 1.8e9, 2e9, False),  # 90% of the limit
        ("memory", 1.82e9, 2e9, True),
    ],
)
def test_resource_alerts_watch_the_pods_knative_creates(
    cluster: KubernetesPlan, kind: str, used: float, given: float, fires: bool
) -> None:
    alert = _alert(cluster, kind)
    pods = {
        _knative_pod(SERVICE, 3): used,
        _knative_pod(SERVICE, 3, "6c7b8d9f5"): used,
        _knative_pod(f"{SERVICE}-v2", 1): given,  # another service's pods at 100%
    }
    test: dict[str, Any] = {
        "interval": "1m",
        "input_series": _series(kind, pods, given),
        "alert_rule_test": [
            {
                "eval_time": "10m",
                "alertname": alert.name,
                "exp_alerts": [firing(alert)] if fires else [],
            }
        ],
    }
    rule = next(r for r in cluster.monitoring.rules if r.model == "retention-offer")
    result = prom.rule_tests([prom.rule_file(rule.manifest())], [test])
    assert result.ok, result.output


def test_a_pattern_of_rollout_pods_would_have_seen_nothing(cluster: KubernetesPlan) -> None:
    """The real-time pattern (``<workload>-<hash>-<suffix>``) never matches a Knative pod, so
    before the serverless scope the alerts watched no series at all."""
    expr = _alert(cluster, "cpu").rule()["expr"]
    (pattern,) = set(re.findall(r'pod=~"([^"]+)"', expr))
    assert re.fullmatch(pattern, _knative_pod(SERVICE))
    assert not re.fullmatch(f"{SERVICE}-[a-z0-9]+-[a-z0-9]+", _knative_pod(SERVICE))
