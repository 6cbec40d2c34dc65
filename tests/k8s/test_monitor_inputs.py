"""The monitors of the Kubernetes example (``examples/churn-k8s/mlops.yaml``): the cluster
facts read from ``system.kubernetes``, the monitoring job reading the proxy's capture on the
converted schedule, and every object checked by the tools that define it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_spec.load import resolve
from mlops_spec.models.kubernetes import ObjectStore
from mlops_spec.naming import Names
from mlops_spec.plan import plan
from mlops_spec.plan.k8s.monitors_inputs import capture_jobs, monitor_cluster
from mlops_spec.plan.k8s.monitors_plan import K8sMonitoringPlan, plan_k8s_monitoring
from tests.k8s import checkov_scan, harness, prom
from tests.k8s.monitor_support import ROOT

SPEC = ROOT / "examples/churn-k8s/mlops.yaml"
MODEL = "churn-classifier"
CONTROLLER = "http://churnk-prod-controller.churn-ml.svc:8080/alerts"


def monitors(path: Path, stack: str) -> K8sMonitoringPlan:
    resolved = resolve(path, stack)
    aws = plan(resolved)
    system = resolved.spec.system
    assert system.kubernetes is not None
    names = Names(system.id, stack, system.region, system.bucket_namespace)
    capture = f"s3://acme-churnk-{stack}-capture-eu-west-1/endpoints"
    jobs = capture_jobs(resolved, names, aws.storage, capture, {MODEL: names.endpoint(MODEL)})
    cluster = monitor_cluster(system.kubernetes, controller_webhook_url=CONTROLLER)
    return plan_k8s_monitoring(resolved, names, aws.policy, cluster, jobs=jobs)


@pytest.fixture(scope="module")
def prod() -> K8sMonitoringPlan:
    return monitors(SPEC, "prod")


def test_the_cluster_facts_come_from_the_profile(prod: K8sMonitoringPlan) -> None:
    rule = prod.rule(MODEL).manifest()
    assert rule["metadata"]["namespace"] == "churn-ml"
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    config = prod.alertmanager.manifest()
    assert config["metadata"]["labels"]["alertmanagerConfig"] == "ml"
    people = next(r for r in config["spec"]["receivers"] if r["name"] == "people")
    assert people["slackConfigs"][0]["apiURL"] == {"name": "ml-alerts", "key": "slack-webhook-url"}
    assert [e["to"] for e in people["emailConfigs"]] == ["ml-oncall@example.com"]
    controller = next(r for r in config["spec"]["receivers"] if r["name"] == "controller")
    assert controller["webhookConfigs"][0]["url"] == CONTROLLER


def test_the_job_reads_the_proxys_capture_on_the_converted_schedule(
    prod: K8sMonitoringPlan,
) -> None:
    (cronjob,) = prod.cronjobs
    assert cronjob.schedule == "0 0 * * *"  # rate(1 day)
    config = json.loads(cronjob.config)
    assert config["endpoint_name"] == "churnk-prod-churn-classifier"
    assert config["capture_uri"] == "s3://acme-churnk-prod-capture-eu-west-1/endpoints"
    assert config["variants"] == ["AllTraffic"]
    assert config["data_drift"] is True
    assert sorted(config["methods"]) == [
        "contract",
        "monthly_charges",
        "payment_method",
        "tenure_months",
    ]
    env = {
        e["name"]: e
        for e in cronjob.manifest()["spec"]["jobTemplate"]["spec"]["template"]["spec"][
            "containers"
        ][0]["env"]
    }
    assert (
        env["MLOPS_PUSHGATEWAY_URL"]["value"] == "http://prometheus-pushgateway.monitoring.svc:9091"
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_object_passes_the_tools(stack: str) -> None:
    plan_ = monitors(SPEC, stack)
    assert harness.errors(plan_.manifests()) == []
    result = prom.check_rules(*(prom.rule_file(r.manifest()) for r in plan_.rules))
    assert result.ok, result.output
    assert prom.rules_found(result) == len(plan_.alerts)
    findings = checkov_scan.scan([c.manifest() for c in plan_.cronjobs])
    assert checkov_scan.violations(findings) == []


def test_an_s3_compatible_store_gives_the_job_its_endpoint_and_credentials() -> None:
    resolved = resolve(SPEC, "prod")
    profile = resolved.spec.system.kubernetes
    assert profile is not None
    store = ObjectStore(
        kind="s3_compatible",
        endpoint="http://minio.storage:9000",
        bucket="ml-data",
        credentials_secret_name="minio-keys",
    )
    cluster = monitor_cluster(profile.model_copy(update={"object_store": store}))
    assert cluster.job_env == (("AWS_ENDPOINT_URL_S3", "http://minio.storage:9000"),)
    names = Names("churnk", "prod", "eu-west-1", "acme")
    jobs = capture_jobs(
        resolved,
        names,
        plan(resolved).storage,
        "s3://ml-data/churnk-prod/capture/endpoints",
        {MODEL: names.endpoint(MODEL)},
    )
    (cronjob,) = plan_k8s_monitoring(
        resolved, names, plan(resolved).policy, cluster, jobs=jobs
    ).cronjobs
    manifest = cronjob.manifest()
    (container,) = manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert {"name": "AWS_ENDPOINT_URL_S3", "value": "http://minio.storage:9000"} in container["env"]
    assert container["envFrom"] == [{"secretRef": {"name": "minio-keys"}}]
    assert json.loads(cronjob.config)["capture_uri"] == "s3://ml-data/churnk-prod/capture/endpoints"
    assert harness.errors([manifest]) == []
