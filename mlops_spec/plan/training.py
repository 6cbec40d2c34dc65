"""Training plan per model: the pipeline (train -> score the holdout with the candidate's
serving container -> evaluate -> gate -> profile + register) and its roles. Scheduled
retraining goes through the trigger function (see the retraining plan)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from typing import Any

from mlops_runtime.contract.config import EvaluateConfig, GateConfig, ProfileConfig
from mlops_runtime.contract.holdout import CANDIDATE_MODEL_ENV, HoldoutConfig, data_processing
from mlops_spec.checks import model_features
from mlops_spec.enums import Approval, QualityMetric
from mlops_spec.models import Model, ResolvedSpec
from mlops_spec.models.serving import (
    BatchServing,
    PinnedVersion,
    RealtimeServing,
    ServerlessServing,
)
from mlops_spec.naming import Names
from mlops_spec.plan import iam, lineage, pipelines
from mlops_spec.plan.documents import ACCOUNT, Condition, Statement
from mlops_spec.plan.errors import PlanError
from mlops_spec.plan.images import (
    Image,
    image,
    private_registry_grants,
    sklearn_image,
    training_image_access,
)
from mlops_spec.plan.schedules import pipeline_arn
from mlops_spec.plan.storage import (
    HOLDOUT_COPY_PREFIX,
    PREDICTIONS_PREFIX,
    BucketPlan,
    StoragePlan,
)

EVALUATION_INSTANCE_TYPE = "ml.m5.large"
HOLDOUT_INSTANCE_TYPE = "ml.m5.xlarge"
HOLDOUT_VOLUME_GB = 100
"""The PrepareHoldout step holds the holdout's objects and their prepared copy."""
HOLDOUT_PREFIX = HOLDOUT_COPY_PREFIX
"""Under ``models/<model>/``: each execution's prepared holdout (written by the pipeline's
role) and the candidate's predictions of it (:data:`PREDICTIONS_PREFIX`, written by the
transform, with the training job's role); both expire (``storage.GATE_COPIES_DAYS``)."""
PROFILE_INSTANCE_TYPE = "ml.m5.xlarge"
"""Profiles up to ``ProfileConfig.sample_rows`` (1M) rows in memory."""
PROFILE_FILE = "profile.json"
PREDICTIONS_FILE = "predictions.json"
"""The evaluation step's profile of the holdout predictions; the Profile step copies it next to
``profile.json`` (the monitoring job's prediction-drift reference)."""
REGRESSION_METRICS = frozenset({QualityMetric.RMSE, QualityMetric.MAE, QualityMetric.R2})
APPROVAL_STATUS = {Approval.AUTO: "Approved", Approval.MANUAL: "PendingManualApproval"}
TRAINING_PREFIX = "training"
CHECKPOINT_PREFIX = "checkpoints"
EVALUATION_PREFIX = "evaluation"
REFERENCE_PREFIX = "reference"
"""Under ``models/<model>/`` in the artifacts bucket: the training job writes ``training/``
(the model) and ``checkpoints/``; the pipeline's steps write ``evaluation/`` and
``reference/`` (or ``profiles/``, see :data:`PACKAGE_REFERENCES_PREFIX`)."""
PACKAGE_REFERENCES_PREFIX = "profiles"
"""Under ``models/<model>/``: each execution's references (``<execution id>/profile.json``,
``predictions.json``) of a model served by the deploy function; the package records its prefix
(``mlops:reference``) and the deploy function copies the served package's to ``reference/``."""


@dataclass(frozen=True)
class Channel:
    """A training input channel (named after its data source)."""

    name: str
    uri: str
    content_type: str
    bucket_arn: str
    prefix: str


@dataclass(frozen=True)
class GatePlan:
    """The evaluation step's gate and the EvaluateConfig it runs with."""

    metric: str
    min_value: float | None
    max_value: float | None
    min_improvement: float
    task: str
    label: str
    holdout: str
    """The data source scored: ``training.holdout``, by default the first input."""
    holdout_uri: str
    evaluation_uri: str
    """Per-execution evaluation.json lands under ``<evaluation_uri>/<execution id>/``."""
    config: str
    """``EvaluateConfig`` JSON for ``MLOPS_RUNTIME_CONFIG``."""
    holdout_config: str = ""
    """``HoldoutConfig`` JSON of the PrepareHoldout step."""
    prepared_uri: str = ""
    """Each execution's prepared holdout lands under ``<prepared_uri>/<execution id>/``."""
    predictions_uri: str = ""
    """Each execution's transform output lands under ``<predictions_uri>/<execution id>/``."""
    content_type: str = "text/csv"
    output: str = "label"
    instance_type: str = "ml.m5.xlarge"
    """The ScoreHoldout transform's instance type (``training.evaluation``)."""
    max_payload_mb: int = 6
    feature_count: int = 0


@dataclass(frozen=True)
class ProfilePlan:
    """The Profile step: the reference profile the monitoring job compares traffic with, computed
    from the training data of every candidate that passes the gate."""

    source: str
    """The data source profiled: the first training input (the training data channel)."""
    input_uri: str
    output_uri: str
    """S3 prefix receiving ``/opt/ml/processing/profile`` (so ``profile.json`` lands at
    ``profile_uri``)."""
    profile_uri: str
    """``MonitorConfig.profile_uri`` of the model's monitoring job."""
    config: str
    """``ProfileConfig`` JSON for ``MLOPS_RUNTIME_CONFIG``."""
    packages_uri: str | None = None
    """Models the deploy function serves (``latest_approved`` endpoints): the s3:// prefix
    under which the step writes each execution's references (``<packages_uri><execution id>/``,
    recorded on the package as ``mlops:reference``); the deploy function copies the served
    package's to ``output_uri``. None: the step writes ``output_uri`` itself."""
    files: tuple[str, ...] = (PROFILE_FILE,)
    """The references written: ``profile.json``, and ``predictions.json`` with a gate; none
    (and no Profile step) when no monitor of the model reads them (``plan_training``'s
    ``references``)."""


@dataclass(frozen=True)
class TrainingPlan:
    """A model's SageMaker training pipeline."""

    model: str
    pipeline_name: str
    pipeline_arn: str
    display_name: str
    description: str
    role: iam.RolePlan
    """The pipeline's role (``<prefix>-<model>-train``): orchestration, the Evaluate and Profile
    steps, registration."""
    job_role: iam.RolePlan
    """The training job's role (``<prefix>-<model>-trainer``): the training container runs with
    it, so it may read the inputs, write the model under ``training/`` and its checkpoints,
    and nothing the gate trusts, no registry, no job."""
    image: str
    instance_type: str
    instance_count: int
    volume_size_gb: int
    spot: bool
    max_runtime_seconds: int
    max_wait_seconds: int | None
    hyperparameters: tuple[tuple[str, str], ...]
    channels: tuple[Channel, ...]
    output_uri: str
    checkpoint_uri: str | None
    """Spot only: the checkpoint prefix; each execution checkpoints under
    ``<checkpoint_uri>/<execution id>`` (a new run starts fresh, a restarted spot job resumes)."""
    package_group: str
    approval_status: str
    gate: GatePlan | None
    profile: ProfilePlan
    definition: pipelines.Deferred = pipelines.Deferred()  # noqa: RUF009 - a descriptor
    """Pipeline definition JSON with ``${account}``/``${key_arn}`` placeholders (built when
    first read: validation reads none)."""
    scheduler_role: iam.RolePlan | None = None
    """The role every schedule of this model (train, batch, monitor) assumes."""
    config_files: tuple[pipelines.ConfigFile, ...] = ()
    """The runtime configuration of the Profile step (and the Evaluate step with a gate): S3
    objects the component uploads and the steps read as their ``config`` input."""
    lineage: lineage.LineagePlan | None = None
    """The Inputs and Lineage steps: the run's lineage record (``docs/lineage.md``)."""

    def with_scheduler_role(self, role: iam.RolePlan | None) -> TrainingPlan:
        """This plan with ``scheduler_role`` set, its definition still unbuilt if it was
        (``dataclasses.replace`` would read, and so build, it)."""
        plan = copy.copy(self)
        object.__setattr__(plan, "scheduler_role", role)
        return plan


def _value(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _sagemaker_arn(partition: str, region: str, resource: str) -> str:
    return f"arn:{partition}:sagemaker:{region}:{ACCOUNT}:{resource}"


@cache
def job_grants(
    partition: str, region: str, kinds: tuple[str, ...], run_as: tuple[str, ...] | None = None
) -> tuple[Statement, ...]:
    """Run pipeline-created jobs (``pipelines-*``) of ``kinds`` with the system key on their
    volumes and outputs (``kms:CreateGrant`` for AWS resources), and write the logs and
    metrics of the jobs of ``run_as`` (default: ``kinds``) that run with this role. The same
    for every model of a region (cached: the statements are frozen)."""
    run_as = kinds if run_as is None else run_as
    resources = tuple(
        _sagemaker_arn(partition, region, f"{kind}-job/pipelines-*") for kind in kinds
    )
    actions = tuple(
        sorted(
            {
                f"sagemaker:{verb}{kind.title()}Job"
                for kind in kinds
                for verb in ("Create", "Describe", "Stop")
            }
            | {"sagemaker:AddTags"}
        )
    )
    log_groups = tuple(
        f"arn:{partition}:logs:{region}:{ACCOUNT}:log-group:/aws/sagemaker/{kind.title()}Jobs"
        for kind in run_as
    )
    namespaces = tuple(f"/aws/sagemaker/{kind.title()}Jobs" for kind in run_as)
    return (
        Statement(sid="PipelineJobs", actions=actions, resources=resources),
        # The jobs' volumes and outputs use the system key (VolumeKmsKeyId, KmsKeyId).
        *iam.kms_grant(),
        *iam.log_writes(log_groups),
        Statement(
            sid="JobMetrics",
            actions=("cloudwatch:PutMetricData",),
            resources=("*",),
            conditions=(Condition("StringEquals", "cloudwatch:namespace", namespaces),),
        ),
    )


def package_arns(partition: str, region: str, group: str) -> tuple[str, str]:
    """(group ARN, ARN pattern of its packages)."""
    return (
        _sagemaker_arn(partition, region, f"model-package-group/{group}"),
        _sagemaker_arn(partition, region, f"model-package/{group}/*"),
    )


def reference_profile_uri(storage: StoragePlan, model_id: str) -> str:
    """Where a model's reference profile lives (written by its training pipeline's Profile
    step, read by its monitoring job)."""
    artifacts = storage.bucket("artifacts").name
    return f"s3://{artifacts}/{storage.model_prefix(model_id)}{REFERENCE_PREFIX}/{PROFILE_FILE}"


def reference_predictions_uri(storage: StoragePlan, model_id: str) -> str:
    """Where a model's reference predictions live (the evaluation step's ``predictions.json``,
    copied there by the Profile step when the gate passes; read by its monitoring job)."""
    return reference_profile_uri(storage, model_id).rsplit("/", 1)[0] + f"/{PREDICTIONS_FILE}"


def _gate(
    spec_model: Model,
    model_id: str,
    resolved: ResolvedSpec,
    storage: StoragePlan,
    group: str,
    evaluation_uri: str,
) -> GatePlan | None:
    gate = spec_model.training.gate
    if gate is None:
        return None
    holdout = spec_model.training.holdout_source
    source = resolved.spec.data_sources[holdout]
    # Load-time validation (mlops_spec.checks) refuses a gate whose holdout has no label.
    assert source.label is not None, f"models.{model_id}.training.gate: holdout without label"
    task = "regression" if gate.metric in REGRESSION_METRICS else "classification"
    kinds = model_features(resolved.spec, spec_model)
    features = tuple(kinds)
    evaluation = spec_model.training.evaluation
    holdout_config = _holdout_config(
        model_id,
        tuple((name, str(kind)) for name, kind in kinds.items()),
        source.label,
        str(source.format),
        None if source.header else tuple(source.columns or ()),
        evaluation.content_type,
    )
    config = EvaluateConfig(
        model_id=model_id,
        task=task,
        label=source.label,
        gate=GateConfig(
            metric=str(gate.metric),
            min_value=gate.min,
            max_value=gate.max,
            min_improvement=gate.must_beat_champion_by,
            higher_is_better=gate.higher_is_better,
        ),
        model_package_group=group,
        features=features,
        positive_label=spec_model.training.positive_label,
        content_type=evaluation.content_type,
        output=evaluation.output,
    )
    base = evaluation_uri.rsplit("/", 1)[0]
    return GatePlan(
        metric=str(gate.metric),
        min_value=gate.min,
        max_value=gate.max,
        min_improvement=gate.must_beat_champion_by,
        task=task,
        label=source.label,
        holdout=holdout,
        holdout_uri=storage.location(holdout).uri,
        evaluation_uri=evaluation_uri,
        config=config.to_json(),
        holdout_config=holdout_config,
        prepared_uri=f"{base}/{HOLDOUT_PREFIX}",
        predictions_uri=f"{base}/{PREDICTIONS_PREFIX}",
        content_type=evaluation.content_type,
        output=evaluation.output,
        instance_type=evaluation.instance_type,
        max_payload_mb=evaluation.max_payload_mb,
        feature_count=len(features),
    )


@lru_cache(maxsize=4096)
def _holdout_config(
    model_id: str,
    features: tuple[tuple[str, str], ...],
    label: str,
    data_format: str,
    columns: tuple[str, ...] | None,
    content_type: str,
) -> str:
    """``HoldoutConfig`` JSON (``features``: (name, kind) in input order): a model's is the
    same in every stack, built once."""
    return HoldoutConfig(
        model_id=model_id,
        features=dict(features),
        label=label,
        format=data_format,
        columns=columns,
        content_type=content_type,
    ).to_json()


@lru_cache(maxsize=4096)
def _profile_config(
    model_id: str, features: tuple[tuple[str, str], ...], data_format: str, copy_predictions: bool
) -> str:
    """``ProfileConfig`` JSON (``features``: (name, kind) in input order): a model's is the
    same in every stack, built once."""
    config = ProfileConfig(
        model_id=model_id,
        features=dict(features),
        format=data_format,
        copy_predictions=copy_predictions,
    )
    # Not config.to_json(): its sorted keys would lose the features' order, which is the
    # column order of CSV captures the monitoring job reads against the profile.
    return json.dumps(config.to_dict(), separators=(",", ":"))


def served_by_deploy_function(model: Model) -> bool:
    """The model's endpoint follows ``latest_approved`` (the deploy function serves it), so its
    drift references are promoted when the endpoint serves a package, not when it is
    registered."""
    serving = model.serving
    return isinstance(serving, RealtimeServing | ServerlessServing) and not isinstance(
        serving.model_version, PinnedVersion
    )


def profile_plan(
    spec_model: Model,
    model_id: str,
    resolved: ResolvedSpec,
    storage: StoragePlan,
    copy_predictions: bool = False,
    written: bool = True,
) -> ProfilePlan:
    """The reference profile of a model's candidates (the AWS Profile step; the Kubernetes
    training Job's register container profiles with the same configuration)."""
    source = spec_model.training.inputs[0]
    location = storage.location(source)
    profile_uri = reference_profile_uri(storage, model_id)
    features = model_features(resolved.spec, spec_model).items()
    config = _profile_config(
        model_id,
        tuple((name, str(kind)) for name, kind in features),
        location.format,
        copy_predictions,
    )
    return ProfilePlan(
        source=source,
        input_uri=location.uri,
        output_uri=profile_uri.rsplit("/", 1)[0],
        profile_uri=profile_uri,
        config=config,
        packages_uri=(
            f"s3://{storage.bucket('artifacts').name}/{storage.model_prefix(model_id)}"
            f"{PACKAGE_REFERENCES_PREFIX}/"
            if served_by_deploy_function(spec_model) and written
            else None
        ),
        files=_reference_files(written, copy_predictions),
    )


def _reference_files(written: bool, copy_predictions: bool) -> tuple[str, ...]:
    """What the Profile step writes: nothing when no monitor reads the model's references."""
    if not written:
        return ()
    return (PROFILE_FILE, PREDICTIONS_FILE) if copy_predictions else (PROFILE_FILE,)


@dataclass(frozen=True)
class _Pipeline:
    """What the steps and the role of one model's training pipeline share."""

    model_id: str
    model: Model
    storage: StoragePlan
    partition: str
    region: str
    name: str
    """The pipeline's name."""
    role_arn: str
    job_role_arn: str
    """The training job's role."""
    base: str
    """``s3://<artifacts>/models/<model>``."""
    artifacts: BucketPlan
    model_prefix: str
    """``models/<model>/`` (``storage.model_prefix``)."""
    eval_image: Image
    """The scikit-learn image of the Processing steps (evaluate, profile)."""
    lineage_plan: lineage.LineagePlan | None = None
    """The lineage steps (set once the channels and the gate are planned)."""

    @property
    def image(self) -> Any:
        """The training image Train, the candidate's model and Register use: at the digest
        the Inputs step resolved (an ECR image), else as the spec writes it."""
        if self.lineage_plan is None:
            return self.model.training.image
        return self.lineage_plan.image_uri()

    def processing(
        self, step: str, instance_type: str, module: str, config: Any, **io: Any
    ) -> dict[str, Any]:
        """A Processing step running ``python -m <module>`` from the runtime code."""
        return pipelines.processing_step(
            step,
            image=self.eval_image.uri,
            role_arn=self.role_arn,
            instance_type=instance_type,
            code_uri=self.storage.code.uri,
            code_object_key=self.storage.code.object_key,
            module=module,
            config=config,
            **io,
        )


def plan_training(
    model_id: str,
    resolved: ResolvedSpec,
    names: Names,
    storage: StoragePlan,
    partition: str,
    references: bool = True,
) -> TrainingPlan:
    """The pipeline of one SageMaker-trained model. ``references``: a monitor reads the model's
    drift references (its monitoring job measures data drift, bias or prediction drift); False:
    the pipeline has no Profile step and writes no reference."""
    spec_model = resolved.spec.models[model_id]
    training = spec_model.training
    if training.platform != "sagemaker":
        raise PlanError(
            f"models.{model_id}.training.platform: {training.platform} training is "
            "not built by the AWS components: a cluster trains it on a stack with "
            "system.platform: kubernetes; use platform: sagemaker here"
        )
    region = resolved.spec.system.region
    name, role_name = names.pipeline(model_id), names.role("train", model_id)
    job_role_name = names.role("trainer", model_id)
    artifacts, model_prefix = storage.bucket("artifacts"), storage.model_prefix(model_id)
    base = f"s3://{artifacts.name}/{model_prefix[:-1]}"
    group = names.model_package_group(model_id)
    channels = _channels(training.inputs, storage)
    gate = _gate(spec_model, model_id, resolved, storage, group, f"{base}/{EVALUATION_PREFIX}")
    copy = gate is not None  # the Evaluate step's predictions.json, a prediction reference
    profile = profile_plan(spec_model, model_id, resolved, storage, copy, written=references)
    lineage_plan = _lineage(resolved, model_id, name, base, channels, gate, group)
    p = _Pipeline(
        model_id=model_id,
        model=spec_model,
        storage=storage,
        partition=partition,
        region=region,
        name=name,
        role_arn=iam.role_arn(partition, role_name),
        job_role_arn=iam.role_arn(partition, job_role_name),
        base=base,
        artifacts=artifacts,
        model_prefix=model_prefix,
        eval_image=sklearn_image(region, partition),
        lineage_plan=lineage_plan,
    )
    files = _config_files(p, gate, profile)
    max_wait = training.effective_max_wait_minutes
    return TrainingPlan(
        model=model_id,
        pipeline_name=name,
        pipeline_arn=pipeline_arn(partition, region, name),
        display_name=name,
        description=f"Train, evaluate, gate and register {model_id} ({names.environment})",
        role=_pipeline_role(p, role_name, channels, gate, profile, group),
        job_role=_job_role(p, job_role_name, channels, gate),
        image=training.image,
        instance_type=str(training.instance_type),
        instance_count=training.instance_count,
        volume_size_gb=training.volume_size_gb,
        spot=training.spot,
        max_runtime_seconds=training.max_runtime_minutes * 60,
        max_wait_seconds=max_wait * 60 if max_wait else None,
        hyperparameters=_hyperparameters(spec_model),
        channels=channels,
        output_uri=f"{p.base}/{TRAINING_PREFIX}",
        checkpoint_uri=f"{p.base}/{CHECKPOINT_PREFIX}" if training.spot else None,
        package_group=group,
        approval_status=APPROVAL_STATUS[spec_model.registry.approval],
        gate=gate,
        profile=profile,
        definition=partial(_definition, p, channels, gate, profile, group, files),
        config_files=files.ordered(),
        lineage=lineage_plan,
    )


def _pipeline_role(
    p: _Pipeline,
    name: str,
    channels: tuple[Channel, ...],
    gate: GatePlan | None,
    profile: ProfilePlan,
    group: str,
) -> iam.RolePlan:
    """The pipeline's role: its steps, the gate's scoring and the lineage record."""
    return iam.sagemaker_role(
        "train",
        name,
        f"SageMaker training pipeline of {p.model_id}",
        *_grants(p, channels, gate, profile, group),
        _lineage_grants(p),
        partition=p.partition,
        region=p.region,
    )


def _job_role(
    p: _Pipeline, name: str, channels: tuple[Channel, ...], gate: GatePlan | None
) -> iam.RolePlan:
    """The role the training and scoring jobs run as (they run the user's code)."""
    return iam.sagemaker_role(
        "trainer",
        name,
        f"SageMaker training jobs of {p.model_id}",
        *_job_grants(p, channels),
        *_scoring_job_grants(p, gate),
        partition=p.partition,
        region=p.region,
    )


def _channels(sources: list[str], storage: StoragePlan) -> tuple[Channel, ...]:
    """One input channel per training input, named after its data source."""
    locations = [storage.location(source) for source in sources]
    return tuple(
        Channel(source, at.uri, at.content_type, at.bucket_arn, at.prefix)
        for source, at in zip(sources, locations, strict=True)
    )


def _hyperparameters(model: Model) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, _value(v)) for k, v in model.training.hyperparameters.items()))


@dataclass(frozen=True)
class _ConfigFiles:
    """The runtime configuration files of one pipeline's steps."""

    inputs: pipelines.ConfigFile
    record: pipelines.ConfigFile
    """The Inputs and Lineage steps' (``LineageConfig``)."""
    holdout: pipelines.ConfigFile | None
    evaluate: pipelines.ConfigFile | None
    """With a gate: the PrepareHoldout and Evaluate steps'."""
    profile: pipelines.ConfigFile | None
    """With a Profile step: its ``ProfileConfig``."""

    def ordered(self) -> tuple[pipelines.ConfigFile, ...]:
        """As ``TrainingPlan.config_files`` lists them: the gate's, the profile's, the
        lineage's."""
        files = (self.holdout, self.evaluate, self.profile, self.inputs, self.record)
        return tuple(file for file in files if file is not None)


def _config_files(p: _Pipeline, gate: GatePlan | None, profile: ProfilePlan) -> _ConfigFiles:
    """Every step's configuration file (the plan lists them; the steps name them)."""
    assert p.lineage_plan is not None

    def file(step: str, runtime_class: str, content: str) -> pipelines.ConfigFile:
        return pipelines.config_file(p.artifacts.name, p.name, step, runtime_class, content)

    inputs, record = lineage.config_files(p.lineage_plan, p.artifacts.name, p.name)
    return _ConfigFiles(
        inputs=inputs,
        record=record,
        holdout=(
            file(pipelines.PREPARE_HOLDOUT_STEP, "HoldoutConfig", gate.holdout_config)
            if gate
            else None
        ),
        evaluate=file("Evaluate", "EvaluateConfig", gate.config) if gate else None,
        profile=(
            file(pipelines.PROFILE_STEP, "ProfileConfig", profile.config) if profile.files else None
        ),
    )


def _definition(
    p: _Pipeline,
    channels: tuple[Channel, ...],
    gate: GatePlan | None,
    profile: ProfilePlan,
    group: str,
    files: _ConfigFiles,
) -> str:
    """The pipeline definition: the steps, the Inputs and Lineage steps placed among them
    (``TrainingPlan.definition`` builds it when first read)."""
    assert p.lineage_plan is not None
    steps = lineage.with_steps(
        p.lineage_plan,
        _steps(p, channels, gate, profile, group, files),
        files.inputs,
        files.record,
        processing=p.processing,
    )
    return pipelines.definition(steps, lineage.parameters(p.lineage_plan))


def _steps(
    p: _Pipeline,
    channels: tuple[Channel, ...],
    gate: GatePlan | None,
    profile: ProfilePlan,
    group: str,
    files: _ConfigFiles,
) -> list[dict]:
    """Train, then Profile (when a monitor reads the references) and Register, behind the
    holdout's scoring, the Evaluate step and its condition when the model has a gate."""
    register = _register_step(p, channels, gate, profile, group)
    steps: list[dict] = [_train_step(p, channels)]
    profiling = [_profile_step(p, profile, gate, files.profile)] if files.profile else []
    if gate is None:
        passed = [{**step, "DependsOn": ["Train"]} for step in profiling]
        return [*steps, *passed, register]
    assert files.holdout is not None and files.evaluate is not None
    scoring = _scoring_steps(p, gate, files.holdout)
    evaluate_step = _evaluate_step(p, gate, files.evaluate)
    steps += [*scoring, evaluate_step, pipelines.gate_steps([*profiling, register], p.model_id)]
    return steps


def _train_step(p: _Pipeline, channels: tuple[Channel, ...]) -> dict:
    training = p.model.training
    max_wait = training.effective_max_wait_minutes
    image_config, vpc_config = training_image_access(training.private_registry)
    return pipelines.training_step(
        image_config=image_config,
        vpc_config=vpc_config,
        image=p.image,
        role_arn=p.job_role_arn,
        entry_point=training.entry_point,
        instance_type=str(training.instance_type),
        instance_count=training.instance_count,
        volume_size_gb=training.volume_size_gb,
        spot=training.spot,
        max_runtime_seconds=training.max_runtime_minutes * 60,
        max_wait_seconds=max_wait * 60 if max_wait else None,
        hyperparameters=dict(_hyperparameters(p.model)),
        channels=[(c.name, c.uri, c.content_type) for c in channels],
        output_uri=f"{p.base}/{TRAINING_PREFIX}",
        checkpoint_uri=f"{p.base}/{CHECKPOINT_PREFIX}",
    )


def _scoring_steps(p: _Pipeline, gate: GatePlan, config: pipelines.ConfigFile) -> list[dict]:
    """PrepareHoldout (the holdout as label-first lines, ``config``: its HoldoutConfig),
    CandidateModel (the serving container, with the training job's role) and ScoreHoldout
    (its batch transform of them)."""
    prepare = pipelines.processing_step(
        pipelines.PREPARE_HOLDOUT_STEP,
        image=p.eval_image.uri,
        role_arn=p.role_arn,
        instance_type=HOLDOUT_INSTANCE_TYPE,
        code_uri=p.storage.code.uri,
        code_object_key=p.storage.code.object_key,
        module="mlops_runtime.jobs.holdout",
        config=config,
        inputs=[pipelines.s3_input("data", gate.holdout_uri, pipelines.HOLDOUT_INPUT)],
        outputs=[
            (
                pipelines.HOLDOUT_OUTPUT,
                pipelines.per_execution(gate.prepared_uri),
                pipelines.HOLDOUT_DIR,
            )
        ],
        volume_size_gb=HOLDOUT_VOLUME_GB,
    )
    transform = pipelines.transform_step(
        name=pipelines.SCORE_HOLDOUT_STEP,
        model_step=pipelines.CANDIDATE_MODEL_STEP,
        input_uri=pipelines.PREPARED_HOLDOUT_URI,
        content_type=gate.content_type,
        split_type="Line",
        output_prefix=gate.predictions_uri,
        instance_type=gate.instance_type,
        instance_count=1,
        max_payload_mb=gate.max_payload_mb,
        accept=gate.content_type,
        data_processing=data_processing(gate.content_type, gate.feature_count),
    )
    model = pipelines.candidate_model_step(p.job_role_arn, p.image)
    return [prepare, model, transform]


def _evaluate_step(p: _Pipeline, gate: GatePlan, config: pipelines.ConfigFile) -> dict:
    """Scores the candidate's predictions of the holdout; its report feeds the gate."""
    return p.processing(
        "Evaluate",
        EVALUATION_INSTANCE_TYPE,
        "mlops_runtime.evaluate",
        config,
        inputs=[
            pipelines.s3_input(
                "predictions", pipelines.HOLDOUT_PREDICTIONS_URI, pipelines.PREDICTIONS_DIR
            ),
            pipelines.s3_input("holdout", pipelines.PREPARED_HOLDOUT_URI, pipelines.HOLDOUT_DIR),
        ],
        outputs=[
            (
                pipelines.EVALUATION_OUTPUT,
                pipelines.per_execution(gate.evaluation_uri),
                f"{pipelines.PROCESSING}/evaluation",
            )
        ],
        property_files=[
            (
                pipelines.EVALUATION_PROPERTY_FILE,
                pipelines.EVALUATION_OUTPUT,
                pipelines.EVALUATION_FILE,
            )
        ],
        # the CandidateModel's model, which the step deletes (the transform is over)
        environment={CANDIDATE_MODEL_ENV: pipelines.CANDIDATE_MODEL_NAME},
    )


def _profile_step(
    p: _Pipeline, profile: ProfilePlan, gate: GatePlan | None, config: pipelines.ConfigFile
) -> dict:
    """Profiles the training data (and, with a gate, copies the evaluation's predictions)."""
    inputs = [pipelines.s3_input("data", profile.input_uri, pipelines.PROFILE_INPUT)]
    if gate:  # the evaluation output: the Profile step copies its predictions.json
        inputs.append(
            pipelines.s3_input(
                "evaluation", pipelines.EVALUATION_OUTPUT_URI, pipelines.PROFILE_EVALUATION_INPUT
            )
        )
    return p.processing(
        pipelines.PROFILE_STEP,
        PROFILE_INSTANCE_TYPE,
        "mlops_runtime.profile_job",
        config,
        inputs=inputs,
        outputs=[("profile", _profile_destination(profile), pipelines.PROFILE_OUTPUT)],
    )


def _profile_destination(profile: ProfilePlan) -> Any:
    """Where the Profile step uploads: the execution's own prefix under ``packages_uri``
    (promoted by the deploy function), else the current references."""
    if profile.packages_uri:
        return pipelines.per_execution(profile.packages_uri)
    return profile.output_uri


def _register_step(
    p: _Pipeline,
    channels: tuple[Channel, ...],
    gate: GatePlan | None,
    profile: ProfilePlan,
    group: str,
) -> dict:
    serving = p.model.serving
    return pipelines.register_step(
        group=group,
        approval_status=APPROVAL_STATUS[p.model.registry.approval],
        image=p.image,
        content_type=channels[0].content_type,
        evaluation_uri_prefix=gate.evaluation_uri if gate else None,
        gate_metric=gate.metric if gate else None,
        realtime_instance_types=(
            (serving.instance_type,) if isinstance(serving, RealtimeServing) else ()
        ),
        transform_instance_types=(
            (serving.instance_type,) if isinstance(serving, BatchServing) else ()
        ),
        references_uri_prefix=profile.packages_uri,
        lineage_metadata=lineage.package_metadata(),
    )


def _grants(
    p: _Pipeline,
    channels: tuple[Channel, ...],
    gate: GatePlan | None,
    profile: ProfilePlan,
    group: str,
) -> list[tuple[Statement, ...]]:
    """The pipeline's role: start the jobs (passing the training job its own role), run the
    Evaluate and Profile steps (read the first input, the holdout, the model's artifacts, the
    runtime code and config; write only ``evaluation/`` and, when the Profile step runs,
    ``reference/`` or ``profiles/``),
    pull the images and register packages in the model's group with the approval status the
    spec sets."""
    storage = p.storage
    model_prefix, artifacts = p.model_prefix, p.artifacts
    read_sources = [channels[0].name]  # the Profile step's data
    if gate and gate.holdout not in read_sources:
        read_sources.append(gate.holdout)
    images = (image(p.model.training.image, p.partition), p.eval_image)
    repositories = {i.repository_arn for i in images if i.repository_arn}
    locations = [storage.location(s) for s in read_sources]
    return [
        *(iam.s3_read(at.bucket_arn, at.prefix) for at in locations),
        iam.s3_read(artifacts.arn, model_prefix),
        iam.s3_write(artifacts.arn, f"{model_prefix}{EVALUATION_PREFIX}/"),
        *_reference_writes(p, profile),
        iam.s3_read(artifacts.arn, storage.code.object_key),
        iam.s3_read(artifacts.arn, pipelines.config_prefix(p.name)),
        iam.kms_use(encrypt=True),
        iam.ecr_pull(tuple(sorted(repositories))),
        job_grants(p.partition, p.region, _job_kinds(gate), run_as=("processing",)),
        *(_scoring_grants(p) if gate else ()),
        _register_grants(p, group),
        iam.pass_role((p.role_arn, p.job_role_arn), "sagemaker.amazonaws.com"),
    ]


def _job_kinds(gate: GatePlan | None) -> tuple[str, ...]:
    """The jobs the pipeline starts: with a gate, also the holdout's transform."""
    return ("training", "processing", "transform") if gate else ("training", "processing")


def _scoring_grants(p: _Pipeline) -> list[tuple[Statement, ...]]:
    """With a gate: write the prepared holdout, create the candidate's model and delete it once
    scored (the Evaluate step). Pipeline-created models are named ``pipelines-*`` by SageMaker
    (a Model step takes no name), so that is the tightest scope the ARN allows: the account's
    and region's pipeline-created models."""
    artifacts, model_prefix = p.artifacts, p.model_prefix
    actions = ("AddTags", "CreateModel", "DeleteModel", "DescribeModel")
    create_models = Statement(
        sid="CandidateModels",
        actions=tuple(f"sagemaker:{a}" for a in actions),
        resources=(_sagemaker_arn(p.partition, p.region, "model/pipelines-*"),),
    )
    return [iam.s3_write(artifacts.arn, f"{model_prefix}{HOLDOUT_PREFIX}/"), (create_models,)]


def _scoring_job_grants(p: _Pipeline, gate: GatePlan | None) -> list[tuple[Statement, ...]]:
    """With a gate, the training job's role also runs the candidate's container in the
    holdout's transform: read the model and the prepared holdout, write the predictions,
    write the transform's logs and metrics."""
    if gate is None:
        return []
    artifacts, model_prefix = p.artifacts, p.model_prefix
    namespace = "/aws/sagemaker/TransformJobs"
    log_group = f"arn:{p.partition}:logs:{p.region}:{ACCOUNT}:log-group:{namespace}"
    metrics = Statement(
        sid="TransformMetrics",
        actions=("cloudwatch:PutMetricData",),
        resources=("*",),
        conditions=(Condition("StringEquals", "cloudwatch:namespace", (namespace,)),),
    )
    return [
        iam.s3_read(artifacts.arn, f"{model_prefix}{TRAINING_PREFIX}/"),
        iam.s3_read(artifacts.arn, f"{model_prefix}{HOLDOUT_PREFIX}/"),
        iam.s3_write(artifacts.arn, f"{model_prefix}{PREDICTIONS_PREFIX}/"),
        iam.log_writes((log_group,)),
        (metrics,),
    ]


def _reference_writes(p: _Pipeline, profile: ProfilePlan) -> list[tuple[Statement, ...]]:
    """The Profile step's writes; none without a Profile step."""
    if not profile.files:
        return []
    artifacts, model_prefix = p.artifacts, p.model_prefix
    return [iam.s3_write(artifacts.arn, f"{model_prefix}{_references_prefix(p.model)}/")]


def _references_prefix(model: Model) -> str:
    """What the Profile step writes: each execution's references (``profiles/``) when the
    deploy function promotes the served package's, else the current ones (``reference/``)."""
    return PACKAGE_REFERENCES_PREFIX if served_by_deploy_function(model) else REFERENCE_PREFIX


def _register_grants(p: _Pipeline, group: str) -> tuple[Statement, ...]:
    """Create packages in the model's group only with the approval status the spec sets
    (``sagemaker:ModelApprovalStatus``): with ``approval: manual`` nothing holding this role can
    register an Approved package that the deploy function would roll out."""
    group_arn, packages = package_arns(p.partition, p.region, group)
    status = APPROVAL_STATUS[p.model.registry.approval]
    return (
        Statement(
            sid="RegisterPackages",
            actions=("sagemaker:CreateModelPackage",),
            resources=(group_arn, packages),
            conditions=(Condition("StringEquals", "sagemaker:ModelApprovalStatus", (status,)),),
        ),
        Statement(
            sid="ReadPackages",
            actions=("sagemaker:AddTags", "sagemaker:DescribeModelPackage"),
            resources=(group_arn, packages),
        ),
        Statement(sid="FindChampion", actions=("sagemaker:ListModelPackages",), resources=("*",)),
    )


def _job_grants(p: _Pipeline, channels: tuple[Channel, ...]) -> list[tuple[Statement, ...]]:
    """The training job's role: read its input channels, read and write its checkpoints, write
    the model under ``training/``, use the key, pull the training image, write its logs and
    metrics. No registry, no job, no role to pass, no write to ``evaluation/`` or
    ``reference/`` (what the gate and the monitoring job trust)."""
    model_prefix, artifacts = p.model_prefix, p.artifacts
    training_image = image(p.model.training.image, p.partition)
    checkpoints = f"{model_prefix}{CHECKPOINT_PREFIX}/"
    log_group = f"arn:{p.partition}:logs:{p.region}:{ACCOUNT}:log-group:/aws/sagemaker/TrainingJobs"
    return [
        *(iam.s3_read(c.bucket_arn, c.prefix) for c in channels),
        iam.s3_read(artifacts.arn, checkpoints),
        iam.s3_write(artifacts.arn, checkpoints),
        iam.s3_write(artifacts.arn, f"{model_prefix}{TRAINING_PREFIX}/"),
        iam.kms_use(encrypt=True),
        iam.ecr_pull((training_image.repository_arn,) if training_image.repository_arn else ()),
        iam.log_writes((log_group,)),
        iam.put_metrics("/aws/sagemaker/TrainingJobs"),
        private_registry_grants(p.model.training.private_registry, p.partition, p.region),
    ]


def _lineage(
    resolved: ResolvedSpec,
    model_id: str,
    name: str,
    base: str,
    channels: tuple[Channel, ...],
    gate: GatePlan | None,
    group: str,
) -> lineage.LineagePlan:
    """The lineage steps (``base``: ``s3://<artifacts>/models/<model>``): every channel and
    the holdout are listed."""
    return lineage.plan_lineage(
        resolved,
        model_id,
        pipeline_name=name,
        package_group=group,
        model_uri=base,
        data=(
            [(c.name, c.uri) for c in channels],
            (gate.holdout, gate.holdout_uri) if gate else None,
        ),
    )


def _lineage_grants(p: _Pipeline) -> tuple[Statement, ...]:
    """List the versions under every source the lineage records; write the records."""
    assert p.lineage_plan is not None
    located = ((s.name, p.storage.location(s.name)) for s in p.lineage_plan.sources)
    locations = {name: (at.bucket_arn, at.prefix) for name, at in located}
    return lineage.grants(p.lineage_plan, locations, p.artifacts.arn)
