"""The job monitors on Kubernetes: the unchanged monitoring job
(``python -m mlops_runtime.monitoring_job``, the same ``MonitorConfig`` as on AWS) as a
``CronJob`` of the runtime image, pushing its gauges to the Pushgateway
(``$MLOPS_PUSHGATEWAY_URL``, ``mlops_runtime.k8s.pushgateway``) where each run replaces the
previous run's group; and the staleness alert on the group's ``push_time_seconds``.

The AWS job runs on ``ml.m5.xlarge`` (4 vCPUs, 16 GiB) for at most an hour; the pod asks for
``JOB_RESOURCES`` and is stopped after the same hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_runtime.contract import pushgateway as pg
from mlops_runtime.contract.config import ENV_VAR
from mlops_spec.plan.k8s import monitors_promql as q
from mlops_spec.plan.k8s.manifests import utc_cronjob
from mlops_spec.plan.k8s.monitors import AlertPlan, MonitorCluster, check_name

MAX_CRONJOB_NAME = 52
"""A CronJob's name is at most 52 characters (its Jobs append 11)."""
CONTAINER = "monitoring-job"
MODULE = "mlops_runtime.monitoring_job"
ACTIVE_DEADLINE_SECONDS = 3600
"""The AWS Processing job's ``MaxRuntimeInSeconds``."""
JOB_RESOURCES = {"requests": {"cpu": "1", "memory": "8Gi"}, "limits": {"memory": "8Gi"}}
RUN_AS_USER = 10001
"""The runtime image's user (docker/runtime.Dockerfile)."""
STALENESS = "monitoring_job"
"""``mlops_monitor`` of the staleness alert (never a monitor id: ids have no underscore)."""


@dataclass(frozen=True)
class MonitoringCronJobPlan:
    """A model's monitoring job as a CronJob."""

    name: str
    namespace: str
    model: str
    schedule: str
    """5-field cron, UTC (the job's EventBridge schedule converted)."""
    suspend: bool
    """Schedules are disabled in this environment (paused, like the AWS schedule)."""
    image: str
    config: str
    """The job's ``MonitorConfig`` JSON (``MLOPS_RUNTIME_CONFIG``)."""
    pushgateway_url: str
    service_account: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    credentials_secret: str | None = None
    """Secret whose keys become environment variables (the object store's credentials)."""

    def manifest(self) -> dict[str, Any]:
        labels = {"app.kubernetes.io/name": self.name, "app.kubernetes.io/managed-by": "mlops-spec"}
        job = {
            # Exit 2 (bad input) and 3 (corrupt data) do not heal on a retry.
            "backoffLimit": 0,
            "activeDeadlineSeconds": ACTIVE_DEADLINE_SECONDS,
            "ttlSecondsAfterFinished": 86400,
        }
        return utc_cronjob(
            self.name,
            self.namespace,
            labels,
            schedule=self.schedule,
            suspend=self.suspend,
            job=job,
            pod=self._pod(),
        )

    def _pod(self) -> dict[str, Any]:
        pod: dict[str, Any] = {
            "restartPolicy": "Never",
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": RUN_AS_USER,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [self._container()],
            "volumes": [{"name": "tmp", "emptyDir": {}}],
        }
        if self.service_account:
            pod["serviceAccountName"] = self.service_account
        # The job calls no Kubernetes API.
        pod["automountServiceAccountToken"] = False
        return pod

    def _container(self) -> dict[str, Any]:
        env = [
            {"name": ENV_VAR, "value": self.config},
            {"name": pg.URL_ENV, "value": self.pushgateway_url},
            *({"name": k, "value": v} for k, v in self.env),
        ]
        container: dict[str, Any] = {
            "name": CONTAINER,
            "image": self.image,
            "args": [MODULE],
            "env": env,
            "resources": JOB_RESOURCES,
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "capabilities": {"drop": ["ALL"]},
            },
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }
        if self.credentials_secret:
            container["envFrom"] = [{"secretRef": {"name": self.credentials_secret}}]
        return container


def plan_cronjob(
    *,
    name: str,
    model: str,
    cluster: MonitorCluster,
    config: str,
    schedule: str,
    schedules_enabled: bool,
) -> MonitoringCronJobPlan:
    """The monitoring CronJob of ``model``; ``name``: ``Names.monitoring_pipeline(model)``."""
    return MonitoringCronJobPlan(
        name=check_name(name, "monitoring CronJob name", MAX_CRONJOB_NAME),
        namespace=cluster.namespace,
        model=model,
        schedule=schedule,
        suspend=not schedules_enabled,
        image=cluster.runtime_image,
        config=config,
        pushgateway_url=cluster.pushgateway_url,
        service_account=cluster.job_service_account,
        env=cluster.job_env,
        credentials_secret=cluster.store_credentials_secret,
    )


def staleness_alert(name: str, scope: q.Scope, period_seconds: int) -> AlertPlan:
    """Fires when the job has not pushed for two of its periods, or has never pushed within
    one period of the alert's start: the CronJob does not run, fails, or cannot reach the
    Pushgateway, so the job monitors see no data. ``period_seconds``: the longest alarm period
    of the job's monitors (each matches the schedule). Planned only where schedules run."""
    return AlertPlan(
        name=name,
        model=scope.model,
        monitor=STALENESS,
        kind="staleness",
        action="notify",
        expr=q.stale(scope, period_seconds),
        description=(
            f"{scope.model}: the monitoring job has pushed no metrics for "
            f"{2 * period_seconds // 3600} hours (or never): its drift, bias and quality "
            "monitors see no data"
        ),
        namespace=scope.namespace,
        bounds=((">", float(period_seconds)),),
        period_seconds=period_seconds,
        for_seconds=period_seconds,
    )
