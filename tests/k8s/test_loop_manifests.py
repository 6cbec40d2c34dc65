"""The loop's manifests (issue 13) against the API's own schemas and the project's policy:
the training Job template, the schedule CronJob and the controller with its RBAC.

kubernetes-validate --strict at 1.29 and the newest supported version, checkov's policy
(non-root, read-only root filesystem, no capabilities, no RBAC wildcard), and the Role:
namespaced, no wildcard, exactly the controller's calls.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from mlops_runtime.contract.controller import ControllerConfig
from mlops_runtime.k8s import jobs, rollouts
from mlops_spec.plan.errors import PlanError
from mlops_spec.plan.k8s import controller
from tests.k8s import harness
from tests.k8s.checkov_scan import scan, violations
from tests.k8s.loop_samples import CONFIG, NAMESPACE, job, loop_plan, plan, schedule


def manifests() -> list[dict[str, Any]]:
    """What Pulumi creates for the loop, and a run's Job as the controller creates it."""
    return [job().manifest(), *loop_plan().manifests()]


def test_the_templates_are_where_the_controller_reads_them() -> None:
    loop = loop_plan()
    assert set(job().config_map()["data"]) == {jobs.TEMPLATE_KEY}
    (config_map,) = loop.rollout_config_maps()
    rollout = json.loads(config_map["data"][rollouts.TEMPLATE_KEY])
    assert rollout["kind"] == "Rollout"
    names = {m["metadata"]["name"] for m in loop.manifests() if m["kind"] == "ConfigMap"}
    assert names == {m.job_template for m in CONFIG.models.values()} | {
        m.rollout_template for m in CONFIG.models.values() if m.rollout_template
    }


def test_every_manifest_passes_kubernetes_validate_strict_at_both_versions() -> None:
    assert harness.errors(manifests()) == []


def test_the_training_job_runs_fetch_train_register_in_order_with_the_specs_resources() -> None:
    manifest = job().manifest()
    spec = manifest["spec"]
    pod = spec["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["fetch-inputs", "train"]
    assert [c["name"] for c in pod["containers"]] == ["register"]
    train = pod["initContainers"][1]
    assert train["resources"] == {
        "requests": {"cpu": "1500m", "memory": "6656Mi", "nvidia.com/gpu": "1"},
        "limits": {"memory": "6656Mi", "nvidia.com/gpu": "1"},
    }
    env = {e["name"]: e["value"] for e in train["env"]}
    assert env["SAGEMAKER_PROGRAM"] == "train.py"
    assert env["SM_CHANNEL_CUSTOMER_EVENTS"] == "/opt/ml/input/data/customer-events"
    fetch = json.loads(pod["initContainers"][0]["env"][0]["value"])
    assert fetch["channels"] == {
        "customer-events": "s3://shop-data/events/",
        "holdout": "s3://shop-data/holdout/",
    }
    assert spec["podFailurePolicy"]["rules"] == [
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
        {
            "action": "FailJob",
            "onExitCodes": {"containerName": "register", "operator": "In", "values": [2, 3]},
        },
    ]
    assert (spec["activeDeadlineSeconds"], spec["suspend"]) == (90 * 60, True)
    assert manifest["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "ml-training"
    assert pod["nodeSelector"]["karpenter.sh/capacity-type"] == "spot"
    assert json.loads(job().config_map()["data"]["job.json"]) == manifest


def test_without_kueue_the_job_is_not_suspended_and_carries_no_queue_label() -> None:
    manifest = job(kueue_queue=None, gpu=0, node_selector=(), tolerations=()).manifest()
    assert "suspend" not in manifest["spec"]
    assert "kueue.x-k8s.io/queue-name" not in manifest["metadata"]["labels"]
    assert harness.errors([manifest]) == []


def test_a_template_name_too_long_for_a_run_is_refused() -> None:
    with pytest.raises(PlanError, match="at most 52"):
        job(name="x" * 53)


def test_the_schedule_is_utc_forbids_overlap_and_is_suspended_where_schedules_are_off() -> None:
    spec = schedule(suspend=True).manifest()["spec"]
    assert (spec["timeZone"], spec["concurrencyPolicy"], spec["suspend"]) == (
        "Etc/UTC",
        "Forbid",
        True,
    )
    container = spec["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert (
        env["MLOPS_CONTROLLER_URL"]["value"]
        == "http://shop-dev-mlops-controller.ml-churn.svc:8080/schedule"
    )


def test_the_controller_is_one_recreated_replica_reading_its_config() -> None:
    deployment = plan().deployment()
    assert (deployment["spec"]["replicas"], deployment["spec"]["strategy"]) == (
        1,
        {"type": "Recreate"},
    )
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    config = ControllerConfig.from_json(container["env"][0]["value"])
    assert config == CONFIG
    assert controller.webhook_url("shop-dev-mlops-controller", NAMESPACE).endswith(":8080/alerts")


def test_the_role_is_namespaced_without_wildcards_and_names_its_objects() -> None:
    role = plan().role()
    assert role["kind"] == "Role" and role["metadata"]["namespace"] == NAMESPACE
    for rule in role["rules"]:
        assert "*" not in [*rule["apiGroups"], *rule["resources"], *rule["verbs"]]
    assert role["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "verbs": ["get"],
            "resourceNames": [
                "shop-dev-churn-train",
                "shop-dev-ltv-train",
                "shop-dev-churn-rollout",
            ],
        },
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create"]},
        {
            "apiGroups": ["argoproj.io"],
            "resources": ["rollouts"],
            "verbs": ["get", "patch"],
            "resourceNames": ["churn-classifier"],
        },
        {"apiGroups": ["argoproj.io"], "resources": ["rollouts"], "verbs": ["create"]},
    ]


def test_checkov_finds_nothing_against_the_policy() -> None:
    found = scan(manifests())
    assert {f.resource.split(".")[0] for f in found} >= {"Job", "CronJob", "Deployment", "Role"}
    assert violations(found) == []
