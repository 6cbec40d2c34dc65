"""NetworkPolicies of the training Jobs, the batch CronJobs and the loop controller, from the
planned stacks (examples/churn-k8s dev and prod, the batch test spec): each selects exactly
the pods it is written for (label selectors against the pod templates' labels), a pod with a
model server sidecar admits no ingress at all, the controller admits its http port only and
the schedule CronJobs' pods by their labels; valid at 1.29 and 1.37, within checkov's policy,
and registered by the components."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_components.k8s.cluster import Cluster, ClusterArgs
from mlops_spec.load import validate_file
from mlops_spec.plan.k8s.plan import KubernetesPlan
from tests.components.unit import build
from tests.k8s import harness
from tests.k8s.checkov_scan import scan, violations
from tests.k8s.loop_samples import job, schedule
from tests.k8s.manifests import clean

ROOT = Path(__file__).resolve().parents[2]
CHURN = ROOT / "examples" / "churn-k8s" / "mlops.yaml"
BATCH = Path(__file__).parent / "batch" / "mlops.yaml"
STACKS = [(CHURN, "dev"), (CHURN, "prod"), (BATCH, "prod")]
POLICY = "NetworkPolicy"


def _cluster(path: Path, stack: str) -> KubernetesPlan:
    plan = validate_file(path, stack).stacks[stack].plan
    assert plan is not None and plan.kubernetes is not None
    return plan.kubernetes


def _bodies(cluster: KubernetesPlan) -> list[dict[str, Any]]:
    return [json.loads(json.dumps(m.body)) for m in cluster.all_manifests]


def _pods(bodies: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(``Kind/name`` of the owner, pod template) of every pod the stack runs: CronJobs,
    Deployments, Rollouts and the Job templates the controller creates runs from."""
    for body in bodies:
        kind, name, spec = body["kind"], body["metadata"]["name"], body.get("spec", {})
        if kind == "CronJob":
            yield f"{kind}/{name}", spec["jobTemplate"]["spec"]["template"]
        elif kind in ("Deployment", "Rollout") and "template" in spec:
            yield f"{kind}/{name}", spec["template"]
        elif kind == "ConfigMap" and "job.json" in body.get("data", {}):
            yield f"JobTemplate/{name}", json.loads(body["data"]["job.json"])["spec"]["template"]


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, selector  # the planner writes matchLabels only
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _selected(selector: dict[str, Any], bodies: list[dict[str, Any]]) -> set[str]:
    return {
        owner
        for owner, pod in _pods(bodies)
        if _selects(selector, pod["metadata"].get("labels", {}))
    }


def _policies(bodies: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {b["metadata"]["name"]: b for b in bodies if b["kind"] == POLICY}


def _has_sidecar(pod: dict[str, Any]) -> bool:
    init = pod["spec"].get("initContainers", [])
    return any(c.get("restartPolicy") == "Always" for c in init)


@pytest.fixture(scope="module", params=STACKS, ids=lambda s: f"{s[0].parent.name}-{s[1]}")
def bodies(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    path, stack = request.param
    return _bodies(_cluster(path, stack))


def test_every_job_pod_is_selected_by_a_policy_named_for_it_and_nothing_else(
    bodies: list[dict[str, Any]],
) -> None:
    policies = _policies(bodies)
    owners = [o for o, _ in _pods(bodies) if o.split("/")[0] == "JobTemplate"]
    owners += [o for o, _ in _pods(bodies) if o.startswith("CronJob/") and o.endswith("-batch")]
    assert owners, "the stack plans neither training Jobs nor batch CronJobs"
    for owner in owners:
        name = owner.split("/", 1)[1]
        assert _selected(policies[name]["spec"]["podSelector"], bodies) == {owner}


def test_job_pods_and_every_pod_with_a_model_server_sidecar_admit_no_ingress(
    bodies: list[dict[str, Any]],
) -> None:
    policies = list(_policies(bodies).values())
    guarded = [(o, p) for o, p in _pods(bodies) if _has_sidecar(p) or o.startswith("JobTemplate/")]
    assert guarded, "the stack plans no Job pod"
    for owner, pod in guarded:
        labels = pod["metadata"]["labels"]
        selecting = [p for p in policies if _selects(p["spec"]["podSelector"], labels)]
        assert selecting, f"{owner}: no NetworkPolicy selects its pods"
        for policy in selecting:
            assert policy["spec"]["policyTypes"] == ["Ingress"], owner  # egress stays open
            assert policy["spec"]["ingress"] == [], (owner, policy["metadata"]["name"])


def test_the_batch_stack_runs_sidecars_and_a_gated_training_run_too() -> None:
    """The model servers the policies guard: the batch CronJobs' and a gated run's."""
    batch = [o for o, p in _pods(_bodies(_cluster(BATCH, "prod"))) if _has_sidecar(p)]
    assert sorted(batch) == [
        "CronJob/ltvk-prod-ltv-gpu-batch",
        "CronJob/ltvk-prod-ltv-scorer-batch",
    ]
    gated = job(score_holdout=True)
    pod = gated.manifest()["spec"]["template"]
    assert _has_sidecar(pod)
    policy = gated.network_policy()
    assert _selects(policy["spec"]["podSelector"], pod["metadata"]["labels"])
    assert policy["spec"]["ingress"] == [] and harness.errors([policy]) == []
    assert not _selects(
        policy["spec"]["podSelector"],
        schedule().manifest()["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"],
    )


def _loop_bodies(stack: str) -> list[dict[str, Any]]:
    cluster = _cluster(CHURN, stack)
    assert cluster.loop is not None
    return _bodies(cluster)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_controller_admits_its_http_port_only_from_the_schedules_and_alertmanager(
    stack: str,
) -> None:
    bodies = _loop_bodies(stack)
    cluster = _cluster(CHURN, stack)
    assert cluster.loop is not None
    name = cluster.loop.controller.name
    policy = _policies(bodies)[name]
    assert _selected(policy["spec"]["podSelector"], bodies) == {f"Deployment/{name}"}
    (rule,) = policy["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": "http"}]
    deployment = next(
        b for b in bodies if b["kind"] == "Deployment" and b["metadata"]["name"] == name
    )
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert [p["name"] for p in container["ports"]] == ["http"]
    pod_peers = [p for p in rule["from"] if "podSelector" in p]
    assert all(set(p) == {"podSelector"} for p in pod_peers)  # this namespace only
    schedules = {f"CronJob/{s.name}" for s in cluster.loop.schedules}
    assert schedules, "the example plans no training schedule"
    admitted: set[str] = set()
    for peer in pod_peers:
        admitted |= _selected(peer["podSelector"], bodies)
    assert admitted == schedules  # not the training runs, though they share the name
    # Alertmanager: the profile does not say where it runs (docs/kubernetes.md)
    assert [p for p in rule["from"] if "podSelector" not in p] == [{"namespaceSelector": {}}]


@pytest.mark.parametrize(("path", "stack"), STACKS)
def test_the_policies_pass_kubernetes_validate_strict_and_checkov(path: Path, stack: str) -> None:
    bodies = _bodies(_cluster(path, stack))
    policies = list(_policies(bodies).values())
    assert harness.errors(policies) == []
    jobs = [b for b in bodies if b["kind"] in ("CronJob", "Deployment", POLICY)]
    assert violations(scan(jobs)) == []


def test_the_cluster_component_registers_the_batch_policies() -> None:
    plan = validate_file(BATCH, "prod").stacks["prod"].plan
    assert plan is not None and plan.kubernetes is not None
    cluster = plan.kubernetes
    template = build(plan, lambda ctx: Cluster("cluster", ClusterArgs(cluster, ctx.refs)))
    registered = {
        r.inputs["metadata"]["name"]: clean(
            {"apiVersion": "networking.k8s.io/v1", "kind": POLICY, **r.inputs}
        )
        for r in template.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    planned = {n: clean(b) for n, b in _policies(_bodies(cluster)).items()}
    assert registered == planned and len(planned) == 2
    assert harness.errors(list(registered.values())) == []
