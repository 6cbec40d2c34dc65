"""``plan_kubernetes``: the cluster side of a ``platform: kubernetes`` stack (pure).

SageMaker still trains and registers (the AWS plan of the same stack, without serving and
monitors); the cluster serves each model's pinned package and watches it. Every object is a
whole manifest decided here; the components only create them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mlops_runtime.contract.proxy import ProxyCapture, ProxyConfig
from mlops_spec.enums import RolloutStrategy
from mlops_spec.models import ResolvedSpec
from mlops_spec.models.kubernetes import KubernetesProfile
from mlops_spec.models.model import Model
from mlops_spec.models.monitors import LatencyMonitor
from mlops_spec.models.serving import PinnedVersion, RealtimeServing, ServerlessServing
from mlops_spec.naming import Names
from mlops_spec.plan.documents import ACCOUNT, KEY_ARN
from mlops_spec.plan.k8s import batch, rollout
from mlops_spec.plan.k8s.manifests import Manifest
from mlops_spec.plan.k8s.monitors_inputs import capture_jobs, monitor_cluster
from mlops_spec.plan.k8s.monitors_plan import K8sMonitoringPlan, plan_k8s_monitoring
from mlops_spec.plan.k8s.names import KubernetesNames
from mlops_spec.plan.k8s.operators import Operator, needed, of_body
from mlops_spec.plan.k8s.realtime import RealtimeInputs, plan_realtime
from mlops_spec.plan.k8s.serverless import ServerlessInputs, features, plan_serverless
from mlops_spec.plan.policy import EnvironmentPolicy
from mlops_spec.plan.storage import StoragePlan

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

    @property
    def all_manifests(self) -> tuple[Manifest, ...]:
        """Every object of the stack's cluster side: serving, then monitoring."""
        return (*self.manifests, *(of_body(b) for b in self.monitoring.manifests()))

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
    assert isinstance(serving.model_version, PinnedVersion)  # latest_approved: refused
    group = names.model_package_group(model_id)
    package = (
        f"arn:{partition}:sagemaker:{spec.system.region}:{ACCOUNT}:model-package/"
        f"{group}/{serving.model_version.pinned}"
    )
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


def _share_note(model_id: str, serving: RealtimeServing) -> str | None:
    plan = serving.rollout
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
        groups = ", ".join(names.model_package_group(m) for m in served)
        writes = (
            f"write capture under {capture_uri(profile, storage, names)} (SSE-KMS with the "
            "system key)"
            if profile.object_store.kind == "s3"
            else "reach no capture bucket (the store's Secret is used)"
        )
        notes.append(
            f"system.kubernetes.service_account: bind {profile.service_account} in namespace "
            f"{plan.namespace} to an AWS role (IRSA or EKS Pod Identity) that may "
            f"sagemaker:DescribeModelPackage in the package groups {groups}, read their "
            f"artifacts in s3://{storage.bucket('artifacts').name}/ (kms:Decrypt with the "
            f"system key) and {writes}"
        )
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
        if isinstance(serving, RealtimeServing) and (note := _share_note(model_id, serving)):
            notes.append(note)
    return notes


def _monitoring(
    resolved: ResolvedSpec,
    names: Names,
    knames: KubernetesNames,
    storage: StoragePlan,
    policy: EnvironmentPolicy,
) -> K8sMonitoringPlan:
    """k8s-mon's monitors plan, fed with the served workloads and where they capture."""
    spec = resolved.spec
    profile = spec.system.kubernetes
    assert profile is not None
    workloads = {m: knames.workload(m) for m in sorted(spec.models) if spec.models[m].serving}
    capture = capture_uri(profile, storage, names)
    jobs = capture_jobs(resolved, names, storage, capture, workloads)
    jobs |= batch.monitoring_jobs(resolved, names, storage)
    cluster = monitor_cluster(profile)
    return plan_k8s_monitoring(resolved, names, policy, cluster, workloads=workloads, jobs=jobs)


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
    manifests: list[Manifest] = list(_namespace(profile, knames))
    for model_id in sorted(spec.models):
        if spec.models[model_id].serving is not None:
            manifests += _model(resolved, names, knames, storage, partition, model_id)
    monitoring = _monitoring(resolved, names, knames, storage, policy)
    plan = KubernetesPlan(
        namespace=knames.namespace,
        create_namespace=profile.namespace.create,
        manifests=tuple(manifests),
        monitoring=monitoring,
        operators=(),
        notes=(),
    )
    plan = replace(plan, operators=needed(plan.all_manifests))
    return replace(plan, notes=tuple(_notes(resolved, names, storage, plan)))
