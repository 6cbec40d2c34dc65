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


def test_kubernetes_training_points_at_issue_13(tmp_path: Path) -> None:
    data = _spec()
    data["system"]["platform"] = "aws"
    del data["system"]["kubernetes"]
    del _serving(data)["cpu"], _serving(data)["memory_gib"]
    training = data["models"]["churn-classifier"]["training"]
    training.update(platform="kubernetes", cpu=2.0, memory_gib=4.0)
    problem = _at(_problems(tmp_path, data), "models", "churn-classifier", "training", "platform")
    assert "issue 13" in problem.message


def test_latest_approved_needs_the_controller(tmp_path: Path) -> None:
    data = _spec()
    _serving(data)["model_version"] = "latest_approved"
    problem = _at(
        _problems(tmp_path, data), "models", "churn-classifier", "serving", "model_version"
    )
    assert "issue 13" in problem.message


def test_retrain_alerts_need_the_controller(tmp_path: Path) -> None:
    data = _spec()
    data["models"]["churn-classifier"]["monitors"]["feature-drift"]["action"] = "retrain"
    problem = _at(
        _problems(tmp_path, data),
        "models",
        "churn-classifier",
        "monitors",
        "feature-drift",
        "action",
    )
    assert "issue 13" in problem.message


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


def test_routers_not_built_are_refused(tmp_path: Path) -> None:
    data = _spec()
    data["system"]["kubernetes"]["traffic_router"] = "istio"
    problem = _at(_problems(tmp_path, data), "system", "kubernetes", "traffic_router")
    assert problem.allowed == "none"


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
    serving = _serving(base)
    sizes = {k: serving.pop(k) for k in ("cpu", "memory_gib")}
    serving["model_version"] = "latest_approved"
    base["environments"]["dev"]["system"] = {"platform": "kubernetes", "kubernetes": profile}
    dev = base["environments"]["dev"]["models"]["churn-classifier"]["serving"]
    dev.update(sizes, model_version={"pinned": 3})
    assert _problems(tmp_path, base, "prod") == []
    assert _problems(tmp_path, base, "dev") == []
    path = tmp_path / "mlops.yaml"
    prod, dev = (validate_file(path, s).stacks[s].plan for s in ("prod", "dev"))
    assert prod is not None and dev is not None
    assert prod.kubernetes is None and prod.serving  # SageMaker serves prod
    assert dev.kubernetes is not None and not dev.serving  # the cluster serves dev
