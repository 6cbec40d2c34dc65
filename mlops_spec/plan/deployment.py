"""``plan(resolved) -> DeploymentPlan``: every resource of one stack, decided from the spec."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from mlops_spec.models import ResolvedSpec, SystemSpec
from mlops_spec.models.monitors import BiasMonitor, DataDriftMonitor, PredictionDriftMonitor
from mlops_spec.moves import renames, stack_names
from mlops_spec.naming import Renames
from mlops_spec.plan import monitoring_notes, policy_size
from mlops_spec.plan.documents import partition_of
from mlops_spec.plan.iam import RolePlan
from mlops_spec.plan.lookup import first_per_model
from mlops_spec.plan.monitoring import MonitoringPlan, plan_monitoring
from mlops_spec.plan.policy import EnvironmentPolicy, environment_policy
from mlops_spec.plan.registry import RegistryPlan, plan_registry
from mlops_spec.plan.retraining import RetrainingPlan, plan_retraining
from mlops_spec.plan.schedules import SchedulePlan, scheduler_role
from mlops_spec.plan.serving import ServingPlan, plan_serving
from mlops_spec.plan.storage import StoragePlan, plan_storage
from mlops_spec.plan.training import TrainingPlan, plan_training

if TYPE_CHECKING:
    from mlops_spec.plan.k8s import KubernetesPlan

REFERENCE_READERS = (DataDriftMonitor, BiasMonitor, PredictionDriftMonitor)
"""Monitors whose checks read the references: data drift and bias the reference profile
(``MonitorConfig.data_drift``, ``bias``), prediction drift the reference predictions."""


@dataclass(frozen=True)
class DeploymentPlan:
    """What one stack deploys. Components build exactly this; nothing is decided later."""

    system: str
    environment: str
    region: str
    partition: str
    metric_namespace: str
    policy: EnvironmentPolicy
    storage: StoragePlan
    registry: RegistryPlan
    training: tuple[TrainingPlan, ...]
    serving: tuple[ServingPlan, ...]
    monitoring: MonitoringPlan
    retraining: RetrainingPlan | None
    notes: tuple[str, ...]
    """What must be done outside the spec for these resources to work (``"<spec path>:
    what"``); ``mlops validate`` and ``mlops plan`` show each once, naming its stacks."""
    renames: Renames = field(default_factory=Renames)
    """The spec's ``moved_from``: the components alias each renamed resource's former
    logical name (docs/spec.md, "Renaming a model or a data source")."""

    kubernetes: KubernetesPlan | None = None
    """The cluster's objects on ``system.platform: kubernetes`` (serving and monitors; the
    fields above then plan only what SageMaker trains and registers)."""

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(t.model for t in self.training)

    def training_for(self, model: str) -> TrainingPlan:
        found = self._training_by_model.get(model)
        return found if found is not None else next(t for t in self.training if t.model == model)

    def serving_for(self, model: str) -> ServingPlan | None:
        return self._serving_by_model.get(model)

    @cached_property
    def _training_by_model(self) -> dict[str, TrainingPlan]:
        return first_per_model(self.training)

    @cached_property
    def _serving_by_model(self) -> dict[str, ServingPlan]:
        return first_per_model(self.serving)

    def schedules_for(self, model: str) -> tuple[SchedulePlan, ...]:
        """Every schedule of a model: retraining (via the trigger), batch, monitoring job."""
        schedules = []
        if self.retraining and (train := self.retraining.schedule_for(model)):
            schedules.append(train)
        serving = self.serving_for(model)
        if serving and serving.batch:
            schedules.append(serving.batch.schedule)
        job = self.monitoring.model(model).job
        if job:
            schedules.append(job.schedule)
        return tuple(schedules)


def _notes(
    resolved: ResolvedSpec,
    storage: StoragePlan,
    serving: dict[str, ServingPlan],
    monitoring: MonitoringPlan,
) -> list[str]:
    spec = resolved.spec
    notes = []
    for location in storage.data:
        if location.retrain_on_new_data and not location.managed:
            notes.append(
                f"data_sources.{location.source}: enable 'Send notifications to Amazon "
                f"EventBridge' on the existing bucket {location.bucket} yourself; the "
                "retraining rule matches its events"
            )
    for model_id, plan in sorted(serving.items()):
        endpoint = plan.endpoint
        if endpoint and endpoint.owner == "deploy-function":
            notes.append(
                f"models.{model_id}.serving: endpoint {endpoint.name} follows latest_approved, "
                "so the deploy function creates it on the first approved package and updates "
                "it on later ones; Pulumi owns its role, alarms and dashboard"
            )
    for model_id, spec_model in sorted(spec.models.items()):
        inputs = spec_model.training.inputs
        if len(inputs) > 1:
            notes.append(
                f"models.{model_id}.training: the reference profile is computed from the first "
                f"input, {inputs[0]!r}, only"
            )
    notes += monitoring_notes.notes(spec, monitoring.models, storage)
    notifier = monitoring.notifier
    if notifier is not None:
        notes.append(
            f"notifications.webhook_url_ssm_parameter: create the SecureString parameter "
            f"{notifier.parameter_name} in {spec.system.region} yourself (the default aws/ssm "
            f"key, or a key of this account whose policy lets {notifier.function.role.name} "
            "decrypt through SSM); the notifier function reads the webhook URL from it"
        )
    return notes


def plan(resolved: ResolvedSpec) -> DeploymentPlan:
    """The deployment plan of one stack (pure: no cloud, no Pulumi)."""
    if resolved.spec.system.platform == "kubernetes":
        from mlops_spec.plan.k8s.stack import plan_on_kubernetes  # ~15 ms of imports: on demand

        return plan_on_kubernetes(resolved, _cluster_side)
    return _plan_aws(resolved)


def _cluster_side(resolved: ResolvedSpec) -> DeploymentPlan:
    """The AWS side of a ``platform: kubernetes`` stack (models trained and registered there,
    served and monitored on the cluster): every pipeline writes its references, since the
    cluster's monitoring jobs read them, not this plan's."""
    return _plan_aws(resolved, every_reference=True)


def _plan_aws(resolved: ResolvedSpec, every_reference: bool = False) -> DeploymentPlan:
    """Plan the AWS stack; ``every_reference``: each pipeline writes drift references whether
    or not a monitor of this plan reads them."""
    spec = resolved.spec
    system = spec.system
    names = stack_names(spec, resolved.environment.name)
    partition = partition_of(system.region)
    policy = environment_policy(resolved)
    storage = plan_storage(resolved, names, policy)
    registry = plan_registry(resolved, names, policy, partition)
    serving = {
        m: s
        for m in sorted(spec.models)
        if (s := plan_serving(m, resolved, names, policy, storage, partition))
    }
    monitoring = plan_monitoring(resolved, names, policy, storage, serving, partition)
    training = {
        m: plan_training(
            m,
            resolved,
            names,
            storage,
            partition,
            references=every_reference or reads_references(spec, monitoring, m),
        )
        for m in sorted(spec.models)
    }
    retraining = plan_retraining(resolved, names, policy, storage, training, serving, partition)
    deployment = DeploymentPlan(
        system=system.id,
        environment=resolved.environment.name,
        region=system.region,
        partition=partition,
        metric_namespace=names.metric_namespace(),
        policy=policy,
        storage=storage,
        registry=registry,
        training=tuple(training.values()),
        serving=tuple(serving.values()),
        monitoring=monitoring,
        retraining=retraining,
        notes=tuple(_notes(resolved, storage, serving, monitoring)),
        renames=renames(spec),
    )
    roles = {
        model: plan_.with_scheduler_role(scheduler_role(model, names, schedules))
        for model, plan_ in training.items()
        if (schedules := deployment.schedules_for(model))
    }
    deployment = replace(
        deployment, training=tuple(roles.get(t.model, t) for t in deployment.training)
    )
    policy_size.check_roles(_roles(deployment))
    return deployment


def reads_references(spec: SystemSpec, monitoring: MonitoringPlan, model: str) -> bool:
    """The model's monitoring job reads its drift references: the reference profile (data
    drift, bias) or the reference predictions (prediction drift). Nothing else does, so a model
    without such a monitor (unserved, or served without one) writes none."""
    job = monitoring.model(model).job
    if job is None:
        return False
    monitors = spec.models[model].monitors  # the job's are the ones it measures
    return any(isinstance(monitors[monitor], REFERENCE_READERS) for monitor in job.monitors)


def _roles(deployment: DeploymentPlan) -> list[tuple[str | None, RolePlan]]:
    """(the model it belongs to, or None for a system-wide role; the role) of every role."""
    roles: list[tuple[str | None, RolePlan]] = []
    for training in deployment.training:
        roles += [(training.model, training.role), (training.model, training.job_role)]
        if training.scheduler_role:
            roles.append((training.model, training.scheduler_role))
    roles += [(serving.model, serving.role) for serving in deployment.serving]
    roles += [(job.model, job.role) for job in deployment.monitoring.jobs]
    if deployment.retraining:
        roles += [(None, f.role) for f in deployment.retraining.functions]
    if deployment.monitoring.notifier:
        roles.append((None, deployment.monitoring.notifier.function.role))
    return roles
