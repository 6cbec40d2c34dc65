"""The monitoring plan of a stack on Kubernetes: per model a ``PrometheusRule`` (one alert per
monitor, the health alert, the monitoring job's staleness alert) and the monitoring job's
``CronJob``; per stack the ``AlertmanagerConfig``. The AWS twin is
``mlops_spec.plan.monitoring``; the parity test holds the two to the same monitors, actions and
thresholds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlops_spec.models import ResolvedSpec
from mlops_spec.models.monitors import SCHEDULED_MONITOR_TYPES
from mlops_spec.models.serving import ServerlessServing
from mlops_spec.naming import Names
from mlops_spec.plan.k8s import monitors_promql as q
from mlops_spec.plan.k8s.alertmanager import AlertmanagerConfigPlan, plan_alertmanager
from mlops_spec.plan.k8s.monitoring_cronjob import (
    MonitoringCronJobPlan,
    plan_cronjob,
    staleness_alert,
)
from mlops_spec.plan.k8s.monitors import (
    AlertPlan,
    MonitorCluster,
    PrometheusRulePlan,
    build_alert,
    check_name,
    health_alert,
)
from mlops_spec.plan.policy import EnvironmentPolicy


@dataclass(frozen=True)
class MonitoringJobInput:
    """What the CronJob runs: the job's ``MonitorConfig`` (as the AWS job planner writes it,
    ``MonitoringJobPlan.config``) and its schedule as a 5-field cron."""

    config: str
    schedule: str


@dataclass(frozen=True)
class K8sMonitoringPlan:
    rules: tuple[PrometheusRulePlan, ...]
    alertmanager: AlertmanagerConfigPlan
    cronjobs: tuple[MonitoringCronJobPlan, ...]

    def rule(self, model: str) -> PrometheusRulePlan:
        return next(r for r in self.rules if r.model == model)

    @property
    def alerts(self) -> tuple[AlertPlan, ...]:
        return tuple(a for r in self.rules for a in r.alerts)

    @property
    def retrain_alerts(self) -> dict[str, str]:
        """Alert name -> model of every ``retrain`` alert (the controller's ``alerts``)."""
        return {a.name: a.model for a in self.alerts if a.action == "retrain"}

    def manifests(self) -> list[dict[str, Any]]:
        """Every object, in the order they may be created."""
        return [
            *(r.manifest() for r in self.rules),
            self.alertmanager.manifest(),
            *(c.manifest() for c in self.cronjobs),
        ]


def scope(
    names: Names,
    cluster: MonitorCluster,
    model: str,
    workload: str | None,
    serverless: bool = False,
) -> q.Scope:
    """Where a model's series are (``serverless``: a Knative Service's pods)."""
    return q.Scope(
        serverless=serverless,
        namespace=cluster.namespace,
        model=model,
        workload=workload or names.endpoint(model),
        container=cluster.model_container,
        job=names.metric_namespace(),
        environment=names.environment,
    )


def plan_k8s_monitoring(
    resolved: ResolvedSpec,
    names: Names,
    policy: EnvironmentPolicy,
    cluster: MonitorCluster,
    *,
    workloads: Mapping[str, str] | None = None,
    jobs: Mapping[str, MonitoringJobInput] | None = None,
) -> K8sMonitoringPlan:
    """``workloads``: model -> its Rollout's name (default ``Names.endpoint``); ``jobs``:
    model -> its monitoring job (models with job monitors the job measures)."""
    jobs = jobs or {}
    rules, cronjobs = [], []
    for model_id in sorted(resolved.spec.models):
        serving = resolved.spec.models[model_id].serving
        knative = isinstance(serving, ServerlessServing)
        where = scope(names, cluster, model_id, (workloads or {}).get(model_id), knative)
        job = jobs.get(model_id)
        rule = _rule(resolved, names, policy, cluster, where, job)
        if rule is not None:
            rules.append(rule)
        if job is not None:
            cronjobs.append(
                plan_cronjob(
                    name=names.monitoring_pipeline(model_id),
                    model=model_id,
                    cluster=cluster,
                    config=job.config,
                    schedule=job.schedule,
                    schedules_enabled=policy.schedules_enabled,
                )
            )
    alertmanager = plan_alertmanager(
        names.prefix,
        cluster,
        tuple(resolved.spec.notifications.emails),
        policy.alarm_actions_enabled,
    )
    return K8sMonitoringPlan(tuple(rules), alertmanager, tuple(cronjobs))


def _rule(
    resolved: ResolvedSpec,
    names: Names,
    policy: EnvironmentPolicy,
    cluster: MonitorCluster,
    where: q.Scope,
    job: MonitoringJobInput | None,
) -> PrometheusRulePlan | None:
    """A model's alerts: one per monitor, the health alert, and the staleness alert when its
    job runs on a schedule. None for a model without monitors."""
    model_id = where.model
    monitors = resolved.spec.models[model_id].monitors
    if not monitors:
        return None
    alerts = tuple(
        build_alert(
            model=model_id,
            monitor_id=monitor_id,
            monitor=monitor,
            name=names.alarm(model_id, monitor_id),
            scope=where,
        )
        for monitor_id, monitor in sorted(monitors.items())
    )
    extra = [health_alert(names.health_alarm(model_id), where, alerts)]
    scheduled = [m for m in monitors.values() if isinstance(m, SCHEDULED_MONITOR_TYPES)]
    if job is not None and scheduled and policy.schedules_enabled:
        period = max(m.period_seconds for m in scheduled)
        stale = f"{names.monitoring_pipeline(model_id)}-stale"
        extra.append(staleness_alert(stale, where, period))
    name = check_name(names.model_base(model_id), "PrometheusRule name")
    return PrometheusRulePlan(
        name=name,
        namespace=cluster.namespace,
        model=model_id,
        labels=cluster.rule_labels,
        alerts=(*alerts, *extra),
    )
