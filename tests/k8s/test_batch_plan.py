"""The batch tier on Kubernetes (``mlops_spec.plan.k8s.batch``), planned from the test spec
``tests/k8s/batch/mlops.yaml`` (a data-source input written to an output source, and a GPU model
scoring an s3:// prefix): one CronJob per batch model whose Job runs fetch-model, the model
server as a native sidecar and the driver; valid at 1.29 and 1.37, within checkov's policy, as
the components register it; and what a cluster cannot honour, refused where it is written."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from mlops_components.k8s.cluster import Cluster, ClusterArgs
from mlops_runtime.contract.batch_job import RUN_ENV, BatchJobConfig
from mlops_runtime.contract.config import ENV_VAR, MonitorConfig
from mlops_spec.errors import SpecError
from mlops_spec.load import validate_file
from mlops_spec.plan import DeploymentPlan
from tests.components.unit import ACCOUNT, KEY_ARN, build
from tests.k8s import harness
from tests.k8s.checkov_scan import scan, violations
from tests.k8s.manifests import clean

SPEC = Path(__file__).parent / "batch" / "mlops.yaml"


def _plan(stack: str, path: Path = SPEC) -> DeploymentPlan:
    plan = validate_file(path, stack).stacks[stack].plan
    assert plan is not None and plan.kubernetes is not None
    return plan


def _cronjobs(stack: str, suffix: str = "-batch") -> dict[str, dict[str, Any]]:
    cluster = _plan(stack).kubernetes
    assert cluster is not None
    return {
        m.name: m.body
        for m in cluster.all_manifests
        if m.kind == "CronJob" and m.name.endswith(suffix)
    }


def _pod(cronjob: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return spec


def _config(cronjob: dict[str, Any]) -> BatchJobConfig:
    (driver,) = _pod(cronjob)["containers"]
    env = {e["name"]: e.get("value") for e in driver["env"]}
    return BatchJobConfig.from_json(env[ENV_VAR])


def test_one_cronjob_per_batch_model_named_like_the_aws_pipeline() -> None:
    for stack in ("dev", "prod"):
        jobs = _cronjobs(stack)
        assert sorted(jobs) == [f"ltvk-{stack}-ltv-gpu-batch", f"ltvk-{stack}-ltv-scorer-batch"]
        assert all(len(name) <= 52 for name in jobs)
        assert harness.errors([copy.deepcopy(j) for j in jobs.values()]) == []


@pytest.mark.parametrize(("stack", "suspended"), [("dev", True), ("prod", False)])
def test_schedules_in_utc_paused_where_the_environment_pauses_them(
    stack: str, suspended: bool
) -> None:
    jobs = _cronjobs(stack)
    scorer, gpu = jobs[f"ltvk-{stack}-ltv-scorer-batch"], jobs[f"ltvk-{stack}-ltv-gpu-batch"]
    assert scorer["spec"]["schedule"] == "30 2 * * *"  # cron(30 2 * * ? *)
    assert gpu["spec"]["schedule"] == "0 */6 * * *"  # rate(6 hours)
    for job in (scorer, gpu):
        assert job["spec"]["timeZone"] == "Etc/UTC"
        assert job["spec"]["concurrencyPolicy"] == "Forbid"
        assert job["spec"]["suspend"] is suspended


def test_the_job_runs_fetch_model_then_the_model_as_a_native_sidecar_then_the_driver() -> None:
    job = _cronjobs("prod")["ltvk-prod-ltv-scorer-batch"]
    pod = _pod(job)
    fetch, model = pod["initContainers"]
    (driver,) = pod["containers"]
    assert (fetch["name"], model["name"], driver["name"]) == ("fetch-model", "model", "batch")
    assert "restartPolicy" not in fetch  # a plain init container: runs to completion first
    fetch_env = {e["name"]: e.get("value") for e in fetch["env"]}
    assert fetch_env["MLOPS_MODEL_PACKAGE_ARN"] == (
        "arn:aws:sagemaker:eu-west-1:${account}:model-package/ltvk-prod-ltv-scorer/5"
    )
    assert model["restartPolicy"] == "Always"  # native sidecar: stopped when the driver exits
    assert model["image"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ltv-train:2.1.0"
    assert model["args"] == ["serve"]
    assert model["startupProbe"]["httpGet"] == {"path": "/ping", "port": "model"}
    assert model["resources"] == {
        "requests": {"cpu": "2", "memory": "8Gi"},
        "limits": {"cpu": "2", "memory": "8Gi"},
    }
    assert driver["args"] == ["mlops_runtime.k8s.batch"]
    run = next(e for e in driver["env"] if e["name"] == RUN_ENV)
    assert run["valueFrom"]["fieldRef"]["fieldPath"] == (
        "metadata.labels['batch.kubernetes.io/job-name']"
    )
    assert pod["restartPolicy"] == "Never"
    assert pod["nodeSelector"] == {"workload": "ml"}
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == "ltv-models"


def test_job_limits_retries_and_the_kueue_queue() -> None:
    job = _cronjobs("prod")["ltvk-prod-ltv-scorer-batch"]["spec"]["jobTemplate"]
    spec = job["spec"]
    assert spec["backoffLimit"] == 2
    assert spec["activeDeadlineSeconds"] == 86400
    assert spec["ttlSecondsAfterFinished"] == 7 * 86400
    fail, ignore = spec["podFailurePolicy"]["rules"]
    assert fail["action"] == "FailJob" and fail["onExitCodes"]["values"] == [2]
    assert ignore["onPodConditions"] == [{"type": "DisruptionTarget", "status": "True"}]
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "ml-batch"
    assert spec["suspend"] is True  # Kueue admits it


def test_the_driver_reads_the_data_source_and_writes_where_batch_transform_writes() -> None:
    scorer = _config(_cronjobs("prod")["ltvk-prod-ltv-scorer-batch"])
    assert scorer.input_uri == "s3://acme-ltvk-prod-data-orders-eu-west-1/orders/"
    assert scorer.features == {
        "order_count_90d": "numeric",
        "basket_value": "numeric",
        "channel": "categorical",
    }
    assert scorer.format == "csv"
    assert scorer.output_uri == "s3://acme-ltvk-prod-data-ltv-scores-eu-west-1/scores/"
    assert (scorer.max_payload_mb, scorer.kms_key_id) == (4, "${key_arn}")
    gpu = _config(_cronjobs("prod")["ltvk-prod-ltv-gpu-batch"])
    assert (gpu.input_uri, gpu.features) == ("s3://acme-ltv-ready/orders/", None)
    assert gpu.output_uri == "s3://acme-ltvk-prod-reports-eu-west-1/batch/ltv-gpu/"


def test_a_gpu_model_asks_for_gpus_on_the_gpu_pool() -> None:
    pod = _pod(_cronjobs("prod")["ltvk-prod-ltv-gpu-batch"])
    model = pod["initContainers"][1]
    assert model["resources"]["limits"] == {"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1"}
    assert pod["nodeSelector"] == {"accelerator": "nvidia"}


def test_the_plan_says_it_needs_native_sidecars() -> None:
    cluster = _plan("prod").kubernetes
    assert cluster is not None
    assert any("native sidecar" in n and "1.29" in n for n in cluster.notes)
    assert any("LocalQueue ml-batch" in n for n in cluster.notes)


def test_a_batch_model_s_job_monitors_read_its_input_like_the_aws_job() -> None:
    for stack, suspended in (("dev", True), ("prod", False)):
        (job,) = _cronjobs(stack, "-monitor").values()
        assert job["metadata"]["name"] == f"ltvk-{stack}-ltv-scorer-monitor"
        assert (job["spec"]["schedule"], job["spec"]["suspend"]) == ("0 0 * * *", suspended)
        (container,) = _pod(job)["containers"]
        config = MonitorConfig.from_json(
            next(e["value"] for e in container["env"] if e["name"] == ENV_VAR)
        )
        assert config.source == "batch"
        assert config.batch_input_uri == f"s3://acme-ltvk-{stack}-data-orders-eu-west-1/orders/"
        assert (config.batch_input_format, config.batch_input_header) == ("csv", True)
        cluster = _plan(stack).kubernetes
        assert cluster is not None
        rules = [m.body for m in cluster.all_manifests if m.kind == "PrometheusRule"]
        alerts = [r["alert"] for rule in rules for g in rule["spec"]["groups"] for r in g["rules"]]
        assert f"ltvk-{stack}-ltv-scorer-feature-drift" in alerts
        assert harness.errors([copy.deepcopy(job), *rules]) == []


def test_job_monitors_of_a_batch_model_need_the_aws_store(tmp_path: Path) -> None:
    data: dict[str, Any] = YAML(typ="safe").load(SPEC.read_text())
    data["system"]["kubernetes"]["object_store"] = {
        "kind": "s3_compatible",
        "endpoint": "http://minio.storage:9000",
        "bucket": "ml",
        "credentials_secret_name": "minio",
    }
    path = tmp_path / "mlops.yaml"
    with path.open("w") as handle:
        YAML().dump(data, handle)
    with pytest.raises(SpecError) as caught:
        validate_file(path, "prod")
    (line,) = [x for x in str(caught.value).splitlines() if "feature-drift" in x]
    assert "spec.models.ltv-scorer.monitors.feature-drift.type:" in line
    assert "s3_compatible" in line


def test_checkov_finds_nothing_against_the_policy() -> None:
    found = scan([*_cronjobs("prod").values(), *_cronjobs("prod", "-monitor").values()])
    assert {f.resource.split(".")[0] for f in found} == {"CronJob"}
    assert violations(found) == []


def test_the_components_register_the_cronjob_with_the_key_filled() -> None:
    plan = _plan("prod")
    assert plan.kubernetes is not None
    cluster = plan.kubernetes
    template = build(plan, lambda ctx: Cluster("cluster", ClusterArgs(cluster, ctx.refs)))
    registered = template.of_type("kubernetes:batch/v1:CronJob")
    names = sorted(r.inputs["metadata"]["name"] for r in registered)
    assert names == [
        "ltvk-prod-ltv-gpu-batch",
        "ltvk-prod-ltv-scorer-batch",
        "ltvk-prod-ltv-scorer-monitor",
    ]
    scorer = next(r for r in registered if r.inputs["metadata"]["name"].endswith("scorer-batch"))
    manifest = clean({"apiVersion": "batch/v1", "kind": "CronJob", **scorer.inputs})
    assert harness.errors([manifest]) == []
    config = _config(manifest)
    assert config.kms_key_id == KEY_ARN
    fetch = json.dumps(_pod(manifest)["initContainers"][0])
    assert f":{ACCOUNT}:model-package/ltvk-prod-ltv-scorer/5" in fetch


def _refused(tmp_path: Path, edit: Any) -> str:
    data: dict[str, Any] = YAML(typ="safe").load(SPEC.read_text())
    edit(data["models"]["ltv-scorer"])
    path = tmp_path / "mlops.yaml"
    with path.open("w") as handle:
        YAML().dump(data, handle)
    with pytest.raises(SpecError) as caught:
        validate_file(path, "prod")
    return str(caught.value)


@pytest.mark.parametrize(
    ("edit", "where", "says"),
    [
        (
            lambda m: m["serving"].update(instance_type="ml.m5.2xlarge"),
            "spec.models.ltv-scorer.serving.instance_type",
            "did you mean 'cpu'",
        ),
        (
            lambda m: m["serving"].update(instance_count=3),
            "spec.models.ltv-scorer.serving.instance_count",
            "one batch Job scores the whole input",
        ),
        (
            lambda m: m["serving"].update(model_version="latest_approved"),
            "spec.models.ltv-scorer.serving.model_version",
            "serves one pinned version",
        ),
        (
            lambda m: m["serving"].update(schedule="cron(0 3 L * ? *)"),
            "spec.models.ltv-scorer.serving.schedule",
            "no Kubernetes cron means the same",
        ),
    ],
)
def test_what_the_cluster_cannot_honour_is_refused_where_it_is_written(
    tmp_path: Path, edit: Any, where: str, says: str
) -> None:
    message = _refused(tmp_path, edit)
    line = next(x for x in message.splitlines() if where + ":" in x)
    assert says in line
    assert line.startswith(f"{tmp_path / 'mlops.yaml'}:")  # file:line:column


def test_a_long_model_id_is_refused_at_the_model(tmp_path: Path) -> None:
    data: dict[str, Any] = YAML(typ="safe").load(SPEC.read_text())
    data["system"]["id"] = "ltv-batch-ml"  # ltv-batch-ml-prod-<model>-batch: 56 characters
    data["models"]["a-batch-model-with-a-32-char-idx"] = data["models"].pop("ltv-gpu")
    path = tmp_path / "mlops.yaml"
    with path.open("w") as handle:
        YAML().dump(data, handle)
    with pytest.raises(SpecError) as caught:
        validate_file(path, "prod")
    (line,) = [x for x in str(caught.value).splitlines() if "over the limit of 52" in x]
    assert "spec.models.a-batch-model-with-a-32-char-idx:" in line
    assert "'ltv-batch-ml-prod-a-batch-model-with-a-32-char-idx-batch'" in line
