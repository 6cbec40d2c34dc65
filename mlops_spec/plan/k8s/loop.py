"""The retraining loop of a ``platform: kubernetes`` stack, derived from the spec (issue 13).

For every model with ``training.platform: kubernetes``: its training Job template
(``TrainingJobPlan``: channels, hyperparameters, sizes, node pool, Kueue queue, the register
container's ``FinishConfig``), its schedule ``CronJob`` and its ``LoopModel`` in the
controller's ``ControllerConfig`` (store, Job template, the ``latest_approved`` Rollout and
its template, cooldown and daily cap, retrain alerts, new-data polling). The trigger's limits
and what starts a run come from the AWS planner's own functions (``retraining``), so both back
ends read the spec the same way.

Where things live (``Locations``): with an ``s3`` store the AWS buckets, as SageMaker's
pipeline uses them (``models/<model>/`` of the artifacts bucket; data sources where the AWS
plan puts them) and the loop's state under ``loop/`` of the artifacts bucket, encrypted with the
system key; with an ``s3_compatible`` store, the profile's bucket under the stack's prefix
(``<prefix>/models/<model>/``, ``<prefix>/data/<source>/`` for ``bucket: create`` sources,
``<prefix>/loop/``); existing buckets stay where they are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlops_runtime.contract.config import DataSourceTrigger, ProfileConfig, ReferencePromotion
from mlops_runtime.contract.controller import (
    MODEL_DATA_ENV,
    ControllerConfig,
    FinishConfig,
    LoopModel,
    ObjectStoreSettings,
)
from mlops_spec.cron_k8s import to_kubernetes_cron
from mlops_spec.enums import Approval, TrainingPlatform
from mlops_spec.models import ResolvedSpec, SystemSpec
from mlops_spec.models.kubernetes import KubernetesProfile, NodePool
from mlops_spec.models.serving import PinnedVersion, RealtimeServing
from mlops_spec.naming import Names
from mlops_spec.plan.documents import KEY_ARN
from mlops_spec.plan.k8s import controller, gate, training
from mlops_spec.plan.k8s.names import KubernetesNames
from mlops_spec.plan.k8s.pod import PACKAGE_ENV
from mlops_spec.plan.policy import EnvironmentPolicy
from mlops_spec.plan.retraining import model_trigger, retrain_triggers
from mlops_spec.plan.storage import StoragePlan
from mlops_spec.plan.training import (
    PACKAGE_REFERENCES_PREFIX,
    REFERENCE_PREFIX,
    TRAINING_PREFIX,
    profile_plan,
)

STATE_PREFIX = "loop"
"""The loop's state (registry, claims, ledgers, audit) under the store's root."""


def cluster_trained(spec: SystemSpec) -> tuple[str, ...]:
    """Models the cluster trains (``training.platform: kubernetes``), sorted."""
    return tuple(
        sorted(m for m, model in spec.models.items() if model.training.platform is _CLUSTER)
    )


_CLUSTER = TrainingPlatform.KUBERNETES


def follows_latest(spec: SystemSpec, model_id: str) -> bool:
    """The model trains on the cluster and serves ``latest_approved`` in the real-time tier:
    the controller creates and patches its Rollout."""
    model = spec.models[model_id]
    serving = model.serving
    return (
        model.training.platform is _CLUSTER
        and isinstance(serving, RealtimeServing)
        and not isinstance(serving.model_version, PinnedVersion)
    )


@dataclass(frozen=True)
class Locations:
    """Where one stack's loop reads and writes (see the module's docstring)."""

    profile: KubernetesProfile
    names: Names
    storage: StoragePlan

    @property
    def s3(self) -> bool:
        return self.profile.object_store.kind == "s3"

    @property
    def root(self) -> str:
        """``s3://bucket/`` or ``s3://bucket/<prefix>/``: where models and state go."""
        if self.s3:
            return f"s3://{self.storage.bucket('artifacts').name}/"
        return f"s3://{self.profile.object_store.bucket}/{self.names.prefix}/"

    @property
    def kms_key_id(self) -> str | None:
        return KEY_ARN if self.s3 else None

    def store(self, region: str) -> ObjectStoreSettings:
        return ObjectStoreSettings(
            uri=f"{self.root}{STATE_PREFIX}/",
            endpoint_url=self.profile.object_store.endpoint,
            region=region if self.s3 else None,
            kms_key_id=self.kms_key_id,
        )

    def model(self, model_id: str, what: str) -> str:
        """``<root>models/<model>/<what>/`` (a moved model keeps its former prefix)."""
        return f"{self.root}{self.storage.model_prefix(model_id)}{what}/"

    def data(self, source_id: str) -> tuple[str, str]:
        """(bucket, prefix) of a data source as the cluster reaches it."""
        location = self.storage.location(source_id)
        if self.s3 or not location.managed:
            return location.bucket, location.prefix
        bucket = str(self.profile.object_store.bucket)
        return bucket, f"{self.names.prefix}/data/{source_id}/{location.prefix}"

    def data_uri(self, source_id: str) -> str:
        bucket, prefix = self.data(source_id)
        return f"s3://{bucket}/{prefix}"

    def version(self, region: str, model_id: str, version: int) -> str:
        """A registry version's id (its folder), what a pinned pod's fetcher reads."""
        return f"{self.store(region).uri}registry/{model_id}/versions/{version}"


@dataclass(frozen=True)
class LoopInputs:
    """What the loop is planned from."""

    resolved: ResolvedSpec
    names: Names
    knames: KubernetesNames
    storage: StoragePlan
    policy: EnvironmentPolicy
    alerts: Mapping[str, str] = field(default_factory=dict)
    """Alert name -> model of every ``retrain`` alert (the PrometheusRules' names)."""
    rollouts: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    """Model -> the Rollout ``plan_realtime`` planned for it (``latest_approved`` models)."""

    @property
    def spec(self) -> SystemSpec:
        return self.resolved.spec

    @property
    def profile(self) -> KubernetesProfile:
        profile = self.spec.system.kubernetes
        assert profile is not None  # platform kubernetes needs it (checks_k8s)
        return profile

    @property
    def region(self) -> str:
        return self.spec.system.region

    @property
    def where(self) -> Locations:
        return Locations(self.profile, self.names, self.storage)


def finish_config(inputs: LoopInputs, model_id: str) -> FinishConfig:
    """The register container's configuration: the AWS Profile step's profile, the spec's
    approval rule for this environment, where the run's artifact and references go, the gate
    and the lineage record (``plan.k8s.gate``: the AWS planner's, with the cluster's
    locations)."""
    model = inputs.spec.models[model_id]
    where = inputs.where
    gated = model.training.gate is not None  # the holdout predictions' profile is copied too
    profile = profile_plan(model, model_id, inputs.resolved, inputs.storage, copy_predictions=gated)
    return FinishConfig(
        model_id=model_id,
        store=where.store(inputs.region),
        image=model.training.image,
        artifacts_uri=where.model(model_id, TRAINING_PREFIX),
        references_uri=where.model(model_id, PACKAGE_REFERENCES_PREFIX),
        manual_approval=model.registry.approval is Approval.MANUAL,
        profile=ProfileConfig.from_dict(json.loads(profile.config)),
        profile_channel=profile.source,
        current_references_uri=(
            None
            if follows_latest(inputs.spec, model_id)
            else where.model(model_id, REFERENCE_PREFIX)
        ),
        gate=gate.finish_gate(inputs, model_id),
        lineage=gate.finish_lineage(inputs, model_id),
    )


def placement(profile: KubernetesProfile, gpu: int, spot: bool) -> NodePool:
    """The training pod's pool: the GPU pool with ``gpu``, else the default one; with
    ``spot`` and a spot pool, its selectors and tolerations are added (interruptible
    capacity, as SageMaker's managed spot training)."""
    pools = profile.node_pools
    base = pools.gpu if gpu and pools.gpu else pools.default
    spot_pool = pools.spot if spot else None
    if spot_pool is None:
        return base
    if not gpu:
        return spot_pool
    return NodePool(
        node_selector={**base.node_selector, **spot_pool.node_selector},
        tolerations=[*base.tolerations, *spot_pool.tolerations],
    )


def _tolerations(pool: NodePool) -> tuple[tuple[tuple[str, str], ...], ...]:
    return tuple(
        tuple((k, str(v)) for k, v in t.model_dump(exclude_none=True).items())
        for t in pool.tolerations
    )


def store_env(inputs: LoopInputs) -> tuple[tuple[str, str], ...]:
    """The runtime containers' store settings (region; an S3-compatible store's endpoint)."""
    endpoint = inputs.profile.object_store.endpoint
    return (
        ("AWS_DEFAULT_REGION", inputs.region),
        *((("AWS_ENDPOINT_URL_S3", endpoint),) if endpoint else ()),
    )


def training_job(inputs: LoopInputs, model_id: str) -> training.TrainingJobPlan:
    """A model's training Job template from its ``training`` section."""
    spec_training = inputs.spec.models[model_id].training
    pool = placement(inputs.profile, spec_training.gpu, spec_training.spot)
    assert spec_training.cpu is not None and spec_training.memory_gib is not None
    return training.training_job(
        name=inputs.knames.job_template(model_id),
        namespace=inputs.knames.namespace,
        model=model_id,
        image=spec_training.image,
        runtime_image=inputs.profile.runtime_image,
        entry_point=spec_training.entry_point,
        channels=tuple((s, inputs.where.data_uri(s)) for s in spec_training.inputs),
        hyperparameters=tuple(
            (k, str(v).lower() if isinstance(v, bool) else str(v))
            for k, v in sorted(spec_training.hyperparameters.items())
        ),
        cpu=spec_training.cpu,
        memory_gib=spec_training.memory_gib,
        gpu=spec_training.gpu,
        volume_gib=spec_training.volume_size_gb,
        max_runtime_minutes=spec_training.max_runtime_minutes,
        finish_config=finish_config(inputs, model_id).to_json(),
        node_selector=tuple(sorted(pool.node_selector.items())),
        tolerations=_tolerations(pool),
        kueue_queue=inputs.profile.kueue_queue,
        service_account=inputs.knames.training_account(),
        env=store_env(inputs),
        credentials_secret=inputs.profile.object_store.credentials_secret_name,
        score_holdout=spec_training.gate is not None,
        record_lineage=True,
    )


def schedule(inputs: LoopInputs, model_id: str) -> training.ScheduleCronJobPlan | None:
    """The model's ``training.schedule`` as a CronJob calling the controller (suspended where
    the environment disables schedules, as the AWS schedule is)."""
    expression = inputs.spec.models[model_id].training.schedule
    if expression is None:
        return None
    knames = inputs.knames
    return training.schedule_cronjob(
        name=knames.job_template(model_id),
        namespace=knames.namespace,
        model=model_id,
        schedule=to_kubernetes_cron(expression),
        suspend=not inputs.policy.schedules_enabled,
        runtime_image=inputs.profile.runtime_image,
        controller_url=controller.schedule_url(knames.controller(), knames.namespace),
    )


def loop_model(inputs: LoopInputs, model_id: str) -> LoopModel:
    """How the controller retrains (the AWS trigger's limits) and serves the model."""
    template = inputs.knames.job_template(model_id)
    limits = model_trigger(inputs.spec, model_id, template)
    deployed = follows_latest(inputs.spec, model_id)
    where = inputs.where
    references = ReferencePromotion(
        current_uri=where.model(model_id, REFERENCE_PREFIX),
        packages_uri=where.model(model_id, PACKAGE_REFERENCES_PREFIX),
        kms_key_id=where.kms_key_id,
    )
    return LoopModel(
        job_template=template,
        cooldown_hours=limits.cooldown_hours,
        max_runs_per_day=limits.max_runs_per_day,
        rollout=inputs.knames.workload(model_id) if deployed else None,
        rollout_template=inputs.knames.rollout_template(model_id) if deployed else None,
        references=references if deployed else None,
    )


def polled_sources(inputs: LoopInputs, models: tuple[str, ...]) -> tuple[DataSourceTrigger, ...]:
    """``retrain_on_new_data`` sources read by cluster-trained models, as the AWS trigger's
    new-data rules see them (``retraining.retrain_triggers``), where the cluster reaches them."""
    found = retrain_triggers(inputs.spec, inputs.names, inputs.storage).sources
    polled = []
    for source_id, _, readers in found:
        ours = tuple(m for m in readers if m in models)
        if ours:
            bucket, prefix = inputs.where.data(source_id)
            polled.append(DataSourceTrigger(bucket=bucket, prefix=prefix, models=ours))
    return tuple(polled)


def controller_config(inputs: LoopInputs, models: tuple[str, ...]) -> ControllerConfig:
    return ControllerConfig(
        system=inputs.spec.system.id,
        namespace=inputs.knames.namespace,
        store=inputs.where.store(inputs.region),
        models={m: loop_model(inputs, m) for m in models},
        alerts={a: m for a, m in sorted(inputs.alerts.items()) if m in models},
        data_sources=polled_sources(inputs, models),
        audit_ttl_days=inputs.policy.log_retention_days,
    )


def rollout_template(rollout: Mapping[str, Any]) -> dict[str, Any]:
    """The Rollout the controller creates: its fetchers read ``MLOPS_MODEL_DATA_URL`` (which
    the controller sets to the approved version's artifact) instead of a pinned package."""
    body = json.loads(json.dumps(rollout))
    pod = body["spec"]["template"]["spec"]
    for container in [*pod.get("initContainers", []), *pod["containers"]]:
        for variable in container.get("env", []):
            if variable["name"] == PACKAGE_ENV:
                variable.clear()
                variable.update({"name": MODEL_DATA_ENV, "value": ""})
    return dict(body)


def plan_loop(inputs: LoopInputs) -> controller.LoopPlan | None:
    """The stack's loop on its cluster; None when no model trains there."""
    models = cluster_trained(inputs.spec)
    if not models:
        return None
    knames = inputs.knames
    control = controller.controller(
        knames.controller(),
        controller_config(inputs, models),
        inputs.profile.runtime_image,
        env=store_env(inputs),
        credentials_secret=inputs.profile.object_store.credentials_secret_name,
    )
    schedules = (schedule(inputs, m) for m in models)
    return controller.LoopPlan(
        controller=control,
        jobs=tuple(training_job(inputs, m) for m in models),
        schedules=tuple(s for s in schedules if s is not None),
        rollout_templates=tuple(
            (knames.rollout_template(m), json.dumps(rollout_template(inputs.rollouts[m])))
            for m in models
            if follows_latest(inputs.spec, m)
        ),
        service_accounts=(knames.training_account(),),
    )
