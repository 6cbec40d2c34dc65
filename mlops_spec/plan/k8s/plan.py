"""``plan_kubernetes``: the cluster side of a ``platform: kubernetes`` stack (pure).

The cluster serves and watches every model; it trains, registers and (for ``latest_approved``)
deploys the models with ``training.platform: kubernetes`` (``loop``); SageMaker trains and
registers the others (the AWS plan of the same stack, without serving and monitors). Every
object is a whole manifest decided here; the components only create them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from mlops_runtime.contract.proxy import ProxyCapture, ProxyConfig
from mlops_spec.enums import RolloutStrategy
from mlops_spec.models import ResolvedSpec
from mlops_spec.models.kubernetes import KubernetesProfile
from mlops_spec.models.model import Model
from mlops_spec.models.monitors import LatencyMonitor
from mlops_spec.models.serving import PinnedVersion, RealtimeServing, ServerlessServing
from mlops_spec.naming import Names
from mlops_spec.plan.documents import ACCOUNT, KEY_ARN
from mlops_spec.plan.k8s import batch, loop_notes, rollout, routing
from mlops_spec.plan.k8s.controller import LoopPlan, webhook_url
from mlops_spec.plan.k8s.loop import (
    Locations,
    LoopInputs,
    cluster_trained,
    follows_latest,
    plan_loop,
)
from mlops_spec.plan.k8s.manifests import Manifest
from mlops_spec.plan.k8s.monitors_inputs import capture_jobs, monitor_cluster
from mlops_spec.plan.k8s.monitors_plan import K8sMonitoringPlan, plan_k8s_monitoring
from mlops_spec.plan.k8s.names import KubernetesNames
from mlops_spec.plan.k8s.operators import Operator, custom, needed, of_body
from mlops_spec.plan.k8s.realtime import RealtimeInputs, plan_realtime
from mlops_spec.plan.k8s.serverless import ServerlessInputs, features, plan_serverless
from mlops_spec.plan.policy import EnvironmentPolicy
from mlops_spec.plan.storage import StoragePlan
from mlops_spec.plan.training import PROFILE_FILE, REFERENCE_PREFIX, TRAINING_PREFIX

POD_SECURITY = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
}
"""A namespace the stack creates enforces the restricted Pod Security Standard."""


@dataclass(frozen=True)
class KubernetesPlan:
    """What one stack creates in its cluster, in creation order."""

    namespace: str
    create_namespace: bool
    manifests: tuple[Manifest, ...]
    """The serving objects (``mlops_components.k8s.Serving``)."""
    monitoring: K8sMonitoringPlan
    """Alerts, their routing and the monitoring jobs (``mlops_components.k8s.Monitors``)."""
    operators: tuple[Operator, ...]
    """The operators whose CRDs the custom resources need (the cluster's, not ours)."""
    notes: tuple[str, ...]
    loop: LoopPlan | None = None
    """Training, the registry's controller and ``latest_approved`` deploys of the models the
    cluster trains (``mlops_components.k8s.Loop``); None when SageMaker trains every model."""

    @property
    def all_manifests(self) -> tuple[Manifest, ...]:
        """Every object of the stack's cluster side: serving, monitoring, then the loop."""
        loop = self.loop.manifests() if self.loop else []
        return (
            *self.manifests,
            *(of_body(b) for b in self.monitoring.manifests()),
            *(Manifest.of(b) for b in loop),
        )

    def for_model(self, model_name: str) -> tuple[Manifest, ...]:
        """The objects labelled with a workload name (``KubernetesNames.workload``)."""
        return tuple(
            m
            for m in self.manifests
            if m.body["metadata"].get("labels", {}).get("app.kubernetes.io/name") == model_name
        )


def capture_uri(profile: KubernetesProfile, storage: StoragePlan, names: Names) -> str:
    """Where the proxies capture (the capture bucket's ``endpoints`` prefix, as on AWS; in an
    S3-compatible store, under the stack's prefix)."""
    store = profile.object_store
    if store.kind == "s3":
        return f"s3://{storage.bucket('capture').name}/endpoints"
    return f"s3://{store.bucket}/{names.prefix}/capture/endpoints"


def _proxy(
    model_id: str, model: Model, workload: str, capture: str, profile: KubernetesProfile
) -> ProxyConfig:
    serving = model.serving
    assert isinstance(serving, RealtimeServing | ServerlessServing)
    thresholds = sorted(
        {m.threshold_ms for m in model.monitors.values() if isinstance(m, LatencyMonitor)}
    )
    store = profile.object_store
    return ProxyConfig(
        model_id=model_id,
        endpoint_name=workload,
        latency_thresholds_ms=tuple(thresholds),
        capture=ProxyCapture(
            destination=capture,
            sampling_percent=serving.data_capture_percent,
            endpoint_url=store.endpoint,
            kms_key_id=KEY_ARN if store.kind == "s3" else None,
        )
        if serving.data_capture_percent > 0
        else None,
    )


def _namespace(profile: KubernetesProfile, names: KubernetesNames) -> tuple[Manifest, ...]:
    if not profile.namespace.create:
        return ()
    body = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": names.namespace, "labels": {**names.labels(), **POD_SECURITY}},
    }
    return (Manifest.of(body),)


def _model(
    resolved: ResolvedSpec,
    names: Names,
    knames: KubernetesNames,
    storage: StoragePlan,
    partition: str,
    model_id: str,
) -> tuple[Manifest, ...]:
    spec = resolved.spec
    model = spec.models[model_id]
    serving, profile = model.serving, spec.system.kubernetes
    if batch.is_batch(serving):
        return batch.plan_batch_model(resolved, names, knames, storage, partition, model_id)
    assert isinstance(serving, RealtimeServing | ServerlessServing) and profile is not None
    package = _package(resolved, names, storage, partition, model_id)
    workload = knames.workload(model_id)
    capture = capture_uri(profile, storage, names)
    proxy = _proxy(model_id, model, workload, capture, profile)
    if isinstance(serving, ServerlessServing):
        return plan_serverless(
            ServerlessInputs(
                model=model_id,
                serving=serving,
                profile=profile,
                names=knames,
                image=model.training.image,
                package_arn=package,
                proxy=proxy,
                region=spec.system.region,
            )
        )
    inputs = RealtimeInputs(
        model=model_id,
        serving=serving,
        profile=profile,
        names=knames,
        image=model.training.image,
        package_arn=package,
        proxy=proxy,
        region=spec.system.region,
        rollback_monitors=serving.rollout.auto_rollback and bool(model.rollback_monitors),
    )
    return plan_realtime(inputs)


def _package(
    resolved: ResolvedSpec, names: Names, storage: StoragePlan, partition: str, model_id: str
) -> str:
    """What a pinned pod's fetcher reads: the SageMaker package, or the version in the
    cluster's registry of a model the cluster trains; "" for ``latest_approved`` (the
    controller fills the Rollout's ``MLOPS_MODEL_DATA_URL``)."""
    spec = resolved.spec
    model, profile = spec.models[model_id], spec.system.kubernetes
    serving = model.serving
    assert serving is not None and profile is not None
    version = serving.model_version
    if not isinstance(version, PinnedVersion):
        return ""  # latest_approved: only on a cluster-trained model (checks_k8s)
    if model_id in cluster_trained(spec):
        where = Locations(profile, names, storage)
        return where.version(spec.system.region, model_id, version.pinned)
    group = names.model_package_group(model_id)
    region = spec.system.region
    return f"arn:{partition}:sagemaker:{region}:{ACCOUNT}:model-package/{group}/{version.pinned}"


def _share_note(
    model_id: str, serving: RealtimeServing, profile: KubernetesProfile, names: Names
) -> str | None:
    plan = serving.rollout
    if routing.routed(profile):  # the router's exact weights, not a share of pods
        knames = KubernetesNames(names, profile.namespace.name)
        return routing.weights_note(model_id, plan, profile, knames)
    if plan.strategy is RolloutStrategy.ALL_AT_ONCE:
        return None
    fleet = serving.autoscaling.min_instances
    shares = []
    for weight in rollout.weights(plan)[:-1]:
        pods, share = rollout.effective_share(weight, fleet)
        shares.append(f"{weight:g}% is {pods} of {fleet} pods ({share:g}% of requests)")
    return (
        f"models.{model_id}.serving.rollout: without a traffic router a canary's share is its "
        f"share of the pods: {'; '.join(shares)} at the smallest fleet; Argo rounds a "
        "canary up to whole pods"
    )


def _notes(
    resolved: ResolvedSpec, names: Names, storage: StoragePlan, plan: KubernetesPlan
) -> list[str]:
    spec = resolved.spec
    profile = spec.system.kubernetes
    assert profile is not None
    notes = []
    if plan.operators:
        listed = "; ".join(f"{o.name} ({', '.join(o.crds)})" for o in plan.operators)
        notes.append(
            f"system.kubernetes: the cluster needs these operators (their CRDs are read at "
            f"preview): {listed}"
        )
    served = sorted(m for m, model in spec.models.items() if model.serving is not None)
    if served:
        notes.append(_service_account_note(resolved, names, storage, plan, served))
    notes += batch.notes(resolved, storage)
    serverless = [m for m in served if isinstance(spec.models[m].serving, ServerlessServing)]
    if serverless:
        flags = ", ".join(f"{flag}: enabled" for flag in features(profile))
        notes.append(
            f"models.{serverless[0]}.serving: Knative Serving must allow what the serverless "
            f"pods use: set {flags} in the knative-serving namespace's config-features ConfigMap"
        )
    for model_id in served:
        serving = spec.models[model_id].serving
        if isinstance(serving, RealtimeServing) and (
            note := _share_note(model_id, serving, profile, names)
        ):
            notes.append(note)
    if served and (needs := routing.prerequisite(profile)):
        notes.append(needs)
    if plan.loop is not None:
        notes += loop_notes.ownership_notes(spec, plan.loop)
        notes += loop_notes.iam_notes(plan.loop, Locations(profile, names, storage))
    return notes


def _service_account_note(
    resolved: ResolvedSpec,
    names: Names,
    storage: StoragePlan,
    plan: KubernetesPlan,
    served: list[str],
) -> str:
    """What the model pods' role may do: read the served versions (SageMaker's packages or
    the cluster's registry) and their artifacts, write capture."""
    spec = resolved.spec
    profile = spec.system.kubernetes
    assert profile is not None
    on_cluster = set(cluster_trained(spec))
    where = Locations(profile, names, storage)
    reads = []
    if groups := [names.model_package_group(m) for m in served if m not in on_cluster]:
        reads.append(
            f"sagemaker:DescribeModelPackage in the package groups {', '.join(groups)} and "
            f"s3:GetObject on their artifacts in s3://{storage.bucket('artifacts').name}/"
        )
    if ours := [m for m in served if m in on_cluster] if where.s3 else []:
        uris = [f"{where.store(spec.system.region).uri}registry/{m}/" for m in ours]
        uris += [where.model(m, TRAINING_PREFIX) for m in ours]
        reads.append(f"s3:GetObject on {', '.join(loop_notes.object_arn(u) for u in uris)}")
    if where.s3:
        capture = capture_uri(profile, storage, names)
        reads.append(f"write capture under {capture} (SSE-KMS); {loop_notes.KMS}")
    else:
        reads.append("reach no capture bucket (the store's Secret is used)")
    return (
        f"system.kubernetes.service_account: bind {profile.service_account} in namespace "
        f"{plan.namespace} to an AWS role (IRSA or EKS Pod Identity) that may " + "; ".join(reads)
    )


def _monitoring(
    resolved: ResolvedSpec,
    names: Names,
    knames: KubernetesNames,
    storage: StoragePlan,
    policy: EnvironmentPolicy,
) -> K8sMonitoringPlan:
    """k8s-mon's monitors plan, fed with the served workloads and where they capture;
    ``retrain`` alerts go to the loop controller's webhook when the cluster trains."""
    spec = resolved.spec
    profile = spec.system.kubernetes
    assert profile is not None
    workloads = {m: knames.workload(m) for m in sorted(spec.models) if spec.models[m].serving}
    capture = capture_uri(profile, storage, names)
    where = Locations(profile, names, storage)
    references = {
        m: f"{where.model(m, REFERENCE_PREFIX)}{PROFILE_FILE}" for m in cluster_trained(spec)
    }
    jobs = capture_jobs(resolved, names, storage, capture, workloads, profile_uris=references)
    jobs |= batch.monitoring_jobs(resolved, names, storage)
    webhook = webhook_url(knames.controller(), knames.namespace) if references else None
    cluster = monitor_cluster(profile, controller_webhook_url=webhook)
    return plan_k8s_monitoring(resolved, names, policy, cluster, workloads=workloads, jobs=jobs)


def _serving(
    resolved: ResolvedSpec, names: Names, storage: StoragePlan, partition: str
) -> tuple[list[Manifest], dict[str, dict[str, Any]]]:
    """The serving objects Pulumi creates, and the Rollouts of ``latest_approved`` models
    (the controller creates those from their template)."""
    spec = resolved.spec
    profile = spec.system.kubernetes
    assert profile is not None
    knames = KubernetesNames(names, profile.namespace.name)
    manifests: list[Manifest] = list(_namespace(profile, knames))
    rollouts: dict[str, dict[str, Any]] = {}
    for model_id in sorted(spec.models):
        if spec.models[model_id].serving is None:
            continue
        planned = _model(resolved, names, knames, storage, partition, model_id)
        if follows_latest(spec, model_id):
            rollouts[model_id] = next(m.body for m in planned if m.kind == "Rollout")
            planned = tuple(m for m in planned if m.kind != "Rollout")
        manifests += planned
    return manifests, rollouts


def plan_kubernetes(
    resolved: ResolvedSpec,
    names: Names,
    storage: StoragePlan,
    partition: str,
    policy: EnvironmentPolicy,
) -> KubernetesPlan:
    """The cluster objects of one ``platform: kubernetes`` stack."""
    spec = resolved.spec
    profile = spec.system.kubernetes
    assert profile is not None  # refused at load time (checks_k8s)
    knames = KubernetesNames(names, profile.namespace.name)
    manifests, rollouts = _serving(resolved, names, storage, partition)
    monitoring = _monitoring(resolved, names, knames, storage, policy)
    loop = plan_loop(
        LoopInputs(
            resolved,
            names,
            knames,
            storage,
            policy,
            alerts=monitoring.retrain_alerts,
            rollouts=rollouts,
        )
    )
    plan = KubernetesPlan(
        namespace=knames.namespace,
        create_namespace=profile.namespace.create,
        manifests=tuple(manifests),
        monitoring=monitoring,
        operators=(),
        notes=(),
        loop=loop,
    )
    templates = [custom(body) for _, body in loop.rollouts()] if loop else []
    plan = replace(plan, operators=needed((*plan.all_manifests, *templates)))
    return replace(plan, notes=tuple(_notes(resolved, names, storage, plan)))
