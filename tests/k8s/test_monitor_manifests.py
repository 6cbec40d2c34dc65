"""The monitoring objects of every example and the all-tiers spec, in every stack, checked by
the tools that define them: promtool (rule groups, lints fatal), the vendored CRDs (strict)
and kubernetes-validate, checkov; and every alert selects only series someone publishes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_runtime.contract import metrics as mm
from mlops_runtime.contract import prometheus as pm
from mlops_runtime.contract.config import MonitorConfig
from mlops_spec.plan.k8s import monitors_promql as q
from tests.k8s import checkov_scan, harness, prom, promql
from tests.k8s.monitor_support import CLUSTER, FULL_SPEC, k8s_plan, spec_cases

CASES = spec_cases()
IDS = [f"{p.parent.name if p.name == 'mlops.yaml' else p.stem}-{s}" for p, s in CASES]


@pytest.mark.parametrize(("path", "stack"), CASES, ids=IDS)
def test_every_rule_group_passes_promtool(path: Path, stack: str) -> None:
    _, plan = k8s_plan(path, stack)
    if not plan.rules:
        pytest.skip("no monitors")
    result = prom.check_rules(*(prom.rule_file(r.manifest()) for r in plan.rules))
    assert result.ok, result.output
    assert prom.rules_found(result) == len(plan.alerts)


@pytest.mark.parametrize(("path", "stack"), CASES, ids=IDS)
def test_every_manifest_validates_strictly(path: Path, stack: str) -> None:
    _, plan = k8s_plan(path, stack)
    assert harness.errors(plan.manifests()) == []


def test_a_misspelled_field_is_caught_by_the_strict_crd_schema() -> None:
    _, plan = k8s_plan(FULL_SPEC, "prod")
    rule = plan.rules[0].manifest()
    rule["spec"]["groups"][0]["rules"][0]["labelz"] = {}
    config = plan.alertmanager.manifest()
    config["spec"]["route"]["groupby"] = ["alertname"]
    assert len(harness.errors([rule, config])) == 2


def _job_series(config: str) -> set[str]:
    return {name for name, _ in mm.published(MonitorConfig.from_json(config), ())}


@pytest.mark.parametrize(("path", "stack"), CASES, ids=IDS)
def test_every_alert_selects_series_that_are_published(path: Path, stack: str) -> None:
    """A misspelled series is valid PromQL that never fires: every selected series is the
    proxy's, this model's job's, a third-party exporter's (``EXTERNAL_SERIES``) or the
    alerts' own ``ALERTS``."""
    aws, plan = k8s_plan(path, stack)
    jobs = {j.model: _job_series(j.config) for j in aws.monitoring.jobs}
    for alert in plan.alerts:
        allowed = (
            pm.published() | set(q.EXTERNAL_SERIES) | {"ALERTS"} | jobs.get(alert.model, set())
        )
        selected = promql.metric_names(alert.expr)
        assert selected, alert.name
        assert selected <= allowed, (alert.name, selected - allowed)


def test_job_alerts_read_series_of_the_models_own_job() -> None:
    aws, plan = k8s_plan(FULL_SPEC, "prod")
    (job,) = aws.monitoring.jobs
    config = json.loads(job.config)
    job_alerts = [a for a in plan.alerts if a.kind in ("data_drift", "bias", "model_quality")]
    assert {a.model for a in job_alerts} == {job.model}
    for alert in job_alerts:
        assert f'Model="{config["model_id"]}"' in alert.expr
        assert f'Environment="{config["environment"]}"' in alert.expr
        assert f'job="{config["namespace"]}"' in alert.expr


def test_alerts_are_named_like_the_alarms_and_labelled_for_routing() -> None:
    aws, plan = k8s_plan(FULL_SPEC, "prod")
    alarms = {a.name for a in aws.monitoring.alarms}
    health = {m.health.name for m in aws.monitoring.models if m.health}
    monitor_alerts = {a.name for a in plan.alerts if a.kind not in ("health", "staleness")}
    assert monitor_alerts == alarms
    assert {a.name for a in plan.alerts if a.kind == "health"} == health
    latency = plan.rule("rt").alert("latency").rule()
    assert latency["alert"] == "full-prod-rt-latency"
    assert latency["labels"] == {
        "namespace": "ml-shop",
        "mlops_model": "rt",
        "mlops_monitor": "latency",
        "mlops_action": "rollback",
        "severity": "critical",
    }
    manifest = plan.rule("rt").manifest()
    assert manifest["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert manifest["metadata"]["namespace"] == CLUSTER.namespace


def test_the_staleness_alert_exists_where_the_job_is_scheduled_only() -> None:
    _, prod = k8s_plan(FULL_SPEC, "prod")
    _, dev = k8s_plan(FULL_SPEC, "dev")  # schedules disabled: the CronJob is suspended
    assert [a.name for a in prod.alerts if a.kind == "staleness"] == ["full-prod-rt-monitor-stale"]
    assert [a for a in dev.alerts if a.kind == "staleness"] == []
    assert [c.manifest()["spec"]["suspend"] for c in prod.cronjobs] == [False]
    assert [c.manifest()["spec"]["suspend"] for c in dev.cronjobs] == [True]


def test_the_monitoring_cronjob_runs_the_unchanged_job_with_its_config() -> None:
    aws, plan = k8s_plan(FULL_SPEC, "prod")
    (cronjob,) = plan.cronjobs
    manifest = cronjob.manifest()
    assert manifest["metadata"]["name"] == "full-prod-rt-monitor"
    pod = manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == CLUSTER.runtime_image
    assert container["args"] == ["mlops_runtime.monitoring_job"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["MLOPS_RUNTIME_CONFIG"] == aws.monitoring.jobs[0].config
    assert env["MLOPS_PUSHGATEWAY_URL"] == CLUSTER.pushgateway_url
    assert pod["serviceAccountName"] == "shop-monitoring"


def test_the_monitoring_cronjob_passes_the_security_policy() -> None:
    _, plan = k8s_plan(FULL_SPEC, "prod")
    findings = checkov_scan.scan([c.manifest() for c in plan.cronjobs])
    assert findings, "checkov ran no check"
    assert checkov_scan.violations(findings) == []
