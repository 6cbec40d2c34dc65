"""Training on Kubernetes (issue 13): the training Job template and the schedule CronJob.

One ``batch/v1`` Job per run, created only by the controller's trigger from the template this
module renders into a ConfigMap (``job.json``). Its pod runs, in order:

1. ``lineage-inputs`` (init, runtime image, ``mlops_runtime.k8s.lineage``; with a lineage
   record): every object of each channel and the holdout at its current version, the image as
   pinned (the AWS pipeline's Inputs step), to ``/opt/ml/lineage/inputs.json``;
2. ``fetch-inputs`` (init, runtime image, ``mlops_runtime.k8s.fetch``): every input channel
   into ``/opt/ml/input/data/<channel>``, the hyperparameters into
   ``/opt/ml/input/config/hyperparameters.json`` (SageMaker's training layout);
3. ``train`` (init, the spec's image, argument ``train``, ``SAGEMAKER_PROGRAM``): the user's
   training with the spec's ``cpu`` / ``memory_gib`` / ``gpu``, writing ``/opt/ml/model``;
4. ``model`` (with a gate: a native sidecar, an init container with ``restartPolicy:
   Always``): the candidate's own model server, the spec's image with argument ``serve`` (the
   SageMaker serving contract on port 8080), ``/opt/ml`` mounted read-only, the training
   container's resources (the hardware the model was trained on, GPU included: the training
   container has exited, so the pod asks for them once), started when ``/ping`` answers;
5. ``register`` (runtime image, ``mlops_runtime.k8s.finish``): uploads the model, scores the
   holdout against ``http://127.0.0.1:8080``, evaluates, applies the gate, profiles, records
   the lineage and registers the version; when it exits the kubelet stops the sidecar and the
   Job completes.

Spot evictions and other disruptions (pod condition ``DisruptionTarget``) do not count
towards ``backoffLimit`` (``podFailurePolicy``); ``activeDeadlineSeconds`` is the spec's
``max_runtime_minutes``; finished Jobs are removed after ``ttlSecondsAfterFinished``; with a
Kueue queue the Job carries its queue label and starts suspended for Kueue to admit.

A schedule is a ``CronJob`` that asks the controller to start a run (``POST /schedule``), so
cooldown and the daily cap apply to scheduled runs as on AWS.

A NetworkPolicy per template admits no ingress to the run's pods (``network_policy``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from mlops_runtime.contract.config import ENV_VAR
from mlops_spec.plan.k8s.manifests import utc_cronjob
from mlops_spec.plan.k8s.monitors import check_name

MAX_JOB_TEMPLATE_NAME = 52
"""A run's Job is ``<template name>-<10 hex>``: Job names are at most 63 characters."""
MAX_CRONJOB_NAME = 52
RUN_AS_USER = 10001
"""The runtime image's user; the training image must run as a non-root user too."""
OPT_ML = "/opt/ml"
TTL_SECONDS = 7 * 86400
"""Finished Jobs (and their pods' logs) are kept a week."""
SERVE_PORT = 8080
"""SageMaker's serving contract: the model server listens on 8080 (``/ping``, ``/invocations``)."""
SERVER_START_SECONDS = 600
"""How long the model server may take to answer ``/ping`` before the pod fails (startupProbe:
every 5 s, 120 failures)."""
FINAL_EXIT_CODES = (2, 3)
"""``register``'s exits that fail the Job at once (``podFailurePolicy``): 2 a bad configuration,
3 a candidate that cannot be scored (its answers do not pair with the holdout, the holdout
cannot be read): training again would give the same answer, so ``backoffLimit`` is not spent
on it. Exit 1 (the store or the model server unreachable) is retried."""
KUEUE_LABEL = "kueue.x-k8s.io/queue-name"
JOB_NAME_LABEL = "metadata.labels['batch.kubernetes.io/job-name']"
"""The pod's Job name, through the downward API (the label the Job controller sets, 1.27+)."""
MANAGED_BY = {"app.kubernetes.io/managed-by": "mlops-spec"}
COMPONENT = "app.kubernetes.io/component"
TRAINING_COMPONENT = "training"
SCHEDULE_COMPONENT = "schedule"
"""The component label of a training run's pods and of a schedule CronJob's pods."""


def deny_ingress(name: str, namespace: str, selector: dict[str, str]) -> dict[str, Any]:
    """A NetworkPolicy admitting no ingress to the selected pods (egress untouched)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(MANAGED_BY)},
        "spec": {
            "podSelector": {"matchLabels": dict(selector)},
            "policyTypes": ["Ingress"],
            "ingress": [],
        },
    }


def hardened() -> dict[str, Any]:
    """A container's security context: non-root, read-only root, no capabilities."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }


def quantity_gib(gib: float) -> str:
    """Memory as a quantity: whole GiB as ``Gi``, else ``Mi`` rounded up."""
    return f"{int(gib)}Gi" if float(gib).is_integer() else f"{math.ceil(gib * 1024)}Mi"


def quantity_cpu(cores: float) -> str:
    return f"{int(cores)}" if float(cores).is_integer() else f"{math.ceil(cores * 1000)}m"


@dataclass(frozen=True)
class TrainingJobPlan:
    """A model's training Job template (what the controller's trigger creates per run)."""

    name: str
    namespace: str
    model: str
    image: str
    runtime_image: str
    entry_point: str
    channels: tuple[tuple[str, str], ...]
    """(channel, s3:// URI) in the spec's input order."""
    hyperparameters: tuple[tuple[str, str], ...]
    cpu: float
    memory_gib: float
    gpu: int
    volume_gib: int
    max_runtime_minutes: int
    finish_config: str
    """The register container's configuration JSON (``MLOPS_RUNTIME_CONFIG``)."""
    node_selector: tuple[tuple[str, str], ...] = ()
    tolerations: tuple[tuple[tuple[str, str], ...], ...] = ()
    kueue_queue: str | None = None
    service_account: str | None = None
    """Service account of the run's pods (object-store access; no Kubernetes API)."""
    env: tuple[tuple[str, str], ...] = ()
    """Store settings for the runtime containers (e.g. ``AWS_ENDPOINT_URL_S3``)."""
    credentials_secret: str | None = None
    backoff_limit: int = 2
    score_holdout: bool = False
    """With a gate: the candidate's model server runs as a native sidecar for ``register``."""
    record_lineage: bool = False
    """With a lineage record: ``lineage-inputs`` lists the inputs before ``fetch-inputs``."""

    def manifest(self) -> dict[str, Any]:
        labels = self.pod_labels()
        job_labels = dict(labels)
        if self.kueue_queue:
            job_labels[KUEUE_LABEL] = self.kueue_queue
        spec: dict[str, Any] = {
            "backoffLimit": self.backoff_limit,
            "activeDeadlineSeconds": self.max_runtime_minutes * 60,
            "ttlSecondsAfterFinished": TTL_SECONDS,
            "podFailurePolicy": {
                "rules": [
                    {
                        "action": "Ignore",
                        "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
                    },
                    {  # a bad configuration, or a candidate that cannot be scored: not retried
                        "action": "FailJob",
                        "onExitCodes": {
                            "containerName": "register",
                            "operator": "In",
                            "values": list(FINAL_EXIT_CODES),
                        },
                    },
                ]
            },
            "template": {"metadata": {"labels": labels}, "spec": self._pod()},
        }
        if self.kueue_queue:
            spec["suspend"] = True  # Kueue admits (unsuspends) it
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": self.name, "namespace": self.namespace, "labels": job_labels},
            "spec": spec,
        }

    def pod_labels(self) -> dict[str, str]:
        """The run's pods' labels (the Job controller adds its own)."""
        return {**MANAGED_BY, **self.selector(), "mlops.dev/model": self.model}

    def selector(self) -> dict[str, str]:
        """Labels selecting this template's run pods only (the model's schedule CronJob has
        the same name: the component tells them apart)."""
        return {"app.kubernetes.io/name": self.name, COMPONENT: TRAINING_COMPONENT}

    def network_policy(self) -> dict[str, Any]:
        """No ingress to the run's pods: ``register`` reaches the model server sidecar over
        the pod's own loopback, which no NetworkPolicy filters; egress stays open (the
        object store, the image registry)."""
        return deny_ingress(self.name, self.namespace, self.selector())

    def config_map(self) -> dict[str, Any]:
        """The ConfigMap the controller reads the template from (key ``job.json``)."""
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": dict(MANAGED_BY),
            },
            "data": {"job.json": json.dumps(self.manifest(), sort_keys=True)},
        }

    def _pod(self) -> dict[str, Any]:
        pod: dict[str, Any] = {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": RUN_AS_USER,
                "fsGroup": RUN_AS_USER,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "initContainers": self._init_containers(),
            "containers": [self._register()],
            "volumes": [
                {"name": "opt-ml", "emptyDir": {"sizeLimit": f"{self.volume_gib}Gi"}},
                {"name": "tmp", "emptyDir": {}},
            ],
        }
        if self.service_account:
            pod["serviceAccountName"] = self.service_account
        if self.node_selector:
            pod["nodeSelector"] = dict(self.node_selector)
        if self.tolerations:
            pod["tolerations"] = [dict(t) for t in self.tolerations]
        return pod

    def _init_containers(self) -> list[dict[str, Any]]:
        containers = [self._fetch(), self._train()]
        if self.record_lineage:
            module = "mlops_runtime.k8s.lineage"
            containers.insert(0, self._runtime("lineage-inputs", module, self.finish_config))
        if self.score_holdout:
            containers.append(self._model_server())
        return containers

    def _runtime(self, name: str, module: str, config: str) -> dict[str, Any]:
        container: dict[str, Any] = {
            "name": name,
            "image": self.runtime_image,
            "args": [module],
            "env": [{"name": ENV_VAR, "value": config}, *_env(self.env)],
            "resources": {
                "requests": {"cpu": "500m", "memory": "1Gi"},
                "limits": {"memory": "2Gi"},
            },
            "securityContext": hardened(),
            "volumeMounts": _mounts(),
        }
        if self.credentials_secret:
            container["envFrom"] = [{"secretRef": {"name": self.credentials_secret}}]
        return container

    def _fetch(self) -> dict[str, Any]:
        config = {
            "channels": dict(self.channels),
            "hyperparameters": dict(self.hyperparameters),
            "root": OPT_ML,
        }
        return self._runtime(
            "fetch-inputs", "mlops_runtime.k8s.fetch", json.dumps(config, sort_keys=True)
        )

    def _train(self) -> dict[str, Any]:
        names = [channel for channel, _ in self.channels]
        return {
            "name": "train",
            "image": self.image,
            "args": ["train"],
            "env": _env(
                (
                    ("SAGEMAKER_PROGRAM", self.entry_point),
                    ("SM_MODEL_DIR", f"{OPT_ML}/model"),
                    ("SM_CHANNELS", json.dumps(names)),
                    *(
                        (f"SM_CHANNEL_{c.upper().replace('-', '_')}", f"{OPT_ML}/input/data/{c}")
                        for c, _ in self.channels
                    ),
                )
            ),
            "resources": self._resources(),
            "securityContext": hardened(),
            "volumeMounts": _mounts(),
        }

    def _model_server(self) -> dict[str, Any]:
        """The candidate's model server: a native sidecar (Kubernetes 1.29+) that starts after
        ``train`` and serves ``/opt/ml/model`` (read-only) until ``register`` exits."""
        return {
            "name": "model",
            "image": self.image,
            "args": ["serve"],
            "restartPolicy": "Always",
            "startupProbe": {
                "httpGet": {"path": "/ping", "port": SERVE_PORT},
                "periodSeconds": 5,
                "failureThreshold": SERVER_START_SECONDS // 5,
            },
            "resources": self._resources(),
            "securityContext": hardened(),
            "volumeMounts": [
                {"name": "opt-ml", "mountPath": OPT_ML, "readOnly": True},
                {"name": "tmp", "mountPath": "/tmp"},
            ],
        }

    def _resources(self) -> dict[str, Any]:
        """The spec's training size (the train container's and the model server's)."""
        resources: dict[str, Any] = {
            "requests": {"cpu": quantity_cpu(self.cpu), "memory": quantity_gib(self.memory_gib)},
            "limits": {"memory": quantity_gib(self.memory_gib)},
        }
        if self.gpu:
            resources["requests"]["nvidia.com/gpu"] = str(self.gpu)
            resources["limits"]["nvidia.com/gpu"] = str(self.gpu)
        return resources

    def _register(self) -> dict[str, Any]:
        container = self._runtime("register", "mlops_runtime.k8s.finish", self.finish_config)
        container["env"].append(
            {  # the run's name: its artifact and references go under it
                "name": "MLOPS_RUN",
                "valueFrom": {"fieldRef": {"fieldPath": JOB_NAME_LABEL}},
            }
        )
        return container


def _env(pairs: Any) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in pairs]


def _mounts() -> list[dict[str, str]]:
    return [{"name": "opt-ml", "mountPath": OPT_ML}, {"name": "tmp", "mountPath": "/tmp"}]


@dataclass(frozen=True)
class ScheduleCronJobPlan:
    """A model's training schedule: a CronJob asking the controller to start a run."""

    name: str
    namespace: str
    model: str
    schedule: str
    """5-field cron, UTC (``mlops_spec.cron_k8s.to_kubernetes_cron``)."""
    suspend: bool
    """Schedules are disabled in this environment (paused, like the AWS schedule)."""
    runtime_image: str
    controller_url: str
    """The controller's ``/schedule`` endpoint."""

    def pod_labels(self) -> dict[str, str]:
        return {**MANAGED_BY, **self.selector(), "mlops.dev/model": self.model}

    def selector(self) -> dict[str, str]:
        """Labels selecting this schedule's pods (the controller admits them)."""
        return {"app.kubernetes.io/name": self.name, COMPONENT: SCHEDULE_COMPONENT}

    def manifest(self) -> dict[str, Any]:
        labels = self.pod_labels()
        container = {
            "name": "start-training",
            "image": self.runtime_image,
            "args": ["mlops_runtime.k8s.schedule_client"],
            "env": [
                {"name": "MLOPS_CONTROLLER_URL", "value": self.controller_url},
                {"name": "MLOPS_MODEL", "value": self.model},
                {
                    # The CronJob controller names each Job after its scheduled minute: a
                    # retried pod of one Job sends the same occurrence.
                    "name": "MLOPS_SCHEDULED_JOB",
                    "valueFrom": {"fieldRef": {"fieldPath": JOB_NAME_LABEL}},
                },
            ],
            "resources": {
                "requests": {"cpu": "50m", "memory": "64Mi"},
                "limits": {"memory": "128Mi"},
            },
            "securityContext": hardened(),
        }
        pod = {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": RUN_AS_USER,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [container],
        }
        job = {"backoffLimit": 3, "activeDeadlineSeconds": 600, "ttlSecondsAfterFinished": 86400}
        return utc_cronjob(
            self.name,
            self.namespace,
            labels,
            schedule=self.schedule,
            suspend=self.suspend,
            job=job,
            pod=pod,
        )


def training_job(**fields: Any) -> TrainingJobPlan:
    """A ``TrainingJobPlan`` whose name fits a run's Job name (PlanError otherwise)."""
    check_name(str(fields["name"]), "training Job template name", MAX_JOB_TEMPLATE_NAME)
    return TrainingJobPlan(**fields)


def schedule_cronjob(**fields: Any) -> ScheduleCronJobPlan:
    check_name(str(fields["name"]), "training schedule CronJob name", MAX_CRONJOB_NAME)
    return ScheduleCronJobPlan(**fields)
