"""``MlSystem``: the public component. One spec file and one stack -> the whole ML system.

A team's Pulumi program is this one call (``mlops init --project`` scaffolds it)::

    import pulumi
    from mlops_components import MlSystem, MlSystemArgs

    system = MlSystem("system", MlSystemArgs(spec=pulumi.Config().require("spec")))
    for name, value in system.stack_outputs.items():  # the outputs contract, docs/outputs.md
        pulumi.export(name, value)

The spec is loaded, validated and planned for the stack before anything is registered; a bad
spec fails the program with the located message (``pulumi.RunError``, no traceback). Then the
components are built in dependency order: storage, registry, monitoring, training, serving,
monitoring jobs, the endpoint teardown (when the deploy function creates endpoints), retraining.
One ``MlSystem`` per stack: its children keep the names they have always had (``storage``,
``<model>-training``, ...), so two in one program would collide.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from mlops_components.monitoring import Monitoring, MonitoringArgs
from mlops_components.monitoring_job import FORMER_TYPES as MONITORING_JOB_FORMER_TYPES
from mlops_components.monitoring_job import MonitoringJob, MonitoringJobArgs
from mlops_components.outputs import (
    KubernetesOutputs,
    ModelOutputs,
    RetrainingOutputs,
    stack_outputs,
)
from mlops_components.registry import Registry, RegistryArgs
from mlops_components.renames import with_renames
from mlops_components.retraining import Retraining, RetrainingArgs
from mlops_components.serving import Serving, ServingArgs
from mlops_components.storage import Storage, StorageArgs
from mlops_components.teardown import EndpointTeardown
from mlops_components.training import Training, TrainingArgs
from mlops_spec.errors import SpecError
from mlops_spec.load import validate_file
from mlops_spec.plan import DeploymentPlan
from mlops_spec.plan.lineage import COMMIT_ENV, stamp_commit
from mlops_spec.plan.serving import ENDPOINT_OWNER_TAG

TYPE = "mlops:system:MlSystem"


@dataclass(frozen=True)
class MlSystemArgs:
    """Which spec to build, for which stack."""

    spec: str | os.PathLike[str]
    """The spec file (YAML). A relative path is read from the Pulumi project directory (where
    ``Pulumi.yaml`` is), whatever the program's ``main`` directory. A plain value, not an
    ``Input``: the spec decides which resources exist, so it must be known before any is
    registered."""
    stack: str | None = None
    """The environment of the spec to build (a key of its ``environments``). Defaults to the
    Pulumi stack's name (``pulumi.get_stack()``), so ``pulumi up --stack prod`` builds the
    ``prod`` overlay."""
    commit: str | None = None
    """The repository commit every model version trained by this deployment records (its
    lineage, docs/lineage.md). Defaults to the ``mlops:commit`` config, else the
    ``MLOPS_COMMIT`` environment variable (the deploy workflow sets it to ``github.sha``);
    unset: ``unknown``."""


@dataclass(frozen=True)
class _Parts:
    """The child components, kept for the outputs."""

    storage: Storage
    registry: Registry
    monitoring: Monitoring
    training: dict[str, Training]
    serving: dict[str, Serving]
    retraining: Retraining | None


class MlSystem(pulumi.ComponentResource):
    """Every resource of one ML system in one stack, built from its spec."""

    plan: DeploymentPlan
    """The frozen plan the system was built from: every resource, name and setting, decided
    from the spec alone (``mlops_spec.plan``)."""
    system_id: str
    """The spec's ``system.id``: the first part of every resource name."""
    environment: str
    """The environment (stack) this system was built for."""
    region: str
    """The AWS region of every resource (the spec's ``system.region``)."""
    kms_key_arn: pulumi.Output[str]
    """The system's KMS key: buckets, alarm topic, queue, table and data capture use it."""
    alarm_topic_arn: pulumi.Output[str]
    """The SNS topic every alarm notifies (e-mails, external topics, the chat notifier)."""
    bucket_names: dict[str, pulumi.Output[str]]
    """Bucket names by role: ``artifacts``, ``capture``, ``reports``, ``logs``, and
    ``data-<source>`` for each data source with ``bucket: create``."""
    models: dict[str, ModelOutputs]
    """Per model id: registry group, training pipeline, dashboard, health alarm, endpoint or
    batch pipeline (:class:`~mlops_components.outputs.ModelOutputs`)."""
    retraining: RetrainingOutputs | None
    """The retraining and deploy loop's table, dead-letter queue and functions; None when
    nothing retrains and no endpoint follows ``latest_approved``."""
    kubernetes: KubernetesOutputs | None
    """On ``system.platform: kubernetes``: the namespace, what the cluster serves (URLs) and
    trains (registry, Job templates), and the loop controller; None on an AWS stack."""
    stack_outputs: dict[str, Any]
    """The stack outputs contract (docs/outputs.md), ready for ``pulumi.export``: the values
    above under their contract names, plus ``contract_version``."""

    def __init__(
        self, name: str, args: MlSystemArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        deployment = _load(args)  # before registering anything: a bad spec creates nothing
        # Renamed models and data sources (moved_from): every resource below answers to its
        # former name too (mlops_components.renames).
        opts = with_renames(opts or pulumi.ResourceOptions(), deployment.renames)
        super().__init__(TYPE, name, None, opts)
        for note in deployment.notes:  # what the spec asks for that these resources do not do
            pulumi.log.warn(note)
        parts = _build(self, deployment)
        self.plan = deployment
        self.system_id, self.environment = deployment.system, deployment.environment
        self.region = deployment.region
        self.kms_key_arn = parts.storage.key_arn
        self.alarm_topic_arn = parts.monitoring.topic_arn
        self.bucket_names = dict(parts.storage.bucket_names)
        self.models = {
            model: _model_outputs(deployment, parts, model) for model in deployment.models
        }
        self.retraining = _retraining_outputs(parts.retraining)
        self.kubernetes = _kubernetes_outputs(deployment)
        self.stack_outputs = stack_outputs(
            system=self.system_id,
            environment=self.environment,
            region=self.region,
            kms_key_arn=self.kms_key_arn,
            alarm_topic_arn=self.alarm_topic_arn,
            buckets=self.bucket_names,
            models=self.models,
            retraining=self.retraining,
            kubernetes=self.kubernetes,
        )
        self.register_outputs(self.stack_outputs)


def spec_path(spec: str | os.PathLike[str]) -> Path:
    """``spec`` as an absolute path; a relative one is read from the project directory."""
    path = Path(spec)
    if path.is_absolute():
        return path
    return Path(pulumi.get_root_directory() or os.getcwd()) / path


def _load(args: MlSystemArgs) -> DeploymentPlan:
    """Validate and plan the spec for the stack; user errors become ``RunError``s.

    The plan is the validation's own (validation plans every stack it checks: one verdict),
    so ``mlops plan``, which validated the file before running this program, plans it once.
    """
    path, stack = spec_path(args.spec), args.stack or pulumi.get_stack()
    try:  # a bad spec is the user's input, not a bug: report it without a traceback
        deployment = validate_file(path, stack).stacks[stack].plan
    except SpecError as error:
        raise pulumi.RunError(str(error)) from None
    assert deployment is not None  # a stack that validates has its plan
    region = pulumi.Config("aws").get("region")
    if region and region != deployment.region:
        raise pulumi.RunError(f"aws:region is {region}; {path} deploys to {deployment.region}")
    commit = args.commit or pulumi.Config("mlops").get("commit") or os.environ.get(COMMIT_ENV)
    try:
        return stamp_commit(deployment, commit)
    except ValueError as error:
        raise pulumi.RunError(str(error)) from None


def _adopt(parent: MlSystem, former_types: Sequence[str] = ()) -> pulumi.ResourceOptions:
    """Options of a direct child. Components were top-level resources of the stack before
    ``MlSystem`` existed: the alias lets existing stacks adopt them (and, through inherited
    aliases, their children) without replacement. A component whose type token changed also
    needs the old type and the old parent together in one alias."""
    aliases = [pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]
    aliases += [pulumi.Alias(type_=t, parent=pulumi.ROOT_STACK_RESOURCE) for t in former_types]
    return pulumi.ResourceOptions(parent=parent, aliases=aliases)


def _build(parent: MlSystem, deployment: DeploymentPlan) -> _Parts:
    """The components, in dependency order, as ``infra/__main__.py`` built them."""
    storage = Storage("storage", StorageArgs(deployment.storage, deployment.policy), _adopt(parent))
    registry = Registry(
        "registry", RegistryArgs(deployment.registry, storage.context), _adopt(parent)
    )
    ctx = storage.context.after(registry)
    monitoring = Monitoring(
        "monitoring", MonitoringArgs(deployment.monitoring, ctx), _adopt(parent)
    )
    ctx = ctx.notifying(monitoring.alarm_actions)  # e.g. the schedules' dead-letter alarms
    training = {
        t.model: Training(f"{t.model}-training", TrainingArgs(t, ctx), _adopt(parent))
        for t in deployment.training
    }
    serving = {}
    for s in deployment.serving:
        alarms, scheduler = monitoring.alarms_named(s.rollback_alarms), training[s.model].scheduler
        serving[s.model] = Serving(
            f"{s.model}-serving", ServingArgs(s, ctx, alarms, scheduler), _adopt(parent)
        )
    for job in deployment.monitoring.jobs:
        scheduler = training[job.model].scheduler
        assert scheduler is not None  # the planner gives every monitored model a scheduler role
        MonitoringJob(
            f"{job.model}-drift",
            MonitoringJobArgs(job, ctx, scheduler),
            _adopt(parent, MONITORING_JOB_FORMER_TYPES),
        )
    retraining = None
    teardown = _teardown(parent, deployment)
    if deployment.retraining:
        # The deploy function depends on the teardown: destroyed first, it cannot recreate
        # an endpoint the teardown deleted.
        loop = ctx.after(*training.values(), *serving.values(), *teardown)
        retraining = Retraining(
            "retraining",
            RetrainingArgs(deployment.retraining, loop, monitoring.alarm_actions, training),
            _adopt(parent),
        )
    if deployment.kubernetes is not None:  # platform: kubernetes serves and monitors there
        # imported here: pulumi_kubernetes costs a system on AWS alone ~0.3 s of `mlops plan`
        from mlops_components.k8s.cluster import Cluster, ClusterArgs

        kubernetes = ClusterArgs(deployment.kubernetes, storage.context.refs)
        Cluster("cluster", kubernetes, _adopt(parent))
    return _Parts(storage, registry, monitoring, training, serving, retraining)


def _teardown(parent: MlSystem, deployment: DeploymentPlan) -> list[EndpointTeardown]:
    """The teardown of the endpoints the deploy function creates (none without such)."""
    owned = sorted(
        s.endpoint.name
        for s in deployment.serving
        if s.endpoint is not None and s.endpoint.owner == "deploy-function"
    )
    if not owned:
        return []
    tags = deployment.policy.tag_map
    marks = {
        "system": tags["system"],
        "environment": tags["environment"],
        ENDPOINT_OWNER_TAG: "deploy-function",
    }
    props = {
        "region": deployment.region,
        "prefix": f"{deployment.system}-{deployment.environment}",
        "tags": marks,
        "endpoints": owned,
    }
    # Like every direct child, it carries the stack-level alias (the test of MlSystem's aliases
    # holds for all; harmless for a resource that never lived at the top).
    options = pulumi.ResourceOptions.merge(
        _adopt(parent), pulumi.ResourceOptions(protect=deployment.policy.protect)
    )
    return [EndpointTeardown("endpoint-teardown", props, options)]


def _model_outputs(deployment: DeploymentPlan, parts: _Parts, model: str) -> ModelOutputs:
    serving_plan = deployment.serving_for(model)
    served = parts.serving.get(model)
    endpoint = serving_plan.endpoint if serving_plan else None
    return ModelOutputs(
        model_package_group=parts.registry.group_names[model],
        model_package_group_arn=parts.registry.group_arns[model],
        training_pipeline=parts.training[model].pipeline_name,
        dashboard_name=parts.monitoring.dashboard_names[model],
        health_alarm_name=parts.monitoring.health_alarm_names.get(model),
        serving_tier=serving_plan.tier if serving_plan else None,
        endpoint_name=served.endpoint_name if served else None,
        endpoint_arn=served.endpoint_arn if served else None,
        endpoint_owner=endpoint.owner if endpoint else None,
        batch_pipeline=served.batch_pipeline_name if served else None,
    )


def _kubernetes_outputs(deployment: DeploymentPlan) -> KubernetesOutputs | None:
    if deployment.kubernetes is None:
        return None
    from mlops_components.outputs_k8s import kubernetes_outputs  # on demand, as the Cluster

    return kubernetes_outputs(deployment)


def _retraining_outputs(retraining: Retraining | None) -> RetrainingOutputs | None:
    if retraining is None:
        return None
    return RetrainingOutputs(
        table_name=retraining.table_name,
        dead_letter_queue_url=retraining.queue_url,
        trigger_function=retraining.function_names.get("trigger"),
        deploy_function=retraining.function_names.get("deploy"),
    )
