"""Serving plan per model: realtime or serverless endpoint, or scheduled batch transform.

Who owns the endpoint is decided by ``model_version``; both owners get the same
``EndpointTarget`` (the runtime contract every SageMaker request is built from, by
``mlops_runtime.aws.endpoint_requests``), so both serving paths run one rollout:

- ``pinned``: a Pulumi dynamic resource (``mlops_components.endpoint_resource``) runs the
  rollout during ``pulumi up`` and waits ``EndpointPlan.wait_minutes`` for it to end: it creates
  the endpoint, or moves it blue/green onto a new content-named model and config and verifies
  that it serves them; promoting a version is a spec change.
- ``latest_approved``: which package is served is runtime state, unknown when Pulumi runs (no
  package exists on a first deployment). The deploy function creates the endpoint on the first
  approval, updates it on later ones with the same settings, and registers its autoscaling once
  it is in service (its config is planned in :mod:`mlops_spec.plan.retraining`); Pulumi owns
  everything around it (role, alarms on the endpoint's fixed name, dashboard, the rules) and a
  teardown that deletes what the function created when the stack is destroyed.

Every created Model, EndpointConfig and Endpoint is tagged with the stack's tags plus
``ENDPOINT_OWNER_TAG`` (``pulumi`` or ``deploy-function``): the teardown finds the deploy
function's by these tags.

Batch runs a pipeline [ResolveChampion] -> CreateModel -> Transform on a schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from math import ceil
from typing import Any, Literal
from urllib.parse import urlparse

from mlops_runtime.contract.config import (
    AutoscalingTarget,
    DataCapture,
    EndpointTarget,
    TrafficShift,
)
from mlops_spec import rollout_limits
from mlops_spec.enums import ServingTier
from mlops_spec.models import ResolvedSpec
from mlops_spec.models.serving import (
    BatchServing,
    PinnedVersion,
    RealtimeServing,
    ServerlessServing,
)
from mlops_spec.naming import Names
from mlops_spec.plan import batch_features, iam, pipelines
from mlops_spec.plan.documents import ACCOUNT, KEY_ARN, Statement
from mlops_spec.plan.images import image, sklearn_image
from mlops_spec.plan.metrics import VARIANT, MetricDescriptor, endpoint_metrics
from mlops_spec.plan.policy import EnvironmentPolicy
from mlops_spec.plan.schedules import SchedulePlan, pipeline_arn, start_pipeline_schedule
from mlops_spec.plan.storage import StoragePlan, bucket_arn
from mlops_spec.plan.training import job_grants, package_arns

RESOLVE_INSTANCE_TYPE = "ml.t3.medium"
Owner = Literal["pulumi", "deploy-function"]
ENDPOINT_OWNER_TAG = "mlops:endpoint-owner"
"""Tag on every Model, EndpointConfig and Endpoint an endpoint's owner creates: ``pulumi``
(pinned) or ``deploy-function`` (``latest_approved``). With the stack's ``system`` and
``environment`` tags it tells the teardown what the deploy function created."""
PROVISION_MINUTES = 30
"""What ``pulumi up`` allows SageMaker to start a fleet (a new endpoint, or the green fleet of
an update) and to end the rollout, on top of the traffic shifting's own waits."""


@dataclass(frozen=True)
class RolloutPlan:
    """Blue/green traffic shifting (SageMaker deployment guardrails)."""

    strategy: str
    """ALL_AT_ONCE, CANARY or LINEAR (SageMaker's TrafficRoutingConfig types)."""
    step_percent: int
    wait_seconds: int
    termination_wait_seconds: int
    rollback_alarms: tuple[str, ...]
    max_rollout_minutes: int
    """The whole rollout's budget, SageMaker's MaximumExecutionTimeoutInSeconds (in minutes):
    provisioning, every bake and the termination wait (``mlops_spec.rollout_limits``)."""


@dataclass(frozen=True)
class AutoscalingPlan:
    """Target tracking on invocations per instance of the stable variant (``min < max`` only).
    Pulumi registers it for pinned endpoints; the deploy function for ``latest_approved``."""

    resource_id: str
    policy_name: str
    min_capacity: int
    max_capacity: int
    target_invocations_per_instance: int
    scale_in_cooldown_seconds: int
    scale_out_cooldown_seconds: int
    scalable_dimension: str = "sagemaker:variant:DesiredInstanceCount"
    predefined_metric: str = "SageMakerVariantInvocationsPerInstance"


@dataclass(frozen=True)
class CapturePlan:
    destination_uri: str
    sampling_percent: int


@dataclass(frozen=True)
class ServerlessPlan:
    memory_mb: int
    max_concurrency: int
    provisioned_concurrency: int | None


@dataclass(frozen=True)
class EndpointPlan:
    """A realtime or serverless endpoint (one variant, ``AllTraffic``)."""

    name: str
    arn: str
    region: str
    owner: Owner
    variant: str
    package_version: int | None
    package_arn: str | None
    instance_type: str | None
    initial_instance_count: int
    serverless: ServerlessPlan | None
    capture: CapturePlan | None
    rollout: RolloutPlan | None
    autoscaling: AutoscalingPlan | None
    log_group: str
    wait_minutes: int | None
    """Pinned only: how long ``pulumi up`` waits for a create or a rollout to end before it
    fails the deployment (``PROVISION_MINUTES`` plus the bakes and the termination wait)."""


@dataclass(frozen=True)
class BatchPlan:
    """Scheduled batch transform through a pipeline."""

    pipeline_name: str
    pipeline_arn: str
    schedule: SchedulePlan
    input_uri: str
    output_uri: str
    content_type: str
    split_type: str
    instance_type: str
    instance_count: int
    max_payload_mb: int
    package_version: int | None
    """None: the pipeline resolves the group's latest Approved package at run time."""
    definition: pipelines.Deferred = pipelines.Deferred()  # noqa: RUF009 - a descriptor
    """Pipeline definition JSON (``${account}``/``${key_arn}`` placeholders), encoded when first
    read: validation reads none."""
    config_files: tuple[pipelines.ConfigFile, ...] = ()
    """The PrepareFeatures step's configuration (a data-source input), uploaded by the
    component."""
    features_uri: str | None = None
    """A data-source input: where PrepareFeatures writes the model's features, which the
    transform reads (``<features_uri><execution id>/``); None for a plain s3:// input, which the
    transform reads as it is."""


@dataclass(frozen=True)
class ServingPlan:
    model: str
    tier: str
    role: iam.RolePlan
    package_group: str
    endpoint: EndpointPlan | None
    batch: BatchPlan | None
    metrics: tuple[tuple[str, MetricDescriptor], ...]
    """Endpoint metric descriptors by key (invocations, model_latency, errors_5xx, ...)."""

    def metric(self, key: str) -> MetricDescriptor:
        return dict(self.metrics)[key]

    @property
    def rollback_alarms(self) -> tuple[str, ...]:
        """Alarm names that roll a deployment back (empty unless realtime with auto-rollback)."""
        rollout = self.endpoint.rollout if self.endpoint else None
        return rollout.rollback_alarms if rollout else ()


def _split_s3(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    prefix = parsed.path.lstrip("/")
    return parsed.netloc, prefix


def _sagemaker_arn(partition: str, region: str, resource: str) -> str:
    return f"arn:{partition}:sagemaker:{region}:{ACCOUNT}:{resource}"


def _rollout(serving: RealtimeServing, rollback_alarms: tuple[str, ...]) -> RolloutPlan:
    rollout, shifting = serving.rollout, rollout_limits.shifting(serving)
    return RolloutPlan(
        strategy=str(shifting.strategy).upper(),
        step_percent=shifting.step_percent,
        wait_seconds=rollout.bake_minutes * 60,
        termination_wait_seconds=rollout.termination_wait_minutes * 60,
        rollback_alarms=rollback_alarms if rollout.auto_rollback else (),
        max_rollout_minutes=shifting.max_rollout_minutes,
    )


def _endpoint(
    model_id: str,
    resolved: ResolvedSpec,
    names: Names,
    storage: StoragePlan,
    partition: str,
) -> EndpointPlan:
    spec_model = resolved.spec.models[model_id]
    serving = spec_model.serving
    assert isinstance(serving, RealtimeServing | ServerlessServing)
    region = resolved.spec.system.region
    name = names.endpoint(model_id)
    group = names.model_package_group(model_id)
    pinned = serving.model_version if isinstance(serving.model_version, PinnedVersion) else None
    package_arn = (
        _sagemaker_arn(partition, region, f"model-package/{group}/{pinned.pinned}")
        if pinned
        else None
    )
    # At most checks.MAX_ROLLBACK_ALARMS, enforced when the spec is loaded.
    rollback = tuple(sorted(names.alarm(model_id, m) for m in spec_model.rollback_monitors))
    capture = serverless = autoscaling = rollout = None
    instance_type, count = None, 1
    if isinstance(serving, RealtimeServing):
        instance_type, count = serving.instance_type, serving.autoscaling.min_instances
        rollout = _rollout(serving, rollback)
        capture = _capture(serving, storage)
        autoscaling = _autoscaling(serving, names, model_id)
    else:
        serverless = ServerlessPlan(
            serving.memory_mb, serving.max_concurrency, serving.provisioned_concurrency
        )
    return EndpointPlan(
        name=name,
        arn=_sagemaker_arn(partition, region, f"endpoint/{name.lower()}"),
        region=region,
        owner="pulumi" if pinned else "deploy-function",
        variant=VARIANT,
        package_version=pinned.pinned if pinned else None,
        package_arn=package_arn,
        instance_type=instance_type,
        initial_instance_count=count,
        serverless=serverless,
        capture=capture,
        rollout=rollout,
        autoscaling=autoscaling,
        log_group=f"/aws/sagemaker/Endpoints/{name}",
        wait_minutes=wait_minutes(_traffic(rollout)) if pinned else None,
    )


def endpoint_target(plan: ServingPlan, policy: EnvironmentPolicy, partition: str) -> EndpointTarget:
    """What both owners build the endpoint's SageMaker requests from (the runtime contract;
    ``${account}`` and ``${key_arn}`` placeholders in its ARNs): variant, instances or
    serverless sizes, capture, KMS, blue/green shifting, rollback alarms and autoscaling, tagged
    with the stack's tags and ``ENDPOINT_OWNER_TAG``. Model and EndpointConfig names end in a
    hash of their request (``mlops_runtime.aws.endpoint_requests``)."""
    endpoint = plan.endpoint
    if endpoint is None:
        raise ValueError(f"serving of {plan.model} has no endpoint")
    serverless, rollout = endpoint.serverless, endpoint.rollout
    return EndpointTarget(
        model_id=plan.model,
        endpoint_name=endpoint.name,
        execution_role_arn=plan.role.arn(partition),
        instance_type=endpoint.instance_type,
        initial_instance_count=endpoint.initial_instance_count,
        serverless_memory_mb=serverless.memory_mb if serverless else None,
        serverless_max_concurrency=serverless.max_concurrency if serverless else None,
        serverless_provisioned_concurrency=(
            serverless.provisioned_concurrency if serverless else None
        ),
        variant_name=endpoint.variant,
        traffic=_traffic(rollout),
        rollback_alarms=rollout.rollback_alarms if rollout else (),
        data_capture=_capture_target(endpoint.capture),
        kms_key_id=KEY_ARN if serverless is None else None,
        tags=dict(sorted({**policy.tag_map, ENDPOINT_OWNER_TAG: endpoint.owner}.items())),
        autoscaling=_autoscaling_target(endpoint.autoscaling),
    )


def _traffic(rollout: RolloutPlan | None) -> TrafficShift:
    """The rollout in the runtime's words (the defaults for serverless: no guardrails)."""
    if rollout is None:
        return TrafficShift()
    return TrafficShift(
        strategy=rollout.strategy.lower(),
        step_percent=rollout.step_percent,
        bake_minutes=rollout.wait_seconds // 60,
        termination_wait_minutes=rollout.termination_wait_seconds // 60,
        max_rollout_minutes=rollout.max_rollout_minutes,
    )


def _capture_target(capture: CapturePlan | None) -> DataCapture | None:
    if capture is None:
        return None
    return DataCapture(
        destination_s3_uri=capture.destination_uri,
        sampling_percent=capture.sampling_percent,
        kms_key_id=KEY_ARN,
    )


def _autoscaling_target(scaling: AutoscalingPlan | None) -> AutoscalingTarget | None:
    if scaling is None:
        return None
    return AutoscalingTarget(
        min_capacity=scaling.min_capacity,
        max_capacity=scaling.max_capacity,
        target_invocations_per_instance=float(scaling.target_invocations_per_instance),
        scale_in_cooldown_seconds=scaling.scale_in_cooldown_seconds,
        scale_out_cooldown_seconds=scaling.scale_out_cooldown_seconds,
        policy_name=scaling.policy_name,
    )


def wait_minutes(traffic: TrafficShift) -> int:
    """How long a pinned endpoint's ``pulumi up`` waits: ``PROVISION_MINUTES``, one bake per
    traffic shift (linear: one per step; canary and all at once: one) and the termination
    wait; ``max_rollout_minutes`` instead of the shifting when it is set."""
    shifts = ceil(100 / traffic.step_percent) if traffic.strategy == "linear" else 1
    shifting = traffic.bake_minutes * shifts + traffic.termination_wait_minutes
    if traffic.max_rollout_minutes is not None:
        shifting = traffic.max_rollout_minutes
    return PROVISION_MINUTES + shifting


def _capture(serving: RealtimeServing, storage: StoragePlan) -> CapturePlan | None:
    if serving.data_capture_percent <= 0:
        return None
    return CapturePlan(
        destination_uri=f"s3://{storage.bucket('capture').name}/endpoints",
        sampling_percent=max(1, round(serving.data_capture_percent)),
    )


def _autoscaling(serving: RealtimeServing, names: Names, model_id: str) -> AutoscalingPlan | None:
    scaling = serving.autoscaling
    if not scaling.enabled:
        return None
    return AutoscalingPlan(
        resource_id=f"endpoint/{names.endpoint(model_id)}/variant/{VARIANT}",
        policy_name=names.scaling_policy(model_id),
        min_capacity=scaling.min_instances,
        max_capacity=scaling.max_instances,
        target_invocations_per_instance=scaling.target_invocations_per_instance,
        scale_in_cooldown_seconds=scaling.scale_in_cooldown_seconds,
        scale_out_cooldown_seconds=scaling.scale_out_cooldown_seconds,
    )


def _batch(
    model_id: str,
    resolved: ResolvedSpec,
    names: Names,
    policy: EnvironmentPolicy,
    storage: StoragePlan,
    partition: str,
    role_arn: str,
) -> BatchPlan:
    serving = resolved.spec.models[model_id].serving
    assert isinstance(serving, BatchServing)
    region = resolved.spec.system.region
    group = names.model_package_group(model_id)
    pipeline = names.batch_pipeline(model_id)
    prepared = None
    if serving.input in resolved.spec.data_sources:  # the model gets its features only
        input_uri = storage.location(serving.input).uri
        prepared = batch_features.plan_preparation(
            model_id, serving.input, resolved, storage, pipeline, role_arn, partition
        )
    else:  # documented as headerless CSV in the model's feature order
        input_uri = serving.input
    content_type, split = batch_features.CONTENT_TYPE, batch_features.SPLIT_TYPE
    output = batch_output(model_id, serving, storage)
    pinned = serving.model_version if isinstance(serving.model_version, PinnedVersion) else None
    steps: list[dict[str, Any]] = []
    package: Any
    if pinned:
        package = _sagemaker_arn(partition, region, f"model-package/{group}/{pinned.pinned}")
    else:
        steps.append(_resolve_champion_step(model_id, group, storage, partition, region, role_arn))
        package = pipelines.champion_expression()
    steps.append(pipelines.model_step(role_arn, package))
    if prepared:
        steps.append(prepared.step)
    steps.append(
        pipelines.transform_step(
            input_uri=prepared.transform_input if prepared else input_uri,
            content_type=content_type,
            split_type=split,
            output_prefix=output,
            instance_type=serving.instance_type,
            instance_count=serving.instance_count,
            max_payload_mb=serving.max_payload_mb,
        )
    )
    return BatchPlan(
        pipeline_name=pipeline,
        pipeline_arn=pipeline_arn(partition, region, pipeline),
        schedule=start_pipeline_schedule(
            names=names,
            model=model_id,
            purpose="batch",
            what="scheduled batch transform",
            expression=serving.schedule,
            enabled=policy.schedules_enabled,
            pipeline=pipeline,
            partition=partition,
            region=region,
        ),
        input_uri=input_uri,
        output_uri=output,
        content_type=content_type,
        split_type=split,
        instance_type=serving.instance_type,
        instance_count=serving.instance_count,
        max_payload_mb=serving.max_payload_mb,
        package_version=pinned.pinned if pinned else None,
        definition=partial(pipelines.definition, tuple(steps)),
        config_files=(prepared.config_file,) if prepared else (),
        features_uri=prepared.prefix_uri if prepared else None,
    )


def batch_output(model_id: str, serving: BatchServing, storage: StoragePlan) -> str:
    """Where the transform writes: a data source of kind output (its bucket and prefix in
    this stack), the s3:// URI written, or the reports bucket's ``batch/<model>/``."""
    if serving.output is None:
        return f"s3://{storage.bucket('reports').name}/batch/{model_id}/"
    if serving.output.startswith("s3://"):
        return serving.output
    return storage.location(serving.output).uri


def _resolve_champion_step(
    model_id: str, group: str, storage: StoragePlan, partition: str, region: str, role_arn: str
) -> dict[str, Any]:
    """Finds the latest approved package of ``group`` (``latest_approved`` batch models)."""
    base = f"s3://{storage.bucket('artifacts').name}/{storage.model_prefix(model_id)}batch"
    return pipelines.processing_step(
        "ResolveChampion",
        image=sklearn_image(region, partition).uri,
        role_arn=role_arn,
        instance_type=RESOLVE_INSTANCE_TYPE,
        code_uri=storage.code.uri,
        code_object_key=storage.code.object_key,
        module="mlops_runtime.champion",
        args=("--group", group, "--output", pipelines.CHAMPION_DIR),
        outputs=[
            (
                pipelines.CHAMPION_OUTPUT,
                pipelines.per_execution(f"{base}/champion"),
                pipelines.CHAMPION_DIR,
            )
        ],
        property_files=[
            (
                pipelines.CHAMPION_PROPERTY_FILE,
                pipelines.CHAMPION_OUTPUT,
                pipelines.CHAMPION_FILE,
            )
        ],
        max_runtime_seconds=900,
    )


def plan_serving(
    model_id: str,
    resolved: ResolvedSpec,
    names: Names,
    policy: EnvironmentPolicy,
    storage: StoragePlan,
    partition: str,
) -> ServingPlan | None:
    """None for a model without serving (trained and registered only)."""
    spec_model = resolved.spec.models[model_id]
    serving = spec_model.serving
    if serving is None:
        return None
    region = resolved.spec.system.region
    role_name = names.role("serve", model_id)
    role_arn = iam.role_arn(partition, role_name)
    group = names.model_package_group(model_id)
    artifacts = storage.bucket("artifacts")
    model_image = image(spec_model.training.image, partition)
    grants: list[tuple[Statement, ...]] = [
        iam.s3_read(artifacts.arn, storage.model_prefix(model_id)),
        iam.kms_use(encrypt=True),
    ]
    endpoint = batch = None
    if spec_model.tier is ServingTier.BATCH:
        batch = _batch(model_id, resolved, names, policy, storage, partition, role_arn)
        grants += _batch_grants(model_id, batch, group, storage, partition, region, role_arn)
        repos = {model_image.repository_arn, sklearn_image(region, partition).repository_arn}
    else:
        endpoint = _endpoint(model_id, resolved, names, storage, partition)
        grants += _endpoint_grants(endpoint, group, partition, region)
        repos = {model_image.repository_arn}
    grants.append(iam.ecr_pull(tuple(sorted(r for r in repos if r))))
    return ServingPlan(
        model=model_id,
        tier=str(spec_model.tier),
        role=iam.sagemaker_role(
            "serve",
            role_name,
            f"SageMaker serving of {model_id}",
            *grants,
            partition=partition,
            region=region,
        ),
        package_group=group,
        endpoint=endpoint,
        batch=batch,
        metrics=endpoint_metrics(endpoint.name) if endpoint else (),
    )


def _read_packages(group: str, partition: str, region: str) -> Statement:
    group_arn, packages = package_arns(partition, region, group)
    return Statement(
        sid="ReadPackages",
        actions=("sagemaker:DescribeModelPackage",),
        resources=(group_arn, packages),
    )


def _endpoint_grants(
    endpoint: EndpointPlan, group: str, partition: str, region: str
) -> list[tuple[Statement, ...]]:
    """Write captured traffic, the endpoint's logs and its instances' metrics; read the
    model's packages and the alarms that roll its deployments back."""
    grants = []
    if endpoint.serverless is None:
        grants.append(iam.endpoint_instance_metrics())
    if endpoint.rollout:
        grants.append(iam.describe_alarms(partition, region, endpoint.rollout.rollback_alarms))
    if endpoint.capture:
        bucket, prefix = _split_s3(endpoint.capture.destination_uri)
        grants.append(iam.s3_write(bucket_arn(partition, bucket), f"{prefix}/{endpoint.name}/"))
    log_arn = f"arn:{partition}:logs:{region}:{ACCOUNT}:log-group:{endpoint.log_group}"
    grants.append(iam.log_writes((log_arn,)))
    grants.append((_read_packages(group, partition, region),))
    return grants


def _batch_grants(
    model_id: str,
    batch: BatchPlan,
    group: str,
    storage: StoragePlan,
    partition: str,
    region: str,
    role_arn: str,
) -> list[tuple[Statement, ...]]:
    """Read the input, write the output, run the transform (and, for ``latest_approved``, the
    champion lookup; for a data-source input, the feature preparation) and create the model
    from the package."""
    in_bucket, in_prefix = _split_s3(batch.input_uri)
    out_bucket, out_prefix = _split_s3(batch.output_uri)
    resolve = batch.package_version is None
    processing = resolve or batch.features_uri is not None
    kinds = ("transform", "processing") if processing else ("transform",)
    create_models = Statement(
        sid="CreateModels",
        actions=("sagemaker:AddTags", "sagemaker:CreateModel", "sagemaker:DescribeModel"),
        resources=(_sagemaker_arn(partition, region, "model/pipelines-*"),),
    )
    grants = [
        iam.s3_read(bucket_arn(partition, in_bucket), in_prefix),
        iam.s3_write(bucket_arn(partition, out_bucket), out_prefix),
        job_grants(partition, region, kinds),
        (create_models, _read_packages(group, partition, region)),
        iam.pass_role((role_arn,), "sagemaker.amazonaws.com"),
    ]
    if resolve:
        artifacts = storage.bucket("artifacts")
        find = Statement(
            sid="FindChampion", actions=("sagemaker:ListModelPackages",), resources=("*",)
        )
        grants += [
            iam.s3_read(artifacts.arn, storage.code.object_key),
            iam.s3_write(artifacts.arn, f"{storage.model_prefix(model_id)}batch/"),
            (find,),
        ]
    if batch.features_uri is not None:
        grants += batch_features.grants(batch.features_uri, storage, batch.pipeline_name)
    return grants
