"""``system.platform`` and the cluster profile: what validates, what is refused and where."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from mlops_spec.errors import Problem, SpecError
from mlops_spec.load import validate_file
from mlops_spec.models.kubernetes import ObjectStore
from tests.conftest import ROOT

SPEC = ROOT / "examples/churn-k8s/mlops.yaml"


def _spec() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(SPEC.read_text())
    return data


def _problems(tmp_path: Path, data: dict[str, Any], stack: str = "prod") -> list[Problem]:
    path = tmp_path / "mlops.yaml"
    with path.open("w") as handle:
        YAML().dump(data, handle)
    try:
        validate_file(path, stack)
    except SpecError as error:
        return list(error.problems)
    return []


def _at(problems: list[Problem], *loc: str | int) -> Problem:
    found = [p for p in problems if p.loc == loc]
    assert found, f"no problem at {loc}: {[(p.path, p.message) for p in problems]}"
    return found[0]


def _serving(data: dict[str, Any]) -> dict[str, Any]:
    serving: dict[str, Any] = data["models"]["churn-classifier"]["serving"]
    return serving


def test_kubernetes_needs_the_cluster_profile(tmp_path: Path) -> None:
    data = _spec()
    del data["system"]["kubernetes"]
    problem = _at(_problems(tmp_path, data), "system", "platform")
    assert "system.kubernetes" in problem.message
    assert problem.line is not None  # located at the platform line


def test_the_profile_on_aws_is_refused(tmp_path: Path) -> None:
    data = _spec()
    data["system"]["platform"] = "aws"
    del _serving(data)["cpu"], _serving(data)["memory_gib"]
    _serving(data)["model_version"] = "latest_approved"
    problem = _at(_problems(tmp_path, data), "system", "kubernetes")
    assert "platform kubernetes only" in problem.message


def test_instance_type_on_kubernetes_suggests_cpu(tmp_path: Path) -> None:
    data = _spec()
    _serving(data)["instance_type"] = "ml.c5.large"
    problem = _at(
        _problems(tmp_path, data), "models", "churn-classifier", "serving", "instance_type"
    )
    assert problem.suggestion == "cpu"
    assert "means nothing on Kubernetes" in problem.message


def test_pod_sizes_on_aws_suggest_instance_type(tmp_path: Path) -> None:
    data = _spec()
    data["system"]["platform"] = "aws"
    del data["system"]["kubernetes"]
    problems = _problems(tmp_path, data)
    for size in ("cpu", "memory_gib"):
        assert _at(problems, "models", "churn-classifier", "serving", size).suggestion == (
            "instance_type"
        )


def test_aws_channels_are_refused_on_kubernetes(tmp_path: Path) -> None:
    data = _spec()
    data["notifications"]["sns_topic_arns"] = ["arn:aws:sns:eu-west-1:123456789012:pager"]
    data["notifications"]["webhook_url_ssm_parameter"] = "/churn/webhook"
    problems = _problems(tmp_path, data)
    assert _at(problems, "notifications", "sns_topic_arns").suggestion == "emails"
    assert _at(problems, "notifications", "webhook_url_ssm_parameter").suggestion == (
        "system.kubernetes.alertmanager.webhook_secret"
    )


def _on_sagemaker(data: dict[str, Any], model: str = "churn-classifier") -> dict[str, Any]:
    """``model`` trained by SageMaker again (the example trains the classifier on the cluster)."""
    training = data["models"][model]["training"]
    for key in ("platform", "cpu", "memory_gib"):
        training.pop(key, None)
    training["instance_type"] = "ml.m5.xlarge"
    return training


def _on_cluster(data: dict[str, Any], model: str) -> dict[str, Any]:
    training: dict[str, Any] = data["models"][model]["training"]
    training.pop("instance_type", None)
    training.update(platform="kubernetes", cpu=1.0, memory_gib=2.0)
    return training


def test_kubernetes_training_on_an_aws_stack_is_refused(tmp_path: Path) -> None:
    data = _spec()
    data["system"]["platform"] = "aws"
    del data["system"]["kubernetes"]
    del _serving(data)["cpu"], _serving(data)["memory_gib"]
    problem = _at(_problems(tmp_path, data), "models", "churn-classifier", "training", "platform")
    assert "system.platform: kubernetes" in problem.message
    assert (problem.got, problem.allowed) == ("kubernetes", "sagemaker") and problem.line


def test_the_example_trains_follows_latest_and_retrains_on_the_cluster(tmp_path: Path) -> None:
    assert _problems(tmp_path, _spec(), "prod") == []
    assert _problems(tmp_path, _spec(), "dev") == []


def test_latest_approved_needs_a_model_the_cluster_trains(tmp_path: Path) -> None:
    data = _spec()
    _on_sagemaker(data)
    data["models"]["churn-classifier"]["monitors"]["feature-drift"]["action"] = "notify"
    problem = _at(
        _problems(tmp_path, data), "models", "churn-classifier", "serving", "model_version"
    )
    assert "cluster's own registry" in problem.message
    assert "training.platform: kubernetes" in problem.message
    assert (problem.got, problem.allowed) == ("latest_approved", "{pinned: N}")


def test_latest_approved_serverless_is_refused_even_when_the_cluster_trains(
    tmp_path: Path,
) -> None:
    data = _spec()
    _on_cluster(data, "retention-offer")
    data["models"]["retention-offer"]["serving"]["model_version"] = "latest_approved"
    problem = _at(
        _problems(tmp_path, data), "models", "retention-offer", "serving", "model_version"
    )
    assert "real-time tier's Rollouts only" in problem.message


def test_retrain_alerts_need_a_model_the_cluster_trains(tmp_path: Path) -> None:
    data = _spec()
    _on_sagemaker(data)
    _serving(data)["model_version"] = {"pinned": 3}
    problem = _at(
        _problems(tmp_path, data),
        "models",
        "churn-classifier",
        "monitors",
        "feature-drift",
        "action",
    )
    assert "set the model's training.platform: kubernetes, or action notify" in problem.message
    assert problem.got == "retrain"


@pytest.mark.parametrize(
    ("field", "value", "instead"),
    [
        ("instance_type", "ml.m5.xlarge", "cpu"),
        ("instance_count", 2, "cpu"),
        ("max_wait_minutes", 200, "max_runtime_minutes"),
        (
            "private_registry",
            {"subnets": ["subnet-0123456789abcdef0"], "security_groups": ["sg-0123456789abcdef0"]},
            "image",
        ),
    ],
)
def test_sagemaker_training_fields_are_refused_on_the_cluster(
    tmp_path: Path, field: str, value: Any, instead: str
) -> None:
    data = _spec()
    data["models"]["churn-classifier"]["training"][field] = value
    problem = _at(_problems(tmp_path, data), "models", "churn-classifier", "training", field)
    assert "means nothing on the cluster" in problem.message
    assert problem.suggestion == instead and problem.line is not None


def test_gpu_training_needs_a_gpu_pool(tmp_path: Path) -> None:
    data = _spec()
    data["models"]["churn-classifier"]["training"]["gpu"] = 1
    problem = _at(_problems(tmp_path, data), "models", "churn-classifier", "training", "gpu")
    assert "node_pools.gpu" in problem.message


def test_a_training_schedule_without_a_kubernetes_cron_is_refused(tmp_path: Path) -> None:
    data = _spec()
    data["models"]["churn-classifier"]["training"]["schedule"] = "cron(0 3 L * ? *)"
    problem = _at(_problems(tmp_path, data), "models", "churn-classifier", "training", "schedule")
    assert "no Kubernetes cron means the same" in problem.message


def test_gpu_needs_a_gpu_pool(tmp_path: Path) -> None:
    data = _spec()
    _serving(data)["gpu"] = 1
    problem = _at(_problems(tmp_path, data), "models", "churn-classifier", "serving", "gpu")
    assert "node_pools.gpu" in problem.message
    data["system"]["kubernetes"]["node_pools"]["gpu"] = {
        "node_selector": {"nvidia.com/gpu.present": "true"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    }
    assert not [p for p in _problems(tmp_path, data) if p.loc[-1:] == ("gpu",)]


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        ("rate(7 minutes)", "does not divide an hour"),
        ("rate(2 days)", "no cron equivalent"),
        ("cron(0 3 L * ? *)", "L and W"),
        ("cron(0 3 ? * 2#1 *)", "# and L"),
        ("cron(0 3 * * ? 2027)", "year"),
    ],
)
def test_schedules_without_a_kubernetes_cron_are_refused(
    tmp_path: Path, schedule: str, reason: str
) -> None:
    data = _spec()
    data["models"]["churn-classifier"]["monitors"]["feature-drift"]["schedule"] = schedule
    problem = _at(
        _problems(tmp_path, data),
        "models",
        "churn-classifier",
        "monitors",
        "feature-drift",
        "schedule",
    )
    assert reason in problem.message


def test_a_router_without_its_routes_is_refused(tmp_path: Path) -> None:
    data = _spec()
    data["system"]["kubernetes"]["traffic_router"] = "nginx"  # tests/k8s/test_routers.py
    problem = _at(_problems(tmp_path, data), "system", "kubernetes", "traffic_router")
    assert "set system.kubernetes.nginx with ingress_class, domain" in problem.message


def test_s3_compatible_needs_its_endpoint_bucket_and_secret() -> None:
    with pytest.raises(ValueError, match="endpoint, bucket, credentials_secret_name"):
        ObjectStore(kind="s3_compatible")
    with pytest.raises(ValueError, match="apply to kind s3_compatible only"):
        ObjectStore(kind="s3", endpoint="http://minio:9000")
    store = ObjectStore(
        kind="s3_compatible",
        endpoint="http://minio.storage:9000",
        bucket="ml-capture",
        credentials_secret_name="minio-credentials",
    )
    assert store.bucket == "ml-capture"


def test_an_s3_compatible_store_loads_from_a_spec_file(tmp_path: Path) -> None:
    # the Secret's *name* is a reference, not a secret: the loader's secret check lets it by
    data = _spec()
    data["system"]["kubernetes"]["object_store"] = {
        "kind": "s3_compatible",
        "endpoint": "http://minio.storage:9000",
        "bucket": "ml-capture",
        "credentials_secret_name": "minio-credentials",
    }
    problems = _problems(tmp_path, data)
    assert [p for p in problems if p.loc[:3] == ("system", "kubernetes", "object_store")] == []


def test_an_overlay_may_switch_the_platform(tmp_path: Path) -> None:
    data = _spec()
    base = copy.deepcopy(data)
    base["system"]["platform"] = "aws"
    profile = base["system"].pop("kubernetes")
    _on_sagemaker(base)
    base["models"]["churn-classifier"]["monitors"]["feature-drift"]["action"] = "notify"
    serving = _serving(base)
    sizes = {k: serving.pop(k) for k in ("cpu", "memory_gib")}
    serving["model_version"] = "latest_approved"
    base["environments"]["dev"]["system"] = {"platform": "kubernetes", "kubernetes": profile}
    dev = base["environments"]["dev"]["models"]["churn-classifier"]["serving"]
    dev.update(sizes, model_version={"pinned": 3})
    spot = profile["node_pools"].pop("spot")  # unused: SageMaker trains
    assert spot
    assert _problems(tmp_path, base, "prod") == []
    assert _problems(tmp_path, base, "dev") == []
    path = tmp_path / "mlops.yaml"
    prod, dev = (validate_file(path, s).stacks[s].plan for s in ("prod", "dev"))
    assert prod is not None and dev is not None
    assert prod.kubernetes is None and prod.serving  # SageMaker serves prod
    assert dev.kubernetes is not None and not dev.serving  # the cluster serves dev
