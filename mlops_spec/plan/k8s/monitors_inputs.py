"""What the monitors plan (``monitors_plan``) takes from a ``platform: kubernetes`` stack: the
cluster facts from ``system.kubernetes`` (``monitor_cluster``), and each real-time model's
monitoring job reading its proxy's capture (``capture_jobs``).

The job's configuration is the AWS job planner's (``mlops_spec.plan.monitoring_job``: the same
checks, thresholds, windows and reference profiles), reading the capture the mlops-proxy
writes (``capture_uri``, keyed ``<endpoint>/<variant>/...`` as SageMaker's), on the schedule
of the model's lead monitor converted to a 5-field cron (``mlops_spec.cron_k8s``; load-time
checks refuse what cannot be converted).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from mlops_spec.cron_k8s import to_kubernetes_cron
from mlops_spec.models import ResolvedSpec
from mlops_spec.models.kubernetes import KubernetesProfile
from mlops_spec.models.serving import RealtimeServing
from mlops_spec.naming import Names
from mlops_spec.plan.k8s.monitors import MonitorCluster
from mlops_spec.plan.k8s.monitors_plan import MonitoringJobInput
from mlops_spec.plan.metrics import VARIANT
from mlops_spec.plan.monitoring_job import (
    driver,
    monitor_checks,
    monitor_config,
    not_measured,
    scheduled_monitors,
)
from mlops_spec.plan.storage import StoragePlan


def monitor_cluster(
    profile: KubernetesProfile, *, controller_webhook_url: str | None = None
) -> MonitorCluster:
    """The monitors' cluster facts; ``controller_webhook_url``: the loop controller's
    ``/alerts`` (``mlops_spec.plan.k8s.controller.webhook_url``), None without one."""
    store = profile.object_store
    webhook = profile.alertmanager.webhook_secret
    return MonitorCluster(
        namespace=profile.namespace.name,
        rule_labels=tuple(sorted(profile.prometheus.rule_selector_labels.items())),
        alertmanager_labels=tuple(sorted(profile.alertmanager.config_selector_labels.items())),
        pushgateway_url=profile.pushgateway_url,
        runtime_image=profile.runtime_image,
        controller_webhook_url=controller_webhook_url,
        chat_webhook_secret=(webhook.name, webhook.key) if webhook else None,
        job_service_account=profile.service_account,
        job_env=(("AWS_ENDPOINT_URL_S3", store.endpoint),) if store.endpoint else (),
        store_credentials_secret=store.credentials_secret_name,
    )


def capture_jobs(
    resolved: ResolvedSpec,
    names: Names,
    storage: StoragePlan,
    capture_uri: str,
    workloads: Mapping[str, str],
    profile_uris: Mapping[str, str] | None = None,
) -> dict[str, MonitoringJobInput]:
    """Model -> its monitoring job, for every capturing real-time model (``workloads``: model
    -> its Rollout's name, the capture key's ``<endpoint>``) with scheduled monitors;
    ``profile_uris``: the reference profile of each model the cluster trains (where its
    training Job and the controller keep it)."""
    spec = resolved.spec
    jobs = {}
    for model_id in sorted(spec.models):
        model = spec.models[model_id]
        serving = model.serving
        if not isinstance(serving, RealtimeServing) or not serving.data_capture_percent:
            continue
        unmeasured = not_measured(spec, model_id, storage)
        scheduled = {
            k: m for k, m in scheduled_monitors(model.monitors).items() if k not in unmeasured
        }
        if not scheduled:
            continue
        _, lead = driver(scheduled)
        reading = {
            "endpoint_name": workloads[model_id],
            "capture_uri": capture_uri,
            "variants": (VARIANT,),  # the proxy's default variant_name
        }
        checks = monitor_checks(spec, model_id, storage, scheduled)
        config = monitor_config(spec, model_id, names, storage, lead, checks, reading)
        if profile_uris and model_id in profile_uris:
            config = dataclasses.replace(config, profile_uri=profile_uris[model_id])
        jobs[model_id] = MonitoringJobInput(config.to_json(), to_kubernetes_cron(lead.schedule))
    return jobs
