"""Rules of a ``tier: batch`` model on ``platform: kubernetes`` (``mlops_spec.plan.k8s.batch``):
what the batch CronJob cannot honour is refused, located, with what to write instead."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlops_spec.checks import JOB_MONITORS, Issue
from mlops_spec.cron_k8s import CronError, to_kubernetes_cron
from mlops_spec.enums import TrainingPlatform
from mlops_spec.models.serving import BatchServing, PinnedVersion

if TYPE_CHECKING:
    from mlops_spec.models.spec import SystemSpec

Loc = tuple[str | int, ...]


def batch_issues(spec: SystemSpec, loc: Loc, serving: BatchServing) -> list[Issue]:
    """Every rule a batch model's serving breaks on Kubernetes (``loc``: its ``serving``)."""
    model_id = str(loc[1])
    issues = _size_issues(spec, loc, serving)
    if not isinstance(serving.model_version, PinnedVersion):
        issues.append(
            Issue(
                (*loc, "model_version"),
                "the batch Job on Kubernetes serves one pinned version (its init container "
                "fetches that package); nothing resolves latest_approved before a run there",
                got="latest_approved",
                allowed="{pinned: N}",
            )
        )
    if spec.models[model_id].training.platform is TrainingPlatform.KUBERNETES:
        issues.append(
            Issue(
                ("models", model_id, "training", "platform"),
                "a batch model on Kubernetes serves a version SageMaker registered; fetching "
                "one from the cluster's registry is not built for the batch tier yet",
                got="kubernetes",
                allowed="sagemaker",
            )
        )
    try:
        to_kubernetes_cron(serving.schedule)
    except CronError as error:
        issues.append(
            Issue(
                (*loc, "schedule"),
                f"no Kubernetes cron means the same: {error}",
                got=serving.schedule,
            )
        )
    return issues + _monitor_issues(spec, model_id)


def _size_issues(spec: SystemSpec, loc: Loc, serving: BatchServing) -> list[Issue]:
    issues = []
    if "instance_type" in serving.model_fields_set:
        issues.append(
            Issue(
                (*loc, "instance_type"),
                "instance_type means nothing on Kubernetes: size the batch Job's model server "
                "with cpu, memory_gib and gpu",
                got=serving.instance_type,
                suggestion="cpu",
            )
        )
    if serving.instance_count > 1:
        issues.append(
            Issue(
                (*loc, "instance_count"),
                "one batch Job scores the whole input on Kubernetes (one model server); "
                "give it more cpu, memory_gib or gpu instead",
                got=serving.instance_count,
                allowed="1",
                suggestion="cpu",
            )
        )
    issues += gpu_pool_issues(spec, loc, serving.gpu, "GPU pods")
    return issues


def _monitor_issues(spec: SystemSpec, model_id: str) -> list[Issue]:
    """Job monitors of a batch model read its input and outputs on AWS S3; the monitoring
    CronJob of an S3-compatible store reaches that store instead, so it cannot read them."""
    profile = spec.system.kubernetes
    if profile is None or profile.object_store.kind != "s3_compatible":
        return []
    return [
        Issue(
            ("models", model_id, "monitors", monitor_id, "type"),
            f"a {monitor.type} monitor of a batch model reads the batch input and outputs in "
            "the system's AWS buckets, which the monitoring CronJob of an s3_compatible object "
            "store does not reach; use object_store kind s3, or monitor it on an aws stack",
            got=monitor.type,
        )
        for monitor_id, monitor in sorted(spec.models[model_id].monitors.items())
        if isinstance(monitor, JOB_MONITORS)
    ]


def gpu_pool_issues(spec: SystemSpec, loc: Loc, gpu: int, what: str) -> list[Issue]:
    """``what`` (pods asking for ``gpu`` GPUs) needs the profile's GPU node pool."""
    profile = spec.system.kubernetes
    if not gpu or profile is None or profile.node_pools.gpu is not None:
        return []
    message = f"{what} need a GPU node pool: set system.kubernetes.node_pools.gpu"
    return [Issue((*loc, "gpu"), message, got=gpu)]
