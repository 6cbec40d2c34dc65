"""The loop planned from the spec (``mlops_spec.plan.k8s.loop``): the churn-k8s example trains
its classifier on the cluster. Its manifests against the API's schemas and the policy, the
Role against the controller's calls, and each value against the spec it comes from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from mlops_runtime.contract.controller import ControllerConfig, FinishConfig
from mlops_runtime.k8s import jobs, model_fetch, rollouts
from mlops_spec.load import validate_file
from mlops_spec.plan import DeploymentPlan
from mlops_spec.plan.documents import render
from mlops_spec.plan.k8s import KubernetesPlan
from mlops_spec.plan.k8s.controller import LoopPlan, role_rules, webhook_url
from tests.conftest import ROOT
from tests.k8s import harness
from tests.k8s.checkov_scan import scan, scannable, violations

SPEC = ROOT / "examples/churn-k8s/mlops.yaml"
MODEL = "churn-classifier"
REFS = {"account": "123456789012", "key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k"}


def _plan(stack: str, path: Path = SPEC) -> DeploymentPlan:
    plan = validate_file(path, stack).stacks[stack].plan
    assert plan is not None and plan.kubernetes is not None
    return plan


def _cluster(stack: str, path: Path = SPEC) -> KubernetesPlan:
    cluster = _plan(stack, path).kubernetes
    assert cluster is not None
    return cluster


def _loop(stack: str, path: Path = SPEC) -> LoopPlan:
    loop = _cluster(stack, path).loop
    assert loop is not None
    return loop


def _rendered(loop: LoopPlan) -> list[dict[str, Any]]:
    """What Pulumi creates, a run's Job and the Rollout the controller creates, filled."""
    bodies = [
        *loop.manifests(),
        *(job.manifest() for job in loop.jobs),
        *(body for _, body in loop.rollouts()),
    ]
    return [json.loads(render(json.dumps(b), REFS)) for b in bodies]


def _finish(loop: LoopPlan) -> FinishConfig:
    (job,) = loop.jobs
    return FinishConfig.from_json(render(job.finish_config, REFS))


def _spec_file(tmp_path: Path, change: Any) -> Path:
    data = YAML(typ="safe").load(SPEC.read_text())
    change(data)
    path = tmp_path / "mlops.yaml"
    with path.open("w") as handle:
        YAML().dump(data, handle)
    return path


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_loop_manifest_validates_at_both_versions(stack: str) -> None:
    assert harness.errors(_rendered(_loop(stack))) == []


def test_checkov_finds_nothing_against_the_policy() -> None:
    manifests = _rendered(_loop("dev")) + _rendered(_loop("prod"))
    found = scan(scannable(manifests))
    kinds = {f.resource.split(".")[0] for f in found}
    assert kinds >= {"Job", "CronJob", "Deployment", "Role", "ServiceAccount"}
    assert violations(found) == []


def test_the_role_grants_exactly_the_templates_and_the_rollout_it_owns() -> None:
    loop = _loop("prod")
    assert role_rules(loop.controller.config) == [
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "verbs": ["get"],
            "resourceNames": [
                "churnk-prod-churn-classifier-train",
                "churnk-prod-churn-classifier-rollout",
            ],
        },
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create"]},
        {
            "apiGroups": ["argoproj.io"],
            "resources": ["rollouts"],
            "verbs": ["get", "patch"],
            "resourceNames": ["churnk-prod-churn-classifier"],
        },
        {"apiGroups": ["argoproj.io"], "resources": ["rollouts"], "verbs": ["create"]},
    ]
    # dev pins a version: the controller trains there, and deploys nothing
    assert [r["resources"] for r in role_rules(_loop("dev").controller.config)] == [
        ["configmaps"],
        ["jobs"],
    ]


def test_the_templates_are_where_the_controller_reads_them() -> None:
    loop = _loop("prod")
    config = loop.controller.config
    maps = {m["metadata"]["name"]: m for m in loop.manifests() if m["kind"] == "ConfigMap"}
    model = config.models[MODEL]
    assert set(maps[model.job_template]["data"]) == {jobs.TEMPLATE_KEY}
    assert model.rollout_template is not None
    rollout = json.loads(maps[model.rollout_template]["data"][rollouts.TEMPLATE_KEY])
    assert (rollout["kind"], rollout["metadata"]["name"]) == ("Rollout", model.rollout)
    pulumi = {m.key for m in _cluster("prod").manifests}
    assert f"Rollout/{model.rollout}" not in pulumi  # the controller creates it
    assert f"ScaledObject/{model.rollout}" in pulumi  # Pulumi owns the rest


def test_the_controllers_rollout_fetches_what_the_controller_writes() -> None:
    ((_, rollout),) = _loop("prod").rollouts()
    (fetch,) = rollout["spec"]["template"]["spec"]["initContainers"]
    names = [e["name"] for e in fetch["env"]]
    assert rollouts.MODEL_DATA_ENV in names and model_fetch.PACKAGE_ENV not in names


def test_the_job_is_the_specs_training_on_the_spot_pool() -> None:
    (job,) = _loop("prod").jobs
    manifest = job.manifest()
    pod = manifest["spec"]["template"]["spec"]
    train = next(c for c in pod["initContainers"] if c["name"] == "train")
    assert train["image"] == (
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn-train@"
        "sha256:4f1c3b8a9d2e7f60a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2"
    )
    assert train["resources"]["requests"] == {"cpu": "2", "memory": "8Gi"}
    assert manifest["spec"]["activeDeadlineSeconds"] == 90 * 60
    assert job.channels == (
        ("customer-events", "s3://acme-churnk-prod-data-customer-events-eu-west-1/events/"),
    )
    assert dict(job.hyperparameters) == {"eta": "0.3", "max_depth": "6"}
    assert pod["nodeSelector"] == {"karpenter.sh/capacity-type": "spot"}  # training.spot
    assert pod["serviceAccountName"] == "churnk-prod-training"
    assert "suspend" not in manifest["spec"]  # no Kueue queue in the profile


def test_the_register_step_follows_the_environments_approval_rule() -> None:
    prod, dev = _finish(_loop("prod")), _finish(_loop("dev"))
    assert (prod.manual_approval, dev.manual_approval) == (True, False)  # dev: approval auto
    assert prod.store.uri == "s3://acme-churnk-prod-artifacts-eu-west-1/loop/"
    assert prod.store.kms_key_id == REFS["key_arn"]
    assert prod.artifacts_uri == (
        "s3://acme-churnk-prod-artifacts-eu-west-1/models/churn-classifier/training/"
    )
    # prod's controller promotes the served version's references; dev's pinned model reads
    # the newest registered version's, written by the Job as the AWS Profile step does
    assert prod.current_references_uri is None
    assert dev.current_references_uri == (
        "s3://acme-churnk-dev-artifacts-eu-west-1/models/churn-classifier/reference/"
    )
    assert prod.profile is not None and prod.profile_channel == "customer-events"
    assert list(prod.profile.features)[:2] == ["tenure_months", "monthly_charges"]


def test_the_controller_reads_the_specs_limits_alerts_and_new_data() -> None:
    config: ControllerConfig = _loop("prod").controller.config
    model = config.models[MODEL]
    assert (model.cooldown_hours, model.max_runs_per_day) == (12.0, 2)
    assert dict(config.alerts) == {"churnk-prod-churn-classifier-feature-drift": MODEL}
    (source,) = config.data_sources
    assert (source.bucket, source.prefix, source.models) == (
        "acme-churnk-prod-data-customer-events-eu-west-1",
        "events/",
        (MODEL,),
    )
    assert model.references is not None
    assert model.references.current_uri.endswith("/models/churn-classifier/reference/")
    assert "retention-offer" not in config.models  # SageMaker trains it


def test_retrain_alerts_are_routed_to_the_controllers_webhook() -> None:
    cluster = _cluster("prod")
    loop = cluster.loop
    assert loop is not None
    url = webhook_url(loop.controller.name, loop.controller.namespace)
    assert url == "http://churnk-prod-loop.churn-ml.svc:8080/alerts"
    config = cluster.monitoring.alertmanager.manifest()["spec"]
    assert [
        r["webhookConfigs"][0]["url"] for r in config["receivers"] if "webhookConfigs" in r
    ] == [url]
    assert set(loop.controller.config.alerts) == set(cluster.monitoring.retrain_alerts)


def test_schedules_are_converted_and_paused_where_schedules_are_off() -> None:
    (prod,), (dev,) = _loop("prod").schedules, _loop("dev").schedules
    assert prod.schedule == dev.schedule == "0 3 * * 1"  # cron(0 3 ? * MON *)
    assert (prod.suspend, dev.suspend) == (False, True)  # development pauses schedules
    assert prod.controller_url == "http://churnk-prod-loop.churn-ml.svc:8080/schedule"


def test_the_monitoring_job_reads_the_reference_the_loop_keeps() -> None:
    cluster = _cluster("prod")
    (job,) = [c for c in cluster.monitoring.cronjobs if c.model == MODEL]
    container = job.manifest()["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    config = json.loads(container["env"][0]["value"])
    assert config["profile_uri"] == (
        "s3://acme-churnk-prod-artifacts-eu-west-1/models/churn-classifier/reference/profile.json"
    )


def test_an_s3_compatible_store_keeps_models_data_and_state_under_the_stacks_prefix(
    tmp_path: Path,
) -> None:
    def change(data: dict[str, Any]) -> None:
        data["system"]["kubernetes"]["object_store"] = {
            "kind": "s3_compatible",
            "endpoint": "http://minio.storage:9000",
            "bucket": "ml-store",
            "credentials_secret_name": "minio-credentials",
        }

    loop = _loop("prod", _spec_file(tmp_path, change))
    config = loop.controller.config
    assert config.store.uri == "s3://ml-store/churnk-prod/loop/"
    assert (config.store.endpoint_url, config.store.kms_key_id) == (
        "http://minio.storage:9000",
        None,
    )
    (job,) = loop.jobs
    assert job.channels == (
        ("customer-events", "s3://ml-store/churnk-prod/data/customer-events/events/"),
    )
    assert job.credentials_secret == "minio-credentials"
    assert dict(job.env)["AWS_ENDPOINT_URL_S3"] == "http://minio.storage:9000"
    deployment = loop.controller.deployment()
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["envFrom"] == [{"secretRef": {"name": "minio-credentials"}}]
    assert (
        _finish(loop).artifacts_uri == "s3://ml-store/churnk-prod/models/churn-classifier/training/"
    )
    assert harness.errors(_rendered(loop)) == []


def test_gpu_training_runs_on_the_gpu_pool_with_the_spot_pools_capacity(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["system"]["kubernetes"]["node_pools"]["gpu"] = {
            "node_selector": {"nvidia.com/gpu.present": "true"},
            "tolerations": [
                {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
            ],
        }
        data["system"]["kubernetes"]["kueue_queue"] = "ml-training"
        data["models"][MODEL]["training"]["gpu"] = 1

    (job,) = _loop("prod", _spec_file(tmp_path, change)).jobs
    manifest = job.manifest()
    pod = manifest["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {
        "nvidia.com/gpu.present": "true",
        "karpenter.sh/capacity-type": "spot",
    }
    assert [t["key"] for t in pod["tolerations"]] == ["nvidia.com/gpu", "dedicated"]
    assert manifest["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "ml-training"
    assert manifest["spec"]["suspend"] is True
    train = next(c for c in pod["initContainers"] if c["name"] == "train")
    assert train["resources"]["limits"]["nvidia.com/gpu"] == "1"


def test_a_stack_whose_models_sagemaker_trains_has_no_loop(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        training = data["models"][MODEL]["training"]
        for key in ("platform", "cpu", "memory_gib"):
            training.pop(key)
        data["models"][MODEL]["monitors"]["feature-drift"]["action"] = "notify"
        data["models"][MODEL]["serving"]["model_version"] = {"pinned": 3}
        data["environments"]["dev"]["models"][MODEL]["serving"]["model_version"] = {"pinned": 3}

    path = _spec_file(tmp_path, change)
    plan = _plan("prod", path)
    assert plan.kubernetes is not None and plan.kubernetes.loop is None
    assert plan.models == (MODEL, "retention-offer")  # SageMaker trains both
    receivers = plan.kubernetes.monitoring.alertmanager.manifest()["spec"]["receivers"]
    assert not [r for r in receivers if "webhookConfigs" in r]
