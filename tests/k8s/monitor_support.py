"""Kubernetes monitoring plans of the test specs, and promtool input series built from
per-period increments, for the monitor tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlops_spec.load import resolve
from mlops_spec.models.monitors import Monitor
from mlops_spec.naming import Names
from mlops_spec.plan import DeploymentPlan, plan
from mlops_spec.plan.k8s import monitors_promql as q
from mlops_spec.plan.k8s import stack
from mlops_spec.plan.k8s.monitors import (
    AlertPlan,
    MonitorCluster,
    PrometheusRulePlan,
    build_alert,
    health_alert,
)
from mlops_spec.plan.k8s.monitors_plan import (
    K8sMonitoringPlan,
    MonitoringJobInput,
    plan_k8s_monitoring,
)
from tests.conftest import EXAMPLES, ROOT

FULL_SPEC = ROOT / "tests/components/specs/full.yaml"
NAMESPACE = "ml-shop"
CLUSTER = MonitorCluster(
    namespace=NAMESPACE,
    rule_labels=(("release", "kube-prometheus-stack"),),
    alertmanager_labels=(("alertmanagerConfig", "ml"),),
    pushgateway_url="http://prometheus-pushgateway.monitoring.svc:9091",
    runtime_image="registry.example/mlops-runtime:0.1.0",
    controller_webhook_url="http://shop-prod-controller.ml-shop.svc:8080/alertmanager",
    chat_webhook_secret=("ml-alerts", "slack-webhook-url"),
    job_service_account="shop-monitoring",
)
SCHEDULE = "0 3 * * *"
"""The monitoring CronJob's schedule in these tests (the conversion of the spec's EventBridge
expression is the serving planner's)."""
SCOPE = q.Scope(
    namespace=NAMESPACE,
    model="churn",
    workload="shop-prod-churn",
    container="model",
    job="MLOps/shop",
    environment="prod",
)


def names_of(aws: DeploymentPlan) -> Names:
    spec_region = aws.region
    return Names(aws.system, aws.environment, spec_region)


def k8s_plan(
    path: Path, stack: str, cluster: MonitorCluster = CLUSTER
) -> tuple[DeploymentPlan, K8sMonitoringPlan]:
    """The AWS plan of a spec's stack and its Kubernetes monitoring plan (the jobs' configs
    from the AWS job planner, as the Kubernetes wiring takes them)."""
    resolved = resolve(path, stack)
    aws = plan(aws_twin(resolved))  # a kubernetes stack's monitors as AWS would alarm on them
    jobs = {j.model: MonitoringJobInput(j.config, SCHEDULE) for j in aws.monitoring.jobs}
    names = Names(
        resolved.spec.system.id,
        stack,
        resolved.spec.system.region,
        resolved.spec.system.bucket_namespace,
    )
    return aws, plan_k8s_monitoring(resolved, names, aws.policy, cluster, jobs=jobs)


aws_twin = stack.aws_twin
"""The same stack planned for AWS: what a Kubernetes stack's monitors are compared with."""


def stacks_of(path: Path) -> list[str]:
    from tests.plan.conftest import stacks_of as stacks

    return stacks(path)


def spec_cases() -> list[tuple[Path, str]]:
    """Every stack of the examples (those served on Kubernetes too, through their AWS twin)
    and of the all-tiers spec."""
    return [(path, stack) for path in [*EXAMPLES, FULL_SPEC] for stack in stacks_of(path)]


def alert(monitor: Monitor, monitor_id: str = "m", scope: q.Scope = SCOPE) -> AlertPlan:
    """One monitor's alert, named ``<model>-<monitor id>``."""
    return build_alert(
        model=scope.model,
        monitor_id=monitor_id,
        monitor=monitor,
        name=f"{scope.model}-{monitor_id}",
        scope=scope,
    )


def rule_file(*alerts: AlertPlan, health: bool = False) -> dict[str, Any]:
    """A rule file holding ``alerts`` (and their health alert)."""
    extra = (health_alert(f"{SCOPE.model}-health", SCOPE, alerts),) if health else ()
    rule = PrometheusRulePlan("churn", NAMESPACE, SCOPE.model, (), (*alerts, *extra))
    return {"groups": rule.manifest()["spec"]["groups"]}


def counter(increments: list[float], start: float = 0.0) -> str:
    """promtool values of a counter: ``start``, then one increment per sample."""
    values, total = [start], start
    for step in increments:
        total += step
        values.append(total)
    return " ".join(f"{v:g}" for v in values)


def gauge(values: list[float | None]) -> str:
    """promtool values of a gauge, ``_`` where there is no sample."""
    return " ".join("_" if v is None else f"{v:g}" for v in values)


def selector(name: str, **labels: str) -> str:
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def proxy(name: str, **labels: str) -> str:
    """A proxy series of SCOPE's model, as Prometheus stores it after the scrape."""
    return selector(
        name,
        namespace=NAMESPACE,
        mlops_model=SCOPE.model,
        pod="shop-prod-churn-7d9f8-abcde",
        **labels,
    )


def pushed(name: str, **labels: str) -> str:
    """A job series of SCOPE's model as scraped from the Pushgateway (honor_labels)."""
    return selector(name, job="MLOps/shop", Model=SCOPE.model, Environment="prod", **labels)


def firing(alert: AlertPlan) -> dict[str, Any]:
    """promtool's expectation of ``alert`` firing (its labels and annotations)."""
    rule = alert.rule()
    return {"exp_labels": rule["labels"], "exp_annotations": rule["annotations"]}


def expect(alert: AlertPlan, schedule: dict[str, bool]) -> list[dict[str, Any]]:
    """``alert_rule_test`` entries: eval time -> whether the alert fires then."""
    return [
        {"eval_time": at, "alertname": alert.name, "exp_alerts": [firing(alert)] if fires else []}
        for at, fires in schedule.items()
    ]
