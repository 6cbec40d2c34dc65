"""The batch tier on Kubernetes: a ``CronJob`` whose Job is one batch transform run.

```
fetch-model (init, runtime image)   ->  /opt/ml/model  (the pinned package, as SageMaker)
model       (init, restartPolicy: Always = a native sidecar; the model's image, `serve`,
             :8080 /ping /invocations; startupProbe /ping; the spec's cpu/memory_gib/gpu)
batch       (runtime image, ``python -m mlops_runtime.k8s.batch``): lists the input, [prepares
             a data source's features], transforms every object against the sidecar, puts
             <output>/<run>/<relative path>.out where the AWS Transform step puts them; exits
```

When ``batch`` exits the pod completes and the kubelet stops the sidecar: a native sidecar
(an init container with ``restartPolicy: Always``) needs Kubernetes 1.29 or newer, where the
``SidecarContainers`` feature is beta and on by default. The schedule is the spec's, converted
to 5-field cron in UTC (``mlops_spec.cron_k8s``), suspended where the environment pauses
schedules. The Job: ``backoffLimit`` 2 (a retried pod writes the same run folder: ``<run>`` is
the Job's name), a bad configuration (exit 2) fails it at once, disruptions (spot, drains)
are not counted, at most a day, kept a week; a Kueue queue labels it and starts it suspended.
A NetworkPolicy (named like the CronJob) admits no ingress to its pods: the driver reaches the
sidecar over the pod's loopback, which no NetworkPolicy filters; egress stays open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

from mlops_runtime.contract.batch_job import RUN_ENV, BatchJobConfig
from mlops_runtime.contract.config import ENV_VAR
from mlops_spec.checks import model_features
from mlops_spec.cron_k8s import to_kubernetes_cron
from mlops_spec.models import ResolvedSpec
from mlops_spec.models.kubernetes import KubernetesProfile
from mlops_spec.models.serving import BatchServing, PinnedVersion
from mlops_spec.naming import Names
from mlops_spec.plan.documents import ACCOUNT, KEY_ARN, partition_of
from mlops_spec.plan.k8s import pod
from mlops_spec.plan.k8s.manifests import Manifest, utc_cronjob
from mlops_spec.plan.k8s.monitors_plan import MonitoringJobInput
from mlops_spec.plan.k8s.names import CRONJOB_NAME_LIMIT, KubernetesNames, checked
from mlops_spec.plan.k8s.training import JOB_NAME_LABEL, KUEUE_LABEL, deny_ingress, hardened
from mlops_spec.plan.monitoring_job import plan_job
from mlops_spec.plan.policy import environment_policy
from mlops_spec.plan.serving import batch_output, plan_serving
from mlops_spec.plan.storage import StoragePlan

CONTAINER = "batch"
MODULE = "mlops_runtime.k8s.batch"
DEFAULT_CPU = 2.0
DEFAULT_MEMORY_GIB = 4.0
"""The model server's size when the spec sets none (``BatchServing.cpu``, ``memory_gib``)."""
BACKOFF_LIMIT = 2
ACTIVE_DEADLINE_SECONDS = 86400
"""A run is stopped after a day (the AWS Transform step sets no limit; a run that long would
hold every later start back: the CronJob never runs two at once)."""
TTL_SECONDS = 7 * 86400
"""Finished Jobs (and their pods' logs) are kept a week."""
PING_DEADLINE_SECONDS = 600
"""How long the model server may take to answer /ping (the startup probe and the driver)."""
PROBE_PERIOD_SECONDS = 5
EXIT_CONFIG = 2
"""The driver's exit status for a bad configuration: retrying cannot help."""
DRIVER_RESOURCES = {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}
"""The driver streams objects through /tmp; preparing a data source reads 200,000 rows at a
time (``mlops_runtime.jobs.batch_features``)."""
NATIVE_SIDECAR_NOTE = (
    "the batch CronJob runs the model server as a native sidecar (an init container with "
    "restartPolicy: Always), which needs Kubernetes 1.29 or newer (SidecarContainers, on by "
    "default since 1.29); on older clusters the Job never completes"
)


@dataclass(frozen=True)
class BatchInputs:
    """What one batch model's CronJob is planned from."""

    model: str
    serving: BatchServing
    profile: KubernetesProfile
    names: KubernetesNames
    name: str
    """The CronJob: ``Names.batch_pipeline`` (the AWS pipeline's name), at most 52 characters."""
    image: str
    package_arn: str
    region: str
    config: BatchJobConfig
    schedule: str
    suspend: bool


def plan_batch_model(
    resolved: ResolvedSpec,
    names: Names,
    knames: KubernetesNames,
    storage: StoragePlan,
    partition: str,
    model_id: str,
) -> tuple[Manifest, ...]:
    """The CronJob of batch model ``model_id`` (``plan.k8s.plan._model`` dispatches here)."""
    spec = resolved.spec
    model, profile = spec.models[model_id], spec.system.kubernetes
    serving = model.serving
    assert isinstance(serving, BatchServing) and profile is not None
    assert isinstance(serving.model_version, PinnedVersion)  # latest_approved: checks_k8s
    group = names.model_package_group(model_id)
    inputs = BatchInputs(
        model=model_id,
        serving=serving,
        profile=profile,
        names=knames,
        name=checked(names.batch_pipeline(model_id), ("models", model_id), CRONJOB_NAME_LIMIT),
        image=model.training.image,
        package_arn=f"arn:{partition}:sagemaker:{spec.system.region}:{ACCOUNT}:model-package/"
        f"{group}/{serving.model_version.pinned}",
        region=spec.system.region,
        config=driver_config(resolved, storage, model_id),
        schedule=to_kubernetes_cron(serving.schedule),
        suspend=not environment_policy(resolved).schedules_enabled,
    )
    return (plan_batch(inputs), network_policy(inputs))


def network_policy(inputs: BatchInputs) -> Manifest:
    """No ingress to the batch Job's pods (the model server sidecar's 8080 included)."""
    labels = inputs.names.labels(inputs.model, "batch")
    selector = {k: labels[k] for k in ("app.kubernetes.io/name", "app.kubernetes.io/component")}
    body = deny_ingress(inputs.name, inputs.names.namespace, selector)
    body["metadata"]["labels"] = labels
    return Manifest.of(body)


def driver_config(resolved: ResolvedSpec, storage: StoragePlan, model_id: str) -> BatchJobConfig:
    """The driver's configuration: the AWS batch pipeline's input, preparation and output."""
    spec = resolved.spec
    model = spec.models[model_id]
    serving = model.serving
    assert isinstance(serving, BatchServing)
    prepared: dict[str, Any] = {}
    if serving.input in spec.data_sources:  # the model gets its features only (PrepareFeatures)
        location = storage.location(serving.input)
        features = {name: str(kind) for name, kind in model_features(spec, model).items()}
        prepared = {"input_uri": location.uri, "features": features, "format": location.format}
    return BatchJobConfig(
        model_id=model_id,
        input_uri=prepared.pop("input_uri", serving.input),
        output_uri=batch_output(model_id, serving, storage),
        max_payload_mb=serving.max_payload_mb,
        ping_deadline_seconds=float(PING_DEADLINE_SECONDS),
        kms_key_id=KEY_ARN,
        **prepared,
    )


def plan_batch(inputs: BatchInputs) -> Manifest:
    """The CronJob (see the module doc)."""
    labels = inputs.names.labels(inputs.model, "batch")
    job: dict[str, Any] = {
        "backoffLimit": BACKOFF_LIMIT,
        "activeDeadlineSeconds": ACTIVE_DEADLINE_SECONDS,
        "ttlSecondsAfterFinished": TTL_SECONDS,
        "podFailurePolicy": {
            "rules": [
                {
                    "action": "FailJob",
                    "onExitCodes": {
                        "containerName": CONTAINER,
                        "operator": "In",
                        "values": [EXIT_CONFIG],
                    },
                },
                {
                    "action": "Ignore",
                    "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
                },
            ]
        },
    }
    queue = inputs.profile.kueue_queue
    if queue:
        job["suspend"] = True  # Kueue admits (unsuspends) it
    body = utc_cronjob(
        inputs.name,
        inputs.names.namespace,
        labels,
        schedule=inputs.schedule,
        suspend=inputs.suspend,
        job=job,
        pod=_pod(inputs),
    )
    if queue:
        body["spec"]["jobTemplate"]["metadata"]["labels"][KUEUE_LABEL] = queue
    return Manifest.of(body)


def sizes(serving: BatchServing) -> pod.PodSizes:
    """The model server's requests (= limits)."""
    return pod.PodSizes(
        cpu=serving.cpu if serving.cpu is not None else DEFAULT_CPU,
        memory_gib=serving.memory_gib if serving.memory_gib is not None else DEFAULT_MEMORY_GIB,
        gpu=serving.gpu,
    )


def _pod(inputs: BatchInputs) -> dict[str, Any]:
    profile = inputs.profile
    pool = profile.node_pools.gpu if inputs.serving.gpu else profile.node_pools.default
    assert pool is not None  # a GPU model without a GPU pool is refused at load time
    fetch = pod.fetch_container(profile, inputs.package_arn, inputs.region)
    template = pod.pod_template(
        {}, profile, [_driver(inputs)], [fetch, _model_sidecar(inputs)], pool
    )
    spec: dict[str, Any] = template["spec"]
    spec["restartPolicy"] = "Never"
    return spec


def _model_sidecar(inputs: BatchInputs) -> dict[str, Any]:
    """The model server, started before the driver and stopped after it."""
    container = pod.model_container(inputs.image, sizes(inputs.serving))
    del container["lifecycle"]  # no clients to drain: the driver has exited
    container["restartPolicy"] = "Always"
    container["startupProbe"] = {
        "httpGet": {"path": "/ping", "port": "model"},
        "periodSeconds": PROBE_PERIOD_SECONDS,
        "failureThreshold": PING_DEADLINE_SECONDS // PROBE_PERIOD_SECONDS,
    }
    return container


def _driver(inputs: BatchInputs) -> dict[str, Any]:
    return {
        "name": CONTAINER,
        "image": inputs.profile.runtime_image,
        "args": [MODULE],
        "env": [
            {"name": ENV_VAR, "value": inputs.config.to_json()},
            {"name": RUN_ENV, "valueFrom": {"fieldRef": {"fieldPath": JOB_NAME_LABEL}}},
            {"name": "AWS_DEFAULT_REGION", "value": inputs.region},
        ],
        "resources": DRIVER_RESOURCES,
        "securityContext": hardened(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }


def notes(resolved: ResolvedSpec, storage: StoragePlan) -> list[str]:
    """What the cluster and the service account's role need for the stack's batch models."""
    spec = resolved.spec
    batch = sorted(m for m, x in spec.models.items() if isinstance(x.serving, BatchServing))
    if not batch:
        return []
    found = [f"models.{batch[0]}.serving: {NATIVE_SIDECAR_NOTE}"]
    queue = spec.system.kubernetes.kueue_queue if spec.system.kubernetes else None
    if queue:
        found.append(
            f"system.kubernetes.kueue_queue: the batch Jobs start suspended in LocalQueue "
            f"{queue}: Kueue must manage batch/v1 Jobs and the queue must exist in the "
            "namespace, else no run ever starts"
        )
    for model_id in batch:
        config = driver_config(resolved, storage, model_id)
        found.append(
            f"models.{model_id}.serving: its batch Job reads {config.input_uri} and writes "
            f"under {config.output_uri} with the service account's role (s3:ListBucket, "
            "s3:GetObject, s3:PutObject, s3:DeleteObject to remove a failed run's outputs; "
            "kms:GenerateDataKey and kms:Decrypt with the system key)"
        )
    return found


def is_batch(serving: object) -> TypeGuard[BatchServing]:
    """A batch model (``plan.k8s.plan._model`` dispatches it here)."""
    return isinstance(serving, BatchServing)


def monitoring_jobs(
    resolved: ResolvedSpec, names: Names, storage: StoragePlan
) -> dict[str, MonitoringJobInput]:
    """Model -> its monitoring job, for every batch model with measured scheduled monitors:
    exactly the AWS job's configuration (``plan_job`` on the AWS batch plan of the model),
    which reads the batch input and (prediction drift, bias) the outputs the driver writes at
    the AWS layout; its schedule as 5-field cron."""
    spec = resolved.spec
    policy = environment_policy(resolved)
    partition = partition_of(spec.system.region)
    jobs = {}
    for model_id in sorted(spec.models):
        if not is_batch(spec.models[model_id].serving):
            continue
        serving = plan_serving(model_id, resolved, names, policy, storage, partition)
        job = plan_job(model_id, resolved, names, policy, storage, serving, partition)
        if job is not None:
            schedule = to_kubernetes_cron(job.schedule.expression)
            jobs[model_id] = MonitoringJobInput(job.config, schedule)
    return jobs
